//! End to end, the passphrase prompt (#16) at 80x24: the real binary in tmux opens an
//! encrypted key (openssl genpkey -aes256) and a PKCS#12 (openssl pkcs12 -export) in place.

mod tmux_support;

use std::path::Path;
use std::process::Command;
use tmux_support::*;

fn openssl(root: &Path, args: &[&str]) {
    let o = Command::new("openssl")
        .current_dir(root)
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Enter on the locked key: a masked prompt; a wrong passphrase says so and asks again; the
/// right one opens it (and it pairs with its certificate); `U` opens the PKCS#12 likewise.
#[test]
fn unlock_a_key_and_a_pkcs12_at_80x24() {
    let tmp = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(tmp.path()).unwrap();
    let kp = "pass:Tty-key-pass";
    openssl(
        &root,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-aes256",
            "-pass",
            kp,
            "-out",
            "locked.key",
        ],
    );
    openssl(
        &root,
        &[
            "req",
            "-x509",
            "-key",
            "locked.key",
            "-passin",
            kp,
            "-subj",
            "/CN=tty.example",
            "-days",
            "30",
            "-out",
            "tty.pem",
        ],
    );
    openssl(
        &root,
        &[
            "pkcs12",
            "-export",
            "-in",
            "tty.pem",
            "-inkey",
            "locked.key",
            "-passin",
            kp,
            "-passout",
            "pass:Tty-p12-pass",
            "-out",
            "bundle.p12",
        ],
    );
    let t = Tmux::certdeck(&format!("--store {}", root.display()), 80, 24);
    t.wait_for("tty.example");
    t.keys(&["/", "-l", "locked.key", "Enter"]);
    let s = t.wait_until("the locked key selected", |s| {
        s.lines()
            .any(|l| l.contains('›') && l.contains("locked.key"))
    });
    assert!(line_with(&s, "locked.key").contains("locked"), "{s}");
    t.keys(&["Enter"]);
    t.wait_for("Unlock: locked.key");
    t.keys(&["-l", "wrong-one"]);
    let s = t.wait_for("•••••••••");
    assert!(!s.contains("wrong-one"), "{s}");
    t.keys(&["Enter"]);
    t.wait_for("wrong passphrase: locked.key is still locked");
    t.keys(&["-l", "Tty-key-pass"]);
    t.wait_for("••••••••••••");
    t.keys(&["Enter"]);
    let s = t.wait_for("unlocked locked.key");
    assert!(!s.contains("Tty-key-pass"), "{s}");
    assert!(!line_with(&s, "locked.key").contains("locked "), "{s}");
    t.assert_fits(&s);
    // Opened, it pairs with tty.pem: the details name that certificate's file (once the
    // findings, computed on a worker, no longer list the locked state above it).
    let s = t.wait_until("Pairs with tty.pem", |s| {
        let pairs = line_with(s, "Pairs with");
        pairs.contains("tty.pem") && !pairs.contains(" -")
    });
    t.assert_fits(&s);

    t.keys(&["/", "C-u", "-l", "bundle", "Enter"]);
    t.wait_until("the PKCS#12 selected", |s| {
        s.lines()
            .any(|l| l.contains('›') && l.contains("bundle.p12"))
    });
    t.keys(&["U"]);
    t.wait_for("Unlock: bundle.p12");
    t.keys(&["-l", "Tty-p12-pass", "Enter"]);
    t.wait_for("unlocked bundle.p12");
    t.keys(&["q"]);
    t.wait_for("CERTDECK-EXITED-0");
}
