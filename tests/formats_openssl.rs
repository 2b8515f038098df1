//! Every file format openssl writes, recognised by content, with chains, key pairing,
//! encrypted keys, PKCS#12 and selectors checked against what openssl says.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;

const PASS: &str = "correct horse battery staple";

/// The openssl-made material, built once per test in `work`.
struct Material {
    pki: Pki,
    leaf_sha: String,
    inter_sha: String,
    root_sha: String,
    rsa_sha: String,
    leaf_serial: String,
}

fn material(work: &Path) -> Material {
    let pki = Pki::new(work);
    pki.root("root", "/CN=Deck Test Root/O=certdeck tests");
    pki.signed(
        "inter",
        "/CN=Deck Test Intermediate/O=certdeck tests",
        "root",
        true,
        KeyType::P256,
    );
    pki.signed("leaf", "/CN=leaf.example", "inter", false, KeyType::P256);
    // A self-signed non-CA RSA certificate for the PKCS#1 / legacy encrypted keys.
    openssl(
        work,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "rsa.key",
            "-out",
            "rsa.pem",
            "-subj",
            "/CN=rsa.example",
            "-days",
            "90",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ],
    );
    write(work, "pass.txt", format!("{PASS}\n"));
    Material {
        leaf_sha: pki.sha256("leaf.pem"),
        inter_sha: pki.sha256("inter.pem"),
        root_sha: pki.sha256("root.pem"),
        rsa_sha: pki.sha256("rsa.pem"),
        leaf_serial: pki.serial("leaf.pem"),
        pki,
    }
}

fn text(p: &Pki, name: &str) -> String {
    String::from_utf8(p.read(name)).unwrap()
}

/// The full formats store.
fn build_store(m: &Material, store: &Path) {
    let p = &m.pki;
    let w = &p.dir;
    std::fs::create_dir_all(store).unwrap();
    // CRLF, text before and between blocks.
    let crlf = format!(
        "Root and intermediate of the test PKI\n\n{}some text between\n{}trailing words\n",
        text(p, "root.pem"),
        text(p, "inter.pem")
    )
    .replace('\n', "\r\n");
    write(store, "crlf.pem", crlf);
    // fullchain: leaf, intermediate, root.
    write(
        store,
        "chain.pem",
        format!(
            "{}{}{}",
            text(p, "leaf.pem"),
            text(p, "inter.pem"),
            text(p, "root.pem")
        ),
    );
    let s = |n: &str| store.join(n).to_str().unwrap().to_string();
    openssl(
        w,
        &[
            "x509",
            "-in",
            "leaf.pem",
            "-outform",
            "DER",
            "-out",
            &s("leaf.bin"),
        ],
    );
    openssl(
        w,
        &[
            "crl2pkcs7",
            "-nocrl",
            "-certfile",
            "leaf.pem",
            "-certfile",
            "inter.pem",
            "-out",
            &s("bundle.p7b"),
        ],
    );
    openssl(
        w,
        &[
            "crl2pkcs7",
            "-nocrl",
            "-certfile",
            "leaf.pem",
            "-certfile",
            "inter.pem",
            "-outform",
            "DER",
            "-out",
            &s("bundle-der.p7b"),
        ],
    );
    openssl(
        w,
        &[
            "x509",
            "-in",
            "root.pem",
            "-trustout",
            "-addtrust",
            "serverAuth",
            "-out",
            &s("trusted.pem"),
        ],
    );
    copy(&p.path("leaf.csr"), store, "leaf.csr");
    // CRL from the intermediate, revoking the leaf.
    write(w, "index.txt", "");
    write(w, "crlnumber", "01\n");
    write(
        w,
        "ca.cnf",
        "[ca]\ndefault_ca = CA_default\n[CA_default]\ndatabase = index.txt\n\
         crlnumber = crlnumber\ncertificate = inter.pem\nprivate_key = inter.key\n\
         default_md = sha256\ndefault_crl_days = 30\n",
    );
    openssl(w, &["ca", "-config", "ca.cnf", "-revoke", "leaf.pem"]);
    openssl(
        w,
        &[
            "ca",
            "-config",
            "ca.cnf",
            "-gencrl",
            "-out",
            &s("inter.crl"),
        ],
    );
    // Keys.
    copy(&p.path("leaf.key"), store, "leaf-pkcs8.key");
    openssl(w, &["ec", "-in", "leaf.key", "-out", &s("leaf-sec1.key")]);
    openssl(
        w,
        &[
            "rsa",
            "-in",
            "rsa.key",
            "-traditional",
            "-out",
            &s("rsa-pkcs1.key"),
        ],
    );
    copy(&p.path("rsa.pem"), store, "rsa.pem");
    openssl(
        w,
        &[
            "pkcs8",
            "-topk8",
            "-in",
            "leaf.key",
            "-v2",
            "aes-256-cbc",
            "-passout",
            "file:pass.txt",
            "-out",
            &s("leaf-enc-pkcs8.key"),
        ],
    );
    openssl(
        w,
        &[
            "rsa",
            "-in",
            "rsa.key",
            "-aes128",
            "-traditional",
            "-passout",
            "file:pass.txt",
            "-out",
            &s("rsa-legacy-enc.key"),
        ],
    );
    openssl(
        w,
        &[
            "pkcs12",
            "-export",
            "-in",
            "leaf.pem",
            "-inkey",
            "leaf.key",
            "-certfile",
            "inter.pem",
            "-name",
            "leafalias",
            "-passout",
            "file:pass.txt",
            "-out",
            &s("leaf.p12"),
        ],
    );
    openssl(
        w,
        &[
            "genpkey",
            "-genparam",
            "-algorithm",
            "DH",
            "-pkeyopt",
            "group:ffdhe2048",
            "-out",
            &s("dh.pem"),
        ],
    );
}

