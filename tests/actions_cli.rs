//! The write actions through the real binary, checked with the real `openssl` and `keytool`:
//! what certdeck generates, signs, imports and exports is what those tools accept, with the
//! right file modes, and failures leave the store exactly as it was.

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;

const KEYTOOL: &str = "/usr/bin/keytool";
/// Bookkeeping a write command may create even when it fails (the store lock).
const LOCK: &str = ".certdeck.lock";

fn new_store(tmp: &Path) -> std::path::PathBuf {
    let st = tmp.join("store");
    std::fs::create_dir(&st).unwrap();
    st
}

fn fail(r: &Run) -> &Run {
    assert_ne!(
        r.code,
        Some(0),
        "expected failure\nstdout:\n{}\nstderr:\n{}",
        r.stdout,
        r.stderr
    );
    r
}

fn verify_ok(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = run_with_timeout(OPENSSL, args, dir, None, Duration::from_secs(30));
    assert_eq!(code, Some(0), "openssl {args:?}\n{out}\n{err}");
    out + &err
}

#[test]
fn generated_leaves_verify_with_openssl_for_each_key_type() {
    let tmp = tempfile::tempdir().unwrap();
    let st = new_store(tmp.path());
    let st = st.as_path();
    for kt in ["ec-p256", "ed25519", "rsa-2048"] {
        let dir = format!("kt-{kt}");
        let ca_cn = format!("CA {kt}");
        cd(
            st,
            &[
                "generate",
                "ca",
                "--cn",
                &ca_cn,
                "--key-type",
                kt,
                "--dir",
                &dir,
            ],
        )
        .ok();
        let ca_pem = format!("{dir}/{}.pem", certdeck::actions::slug(&ca_cn));
        for (kind, cn) in [("server", "www.example.test"), ("client", "client one")] {
            let cn = format!("{cn} {kt}");
            let mut args = vec![
                "generate",
                kind,
                "--cn",
                &cn,
                "--key-type",
                kt,
                "--ca",
                &ca_cn,
                "--dir",
                &dir,
            ];
            let san = format!("DNS:www-{kt}.example.test");
            if kind == "server" {
                args.extend(["--san", &san]);
            }
            cd(st, &args).ok();
            let slug = certdeck::actions::slug(&cn);
            let leaf = format!("{dir}/{slug}.pem");
            let key = format!("{dir}/private/{slug}.key");
            let purpose = if kind == "server" {
                "sslserver"
            } else {
                "sslclient"
            };
            let out = verify_ok(
                st,
                &["verify", "-CAfile", &ca_pem, "-purpose", purpose, &leaf],
            );
            assert!(out.contains(": OK"), "{out}");
            // The key is the certificate's key.
            let pub_cert = verify_ok(st, &["x509", "-in", &leaf, "-noout", "-pubkey"]);
            let pub_key = verify_ok(st, &["pkey", "-in", &key, "-pubout"]);
            assert_eq!(pub_cert, pub_key, "{leaf} vs {key}");
            assert_eq!(mode_of(&st.join(&key)), 0o600, "{key}");
            if kind == "server" {
                let text = verify_ok(
                    st,
                    &["x509", "-in", &leaf, "-noout", "-ext", "subjectAltName"],
                );
                assert!(
                    text.contains(&format!("DNS:www-{kt}.example.test")),
                    "{text}"
                );
            }
        }
        assert_eq!(mode_of(&st.join(&dir).join("private")), 0o700);
        assert_eq!(
            mode_of(
                &st.join(&dir)
                    .join("private")
                    .join(format!("{}.key", certdeck::actions::slug(&ca_cn)))
            ),
            0o600
        );
    }
    // A healthy generated store: audit says OK.
    let a = cd(st, &["audit", "--no-system-trust"]);
    assert_eq!(a.code, Some(0), "{}\n{}", a.stdout, a.stderr);
}

