//! The action menu (`a` / `:`), the hint line that fits, and the form fixes of issue #15, plus
//! signing a CSR and dhparam from the TUI (#16): snapshots on TestBackend, and runs against a
//! real store through the executor `tui::run` uses, checked with openssl.

mod tmux_support;
mod tui_support;

use certdeck::tui::app::{App, Effect, Msg};
use certdeck::tui::effects::{self, ActionRequest};
use certdeck::tui::flow::Overlay;
use certdeck::tui::keymap::Action;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::Path;
use std::process::Command;
use tmux_support::ca_and_csr_store;
use tui_support::*;

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn type_str(app: &mut App, s: &str) -> Vec<Effect> {
    s.chars()
        .flat_map(|c| press(app, KeyCode::Char(c)))
        .collect()
}

fn select(app: &mut App, name: &str) {
    keys(app, "g");
    while selected_name(app) != name {
        let before = app.selected;
        keys(app, "j");
        assert_ne!(before, app.selected, "{name} not in the list");
    }
}

fn menu_actions(app: &App) -> Vec<Action> {
    match &app.overlay {
        Overlay::Menu(m) => m.entries.iter().map(|e| e.action).collect(),
        other => panic!("no menu: {other:?}"),
    }
}

fn hint_line(app: &App) -> String {
    screen(app).lines().last().unwrap_or("").to_string()
}

// ---------------------------------------------------------------------------------------------
// Menu and hint line (TestBackend)

#[test]
fn menu_of_a_certificate_80x24() {
    let mut app = app_with(store(), 80, 24);
    select(&mut app, "www.example.com");
    keys(&mut app, "a");
    let acts = menu_actions(&app);
    assert_eq!(&acts[..3], &[Action::Trust, Action::Revoke, Action::Export]);
    assert!(!acts.contains(&Action::Sign), "signing is for CSRs");
    let s = screen(&app);
    assert!(s.contains("Actions: www.example.com (cert)"), "{s}");
    assert!(s.contains("export selected (form)"), "{s}");
    insta::assert_snapshot!("menu_cert_80x24", s);
    // Enter runs the selected (first) entry: trust plans at once.
    let fx = press(&mut app, KeyCode::Enter);
    assert!(
        matches!(fx.as_slice(), [Effect::BuildPlan(r)] if matches!(**r, ActionRequest::Trust { .. })),
        "{fx:?}"
    );
    assert!(matches!(app.overlay, Overlay::None));
}

#[test]
fn menu_of_a_csr_offers_sign_and_its_keys_run_entries() {
    let mut app = app_with(store(), 80, 24);
    select(&mut app, "new.example.com");
    keys(&mut app, ":");
    let acts = menu_actions(&app);
    assert_eq!(acts[0], Action::Sign);
    for a in [Action::Trust, Action::Revoke, Action::Export] {
        assert!(!acts.contains(&a), "{a:?} is not for a CSR");
    }
    insta::assert_snapshot!("menu_csr_80x24", screen(&app));
    // A certificate's key in a CSR's menu says so and runs nothing.
    assert!(press(&mut app, KeyCode::Char('x')).is_empty());
    assert!(app
        .notice
        .as_ref()
        .unwrap()
        .text
        .contains("not for this item"));
    // Its own key runs an entry: `i` opens the import form.
    keys(&mut app, "i");
    assert!(matches!(&app.overlay, Overlay::Form(f) if f.title == "Import"));
    press(&mut app, KeyCode::Esc);
    // j moves, Esc closes.
    keys(&mut app, "a");
    keys(&mut app, "j");
    let Overlay::Menu(m) = &app.overlay else {
        panic!()
    };
    assert_eq!(m.selected, 1);
    press(&mut app, KeyCode::Esc);
    assert!(matches!(app.overlay, Overlay::None));
}

