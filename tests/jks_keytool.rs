//! JKS keystores made by the real `keytool` (a key entry with its chain, a trusted CA): certdeck
//! lists every entry without a password, with the same fingerprints keytool exports; with the
//! password it checks the store's integrity and opens the key, which then pairs with its
//! certificate (only a correct decryption yields the certificate's public key).

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

/// A temp dir with an empty `store/` and the password file `pass`.
fn scratch(password: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("store")).unwrap();
    write(tmp.path(), "pass", format!("{password}\n"));
    tmp
}

/// `keytool -genkeypair` of `alias` into `file` (store and key password from the file `pass`).
fn genkeypair(dir: &Path, file: &str, storetype: &str, alias: &str, key: &[&str], cn: &str) {
    let dname = format!("CN={cn}");
    let mut args = vec![
        "-genkeypair",
        "-alias",
        alias,
        "-dname",
        &dname,
        "-keystore",
        file,
    ];
    args.extend([
        "-storetype",
        storetype,
        "-storepass:file",
        "pass",
        "-keypass:file",
        "pass",
    ]);
    args.extend(key);
    keytool_ok(dir, &args);
}

/// keytool's own SHA-256 of an alias's certificate, as lowercase hex.
fn keytool_sha256(dir: &Path, alias: &str) -> String {
    let pem = keytool_ok(
        dir,
        &[
            "-exportcert",
            "-rfc",
            "-alias",
            alias,
            "-keystore",
            "store/app.jks",
            "-storetype",
            "JKS",
            "-storepass:file",
            "pass",
        ],
    );
    let begin = pem.find("-----BEGIN").expect("PEM from keytool");
    write(dir, "export.pem", &pem[begin..]);
    let o = openssl(
        dir,
        &[
            "x509",
            "-in",
            "export.pem",
            "-noout",
            "-fingerprint",
            "-sha256",
        ],
    );
    unhex_colons(stdout_of(&o).rsplit('=').next().unwrap().trim())
}

fn keystore_item(v: &Value) -> &Value {
    items(v)
        .iter()
        .find(|i| i["kind"] == "keystore")
        .unwrap_or_else(|| panic!("no keystore item in {v:#}"))
}

fn by_alias<'a>(v: &'a Value, alias: &str, kind: &str) -> &'a Value {
    items(v)
        .iter()
        .find(|i| i["alias"] == alias && i["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} for alias {alias} in {v:#}"))
}

