//! OpenSSL subject-hash canonicalisation, checked against `openssl x509 -subject_hash` and
//! `openssl rehash` on certificates whose names exercise every canonicalisation rule.

mod common;

use common::*;
use std::path::Path;

/// A `req` config whose `string_mask` decides how openssl encodes the name values.
fn config(dir: &Path, name: &str, mask: &str) -> String {
    let file = format!("{name}.cnf");
    write(
        dir,
        &file,
        format!(
            "[req]\ndistinguished_name = dn\nstring_mask = {mask}\nprompt = no\n[dn]\nCN = unused\n"
        ),
    );
    file
}

struct Case {
    name: &'static str,
    subj: &'static str,
    mask: &'static str,
    extra: &'static [&'static str],
    /// A string tag `openssl asn1parse` must show (proves the encoding we meant to test).
    expect_tag: Option<&'static str>,
}

const CASES: &[Case] = &[
    Case {
        name: "case_space",
        subj: "/CN=  Mixed   CASE\tHost  /O= Example  ORG /C=DE",
        mask: "default",
        extra: &[],
        expect_tag: Some("PRINTABLESTRING"),
    },
    Case {
        name: "case_space_utf8only",
        subj: "/CN=mixed case host/O=example org/C=DE",
        mask: "utf8only",
        extra: &[],
        expect_tag: Some("UTF8STRING"),
    },
    Case {
        name: "multivalue",
        subj: "/CN=a+OU=b/O=c",
        mask: "utf8only",
        extra: &["-multivalue-rdn"],
        expect_tag: None,
    },
    Case {
        name: "multivalue_reversed",
        subj: "/OU=B+CN=A/O=C",
        mask: "default",
        extra: &["-multivalue-rdn"],
        expect_tag: None,
    },
    Case {
        name: "utf8_non_ascii",
        subj: "/CN=Müller Straße ÄÖÜ/O=Société Générale/L=東京",
        mask: "utf8only",
        extra: &["-utf8"],
        expect_tag: Some("UTF8STRING"),
    },
    Case {
        name: "printable",
        subj: "/C=US/ST=California/O=Printable Org/CN=printable.example",
        mask: "default",
        extra: &[],
        expect_tag: Some("PRINTABLESTRING"),
    },
    Case {
        name: "bmp",
        subj: "/CN=Bmp  NAME /O=Bmp Örg",
        mask: "MASK:0x800",
        extra: &["-utf8"],
        expect_tag: Some("BMPSTRING"),
    },
    Case {
        name: "t61_latin1",
        // nombstr: no BMP/UTF8, so non-ASCII Latin-1 text becomes T61String.
        subj: "/CN=Caf\u{e9} Ol\u{e9}",
        mask: "nombstr",
        extra: &["-utf8"],
        expect_tag: Some("T61STRING"),
    },
    Case {
        name: "email",
        subj: "/CN=Mail Host/emailAddress=Admin@Example.COM",
        mask: "default",
        extra: &[],
        expect_tag: Some("IA5STRING"),
    },
    Case {
        name: "empty",
        subj: "/",
        mask: "default",
        extra: &[],
        expect_tag: None,
    },
];

fn make_case(dir: &Path, c: &Case) {
    let cnf = config(dir, c.name, c.mask);
    let key = format!("{}.key", c.name);
    let out = format!("{}.pem", c.name);
    let mut args = vec![
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-config",
        &cnf,
        "-keyout",
        &key,
        "-out",
        &out,
        "-days",
        "30",
        "-subj",
        c.subj,
    ];
    args.extend_from_slice(c.extra);
    openssl(dir, &args);
    if let Some(tag) = c.expect_tag {
        let parsed = stdout_of(&openssl(dir, &["asn1parse", "-in", &out]));
        assert!(
            parsed.contains(tag),
            "{}: openssl did not encode a {tag}:\n{parsed}",
            c.name
        );
    }
}

#[test]
fn subject_and_issuer_hashes_match_openssl() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    let store = tmp.path().join("store");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::create_dir_all(&store).unwrap();
    for c in CASES {
        make_case(&work, c);
        copy(
            &work.join(format!("{}.pem", c.name)),
            &store,
            &format!("{}.pem", c.name),
        );
    }
    // A leaf signed by the BMP-named CA: its issuer_hash comes from a BMPString issuer.
    let pki = Pki::new(&work);
    pki.signed("bmp_child", "/CN=child of bmp", "bmp", false, KeyType::P256);
    copy(&pki.path("bmp_child.pem"), &store, "bmp_child.pem");

    let v = list_json(&store, &[]);
    let mut problems = vec![];
    let mut names: Vec<&str> = CASES.iter().map(|c| c.name).collect();
    names.push("bmp_child");
    for name in names {
        let file = format!("{name}.pem");
        let it = one(&v, &file);
        assert_eq!(it["kind"], "certificate", "{it:#}");
        let want_s = x509_field(&store, &file, "-subject_hash");
        let want_i = x509_field(&store, &file, "-issuer_hash");
        let (got_s, got_i) = (s(it, "subject_hash"), s(it, "issuer_hash"));
        if want_s != got_s || want_i != got_i {
            problems.push(format!(
                "{name}: subject_hash openssl {want_s} certdeck {got_s}; issuer_hash openssl {want_i} certdeck {got_i}; subject {}",
                it["subject"]
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // Canonicalisation really folds: same hash for the spaced/cased PrintableString name and the
    // clean UTF8String name.
    assert_eq!(
        s(one(&v, "case_space.pem"), "subject_hash"),
        s(one(&v, "case_space_utf8only.pem"), "subject_hash")
    );
    // Multi-valued RDN order does not matter (SET OF is sorted) and case folds.
    assert_eq!(
        s(one(&v, "multivalue.pem"), "subject_hash"),
        s(one(&v, "multivalue_reversed.pem"), "subject_hash")
    );
    assert_eq!(s(one(&v, "empty.pem"), "subject_hash"), "eea339da");
}

#[test]
fn openssl_rehash_link_names_equal_our_hashes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for c in CASES {
        make_case(dir, c);
        std::fs::remove_file(dir.join(format!("{}.key", c.name))).unwrap();
        std::fs::remove_file(dir.join(format!("{}.cnf", c.name))).unwrap();
    }
    openssl(dir, &["rehash", "."]);

    let v = list_json(dir, &[]);
    // Every rehash link must be folded into its target as a link, named after our hash.
    let mut link_count = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if !e.file_type().unwrap().is_symlink() {
            continue;
        }
        link_count += 1;
        let target = std::fs::read_link(e.path())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let it = one(&v, &target);
        let links: Vec<&str> = it["links"]
            .as_array()
            .unwrap_or_else(|| panic!("{target} has no links in {it:#}"))
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        assert!(links.contains(&name.as_str()), "{name} not in {links:?}");
        let (hash, n) = name.split_once('.').unwrap();
        assert!(n.bytes().all(|b| b.is_ascii_digit()), "{name}");
        assert_eq!(
            hash,
            s(it, "subject_hash"),
            "openssl rehash named {target} {name}"
        );
    }
    // case_space/case_space_utf8only and multivalue/multivalue_reversed share hashes (distinct
    // certificates, so both get links: .0 and .1).
    assert_eq!(link_count, CASES.len(), "one link per certificate");
    // Links are not listed as items of their own.
    assert_eq!(items(&v).len(), CASES.len(), "symlinks listed twice: {v:#}");
}