#[test]
fn sign_form_of_the_fixture_csr_80x24() {
    let mut items = store();
    for it in &mut items {
        if it.path == "ca/root.pem" {
            it.cert_mut().unwrap().paired_keys = vec!["ca/root.key".into()];
        }
    }
    let mut app = app_with(items, 80, 24);
    select(&mut app, "new.example.com");
    keys(&mut app, "S");
    let s = screen(&app);
    assert!(
        s.contains("SANs     DNS:new.example.com (from the CSR)"),
        "{s}"
    );
    insta::assert_snapshot!("sign_form_80x24", s);
    // Client profile, 400 days: no warning (398 is for server certificates).
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Backspace);
    type_str(&mut app, "9");
    assert!(!screen(&app).contains("browsers reject"));
    press(&mut app, KeyCode::BackTab);
    press(&mut app, KeyCode::Right);
    assert!(screen(&app).contains("399 days: browsers reject"));
    let fx = press(&mut app, KeyCode::Enter);
    let [Effect::BuildPlan(req)] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    let ActionRequest::Sign { csr, days, out, .. } = &**req else {
        panic!("{req:?}")
    };
    assert_eq!(
        (csr.as_str(), *days, out.as_str()),
        ("req/new.csr", 399, "new.example.com.pem")
    );
}

#[test]
fn read_only_menu_offers_only_reading_actions() {
    let mut app = app_with(store(), 80, 24);
    app.read_only = true;
    keys(&mut app, "a");
    assert_eq!(menu_actions(&app), vec![Action::Probe]);
    assert!(screen(&app).contains("read-only: only reading actions"));
}

#[test]
fn hint_line_fits_and_keeps_help_at_80x24_and_60x20() {
    for (w, h) in [(80, 24), (60, 20), (30, 12)] {
        let mut app = app_with(store(), w, h);
        let line = hint_line(&app);
        assert!(line.chars().count() <= w as usize, "{w}: {line:?}");
        assert!(line.contains("? help"), "{w}: {line:?}");
        // Only whole hints: every hint shown ends in its label.
        assert!(
            !line.contains("findin ") && !line.ends_with("findin"),
            "{line:?}"
        );
        if w >= 60 {
            assert!(line.contains("a/: actions"), "{w}: {line:?}");
        }
        // The same in the menu and in a form.
        keys(&mut app, "a");
        let line = hint_line(&app);
        assert!(
            line.contains("Enter run") && line.contains("Esc/q close"),
            "{line:?}"
        );
        press(&mut app, KeyCode::Esc);
    }
    let app = app_with(store(), 60, 20);
    insta::assert_snapshot!("list_hints_60x20", screen(&app));
}

#[test]
fn help_lists_the_menu_and_every_action() {
    let mut app = app_with(store(), 120, 40);
    keys(&mut app, "?");
    let mut all = String::new();
    for _ in 0..10 {
        all.push_str(&screen(&app));
        keys(&mut app, " ");
    }
    for want in [
        "Action menu (a or :)",
        "action menu of this item",
        "sign a CSR with a CA (form)",
        "DH params (ffdhe2048.pem)",
        "run the selected action",
    ] {
        assert!(all.contains(want), "{want}");
    }
}

// ---------------------------------------------------------------------------------------------
// Forms

#[test]
fn csr_form_hides_days_and_signer_and_server_over_398_days_warns() {
    let mut app = app_with(store(), 80, 24);
    keys(&mut app, "n");
    let s = screen(&app);
    assert!(s.contains("Days valid") && s.contains("Signed by") && s.contains("Output dir"));
    // Kind: server -> client -> ca -> csr.
    press(&mut app, KeyCode::Up);
    for _ in 0..3 {
        press(&mut app, KeyCode::Right);
    }
    let s = screen(&app);
    assert!(s.contains("‹ csr ›"), "{s}");
    assert!(!s.contains("Days valid") && !s.contains("Signed by"), "{s}");
    // Tab never lands on a hidden field: from Key type straight on to Output dir.
    let Overlay::Form(f) = &app.overlay else {
        panic!()
    };
    let labels: Vec<&str> = f.fields.iter().map(|f| f.label).collect();
    let mut seen = Vec::new();
    for _ in 0..f.fields.len() {
        press(&mut app, KeyCode::Tab);
        let Overlay::Form(f) = &app.overlay else {
            panic!()
        };
        seen.push(labels[f.focus]);
    }
    assert!(
        !seen.contains(&"Days valid") && !seen.contains(&"Signed by"),
        "{seen:?}"
    );
    insta::assert_snapshot!("generate_form_csr_80x24", screen(&app));
    // Back to server, 500 days: a warning, not an error (the form still submits).
    press(&mut app, KeyCode::Esc);
    keys(&mut app, "n");
    for _ in 0..8 {
        press(&mut app, KeyCode::Tab);
    }
    type_str(&mut app, "0");
    let s = screen(&app);
    assert!(
        s.contains("3980 days: browsers reject server certs over 398 days"),
        "{s}"
    );
    press(&mut app, KeyCode::Backspace);
    assert!(!screen(&app).contains("browsers reject"));
}

