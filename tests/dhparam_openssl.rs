//! `certdeck generate dhparam`: the RFC 7919 groups, accepted by `openssl dhparam -check` and
//! byte-identical to what OpenSSL itself writes for the named group.

mod common;

use common::*;

#[test]
fn ffdhe_groups_pass_openssl_check() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path();
    let st = store.to_str().unwrap();
    for bits in ["2048", "3072", "4096"] {
        certdeck(&["--store", st, "generate", "dhparam", "--bits", bits]).ok();
        let file = format!("ffdhe{bits}.pem");
        let o = openssl(store, &["dhparam", "-check", "-noout", "-in", &file]);
        let text = format!("{}{}", stdout_of(&o), String::from_utf8_lossy(&o.stderr));
        assert!(text.contains("DH parameters appear to be ok"), "{text}");
        // Same parameters as OpenSSL's built-in named group.
        let reference = format!("ref{bits}.pem");
        openssl(
            store,
            &[
                "genpkey",
                "-genparam",
                "-algorithm",
                "DH",
                "-pkeyopt",
                &format!("group:ffdhe{bits}"),
                "-out",
                &reference,
            ],
        );
        assert_eq!(
            std::fs::read(store.join(&file)).unwrap(),
            std::fs::read(store.join(&reference)).unwrap(),
            "ffdhe{bits} differs from OpenSSL's"
        );
        std::fs::remove_file(store.join(&reference)).unwrap();
    }
    // --out, and the listing shows size and group.
    certdeck(&[
        "--store",
        st,
        "generate",
        "dhparam",
        "--bits",
        "2048",
        "--out",
        "tls/dh.pem",
    ])
    .ok();
    let v = list_json(store, &[]);
    let it = one(&v, "tls/dh.pem");
    assert_eq!(it["kind"], "dh_params");
    assert_eq!(it["bits"], 2048);
    assert_eq!(it["named_group"], "ffdhe2048");
    let it = one(&v, "ffdhe4096.pem");
    assert_eq!(it["named_group"], "ffdhe4096");
    // Never overwritten silently; unknown sizes refused.
    let r = certdeck(&["--store", st, "generate", "dhparam", "--bits", "2048"]);
    assert_ne!(r.code, Some(0));
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    let r = certdeck(&["--store", st, "generate", "dhparam", "--bits", "1024"]);
    assert_ne!(r.code, Some(0));
    assert!(r.stderr.contains("2048, 3072, 4096"), "{}", r.stderr);
}
