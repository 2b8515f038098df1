//! `certdeck key passwd|encrypt|decrypt` (Nano's `server_key_passphrase`), checked with
//! `openssl pkey -passin file:`. Passphrases only ever travel in files.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::*;

fn pkey_with(dir: &Path, key: &str, pass: Option<&Path>) -> bool {
    let mut c = Command::new(OPENSSL);
    c.current_dir(dir)
        .args(["pkey", "-in", key, "-noout"])
        .stdin(std::process::Stdio::null());
    match pass {
        Some(p) => c.args(["-passin", &format!("file:{}", p.display())]),
        // An empty passphrase on a non-encrypted key is ignored; on an encrypted one it fails.
        None => c.args(["-passin", "pass:"]),
    };
    c.output().map(|o| o.status.success()).unwrap_or(false)
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn history_count(store: &Path) -> usize {
    fn walk(d: &Path) -> usize {
        std::fs::read_dir(d)
            .map(|rd| {
                rd.flatten()
                    .map(|e| {
                        if e.path().is_dir() {
                            walk(&e.path())
                        } else {
                            usize::from(e.file_name() == "server.key.pem")
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    walk(&store.join("history"))
}

#[test]
fn passwd_encrypt_decrypt_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("tls");
    let secrets = tmp.path().join("secrets");
    std::fs::create_dir_all(&store).unwrap();
    std::fs::create_dir_all(&secrets).unwrap();
    let old = write(&secrets, "old", "test\n");
    let new = write(&secrets, "new", "a much better passphrase\n");
    let st = store.to_str().unwrap();
    // The seed's command: an encrypted key and a self-signed certificate.
    openssl(
        &store,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-keyout",
            "server.key.pem",
            "-x509",
            "-days",
            "3650",
            "-out",
            "server.cert.pem",
            "-subj",
            "/O=MyNanoRPCServer/CN=www.example.com",
            "-passout",
            &format!("file:{}", old.display()),
        ],
    );
    let key = store.join("server.key.pem");
    assert!(pkey_with(&store, "server.key.pem", Some(&old)));

    // Without the old passphrase: refused.
    let r = certdeck(&[
        "--store",
        st,
        "key",
        "passwd",
        "server.key.pem",
        "--new-passphrase-file",
        new.to_str().unwrap(),
    ]);
    assert_ne!(r.code, Some(0));

    // passwd: new works, old fails, same file name, 0600, old one in history.
    certdeck(&[
        "--store",
        st,
        "--passphrase-file",
        old.to_str().unwrap(),
        "key",
        "passwd",
        "server.key.pem",
        "--new-passphrase-file",
        new.to_str().unwrap(),
    ])
    .ok();
    assert!(pkey_with(&store, "server.key.pem", Some(&new)));
    assert!(!pkey_with(&store, "server.key.pem", Some(&old)));
    assert_eq!(mode(&key), 0o600);
    assert_eq!(history_count(&store), 1);
    // Still the certificate's key.
    let v = list_json(&store, &["--passphrase-file", new.to_str().unwrap()]);
    let k = one(&v, "server.key.pem");
    assert_eq!(k["encrypted"], true);
    assert_eq!(k["pairs_with"].as_array().unwrap().len(), 1);

    // decrypt: warns on stderr, readable without a passphrase.
    let r = certdeck(&[
        "--store",
        st,
        "--passphrase-file",
        new.to_str().unwrap(),
        "key",
        "decrypt",
        "server.key.pem",
    ]);
    r.ok();
    assert!(r.stderr.contains("unencrypted"), "{}", r.stderr);
    assert!(pkey_with(&store, "server.key.pem", None));
    assert!(std::fs::read_to_string(&key)
        .unwrap()
        .contains("BEGIN PRIVATE KEY"));
    assert_eq!(mode(&key), 0o600);

    // encrypt again; then decrypt with a wrong passphrase is refused and changes nothing.
    certdeck(&[
        "--store",
        st,
        "key",
        "encrypt",
        "server.key.pem",
        "--new-passphrase-file",
        old.to_str().unwrap(),
    ])
    .ok();
    assert!(pkey_with(&store, "server.key.pem", Some(&old)));
    assert!(!pkey_with(&store, "server.key.pem", None));
    let before = std::fs::read(&key).unwrap();
    let r = certdeck(&[
        "--store",
        st,
        "--passphrase-file",
        new.to_str().unwrap(),
        "key",
        "decrypt",
        "server.key.pem",
    ]);
    assert_ne!(r.code, Some(0));
    assert_eq!(std::fs::read(&key).unwrap(), before);
    // encrypt on an encrypted key is refused.
    let r = certdeck(&[
        "--store",
        st,
        "--passphrase-file",
        old.to_str().unwrap(),
        "key",
        "encrypt",
        "server.key.pem",
        "--new-passphrase-file",
        new.to_str().unwrap(),
    ]);
    assert_ne!(r.code, Some(0));
    assert!(r.stderr.contains("already encrypted"), "{}", r.stderr);
    assert_eq!(history_count(&store), 3);
    assert_eq!(mode(&key), 0o600);
}

/// A single PEM holding certificate and key (the seed's "Single PEM file") keeps its certificate.
#[test]
fn combined_file_keeps_certificate() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("tls");
    let secrets = tmp.path().join("secrets");
    std::fs::create_dir_all(&store).unwrap();
    std::fs::create_dir_all(&secrets).unwrap();
    let pass = write(&secrets, "p", "rpc user secret\n");
    let st = store.to_str().unwrap();
    openssl(
        &store,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "k.pem",
            "-x509",
            "-days",
            "365",
            "-out",
            "c.pem",
            "-subj",
            "/CN=rpc.user.1",
        ],
    );
    let combined = [
        std::fs::read(store.join("c.pem")).unwrap(),
        std::fs::read(store.join("k.pem")).unwrap(),
    ]
    .concat();
    write(&store, "rpcuser1.pem", combined);
    std::fs::remove_file(store.join("k.pem")).unwrap();
    std::fs::remove_file(store.join("c.pem")).unwrap();
    certdeck(&[
        "--store",
        st,
        "key",
        "encrypt",
        "rpcuser1.pem#1",
        "--new-passphrase-file",
        pass.to_str().unwrap(),
    ])
    .ok();
    let text = std::fs::read_to_string(store.join("rpcuser1.pem")).unwrap();
    assert!(text.starts_with("-----BEGIN CERTIFICATE-----"), "{text}");
    assert!(text.contains("BEGIN ENCRYPTED PRIVATE KEY"));
    assert!(pkey_with(&store, "rpcuser1.pem", Some(&pass)));
    openssl(&store, &["x509", "-in", "rpcuser1.pem", "-noout"]);
}
