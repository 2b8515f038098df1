//! Interop: what `pki::issue` makes must satisfy the real `openssl` CLI, and keys and CSRs made by
//! openssl must work with it.

use std::path::Path;
use std::process::Command;

use certdeck::pki::issue::{
    generate_key, issue, key_from_pem, key_to_pkcs8_pem, make_crl, make_csr, random_serial,
    sign_csr, IssueRequest, Issued, KeyType, Profile, Signer, SubjectSpec,
};
use certdeck::pki::pem::encode;
use rcgen::KeyPair;
use time::{Duration, OffsetDateTime};

const OPENSSL: &str = "/usr/bin/openssl";

/// Run openssl in `dir`; (success, stdout + stderr).
fn openssl(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(OPENSSL)
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

fn openssl_ok(dir: &Path, args: &[&str]) -> String {
    let (ok, text) = openssl(dir, args);
    assert!(ok, "openssl {args:?} failed:\n{text}");
    text
}

fn write(dir: &Path, name: &str, data: impl AsRef<[u8]>) {
    std::fs::write(dir.join(name), data).unwrap();
}

fn req(profile: Profile, cn: &str, sans: &[&str]) -> IssueRequest {
    let now = OffsetDateTime::now_utc();
    IssueRequest {
        profile,
        subject: SubjectSpec {
            cn: cn.into(),
            o: Some("certdeck tests".into()),
            c: Some("NZ".into()),
            ..Default::default()
        },
        sans: sans.iter().map(|s| s.to_string()).collect(),
        not_before: now - Duration::minutes(5),
        not_after: now + Duration::days(30),
        path_len: None,
    }
}

fn exts(dir: &Path, cert: &str) -> String {
    openssl_ok(
        dir,
        &[
            "x509",
            "-noout",
            "-in",
            cert,
            "-ext",
            "basicConstraints,keyUsage,extendedKeyUsage,subjectAltName,subjectKeyIdentifier,authorityKeyIdentifier",
        ],
    )
}

fn new_ca(kt: KeyType, cn: &str) -> (KeyPair, Issued) {
    let key = generate_key(kt).unwrap();
    let mut r = req(Profile::Ca, cn, &[]);
    r.path_len = Some(0);
    let cert = issue(&r, &key, None).unwrap();
    (key, cert)
}

#[test]
fn ca_server_client_for_every_key_type_verify_with_openssl() {
    for kt in KeyType::ALL {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // RSA 4096 is slow to generate: only its CA uses it, the leaves under it are RSA 2048.
        let leaf_kt = if kt == KeyType::Rsa4096 {
            KeyType::Rsa2048
        } else {
            kt
        };
        let (ca_key, ca) = new_ca(kt, &format!("CA {kt}"));
        write(d, "ca.pem", &ca.cert_pem);
        let signer = Signer {
            cert_der: &ca.cert_der,
            key: &ca_key,
        };
        let server_key = generate_key(leaf_kt).unwrap();
        let server = issue(
            &req(Profile::Server, "host.example.test", &["IP:192.0.2.1"]),
            &server_key,
            Some(signer),
        )
        .unwrap();
        write(d, "server.pem", &server.cert_pem);
        let client_key = generate_key(leaf_kt).unwrap();
        let client = issue(
            &req(Profile::Client, "client one", &["email:one@example.test"]),
            &client_key,
            Some(signer),
        )
        .unwrap();
        write(d, "client.pem", &client.cert_pem);

        let out = openssl_ok(
            d,
            &[
                "verify",
                "-CAfile",
                "ca.pem",
                "-purpose",
                "sslserver",
                "server.pem",
            ],
        );
        assert!(out.contains("server.pem: OK"), "{kt}: {out}");
        let out = openssl_ok(
            d,
            &[
                "verify",
                "-CAfile",
                "ca.pem",
                "-purpose",
                "sslclient",
                "client.pem",
            ],
        );
        assert!(out.contains("client.pem: OK"), "{kt}: {out}");
        // A server certificate is not a client certificate.
        let (ok, _) = openssl(
            d,
            &[
                "verify",
                "-CAfile",
                "ca.pem",
                "-purpose",
                "sslclient",
                "server.pem",
            ],
        );
        assert!(!ok, "{kt}: server cert accepted as client");

        let e = exts(d, "ca.pem");
        assert!(e.contains("CA:TRUE, pathlen:0"), "{kt}: {e}");
        assert!(
            e.contains("Digital Signature, Certificate Sign, CRL Sign"),
            "{kt}: {e}"
        );
        assert!(e.contains("Subject Key Identifier"), "{kt}: {e}");

        let e = exts(d, "server.pem");
        assert!(e.contains("CA:FALSE"), "{kt}: {e}");
        assert!(e.contains("TLS Web Server Authentication"), "{kt}: {e}");
        assert!(!e.contains("TLS Web Client Authentication"), "{kt}: {e}");
        assert!(
            e.contains("DNS:host.example.test, IP Address:192.0.2.1"),
            "{kt}: {e}"
        );
        if leaf_kt.is_rsa() {
            assert!(
                e.contains("Digital Signature, Key Encipherment"),
                "{kt}: {e}"
            );
        } else {
            assert!(e.contains("Digital Signature") && !e.contains("Key Encipherment"));
        }
        assert!(e.contains("Subject Key Identifier"), "{kt}: {e}");
        assert!(e.contains("Authority Key Identifier"), "{kt}: {e}");

        let e = exts(d, "client.pem");
        assert!(e.contains("CA:FALSE"), "{kt}: {e}");
        assert!(e.contains("TLS Web Client Authentication"), "{kt}: {e}");
        assert!(e.contains("email:one@example.test"), "{kt}: {e}");
        assert!(!e.contains("DNS:"), "{kt}: {e}");

        // The written key is what openssl reads as the certificate's key.
        write(d, "server.key", key_to_pkcs8_pem(&server_key));
        let a = openssl_ok(d, &["pkey", "-in", "server.key", "-pubout"]);
        let b = openssl_ok(d, &["x509", "-in", "server.pem", "-noout", "-pubkey"]);
        assert_eq!(a, b, "{kt}");
    }
}

#[test]
fn csr_verifies_and_signed_csrs_verify_against_the_ca() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ca_key, ca) = new_ca(KeyType::EcP256, "CSR CA");
    write(d, "ca.pem", &ca.cert_pem);
    let signer = Signer {
        cert_der: &ca.cert_der,
        key: &ca_key,
    };
    let now = OffsetDateTime::now_utc();

    for kt in [KeyType::EcP384, KeyType::Ed25519, KeyType::Rsa2048] {
        let key = generate_key(kt).unwrap();
        let subject = SubjectSpec {
            cn: "svc.example.test".into(),
            ou: Some("ops".into()),
            email: Some("ops@example.test".into()),
            ..Default::default()
        };
        let csr = make_csr(&subject, &["DNS:svc.example.test".into()], &key).unwrap();
        write(d, "req.pem", encode("CERTIFICATE REQUEST", &csr));
        let out = openssl_ok(d, &["req", "-verify", "-noout", "-in", "req.pem"]);
        assert!(out.contains("verify OK"), "{kt}: {out}");
        let out = openssl_ok(d, &["req", "-noout", "-subject", "-in", "req.pem"]);
        assert!(out.contains("CN = svc.example.test"), "{kt}: {out}");

        let signed =
            sign_csr(&csr, Profile::Server, now, now + Duration::days(10), signer).unwrap();
        write(d, "signed.pem", &signed.cert_pem);
        let out = openssl_ok(d, &["verify", "-CAfile", "ca.pem", "signed.pem"]);
        assert!(out.contains("signed.pem: OK"), "{kt}: {out}");
    }

    // An openssl-made request that asks to become a CA gets a plain server certificate.
    openssl_ok(
        d,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "evil.key",
            "-subj",
            "/C=US/O=Evil Corp/CN=evil.example.test",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-addext",
            "subjectAltName=DNS:evil.example.test,DNS:alt.example.test",
            "-addext",
            "nsComment=unknown to rcgen",
            "-outform",
            "DER",
            "-out",
            "evil.csr",
        ],
    );
    let csr = std::fs::read(d.join("evil.csr")).unwrap();
    let signed = sign_csr(&csr, Profile::Server, now, now + Duration::days(10), signer).unwrap();
    write(d, "evil.pem", &signed.cert_pem);
    let e = exts(d, "evil.pem");
    assert!(e.contains("CA:FALSE") && !e.contains("CA:TRUE"), "{e}");
    assert!(!e.contains("Certificate Sign"), "{e}");
    assert!(e.contains("TLS Web Server Authentication"), "{e}");
    assert!(
        e.contains("DNS:evil.example.test, DNS:alt.example.test"),
        "{e}"
    );
    let out = openssl_ok(d, &["verify", "-CAfile", "ca.pem", "evil.pem"]);
    assert!(out.contains("evil.pem: OK"), "{out}");
    let out = openssl_ok(d, &["x509", "-noout", "-subject", "-in", "evil.pem"]);
    assert!(
        out.contains("C = US, O = Evil Corp, CN = evil.example.test"),
        "{out}"
    );
}