#[test]
fn signed_by_lists_each_ca_once() {
    let mut items = store();
    let mut root = items
        .iter()
        .find(|i| i.path == "ca/root.pem")
        .unwrap()
        .clone();
    root.cert_mut().unwrap().paired_keys = vec!["ca/root.key".into()];
    let mut copy = root.clone();
    copy.path = "trusted/root-copy.pem".into();
    items.push(root);
    items.push(copy);
    items.retain(|i| !(i.path == "ca/root.pem" && i.cert().unwrap().paired_keys.is_empty()));
    let mut app = app_with(items, 80, 24);
    keys(&mut app, "n");
    let Overlay::Form(f) = &app.overlay else {
        panic!()
    };
    let ca = f.fields.iter().find(|f| f.label == "Signed by").unwrap();
    let certdeck::tui::form::Input::Choice { options, .. } = &ca.input else {
        panic!()
    };
    let labels: Vec<&str> = options.iter().map(|o| o.label.as_str()).collect();
    assert_eq!(labels.len(), 2, "self-signed and the root once: {labels:?}");
    assert_eq!(labels[0], "self-signed");
    assert!(labels[1].starts_with("Example Root CA ("), "{labels:?}");
}

// ---------------------------------------------------------------------------------------------
// Against a real store

fn scan_into(app: &mut App, root: &Path) {
    let inventory = certdeck::store::scan::scan(root, &Default::default());
    app.scan_started();
    app.update(Msg::Scan(certdeck::store::scan::ScanEvent::Done {
        inventory: std::sync::Arc::new(inventory),
        elapsed: std::time::Duration::ZERO,
    }));
}

/// Run the app's effects like `tui::run` does (synchronously here); a rescan is done at once.
fn run_effects(app: &mut App, env: &effects::Env, mut pending: Vec<Effect>) {
    while let Some(e) = pending.pop() {
        match effects::execute(&e, env, &app.inventory.clone()) {
            Some(msg) => pending.extend(app.update(msg)),
            None if e == Effect::Rescan => scan_into(app, &env.store),
            None => {}
        }
    }
}