#[test]
fn csr_generate_and_sign() {
    let tmp = tempfile::tempdir().unwrap();
    let st = new_store(tmp.path());
    let st = st.as_path();
    cd(st, &["generate", "ca", "--cn", "Sign CA"]).ok();
    cd(
        st,
        &[
            "generate",
            "csr",
            "--cn",
            "csr.example",
            "--san",
            "DNS:csr.example",
        ],
    )
    .ok();
    let out = verify_ok(st, &["req", "-in", "csr.example.csr", "-verify", "-noout"]);
    assert!(
        out.contains("verify OK") || out.contains("Certificate request self-signature verify OK"),
        "{out}"
    );
    assert_eq!(mode_of(&st.join("private/csr.example.key")), 0o600);

    // A CSR made by openssl (key stays outside the store) signed by the store's CA.
    let w = tmp.path();
    openssl(
        w,
        &[
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ext.key",
            "-out",
            "ext.csr",
            "-subj",
            "/CN=ext.example",
            "-addext",
            "subjectAltName=DNS:ext.example",
        ],
    );
    let csr = w.join("ext.csr");
    cd(
        st,
        &[
            "sign",
            csr.to_str().unwrap(),
            "--ca",
            "Sign CA",
            "--out",
            "issued/ext.pem",
        ],
    )
    .ok();
    let out = verify_ok(
        st,
        &[
            "verify",
            "-CAfile",
            "sign-ca.pem",
            "-purpose",
            "sslserver",
            "issued/ext.pem",
        ],
    );
    assert!(out.contains(": OK"), "{out}");
    let san = verify_ok(
        st,
        &[
            "x509",
            "-in",
            "issued/ext.pem",
            "-noout",
            "-ext",
            "subjectAltName",
        ],
    );
    assert!(san.contains("DNS:ext.example"), "{san}");
    // It certifies the CSR's key.
    let a = verify_ok(st, &["x509", "-in", "issued/ext.pem", "-noout", "-pubkey"]);
    let b = verify_ok(w, &["pkey", "-in", "ext.key", "-pubout"]);
    assert_eq!(a, b);
    // And the CSR made by certdeck signs too, as a client cert.
    let own = st.join("csr.example.csr");
    cd(
        st,
        &[
            "sign",
            own.to_str().unwrap(),
            "--ca",
            "Sign CA",
            "--profile",
            "client",
            "--out",
            "csr-signed.pem",
        ],
    )
    .ok();
    let out = verify_ok(
        st,
        &[
            "verify",
            "-CAfile",
            "sign-ca.pem",
            "-purpose",
            "sslclient",
            "csr-signed.pem",
        ],
    );
    assert!(out.contains(": OK"), "{out}");
    // Never overwrites silently.
    let snap = snapshot(st, &[LOCK]);
    fail(&cd(
        st,
        &[
            "sign",
            csr.to_str().unwrap(),
            "--ca",
            "Sign CA",
            "--out",
            "issued/ext.pem",
        ],
    ));
    assert_eq!(snap, snapshot(st, &[LOCK]));
}

#[test]
fn encrypted_key_opens_with_openssl() {
    let tmp = tempfile::tempdir().unwrap();
    let st = new_store(tmp.path());
    let st = st.as_path();
    let pass = write(tmp.path(), "pass.txt", "correct horse battery\n");
    cd(
        st,
        &[
            "generate",
            "server",
            "--cn",
            "enc.example",
            "--encrypt-key",
            "--new-passphrase-file",
            pass.to_str().unwrap(),
        ],
    )
    .ok();
    let key = std::fs::read_to_string(st.join("private/enc.example.key")).unwrap();
    assert!(
        key.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"),
        "{key}"
    );
    assert_eq!(mode_of(&st.join("private/enc.example.key")), 0o600);
    let passin = format!("file:{}", pass.display());
    let out = verify_ok(
        st,
        &[
            "pkey",
            "-in",
            "private/enc.example.key",
            "-passin",
            &passin,
            "-pubout",
        ],
    );
    let cert_pub = verify_ok(st, &["x509", "-in", "enc.example.pem", "-noout", "-pubkey"]);
    assert_eq!(out, cert_pub);
    // Wrong passphrase: openssl refuses.
    let bad = write(tmp.path(), "bad.txt", "wrong\n");
    let (code, _, _) = run_with_timeout(
        OPENSSL,
        &[
            "pkey",
            "-in",
            "private/enc.example.key",
            "-passin",
            &format!("file:{}", bad.display()),
            "-noout",
        ],
        st,
        None,
        Duration::from_secs(20),
    );
    assert_ne!(code, Some(0));
    // certdeck itself can use it as a CA key with --passphrase-file.
    cd(
        st,
        &[
            "generate",
            "ca",
            "--cn",
            "Enc CA",
            "--encrypt-key",
            "--new-passphrase-file",
            pass.to_str().unwrap(),
        ],
    )
    .ok();
    fail(&cd(
        st,
        &["generate", "client", "--cn", "needs-pass", "--ca", "Enc CA"],
    ));
    cd(
        st,
        &[
            "--passphrase-file",
            pass.to_str().unwrap(),
            "generate",
            "client",
            "--cn",
            "has-pass",
            "--ca",
            "Enc CA",
        ],
    )
    .ok();
    assert!(verify_ok(st, &["verify", "-CAfile", "enc-ca.pem", "has-pass.pem"]).contains(": OK"));
}

