//! No private key material ever reaches stdout, stderr or the journal: every action is run
//! with and without `--json` (and as a dry run), then every base64 line of every private key
//! in the store (and of the imported ones) is searched for in everything certdeck printed or
//! journaled.

mod common;

use std::path::Path;

use common::*;

/// Base64 body lines of every private key PEM under `dir` (recursively, history included).
fn key_lines(dir: &Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        let ft = e.file_type().unwrap();
        if ft.is_dir() {
            key_lines(&p, out);
        } else if ft.is_file() {
            let Ok(s) = std::fs::read_to_string(&p) else {
                continue;
            };
            let mut inside = false;
            for line in s.lines() {
                if line.starts_with("-----BEGIN") && line.contains("PRIVATE KEY") {
                    inside = true;
                } else if line.starts_with("-----END") {
                    inside = false;
                } else if inside && !line.contains(':') && line.len() >= 16 {
                    out.push(line.trim().to_string());
                }
            }
        }
    }
}

#[test]
fn no_key_material_in_output_or_journal() {
    let tmp = tempfile::tempdir().unwrap();
    let st = tmp.path().join("store");
    std::fs::create_dir(&st).unwrap();
    let st = st.as_path();
    let w = tmp.path().join("work");
    std::fs::create_dir(&w).unwrap();
    let pass = write(tmp.path(), "pass.txt", "secret-pass-1\n");
    let pf = pass.to_str().unwrap();

    // Outside material to import: a PKCS#12 and a PEM cert+key (openssl-made).
    openssl(
        &w,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "imp.key",
            "-out",
            "imp.pem",
            "-subj",
            "/CN=imported",
            "-days",
            "90",
        ],
    );
    openssl(
        &w,
        &[
            "pkcs12",
            "-export",
            "-in",
            "imp.pem",
            "-inkey",
            "imp.key",
            "-out",
            "imp.p12",
            "-passout",
            "pass:secret-pass-1",
        ],
    );
    openssl(
        &w,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "pem.key",
            "-out",
            "pem.pem",
            "-subj",
            "/CN=pem-import",
            "-days",
            "90",
        ],
    );
    openssl(
        &w,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "csr.key",
            "-out",
            "ext.csr",
            "-subj",
            "/CN=ext-csr",
        ],
    );
    let wp = |n: &str| w.join(n).to_str().unwrap().to_string();
    let (p12, pemc, pemk, csr) = (wp("imp.p12"), wp("pem.pem"), wp("pem.key"), wp("ext.csr"));
    let out = |n: &str| w.join(n).to_str().unwrap().to_string();
    let (o_p12, o_ck, o_pem) = (out("o.p12"), out("o-ck.pem"), out("o.pem"));
    let (o_p12b, o_ckb) = (out("o2.p12"), out("o2-ck.pem"));

    let steps: Vec<Vec<&str>> = vec![
        vec!["generate", "ca", "--cn", "Secret CA"],
        vec![
            "generate",
            "server",
            "--cn",
            "s.example",
            "--ca",
            "Secret CA",
            "--key-type",
            "rsa-2048",
        ],
        vec![
            "generate",
            "client",
            "--cn",
            "c1",
            "--ca",
            "Secret CA",
            "--key-type",
            "ed25519",
        ],
        vec![
            "generate",
            "client",
            "--cn",
            "enc",
            "--encrypt-key",
            "--new-passphrase-file",
            pf,
        ],
        vec!["generate", "csr", "--cn", "req.example"],
        vec!["sign", &csr, "--ca", "Secret CA"],
        vec!["--passphrase-file", pf, "import", &p12],
        vec!["import", &pemc, &pemk],
        vec!["trust", "Secret CA"],
        vec!["trust", "c1"],
        vec!["revoke", "c1"],
        vec!["rehash"],
        vec!["undo"],
        vec![
            "--passphrase-file",
            pf,
            "export",
            "s.example",
            "--format",
            "p12",
            "--out",
            &o_p12,
        ],
        vec![
            "export",
            "s.example",
            "--format",
            "cert+key",
            "--out",
            &o_ck,
        ],
        vec!["export", "c1", "--format", "pem", "--out", &o_pem],
        vec![
            "--passphrase-file",
            pf,
            "export",
            "enc",
            "--format",
            "cert+key",
            "--out",
            &o_ckb,
        ],
        vec![
            "--passphrase-file",
            pf,
            "export",
            "enc",
            "--format",
            "p12",
            "--out",
            &o_p12b,
        ],
        vec!["list", "--json"],
        vec!["list"],
        vec!["--passphrase-file", pf, "show", "private/enc.key", "--json"],
        vec!["show", "private/s.example.key"],
        vec!["audit", "--json", "--no-system-trust"],
        vec!["audit", "--no-system-trust"],
    ];
    let mut transcript = String::new();
    let writes = ["generate", "sign", "import", "trust", "revoke", "rehash"];
    for step in &steps {
        let is_write = step.iter().any(|a| writes.contains(a));
        // Write actions: a dry run (text and JSON) first, then the real run with --json, and
        // the text form is covered by replaying generate-like steps under other names below.
        let mut variants: Vec<Vec<&str>> = vec![];
        if is_write {
            variants.push([step.as_slice(), &["--dry-run"]].concat());
            variants.push([step.as_slice(), &["--dry-run", "--json"]].concat());
            variants.push([step.as_slice(), &["--json"]].concat());
        } else if step.contains(&"export") || step.contains(&"undo") {
            variants.push([step.as_slice(), &["--json"]].concat());
        } else {
            variants.push(step.clone());
        }
        for v in variants {
            let r = cd(st, &v);
            if !matches!(v[0], "audit") && !v.contains(&"audit") {
                r.ok();
            }
            transcript.push_str(&format!("$ {v:?}\n{}\n{}\n", r.stdout, r.stderr));
        }
    }
    // The same write actions in text form, on fresh names.
    for step in [
        vec![
            "generate",
            "server",
            "--cn",
            "t.example",
            "--ca",
            "Secret CA",
        ],
        vec![
            "generate",
            "client",
            "--cn",
            "t-enc",
            "--encrypt-key",
            "--new-passphrase-file",
            pf,
        ],
        vec!["trust", "t.example"],
        vec!["revoke", "t.example"],
        vec!["undo"],
        // Over an earlier export: only with --force.
        vec![
            "export",
            "t.example",
            "--format",
            "cert+key",
            "--out",
            &o_ck,
            "--force",
        ],
    ] {
        let r = cd(st, &step);
        r.ok();
        transcript.push_str(&format!("$ {step:?}\n{}\n{}\n", r.stdout, r.stderr));
    }
    // Failures print errors: they must not quote keys either.
    for step in [
        vec!["import", &pemk],
        vec!["--passphrase-file", pf, "import", &p12],
        vec!["generate", "ca", "--cn", "Secret CA"],
    ] {
        let r = cd(st, &step);
        assert_ne!(r.code, Some(0), "{step:?} should fail");
        transcript.push_str(&format!("$ {step:?}\n{}\n{}\n", r.stdout, r.stderr));
    }

    let journal = std::fs::read_to_string(st.join("history/journal.jsonl")).unwrap();
    assert!(journal.lines().count() > 10, "{journal}");
    let mut lines = vec![];
    key_lines(st, &mut lines);
    key_lines(&w, &mut lines);
    // Enough keys were actually found to make the check mean something.
    assert!(lines.len() > 40, "only {} key lines found", lines.len());
    for l in &lines {
        assert!(
            !transcript.contains(l.as_str()),
            "key material {l} printed:\n{transcript}"
        );
        assert!(
            !journal.contains(l.as_str()),
            "key material {l} in the journal"
        );
    }
    // And none of the exports that are secret came out world-readable.
    for f in [&o_p12, &o_ck, &o_ckb, &o_p12b] {
        assert_eq!(mode_of(Path::new(f)), 0o600, "{f}");
    }
    // The passphrase itself is not echoed either.
    assert!(!transcript.contains("secret-pass-1"), "{transcript}");
    assert!(!journal.contains("secret-pass-1"));
}
