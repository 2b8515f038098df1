//! Lineage rows (issue #16, #17's TUI): a certbot lineage and a certdeck ACME lineage are one
//! row each (name, version, domains, renewal due in the details), the certbot lineage's older
//! version folded under it, muted when unfolded (`z`), never counted as expired.

mod lineage_support;
mod tui_support;

use certdeck::store::lineages::{read, Source};
use certdeck::tui::app::{App, Effect, Msg};
use certdeck::tui::effects::{execute, Env};
use certdeck::tui::theme::Theme;
use ratatui::crossterm::event::KeyCode;
use tui_support::*;

/// The store scanned for real, shown at `w`x`h`, its lineages read as the run loop would.
fn app(w: u16, h: u16) -> (tempfile::TempDir, App) {
    let tmp = tempfile::tempdir().unwrap();
    let now = time::OffsetDateTime::from_unix_timestamp(NOW).unwrap();
    lineage_support::lineage_store(tmp.path(), now);
    let mut opts = certdeck::store::scan::ScanOptions::default();
    opts.analyze.now = NOW;
    opts.decode.now = NOW;
    let inv = certdeck::store::scan::scan(tmp.path(), &opts);
    // The real store path: the findings look at it (certbot's old versions are muted there).
    let mut app = App::new(tmp.path().into(), Theme { mono: false }, NOW);
    app.update(Msg::Resize(w, h));
    app.set_items(inv.items.clone());
    let msg = execute(&Effect::ReadLineages, &Env::new(tmp.path()), &inv).unwrap();
    app.update(msg);
    (tmp, app)
}

#[test]
fn the_reader_finds_both_lineages() {
    let tmp = tempfile::tempdir().unwrap();
    let now = time::OffsetDateTime::from_unix_timestamp(NOW).unwrap();
    lineage_support::lineage_store(tmp.path(), now);
    let mut opts = certdeck::store::scan::ScanOptions::default();
    opts.analyze.now = NOW;
    opts.decode.now = NOW;
    let inv = certdeck::store::scan::scan(tmp.path(), &opts);
    let all = read(&inv);
    assert_eq!(all.len(), 2, "{all:#?}");
    let a = &all[0];
    assert_eq!((a.source, a.name.as_str()), (Source::Certbot, "a.test"));
    assert_eq!(a.version, Some(2));
    assert_eq!(a.cert, "archive/a.test/cert2.pem");
    assert_eq!(a.older_certs, 1);
    assert_eq!(
        a.older,
        ["archive/a.test/cert1.pem", "archive/a.test/privkey1.pem"]
    );
    // 80 days left, renews 30 days before: due in 50.
    let due = a.due_at.unwrap();
    assert_eq!((due - NOW) / 86_400, 50, "{a:#?}");
    let s = &all[1];
    assert_eq!((s.source, s.name.as_str()), (Source::Acme, "shop"));
    assert_eq!(s.domains, ["shop.example"]);
    // 90-day lifetime, 20 left, a third (30 days) before expiry: due 10 days ago.
    assert_eq!((s.due_at.unwrap() - NOW) / 86_400, -10, "{s:#?}");
    assert_eq!(s.last.as_ref().unwrap().result, "renewed");
    assert!(s.error.is_none(), "{s:#?}");
}

#[test]
fn lineage_rows_fold_and_unfold_80x24() {
    let (tmp, mut app) = app(80, 24);
    let s = shown(&app, &tmp);
    insta::assert_snapshot!("lineage_rows_80x24", s);
    assert!(s.contains("▸ a.test v2 +1"), "{s}");
    assert!(s.contains("⟳ shop · due"), "{s}");
    // The expired old version is history: not a row, not counted as expired.
    assert!(!s.contains("cert1.pem"), "{s}");
    assert_eq!(app.counts.expired, 0, "{:?}", app.counts);
    // Select the certbot lineage, unfold: its older versions right under it, muted "old".
    keys(&mut app, "g");
    while !selected_name(&app).contains("a.test")
        || app.selected_item().unwrap().path != "archive/a.test/cert2.pem"
    {
        let before = app.selected;
        keys(&mut app, "j");
        assert_ne!(
            before,
            app.selected,
            "lineage row not found:\n{}",
            screen(&app)
        );
    }
    keys(&mut app, "z");
    let s = shown(&app, &tmp);
    insta::assert_snapshot!("lineage_unfolded_80x24", s);
    assert!(s.contains("▾ a.test v2 +1"), "{s}");
    let at = |s: &str, n: &str| s.lines().position(|l| l.contains(n));
    let (lin, old) = (at(&s, " a.test v2").unwrap(), at(&s, "└ a.test").unwrap());
    assert_eq!(
        old,
        lin + 1,
        "the old version right under its lineage:\n{s}"
    );
    assert!(s.lines().nth(old).unwrap().contains("old"), "{s}");
    assert_eq!(app.counts.expired, 0);
    // Onto the old version: its details say whose it is; z there folds back to the lineage.
    keys(&mut app, "j");
    assert_eq!(
        app.selected_item().unwrap().path,
        "archive/a.test/cert1.pem"
    );
    let s = screen(&app);
    assert!(s.contains("older version of a.test"), "{s}");
    keys(&mut app, "z");
    assert_eq!(
        app.selected_item().unwrap().path,
        "archive/a.test/cert2.pem"
    );
    assert!(!screen(&app).contains("└ a.test"));
}

