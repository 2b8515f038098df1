//! PKCS#12 files made by the real tools — openssl 3 (default, `-legacy`, `-nomac`, `-macalg
//! sha512`, `-certpbe NONE`, `-keypbe NONE`, `-passout pass:`), pyca/cryptography (every encryption
//! option of `serialize_key_and_certificates`) and keytool (default store type, `-storetype PKCS12`,
//! PBES2 with HMAC-SHA1, a truststore without password) — are opened by certdeck with the same
//! certificates and keys `openssl pkcs12 -info -nodes` prints. Files without a password open
//! without one (both empty-password encodings), a wrong passphrase is still one, an algorithm
//! certdeck lacks is named, and truncated files are error items.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use common::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

const PASS: &str = "secret123";

/// The corpus: `corpus/` holds the .p12 files, `pki/` what they were made from.
struct Corpus {
    _tmp: tempfile::TempDir,
    pki: PathBuf,
    dir: PathBuf,
    /// (file, its password: PASS or "")
    files: Vec<(String, &'static str)>,
}

/// A Python that has pyca/cryptography with the PKCS#12 encryption builder (38+): the Debian
/// package first (what scripts/test.sh installs), then whatever `python3` is.
fn python() -> String {
    for py in ["/usr/bin/python3", "python3"] {
        let ok = Command::new(py)
            .args([
                "-c",
                "from cryptography.hazmat.primitives.serialization import PrivateFormat; \
                 PrivateFormat.PKCS12.encryption_builder",
            ])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return py.to_string();
        }
    }
    panic!("no python3 with cryptography >= 38 (apt-get install python3-cryptography; scripts/test.sh does)");
}

const PYCA: &str = r#"
import sys
from cryptography import x509
from cryptography.hazmat.primitives import serialization, hashes
from cryptography.hazmat.primitives.serialization import pkcs12, PrivateFormat, BestAvailableEncryption, NoEncryption
key = serialization.load_pem_private_key(open("leaf.key", "rb").read(), None)
cert = x509.load_pem_x509_certificate(open("leaf.pem", "rb").read())
ca = x509.load_pem_x509_certificate(open("ca.pem", "rb").read())
pw = sys.argv[2].encode()
B = PrivateFormat.PKCS12.encryption_builder
PBES = pkcs12.PBES
variants = {
    "best": BestAvailableEncryption(pw),
    "none": NoEncryption(),
    "rounds": B().kdf_rounds(5000).build(pw),
    "3des": B().key_cert_algorithm(PBES.PBESv1SHA1And3KeyTripleDESCBC).build(pw),
    "aes": B().key_cert_algorithm(PBES.PBESv2SHA256AndAES256CBC).build(pw),
    "3des-sha1": B().key_cert_algorithm(PBES.PBESv1SHA1And3KeyTripleDESCBC).hmac_hash(hashes.SHA1()).build(pw),
    "aes-sha256": B().key_cert_algorithm(PBES.PBESv2SHA256AndAES256CBC).hmac_hash(hashes.SHA256()).build(pw),
    "aes-sha1": B().key_cert_algorithm(PBES.PBESv2SHA256AndAES256CBC).hmac_hash(hashes.SHA1()).build(pw),
}
for name, enc in variants.items():
    with open(f"{sys.argv[1]}/pyca-{name}.p12", "wb") as f:
        f.write(pkcs12.serialize_key_and_certificates(b"leaf", key, cert, [ca], enc))
"#;

