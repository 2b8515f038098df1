//! #17's TUI part against a real Pebble: on the row of an ACME lineage (issued by the CLI),
//! the action menu offers renew and revoke; `A` shows what will run in the confirm dialog,
//! `y` runs `certdeck acme renew NAME --force` in the background with its progress lines in
//! the status line; the new serial is on disk, the old files in history/, the last result in
//! the details. Read-only refuses it. A failed renewal (Pebble stopped) is an error notice and
//! leaves the certificate as it was.

mod common;
#[path = "common/pebble.rs"]
mod pebble;
mod tmux_support;
mod tui_support;

use certdeck::tui::app::{App, Effect, Msg};
use certdeck::tui::effects::{execute, Env};
use certdeck::tui::theme::Theme;
use ratatui::crossterm::event::KeyCode;
use std::path::Path;
use tui_support::{key, keys, screen};

fn issue(p: &pebble::Pebble, store: &Path) {
    let addr = format!("127.0.0.1:{}", p.http_port);
    let api_ca = p.api_ca.display().to_string();
    common::cd(
        store,
        &[
            "acme",
            "issue",
            "web",
            "--server",
            &p.directory,
            "--ca-bundle",
            &api_ca,
            "--agree-tos",
            "--email",
            "admin@a.test",
            "--domain",
            "a.test",
            "--http-01-standalone",
            &addr,
        ],
    )
    .ok();
}

fn serial(store: &Path) -> String {
    let o = common::openssl(
        store,
        &["x509", "-noout", "-serial", "-in", "acme/web/cert.pem"],
    );
    common::stdout_of(&o).trim().to_string()
}

/// The store scanned as the TUI would and its lineages read; the ACME row selected.
fn app_on(store: &Path, env: &Env) -> App {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let inv = certdeck::store::scan::scan(store, &Default::default());
    let mut app = App::new(store.into(), Theme { mono: true }, now);
    app.update(Msg::Resize(80, 24));
    app.set_items(inv.items.clone());
    let msg = execute(&Effect::ReadLineages, env, &inv).unwrap();
    app.update(msg);
    keys(&mut app, "g");
    while app.selected_item().map(|i| i.path.as_str()) != Some("acme/web/cert.pem") {
        let before = app.selected;
        keys(&mut app, "j");
        assert_ne!(before, app.selected, "no ACME row:\n{}", screen(&app));
    }
    app
}

/// Run the effects of one key to the end as the run loop does, progress included.
fn run(app: &mut App, env: &Env, rx: &crossbeam_channel::Receiver<Msg>, effects: Vec<Effect>) {
    for e in effects {
        let inv = app.inventory.clone();
        if let Some(msg) = execute(&e, env, &inv) {
            for p in rx.try_iter() {
                app.update(p);
            }
            let next = app.update(msg);
            // A rescan after the change is the run loop's; re-reads are not needed here.
            let next: Vec<Effect> = next
                .into_iter()
                .filter(|e| !matches!(e, Effect::Rescan | Effect::Update(_)))
                .collect();
            run(app, env, rx, next);
        }
    }
}

fn press(app: &mut App, c: char) -> Vec<Effect> {
    app.update(Msg::Key(ratatui::crossterm::event::KeyEvent::new(
        KeyCode::Char(c),
        ratatui::crossterm::event::KeyModifiers::NONE,
    )))
}

