//! Seed "harper-certificate-management": Harper reads `<ROOTPATH>/keys/certificate.pem`,
//! `privateKey.pem` and (for mTLS) `ca.pem`, or the files `tls.*` in harperdb-config.yaml name.
//! The keys dir is built with certdeck (a CA, a server certificate it signs, a client
//! certificate), listed with `used_by`, and audited.

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

fn used_by(list: &Value, path: &str) -> Vec<String> {
    items(list)
        .iter()
        .find(|i| i["path"] == path)
        .unwrap_or_else(|| panic!("no item {path} in {list:#}"))["used_by"]
        .as_array()
        .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

fn codes(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

/// ROOTPATH with harperdb-config.yaml and keys/ in Harper's names, made by certdeck in a work
/// store and copied over.
fn build(root: &Path) -> std::path::PathBuf {
    let work = root.join("../work");
    std::fs::create_dir_all(&work).unwrap();
    cd(&work, &["generate", "ca", "--cn", "Harper CA"]).ok();
    cd(
        &work,
        &[
            "generate",
            "server",
            "--cn",
            "hdb.example.com",
            "--san",
            "DNS:hdb.example.com",
            "--ca",
            "harper-ca.pem",
        ],
    )
    .ok();
    cd(
        &work,
        &[
            "generate",
            "client",
            "--cn",
            "operator",
            "--ca",
            "harper-ca.pem",
        ],
    )
    .ok();
    let keys = root.join("keys");
    std::fs::create_dir_all(keys.join("clients")).unwrap();
    std::fs::copy(
        work.join("hdb.example.com.pem"),
        keys.join("certificate.pem"),
    )
    .unwrap();
    std::fs::copy(
        work.join("private/hdb.example.com.key"),
        keys.join("privateKey.pem"),
    )
    .unwrap();
    std::fs::copy(work.join("harper-ca.pem"), keys.join("ca.pem")).unwrap();
    std::fs::copy(work.join("operator.pem"), keys.join("clients/operator.pem")).unwrap();
    keys
}

#[test]
fn harper_keys_dir_with_mtls_listed_with_used_by_and_audit_ok() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("hdb");
    let keys = build(&root);
    // Defaults only: ROOTPATH is the config's directory.
    let cfg = root.join("harperdb-config.yaml");
    std::fs::write(&cfg, "http:\n  securePort: 9927\n  mtls: true\n").unwrap();
    let cfg_s = cfg.to_str().unwrap();
    let list = list_json(&keys, &["--server-config", cfg_s]);
    let ctx = "harper: tls (http.securePort 9927)";
    assert_eq!(
        used_by(&list, "certificate.pem"),
        vec![format!("{ctx}, tls.certificate (default)")]
    );
    assert_eq!(
        used_by(&list, "privateKey.pem"),
        vec![format!("{ctx}, tls.privateKey (default)")]
    );
    assert_eq!(
        used_by(&list, "ca.pem"),
        vec![format!("{ctx}, tls.certificateAuthority (default)")]
    );
    assert!(used_by(&list, "clients/operator.pem").is_empty());
    let audit = cd(&keys, &["--server-config", cfg_s, "audit", "--json"]);
    let report: Value = serde_json::from_str(&audit.stdout).unwrap();
    assert_eq!(audit.code, Some(0), "{report:#}");
    assert_eq!(report["status"], "OK");

    // Explicit paths (as in the seed: tls.certificate / privateKey / certificateAuthority) and an
    // operationsApi section with its own certificate that falls back to tls for the key.
    std::fs::write(
        &cfg,
        format!(
            "rootPath: {r}\nhttp:\n  securePort: 9926\n  mtls: true\ntls:\n  certificate: {k}/certificate.pem\n  privateKey: {k}/privateKey.pem\n  certificateAuthority: {k}/ca.pem\noperationsApi:\n  tls:\n    certificate: {k}/certificate.pem\n",
            r = root.display(),
            k = keys.display()
        ),
    )
    .unwrap();
    let list = list_json(&keys, &["--server-config", cfg_s]);
    assert_eq!(
        used_by(&list, "certificate.pem"),
        vec![
            "harper: operationsApi.tls, operationsApi.tls.certificate".to_string(),
            "harper: tls (http.securePort 9926), tls.certificate".to_string(),
        ]
    );
    assert_eq!(
        used_by(&list, "privateKey.pem"),
        vec![
            "harper: operationsApi.tls, operationsApi.tls.privateKey (from tls)".to_string(),
            "harper: tls (http.securePort 9926), tls.privateKey".to_string(),
        ]
    );
    let audit = cd(&keys, &["--server-config", cfg_s, "audit", "--json"]);
    assert_eq!(audit.code, Some(0), "{}", audit.stdout);
}

#[test]
fn harper_wrong_key_foreign_client_missing_ca_and_bad_yaml() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("hdb");
    let keys = build(&root);
    let cfg = root.join("harperdb-config.yaml");
    let cfg_s = cfg.to_str().unwrap();
    // privateKey points at another key; a client from another CA; mTLS CA file missing.
    let other = tmp.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    cd(&other, &["generate", "ca", "--cn", "Other CA"]).ok();
    cd(
        &other,
        &[
            "generate",
            "client",
            "--cn",
            "stranger",
            "--ca",
            "other-ca.pem",
        ],
    )
    .ok();
    std::fs::copy(
        other.join("stranger.pem"),
        keys.join("clients/stranger.pem"),
    )
    .unwrap();
    std::fs::write(
        &cfg,
        format!(
            "http:\n  mtls: true\ntls:\n  privateKey: {}\n",
            other.join("private/stranger.key").display()
        ),
    )
    .unwrap();
    let audit = cd(&keys, &["--server-config", cfg_s, "audit", "--json"]);
    assert_eq!(audit.code, Some(2), "{}", audit.stdout);
    let report: Value = serde_json::from_str(&audit.stdout).unwrap();
    let c = codes(&report);
    assert!(c.iter().any(|c| c == "config-key-mismatch"), "{c:?}");
    assert!(c.iter().any(|c| c == "config-ca-missing-issuer"), "{c:?}");
    // The outside key is listed by its absolute path, marked as used.
    let list = list_json(&keys, &["--server-config", cfg_s]);
    let abs = std::fs::canonicalize(other.join("private/stranger.key")).unwrap();
    assert_eq!(
        used_by(&list, abs.to_str().unwrap()),
        vec!["harper: tls (http.securePort not set: HTTPS off), tls.privateKey".to_string()]
    );
    std::fs::remove_file(keys.join("ca.pem")).unwrap();
    let audit = cd(&keys, &["--server-config", cfg_s, "audit", "--json"]);
    let report: Value = serde_json::from_str(&audit.stdout).unwrap();
    assert!(
        codes(&report).iter().any(|c| c == "config-missing-file"),
        "{report:#}"
    );

    std::fs::write(&cfg, "tls:\n  certificate: a.pem\n privateKey: b.pem\n").unwrap();
    let r = cd(&keys, &["--server-config", cfg_s, "list", "--json"]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains(&format!("{cfg_s}:3:")), "{}", r.stderr);
    assert!(r.stdout.is_empty());
}