fn corpus() -> Corpus {
    let tmp = tempfile::tempdir().unwrap();
    let pki_dir = tmp.path().join("pki");
    let dir = tmp.path().join("corpus");
    std::fs::create_dir_all(&dir).unwrap();
    let pki = Pki::new(&pki_dir);
    pki.root("ca", "/CN=P12 Interop Root");
    pki.signed("leaf", "/CN=leaf.p12.test", "ca", false, KeyType::Rsa2048);
    write(&pki_dir, "pw", format!("{PASS}\n"));
    let mut files = vec![];

    // openssl 3
    let out = |n: &str| dir.join(n).to_str().unwrap().to_string();
    for (name, extra) in [
        ("openssl-default.p12", vec![]),
        ("openssl-legacy.p12", vec!["-legacy"]),
        ("openssl-nomac.p12", vec!["-nomac"]),
        ("openssl-sha512.p12", vec!["-macalg", "sha512"]),
        ("openssl-certpbe-none.p12", vec!["-certpbe", "NONE"]),
        ("openssl-keypbe-none.p12", vec!["-keypbe", "NONE"]),
        ("openssl-empty.p12", vec![]),
    ] {
        let o = out(name);
        let passout = if name == "openssl-empty.p12" {
            "pass:"
        } else {
            "file:pw"
        };
        let mut args = vec![
            "pkcs12",
            "-export",
            "-in",
            "leaf.pem",
            "-inkey",
            "leaf.key",
            "-certfile",
            "ca.pem",
            "-name",
            "leaf",
            "-passout",
            passout,
            "-out",
            &o,
        ];
        args.extend(extra);
        openssl(&pki_dir, &args);
        files.push((name.to_string(), if passout == "pass:" { "" } else { PASS }));
    }

    // pyca/cryptography
    let py = Command::new(python())
        .args(["-c", PYCA, dir.to_str().unwrap(), PASS])
        .current_dir(&pki_dir)
        .output()
        .unwrap();
    assert!(
        py.status.success(),
        "pyca: {}",
        String::from_utf8_lossy(&py.stderr)
    );
    for v in [
        "best",
        "none",
        "rounds",
        "3des",
        "aes",
        "3des-sha1",
        "aes-sha256",
        "aes-sha1",
    ] {
        files.push((format!("pyca-{v}.p12"), if v == "none" { "" } else { PASS }));
    }

    // keytool: the JDK default store type (PKCS12 since Java 9) with a key and a trusted CA ...
    let ks = |n: &str| out(n);
    let kt = |args: &[&str]| {
        keytool_ok(&pki_dir, args);
    };
    let genkey = |file: &str, keyalg: &str, extra: &[&str]| {
        let mut a = vec![
            "-genkeypair",
            "-alias",
            "srv",
            "-keyalg",
            keyalg,
            "-dname",
            "CN=java.p12.test",
            "-keystore",
            file,
            "-storepass:file",
            "pw",
            "-keypass:file",
            "pw",
        ];
        a.extend(extra);
        kt(&a);
    };
    let jdefault = ks("keytool-default.p12");
    genkey(&jdefault, "RSA", &[]);
    kt(&[
        "-importcert",
        "-noprompt",
        "-alias",
        "root",
        "-file",
        "ca.pem",
        "-keystore",
        &jdefault,
        "-storepass:file",
        "pw",
    ]);
    let jexplicit = ks("keytool-pkcs12.p12");
    genkey(&jexplicit, "EC", &["-storetype", "PKCS12"]);
    // ... PBES2 with PBKDF2-HMAC-SHA1 and AES-256 (the algorithm p12-keystore lacked) ...
    let jsha1 = ks("keytool-hmacsha1.p12");
    kt(&[
        "-importkeystore",
        "-srckeystore",
        &jdefault,
        "-srcstorepass:file",
        "pw",
        "-destkeystore",
        &jsha1,
        "-deststoretype",
        "pkcs12",
        "-deststorepass:file",
        "pw",
        "-J-Dkeystore.pkcs12.keyProtectionAlgorithm=PBEWithHmacSHA1AndAES_256",
        "-J-Dkeystore.pkcs12.certProtectionAlgorithm=PBEWithHmacSHA1AndAES_256",
        "-J-Dkeystore.pkcs12.macAlgorithm=HmacPBESHA1",
    ]);
    // ... and a truststore without MAC or encryption (like the JDK's cacerts).
    let jtrust = ks("keytool-truststore.p12");
    kt(&[
        "-importcert",
        "-noprompt",
        "-alias",
        "root",
        "-file",
        "ca.pem",
        "-keystore",
        &jtrust,
        "-storetype",
        "PKCS12",
        "-storepass:file",
        "pw",
        "-J-Dkeystore.pkcs12.certProtectionAlgorithm=NONE",
        "-J-Dkeystore.pkcs12.macAlgorithm=NONE",
    ]);
    for f in [
        "keytool-default.p12",
        "keytool-pkcs12.p12",
        "keytool-hmacsha1.p12",
        "keytool-truststore.p12",
    ] {
        files.push((f.to_string(), PASS));
    }
    Corpus {
        _tmp: tmp,
        pki: pki_dir,
        dir,
        files,
    }
}

/// What `openssl pkcs12 -info -nodes` shows: certificate SHA-256s and the number of keys
/// (`-legacy` when the default provider cannot decrypt it).
fn openssl_view(file: &Path, pass: &str) -> (BTreeSet<String>, usize) {
    let passin = format!("pass:{pass}");
    let f = file.to_str().unwrap();
    let run = |legacy: bool| {
        let mut c = Command::new(OPENSSL);
        c.args(["pkcs12", "-in", f, "-info", "-nodes", "-passin", &passin]);
        if legacy {
            c.arg("-legacy");
        }
        c.output().unwrap()
    };
    let mut o = run(false);
    if !o.status.success() {
        o = run(true);
    }
    assert!(
        o.status.success(),
        "openssl pkcs12 -info {f}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8_lossy(&o.stdout);
    let mut certs = BTreeSet::new();
    let mut keys = 0;
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        if l.contains("PRIVATE KEY-----") && l.starts_with("-----BEGIN") {
            keys += 1;
        }
        if l == "-----BEGIN CERTIFICATE-----" {
            let b64: String = lines
                .by_ref()
                .take_while(|l| !l.starts_with("-----END"))
                .collect();
            let der = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap();
            certs.insert(hex::encode(Sha256::digest(&der)));
        }
    }
    (certs, keys)
}