#[test]
fn dry_run_changes_nothing_and_prints_the_plan() {
    let tmp = tempfile::tempdir().unwrap();
    let st = new_store(tmp.path());
    let st = st.as_path();
    cd(st, &["generate", "ca", "--cn", "Dry CA"]).ok();
    cd(st, &["generate", "client", "--cn", "dry", "--ca", "Dry CA"]).ok();
    let snap = snapshot(st, &[]);
    let runs: Vec<Vec<&str>> = vec![
        vec!["generate", "server", "--cn", "new.example", "--dry-run"],
        vec!["trust", "Dry CA", "--dry-run"],
        vec!["rehash", ".", "--dry-run"],
        vec!["generate", "csr", "--cn", "c", "--dry-run", "--json"],
    ];
    for args in &runs {
        let r = cd(st, args);
        r.ok();
        assert_eq!(snap, snapshot(st, &[]), "{args:?} changed the store");
        if args.contains(&"--json") {
            let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
            assert_eq!(v["dry_run"], true);
            let ops = v["ops"].as_array().unwrap();
            assert!(
                ops.iter()
                    .any(|o| o["path"] == "private/c.key" && o["secret"] == true),
                "{v:#}"
            );
        } else {
            assert!(
                r.stdout.starts_with("dry run, nothing changed"),
                "{}",
                r.stdout
            );
        }
    }
    let r = cd(
        st,
        &["generate", "server", "--cn", "new.example", "--dry-run"],
    );
    assert!(
        r.stdout
            .contains("create  private/new.example.key  (0600, secret)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("create  new.example.pem"), "{}", r.stdout);
    let r = cd(st, &["trust", "Dry CA", "--dry-run"]);
    assert!(r.stdout.contains("trusted/dry-ca.pem"), "{}", r.stdout);
    assert!(r.stdout.contains("trusted/dry-ca.crl.pem"), "{}", r.stdout);
    // The revoke of something untrusted is an error even in a dry run... unless the CA key is
    // here: then it is a CRL update, planned but not done.
    let r = cd(st, &["revoke", "dry", "--dry-run"]);
    r.ok();
    assert!(r.stdout.contains("dry-ca.crl.pem"), "{}", r.stdout);
    assert_eq!(snap, snapshot(st, &[]));
}

/// A PKCS#12 (cert + key) made by openssl in `w`, protected by `pass`.
fn openssl_p12(w: &Path, name: &str, pass: &str) -> std::path::PathBuf {
    openssl(
        w,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
            "-subj",
            &format!("/CN={name}"),
            "-days",
            "90",
        ],
    );
    openssl(
        w,
        &[
            "pkcs12",
            "-export",
            "-in",
            &format!("{name}.pem"),
            "-inkey",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.p12"),
            "-passout",
            &format!("pass:{pass}"),
        ],
    );
    w.join(format!("{name}.p12"))
}

#[test]
fn import_pkcs12_orphans_and_replacement() {
    let tmp = tempfile::tempdir().unwrap();
    let st = new_store(tmp.path());
    let st = st.as_path();
    let w = tmp.path().join("work");
    std::fs::create_dir(&w).unwrap();
    let p12 = openssl_p12(&w, "p12user", "s3cret-p12");
    let good = write(&w, "good.txt", "s3cret-p12\n");
    let bad = write(&w, "bad.txt", "not-it\n");
    cd(st, &["generate", "ca", "--cn", "Existing CA"]).ok();
    let snap = snapshot(st, &[LOCK]);

    // Wrong passphrase: clear error, nothing changes.
    let r = cd(
        st,
        &[
            "--passphrase-file",
            bad.to_str().unwrap(),
            "import",
            p12.to_str().unwrap(),
        ],
    );
    fail(&r);
    assert!(
        r.stderr.to_lowercase().contains("passphrase"),
        "{}",
        r.stderr
    );
    assert_eq!(snap, snapshot(st, &[LOCK]));
    // No passphrase at all: same.
    fail(&cd(st, &["import", p12.to_str().unwrap()]));
    assert_eq!(snap, snapshot(st, &[LOCK]));
    // Truncated file: error, nothing changes.
    let data = std::fs::read(&p12).unwrap();
    let trunc = write(&w, "trunc.p12", &data[..data.len() / 2]);
    let r = cd(
        st,
        &[
            "--passphrase-file",
            good.to_str().unwrap(),
            "import",
            trunc.to_str().unwrap(),
        ],
    );
    fail(&r);
    assert!(!r.stderr.is_empty());
    assert_eq!(snap, snapshot(st, &[LOCK]));

    // Right passphrase: cert + key, key 0600, and they pair.
    cd(
        st,
        &[
            "--passphrase-file",
            good.to_str().unwrap(),
            "import",
            p12.to_str().unwrap(),
        ],
    )
    .ok();
    assert_eq!(mode_of(&st.join("private/p12user.key")), 0o600);
    assert_eq!(mode_of(&st.join("private")), 0o700);
    let a = verify_ok(st, &["x509", "-in", "p12user.pem", "-noout", "-pubkey"]);
    // The PKCS#12's key stays encrypted under its password (no --decrypt).
    let b = verify_ok(
        st,
        &[
            "pkey",
            "-in",
            "private/p12user.key",
            "-passin",
            "pass:s3cret-p12",
            "-pubout",
        ],
    );
    assert_eq!(a, b);
    assert_eq!(
        verify_ok(
            st,
            &[
                "x509",
                "-in",
                "p12user.pem",
                "-noout",
                "-fingerprint",
                "-sha256"
            ]
        ),
        verify_ok(
            &w,
            &[
                "x509",
                "-in",
                "p12user.pem",
                "-noout",
                "-fingerprint",
                "-sha256"
            ]
        )
    );
    // Importing it again: nothing new, an error, nothing changes.
    let snap = snapshot(st, &[LOCK]);
    fail(&cd(
        st,
        &[
            "--passphrase-file",
            good.to_str().unwrap(),
            "import",
            p12.to_str().unwrap(),
        ],
    ));
    assert_eq!(snap, snapshot(st, &[LOCK]));

    // A key that matches nothing: refused unless --allow-orphan-key.
    openssl(
        &w,
        &[
            "genpkey",
            "-algorithm",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "orphan.key",
        ],
    );
    let orphan = w.join("orphan.key");
    let r = cd(st, &["import", orphan.to_str().unwrap()]);
    fail(&r);
    assert!(r.stderr.contains("matches no certificate"), "{}", r.stderr);
    assert_eq!(snap, snapshot(st, &[LOCK]));
    cd(
        st,
        &["import", orphan.to_str().unwrap(), "--allow-orphan-key"],
    )
    .ok();
    let after = snapshot(st, &[LOCK]);
    let new_keys: Vec<_> = after
        .keys()
        .filter(|k| k.starts_with("private/") && !snap.contains_key(*k))
        .collect();
    assert_eq!(new_keys.len(), 1, "{after:#?}");
    assert_eq!(mode_of(&st.join(new_keys[0])), 0o600);
}

#[test]
fn import_ca_signed_cert_replaces_self_signed() {
    let tmp = tempfile::tempdir().unwrap();
    let st = new_store(tmp.path());
    let st = st.as_path();
    let w = tmp.path().join("work");
    std::fs::create_dir(&w).unwrap();
    cd(
        st,
        &[
            "generate",
            "server",
            "--cn",
            "web.example",
            "--san",
            "DNS:web.example",
        ],
    )
    .ok();
    let old = std::fs::read(st.join("web.example.pem")).unwrap();
    // An outside CA signs a CSR for the same key (what a real CA would hand back).
    let pki = Pki::new(&w);
    pki.root("extca", "/CN=External CA");
    openssl(
        &w,
        &[
            "req",
            "-new",
            "-key",
            st.join("private/web.example.key").to_str().unwrap(),
            "-subj",
            "/CN=web.example",
            "-out",
            "web.csr",
        ],
    );
    write(
        &w,
        "web.ext",
        "subjectAltName=DNS:web.example\nextendedKeyUsage=serverAuth\n",
    );
    openssl(
        &w,
        &[
            "x509",
            "-req",
            "-in",
            "web.csr",
            "-CA",
            "extca.pem",
            "-CAkey",
            "extca.key",
            "-CAcreateserial",
            "-days",
            "90",
            "-extfile",
            "web.ext",
            "-out",
            "web-signed.pem",
        ],
    );
    let r = cd(st, &["import", w.join("web-signed.pem").to_str().unwrap()]);
    r.ok();
    assert!(r.stdout.contains("replace web.example.pem"), "{}", r.stdout);
    let issuer = x509_field(st, "web.example.pem", "-issuer");
    assert!(issuer.contains("External CA"), "{issuer}");
    // The old self-signed certificate is in history, byte for byte.
    let hist = snapshot(&st.join("history"), &[]);
    let saved: Vec<_> = hist
        .keys()
        .filter(|k| k.ends_with("/web.example.pem"))
        .collect();
    assert_eq!(saved.len(), 1, "{hist:#?}");
    assert_eq!(
        std::fs::read(st.join("history").join(saved[0])).unwrap(),
        old
    );
    // The key was not touched and still pairs.
    let a = verify_ok(st, &["x509", "-in", "web.example.pem", "-noout", "-pubkey"]);
    let b = verify_ok(st, &["pkey", "-in", "private/web.example.key", "-pubout"]);
    assert_eq!(a, b);
}

#[test]
fn export_formats_read_by_keytool_and_openssl() {
    let tmp = tempfile::tempdir().unwrap();
    let st = new_store(tmp.path());
    let st = st.as_path();
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    cd(st, &["generate", "ca", "--cn", "Export CA"]).ok();
    cd(
        st,
        &[
            "generate",
            "server",
            "--cn",
            "exp.example",
            "--san",
            "DNS:exp.example",
            "--ca",
            "Export CA",
        ],
    )
    .ok();
    let pass = write(tmp.path(), "p12pass.txt", "export-pass-123\n");
    let pf = pass.to_str().unwrap();
    let p12 = out.join("exp.p12");
    let snap = snapshot(st, &[LOCK]);
    cd(
        st,
        &[
            "--passphrase-file",
            pf,
            "export",
            "exp.example",
            "--format",
            "p12",
            "--out",
            p12.to_str().unwrap(),
        ],
    )
    .ok();
    assert_eq!(mode_of(&p12), 0o600);
    let (code, so, se) = run_with_timeout(
        KEYTOOL,
        &[
            "-list",
            "-v",
            "-storetype",
            "PKCS12",
            "-keystore",
            p12.to_str().unwrap(),
            "-storepass:file",
            pf,
        ],
        tmp.path(),
        None,
        Duration::from_secs(60),
    );
    assert_eq!(code, Some(0), "keytool:\n{so}\n{se}");
    assert!(so.contains("PrivateKeyEntry"), "{so}");
    assert!(so.contains("CN=exp.example"), "{so}");
    assert!(so.contains("Issuer: CN=Export CA"), "{so}");
    // Like certbot's fullchain, the self-signed root is left out (peers must have it anyway).
    assert!(so.contains("Certificate chain length: 1"), "{so}");
    let passin = format!("file:{pf}");
    verify_ok(
        &out,
        &[
            "pkcs12", "-info", "-noout", "-in", "exp.p12", "-passin", &passin,
        ],
    );
    // The key inside is the store's key.
    let k = verify_ok(
        &out,
        &[
            "pkcs12", "-in", "exp.p12", "-passin", &passin, "-nocerts", "-nodes",
        ],
    );
    write(&out, "p12.key", k);
    assert_eq!(
        verify_ok(&out, &["pkey", "-in", "p12.key", "-pubout"]),
        verify_ok(st, &["pkey", "-in", "private/exp.example.key", "-pubout"])
    );

    // Legacy: 3DES + SHA-1 MAC; openssl 3 reads it (with -legacy where needed).
    let legacy = out.join("legacy.p12");
    cd(
        st,
        &[
            "--passphrase-file",
            pf,
            "export",
            "exp.example",
            "--format",
            "p12",
            "--legacy",
            "--out",
            legacy.to_str().unwrap(),
        ],
    )
    .ok();
    let (code, so, se) = run_with_timeout(
        OPENSSL,
        &[
            "pkcs12",
            "-info",
            "-noout",
            "-in",
            "legacy.p12",
            "-passin",
            &passin,
        ],
        &out,
        None,
        Duration::from_secs(20),
    );
    let text = if code == Some(0) {
        so + &se
    } else {
        verify_ok(
            &out,
            &[
                "pkcs12",
                "-legacy",
                "-info",
                "-noout",
                "-in",
                "legacy.p12",
                "-passin",
                &passin,
            ],
        )
    };
    assert!(text.contains("MAC: sha1"), "{text}");
    assert!(
        text.contains("TripleDES") || text.contains("3DES") || text.contains("RC2"),
        "{text}"
    );
    let (code, so, se) = run_with_timeout(
        KEYTOOL,
        &[
            "-list",
            "-storetype",
            "PKCS12",
            "-keystore",
            legacy.to_str().unwrap(),
            "-storepass:file",
            pf,
        ],
        tmp.path(),
        None,
        Duration::from_secs(60),
    );
    assert_eq!(code, Some(0), "keytool legacy:\n{so}\n{se}");

    // cert+key: one PEM with both, 0600.
    let ck = out.join("ck.pem");
    cd(
        st,
        &[
            "export",
            "exp.example",
            "--format",
            "cert+key",
            "--out",
            ck.to_str().unwrap(),
        ],
    )
    .ok();
    assert_eq!(mode_of(&ck), 0o600);
    let s = std::fs::read_to_string(&ck).unwrap();
    assert_eq!(s.matches("-----BEGIN CERTIFICATE-----").count(), 1, "{s}");
    assert_eq!(s.matches("-----BEGIN PRIVATE KEY-----").count(), 1, "{s}");
    assert_eq!(
        verify_ok(&out, &["pkey", "-in", "ck.pem", "-pubout"]),
        verify_ok(&out, &["x509", "-in", "ck.pem", "-noout", "-pubkey"])
    );
    // fullchain: leaf (+ intermediates; no self-signed root), verifies against the CA.
    let fc = out.join("fc.pem");
    cd(
        st,
        &[
            "export",
            "exp.example",
            "--format",
            "fullchain",
            "--out",
            fc.to_str().unwrap(),
        ],
    )
    .ok();
    let s = std::fs::read_to_string(&fc).unwrap();
    assert_eq!(s.matches("BEGIN CERTIFICATE").count(), 1, "{s}");
    let v = verify_ok(
        st,
        &["verify", "-CAfile", "export-ca.pem", fc.to_str().unwrap()],
    );
    assert!(v.contains(": OK"), "{v}");
    assert!(!s.contains("PRIVATE"));
    assert_eq!(mode_of(&fc), 0o644);
    let der = out.join("leaf.der");
    cd(
        st,
        &[
            "export",
            "exp.example",
            "--format",
            "der",
            "--out",
            der.to_str().unwrap(),
        ],
    )
    .ok();
    assert_eq!(
        verify_ok(
            &out,
            &[
                "x509",
                "-inform",
                "DER",
                "-in",
                "leaf.der",
                "-noout",
                "-fingerprint",
                "-sha256"
            ]
        ),
        verify_ok(
            st,
            &[
                "x509",
                "-in",
                "exp.example.pem",
                "-noout",
                "-fingerprint",
                "-sha256"
            ]
        )
    );
    // p12 without a password: refused.
    fail(&cd(
        st,
        &[
            "export",
            "exp.example",
            "--format",
            "p12",
            "--out",
            out.join("x.p12").to_str().unwrap(),
        ],
    ));
    // Exports never touch the store.
    assert_eq!(snap, snapshot(st, &[LOCK]));
}

#[test]
fn undo_after_trust_restores_the_trust_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let st = new_store(tmp.path());
    let st = st.as_path();
    cd(st, &["generate", "ca", "--cn", "Undo CA"]).ok();
    cd(st, &["generate", "client", "--cn", "u1", "--ca", "Undo CA"]).ok();
    cd(st, &["generate", "client", "--cn", "u2", "--ca", "Undo CA"]).ok();
    cd(st, &["trust", "Undo CA"]).ok();
    cd(st, &["trust", "u1"]).ok();
    let not_history = |m: std::collections::BTreeMap<String, String>| {
        m.into_iter()
            .filter(|(k, _)| !k.starts_with("history"))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let before = not_history(snapshot(st, &[LOCK]));
    let r = cd(st, &["trust", "u2", "--json"]);
    r.ok();
    let applied: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let trust_id = applied["id"].as_str().unwrap().to_string();
    assert!(st.join("trusted/u2.pem").exists());
    assert_ne!(before, not_history(snapshot(st, &[LOCK])));
    let u = cd(st, &["undo", "--json"]);
    u.ok();
    assert_eq!(
        before,
        not_history(snapshot(st, &[LOCK])),
        "undo output:\n{}",
        u.stdout
    );
    let journal = std::fs::read_to_string(st.join("history/journal.jsonl")).unwrap();
    let recs: Vec<serde_json::Value> = journal
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        recs.iter()
            .any(|r| r["id"] == trust_id.as_str() && r["action"] == "trust u2"),
        "{journal}"
    );
    assert!(
        recs.iter()
            .any(|r| r["id"] == trust_id.as_str() && r["state"] == "applied"),
        "{journal}"
    );
    assert!(
        recs.iter().any(|r| r["id"] != trust_id.as_str()
            && r["action"].as_str().is_some_and(|a| a.contains("undo"))),
        "no undo record:\n{journal}"
    );
    // Undo of a revoke (which rewrote the CRL) also restores the trust dir.
    let before = not_history(snapshot(st, &[LOCK]));
    cd(st, &["revoke", "u1"]).ok();
    cd(st, &["undo"]).ok();
    assert_eq!(before, not_history(snapshot(st, &[LOCK])));
    let a = cd(st, &["audit", "--no-system-trust"]);
    assert!(!a.stdout.contains("dangling-link"), "{}", a.stdout);
}

