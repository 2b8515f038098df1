//! End to end, the action menu and signing a CSR from it (issues #15 and #16): the real binary
//! in tmux, checked with openssl; the hint line at 80x24 and 60x20.

mod tmux_support;

use std::process::Command;
use tmux_support::*;

/// `a` on the CSR lists sign first; Enter opens the form with the CSR's SANs, Enter plans
/// (issuer, validity, key shown), `y` writes a certificate openssl verifies against the CA, and
/// the new certificate is selected.
#[test]
fn sign_a_csr_from_the_action_menu_80x24() {
    let tmp = tempfile::tempdir().unwrap();
    let store = std::fs::canonicalize(tmp.path()).unwrap();
    ca_and_csr_store(&store);
    let t = Tmux::certdeck(&format!("--store {}", store.display()), 80, 24);
    t.wait_for("csr.example");
    t.keys(&["j"]);
    t.wait_until("the CSR selected", |s| {
        line_with(s, "›csr.example").contains("csr")
    });
    t.keys(&["a"]);
    let s = t.wait_for("Actions: csr.example (csr)");
    t.assert_fits(&s);
    assert!(line_with(&s, "›S").contains("sign a CSR with a CA"), "{s}");
    assert!(!s.contains("trust selected certificate"), "{s}");
    t.keys(&["Enter"]);
    let s = t.wait_for("Sign CSR csr.example");
    assert!(s.contains("DNS:csr.example, DNS:www.csr.example"), "{s}");
    assert!(s.contains("‹ Menu Test CA (ca.pem) ›"), "{s}");
    t.keys(&["Enter"]);
    let s = t.wait_for("Apply?");
    t.assert_fits(&s);
    for want in [
        "issuer  Menu Test CA (ca.pem)",
        "profile server",
        "valid   398 days",
        "csr.example.pem",
    ] {
        assert!(s.contains(want), "{want}:\n{s}");
    }
    assert!(!store.join("csr.example.pem").exists(), "nothing before y");
    t.keys(&["y"]);
    let s = t.wait_for("applied: sign CSR csr.example");
    t.assert_fits(&s);
    let o = Command::new("openssl")
        .current_dir(&store)
        .args(["verify", "-CAfile", "ca.pem", "csr.example.pem"])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    // The new certificate is selected once it is listed.
    t.wait_until("the new certificate selected", |s| {
        line_with(s, "›csr.example").contains("cert")
    });
    t.keys(&["q"]);
    t.wait_for("CERTDECK-EXITED-0");
}

/// The hint line shows whole hints, `?` among them, at both sizes; read-only's menu offers
/// only the probe.
#[test]
fn hint_line_and_read_only_menu_at_80x24_and_60x20() {
    let tmp = tempfile::tempdir().unwrap();
    let store = std::fs::canonicalize(tmp.path()).unwrap();
    ca_and_csr_store(&store);
    for (w, h) in [(80u16, 24u16), (60, 20)] {
        let t = Tmux::certdeck(&format!("--read-only --store {}", store.display()), w, h);
        let s = t.wait_for("csr.example");
        t.assert_fits(&s);
        let hints = s.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
        assert!(
            hints.contains("? help") && hints.contains("a/: actions"),
            "{w}: {hints:?}"
        );
        t.keys(&["a"]);
        let s = t.wait_for("Actions: ");
        assert!(s.contains("read-only: only reading actions"), "{s}");
        assert!(s.contains("probe a TLS port"), "{s}");
        assert!(!s.contains("new certificate / CSR"), "{s}");
        t.keys(&["Escape"]);
        t.wait_until("the menu closed", |s| !s.contains("Actions: "));
        t.keys(&["q"]);
        t.wait_for("CERTDECK-EXITED-0");
    }
}