fn openssl_verify(root: &Path, file: &str) -> String {
    let o = Command::new("openssl")
        .current_dir(root)
        .args(["verify", "-CAfile", "ca.pem", file])
        .output()
        .unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn sign_the_selected_csr_from_the_menu_and_openssl_verifies_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    ca_and_csr_store(&root);
    let env = effects::Env::new(&root);
    let mut app = App::new(
        root.clone(),
        certdeck::tui::theme::Theme { mono: true },
        time::OffsetDateTime::now_utc().unix_timestamp(),
    );
    app.update(Msg::Resize(80, 24));
    scan_into(&mut app, &root);
    select(&mut app, "csr.example");
    keys(&mut app, "a");
    assert_eq!(menu_actions(&app)[0], Action::Sign);
    press(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(s.contains("Sign CSR csr.example"), "{s}");
    assert!(s.contains("DNS:csr.example, DNS:www.csr.example"), "{s}");
    assert!(s.contains("Menu Test CA"), "{s}");
    let fx = press(&mut app, KeyCode::Enter);
    run_effects(&mut app, &env, fx);
    let Overlay::Confirm(dlg) = &app.overlay else {
        panic!("{:?} {:?}", app.overlay, app.notice)
    };
    let lines = dlg.prepared.0.lines.join("\n");
    assert!(lines.contains("issuer  Menu Test CA (ca.pem)"), "{lines}");
    assert!(lines.contains("profile server"), "{lines}");
    assert!(lines.contains("valid   398 days, until "), "{lines}");
    assert!(lines.contains("key     EC P-256"), "{lines}");
    assert!(lines.contains("csr.example.pem"), "{lines}");
    let fx = press(&mut app, KeyCode::Char('y'));
    run_effects(&mut app, &env, fx);
    assert!(
        app.notice.as_ref().is_some_and(|n| !n.error),
        "{:?}",
        app.notice
    );
    let out = openssl_verify(&root, "csr.example.pem");
    assert!(out.contains("csr.example.pem: OK"), "{out}");
    // The new certificate is selected.
    let sel = app.selected_item().unwrap();
    assert_eq!(sel.path, "csr.example.pem");
    let c = sel.cert().unwrap();
    assert!(
        c.sans.iter().any(|s| s == "DNS:www.csr.example"),
        "{:?}",
        c.sans
    );
}

#[test]
fn generate_plan_shows_issuer_validity_and_key_and_selects_the_new_cert() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    ca_and_csr_store(&root);
    let env = effects::Env::new(&root);
    let mut app = App::new(
        root.clone(),
        certdeck::tui::theme::Theme { mono: true },
        time::OffsetDateTime::now_utc().unix_timestamp(),
    );
    app.update(Msg::Resize(80, 24));
    scan_into(&mut app, &root);
    keys(&mut app, "n");
    type_str(&mut app, "made.example");
    // Output dir, then the signer (the CA: listed once).
    for _ in 0..10 {
        press(&mut app, KeyCode::Tab);
    }
    type_str(&mut app, "out");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Right);
    let fx = press(&mut app, KeyCode::Enter);
    run_effects(&mut app, &env, fx);
    let Overlay::Confirm(dlg) = &app.overlay else {
        panic!("{:?} {:?}", app.overlay, app.notice)
    };
    let lines = dlg.prepared.0.lines.join("\n");
    assert!(lines.contains("issuer  Menu Test CA (ca.pem)"), "{lines}");
    assert!(lines.contains("valid   398 days, until "), "{lines}");
    assert!(lines.contains("key     "), "{lines}");
    assert!(lines.contains("out/made.example.pem"), "{lines}");
    let fx = press(&mut app, KeyCode::Char('y'));
    run_effects(&mut app, &env, fx);
    assert!(openssl_verify(&root, "out/made.example.pem").contains(": OK"));
    assert_eq!(app.selected_item().unwrap().path, "out/made.example.pem");
}

