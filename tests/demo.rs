//! The demo store: created from scratch each time, checked with the real openssl CLI.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use certdeck::demo::create_demo_store;
use time::OffsetDateTime;

fn openssl(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("/usr/bin/openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("running /usr/bin/openssl");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
}

const FILES: &[&str] = &[
    "README.txt",
    "ca/root-ca.pem",
    "ca/intermediate-ca.pem",
    "ca/private/root-ca.key",
    "ca/private/intermediate-ca.key",
    "servers/api.example.com/cert.pem",
    "servers/api.example.com/chain.pem",
    "servers/api.example.com/fullchain.pem",
    "servers/api.example.com/privkey.pem",
    "servers/expiring.example.com.pem",
    "servers/private/expiring.example.com.key",
    "servers/old.example.com.pem",
    "servers/private/old.example.com.key",
    "clients/alice.pem",
    "clients/private/alice.key",
    "clients/mallory.pem",
    "clients/private/mallory.key",
    "clients/private/rpc.user.1.key",
    "keys/orphan.key",
    "der/legacy.der",
    "csr/new-service.csr",
    "csr/private/new-service.key",
    "crl/root-ca.crl",
    "trusted/rpc.user.1.pem",
];

const KEYS: &[&str] = &[
    "ca/private/root-ca.key",
    "ca/private/intermediate-ca.key",
    "servers/api.example.com/privkey.pem",
    "servers/private/expiring.example.com.key",
    "servers/private/old.example.com.key",
    "clients/private/alice.key",
    "clients/private/mallory.key",
    "clients/private/rpc.user.1.key",
    "keys/orphan.key",
    "csr/private/new-service.key",
];

fn check_store(d: &Path) {
    for f in FILES {
        assert!(d.join(f).is_file(), "{f} missing");
    }
    for k in KEYS {
        assert_eq!(mode(&d.join(k)), 0o600, "{k}");
        let text = std::fs::read_to_string(d.join(k)).unwrap();
        assert!(text.starts_with("-----BEGIN PRIVATE KEY-----"), "{k}");
    }
    for p in [
        "ca/private",
        "servers/private",
        "clients/private",
        "csr/private",
    ] {
        assert_eq!(mode(&d.join(p)), 0o700, "{p}");
    }
    for c in [
        "ca/root-ca.pem",
        "servers/api.example.com/cert.pem",
        "der/legacy.der",
    ] {
        assert_eq!(mode(&d.join(c)), 0o644, "{c}");
    }

    // The healthy server chains to the root through the intermediate, and fullchain is a bundle.
    let (ok, out) = openssl(
        d,
        &[
            "verify",
            "-CAfile",
            "ca/root-ca.pem",
            "-untrusted",
            "ca/intermediate-ca.pem",
            "servers/api.example.com/cert.pem",
        ],
    );
    assert!(ok && out.contains(": OK"), "{out}");
    let (ok, out) = openssl(
        d,
        &[
            "verify",
            "-CAfile",
            "ca/root-ca.pem",
            "-untrusted",
            "servers/api.example.com/chain.pem",
            "servers/api.example.com/fullchain.pem",
        ],
    );
    assert!(ok, "{out}");
    let full = std::fs::read_to_string(d.join("servers/api.example.com/fullchain.pem")).unwrap();
    assert_eq!(full.matches("BEGIN CERTIFICATE").count(), 2);
    // The key belongs to the certificate.
    let (_, a) = openssl(
        d,
        &[
            "pkey",
            "-in",
            "servers/api.example.com/privkey.pem",
            "-pubout",
        ],
    );
    let (_, b) = openssl(
        d,
        &[
            "x509",
            "-in",
            "servers/api.example.com/cert.pem",
            "-noout",
            "-pubkey",
        ],
    );
    assert_eq!(a, b);

    // Expiry states: healthy > 150 days, expiring within 30 days but not yet, old already expired.
    let checkend = |file: &str, days: i64| {
        openssl(
            d,
            &[
                "x509",
                "-noout",
                "-checkend",
                &(days * 86400).to_string(),
                "-in",
                file,
            ],
        )
        .0
    };
    assert!(checkend("servers/api.example.com/cert.pem", 150));
    assert!(checkend("servers/expiring.example.com.pem", 0));
    assert!(!checkend("servers/expiring.example.com.pem", 30));
    assert!(!checkend("servers/old.example.com.pem", 0));
    let (ok, out) = openssl(
        d,
        &[
            "verify",
            "-CAfile",
            "ca/root-ca.pem",
            "-untrusted",
            "ca/intermediate-ca.pem",
            "servers/old.example.com.pem",
        ],
    );
    assert!(!ok && out.contains("expired"), "{out}");

    // The CRL is the root's and revokes mallory, not alice.
    let (ok, out) = openssl(
        d,
        &[
            "crl",
            "-in",
            "crl/root-ca.crl",
            "-CAfile",
            "ca/root-ca.pem",
            "-noout",
        ],
    );
    assert!(ok && out.contains("verify OK"), "{out}");
    let crl_check = |file: &str| {
        openssl(
            d,
            &[
                "verify",
                "-crl_check",
                "-CRLfile",
                "crl/root-ca.crl",
                "-CAfile",
                "ca/root-ca.pem",
                file,
            ],
        )
    };
    let (ok, out) = crl_check("clients/mallory.pem");
    assert!(!ok && out.contains("certificate revoked"), "{out}");
    let (ok, out) = crl_check("clients/alice.pem");
    assert!(ok, "{out}");

    // DER certificate, CSR.
    let (ok, out) = openssl(
        d,
        &["x509", "-inform", "DER", "-in", "der/legacy.der", "-noout"],
    );
    assert!(ok, "{out}");
    let (ok, out) = openssl(
        d,
        &["req", "-verify", "-noout", "-in", "csr/new-service.csr"],
    );
    assert!(ok && out.contains("verify OK"), "{out}");

    // Hashed trust dir: <hash>.0 -> rpc.user.1.pem, relative.
    let (ok, hash) = openssl(
        d,
        &[
            "x509",
            "-subject_hash",
            "-noout",
            "-in",
            "trusted/rpc.user.1.pem",
        ],
    );
    assert!(ok);
    let link = d.join(format!("trusted/{}.0", hash.trim()));
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        Path::new("rpc.user.1.pem")
    );
    let links: Vec<_> = std::fs::read_dir(d.join("trusted"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(links.len(), 2, "{links:?}");
    // OpenSSL finds the certificate through the CApath.
    let (ok, out) = openssl(
        d,
        &[
            "verify",
            "-CApath",
            "trusted",
            "-no-CAfile",
            "-no-CAstore",
            "trusted/rpc.user.1.pem",
        ],
    );
    assert!(ok, "{out}");
}

#[test]
fn demo_store_twice_has_every_state_and_passes_openssl() {
    let now = OffsetDateTime::now_utc();
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    // One into an existing empty dir, one into a dir that does not exist yet.
    create_demo_store(a.path(), now).unwrap();
    let b_store = b.path().join("new/store");
    create_demo_store(&b_store, now).unwrap();
    check_store(a.path());
    check_store(&b_store);
    // Fresh keys every time.
    let ka = std::fs::read(a.path().join("keys/orphan.key")).unwrap();
    let kb = std::fs::read(b_store.join("keys/orphan.key")).unwrap();
    assert_ne!(ka, kb);
}

#[test]
fn demo_store_refuses_a_non_empty_dir() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("keep.txt"), "mine").unwrap();
    let err = create_demo_store(d.path(), OffsetDateTime::now_utc()).unwrap_err();
    assert!(err.to_string().contains("not empty"), "{err}");
    assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    let f = d.path().join("keep.txt");
    assert!(create_demo_store(&f, OffsetDateTime::now_utc()).is_err());
}