/// certdeck's view of one file in a listing: (keystore item, certificate SHA-256s, key count).
fn certdeck_view<'a>(v: &'a Value, file: &str) -> (&'a Value, BTreeSet<String>, usize) {
    let items = at(v, file);
    let ks = *items
        .iter()
        .find(|i| i["kind"] == "keystore")
        .unwrap_or_else(|| panic!("no keystore item for {file}: {items:#?}"));
    let certs = items
        .iter()
        .filter(|i| i["kind"] == "certificate")
        .map(|i| s(i, "sha256").to_string())
        .collect();
    let keys = items.iter().filter(|i| i["kind"] == "private_key").count();
    (ks, certs, keys)
}

fn assert_opened(v: &Value, c: &Corpus, file: &str, pass: &str) {
    let (ks, certs, keys) = certdeck_view(v, file);
    assert_eq!(ks["locked"], false, "{file}: {ks:#}");
    assert!(ks.get("error").is_none(), "{file}: {ks:#}");
    let (want_certs, want_keys) = openssl_view(&c.dir.join(file), pass);
    assert!(
        !want_certs.is_empty(),
        "{file}: openssl shows no certificate"
    );
    assert_eq!(
        certs, want_certs,
        "{file}: certificates differ from openssl's"
    );
    assert_eq!(keys, want_keys, "{file}: key count differs from openssl's");
}

#[test]
fn every_tool_made_pkcs12_lists_what_openssl_shows() {
    let c = corpus();
    let pw = c.pki.join("pw");
    let v = list_json(&c.dir, &["--passphrase-file", pw.to_str().unwrap()]);
    for (file, pass) in &c.files {
        assert_opened(&v, &c, file, pass);
    }

    // No passphrase: password-less files open by themselves (in both empty encodings: openssl's
    // `-passout pass:` and pyca's NoEncryption write different ones, depending on the version);
    // the others stay locked without an error.
    let v = list_json(&c.dir, &[]);
    for (file, pass) in &c.files {
        let (ks, _, _) = certdeck_view(&v, file);
        let needs_none = pass.is_empty() || file.as_str() == "keytool-truststore.p12";
        if needs_none {
            assert_opened(&v, &c, file, pass);
        } else {
            assert_eq!(ks["locked"], true, "{file}: {ks:#}");
            assert!(ks.get("error").is_none(), "{file}: {ks:#}");
        }
    }
}

#[test]
fn wrong_passphrase_unsupported_algorithms_and_truncation_say_what_they_are() {
    let c = corpus();
    let keep: BTreeSet<&str> = [
        "openssl-default.p12",
        "openssl-nomac.p12",
        "keytool-hmacsha1.p12",
        "pyca-none.p12",
    ]
    .into();
    for (f, _) in &c.files {
        if !keep.contains(f.as_str()) {
            std::fs::remove_file(c.dir.join(f)).unwrap();
        }
    }
    // Real files in algorithms certdeck does not implement: the MAC verifies, the cipher is named.
    for (name, pbe) in [
        ("camellia.p12", vec!["-keypbe", "CAMELLIA-256-CBC"]),
        ("rc4.p12", vec!["-legacy", "-certpbe", "PBE-SHA1-RC4-128"]),
    ] {
        let o = c.dir.join(name);
        let mut args = vec![
            "pkcs12",
            "-export",
            "-in",
            "leaf.pem",
            "-inkey",
            "leaf.key",
            "-passout",
            "file:pw",
            "-out",
            o.to_str().unwrap(),
        ];
        args.extend(pbe);
        openssl(&c.pki, &args);
    }
    // Cut short, and cut inside the MAC.
    let whole = std::fs::read(c.dir.join("openssl-default.p12")).unwrap();
    write(&c.dir, "half.p12", &whole[..whole.len() / 2]);
    write(&c.dir, "cut-mac.p12", &whole[..whole.len() - 10]);

    let wrong = write(&c.pki, "wrong", "not-the-password\n");
    let v = list_json(&c.dir, &["--passphrase-file", wrong.to_str().unwrap()]);
    let (ks, _, _) = certdeck_view(&v, "openssl-default.p12");
    assert_eq!(ks["locked"], true);
    assert_eq!(
        s(ks, "error"),
        "locked: wrong passphrase (MAC check failed)",
        "{ks:#}"
    );
    let (ks, _, _) = certdeck_view(&v, "openssl-nomac.p12");
    assert_eq!(ks["locked"], true);
    assert!(s(ks, "error").contains("wrong passphrase"), "{ks:#}");
    // A file without password opens whatever passphrase is given.
    assert_opened(&v, &c, "pyca-none.p12", "");

    let pw = c.pki.join("pw");
    let v = list_json(&c.dir, &["--passphrase-file", pw.to_str().unwrap()]);
    assert_opened(&v, &c, "keytool-hmacsha1.p12", PASS);
    for (name, alg) in [("camellia.p12", "CAMELLIA-256-CBC"), ("rc4.p12", "RC4")] {
        let (ks, _, _) = certdeck_view(&v, name);
        let e = s(ks, "error");
        assert!(
            e.contains("unsupported") && e.contains(alg) && !e.contains("wrong passphrase"),
            "{name}: {e}"
        );
    }
    for name in ["half.p12", "cut-mac.p12"] {
        let items = at(&v, name);
        assert!(!items.is_empty(), "{name} is not listed");
        assert!(
            items.iter().all(|i| i.get("error").is_some()),
            "{name}: {items:#?}"
        );
    }
}