#[test]
fn dhparam_from_the_menu_writes_parameters_openssl_reads() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let env = effects::Env::new(&root);
    let mut app = App::new(
        root.clone(),
        certdeck::tui::theme::Theme { mono: true },
        time::OffsetDateTime::now_utc().unix_timestamp(),
    );
    app.update(Msg::Resize(80, 24));
    scan_into(&mut app, &root);
    keys(&mut app, "a");
    let fx = keys_fx(&mut app, 'D');
    run_effects(&mut app, &env, fx);
    assert!(
        matches!(app.overlay, Overlay::Confirm(_)),
        "{:?}",
        app.notice
    );
    let fx = press(&mut app, KeyCode::Char('y'));
    run_effects(&mut app, &env, fx);
    let o = Command::new("openssl")
        .current_dir(&root)
        .args(["dhparam", "-in", "ffdhe2048.pem", "-check", "-noout"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(app.selected_item().unwrap().path, "ffdhe2048.pem");
}

fn keys_fx(app: &mut App, c: char) -> Vec<Effect> {
    press(app, KeyCode::Char(c))
}

// ---------------------------------------------------------------------------------------------
// Passphrases: PKCS#12 export and key passphrase changes (masked fields), checked by openssl

fn real_app(root: &Path) -> (App, effects::Env) {
    let env = effects::Env::new(root);
    let mut app = App::new(
        root.to_path_buf(),
        certdeck::tui::theme::Theme { mono: true },
        time::OffsetDateTime::now_utc().unix_timestamp(),
    );
    app.update(Msg::Resize(80, 24));
    scan_into(&mut app, root);
    (app, env)
}

fn openssl_in(root: &Path, args: &[&str]) -> std::process::Output {
    Command::new("openssl")
        .current_dir(root)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn export_as_pkcs12_with_a_masked_passphrase_openssl_reads_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap().join("s");
    std::fs::create_dir(&root).unwrap();
    ca_and_csr_store(&root);
    let outdir = root.parent().unwrap().to_path_buf();
    let (mut app, env) = real_app(&root);
    app.cwd = outdir.clone();
    select(&mut app, "Menu Test CA");
    keys(&mut app, "e");
    press(&mut app, KeyCode::Up); // format
    press(&mut app, KeyCode::Left); // pem -> p12 (wraps)
    let s = screen(&app);
    assert!(
        s.contains("‹ p12 ›") && s.contains("menu-test-ca.p12"),
        "{s}"
    );
    assert!(s.contains("Passphrase") && s.contains("Repeat"), "{s}");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    type_str(&mut app, "s3cret-p12");
    press(&mut app, KeyCode::Tab);
    type_str(&mut app, "s3cret-p1");
    // Masked: dots, never the text.
    let s = screen(&app);
    assert!(!s.contains("s3cret") && s.contains("••••••••••"), "{s}");
    // The two differ: said inline, nothing built.
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert!(screen(&app).contains("the two passphrases differ"));
    type_str(&mut app, "2");
    let fx = press(&mut app, KeyCode::Enter);
    let [Effect::BuildPlan(req)] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert!(!format!("{req:?}").contains("s3cret"), "never in Debug");
    run_effects(&mut app, &env, fx);
    let Overlay::Confirm(dlg) = &app.overlay else {
        panic!("{:?} {:?}", app.overlay, app.notice)
    };
    assert!(
        dlg.prepared.0.lines[0].contains("mode 0600"),
        "{:?}",
        dlg.prepared.0.lines
    );
    let fx = press(&mut app, KeyCode::Char('y'));
    run_effects(&mut app, &env, fx);
    let p12 = outdir.join("menu-test-ca.p12");
    let mode = std::fs::metadata(&p12).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let o = openssl_in(
        &outdir,
        &[
            "pkcs12",
            "-info",
            "-in",
            "menu-test-ca.p12",
            "-passin",
            "pass:s3cret-p12",
            "-noenc",
        ],
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        out.contains("CN=Menu Test CA") || out.contains("CN = Menu Test CA"),
        "{out}"
    );
    assert!(out.contains("PRIVATE KEY"), "the key is in it: {out}");
    let wrong = openssl_in(
        &outdir,
        &[
            "pkcs12",
            "-info",
            "-in",
            "menu-test-ca.p12",
            "-passin",
            "pass:nope",
            "-noenc",
        ],
    );
    assert!(!wrong.status.success());
}

#[test]
fn key_passphrase_encrypt_then_decrypt_from_the_menu() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    ca_and_csr_store(&root);
    let (mut app, env) = real_app(&root);
    select(&mut app, "ca.key");
    keys(&mut app, "a");
    assert_eq!(menu_actions(&app)[0], Action::KeyPass);
    press(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(s.contains("‹ encrypt ›") && !s.contains("Current"), "{s}");
    type_str(&mut app, "pw-one");
    press(&mut app, KeyCode::Tab);
    type_str(&mut app, "pw-one");
    let fx = press(&mut app, KeyCode::Enter);
    run_effects(&mut app, &env, fx);
    assert!(
        matches!(app.overlay, Overlay::Confirm(_)),
        "{:?}",
        app.notice
    );
    let fx = press(&mut app, KeyCode::Char('y'));
    run_effects(&mut app, &env, fx);
    let key = "private/ca.key";
    assert!(std::fs::read_to_string(root.join(key))
        .unwrap()
        .contains("ENCRYPTED PRIVATE KEY"));
    let ok = openssl_in(
        &root,
        &["pkey", "-in", key, "-passin", "pass:pw-one", "-noout"],
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let bad = openssl_in(&root, &["pkey", "-in", key, "-passin", "pass:x", "-noout"]);
    assert!(!bad.status.success());

    // Encrypted now: passwd or decrypt; decrypt warns as the CLI does, a wrong passphrase
    // brings the form back with the reason.
    scan_into(&mut app, &root);
    select(&mut app, "ca.key");
    keys(&mut app, "K");
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Right); // passwd -> decrypt
    let s = screen(&app);
    assert!(s.contains("the key will be stored unencrypted"), "{s}");
    assert!(!s.contains("New "), "{s}");
    press(&mut app, KeyCode::Tab);
    type_str(&mut app, "wrong");
    let fx = press(&mut app, KeyCode::Enter);
    run_effects(&mut app, &env, fx);
    let Overlay::Form(f) = &app.overlay else {
        panic!("{:?} {:?}", app.overlay, app.notice)
    };
    let err = f.error.clone().unwrap_or_default();
    assert!(
        err.contains("passphrase") || err.contains("decrypt"),
        "{err}"
    );
    // It asks again, on the same field: clear it and type the right one.
    let Overlay::Form(f) = &app.overlay else {
        panic!()
    };
    assert_eq!(f.fields[f.focus].label, "Current");
    assert!(
        !line_of(&screen(&app), "Current").contains("wrong"),
        "{err}"
    );
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    )));
    type_str(&mut app, "pw-one");
    let fx = press(&mut app, KeyCode::Enter);
    run_effects(&mut app, &env, fx);
    let Overlay::Confirm(dlg) = &app.overlay else {
        panic!("{:?} {:?}", app.overlay, app.notice)
    };
    assert!(dlg.prepared.0.lines[0].starts_with("WARNING: the key will be stored unencrypted"));
    let fx = press(&mut app, KeyCode::Char('y'));
    run_effects(&mut app, &env, fx);
    let pem = std::fs::read_to_string(root.join(key)).unwrap();
    assert!(pem.contains("BEGIN PRIVATE KEY"), "{pem}");
    let ok = openssl_in(&root, &["pkey", "-in", key, "-noout"]);
    assert!(ok.status.success());
}