fn kinds(v: &Value, path: &str) -> Vec<String> {
    at(v, path)
        .iter()
        .map(|i| s(i, "kind").to_string())
        .collect()
}

fn no_error(it: &Value) {
    assert!(it.get("error").is_none(), "unexpected error: {it:#}");
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

fn store_with(m: &Material, root: &Path, files: &[(&str, &str)]) -> std::path::PathBuf {
    std::fs::create_dir_all(root).unwrap();
    for (from, to) in files {
        copy(&m.pki.path(from), root, to);
    }
    root.to_path_buf()
}

#[test]
fn formats_kinds_chains_and_pairing() {
    let tmp = tempfile::tempdir().unwrap();
    let m = material(&tmp.path().join("work"));
    let store = tmp.path().join("store");
    build_store(&m, &store);
    let v = list_json(&store, &[]);

    // Kinds and counts per file.
    let expect: &[(&str, &[&str])] = &[
        ("crlf.pem", &["certificate", "certificate"]),
        ("chain.pem", &["certificate"; 3]),
        ("leaf.bin", &["certificate"]),
        ("bundle.p7b", &["certificate", "certificate"]),
        ("bundle-der.p7b", &["certificate", "certificate"]),
        ("trusted.pem", &["certificate"]),
        ("leaf.csr", &["csr"]),
        ("inter.crl", &["crl"]),
        ("leaf-pkcs8.key", &["private_key"]),
        ("leaf-sec1.key", &["private_key"]),
        ("rsa-pkcs1.key", &["private_key"]),
        ("rsa.pem", &["certificate"]),
        ("leaf-enc-pkcs8.key", &["private_key"]),
        ("rsa-legacy-enc.key", &["private_key"]),
        ("leaf.p12", &["keystore"]),
        ("dh.pem", &["dh_params"]),
    ];
    for (path, want) in expect {
        assert_eq!(&kinds(&v, path), want, "kinds of {path}");
        for it in at(&v, path) {
            no_error(it);
        }
    }
    assert_eq!(
        items(&v).len(),
        expect.iter().map(|e| e.1.len()).sum::<usize>()
    );

    // Certificates decode to the same fingerprints openssl computes, whatever the container.
    let crlf = at(&v, "crlf.pem");
    assert_eq!(s(crlf[0], "sha256"), m.root_sha);
    assert_eq!(s(crlf[1], "sha256"), m.inter_sha);
    let chain = at(&v, "chain.pem");
    assert_eq!(s(chain[0], "sha256"), m.leaf_sha);
    assert_eq!(s(chain[1], "sha256"), m.inter_sha);
    assert_eq!(s(chain[2], "sha256"), m.root_sha);
    let der = one(&v, "leaf.bin");
    assert_eq!(s(der, "sha256"), m.leaf_sha);
    assert_eq!(s(der, "source"), "DER");
    assert_eq!(s(der, "serial"), m.leaf_serial);
    assert_eq!(
        strs(&der["sans"]),
        vec!["DNS:leaf.example".to_string(), "IP:192.0.2.7".to_string()]
    );
    for p7 in ["bundle.p7b", "bundle-der.p7b"] {
        let c = at(&v, p7);
        assert_eq!(s(c[0], "sha256"), m.leaf_sha, "{p7}");
        assert_eq!(s(c[1], "sha256"), m.inter_sha, "{p7}");
        assert_eq!(s(c[0], "source"), "PKCS7");
    }
    let trusted = one(&v, "trusted.pem");
    assert_eq!(
        s(trusted, "sha256"),
        m.root_sha,
        "aux data must not change the fingerprint"
    );
    assert_eq!(s(trusted, "source"), "TRUSTED CERTIFICATE");
    assert_eq!(trusted["is_ca"], true);
    assert_eq!(trusted["self_signed"], true);

    // Chains: the leaf is valid up to the root present in the store.
    for it in [chain[0], der] {
        assert_eq!(s(it, "chain"), "valid", "{it:#}");
        let path = it["chain_path"].as_array().unwrap();
        assert_eq!(path.len(), 3, "{it:#}");
        assert_eq!(s(&path[1], "sha256"), m.inter_sha);
        assert_eq!(s(&path[2], "sha256"), m.root_sha);
    }
    assert_eq!(s(one(&v, "rsa.pem"), "chain"), "untrusted_root");
    assert_eq!(one(&v, "rsa.pem")["self_signed"], true);
    assert_eq!(one(&v, "rsa.pem")["is_ca"], false);

    // CSR and CRL.
    let csr = one(&v, "leaf.csr");
    assert_eq!(csr["signature_valid"], true);
    assert_eq!(s(csr, "common_name"), "leaf.example");
    let crl = one(&v, "inter.crl");
    let crl_hash = stdout_of(&openssl(
        &store,
        &["crl", "-in", "inter.crl", "-noout", "-hash"],
    ));
    assert_eq!(s(crl, "issuer_hash"), crl_hash.trim());
    assert_eq!(strs(&crl["revoked"]), vec![m.leaf_serial.clone()]);
    assert_eq!(s(crl, "signature"), "verified");

    // Plain keys pair with their certificates.
    for (key, format, alg, cert_sha) in [
        ("leaf-pkcs8.key", "pkcs8", "EC P-256", &m.leaf_sha),
        ("leaf-sec1.key", "sec1", "EC P-256", &m.leaf_sha),
        ("rsa-pkcs1.key", "pkcs1", "RSA", &m.rsa_sha),
    ] {
        let k = one(&v, key);
        assert_eq!(s(k, "format"), format, "{key}");
        assert_eq!(s(k, "key_algorithm"), alg, "{key}");
        assert_eq!(k["encrypted"], false, "{key}");
        assert_eq!(strs(&k["pairs_with"]), vec![cert_sha.clone()], "{key}");
    }
    assert_eq!(one(&v, "rsa-pkcs1.key")["key_bits"], 2048);
    let paired = strs(&chain[0]["paired_keys"]);
    assert!(
        paired.contains(&"leaf-pkcs8.key".to_string())
            && paired.contains(&"leaf-sec1.key".to_string()),
        "{paired:?}"
    );
    assert_eq!(
        strs(&one(&v, "rsa.pem")["paired_keys"]),
        vec!["rsa-pkcs1.key".to_string()]
    );

    // Encrypted keys without a passphrase: locked, not errors.
    for (key, format) in [
        ("leaf-enc-pkcs8.key", "encrypted-pkcs8"),
        ("rsa-legacy-enc.key", "legacy-encrypted-pem"),
    ] {
        let k = one(&v, key);
        assert_eq!(k["encrypted"], true, "{key}");
        assert_eq!(s(k, "format"), format, "{key}");
        assert!(strs(&k["pairs_with"]).is_empty());
    }
    assert_eq!(s(one(&v, "rsa-legacy-enc.key"), "key_algorithm"), "RSA");

    // PKCS#12 without a passphrase: a locked keystore.
    let p12 = one(&v, "leaf.p12");
    assert_eq!(p12["locked"], true);
    assert_eq!(s(p12, "format"), "pkcs12");

    // DH parameters: the RFC 7919 group is recognised.
    let dh = one(&v, "dh.pem");
    assert_eq!(dh["bits"], 2048);
    assert_eq!(s(dh, "named_group"), "ffdhe2048");
}

#[test]
fn chain_incomplete_and_broken() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    let m = material(&work);
    // A different intermediate with exactly the same name, signed by the same root.
    m.pki.signed(
        "fake_inter",
        "/CN=Deck Test Intermediate/O=certdeck tests",
        "root",
        true,
        KeyType::P256,
    );

    let incomplete = store_with(
        &m,
        &tmp.path().join("incomplete"),
        &[("leaf.pem", "leaf.pem"), ("inter.pem", "inter.pem")],
    );
    let v = list_json(&incomplete, &[]);
    let leaf = one(&v, "leaf.pem");
    assert_eq!(s(leaf, "chain"), "incomplete", "{leaf:#}");
    assert!(
        s(leaf, "chain_detail").contains("Deck Test Root"),
        "detail names the missing issuer: {leaf:#}"
    );
    assert_eq!(s(one(&v, "inter.pem"), "chain"), "incomplete");

    let broken = store_with(
        &m,
        &tmp.path().join("broken"),
        &[
            ("leaf.pem", "leaf.pem"),
            ("fake_inter.pem", "inter.pem"),
            ("root.pem", "root.pem"),
        ],
    );
    let v = list_json(&broken, &[]);
    let leaf = one(&v, "leaf.pem");
    assert_eq!(s(leaf, "chain"), "broken", "{leaf:#}");
    assert!(
        s(leaf, "chain_detail").contains("signed"),
        "detail explains the signature: {leaf:#}"
    );
    // The impostor itself is a fine CA under the root.
    assert_eq!(s(one(&v, "inter.pem"), "chain"), "valid");

    // openssl agrees on both verdicts.
    let w = &m.pki.dir;
    let ok = std::process::Command::new(OPENSSL)
        .args([
            "verify",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "fake_inter.pem",
            "leaf.pem",
        ])
        .current_dir(w)
        .output()
        .unwrap();
    assert!(
        !ok.status.success(),
        "openssl accepted the fake intermediate"
    );
    openssl(
        w,
        &[
            "verify",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "inter.pem",
            "leaf.pem",
        ],
    );

    // With the real intermediate back in place the chain is valid again.
    copy(&m.pki.path("inter.pem"), &broken, "inter.pem");
    let v = list_json(&broken, &[]);
    assert_eq!(s(one(&v, "leaf.pem"), "chain"), "valid");
}