#[test]
fn renew_an_acme_lineage_from_the_tui_against_pebble() {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    std::fs::create_dir(&store).unwrap();
    let mut p = pebble::Pebble::start(t.path(), 0);
    issue(&p, &store);
    let before = serial(&store);
    let (tx, rx) = crossbeam_channel::unbounded();
    let env = Env {
        exe: env!("CARGO_BIN_EXE_certdeck").into(),
        progress: Some(tx),
        ..Env::new(&store)
    };
    let mut app = app_on(&store, &env);
    let s = screen(&app);
    assert!(s.contains("⟳ web"), "{s}");
    // The menu offers renew and revoke on this row.
    keys(&mut app, "a");
    let s = screen(&app);
    assert!(s.contains("ACME lineage: renew now"), "{s}");
    assert!(s.contains("ACME lineage: revoke"), "{s}");
    key(&mut app, KeyCode::Esc);
    // `A`: the confirm dialog says what will run.
    let effects = press(&mut app, 'A');
    assert!(
        matches!(effects.as_slice(), [Effect::BuildPlan(_)]),
        "{effects:?}"
    );
    run(&mut app, &env, &rx, effects);
    let s = screen(&app);
    assert!(s.contains("certdeck acme renew web --force"), "{s}");
    assert!(s.contains("a.test"), "{s}");
    let effects = press(&mut app, 'y');
    assert!(
        matches!(effects.as_slice(), [Effect::ApplyPlan(_)]),
        "{effects:?}"
    );
    // The progress lines arrive while it runs (collected here, then shown by the spinner).
    let inv = app.inventory.clone();
    let done = execute(&effects[0], &env, &inv).unwrap();
    let progress: Vec<Msg> = rx.try_iter().collect();
    assert!(!progress.is_empty(), "no progress lines");
    let mut shown = Vec::new();
    for m in progress {
        app.update(m);
        shown.push(app.busy.clone().unwrap_or_default());
    }
    assert!(
        shown.iter().all(|b| b.starts_with("ACME renew web: ")),
        "{shown:?}"
    );
    app.update(done);
    let s = screen(&app);
    assert!(s.contains("renewed"), "{s}");
    assert!(app.busy.is_none());
    let after = serial(&store);
    assert_ne!(before, after, "the serial did not change");
    // The old certificate went to history/ (the plan's), the new one is what Pebble issued.
    let hist = common::snapshot(&store.join("history"), &[]);
    assert!(
        hist.keys().any(|k| k.ends_with("acme/web/cert.pem")),
        "{hist:?}"
    );
    // Rescanned, the details show the last result and when it is due next.
    let mut app = app_on(&store, &env);
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(s.contains("renewed"), "{s}");
    assert!(s.contains("Renewal"), "{s}");
    // Read-only: refused before anything runs.
    app.read_only = true;
    key(&mut app, KeyCode::Enter);
    assert!(press(&mut app, 'A').is_empty());
    assert!(screen(&app).contains("read-only: ACME renew is disabled"));
    // `X` revokes: the dialog names the command; Pebble then reports the serial revoked.
    app.read_only = false;
    let hex = after
        .trim_start_matches("serial=")
        .to_ascii_lowercase()
        .trim_start_matches('0')
        .to_string();
    let status = |p: &pebble::Pebble| {
        p.get(&format!("{}/cert-status-by-serial/{hex}", p.mgmt))
            .unwrap_or_default()
    };
    assert!(status(&p).contains("Valid"), "{}", status(&p));
    let effects = press(&mut app, 'X');
    run(&mut app, &env, &rx, effects);
    let s = screen(&app);
    assert!(s.contains("certdeck acme revoke web"), "{s}");
    let effects = press(&mut app, 'y');
    run(&mut app, &env, &rx, effects);
    assert!(status(&p).contains("Revoked"), "{}", status(&p));
    let n = app.notice.clone().expect("a notice");
    assert!(!n.error, "{n:?}");
    // The CA gone: an error notice, the certificate as it was.
    app.overlay = Default::default();
    p.stop();
    let effects = press(&mut app, 'A');
    run(&mut app, &env, &rx, effects);
    let effects = press(&mut app, 'y');
    run(&mut app, &env, &rx, effects);
    let n = app.notice.clone().expect("a notice");
    assert!(n.error && n.text.contains("acme renew web failed"), "{n:?}");
    assert_eq!(serial(&store), after);
}

/// The same through the real binary in tmux at 80x24: the run loop's job channel carries the
/// progress, the list is rescanned with the new certificate.
#[test]
fn renew_from_the_tui_in_tmux_80x24() {
    let t = tempfile::tempdir().unwrap();
    let store = std::fs::canonicalize(t.path()).unwrap().join("store");
    std::fs::create_dir(&store).unwrap();
    let p = pebble::Pebble::start(t.path(), 0);
    issue(&p, &store);
    let before = serial(&store);
    let tm = tmux_support::Tmux::certdeck(&format!("--store {}", store.display()), 80, 24);
    let s = tm.wait_for("⟳ web");
    tm.assert_fits(&s);
    let mut s = s;
    for _ in 0..5 {
        if tmux_support::line_with(&s, "⟳ web").contains('›') {
            break;
        }
        tm.keys(&["j"]);
        s = tm.settled();
    }
    tm.keys(&["a"]);
    let s = tm.wait_for("ACME lineage: renew now");
    tm.assert_fits(&s);
    tm.keys(&["A"]);
    let s = tm.wait_for("certdeck acme renew web --force");
    tm.assert_fits(&s);
    tm.keys(&["y"]);
    let s = tm.wait_for("renewed");
    tm.assert_fits(&s);
    assert_ne!(serial(&store), before);
    tm.keys(&["Escape", "q"]);
    tm.wait_for("CERTDECK-EXITED-0");
    drop(p);
}

