//! End to end: the real binary in tmux at 80x24, driven with keys like a person would.

mod tmux_support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;
use tmux_support::*;

/// certdeck on `store` in tmux at 80x24, once the demo store's first rows show.
fn browse(store: &Path) -> Tmux {
    let cmd = format!(
        "{} --store {}",
        env!("CARGO_BIN_EXE_certdeck"),
        store.display()
    );
    let t = Tmux::start(&cmd, 80, 24, &[]);
    t.wait_for("old.example.com");
    t
}

#[test]
fn browse_demo_store_at_80x24() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("demo");
    demo_store(&store);
    // The pane stays open after exit so we can see the restored terminal.
    let cmd = format!(
        "{} --store {}",
        env!("CARGO_BIN_EXE_certdeck"),
        store.display()
    );
    let t = Tmux::start(&cmd, 80, 24, &[("NO_COLOR", "1")]);
    let s = t.wait_for("old.example.com");
    // Expired first when sorted by expiry, readable without colour.
    assert!(s.contains("EXPIRED"), "{s}");
    assert!(s.contains("!! -"), "text marker for expired: {s}");
    assert!(s.contains("expiring"), "{s}");
    t.assert_fits(&s);
    // Filter as you type.
    t.keys(&["/", "a", "l", "i", "c", "e"]);
    // The filter narrows the list: old.example.com goes, alice stays (20 s, else it did not).
    let s = t.wait_until("alice, without old.example.com", |s| {
        s.contains("alice") && !s.contains("old.example.com")
    });
    assert!(s.contains("alice"), "filter lost the match:\n{s}");
    t.keys(&["Escape"]);
    t.wait_for("old.example.com");
    // Details of the selected item.
    t.keys(&["j", "Enter"]);
    let s = t.wait_for("Not after");
    assert!(s.contains("Details"), "{s}");
    // At 24 rows the fingerprints are below the fold: the details pane scrolls.
    // (Findings with their fix text come before them: page on as a user would.)
    for _ in 0..12 {
        if t.screen().contains("SHA-256") {
            break;
        }
        t.keys(&["PageDown"]);
        std::thread::sleep(Duration::from_millis(300));
    }
    t.wait_for("SHA-256");
    t.keys(&["Enter"]);
    // Help is generated from the keymap.
    t.keys(&["?"]);
    let s = t.wait_for("filter");
    assert!(s.to_lowercase().contains("help"), "{s}");
    t.keys(&["Escape"]);
    t.wait_for("sort expiry");
    // Quit restores the terminal: the shell's echo is visible on a normal screen.
    t.keys(&["q"]);
    let s = t.wait_for("CERTDECK-EXITED-0");
    assert!(!s.contains("Items "), "alternate screen not left:\n{s}");
    assert!(t.alive());
}

#[test]
fn file_changes_appear_without_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("demo");
    demo_store(&store);
    let t = browse(&store);
    // Another admin drops a certificate into the store.
    std::fs::copy(
        store.join("clients/alice.pem"),
        store.join("clients/zz-copy-of-alice.pem"),
    )
    .unwrap();
    t.keys(&["/", "z", "z", "-"]);
    t.wait_for("zz-copy");
    // A directory made after the start is watched too: a file moved into it shows.
    std::fs::create_dir(store.join("later")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    std::fs::copy(
        store.join("clients/alice.pem"),
        store.join("later/zz-late.pem"),
    )
    .unwrap();
    t.keys(&["Escape", "/", "z", "z", "-", "l"]);
    t.wait_for("later/zz-late.pem");
    t.keys(&["Escape", "q"]);
}

/// `--encrypt-key` without a passphrase file asks on the terminal, twice, without echo.
#[test]
fn passphrase_prompt_is_not_echoed_and_encrypts_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("s");
    std::fs::create_dir(&store).unwrap();
    let cmd = format!(
        "{} generate ca --cn PromptCA --encrypt-key --store {}",
        env!("CARGO_BIN_EXE_certdeck"),
        store.display()
    );
    let t = Tmux::start(&cmd, 80, 24, &[]);
    t.wait_for("new passphrase:");
    t.keys(&["correct-horse-9", "Enter"]);
    t.wait_for("again:");
    t.keys(&["correct-horse-9", "Enter"]);
    let s = t.wait_for("CERTDECK-EXITED-0");
    assert!(!s.contains("correct-horse-9"), "passphrase echoed:\n{s}");
    let key = std::fs::read_to_string(store.join("private/promptca.key")).unwrap();
    assert!(key.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    let pass = tmp.path().join("pass");
    std::fs::write(&pass, "correct-horse-9\n").unwrap();
    let ok = Command::new("openssl")
        .args(["pkey", "-noout", "-passin"])
        .arg(format!("file:{}", pass.display()))
        .arg("-in")
        .arg(store.join("private/promptca.key"))
        .status()
        .unwrap();
    assert!(
        ok.success(),
        "openssl could not open the key with the typed passphrase"
    );
}

#[test]
fn list_scrolled_by_the_terminal_matches_a_full_repaint() {
    // Moving past the window's edge scrolls the list lines in the terminal (a scroll region)
    // and sends only the rows that came into view; the screen must be exactly what a full
    // repaint draws.
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("demo");
    demo_store(&store);
    for i in 0..30 {
        std::fs::copy(
            store.join("clients/alice.pem"),
            store.join(format!("clients/copy-{i:02}.pem")),
        )
        .unwrap();
    }
    let t = browse(&store);
    // Down far past the window, then back up past its top; one key at a time so that single
    // row scrolls happen, plus a burst (several rows in one frame).
    for _ in 0..20 {
        t.keys(&["j"]);
        std::thread::sleep(Duration::from_millis(30));
    }
    t.keys(&["k", "k", "k", "k", "k", "k"]);
    for _ in 0..8 {
        t.keys(&["k"]);
        std::thread::sleep(Duration::from_millis(30));
    }
    std::thread::sleep(Duration::from_millis(500));
    let scrolled = t.screen();
    assert!(scrolled.contains('›'), "selection shown:\n{scrolled}");
    // A resize makes the app clear the terminal and draw everything.
    for x in [81, 80] {
        t.resize(x, 24);
        std::thread::sleep(Duration::from_millis(500));
    }
    let repainted = t.screen();
    assert_eq!(scrolled, repainted);
    t.keys(&["q"]);
}
