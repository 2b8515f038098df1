//! The Integration Manager seed ("Enabling HTTPS": keytool keystore, CSR, CA reply, cacerts)
//! end to end, with the real `keytool` on both sides: keytool lists what certdeck writes, and
//! certdeck lists what keytool writes. Passwords go through files (`-storepass:file`,
//! `--passphrase-file`), never argv.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

const ALIAS: &str = "integration-manager";

fn list_v(dir: &Path, store: &str, pass: &Path) -> String {
    keytool_ok(
        dir,
        &[
            "-list",
            "-v",
            "-storetype",
            "PKCS12",
            "-keystore",
            store,
            "-storepass:file",
            pass.to_str().unwrap(),
        ],
    )
}

struct Env {
    _tmp: tempfile::TempDir,
    store: std::path::PathBuf,
    pw1: std::path::PathBuf,
    pw2: std::path::PathBuf,
}

fn env() -> Env {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let secrets = tmp.path().join("secrets");
    std::fs::create_dir_all(&store).unwrap();
    std::fs::create_dir_all(&secrets).unwrap();
    let pw1 = write(&secrets, "pw1", "D0N0tU5eTh1sP@ssW0rd!\n");
    let pw2 = write(&secrets, "pw2", "an0ther-l0ng-pass\n");
    Env {
        _tmp: tmp,
        store,
        pw1,
        pw2,
    }
}

impl Env {
    fn s(&self) -> &str {
        self.store.to_str().unwrap()
    }
    fn cd(&self, args: &[&str]) -> Run {
        let mut a = vec!["--store", self.s()];
        a.extend_from_slice(args);
        certdeck(&a)
    }
    fn p1(&self) -> &str {
        self.pw1.to_str().unwrap()
    }
    fn p2(&self) -> &str {
        self.pw2.to_str().unwrap()
    }
    fn make_ca(&self) {
        self.cd(&["generate", "ca", "--cn", "Test CA"]).ok();
    }
}

fn keystore_item<'a>(v: &'a Value, path: &str) -> &'a Value {
    at(v, path)
        .into_iter()
        .find(|i| i["kind"] == "keystore")
        .unwrap_or_else(|| panic!("no keystore item at {path} in {v:#}"))
}

fn entry<'a>(ks: &'a Value, alias: &str) -> &'a Value {
    ks["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["alias"] == alias)
        .unwrap_or_else(|| panic!("no entry {alias} in {ks:#}"))
}

/// Option A driven by certdeck: genkeypair, certreq, sign, import-reply; keytool checks each step.
#[test]
fn certdeck_writes_keytool_reads() {
    let e = env();
    e.make_ca();
    e.cd(&[
        "keystore",
        "genkeypair",
        "keystore.p12",
        "--alias",
        ALIAS,
        "--cn",
        "im.example.com",
        "--o",
        "Example",
        "--days",
        "3650",
        "--new-passphrase-file",
        e.p1(),
    ])
    .ok();
    let ks = e.store.join("keystore.p12");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&ks).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let l = list_v(&e.store, "keystore.p12", &e.pw1);
    assert!(l.contains(&format!("Alias name: {ALIAS}")), "{l}");
    assert!(l.contains("Entry type: PrivateKeyEntry"), "{l}");
    assert!(l.contains("Certificate chain length: 1"), "{l}");
    assert!(l.contains("CN=im.example.com"), "{l}");

    // certreq -> sign with the store's CA -> import-reply.
    e.cd(&[
        "--passphrase-file",
        e.p1(),
        "keystore",
        "certreq",
        "keystore.p12",
        "--alias",
        ALIAS,
        "--out",
        "im.csr",
    ])
    .ok();
    let o = openssl(
        &e.store,
        &["req", "-in", "im.csr", "-noout", "-verify", "-subject"],
    );
    assert!(stdout_of(&o).contains("im.example.com"));
    let csr = e.store.join("im.csr");
    e.cd(&[
        "sign",
        csr.to_str().unwrap(),
        "--ca",
        "Test CA",
        "--out",
        "im.pem",
    ])
    .ok();

    // A reply for another key is refused and changes nothing.
    let before = std::fs::read(&ks).unwrap();
    let wrong = e.cd(&[
        "--passphrase-file",
        e.p1(),
        "keystore",
        "import-reply",
        "keystore.p12",
        "--alias",
        ALIAS,
        e.store.join("test-ca.pem").to_str().unwrap(),
    ]);
    assert_ne!(wrong.code, Some(0));
    assert!(wrong.stderr.contains("does not match"), "{}", wrong.stderr);
    assert_eq!(std::fs::read(&ks).unwrap(), before);

    e.cd(&[
        "--passphrase-file",
        e.p1(),
        "keystore",
        "import-reply",
        "keystore.p12",
        "--alias",
        ALIAS,
        e.store.join("im.pem").to_str().unwrap(),
    ])
    .ok();
    let l = list_v(&e.store, "keystore.p12", &e.pw1);
    assert!(l.contains("Entry type: PrivateKeyEntry"), "{l}");
    assert!(l.contains("Certificate chain length: 2"), "{l}");
    assert!(l.contains("Issuer: CN=Test CA"), "{l}");
    // The old keystore went to history.
    let hist: Vec<_> = walk(&e.store.join("history"))
        .into_iter()
        .filter(|p| p.ends_with("keystore.p12"))
        .collect();
    assert!(!hist.is_empty(), "old keystore not in history");

    // Step 3: the CA into a cacerts-style truststore as trustedCertEntry.
    e.cd(&[
        "keystore",
        "add-trusted",
        "cacerts.p12",
        "--alias",
        "test-ca",
        e.store.join("test-ca.pem").to_str().unwrap(),
        "--new-passphrase-file",
        e.p1(),
    ])
    .ok();
    let l = list_v(&e.store, "cacerts.p12", &e.pw1);
    assert!(l.contains("Alias name: test-ca"), "{l}");
    assert!(l.contains("Entry type: trustedCertEntry"), "{l}");

    // certdeck reads its own files back.
    let v = list_json(&e.store, &["--passphrase-file", e.p1()]);
    let k = keystore_item(&v, "keystore.p12");
    assert_eq!(k["locked"], false);
    assert_eq!(entry(k, ALIAS)["entry_type"], "private_key_entry");
    assert_eq!(entry(k, ALIAS)["certificates"], 2);
    let t = keystore_item(&v, "cacerts.p12");
    assert_eq!(entry(t, "test-ca")["entry_type"], "trusted_cert_entry");

    // passwd: the new password works for keytool, the old one no longer does.
    e.cd(&[
        "--passphrase-file",
        e.p1(),
        "keystore",
        "passwd",
        "keystore.p12",
        "--new-passphrase-file",
        e.p2(),
    ])
    .ok();
    let l = list_v(&e.store, "keystore.p12", &e.pw2);
    assert!(l.contains("Certificate chain length: 2"), "{l}");
    let (ok, out) = keytool(
        &e.store,
        &[
            "-list",
            "-storetype",
            "PKCS12",
            "-keystore",
            "keystore.p12",
            "-storepass:file",
            e.p1(),
        ],
    );
    assert!(!ok, "old password still opens the keystore:\n{out}");
    // The key itself still works: openssl opens it with the new password.
    openssl(
        &e.store,
        &[
            "pkcs12",
            "-in",
            "keystore.p12",
            "-nokeys",
            "-passin",
            &format!("file:{}", e.p2()),
            "-out",
            "/dev/null",
        ],
    );
}