#[test]
fn crl_verifies_and_revokes_with_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ca_key, ca) = new_ca(KeyType::EcP384, "CRL CA");
    write(d, "ca.pem", &ca.cert_pem);
    let signer = Signer {
        cert_der: &ca.cert_der,
        key: &ca_key,
    };
    let good = issue(
        &req(Profile::Client, "good", &[]),
        &generate_key(KeyType::EcP256).unwrap(),
        Some(signer),
    )
    .unwrap();
    let revoked = issue(
        &req(Profile::Client, "revoked", &[]),
        &generate_key(KeyType::EcP256).unwrap(),
        Some(signer),
    )
    .unwrap();
    write(d, "good.pem", &good.cert_pem);
    write(d, "revoked.pem", &revoked.cert_pem);
    let serial_hex = openssl_ok(d, &["x509", "-noout", "-serial", "-in", "revoked.pem"]);
    let serial_hex = serial_hex.trim().trim_start_matches("serial=").to_string();
    let serial = hex::decode(&serial_hex).unwrap();

    let now = OffsetDateTime::now_utc();
    let crl = make_crl(
        signer,
        &[
            (serial, now - Duration::hours(2)),
            (random_serial(), now - Duration::days(3)),
        ],
        now - Duration::minutes(5),
        now + Duration::days(7),
        42,
    )
    .unwrap();
    write(d, "crl.pem", encode("X509 CRL", &crl));

    let out = openssl_ok(d, &["crl", "-in", "crl.pem", "-CAfile", "ca.pem", "-noout"]);
    assert!(out.contains("verify OK"), "{out}");
    let text = openssl_ok(d, &["crl", "-in", "crl.pem", "-noout", "-text"]);
    assert!(
        text.contains(&format!("Serial Number: {serial_hex}")),
        "{text}"
    );
    assert!(text.contains("X509v3 CRL Number"), "{text}");
    assert!(text.contains("42"), "{text}");

    let (ok, out) = openssl(
        d,
        &[
            "verify",
            "-crl_check",
            "-CRLfile",
            "crl.pem",
            "-CAfile",
            "ca.pem",
            "revoked.pem",
        ],
    );
    assert!(!ok && out.contains("certificate revoked"), "{out}");
    let out = openssl_ok(
        d,
        &[
            "verify",
            "-crl_check",
            "-CRLfile",
            "crl.pem",
            "-CAfile",
            "ca.pem",
            "good.pem",
        ],
    );
    assert!(out.contains("good.pem: OK"), "{out}");
}