/// `I` opens the issue form (name, domains, challenge, server); a bad name and unagreed terms
/// are refused in the form; filled in, the dialog shows the command and `y` issues it, with
/// each challenge's progress streamed; the new lineage is a row after the rescan.
#[test]
fn issue_from_the_form_against_pebble_80x24() {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    std::fs::create_dir(&store).unwrap();
    let p = pebble::Pebble::start(t.path(), 0);
    let (tx, rx) = crossbeam_channel::unbounded();
    let env = Env {
        exe: env!("CARGO_BIN_EXE_certdeck").into(),
        progress: Some(tx),
        ..Env::new(&store)
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut app = App::new(store.clone(), Theme { mono: true }, now);
    app.update(Msg::Resize(80, 24));
    app.set_items(Vec::new());
    press(&mut app, 'I');
    let s = screen(&app);
    assert!(s.contains("ACME: issue a certificate"), "{s}");
    let paste = |app: &mut App, text: &str| {
        app.update(Msg::Paste(text.into()));
        key(app, KeyCode::Tab);
    };
    paste(&mut app, "bad/name");
    paste(&mut app, "b.test");
    key(&mut app, KeyCode::Tab); // challenge: http-01 standalone
    paste(&mut app, &format!("127.0.0.1:{}", p.http_port));
    paste(&mut app, &p.directory);
    paste(&mut app, "admin@b.test");
    paste(&mut app, &p.api_ca.display().to_string());
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(s.contains("lineage name"), "the bad name refused:\n{s}");
    assert!(s.contains("terms of service"), "{s}");
    // Fix the name (the form focused it), agree to the terms.
    app.update(Msg::Key(ratatui::crossterm::event::KeyEvent::new(
        KeyCode::Char('u'),
        ratatui::crossterm::event::KeyModifiers::CONTROL,
    )));
    app.update(Msg::Paste("shop".into()));
    for _ in 0..7 {
        key(&mut app, KeyCode::Tab);
    }
    key(&mut app, KeyCode::Right);
    let effects = app.update(Msg::Key(ratatui::crossterm::event::KeyEvent::new(
        KeyCode::Enter,
        ratatui::crossterm::event::KeyModifiers::NONE,
    )));
    assert!(
        matches!(effects.as_slice(), [Effect::BuildPlan(_)]),
        "{}",
        screen(&app)
    );
    run(&mut app, &env, &rx, effects);
    let s = screen(&app);
    assert!(
        s.contains("certdeck acme issue shop --domain b.test"),
        "{s}"
    );
    let effects = press(&mut app, 'y');
    assert!(
        matches!(effects.as_slice(), [Effect::ApplyPlan(_)]),
        "{effects:?}"
    );
    let inv = app.inventory.clone();
    let done = execute(&effects[0], &env, &inv).unwrap();
    let progress: Vec<String> = rx
        .try_iter()
        .filter_map(|m| match m {
            Msg::Progress(s) => Some(s),
            _ => None,
        })
        .collect();
    assert!(
        progress.iter().any(|l| l.contains("b.test")),
        "no progress for the challenge: {progress:?}"
    );
    app.update(done);
    assert!(!app.notice.clone().unwrap().error, "{:?}", app.notice);
    assert!(store.join("acme/shop/cert.pem").is_file());
    let app = app_on_path(&store, &env, "acme/shop/cert.pem");
    assert!(screen(&app).contains("⟳ shop"), "{}", screen(&app));
    drop(p);
}

fn app_on_path(store: &Path, env: &Env, path: &str) -> App {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let inv = certdeck::store::scan::scan(store, &Default::default());
    let mut app = App::new(store.into(), Theme { mono: true }, now);
    app.update(Msg::Resize(80, 24));
    app.set_items(inv.items.clone());
    let msg = execute(&Effect::ReadLineages, env, &inv).unwrap();
    app.update(msg);
    assert!(app.items().iter().any(|i| i.path == path));
    app
}
