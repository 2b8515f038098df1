//! Human output of `show` and `list`: fingerprints in colon hex, chain lines, the table.

mod common;

use common::*;

fn colon_upper(hex: &str) -> String {
    hex.as_bytes()
        .chunks(2)
        .map(|c| std::str::from_utf8(c).unwrap().to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(":")
}

#[test]
fn show_text_and_list_table() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    let store = tmp.path().join("store");
    std::fs::create_dir_all(&store).unwrap();
    let pki = Pki::new(&work);
    pki.root("root", "/CN=Basics Root");
    pki.signed(
        "inter",
        "/CN=Basics Intermediate",
        "root",
        true,
        KeyType::P256,
    );
    pki.signed("leaf", "/CN=www.basics.test", "inter", false, KeyType::P256);
    copy(&pki.path("leaf.pem"), &store, "leaf.pem");
    copy(&pki.path("leaf.key"), &store, "leaf.key");
    copy(&pki.path("inter.pem"), &store, "inter.pem");
    copy(&pki.path("root.pem"), &store, "root.pem");
    let st = store.to_str().unwrap();

    let r = certdeck(&["show", "www.basics.test", "--store", st]);
    r.ok();
    let out = &r.stdout;
    // SHA-256 in colon hex equals openssl's fingerprint line.
    let o = openssl(
        &work,
        &[
            "x509",
            "-in",
            "leaf.pem",
            "-noout",
            "-fingerprint",
            "-sha256",
        ],
    );
    let openssl_fp = stdout_of(&o).trim().split_once('=').unwrap().1.to_string();
    assert_eq!(openssl_fp, colon_upper(&pki.sha256("leaf.pem")));
    let line = out
        .lines()
        .find(|l| l.starts_with("SHA-256"))
        .unwrap_or_else(|| panic!("no SHA-256 line:\n{out}"));
    assert!(line.ends_with(&openssl_fp), "{line} vs {openssl_fp}");
    let serial = pki.serial("leaf.pem");
    assert!(
        out.lines()
            .any(|l| l.starts_with("serial") && l.trim_end().ends_with(&serial)),
        "{out}"
    );
    // Chain: the verdict line and one line per link, leaf first.
    let chain = out
        .lines()
        .find(|l| l.starts_with("chain"))
        .unwrap_or_else(|| panic!("no chain line:\n{out}"));
    assert!(chain.contains("valid"), "{chain}");
    assert!(chain.contains("Basics Root"), "{chain}");
    let links: Vec<&str> = out.lines().filter(|l| l.contains('└')).collect();
    assert_eq!(links.len(), 3, "{out}");
    assert!(
        links[0].contains("leaf") && links[0].contains("leaf.pem") && links[0].contains("verified")
    );
    assert!(links[1].contains("issuer") && links[1].contains("inter.pem"));
    assert!(links[2].contains("root.pem") && links[2].contains("self-signed"));
    assert!(out.contains("leaf.key"), "paired key shown:\n{out}");
    assert!(out.contains("DNS:www.basics.test"), "{out}");

    // The table: a header, one row per item, expiry date from openssl's notAfter.
    let r = certdeck(&["list", "--store", st]);
    r.ok();
    let lines: Vec<&str> = r.stdout.lines().collect();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        ["STATUS", "DAYS", "EXPIRES", "KIND", "NAME", "PATH"]
    );
    assert_eq!(lines.len(), 1 + 4, "{}", r.stdout);
    let not_after = openssl_date_to_rfc3339(&x509_field(&work, "leaf.pem", "-enddate"));
    let row = lines
        .iter()
        .find(|l| l.ends_with("leaf.pem"))
        .unwrap_or_else(|| panic!("no leaf row:\n{}", r.stdout));
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cols[0], "ok", "{row}");
    assert_eq!(cols[2], &not_after[..10], "{row}");
    assert_eq!(cols[3], "cert", "{row}");
    assert_eq!(cols[4], "www.basics.test", "{row}");
    let key_row = lines.iter().find(|l| l.ends_with("leaf.key")).unwrap();
    assert!(key_row.split_whitespace().any(|c| c == "key"), "{key_row}");

    // Unknown store: a clear error and exit code 2.
    let r = certdeck(&["list", "--store", tmp.path().join("nope").to_str().unwrap()]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("not a directory"), "{}", r.stderr);
}