#[test]
fn keytool_jks_lists_without_a_password_and_opens_with_it() {
    let tmp = scratch("s3cret-store");
    let dir = tmp.path();
    write(dir, "wrong", "not-it\n");
    Pki::new(dir).root("ca", "/CN=JKS Test CA");
    genkeypair(
        dir,
        "store/app.jks",
        "JKS",
        "server",
        &[
            "-keyalg",
            "EC",
            "-groupname",
            "secp256r1",
            "-validity",
            "30",
        ],
        "server.example",
    );
    keytool_ok(
        dir,
        &[
            "-importcert",
            "-noprompt",
            "-alias",
            "ca",
            "-file",
            "ca.pem",
            "-keystore",
            "store/app.jks",
            "-storetype",
            "JKS",
            "-storepass:file",
            "pass",
        ],
    );
    let head = std::fs::read(dir.join("store/app.jks")).unwrap();
    assert_eq!(
        &head[..4],
        b"\xfe\xed\xfe\xed",
        "keytool wrote a JKS, not PKCS#12"
    );

    // No password: every entry and certificate listed, the key locked.
    let v = list_json(&dir.join("store"), &[]);
    let ks = keystore_item(&v);
    assert_eq!(ks["format"], "jks");
    assert!(ks["error"].is_null(), "{ks:#}");
    let mut aliases: Vec<&str> = ks["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["alias"].as_str().unwrap())
        .collect();
    aliases.sort();
    assert_eq!(aliases, ["ca", "server"]);
    assert_eq!(ks["locked"], true);
    let server = by_alias(&v, "server", "certificate");
    assert_eq!(s(server, "sha256"), keytool_sha256(dir, "server"));
    assert_eq!(s(server, "common_name"), "server.example");
    let ca = by_alias(&v, "ca", "certificate");
    assert_eq!(s(ca, "sha256"), keytool_sha256(dir, "ca"));
    let key = by_alias(&v, "server", "private_key");
    assert_eq!(key["encrypted"], true);
    assert!(s(key, "error").starts_with("locked"), "{key:#}");

    // `keystore list` lists it too, as keytool does without a password, with its warning.
    let store = dir.join("store");
    let r = certdeck(&[
        "--store",
        store.to_str().unwrap(),
        "keystore",
        "list",
        "app.jks",
    ]);
    r.ok();
    assert!(
        r.stdout.contains("Your keystore contains 2 entries"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("server, PrivateKeyEntry, chain length 1"),
        "{}",
        r.stdout
    );
    assert!(r.stderr.contains("NOT been verified"), "{}", r.stderr);

    // The password: integrity checked, the key opened and paired with its certificate.
    let pass = dir.join("pass");
    let v = list_json(
        &dir.join("store"),
        &["--passphrase-file", pass.to_str().unwrap()],
    );
    let ks = keystore_item(&v);
    assert!(ks["error"].is_null(), "{ks:#}");
    assert_eq!(ks["locked"], false);
    let key = by_alias(&v, "server", "private_key");
    assert_eq!(key["encrypted"], false, "{key:#}");
    assert_eq!(s(key, "key_algorithm"), "EC P-256");
    let server = by_alias(&v, "server", "certificate");
    assert_eq!(
        server["paired_keys"].as_array().map(Vec::len),
        Some(1),
        "the opened key pairs with its certificate: {server:#}"
    );

    // A wrong password: said so, entries still listed, the key still locked.
    let wrong = dir.join("wrong");
    let v = list_json(
        &dir.join("store"),
        &["--passphrase-file", wrong.to_str().unwrap()],
    );
    let ks = keystore_item(&v);
    assert!(s(ks, "error").contains("integrity check failed"), "{ks:#}");
    assert_eq!(by_alias(&v, "server", "private_key")["encrypted"], true);
    assert_eq!(
        s(by_alias(&v, "ca", "certificate"), "sha256"),
        keytool_sha256(dir, "ca")
    );
}

#[test]
fn a_truncated_jks_is_one_error_item_and_the_rest_of_the_store_shows() {
    let tmp = scratch("changeit");
    let dir = tmp.path();
    genkeypair(
        dir,
        "full.jks",
        "JKS",
        "a",
        &["-keyalg", "EC", "-groupname", "secp256r1"],
        "a",
    );
    let full = std::fs::read(dir.join("full.jks")).unwrap();
    write(&dir.join("store"), "cut.jks", &full[..full.len() / 2]);
    Pki::new(&dir.join("store")).root("ok", "/CN=still here");
    let v = list_json(&dir.join("store"), &[]);
    let cut = one(&v, "cut.jks");
    assert!(s(cut, "error").contains("truncated"), "{cut:#}");
    assert_eq!(s(one(&v, "ok.pem"), "common_name"), "still here");
}

#[test]
fn keytool_jceks_lists_its_certificates_and_says_why_the_key_stays_locked() {
    let tmp = scratch("changeit");
    let dir = tmp.path();
    genkeypair(
        dir,
        "store/svc.jceks",
        "JCEKS",
        "svc",
        &["-keyalg", "RSA", "-keysize", "2048"],
        "svc.example",
    );
    let pass = dir.join("pass");
    let v = list_json(
        &dir.join("store"),
        &["--passphrase-file", pass.to_str().unwrap()],
    );
    let ks = keystore_item(&v);
    assert_eq!(ks["format"], "jceks");
    assert!(
        ks["error"].is_null(),
        "integrity checked with the password: {ks:#}"
    );
    assert_eq!(
        s(by_alias(&v, "svc", "certificate"), "common_name"),
        "svc.example"
    );
    let key = by_alias(&v, "svc", "private_key");
    assert!(s(key, "error").contains("JCEKS"), "{key:#}");
}
