//! End to end, copying over SSH (issue #16): `y` and the `Y` menu write OSC 52, which tmux with
//! `set-clipboard on` turns into a paste buffer; `--no-clipboard` writes none. The expected
//! fingerprint comes from openssl, not from certdeck.

mod tmux_support;

use certdeck::pki::issue::{generate_key, issue, IssueRequest, KeyType, Profile, SubjectSpec};
use std::path::Path;
use std::process::Command;
use time::OffsetDateTime;
use tmux_support::*;

fn store_with_cert(store: &Path) -> String {
    let now = OffsetDateTime::now_utc() - time::Duration::hours(1);
    let key = generate_key(KeyType::EcP256).unwrap();
    let req = IssueRequest {
        profile: Profile::Server,
        subject: SubjectSpec::cn("copy.example"),
        sans: vec!["copy.example".into()],
        not_before: now,
        not_after: now + time::Duration::days(90),
        path_len: None,
    };
    let cert = issue(&req, &key, None).unwrap();
    put(store, "web/copy.pem", cert.cert_pem.as_bytes(), 0o644);
    cert.cert_pem
}

/// `SHA256 Fingerprint=AB:CD:…` as openssl prints it, the value only.
fn openssl_fingerprint(file: &Path, digest: &str) -> String {
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", digest, "-in"])
        .arg(file)
        .output()
        .expect("openssl is required (scripts/test.sh installs it)");
    assert!(out.status.success());
    let s = String::from_utf8(out.stdout).unwrap();
    s.trim().split_once('=').unwrap().1.to_string()
}

/// The newest paste buffer, waiting for it to change from `old` (the UI is asynchronous).
fn buffer_after(t: &Tmux, old: &str) -> String {
    let start = std::time::Instant::now();
    loop {
        let out = t.tmux(&["show-buffer"]);
        let s = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() && s != old {
            return s;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "no new paste buffer; screen:\n{}",
            t.screen()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn copy_case(n: usize) {
    let (w, h) = SIZES[n];
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("s");
    let pem = store_with_cert(&store);
    let ro = if n == 1 { "--read-only " } else { "" };
    let t = Tmux::certdeck(&format!("{ro}--store {}", store.display()), w, h);
    assert!(t
        .tmux(&["set", "-s", "set-clipboard", "on"])
        .status
        .success());
    t.wait_for("copy.example");
    let file = store.join("web/copy.pem");

    t.keys(&["y"]);
    let got = buffer_after(&t, "");
    assert_eq!(got, openssl_fingerprint(&file, "-sha256"));
    let s = t.wait_for("copied SHA-256 fingerprint");
    t.assert_fits(&s);

    // The menu: PEM is the second entry.
    t.keys(&["Y"]);
    let s = t.wait_for("Copy to the clipboard");
    for entry in [
        "certificate PEM",
        "subject",
        "serial",
        "SHA-1",
        "CSR PEM",
        "chain PEM",
    ] {
        assert!(s.contains(entry), "{entry} in the menu:\n{s}");
    }
    t.assert_fits(&s);
    t.keys(&["j", "Enter"]);
    let got = buffer_after(&t, &openssl_fingerprint(&file, "-sha256"));
    assert_eq!(got, pem);
    let s = t.wait_for("copied certificate PEM");
    assert!(!s.contains("Copy to the clipboard"), "menu closed:\n{s}");

    // SHA-1, sixth entry: G goes to the last, k twice up.
    t.keys(&["Y", "G", "k", "k", "Enter"]);
    let got = buffer_after(&t, &pem);
    assert_eq!(got, openssl_fingerprint(&file, "-sha1"));

    // A CSR entry on a certificate says there is nothing to copy.
    t.keys(&["Y", "G", "k", "Enter"]);
    t.wait_for("not a CSR");
    t.keys(&["q"]);
    t.wait_for("CERTDECK-EXITED-0");
}

#[test]
fn copy_80x24() {
    copy_case(0);
}

#[test]
fn copy_120x40_read_only() {
    copy_case(1);
}

#[test]
fn no_clipboard_writes_no_osc52() {
    for (w, h) in SIZES {
        let tmp = tempfile::tempdir().unwrap();
        let store = tmp.path().join("s");
        store_with_cert(&store);
        let t = Tmux::certdeck(&format!("--no-clipboard --store {}", store.display()), w, h);
        assert!(t
            .tmux(&["set", "-s", "set-clipboard", "on"])
            .status
            .success());
        t.wait_for("copy.example");
        t.keys(&["y"]);
        t.wait_for("clipboard off");
        t.keys(&["Y", "Enter"]);
        t.wait_for("clipboard off");
        let out = t.tmux(&["show-buffer"]);
        assert!(
            !out.status.success() || out.stdout.is_empty(),
            "a buffer was set: {:?}",
            String::from_utf8_lossy(&out.stdout)
        );
        t.keys(&["q"]);
        t.wait_for("CERTDECK-EXITED-0");
    }
}

/// `Y`'s last entry on a CA-signed leaf: the leaf's PEM, then its CA's, as in the files; and
/// openssl verifies the leaf with the copied chain.
#[test]
fn copy_chain_pem_80x24() {
    use certdeck::pki::issue::Signer;
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("s");
    let now = OffsetDateTime::now_utc() - time::Duration::hours(1);
    let ca_key = generate_key(KeyType::EcP256).unwrap();
    let ca_req = IssueRequest {
        profile: Profile::Ca,
        subject: SubjectSpec::cn("Copy CA"),
        sans: vec![],
        not_before: now,
        not_after: now + time::Duration::days(900),
        path_len: None,
    };
    let ca = issue(&ca_req, &ca_key, None).unwrap();
    let key = generate_key(KeyType::EcP256).unwrap();
    let req = IssueRequest {
        profile: Profile::Server,
        subject: SubjectSpec::cn("leaf.example"),
        sans: vec!["leaf.example".into()],
        not_before: now,
        not_after: now + time::Duration::days(90),
        path_len: None,
    };
    let signer = Signer {
        cert_der: &ca.cert_der,
        key: &ca_key,
    };
    let leaf = issue(&req, &key, Some(signer)).unwrap();
    put(&store, "ca.pem", ca.cert_pem.as_bytes(), 0o644);
    put(&store, "leaf.pem", leaf.cert_pem.as_bytes(), 0o644);
    let t = Tmux::certdeck(&format!("--store {}", store.display()), 80, 24);
    assert!(t
        .tmux(&["set", "-s", "set-clipboard", "on"])
        .status
        .success());
    t.wait_for("leaf.example");
    t.keys(&["/", "leaf", "Enter"]);
    t.wait_until("the leaf selected", |s| {
        line_with(s, "›").contains("leaf.example")
    });
    // The chain is known once the signatures are verified.
    t.wait_for("ends in trusted root Copy CA");
    t.keys(&["Y", "G", "Enter"]);
    let got = buffer_after(&t, "");
    assert_eq!(got, format!("{}{}", leaf.cert_pem, ca.cert_pem));
    let chain = tmp.path().join("chain.pem");
    std::fs::write(&chain, &got).unwrap();
    let out = Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(&chain)
        .arg(store.join("leaf.pem"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    t.keys(&["q"]);
    t.wait_for("CERTDECK-EXITED-0");
}
