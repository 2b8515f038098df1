//! End to end, the text view (`v`, issue #16): the dump agrees with `openssl x509 -text` on
//! serial and key identifier, the PEM is the file's, and `/`, n, N search like less.

mod tmux_support;

use certdeck::pki::issue::{generate_key, issue, IssueRequest, KeyType, Profile, SubjectSpec};
use std::process::Command;
use time::OffsetDateTime;
use tmux_support::*;

/// The value on the line after `label` in `openssl x509 -text` output.
fn openssl_value_after(text: &str, label: &str) -> String {
    let mut lines = text.lines();
    lines.find(|l| l.contains(label)).expect(label);
    lines.next().unwrap().trim().to_string()
}

fn text_view_case(n: usize) {
    let (w, h) = SIZES[n];
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("s");
    let now = OffsetDateTime::now_utc() - time::Duration::hours(1);
    let key = generate_key(KeyType::EcP256).unwrap();
    let req = IssueRequest {
        profile: Profile::Server,
        subject: SubjectSpec::cn("text.example"),
        sans: (0..30).map(|i| format!("alt{i}.text.example")).collect(),
        not_before: now,
        not_after: now + time::Duration::days(90),
        path_len: None,
    };
    let cert = issue(&req, &key, None).unwrap();
    put(&store, "text.pem", cert.cert_pem.as_bytes(), 0o644);
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(store.join("text.pem"))
        .output()
        .expect("openssl is required (scripts/test.sh installs it)");
    let ossl = String::from_utf8(out.stdout).unwrap();
    let serial = openssl_value_after(&ossl, "Serial Number:");
    let ski = openssl_value_after(&ossl, "Subject Key Identifier");

    let ro = if n == 1 { "--read-only " } else { "" };
    let t = Tmux::certdeck(&format!("{ro}--store {}", store.display()), w, h);
    t.wait_for("text.example");
    t.keys(&["v"]);
    let s = t.wait_for("Certificate:");
    t.assert_fits(&s);
    // Nothing is cut at the border: the names and fingerprints are broken into lines.
    let inner = w as usize - 2;
    for l in s.lines().filter(|l| l.starts_with('│')) {
        let text: String = l.chars().skip(1).take(inner).collect();
        assert!(text.ends_with(' '), "line cut at the border: {l:?}");
    }
    assert!(s.contains(&serial), "openssl's serial {serial}:\n{s}");
    assert!(s.contains("Text: text.pem #0"), "{s}");
    // Search: the key identifier openssl prints, then the PEM's first line.
    t.keys(&["/", "Subject Key", "Enter"]);
    let s = t.wait_for("/subject key");
    assert!(s.contains(&ski), "openssl's key identifier {ski}:\n{s}");
    t.keys(&["/", "BEGIN CERT", "Enter"]);
    let s = t.wait_for("-----BEGIN CERTIFICATE-----");
    let first_b64 = cert.cert_pem.lines().nth(1).unwrap();
    assert!(s.contains(first_b64), "the file's PEM:\n{s}");
    // n wraps to the top (the only match), N too; a search with no match says so.
    t.keys(&["g", "n"]);
    t.wait_for("-----BEGIN CERTIFICATE-----");
    t.keys(&["/", "zzz-nothing", "Enter"]);
    t.wait_for("no match for /zzz-nothing");
    // Esc closes the view; the list is back.
    t.keys(&["Escape"]);
    let s = t.wait_until("the view closed", |s| !s.contains("Text: text.pem"));
    assert!(s.contains("Items 1/1"), "{s}");
    t.keys(&["q"]);
    t.wait_for("CERTDECK-EXITED-0");
}

#[test]
fn text_view_80x24() {
    text_view_case(0);
}

#[test]
fn text_view_120x40_read_only() {
    text_view_case(1);
}
