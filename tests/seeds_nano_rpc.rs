//! Seed "nano-rpc-https": a Nano node's `config-rpc.toml` `[secure]` section names a server
//! certificate, a passphrase-protected key (`server_key_passphrase`), DH params and a hashed
//! client-certificate dir. Built with certdeck (self-signed server and clients, as the seed does
//! with `openssl req -x509`); the passphrase is read from the config, never from argv.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

fn cd(store: &Path, args: &[&str]) -> Run {
    let mut a = vec!["--store", store.to_str().unwrap()];
    a.extend_from_slice(args);
    certdeck_timeout(&a, Duration::from_secs(60))
}

fn item<'a>(list: &'a Value, path: &str) -> &'a Value {
    items(list)
        .iter()
        .find(|i| i["path"] == path)
        .unwrap_or_else(|| panic!("no item {path} in {list:#}"))
}

fn used_by(list: &Value, path: &str) -> Vec<String> {
    item(list, path)["used_by"]
        .as_array()
        .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

const CONFIG: &str = r#"# config-rpc.toml
address = "::1"
port = 7076
enable_control = false

[secure]
enable=true
verbose_logging=true
server_cert_path="tls/server.cert.pem"
server_key_path="tls/server.key.pem"
server_key_passphrase="test"
server_dh_path="tls/dh2048.pem"
client_certs_path="tls/clients"
"#;

/// The node's data dir is the store; the config sits in it, as on a real node.
fn build(dir: &Path) {
    let pass = dir.join("../pass.txt");
    std::fs::write(&pass, "test\n").unwrap();
    let pass_s = pass.to_str().unwrap();
    cd(
        dir,
        &[
            "generate",
            "server",
            "--cn",
            "www.example.com",
            "--san",
            "DNS:www.example.com",
            "--dir",
            "tls",
            "--encrypt-key",
            "--new-passphrase-file",
            pass_s,
        ],
    )
    .ok();
    // The seed's file names.
    std::fs::rename(
        dir.join("tls/www.example.com.pem"),
        dir.join("tls/server.cert.pem"),
    )
    .unwrap();
    std::fs::rename(
        dir.join("tls/private/www.example.com.key"),
        dir.join("tls/server.key.pem"),
    )
    .unwrap();
    std::fs::remove_dir(dir.join("tls/private")).unwrap();
    let o = openssl(
        &dir.join("tls"),
        &[
            "genpkey",
            "-genparam",
            "-algorithm",
            "DH",
            "-pkeyopt",
            "group:ffdhe2048",
            "-out",
            "dh-raw.pem",
        ],
    );
    assert!(o.status.success(), "{o:?}");
    let o = openssl(
        &dir.join("tls"),
        &["pkeyparam", "-in", "dh-raw.pem", "-out", "dh2048.pem"],
    );
    assert!(o.status.success(), "{o:?}");
    std::fs::remove_file(dir.join("tls/dh-raw.pem")).unwrap();
    for user in ["rpc.user.1", "rpc.user.2"] {
        cd(dir, &["generate", "client", "--cn", user]).ok();
        cd(
            dir,
            &["trust", &format!("{user}.pem"), "--dir", "tls/clients"],
        )
        .ok();
    }
    std::fs::write(dir.join("config-rpc.toml"), CONFIG).unwrap();
}

#[test]
fn nano_rpc_secure_section_listed_with_used_by_and_audit_ok() {
    let tmp = tempfile::tempdir().unwrap();
    let node = tmp.path().join("nano");
    std::fs::create_dir(&node).unwrap();
    build(&node);
    let cfg = node.join("config-rpc.toml");
    let cfg_s = cfg.to_str().unwrap();

    // Without the config, the key is locked; with it, server_key_passphrase opens it.
    let plain = list_json(&node, &[]);
    assert_eq!(
        item(&plain, "tls/server.key.pem")["key_algorithm"],
        "locked",
        "{:#}",
        item(&plain, "tls/server.key.pem")
    );
    let list = list_json(&node, &["--server-config", cfg_s]);
    let key = item(&list, "tls/server.key.pem");
    assert!(key.get("error").is_none(), "{key:#}");
    assert_eq!(key["key_algorithm"], "EC P-256", "{key:#}");
    assert_eq!(key["encrypted"], true);
    assert_eq!(
        key["pairs_with"][0],
        item(&list, "tls/server.cert.pem")["sha256"]
    );
    let ctx = "nano-rpc: [secure]";
    assert_eq!(
        used_by(&list, "tls/server.cert.pem"),
        vec![format!("{ctx}, server_cert_path")]
    );
    assert_eq!(
        used_by(&list, "tls/server.key.pem"),
        vec![format!("{ctx}, server_key_path")]
    );
    assert_eq!(
        used_by(&list, "tls/dh2048.pem"),
        vec![format!("{ctx}, server_dh_path")]
    );
    for user in ["rpc.user.1", "rpc.user.2"] {
        let p = format!("tls/clients/{user}.pem");
        assert_eq!(
            used_by(&list, &p),
            vec![format!("{ctx}, client_certs_path")]
        );
        // The <hash>.0 link certdeck made is how the node finds it.
        let hash = item(&list, &p)["subject_hash"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(item(&list, &p)["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| *l == format!("tls/clients/{hash}.0")));
        // The copy at the store root is not what the node reads.
        assert!(used_by(&list, &format!("{user}.pem")).is_empty());
    }
    // The passphrase never shows in what certdeck prints.
    let show = cd(
        &node,
        &["--server-config", cfg_s, "show", "tls/server.key.pem"],
    );
    show.ok();
    assert!(show.stdout.contains("used by"), "{}", show.stdout);
    assert!(!list.to_string().contains("\"test\""));

    let audit = cd(&node, &["--server-config", cfg_s, "audit", "--json"]);
    let report: Value = serde_json::from_str(&audit.stdout).unwrap();
    assert_eq!(audit.code, Some(0), "{report:#}");
    assert_eq!(report["status"], "OK");

    // Revoke rpc.user.2: the node no longer finds it (file and link gone from the dir).
    cd(&node, &["revoke", "rpc.user.2.pem", "--dir", "tls/clients"]).ok();
    let list = list_json(&node, &["--server-config", cfg_s]);
    assert!(items(&list)
        .iter()
        .all(|i| i["path"] != "tls/clients/rpc.user.2.pem"));
    let names: Vec<String> = std::fs::read_dir(node.join("tls/clients"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains("rpc.user.2")), "{names:?}");
    assert_eq!(
        names.iter().filter(|n| n.ends_with(".0")).count(),
        1,
        "{names:?}"
    );
    assert_eq!(
        used_by(&list, "tls/clients/rpc.user.1.pem"),
        vec![format!("{ctx}, client_certs_path")]
    );
    let audit = cd(&node, &["--server-config", cfg_s, "audit", "--json"]);
    assert_eq!(audit.code, Some(0), "{}", audit.stdout);
}

#[test]
fn nano_rpc_wrong_passphrase_missing_file_and_bad_toml() {
    let tmp = tempfile::tempdir().unwrap();
    let node = tmp.path().join("nano");
    std::fs::create_dir(&node).unwrap();
    build(&node);
    let cfg = node.join("config-rpc.toml");
    std::fs::write(
        &cfg,
        CONFIG
            .replace(
                "server_key_passphrase=\"test\"",
                "server_key_passphrase=\"wrong\"",
            )
            .replace("dh2048.pem", "dh1024.pem"),
    )
    .unwrap();
    let cfg_s = cfg.to_str().unwrap();
    let audit = cd(&node, &["--server-config", cfg_s, "audit", "--json"]);
    assert_eq!(audit.code, Some(2), "{}", audit.stdout);
    let report: Value = serde_json::from_str(&audit.stdout).unwrap();
    let codes: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"config-missing-file"), "{codes:?}");
    assert!(codes.contains(&"config-key-locked"), "{codes:?}");

    std::fs::write(
        &cfg,
        "[secure]\nenable=true\nserver_cert_path=\"tls/server.cert.pem\n",
    )
    .unwrap();
    let r = cd(&node, &["--server-config", cfg_s, "list"]);
    assert_eq!(r.code, Some(2));
    assert!(
        r.stderr.contains(&format!("{cfg_s}:3:")),
        "error must name file:line:column: {}",
        r.stderr
    );
    let r = cd(&node, &["--server-config", cfg_s, "audit"]);
    assert_eq!(r.code, Some(3), "{}", r.stdout);
    assert!(r.stdout.starts_with("CERTDECK UNKNOWN"), "{}", r.stdout);
}