fn line_of(screen: &str, needle: &str) -> String {
    screen
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or("")
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Renew

fn pubkey_and_serial(root: &Path, file: &str) -> (String, String) {
    let out = |args: &[&str]| String::from_utf8_lossy(&openssl_in(root, args).stdout).into_owned();
    (
        out(&["x509", "-in", file, "-noout", "-pubkey"]),
        out(&["x509", "-in", file, "-noout", "-serial"]),
    )
}

/// Every file under `dir`, recursively, with its bytes.
fn files_under(dir: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else if let Ok(b) = std::fs::read(&p) {
            out.push(b);
        }
    }
    out
}

fn renew_selected(app: &mut App, env: &effects::Env) -> String {
    let fx = keys_fx(app, 'R');
    run_effects(app, env, fx);
    let Overlay::Confirm(dlg) = &app.overlay else {
        panic!("{:?} {:?}", app.overlay, app.notice)
    };
    let lines = dlg.prepared.0.lines.join("\n");
    let fx = press(app, KeyCode::Char('y'));
    run_effects(app, env, fx);
    assert!(
        app.notice.as_ref().is_some_and(|n| !n.error),
        "{:?}",
        app.notice
    );
    lines
}

#[test]
fn renew_a_ca_signed_leaf_and_a_self_signed_ca_openssl_verifies_both() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    ca_and_csr_store(&root);
    let (mut app, env) = real_app(&root);
    // A leaf signed by the CA, its key in the store (made with the new-certificate form).
    keys(&mut app, "n");
    type_str(&mut app, "leaf.example");
    press(&mut app, KeyCode::BackTab);
    press(&mut app, KeyCode::BackTab);
    press(&mut app, KeyCode::Right);
    let fx = press(&mut app, KeyCode::Enter);
    run_effects(&mut app, &env, fx);
    let fx = press(&mut app, KeyCode::Char('y'));
    run_effects(&mut app, &env, fx);
    let leaf = "leaf.example.pem";
    let old = std::fs::read(root.join(leaf)).unwrap();
    let (old_pub, old_serial) = pubkey_and_serial(&root, leaf);
    assert_eq!(app.selected_item().unwrap().path, leaf);

    let lines = renew_selected(&mut app, &env);
    assert!(lines.contains("issuer  Menu Test CA (ca.pem)"), "{lines}");
    assert!(lines.contains("valid   398 days"), "{lines}");
    assert!(
        lines.contains("key     the same: private/leaf.example.key"),
        "{lines}"
    );
    let out = openssl_verify(&root, leaf);
    assert!(out.contains(": OK"), "{out}");
    let (new_pub, new_serial) = pubkey_and_serial(&root, leaf);
    assert_eq!(new_pub, old_pub, "same key");
    assert_ne!(new_serial, old_serial, "a new certificate");
    let san = openssl_in(
        &root,
        &["x509", "-in", leaf, "-noout", "-ext", "subjectAltName"],
    );
    assert!(String::from_utf8_lossy(&san.stdout).contains("DNS:leaf.example"));
    assert!(
        files_under(&root.join("history")).contains(&old),
        "the old certificate is in history"
    );

    // The self-signed CA: renewed self-signed, still a CA that verifies itself.
    scan_into(&mut app, &root);
    select(&mut app, "Menu Test CA");
    let lines = renew_selected(&mut app, &env);
    assert!(lines.contains("issuer  self-signed"), "{lines}");
    let o = openssl_in(&root, &["verify", "-CAfile", "ca.pem", "ca.pem"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bc = openssl_in(
        &root,
        &[
            "x509",
            "-in",
            "ca.pem",
            "-noout",
            "-ext",
            "basicConstraints",
        ],
    );
    assert!(String::from_utf8_lossy(&bc.stdout).contains("CA:TRUE"));
}

#[test]
fn renew_without_the_key_in_the_store_is_refused() {
    let mut app = app_with(store(), 80, 24);
    select(&mut app, "mail.example.com");
    let fx = keys_fx(&mut app, 'R');
    let [Effect::BuildPlan(req)] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    let inv = app.inventory.clone();
    let env = effects::Env::new("/nonexistent");
    let Some(Msg::PlanReady(Err(e))) = effects::execute(&fx[0], &env, &inv) else {
        panic!("{req:?}")
    };
    assert!(
        e.contains("private key of mail.example.com is not in the store"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------------
// Import with a passphrase field

#[test]
fn import_a_pkcs12_with_the_passphrase_typed_in_the_form() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap().join("s");
    std::fs::create_dir(&root).unwrap();
    let w = root.parent().unwrap().to_path_buf();
    for args in [
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "p.key",
            "-out",
            "p.pem",
            "-subj",
            "/CN=p12.example",
            "-days",
            "30",
        ][..],
        &[
            "pkcs12",
            "-export",
            "-in",
            "p.pem",
            "-inkey",
            "p.key",
            "-passout",
            "pass:imp0rt",
            "-out",
            "in.p12",
        ][..],
    ] {
        let o = openssl_in(&w, args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let (mut app, env) = real_app(&root);
    keys(&mut app, "i");
    type_str(&mut app, w.join("in.p12").to_str().unwrap());
    // Without the passphrase: the form comes back saying why.
    let fx = press(&mut app, KeyCode::Enter);
    run_effects(&mut app, &env, fx);
    let Overlay::Form(f) = &app.overlay else {
        panic!("{:?} {:?}", app.overlay, app.notice)
    };
    assert!(
        f.error.as_deref().unwrap_or("").contains("passphrase"),
        "{:?}",
        f.error
    );
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    type_str(&mut app, "imp0rt");
    assert!(!screen(&app).contains("imp0rt"), "masked");
    let fx = press(&mut app, KeyCode::Enter);
    run_effects(&mut app, &env, fx);
    assert!(
        matches!(app.overlay, Overlay::Confirm(_)),
        "{:?}",
        app.notice
    );
    let fx = press(&mut app, KeyCode::Char('y'));
    run_effects(&mut app, &env, fx);
    let names: Vec<String> = app.items().iter().map(|i| i.display_name()).collect();
    assert!(names.iter().any(|n| n == "p12.example"), "{names:?}");
    assert!(
        app.items()
            .iter()
            .any(|i| i.kind == certdeck::pki::ItemKind::PrivateKey),
        "the key came in too"
    );
}