/// `renew`: the same key and names, signed again by the same CA, the old file in history;
/// `--read-only` refuses it before anything runs.
#[test]
fn renew_keeps_the_key_and_the_signer() {
    let tmp = tempfile::tempdir().unwrap();
    let st = new_store(tmp.path());
    let st = st.as_path();
    cd(st, &["generate", "ca", "--cn", "Renew CA"]).ok();
    cd(
        st,
        &[
            "generate",
            "server",
            "--cn",
            "renew.example",
            "--ca",
            "Renew CA",
            "--days",
            "30",
        ],
    )
    .ok();
    let pubkey = |st: &Path| {
        verify_ok(
            st,
            &["x509", "-in", "renew.example.pem", "-noout", "-pubkey"],
        )
    };
    let before = pubkey(st);
    let old = std::fs::read(st.join("renew.example.pem")).unwrap();
    let ro = cd(st, &["--read-only", "renew", "renew.example"]);
    assert!(
        fail(&ro).stderr.contains("read-only: `renew` writes"),
        "{}",
        ro.stderr
    );
    assert_eq!(std::fs::read(st.join("renew.example.pem")).unwrap(), old);
    cd(st, &["renew", "renew.example", "--days", "90"]).ok();
    assert_ne!(std::fs::read(st.join("renew.example.pem")).unwrap(), old);
    assert_eq!(pubkey(st), before, "same key");
    verify_ok(
        st,
        &["verify", "-CAfile", "renew-ca.pem", "renew.example.pem"],
    );
    let end = verify_ok(
        st,
        &[
            "x509",
            "-in",
            "renew.example.pem",
            "-noout",
            "-enddate",
            "-ext",
            "subjectAltName",
        ],
    );
    assert!(end.contains("DNS:renew.example"), "{end}");
    let hist = snapshot(&st.join("history"), &[]);
    assert!(!hist.is_empty(), "the old certificate went to history");
}
