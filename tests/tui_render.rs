//! Snapshot tests of whole screens on ratatui's TestBackend (80x24 and 120x40).

mod tui_support;

use certdeck::store::scan::ScanEvent;
use certdeck::tui::app::Msg;
use certdeck::tui::theme::Theme;
use ratatui::crossterm::event::KeyCode;
use ratatui::style::Color;
use tui_support::*;

#[test]
fn list_80x24() {
    let app = app_with(store(), 80, 24);
    insta::assert_snapshot!("list_80x24", screen(&app));
}

#[test]
fn list_and_details_120x40() {
    let app = app_with(store(), 120, 40);
    insta::assert_snapshot!("list_details_120x40", screen(&app));
}

#[test]
fn details_of_leaf_120x40() {
    let mut app = app_with(store(), 120, 40);
    keys(&mut app, "G");
    // Sorted by expiry the root (3650 days) is last among certs; walk up to the leaf.
    while selected_name(&app) != "www.example.com" {
        keys(&mut app, "k");
    }
    insta::assert_snapshot!("details_leaf_120x40", screen(&app));
}

#[test]
fn chain_tree_120x40() {
    let mut app = app_with(store(), 120, 40);
    while selected_name(&app) != "www.example.com" {
        keys(&mut app, "j");
    }
    keys(&mut app, "c");
    insta::assert_snapshot!("chain_tree_120x40", screen(&app));
}

#[test]
fn help_overlay_80x24_and_120x40() {
    let mut app = app_with(store(), 80, 24);
    keys(&mut app, "?");
    insta::assert_snapshot!("help_80x24", screen(&app));
    app.update(Msg::Resize(120, 40));
    insta::assert_snapshot!("help_120x40", screen(&app));
}

#[test]
fn filter_in_progress_80x24() {
    let mut app = app_with(store(), 80, 24);
    keys(&mut app, "/mail");
    insta::assert_snapshot!("filter_typing_80x24", screen(&app));
}

#[test]
fn empty_store_80x24() {
    let app = app_with(Vec::new(), 80, 24);
    insta::assert_snapshot!("empty_80x24", screen(&app));
}

#[test]
fn error_item_120x40() {
    let mut app = app_with(store(), 120, 40);
    keys(&mut app, "/broken");
    key(&mut app, KeyCode::Enter);
    insta::assert_snapshot!("error_item_120x40", screen(&app));
    let buf = render(&app);
    let red = buf.content().iter().any(|c| c.fg == Color::Red);
    assert!(red, "an error item is drawn in red");
}

#[test]
fn narrow_full_details_80x24() {
    let mut app = app_with(store(), 80, 24);
    key(&mut app, KeyCode::Enter);
    assert!(app.details_full);
    insta::assert_snapshot!("narrow_full_details_80x24", screen(&app));
    key(&mut app, KeyCode::Esc);
    assert!(!app.details_full);
}

#[test]
fn grouped_by_chain_120x40() {
    let mut app = app_with(store(), 120, 40);
    keys(&mut app, "o");
    keys(&mut app, "o");
    insta::assert_snapshot!("group_chain_120x40", screen(&app));
}

#[test]
fn read_only_while_scanning_80x24() {
    let mut app = app_with(store(), 80, 24);
    app.read_only = true;
    app.scan_started();
    app.update(Msg::Scan(ScanEvent::Progress {
        files_done: 1234,
        files_total: 5000,
    }));
    let s = screen(&app);
    assert!(s.contains("READ-ONLY"));
    assert!(s.contains("scanning 1234/5000"));
    insta::assert_snapshot!("read_only_scanning_80x24", s);
}

#[test]
fn mono_theme_sets_no_colours() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = app_with(store(), w, h);
        app.theme = Theme { mono: true };
        for keys_typed in ["", "c", "?"] {
            keys(&mut app, keys_typed);
            let buf = render(&app);
            for cell in buf.content() {
                assert_eq!(cell.fg, Color::Reset, "fg colour in mono at {w}x{h}");
                assert_eq!(cell.bg, Color::Reset, "bg colour in mono at {w}x{h}");
            }
        }
    }
}

#[test]
fn days_left_reads_without_colour() {
    let s = screen(&app_with(store(), 120, 40));
    assert!(s.contains("!! -20d"), "{s}");
    assert!(s.contains("!   12d"), "{s}");
    assert!(s.contains("   200d"), "{s}");
}

#[test]
fn certbot_lineage_file_says_who_owns_it() {
    let mut it = cert("archive/example.com/cert3.pem", "example.com", 20, "R11");
    it.links = vec!["live/example.com/cert.pem".into()];
    let app = app_with(vec![it], 120, 40);
    let s = screen(&app);
    assert!(s.contains("Linked as"), "{s}");
    assert!(s.contains("live/example.com/cert.pem"), "{s}");
    assert!(s.contains("owned by certbot"), "{s}");
}

#[test]
fn revoked_certificate_is_marked_in_words() {
    use certdeck::pki::revocation::{Revocation, RevokedEntry};
    let mut items = store();
    let i = items
        .iter()
        .position(|it| it.display_name() == "www.example.com")
        .unwrap();
    items[i].cert_mut().unwrap().revocation = Some(Box::new(Revocation {
        crl_path: "crl/root.crl".into(),
        entry: RevokedEntry {
            date_unix: 1_700_000_000,
            reason: Some(1),
        },
    }));
    // Monochrome: the marker is text, not a colour.
    let mut app =
        certdeck::tui::app::App::new("/etc/certdeck/store".into(), Theme { mono: true }, NOW);
    app.update(Msg::Resize(120, 40));
    app.set_items(items);
    while selected_name(&app) != "www.example.com" {
        keys(&mut app, "j");
    }
    let s = screen(&app);
    let row = s
        .lines()
        .find(|l| l.contains("www.example.com") && l.contains("REVOKED"));
    assert!(row.is_some(), "{s}");
    // The details pane wraps at its width; the marker and the CRL come first.
    assert!(
        s.contains("Status      REVOKED: revoked by crl/root.crl"),
        "{s}"
    );
}

#[test]
fn superseded_certbot_version_is_muted() {
    let old = cert(
        "le/archive/a.test/cert1.pem",
        "a.test",
        -200,
        "Example Root CA",
    );
    let mut cur = cert(
        "le/archive/a.test/cert2.pem",
        "a.test",
        60,
        "Example Root CA",
    );
    cur.links = vec!["le/live/a.test/cert.pem".into()];
    let app = app_with(vec![old, cur], 120, 40);
    let s = screen(&app);
    assert!(!s.contains("EXPIRED"), "{s}");
    let rows: Vec<&str> = s.lines().filter(|l| l.contains("a.test")).collect();
    assert!(rows.iter().any(|l| l.contains(" old ")), "{s}");
    assert!(rows.iter().any(|l| l.contains(" ok ")), "{s}");
    // Its details say why.
    let mut app = app;
    for _ in 0..4 {
        if screen(&app).contains("File        le/archive/a.test/cert1.pem") {
            break;
        }
        keys(&mut app, "j");
    }
    assert!(
        screen(&app).contains("superseded version"),
        "{}",
        screen(&app)
    );
}