#[test]
fn passphrase_opens_pkcs12_and_reports_key_state() {
    let tmp = tempfile::tempdir().unwrap();
    let m = material(&tmp.path().join("work"));
    let store = tmp.path().join("store");
    build_store(&m, &store);
    let pass = m.pki.path("pass.txt");
    let v = list_json(&store, &["--passphrase-file", pass.to_str().unwrap()]);

    let p12 = at(&v, "leaf.p12");
    let ks = p12
        .iter()
        .find(|i| i["kind"] == "keystore")
        .expect("keystore item");
    no_error(ks);
    assert_eq!(ks["locked"], false);
    let entries = ks["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{ks:#}");
    assert_eq!(entries[0]["alias"], "leafalias");
    assert_eq!(entries[0]["entry_type"], "private_key_entry");

    let key = p12
        .iter()
        .find(|i| i["kind"] == "private_key")
        .expect("key from the PKCS#12");
    no_error(key);
    assert_eq!(key["alias"], "leafalias");
    assert_eq!(strs(&key["pairs_with"]), vec![m.leaf_sha.clone()]);
    let leaf = p12
        .iter()
        .find(|i| i["kind"] == "certificate" && i["sha256"] == m.leaf_sha.as_str())
        .expect("leaf certificate from the PKCS#12");
    assert_eq!(leaf["alias"], "leafalias");

    // Encrypted PEM keys: until the keycrypt module lands they stay locked and say why; once it
    // lands they must pair (see `encrypted_keys_pair_with_passphrase`).
    for name in ["leaf-enc-pkcs8.key", "rsa-legacy-enc.key"] {
        let k = one(&v, name);
        assert_eq!(k["kind"], "private_key");
        assert_eq!(k["encrypted"], true, "{k:#}");
        if let Some(err) = k.get("error") {
            let err = err.as_str().unwrap();
            assert!(err.contains("unsupported"), "{name}: {err}");
            assert!(strs(&k["pairs_with"]).is_empty());
        }
    }

    // A wrong passphrase: the keystore stays locked and says so.
    let wrong = write(&m.pki.dir, "wrong.txt", "not the passphrase\n");
    let v = list_json(&store, &["--passphrase-file", wrong.to_str().unwrap()]);
    let ks = one(&v, "leaf.p12");
    assert_eq!(ks["locked"], true);
    assert!(s(ks, "error").contains("wrong passphrase"), "{ks:#}");
}

