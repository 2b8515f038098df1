//! Every certificate of the system trust store, as certdeck reports it, against `openssl x509`.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::Path;

/// What openssl says about one PEM certificate.
#[derive(Debug, PartialEq, Eq, Clone)]
struct Facts {
    serial: String,
    not_after: String,
    sha256: String,
    subject_hash: String,
}

fn facts_from_openssl(dir: &Path, pem: &[u8]) -> Facts {
    let o = openssl_stdin(
        dir,
        &[
            "x509",
            "-noout",
            "-serial",
            "-enddate",
            "-fingerprint",
            "-sha256",
            "-subject_hash",
        ],
        pem,
    );
    let text = stdout_of(&o);
    let mut f = Facts {
        serial: String::new(),
        not_after: String::new(),
        sha256: String::new(),
        subject_hash: String::new(),
    };
    for line in text.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("serial=") {
            f.serial = v.to_ascii_lowercase();
        } else if line.starts_with("notAfter=") {
            f.not_after = openssl_date_to_rfc3339(line);
        } else if let Some((k, v)) = line.split_once('=') {
            if k.to_ascii_lowercase().contains("sha256") {
                f.sha256 = unhex_colons(v);
            }
        } else if line.len() == 8 && line.bytes().all(|b| b.is_ascii_hexdigit()) {
            f.subject_hash = line.to_string();
        }
    }
    assert!(
        !f.serial.is_empty()
            && !f.not_after.is_empty()
            && !f.sha256.is_empty()
            && !f.subject_hash.is_empty(),
        "could not read openssl output:\n{text}"
    );
    f
}

fn facts_from_item(it: &serde_json::Value) -> Facts {
    Facts {
        serial: s(it, "serial").to_ascii_lowercase(),
        not_after: s(it, "not_after").to_string(),
        sha256: s(it, "sha256").to_string(),
        subject_hash: s(it, "subject_hash").to_string(),
    }
}

/// The PEM certificate blocks of a file, in order.
fn cert_blocks(text: &str) -> Vec<String> {
    let mut out = vec![];
    let mut cur: Option<String> = None;
    for line in text.lines() {
        if line.starts_with("-----BEGIN CERTIFICATE-----") {
            cur = Some(String::new());
        }
        if let Some(c) = cur.as_mut() {
            c.push_str(line);
            c.push('\n');
        }
        if line.starts_with("-----END CERTIFICATE-----") {
            out.extend(cur.take());
        }
    }
    out
}

/// Copy a directory, dereferencing symlinks (like `cp -rL`), skipping what cannot be read.
fn copy_deref(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let src = e.path();
        let dst = to.join(e.file_name());
        let Ok(meta) = std::fs::metadata(&src) else {
            continue; // dangling link
        };
        if meta.is_dir() {
            copy_deref(&src, &dst);
        } else if meta.is_file() {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

#[test]
fn system_store_matches_openssl() {
    let sys = Path::new("/etc/ssl/certs");
    if !sys.is_dir() {
        eprintln!("skipped: no /etc/ssl/certs");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("certs");
    copy_deref(sys, &store);
    let v = list_json(&store, &[]);

    // Group the certificate items by file.
    let mut by_file: BTreeMap<String, Vec<&serde_json::Value>> = BTreeMap::new();
    for it in items(&v) {
        if it["kind"] == "certificate" {
            by_file
                .entry(s(it, "path").to_string())
                .or_default()
                .push(it);
        }
    }
    assert!(
        by_file.len() > 50,
        "expected many certificate files, got {}",
        by_file.len()
    );

    let mut diffs = vec![];
    let mut compared = 0;
    let mut files_checked = 0;
    for entry in walk(&store) {
        let rel = entry
            .strip_prefix(&store)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let Ok(text) = std::fs::read_to_string(&entry) else {
            continue;
        };
        let blocks = cert_blocks(&text);
        if blocks.is_empty() {
            continue;
        }
        files_checked += 1;
        let ours = by_file.get(&rel).cloned().unwrap_or_default();
        if ours.len() != blocks.len() {
            diffs.push(format!(
                "{rel}: {} BEGIN CERTIFICATE blocks but {} certificate items",
                blocks.len(),
                ours.len()
            ));
            continue;
        }
        for (i, (block, it)) in blocks.iter().zip(&ours).enumerate() {
            assert_eq!(it["index"], i, "items of {rel} out of order");
            if let Some(e) = it.get("error") {
                diffs.push(format!("{rel}#{i}: certdeck error {e}"));
                continue;
            }
            let want = facts_from_openssl(tmp.path(), block.as_bytes());
            let got = facts_from_item(it);
            compared += 1;
            if want != got {
                diffs.push(format!(
                    "{rel}#{i}:\n  openssl:  {want:?}\n  certdeck: {got:?}"
                ));
            }
        }
    }
    assert!(
        diffs.is_empty(),
        "{} mismatches against openssl (of {compared} compared):\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    assert!(compared > 100, "only {compared} certificates compared");
    eprintln!("{compared} certificates in {files_checked} files match openssl");

    // The bundle: one item per BEGIN CERTIFICATE line.
    let bundle = store.join("ca-certificates.crt");
    if bundle.is_file() {
        let text = std::fs::read_to_string(&bundle).unwrap();
        let n = text.matches("-----BEGIN CERTIFICATE-----").count();
        assert_eq!(by_file["ca-certificates.crt"].len(), n);
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}