/// In a real terminal: `R` renews the self-signed CA (same key; it verifies itself after),
/// then `K` encrypts its key with a passphrase that never shows (dots only), and openssl opens
/// the key with that passphrase.
#[test]
fn renew_and_masked_key_passphrase_at_80x24() {
    let tmp = tempfile::tempdir().unwrap();
    let store = std::fs::canonicalize(tmp.path()).unwrap();
    ca_and_csr_store(&store);
    let old = std::fs::read(store.join("ca.pem")).unwrap();
    let t = Tmux::certdeck(&format!("--store {}", store.display()), 80, 24);
    t.wait_for("ca.key");
    t.wait_until("the CA selected", |s| {
        line_with(s, "›Menu Test CA").contains("cert")
    });
    t.keys(&["R"]);
    let s = t.wait_for("Apply?");
    t.assert_fits(&s);
    assert!(
        s.contains("issuer  self-signed") && s.contains("key     the same: private/ca.key"),
        "{s}"
    );
    t.keys(&["y"]);
    t.wait_for("applied: renew Menu Test CA");
    assert_ne!(std::fs::read(store.join("ca.pem")).unwrap(), old);
    let o = Command::new("openssl")
        .current_dir(&store)
        .args(["verify", "-CAfile", "ca.pem", "ca.pem"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    t.keys(&["G"]);
    t.wait_until("the key selected", |s| {
        line_with(s, "›ca.key").contains("key")
    });
    t.keys(&["K"]);
    t.wait_for("Key passphrase: private/ca.key");
    t.keys(&["-l", "Tty-Secret-1"]);
    t.keys(&["Tab"]);
    t.keys(&["-l", "Tty-Secret-1"]);
    let s = t.wait_for("••••••••••••");
    assert!(!s.contains("Tty-Secret"), "{s}");
    t.keys(&["Enter"]);
    let s = t.wait_for("Apply?");
    assert!(!s.contains("Tty-Secret"), "{s}");
    t.keys(&["y"]);
    t.wait_for("applied: key encrypt private/ca.key");
    let o = Command::new("openssl")
        .current_dir(&store)
        .args([
            "pkey",
            "-in",
            "private/ca.key",
            "-passin",
            "pass:Tty-Secret-1",
            "-noout",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    t.keys(&["q"]);
    t.wait_for("CERTDECK-EXITED-0");
}

/// In a real terminal: `e`, format p12, a path typed over the suggestion, the passphrase
/// twice (dots only); the file is 0600 and `openssl pkcs12 -info` opens it with that passphrase.
#[test]
fn export_pkcs12_at_80x24() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let store = std::fs::canonicalize(tmp.path()).unwrap().join("s");
    std::fs::create_dir(&store).unwrap();
    ca_and_csr_store(&store);
    let out = store.parent().unwrap().join("ca.p12");
    let t = Tmux::certdeck(&format!("--store {}", store.display()), 80, 24);
    t.wait_until("the CA selected", |s| {
        line_with(s, "›Menu Test CA").contains("cert")
    });
    t.keys(&["e"]);
    t.wait_for("Export Menu Test CA");
    t.keys(&["Up", "Left"]);
    t.wait_for("‹ p12 ›");
    t.keys(&["Tab", "C-u", "-l", out.to_str().unwrap()]);
    t.keys(&["Tab", "-l", "P12-tty-pass", "Tab", "-l", "P12-tty-pass"]);
    let s = t.wait_for("••••••••••••");
    assert!(!s.contains("P12-tty-pass"), "{s}");
    t.keys(&["Enter"]);
    let s = t.wait_for("Apply?");
    assert!(s.contains("mode 0600"), "{s}");
    t.keys(&["y"]);
    t.wait_for("exported");
    let mode = std::fs::metadata(&out).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let o = Command::new("openssl")
        .args([
            "pkcs12",
            "-info",
            "-noenc",
            "-passin",
            "pass:P12-tty-pass",
            "-in",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("PRIVATE KEY"));
    t.keys(&["q"]);
    t.wait_for("CERTDECK-EXITED-0");
}
