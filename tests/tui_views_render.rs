//! Snapshots of issue #16's views (the copy menu, the text view) and #15's details items (a
//! key's pairs by path, a CRL's serials), on hand-built items at a pinned time.

mod tui_support;

use certdeck::pki::{CrlInfo, Detail, Item, ItemKind};
use certdeck::tui::app::{Effect, Msg};
use ratatui::crossterm::event::KeyModifiers;
use ratatui::crossterm::event::{KeyCode, MouseButton, MouseEvent, MouseEventKind};
use tui_support::*;

fn select(app: &mut certdeck::tui::app::App, path: &str) {
    let i = app.items().iter().position(|it| it.path == path).unwrap();
    keys(app, "g");
    while app.selected_item().map(|it| it.path.as_str()) != Some(path) {
        let before = app.selected;
        keys(app, "j");
        assert_ne!(before, app.selected, "{path} (item {i}) not reachable");
    }
}

#[test]
fn copy_menu_80x24_and_the_fingerprint_it_copies() {
    let mut app = app_with(store(), 80, 24);
    select(&mut app, "live/www/cert.pem");
    let want = app.selected_item().unwrap().cert().unwrap().sha256.clone();
    keys(&mut app, "Y");
    insta::assert_snapshot!("copy_menu_80x24", screen(&app));
    let effects = app.update(Msg::Key(ratatui::crossterm::event::KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    )));
    let Some(Effect::Copy(text)) = effects.first() else {
        panic!("no copy: {effects:?}");
    };
    assert_eq!(text.replace(':', "").to_lowercase(), want.to_lowercase());
    assert!(text.contains(':'), "colon hex as shown: {text}");
    assert!(screen(&app).contains("copied SHA-256 fingerprint"));
}

#[test]
fn text_view_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = app_with(store(), w, h);
        select(&mut app, "live/www/cert.pem");
        keys(&mut app, "v");
        let s = screen(&app);
        insta::assert_snapshot!(format!("text_view_{w}x{h}"), s);
        assert!(s.contains("Serial Number:"), "{s}");
        // The rest a page further (at 80x24), or already shown (120x40).
        keys(&mut app, " ");
        let s = screen(&app);
        assert!(s.contains("X509v3 Subject Alternative Name:"), "{s}");
    }
}

#[test]
fn key_pairs_by_path_and_crl_serials_80x24() {
    let mut items = store();
    let mut crl = Item::new(ItemKind::Crl, "X509 CRL");
    crl.path = "crl/ca.crl".into();
    crl.detail = Detail::Crl(Box::new(CrlInfo {
        issuer: "CN=Example Root CA".into(),
        revoked: vec!["0a1b".into(), "ff02".into()],
        ..Default::default()
    }));
    items.push(crl);
    let mut app = app_with(items, 80, 24);
    select(&mut app, "live/www/privkey.pem");
    // Full screen, so the whole pane shows.
    app.update(Msg::Key(ratatui::crossterm::event::KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    )));
    let s = screen(&app);
    assert!(
        line_of(&s, "Pairs with").contains("live/www/cert.pem"),
        "{s}"
    );
    keys(&mut app, "q");
    let mut app2 = app_with(app.items().to_vec(), 80, 24);
    select(&mut app2, "crl/ca.crl");
    app2.update(Msg::Key(ratatui::crossterm::event::KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    )));
    let s = screen(&app2);
    insta::assert_snapshot!("crl_serials_80x24", s);
    assert!(line_of(&s, "Revoked").contains("2 serials"), "{s}");
    assert!(s.contains("0A:1B") && s.contains("FF:02"), "{s}");
}

fn line_of<'a>(s: &'a str, needle: &str) -> &'a str {
    s.lines().find(|l| l.contains(needle)).unwrap_or("")
}

#[test]
fn a_click_selects_the_row_and_the_wheel_scrolls_120x40() {
    let mut app = app_with(store(), 120, 40);
    let s = screen(&app);
    let (y, _) = (s.lines().enumerate())
        .find(|(_, l)| l.contains("Example Root CA") && l.starts_with('┃'))
        .unwrap();
    let ev = |kind, row| {
        Msg::Mouse(MouseEvent {
            kind,
            column: 5,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    app.update(ev(MouseEventKind::Down(MouseButton::Left), y as u16));
    assert_eq!(selected_name(&app), "Example Root CA");
    let before = app.selected;
    app.update(ev(MouseEventKind::ScrollUp, y as u16));
    assert!(app.selected < before, "the wheel moved up");
}

/// Grouped by file, a header is the whole path over every column, not cut at the Name column.
#[test]
fn group_headers_show_whole_paths_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut items = store();
        let path = "archive/very-long-directory-name/legacy.pem";
        items.push(cert(path, "legacy.example", 40, "Example Root CA"));
        let mut app = app_with(items, w, h);
        keys(&mut app, "o");
        assert_eq!(app.group.label(), "file");
        // Down to the item, so its header is in the window.
        select(&mut app, path);
        let s = screen(&app);
        assert!(
            s.lines().any(|l| l.contains(&format!("▾ {path}"))),
            "{w}x{h}:\n{s}"
        );
    }
}

#[test]
fn timeline_80x24() {
    let mut app = app_with(store(), 80, 24);
    keys(&mut app, "T");
    let s = screen(&app);
    insta::assert_snapshot!("timeline_80x24", s);
    assert!(s.contains("expired: 1 certificate "), "{s}");
    // The bar of the next 30 days: the expiring leaf (12 days).
    keys(&mut app, "ll");
    app.update(Msg::Key(ratatui::crossterm::event::KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    )));
    assert_eq!(app.shown, 1);
    assert_eq!(selected_name(&app), "mail.example.com");
}