/// Option A driven by keytool (the seed's commands); certdeck lists every step and signs the CSR.
#[test]
fn keytool_writes_certdeck_reads() {
    let e = env();
    e.make_ca();
    let p = e.p1();
    keytool_ok(
        &e.store,
        &[
            "-genkeypair",
            "-alias",
            ALIAS,
            "-keyalg",
            "RSA",
            "-keysize",
            "2048",
            "-storetype",
            "PKCS12",
            "-keystore",
            "keystore.p12",
            "-validity",
            "3650",
            "-dname",
            "CN=im.example.com, OU=IM, O=Example",
            "-storepass:file",
            p,
        ],
    );
    let v = list_json(&e.store, &["--passphrase-file", p]);
    let k = keystore_item(&v, "keystore.p12");
    assert_eq!(entry(k, ALIAS)["entry_type"], "private_key_entry");
    assert_eq!(entry(k, ALIAS)["certificates"], 1);
    // The key pairs with the entry's certificate.
    let key = items(&v)
        .iter()
        .find(|i| i["kind"] == "private_key" && i["alias"] == ALIAS)
        .expect("entry key listed");
    assert_eq!(key["key_algorithm"], "RSA");
    assert_eq!(key["pairs_with"].as_array().unwrap().len(), 1);

    keytool_ok(
        &e.store,
        &[
            "-certreq",
            "-alias",
            ALIAS,
            "-keyalg",
            "RSA",
            "-file",
            "certificate-signing-request.txt",
            "-storetype",
            "PKCS12",
            "-keystore",
            "keystore.p12",
            "-storepass:file",
            p,
        ],
    );
    let csr = e.store.join("certificate-signing-request.txt");
    e.cd(&[
        "sign",
        csr.to_str().unwrap(),
        "--ca",
        "Test CA",
        "--out",
        "im.cer",
    ])
    .ok();
    // The CA first as a trusted entry (keytool builds the reply's chain from it), then the reply.
    keytool_ok(
        &e.store,
        &[
            "-importcert",
            "-alias",
            "root",
            "-file",
            "test-ca.pem",
            "-noprompt",
            "-storetype",
            "PKCS12",
            "-keystore",
            "keystore.p12",
            "-storepass:file",
            p,
        ],
    );
    keytool_ok(
        &e.store,
        &[
            "-importcert",
            "-alias",
            ALIAS,
            "-file",
            "im.cer",
            "-noprompt",
            "-storetype",
            "PKCS12",
            "-keystore",
            "keystore.p12",
            "-storepass:file",
            p,
        ],
    );
    let v = list_json(&e.store, &["--passphrase-file", p]);
    let k = keystore_item(&v, "keystore.p12");
    assert_eq!(entry(k, ALIAS)["entry_type"], "private_key_entry");
    assert_eq!(entry(k, ALIAS)["certificates"], 2);
    assert_eq!(entry(k, "root")["entry_type"], "trusted_cert_entry");

    // Step 3: export the server certificate and import it into a cacerts-style store. Java
    // writes the certificate's own EKU (serverAuth) in the trusted-key-usage attribute.
    keytool_ok(
        &e.store,
        &[
            "-exportcert",
            "-alias",
            ALIAS,
            "-keystore",
            "keystore.p12",
            "-file",
            "integration-manager.cer",
            "-storetype",
            "pkcs12",
            "-noprompt",
            "-storepass:file",
            p,
        ],
    );
    keytool_ok(
        &e.store,
        &[
            "-import",
            "-alias",
            ALIAS,
            "-file",
            "integration-manager.cer",
            "-noprompt",
            "-storetype",
            "PKCS12",
            "-keystore",
            "cacerts",
            "-storepass:file",
            p,
        ],
    );
    let v = list_json(&e.store, &["--passphrase-file", p]);
    let t = keystore_item(&v, "cacerts");
    assert_eq!(entry(t, ALIAS)["entry_type"], "trusted_cert_entry");

    // certdeck can add to the keytool-made truststore, and keytool still lists both.
    e.cd(&[
        "--passphrase-file",
        p,
        "keystore",
        "add-trusted",
        "cacerts",
        "--alias",
        "test-ca",
        e.store.join("test-ca.pem").to_str().unwrap(),
    ])
    .ok();
    let l = list_v(&e.store, "cacerts", &e.pw1);
    assert!(l.contains("Your keystore contains 2 entries"), "{l}");
    assert_eq!(l.matches("Entry type: trustedCertEntry").count(), 2, "{l}");

    // The reverse reply path on a keytool keystore: a second keytool key, certdeck certreq,
    // certdeck sign, certdeck import-reply; keytool shows chain length 2.
    keytool_ok(
        &e.store,
        &[
            "-genkeypair",
            "-alias",
            "second",
            "-keyalg",
            "RSA",
            "-keysize",
            "2048",
            "-storetype",
            "PKCS12",
            "-keystore",
            "keystore.p12",
            "-dname",
            "CN=second.example.com",
            "-storepass:file",
            p,
        ],
    );
    e.cd(&[
        "--passphrase-file",
        p,
        "keystore",
        "certreq",
        "keystore.p12",
        "--alias",
        "second",
        "--out",
        "second.csr",
    ])
    .ok();
    let csr = e.store.join("second.csr");
    e.cd(&[
        "sign",
        csr.to_str().unwrap(),
        "--ca",
        "Test CA",
        "--out",
        "second.pem",
    ])
    .ok();
    e.cd(&[
        "--passphrase-file",
        p,
        "keystore",
        "import-reply",
        "keystore.p12",
        "--alias",
        "second",
        e.store.join("second.pem").to_str().unwrap(),
    ])
    .ok();
    let l = list_v(&e.store, "keystore.p12", &e.pw1);
    let second = l.split("Alias name: second").nth(1).expect("second listed");
    assert!(second.contains("Certificate chain length: 2"), "{l}");
    // keytool's own entries survived certdeck's rewrite.
    assert!(l.contains("Alias name: root"), "{l}");
    assert!(l.contains(&format!("Alias name: {ALIAS}")), "{l}");
}