#[test]
fn import_opens_password_less_and_hmac_sha1_pkcs12() {
    let c = corpus();
    let pw = c.pki.join("pw");
    for (file, with_pass) in [
        ("pyca-none.p12", false),
        ("openssl-empty.p12", false),
        ("keytool-hmacsha1.p12", true),
    ] {
        let store = c.pki.join(format!("store-{file}"));
        std::fs::create_dir(&store).unwrap();
        let src = c.dir.join(file);
        let mut args = vec!["import", src.to_str().unwrap(), "--json"];
        if with_pass {
            args.extend(["--passphrase-file", pw.to_str().unwrap()]);
        }
        let r = cd(&store, &args);
        r.ok();
        let plan: Value = serde_json::from_str(&r.stdout).unwrap();
        let ops = plan["ops"].as_array().unwrap();
        assert!(
            ops.iter()
                .any(|o| o["verb"] == "create" && o["secret"] == true),
            "{file}: no key written: {plan:#}"
        );
        // What was written is what openssl sees in the file.
        let v = list_json(&store, &[]);
        let listed: BTreeSet<String> = items(&v)
            .iter()
            .filter(|i| i["kind"] == "certificate")
            .map(|i| s(i, "sha256").to_string())
            .collect();
        let (want, _) = openssl_view(&src, if with_pass { PASS } else { "" });
        assert!(
            want.is_subset(&listed),
            "{file}: {want:?} not in {listed:?}"
        );
        let keys = items(&v)
            .iter()
            .filter(|i| i["kind"] == "private_key")
            .count();
        assert_eq!(keys, 1, "{file}: {v:#}");
    }
}

/// The TUI scans with the same reader: in tmux, the certificates inside a password-less pyca file
/// and inside the keytool HMAC-SHA1 file (with `--passphrase-file`) show as rows.
#[test]
fn tui_lists_the_entries_of_password_less_and_hmac_sha1_pkcs12() {
    let c = corpus();
    let store = c.pki.join("tui-store");
    std::fs::create_dir(&store).unwrap();
    copy(&c.dir.join("pyca-none.p12"), &store, "pyca-none.p12");
    copy(
        &c.dir.join("keytool-hmacsha1.p12"),
        &store,
        "keytool-hmacsha1.p12",
    );
    let socket = format!("certdeck-p12-{}", std::process::id());
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(["-L", &socket])
            .args(args)
            .output()
            .expect("tmux is required (scripts/test.sh installs it)")
    };
    struct Kill<'a>(&'a dyn Fn(&[&str]) -> std::process::Output);
    impl Drop for Kill<'_> {
        fn drop(&mut self) {
            (self.0)(&["kill-server"]);
        }
    }
    let cmd = format!(
        "{} --store {} --passphrase-file {}",
        bin(),
        store.display(),
        c.pki.join("pw").display()
    );
    let started = tmux(&[
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "120",
        "-y",
        "30",
        "-e",
        "NO_COLOR=1",
        &cmd,
    ]);
    assert!(started.status.success());
    let _kill = Kill(&tmux);
    let start = std::time::Instant::now();
    loop {
        let screen =
            String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned();
        if screen.contains("leaf.p12.test") && screen.contains("java.p12.test") {
            assert!(!screen.contains("wrong passphrase"), "{screen}");
            break;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "the PKCS#12 entries never showed:\n{screen}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}