#[test]
fn encrypted_keys_pair_with_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let m = material(&tmp.path().join("work"));
    let store = tmp.path().join("store");
    build_store(&m, &store);
    let pass = m.pki.path("pass.txt");
    let v = list_json(&store, &["--passphrase-file", pass.to_str().unwrap()]);
    for (name, format, sha) in [
        ("leaf-enc-pkcs8.key", "encrypted-pkcs8", &m.leaf_sha),
        ("rsa-legacy-enc.key", "legacy-encrypted-pem", &m.rsa_sha),
    ] {
        let k = one(&v, name);
        no_error(k);
        assert_eq!(k["encrypted"], true);
        assert_eq!(s(k, "format"), format);
        assert_eq!(strs(&k["pairs_with"]), vec![sha.clone()], "{name}");
    }
}

#[test]
fn show_selectors() {
    let tmp = tempfile::tempdir().unwrap();
    let m = material(&tmp.path().join("work"));
    let store = tmp.path().join("store");
    build_store(&m, &store);
    let st = store.to_str().unwrap();
    let show = |sel: &str| {
        let r = certdeck(&["show", sel, "--store", st, "--json"]);
        r.ok();
        serde_json::from_str::<Value>(&r.stdout).unwrap()
    };

    // By a unique common name (case-insensitive).
    let it = show("RSA.example");
    assert_eq!(s(&it, "sha256"), m.rsa_sha);
    assert_eq!(s(&it, "path"), "rsa.pem");
    // By an 8-hex SHA-256 prefix, with or without colons.
    assert_eq!(s(&show(&m.rsa_sha[..8]), "path"), "rsa.pem");
    let colon = format!("{}:{}", &m.rsa_sha[..2], &m.rsa_sha[2..10]).to_uppercase();
    assert_eq!(s(&show(&colon), "path"), "rsa.pem");
    // By path, and PATH#INDEX inside a bundle.
    let it = show("leaf.bin");
    assert_eq!(s(&it, "sha256"), m.leaf_sha);
    assert_eq!(s(&show("chain.pem#2"), "sha256"), m.root_sha);
    assert_eq!(s(&show("./dh.pem"), "kind"), "dh_params");

    // The leaf's CN is in many files: ambiguous, every candidate listed, non-zero exit.
    let r = certdeck(&["show", "leaf.example", "--store", st]);
    assert_ne!(r.code, Some(0), "{r:?}");
    assert!(r.stderr.contains("ambiguous"), "{}", r.stderr);
    for cand in ["chain.pem#0", "leaf.bin#0", "bundle.p7b#0", "leaf.csr#0"] {
        assert!(
            r.stderr.contains(cand),
            "{cand} missing from:\n{}",
            r.stderr
        );
    }
    // Nothing matches: a clear error.
    let r = certdeck(&["show", "no-such-thing.example", "--store", st]);
    assert_ne!(r.code, Some(0));
    assert!(
        r.stderr.contains("nothing in the store matches"),
        "{}",
        r.stderr
    );
}

#[test]
fn serial_edge_cases_match_openssl() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // Zero, negative (invalid but seen in the wild), sign-padded, and a long serial.
    let serials = [
        "0",
        "-5",
        "-256",
        "128",
        "0x00ff",
        "0x7fffffffffffffffffffffffffffffff",
    ];
    for (i, sn) in serials.iter().enumerate() {
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "k.tmp",
                "-out",
                &format!("s{i}.pem"),
                "-subj",
                &format!("/CN=s{i}"),
                "-set_serial",
                sn,
                "-days",
                "9000",
            ],
        );
    }
    std::fs::remove_file(dir.join("k.tmp")).unwrap();
    let v = list_json(dir, &[]);
    for (i, sn) in serials.iter().enumerate() {
        let file = format!("s{i}.pem");
        let it = one(&v, &file);
        let want = x509_field(dir, &file, "-serial");
        assert_eq!(
            s(it, "serial"),
            want.split_once('=').unwrap().1.to_ascii_lowercase(),
            "serial {sn}"
        );
        let end = openssl_date_to_rfc3339(&x509_field(dir, &file, "-enddate"));
        assert_eq!(s(it, "not_after"), end, "GeneralizedTime after 2049");
    }
}