/// JKS is read (entries and certificates; the key with its password), never written: a change
/// is refused with the exact conversion command.
#[test]
fn jks_is_read_and_writing_it_is_refused_with_the_conversion_command() {
    let e = env();
    keytool_ok(
        &e.store,
        &[
            "-genkeypair",
            "-alias",
            "a",
            "-keyalg",
            "EC",
            "-storetype",
            "JKS",
            "-keystore",
            "old.jks",
            "-dname",
            "CN=a.example.com",
            "-storepass:file",
            e.p1(),
        ],
    );
    let v = list_json(&e.store, &[]);
    let at_jks = at(&v, "old.jks");
    let k = at_jks.iter().find(|i| i["kind"] == "keystore").unwrap();
    assert!(k["error"].is_null(), "{k:#}");
    assert_eq!(k["format"], "jks");
    let cert = at_jks.iter().find(|i| i["kind"] == "certificate").unwrap();
    assert_eq!(s(cert, "common_name"), "a.example.com");
    assert_eq!(s(cert, "alias"), "a");
    let r = e.cd(&[
        "--passphrase-file",
        e.p1(),
        "keystore",
        "passwd",
        "old.jks",
        "--new-passphrase-file",
        e.p2(),
    ]);
    assert_ne!(r.code, Some(0));
    assert!(r.stderr.contains("keytool -importkeystore"), "{}", r.stderr);
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
