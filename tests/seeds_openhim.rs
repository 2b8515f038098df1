//! The OpenHIM seed: create certificates from a form of 8 fields (only CN and validity
//! required), upload a server certificate and key — refused when they do not match — and
//! replace the server certificate a server config names, keeping the old one in history.

use std::path::Path;
use std::process::{Command, Output};

fn run(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_certdeck"))
        .args(args)
        .arg("--store")
        .arg(store)
        .output()
        .unwrap()
}

fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            if rel.starts_with("history") || rel == ".certdeck.lock" {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                v.push((rel, std::fs::read(&p).unwrap_or_default()));
            }
        }
    }
    v.sort();
    v
}

#[test]
fn openhim_certificate_flows() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("openhim");
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&store).unwrap();
    std::fs::create_dir_all(&outside).unwrap();

    // "+ Create Client Certificate": all 8 fields, then only the 2 required ones.
    ok(run(&store, &["generate", "ca", "--cn", "OpenHIM CA"]));
    let out = ok(run(
        &store,
        &[
            "generate",
            "client",
            "--cn",
            "his-client",
            "--days",
            "365",
            "--o",
            "Jembi",
            "--ou",
            "HIE",
            "--c",
            "ZA",
            "--st",
            "Western Cape",
            "--l",
            "Cape Town",
            "--email",
            "ops@example.org",
            "--ca",
            "OpenHIM CA",
            "--dir",
            "clients",
        ],
    ));
    assert!(out.contains("clients/his-client.pem"), "{out}");
    ok(run(
        &store,
        &[
            "generate",
            "client",
            "--cn",
            "minimal-client",
            "--days",
            "30",
            "--dir",
            "clients",
        ],
    ));
    let subj = Command::new("openssl")
        .args(["x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in"])
        .arg(store.join("clients/his-client.pem"))
        .output()
        .unwrap();
    let subj = String::from_utf8_lossy(&subj.stdout);
    for part in [
        "CN=his-client",
        "O=Jembi",
        "OU=HIE",
        "C=ZA",
        "ST=Western Cape",
        "L=Cape Town",
    ] {
        assert!(subj.contains(part), "{part} missing in {subj}");
    }

    // The server certificate the server config names.
    std::fs::create_dir_all(store.join("tls")).unwrap();
    ok(run(
        &store,
        &[
            "generate",
            "server",
            "--cn",
            "him.example.org",
            "--ca",
            "OpenHIM CA",
            "--dir",
            "tls",
        ],
    ));
    let conf = store.join("nginx.conf");
    std::fs::write(
        &conf,
        "events {}\nhttp {\n  server {\n    listen 443 ssl;\n    server_name him.example.org;\n    ssl_certificate tls/him.example.org.pem;\n    ssl_certificate_key tls/private/him.example.org.key;\n  }\n}\n",
    )
    .unwrap();

    // A new certificate and key made elsewhere (the "upload").
    let other = tmp.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    ok(run(
        &other,
        &["generate", "server", "--cn", "him.example.org"],
    ));
    ok(run(
        &other,
        &["generate", "server", "--cn", "unrelated.example.org"],
    ));
    let new_cert = other.join("him.example.org.pem");
    let new_key = other.join("private/him.example.org.key");
    let wrong_key = other.join("private/unrelated.example.org.key");
    let conf_s = conf.to_str().unwrap();

    // Mismatched pair: OpenHIM's warning, made a guard. Nothing changes.
    let before = snapshot(&store);
    let o = run(
        &store,
        &[
            "replace-cert",
            "--server-config",
            conf_s,
            "--cert",
            new_cert.to_str().unwrap(),
            "--key",
            wrong_key.to_str().unwrap(),
        ],
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("does not match"));
    assert_eq!(before, snapshot(&store));
    // The same guard on import of a key without its certificate.
    let o = run(&store, &["import", wrong_key.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("matches no certificate"));
    assert_eq!(before, snapshot(&store));

    // The matching pair replaces the files under the names the config uses.
    let old_cert = std::fs::read(store.join("tls/him.example.org.pem")).unwrap();
    let out = ok(run(
        &store,
        &[
            "replace-cert",
            "--server-config",
            conf_s,
            "--cert",
            new_cert.to_str().unwrap(),
            "--key",
            new_key.to_str().unwrap(),
        ],
    ));
    assert!(out.contains("replace tls/him.example.org.pem"), "{out}");
    assert!(
        out.to_lowercase().contains("restart") || out.contains("reload"),
        "no reload hint: {out}"
    );
    assert_eq!(
        std::fs::read(store.join("tls/him.example.org.pem")).unwrap(),
        std::fs::read(&new_cert).unwrap()
    );
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(store.join("tls/private/him.example.org.key"))
            .unwrap()
            .permissions(),
    ) & 0o777;
    assert_eq!(mode, 0o600);
    // The old certificate is kept in history.
    let found = walk(&store.join("history"))
        .into_iter()
        .any(|p| std::fs::read(&p).ok() == Some(old_cert.clone()));
    assert!(found, "old certificate not in history");
    // The config's pair audits clean for key match (the new cert is self-signed: no mismatch).
    let audit = run(&store, &["audit", "--json", "--server-config", conf_s]);
    let v: serde_json::Value = serde_json::from_slice(&audit.stdout).unwrap();
    assert!(
        !v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "config-key-mismatch" || f["code"] == "key-mismatch"),
        "{v:#}"
    );
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        if let Ok(rd) = std::fs::read_dir(&d) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push(p);
                }
            }
        }
    }
    out
}
