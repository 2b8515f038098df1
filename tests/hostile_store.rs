//! A store full of traps: the scan must finish, keep the good certificates and turn every bad
//! file into an item with an error. Nothing may hang (fifo, /dev/zero) or loop (symlinks).

mod common;

use common::*;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::time::Duration;

#[test]
fn hostile_store_is_survived() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    let store = tmp.path().join("store");
    std::fs::create_dir_all(&store).unwrap();
    let pki = Pki::new(&work);
    pki.root("good1", "/CN=good one");
    pki.root("good2", "/CN=good two");
    copy(&pki.path("good1.pem"), &store, "good1.pem");
    copy(&pki.path("good2.pem"), &store, "good2.crt");

    // fifo: must never be opened for reading (that would block forever).
    let fifo = std::ffi::CString::new(store.join("pipe.pem").as_os_str().as_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    symlink("/dev/zero", store.join("zero.pem")).unwrap();
    symlink("loop-b.pem", store.join("loop-a.pem")).unwrap();
    symlink("loop-a.pem", store.join("loop-b.pem")).unwrap();
    symlink("..", store.join("parent")).unwrap();
    symlink("does-not-exist.pem", store.join("dangling.pem")).unwrap();
    // 20 MiB sparse file.
    let big = std::fs::File::create(store.join("big.pem")).unwrap();
    big.set_len(20 * 1024 * 1024).unwrap();
    drop(big);
    // Truncated DER certificate.
    openssl(
        &work,
        &[
            "x509",
            "-in",
            "good1.pem",
            "-outform",
            "DER",
            "-out",
            "good1.der",
        ],
    );
    let der = pki.read("good1.der");
    write(&store, "truncated.der", &der[..der.len() / 2]);
    write(
        &store,
        "garbage.pem",
        b"this is not a certificate\n\x00\x01\x02\xff",
    );
    write(
        &store,
        "badbase64.pem",
        "-----BEGIN CERTIFICATE-----\nThis is *not* base64 !!!\n-----END CERTIFICATE-----\n",
    );
    write(&store, "empty.crt", "");
    // A DER certificate with bytes of its serial overwritten: it still parses, but its
    // self-signature no longer verifies.
    let mut mangled = der.clone();
    for b in mangled.iter_mut().skip(20).take(10) {
        *b = 0x41;
    }
    write(&store, "mangled.der", &mangled);
    // Names that are hard to print.
    write(&store, "new\nline.pem", "garbage\n");
    let bad_utf8 = OsStr::from_bytes(b"bad-\xff\xfe-name.pem");
    std::fs::write(store.join(bad_utf8), "more garbage\n").unwrap();

    let st = store.to_str().unwrap();
    let r = certdeck_timeout(&["list", "--store", st, "--json"], Duration::from_secs(30));
    r.ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();

    for (path, sha) in [("good1.pem", "good1.pem"), ("good2.crt", "good2.pem")] {
        let it = one(&v, path);
        assert_eq!(it["kind"], "certificate");
        assert!(it.get("error").is_none(), "{it:#}");
        assert_eq!(s(it, "sha256"), pki.sha256(sha));
    }

    let bad = [
        "pipe.pem",
        "zero.pem",
        "loop-a.pem",
        "loop-b.pem",
        "parent",
        "dangling.pem",
        "big.pem",
        "truncated.der",
        "garbage.pem",
        "badbase64.pem",
        "empty.crt",
        "new\nline.pem",
    ];
    let mut problems = vec![];
    for path in bad {
        let m = at(&v, path);
        if m.is_empty() {
            problems.push(format!("{path:?}: no item"));
        }
        for it in m {
            match it.get("error").and_then(|e| e.as_str()) {
                Some(e) if !e.is_empty() => {}
                _ => problems.push(format!("{path:?}: no error in {it}")),
            }
        }
    }
    // The invalid UTF-8 name is listed (lossily) with an error.
    let lossy: Vec<_> = items(&v)
        .iter()
        .filter(|i| s(i, "path").starts_with("bad-") && s(i, "path").ends_with("-name.pem"))
        .collect();
    if lossy.len() != 1 || lossy[0].get("error").is_none() {
        problems.push(format!("invalid UTF-8 name: {lossy:?}"));
    }
    assert!(
        problems.is_empty(),
        "{}\n\n{}",
        problems.join("\n"),
        r.stdout
    );

    // Specific reasons, so the user knows what happened.
    let err = |p: &str| s(one(&v, p), "error").to_string();
    assert!(err("pipe.pem").contains("fifo"), "{}", err("pipe.pem"));
    assert!(
        err("zero.pem").contains("character device"),
        "{}",
        err("zero.pem")
    );
    assert!(err("loop-a.pem").contains("loop"), "{}", err("loop-a.pem"));
    assert!(
        err("parent").contains("leaves the store"),
        "{}",
        err("parent")
    );
    assert!(err("big.pem").contains("too large"), "{}", err("big.pem"));
    assert!(err("empty.crt").contains("empty"), "{}", err("empty.crt"));
    assert!(
        err("badbase64.pem").contains("base64"),
        "{}",
        err("badbase64.pem")
    );

    // The tampered certificate is readable but its signature is not: a broken chain, no longer
    // self-signed.
    let mangled = one(&v, "mangled.der");
    assert_eq!(mangled["kind"], "certificate");
    assert_eq!(mangled["self_signed"], false);
    assert_eq!(s(mangled, "chain"), "broken", "{mangled:#}");

    // Exactly the files above plus the two good certs and the tampered one: nothing from `..` leaked in.
    assert_eq!(items(&v).len(), 2 + bad.len() + 1 + 1, "{}", r.stdout);

    // The table output survives the same store too.
    let r = certdeck_timeout(&["list", "--store", st], Duration::from_secs(30));
    r.ok();
    assert!(r.stdout.contains("good1.pem"));
}