#[test]
fn lineage_details_120x40() {
    let (tmp, mut app) = app(120, 40);
    keys(&mut app, "g");
    while app.selected_item().map(|i| i.path.as_str()) != Some("acme/shop/cert.pem") {
        let before = app.selected;
        key(&mut app, KeyCode::Down);
        assert_ne!(
            before,
            app.selected,
            "ACME row not found:\n{}",
            screen(&app)
        );
    }
    let s = shown(&app, &tmp);
    insta::assert_snapshot!("lineage_acme_details_120x40", s);
    assert!(
        line_of(&s, "Lineage").contains("shop (ACME (certdeck))"),
        "{s}"
    );
    assert!(line_of(&s, "Renewal").contains("due now"), "{s}");
    assert!(line_of(&s, "Last").contains("renewed 2025-12-01"), "{s}");
    assert!(
        line_of(&s, "policy").contains("a third of the lifetime"),
        "{s}"
    );
}

/// The screen with the temporary store's path named `[store]` (the status line shows it).
/// Serials and fingerprints (random per run) become `[hex]`.
fn shown(app: &App, tmp: &tempfile::TempDir) -> String {
    let s = screen(app).replace(tmp.path().to_str().unwrap(), "[store]");
    let mut out = String::new();
    let mut run = String::new();
    for c in s.chars() {
        if c.is_ascii_hexdigit() || (c == ':' && !run.is_empty()) {
            run.push(c);
            continue;
        }
        out.push_str(if run.len() >= 16 { "[hex]" } else { &run });
        run.clear();
        out.push(c);
    }
    out.push_str(if run.len() >= 16 { "[hex]" } else { &run });
    out
}

fn line_of<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen.lines().find(|l| l.contains(needle)).unwrap_or("")
}

/// The ACME issue form (`I`, also in the action menu) at 80x24: every field fits.
#[test]
fn acme_issue_form_80x24() {
    let mut app = app_with(store(), 80, 24);
    keys(&mut app, "I");
    let s = screen(&app);
    insta::assert_snapshot!("acme_issue_form_80x24", s);
    for label in ["Name", "Domains", "Challenge", "Server", "CA terms"] {
        assert!(s.contains(label), "{label}:\n{s}");
    }
    // In read-only mode the form is not offered at all.
    let mut ro = app_with(store(), 80, 24);
    ro.read_only = true;
    keys(&mut ro, "I");
    assert!(screen(&ro).contains("read-only: ACME issue is disabled"));
}

/// An ACME child's progress lines: the last in the status line, every one in the message log
/// (M) with its time, so a failed order's steps can be read after it ended.
#[test]
fn acme_progress_lines_go_to_the_message_log_80x24() {
    let (_tmp, mut app) = app(80, 24);
    app.busy = Some("preparing ACME web".into());
    let steps = [
        "ACME renew web: order created for a.test",
        "ACME renew web: http-01 a.test: challenge ready",
        "ACME renew web: http-01 a.test: invalid (unauthorized)",
    ];
    for s in steps {
        app.update(Msg::Progress(s.into()));
    }
    assert_eq!(app.busy.as_deref(), Some(steps[2]));
    let logged: Vec<&str> = app.log.texts().collect();
    for s in steps {
        assert!(logged.contains(&s), "{s} not logged: {logged:?}");
    }
    app.busy = None;
    keys(&mut app, "M");
    let s = screen(&app);
    for s0 in steps {
        let cut = &s0[..40];
        let l = line_of(&s, cut);
        // hh:mm:ss first: when the step happened.
        assert!(
            l.contains(':') && l.find(cut).is_some_and(|i| i > 8),
            "{s0}:\n{s}"
        );
    }
}
