//! End to end (#16), the keystore verbs from the TUI at 80x24 and 120x40: the real binary in tmux runs
//! genkeypair, certreq, import-reply, add-trusted and passwd on a PKCS#12 keystore keytool
//! made, each through the form and the confirm dialog; the real keytool lists the result after
//! each one. Skips (with a message) only when keytool is not installed.

mod common;
mod tmux_support;

use common::{cd, keytool, keytool_ok, openssl};
use std::path::Path;
use tmux_support::*;

const PASS: &str = "Store-pass-1";
const NEW_PASS: &str = "New-store-pass";

fn list(root: &Path, pass: &str) -> String {
    keytool_ok(
        root,
        &[
            "-list",
            "-keystore",
            "app.p12",
            "-storetype",
            "PKCS12",
            "-storepass",
            pass,
        ],
    )
}

/// Select the keystore row of `file`: the filter narrows the list to its rows (once open, its
/// certificates and keys too), then `j` down to the keystore itself.
fn select(t: &Tmux, file: &str) {
    t.keys(&["/", "C-u", "-l", file, "Enter"]);
    let is_ks = |s: &str| {
        s.lines()
            .any(|l| l.contains('›') && l.contains(file) && l.contains(" ks "))
    };
    for _ in 0..6 {
        let s = t.settled();
        if is_ks(&s) {
            return;
        }
        t.keys(&["j"]);
    }
    t.wait_until(&format!("{file} selected"), is_ks);
}

/// After `y`: the report, then the pager it may open at 80 columns closed.
fn applied(t: &Tmux, what: &str) -> String {
    let s = t.wait_for(&format!("applied: keystore {what}"));
    t.assert_fits(&s);
    if s.contains(" Message ") {
        t.keys(&["Escape"]);
        t.wait_until("the pager closed", |s| !s.contains(" Message "));
    }
    s
}

/// Open the keystore form on app.p12 with the verb `right` steps after genkeypair.
fn form(t: &Tmux, right: usize) {
    select(t, "app.p12");
    t.keys(&["P"]);
    t.wait_for("Verb");
    for _ in 0..right {
        t.keys(&["Right"]);
    }
}

#[test]
fn keystore_verbs_from_the_tui_80x24_and_120x40() {
    for (w, h) in SIZES {
        keystore_verbs(w, h);
    }
}