#[test]
fn openssl_made_ca_and_keys_work_as_signer() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // An openssl CA: PrintableString country, SHA-1 key identifiers, SEC1 key.
    openssl_ok(
        d,
        &[
            "ecparam",
            "-genkey",
            "-name",
            "prime256v1",
            "-noout",
            "-out",
            "ca.key",
        ],
    );
    openssl_ok(
        d,
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            "ca.key",
            "-subj",
            "/C=US/ST=Some State/O=Ext Org/CN=Ext CA",
            "-days",
            "30",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-out",
            "ca.pem",
        ],
    );
    let ca_key_pem = std::fs::read_to_string(d.join("ca.key")).unwrap();
    assert!(ca_key_pem.contains("BEGIN EC PRIVATE KEY"));
    let ca_key = key_from_pem(&ca_key_pem).unwrap();
    openssl_ok(
        d,
        &["x509", "-in", "ca.pem", "-outform", "DER", "-out", "ca.der"],
    );
    let ca_der = std::fs::read(d.join("ca.der")).unwrap();
    let signer = Signer {
        cert_der: &ca_der,
        key: &ca_key,
    };

    // PKCS#1 RSA key from openssl for the leaf.
    openssl_ok(d, &["genrsa", "-traditional", "-out", "leaf.key", "2048"]);
    let leaf_pem = std::fs::read_to_string(d.join("leaf.key")).unwrap();
    assert!(leaf_pem.contains("BEGIN RSA PRIVATE KEY"));
    let leaf_key = key_from_pem(&leaf_pem).unwrap();
    let leaf = issue(
        &req(Profile::Server, "ext.example.test", &[]),
        &leaf_key,
        Some(signer),
    )
    .unwrap();
    write(d, "leaf.pem", &leaf.cert_pem);
    let out = openssl_ok(d, &["verify", "-CAfile", "ca.pem", "leaf.pem"]);
    assert!(out.contains("leaf.pem: OK"), "{out}");
    let a = openssl_ok(d, &["pkey", "-in", "leaf.key", "-pubout"]);
    let b = openssl_ok(d, &["x509", "-in", "leaf.pem", "-noout", "-pubkey"]);
    assert_eq!(a, b);

    // The CRL's authorityKeyIdentifier is the CA's (SHA-1 style) subjectKeyIdentifier.
    let now = OffsetDateTime::now_utc();
    let crl = make_crl(signer, &[], now, now + Duration::days(1), 1).unwrap();
    write(d, "crl.pem", encode("X509 CRL", &crl));
    let out = openssl_ok(d, &["crl", "-in", "crl.pem", "-CAfile", "ca.pem", "-noout"]);
    assert!(out.contains("verify OK"), "{out}");
    let out = openssl_ok(
        d,
        &[
            "verify",
            "-crl_check",
            "-CRLfile",
            "crl.pem",
            "-CAfile",
            "ca.pem",
            "leaf.pem",
        ],
    );
    assert!(out.contains("leaf.pem: OK"), "{out}");

    // The openssl CA's key does not sign as a different CA.
    let (_, other) = new_ca(KeyType::EcP256, "Other");
    let wrong = Signer {
        cert_der: &other.cert_der,
        key: &ca_key,
    };
    assert!(issue(&req(Profile::Client, "x", &[]), &leaf_key, Some(wrong)).is_err());
}
