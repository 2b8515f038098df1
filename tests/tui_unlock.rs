//! The passphrase prompt (#16): a locked encrypted key (openssl genpkey -aes256) and a PKCS#12
//! (openssl pkcs12 -export) show "locked"; Enter / U asks for the passphrase (masked), a wrong
//! one asks again, the right one opens the file in place (the key then pairs with its
//! certificate and renews, checked with openssl verify). TestBackend, through the executor.

mod tui_support;

use certdeck::tui::app::{App, Effect, Msg};
use certdeck::tui::effects;
use certdeck::tui::flow::Overlay;
use certdeck::tui::keymap::Action;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::Path;
use std::process::Command;
use tui_support::*;

const KEY_PASS: &str = "s3cret-key";
const P12_PASS: &str = "p12-Pass";

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn type_str(app: &mut App, s: &str) {
    for c in s.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn openssl(root: &Path, args: &[&str]) -> String {
    let o = Command::new("openssl")
        .current_dir(root)
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// locked.key (AES-256 PKCS#8), its self-signed locked.pem, and bundle.p12 of both.
fn locked_store(root: &Path) {
    let kp = format!("pass:{KEY_PASS}");
    openssl(
        root,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-aes256",
            "-pass",
            &kp,
            "-out",
            "locked.key",
        ],
    );
    openssl(
        root,
        &[
            "req",
            "-x509",
            "-key",
            "locked.key",
            "-passin",
            &kp,
            "-subj",
            "/CN=locked.example",
            "-days",
            "30",
            "-out",
            "locked.pem",
        ],
    );
    openssl(
        root,
        &[
            "pkcs12",
            "-export",
            "-in",
            "locked.pem",
            "-inkey",
            "locked.key",
            "-passin",
            &kp,
            "-passout",
            &format!("pass:{P12_PASS}"),
            "-out",
            "bundle.p12",
        ],
    );
}

/// A scan as the TUI's factory makes it: with the app's keyring.
fn scan_into(app: &mut App, root: &Path) {
    let mut opts = certdeck::store::scan::ScanOptions::default();
    opts.decode.passphrases = app.keyring.snapshot();
    let inventory = certdeck::store::scan::scan(root, &opts);
    app.scan_started();
    app.update(Msg::Scan(certdeck::store::scan::ScanEvent::Done {
        inventory: std::sync::Arc::new(inventory),
        elapsed: std::time::Duration::ZERO,
    }));
}

fn run_effects(app: &mut App, env: &effects::Env, mut pending: Vec<Effect>) {
    while let Some(e) = pending.pop() {
        match effects::execute(&e, env, &app.inventory.clone()) {
            Some(msg) => pending.extend(app.update(msg)),
            None if e == Effect::Rescan => scan_into(app, &env.store),
            None => {}
        }
    }
}

fn select_path(app: &mut App, path: &str, kind: certdeck::pki::ItemKind) {
    keys(app, "g");
    loop {
        if let Some(it) = app.selected_item() {
            if it.path == path && it.kind == kind {
                return;
            }
        }
        let before = app.selected;
        keys(app, "j");
        assert_ne!(before, app.selected, "{path} not in the list");
    }
}

fn form_error(app: &App) -> Option<String> {
    match &app.overlay {
        Overlay::Form(f) => f.error.clone(),
        other => panic!("no form: {other:?}"),
    }
}

#[test]
fn unlock_an_encrypted_key_and_a_pkcs12_in_place_then_renew_with_the_key() {
    use certdeck::pki::{Detail, ItemKind};
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    locked_store(&root);
    let mut app = App::new(
        root.clone(),
        certdeck::tui::theme::Theme { mono: true },
        time::OffsetDateTime::now_utc().unix_timestamp(),
    );
    app.update(Msg::Resize(80, 24));
    let env = effects::Env {
        passphrases: app.keyring.clone(),
        ..effects::Env::new(&root)
    };
    scan_into(&mut app, &root);

    select_path(&mut app, "locked.key", ItemKind::PrivateKey);
    assert!(app.selected_item().unwrap().locked());
    let s = screen(&app);
    let row = s.lines().find(|l| l.contains("locked.key")).unwrap();
    assert!(row.contains("locked"), "{s}");
    // Enter asks for the passphrase; what is typed is masked.
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    type_str(&mut app, "not-it");
    let s = screen(&app);
    assert!(s.contains("Unlock: locked.key"), "{s}");
    assert!(!s.contains("not-it"), "masked: {s}");
    assert!(!format!("{:?} {:?}", app.overlay, app.keyring).contains("not-it"));
    // A wrong one: still locked, the prompt again with the reason, the keyring as before.
    let fx = press(&mut app, KeyCode::Enter);
    assert_eq!(fx, vec![Effect::Rescan]);
    run_effects(&mut app, &env, fx);
    let err = form_error(&app).expect("asks again");
    assert!(err.contains("wrong passphrase"), "{err}");
    assert!(screen(&app).contains("wrong passphrase"));
    assert!(app.keyring.snapshot().is_empty());
    // The right one: opened in place, paired with its certificate.
    type_str(&mut app, KEY_PASS);
    let fx = press(&mut app, KeyCode::Enter);
    run_effects(&mut app, &env, fx);
    assert!(matches!(app.overlay, Overlay::None), "{:?}", app.overlay);
    let notice = app.notice.clone().unwrap();
    assert!(
        !notice.error && notice.text == "unlocked locked.key",
        "{notice:?}"
    );
    select_path(&mut app, "locked.key", ItemKind::PrivateKey);
    let it = app.selected_item().unwrap();
    assert!(!it.locked());
    let Detail::PrivateKey(k) = &it.detail else {
        panic!()
    };
    assert_eq!(k.pairs_with.len(), 1, "pairs with locked.pem");

    // Renew works on the certificate now that its key opens.
    select_path(&mut app, "locked.pem", ItemKind::Certificate);
    let old_pub = openssl(&root, &["x509", "-in", "locked.pem", "-noout", "-pubkey"]);
    let fx = press(&mut app, KeyCode::Char('R'));
    run_effects(&mut app, &env, fx);
    let Overlay::Confirm(dlg) = &app.overlay else {
        panic!("{:?} {:?}", app.overlay, app.notice)
    };
    assert!(dlg
        .prepared
        .0
        .lines
        .iter()
        .any(|l| l.contains("the same: locked.key")));
    let fx = press(&mut app, KeyCode::Char('y'));
    run_effects(&mut app, &env, fx);
    assert!(
        app.notice.as_ref().is_some_and(|n| !n.error),
        "{:?}",
        app.notice
    );
    openssl(&root, &["verify", "-CAfile", "locked.pem", "locked.pem"]);
    let new_pub = openssl(&root, &["x509", "-in", "locked.pem", "-noout", "-pubkey"]);
    assert_eq!(new_pub, old_pub);

    // The PKCS#12: its own passphrase, from the menu's unlock entry (U).
    select_path(&mut app, "bundle.p12", ItemKind::Keystore);
    assert!(app.selected_item().unwrap().locked());
    keys(&mut app, "a");
    let Overlay::Menu(m) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    assert_eq!(m.entries[0].action, Action::Unlock);
    keys(&mut app, "U");
    type_str(&mut app, P12_PASS);
    let fx = press(&mut app, KeyCode::Enter);
    run_effects(&mut app, &env, fx);
    assert_eq!(app.notice.clone().unwrap().text, "unlocked bundle.p12");
    assert!(!(app.inventory.items.iter()).any(|it| it.path == "bundle.p12" && it.locked()));
    // Nothing was written or journaled.
    assert!(
        !root.join("history").exists()
            || !std::fs::read_dir(root.join("history"))
                .unwrap()
                .flatten()
                .any(|e| std::fs::read(e.path())
                    .is_ok_and(|b| String::from_utf8_lossy(&b).contains(P12_PASS)))
    );
}

#[test]
fn unlock_asks_only_for_locked_items() {
    let mut app = app_with(store(), 80, 24);
    keys(&mut app, "gU");
    assert!(matches!(app.overlay, Overlay::None));
    assert!(app
        .notice
        .as_ref()
        .is_some_and(|n| n.error && n.text.contains("select a locked")));
}

/// A JKS made by keytool, with `--read-only` (unlocking writes nothing, so it is allowed).
#[test]
fn unlock_a_jks_in_read_only_mode() {
    use certdeck::pki::ItemKind;
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let o = Command::new("keytool")
        .current_dir(&root)
        .args([
            "-genkeypair",
            "-keystore",
            "ks.jks",
            "-storetype",
            "JKS",
            "-storepass",
            "jks-pass",
            "-keypass",
            "jks-pass",
            "-alias",
            "web",
            "-dname",
            "CN=jks.example",
            "-keyalg",
            "EC",
            "-validity",
            "30",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut app = App::new(
        root.clone(),
        certdeck::tui::theme::Theme { mono: true },
        time::OffsetDateTime::now_utc().unix_timestamp(),
    );
    app.read_only = true;
    app.update(Msg::Resize(80, 24));
    let env = effects::Env {
        passphrases: app.keyring.clone(),
        ..effects::Env::new(&root)
    };
    scan_into(&mut app, &root);
    select_path(&mut app, "ks.jks", ItemKind::Keystore);
    assert!(app.selected_item().unwrap().locked());
    keys(&mut app, "a");
    let Overlay::Menu(m) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    assert!(
        m.entries.iter().any(|e| e.action == Action::Unlock),
        "{m:?}"
    );
    keys(&mut app, "U");
    type_str(&mut app, "jks-pass");
    let fx = press(&mut app, KeyCode::Enter);
    assert_eq!(fx, vec![Effect::Rescan]);
    run_effects(&mut app, &env, fx);
    assert_eq!(app.notice.clone().unwrap().text, "unlocked ks.jks");
    assert!(!(app.inventory.items.iter()).any(|it| it.path == "ks.jks" && it.locked()));
}