/// Big and odd but legal: a 5,000-certificate bundle, a 2 GiB sparse file, a 20-byte serial
/// and a certificate with a 60 KB extension all list quickly and correctly.
#[test]
fn big_bundles_huge_files_and_odd_certificates() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    let store = tmp.path().join("store");
    std::fs::create_dir_all(&store).unwrap();
    std::fs::create_dir_all(&work).unwrap();
    // 20-byte serial (the RFC 5280 maximum) and a huge (60 KB) custom extension.
    let cfg = write(
        &work,
        "odd.cnf",
        format!(
            "[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=odd.example\n[ext]\n1.2.3.4.5=ASN1:UTF8String:{}\nbasicConstraints=critical,CA:TRUE\n",
            "x".repeat(60_000)
        ),
    );
    let o = openssl(
        &work,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "odd.key",
            "-out",
            "odd.pem",
            "-days",
            "30",
            "-config",
            cfg.to_str().unwrap(),
            "-extensions",
            "ext",
            "-set_serial",
            "0x7f0102030405060708090a0b0c0d0e0f10111213",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    copy(&work.join("odd.pem"), &store, "odd.pem");
    // 5,000-cert bundle (one cert repeated: parsing cost is what matters).
    let one_cert = std::fs::read_to_string(work.join("odd.pem")).unwrap();
    let small = {
        let o = openssl(
            &work,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "b.key",
                "-out",
                "b.pem",
                "-days",
                "30",
                "-subj",
                "/CN=bundle member",
            ],
        );
        assert!(o.status.success());
        std::fs::read_to_string(work.join("b.pem")).unwrap()
    };
    std::fs::write(store.join("bundle.pem"), small.repeat(5000)).unwrap();
    // 2 GiB sparse file with a certificate name: refused by size, never read.
    let f = std::fs::File::create(store.join("huge.crt")).unwrap();
    f.set_len(2 * 1024 * 1024 * 1024).unwrap();
    drop(f);

    // certdeck_timeout kills a hang; speed itself is measured in bench/, not here.
    let r = certdeck_timeout(
        &["list", "--json", "--store", store.to_str().unwrap()],
        Duration::from_secs(60),
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("list --json output");
    let bundle = at(&v, "bundle.pem");
    assert_eq!(bundle.len(), 5000);
    assert!(bundle.iter().all(|i| i.get("error").is_none()));
    let huge = one(&v, "huge.crt");
    assert!(s(huge, "error").contains("too large"), "{huge}");
    let odd = one(&v, "odd.pem");
    assert_eq!(s(odd, "serial"), "7f0102030405060708090a0b0c0d0e0f10111213");
    assert!(odd.get("error").is_none(), "{odd}");
    assert!(one_cert.contains("BEGIN CERTIFICATE"));
}
