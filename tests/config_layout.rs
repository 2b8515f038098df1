//! Named stores in the config file: `--store NAME`, and what a `layout` implies (a CApath store
//! is its own trust dir; a Harper keys dir has harperdb-config.yaml beside it).

use std::path::Path;
use std::process::Command;

fn run(args: &[&str], cfg: &Path) -> (bool, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_certdeck"))
        .arg("--config")
        .arg(cfg)
        .args(args)
        .output()
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn capath_store_is_its_own_trust_dir_and_harper_config_is_found() {
    let tmp = tempfile::tempdir().unwrap();
    let clients = tmp.path().join("clients");
    let hdb = tmp.path().join("hdb");
    let keys = hdb.join("keys");
    std::fs::create_dir_all(&clients).unwrap();
    std::fs::create_dir_all(&keys).unwrap();
    std::fs::write(
        hdb.join("harperdb-config.yaml"),
        "http:\n  securePort: 9927\n",
    )
    .unwrap();
    let cfg = tmp.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[stores.clients]\npath = \"{}\"\nlayout = \"capath\"\n\n[stores.harper]\npath = \"{}\"\nlayout = \"harper\"\n",
            clients.display(),
            keys.display()
        ),
    )
    .unwrap();
    // A client cert dropped into the CApath store: trust adds only its <hash>.0 link.
    let (ok, _, err) = run(
        &[
            "--store",
            "clients",
            "generate",
            "client",
            "--cn",
            "rpc.user.1",
        ],
        &cfg,
    );
    assert!(ok, "{err}");
    let (ok, out, err) = run(&["--store", "clients", "trust", "rpc.user.1"], &cfg);
    assert!(ok, "{err}");
    assert!(out.contains("link only"), "{out}");
    let hash = Command::new("openssl")
        .args(["x509", "-noout", "-subject_hash", "-in"])
        .arg(clients.join("rpc.user.1.pem"))
        .output()
        .unwrap();
    let hash = String::from_utf8_lossy(&hash.stdout).trim().to_string();
    let link = std::fs::read_link(clients.join(format!("{hash}.0"))).unwrap();
    assert_eq!(link, Path::new("rpc.user.1.pem"));
    // Trusting again is a clear no-op error.
    let (ok, _, err) = run(&["--store", "clients", "trust", "rpc.user.1"], &cfg);
    assert!(!ok && err.contains("already trusted"), "{err}");

    // Harper: the default key names under keys/ are marked as used by Harper without any
    // --server-config, because the layout implies ../harperdb-config.yaml.
    let (ok, _, err) = run(
        &[
            "--store",
            "harper",
            "generate",
            "server",
            "--cn",
            "hdb.example.org",
        ],
        &cfg,
    );
    assert!(ok, "{err}");
    std::fs::rename(
        keys.join("hdb.example.org.pem"),
        keys.join("certificate.pem"),
    )
    .unwrap();
    std::fs::rename(
        keys.join("private/hdb.example.org.key"),
        keys.join("privateKey.pem"),
    )
    .unwrap();
    let (ok, out, err) = run(&["--store", "harper", "list", "--json"], &cfg);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let cert = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == "certificate.pem")
        .unwrap();
    assert!(
        cert["used_by"].as_array().is_some_and(|u| u
            .iter()
            .any(|s| s.as_str().unwrap_or("").starts_with("harper"))),
        "{cert:#}"
    );
}