fn keystore_verbs(w: u16, h: u16) {
    if !Path::new("/usr/bin/keytool").exists() {
        eprintln!("SKIPPED tui_keystore_tmux: no keytool (apt-get install default-jre-headless)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(tmp.path()).unwrap();
    cd(&root, &["generate", "ca", "--cn", "KS CA"]).ok();
    keytool_ok(
        &root,
        &[
            "-genkeypair",
            "-keystore",
            "app.p12",
            "-storetype",
            "PKCS12",
            "-storepass",
            PASS,
            "-alias",
            "app",
            "-keyalg",
            "RSA",
            "-keysize",
            "2048",
            "-dname",
            "CN=app.example",
            "-validity",
            "30",
        ],
    );
    let t = Tmux::certdeck(&format!("--store {}", root.display()), w, h);
    t.wait_for("KS CA");
    // Locked until its password is typed (the masked prompt).
    select(&t, "app.p12");
    t.keys(&["U"]);
    t.wait_for("Unlock: app.p12");
    t.keys(&["-l", PASS, "Enter"]);
    t.wait_for("unlocked app.p12");

    // genkeypair: a second key entry; the keyring's password opens the keystore.
    form(&t, 0);
    t.keys(&["Tab", "Tab", "C-u", "-l", "second"]);
    t.keys(&["Tab", "-l", "second.example", "Enter"]);
    let s = t.wait_for("keystore genkeypair second");
    t.assert_fits(&s);
    assert!(s.contains("app.p12"), "the plan names the file:\n{s}");
    t.keys(&["y"]);
    applied(&t, "genkeypair second");
    let l = list(&root, PASS);
    assert!(l.contains("Your keystore contains 2 entries"), "{l}");
    assert!(line_with(&l, "second,").contains("PrivateKeyEntry"), "{l}");

    // certreq: a CSR for the keytool-made entry, its subject from the certificate.
    form(&t, 1);
    t.wait_for("CSR file");
    t.keys(&["Tab", "Tab", "C-u", "-l", "app"]);
    t.keys(&["Tab", "Tab", "C-u", "-l", "app.csr", "Enter"]);
    t.wait_for("keystore certreq app from app.p12");
    t.keys(&["y"]);
    applied(&t, "certreq app");
    let o = openssl(
        &root,
        &["req", "-in", "app.csr", "-noout", "-verify", "-subject"],
    );
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success() && out.contains("app.example"), "{out}");
    assert!(list(&root, PASS).contains("2 entries"));

    // The CA signs it (CLI), and import-reply puts the chain into the entry.
    let csr = root.join("app.csr");
    let csr = csr.to_str().unwrap();
    cd(&root, &["sign", csr, "--ca", "KS CA", "--out", "reply.pem"]).ok();
    form(&t, 2);
    t.wait_for("Cert file");
    t.keys(&[
        "Tab",
        "Tab",
        "C-u",
        "-l",
        "app",
        "Tab",
        "-l",
        "reply.pem",
        "Enter",
    ]);
    t.wait_for("keystore import-reply app in app.p12 (chain of 2)");
    t.keys(&["y"]);
    applied(&t, "import-reply app");
    let v = keytool_ok(
        &root,
        &[
            "-list",
            "-v",
            "-keystore",
            "app.p12",
            "-storetype",
            "PKCS12",
            "-storepass",
            PASS,
            "-alias",
            "app",
        ],
    );
    assert!(v.contains("Certificate chain length: 2"), "{v}");
    assert!(v.contains("Issuer: CN=KS CA"), "{v}");

    // add-trusted: the CA as a trustedCertEntry.
    form(&t, 3);
    t.wait_for("Cert file");
    t.keys(&[
        "Tab",
        "Tab",
        "C-u",
        "-l",
        "ks-ca",
        "Tab",
        "-l",
        "ks-ca.pem",
        "Enter",
    ]);
    t.wait_for("keystore add-trusted ks-ca");
    t.keys(&["y"]);
    applied(&t, "add-trusted ks-ca");
    let l = list(&root, PASS);
    assert!(line_with(&l, "ks-ca,").contains("trustedCertEntry"), "{l}");
    assert!(l.contains("3 entries"), "{l}");

    // passwd: the current password typed (masked), the new one twice; a mismatch first.
    form(&t, 4);
    t.wait_for("New password");
    t.keys(&[
        "Tab", "Tab", "-l", PASS, "Tab", "-l", NEW_PASS, "Tab", "-l", "typo",
    ]);
    t.keys(&["Enter"]);
    let s = t.wait_for("the two passphrases differ");
    assert!(!s.contains(PASS) && !s.contains(NEW_PASS), "masked:\n{s}");
    t.keys(&["C-u", "-l", NEW_PASS, "Enter"]);
    t.wait_for("keystore passwd app.p12");
    t.keys(&["y"]);
    applied(&t, "passwd app.p12");
    // The new password went into the session's keyring: the rewritten file stays open.
    select(&t, "app.p12");
    t.wait_until("app.p12 open with the new password", |s| {
        line_with(s, "Locked").contains("no") && s.contains("ks-ca (trusted_cert_entry")
    });
    let l = list(&root, NEW_PASS);
    assert!(l.contains("3 entries"), "{l}");
    let (ok, out) = keytool(
        &root,
        &[
            "-list",
            "-keystore",
            "app.p12",
            "-storetype",
            "PKCS12",
            "-storepass",
            PASS,
        ],
    );
    assert!(!ok, "the old password still opens it:\n{out}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(root.join("app.p12"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    t.keys(&["q"]);
    t.wait_for("CERTDECK-EXITED-0");
}
