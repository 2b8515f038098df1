//! Snapshots of the content layouts of issue #15: findings (marker column, details, view), the
//! message pager and log, rows with a path column and cut names, a days column that fits.

mod tui_support;

use certdeck::tui::app::Msg;
use ratatui::crossterm::event::KeyCode;
use tui_support::*;

/// The store plus a certificate expired 1370 days ago with a name longer than its column.
fn store_with_long_rows() -> Vec<certdeck::pki::Item> {
    let mut items = store();
    items.push(cert(
        "archive/very-long-directory-name/legacy-backend-api.internal.example.com.pem",
        "legacy-backend-api.internal.example.com",
        -1370,
        "Example Intermediate CA",
    ));
    items
}

#[test]
fn rows_fit_at_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let app = app_with(store_with_long_rows(), w, h);
        let s = screen(&app);
        insta::assert_snapshot!(format!("rows_{w}x{h}"), s);
        let row = s.lines().find(|l| l.contains("-1370d")).unwrap_or("");
        assert!(row.contains("!-1370d"), "days cell: {row:?}");
        assert!(row.contains("legacy-backend"), "{row:?}");
        assert!(row.contains('…'), "the long name is cut with …: {row:?}");
        if w >= 100 {
            assert!(s.contains("Path"), "a path column at {w}:\n{s}");
        }
        assert!(s.contains("1 error "), "{s}");
    }
}

#[test]
fn findings_view_and_details_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = app_with(store(), w, h);
        // The unreadable file is the first row; the expired certificate with a missing
        // issuer follows it: critical.
        keys(&mut app, "j");
        let s = screen(&app);
        let second = s.lines().nth(3).unwrap_or("");
        assert!(second.starts_with("┃C"), "{second:?}");
        assert!(s.contains("incomplete-chain") || w < 100, "{s}");
        keys(&mut app, "f");
        insta::assert_snapshot!(format!("findings_view_{w}x{h}"), screen(&app));
        // Enter on the second finding selects its item.
        keys(&mut app, "j");
        let want = app.findings.all[1].path.clone();
        key(&mut app, KeyCode::Enter);
        assert_eq!(app.selected_item().map(|i| i.path.clone()), Some(want));
    }
}

#[test]
fn long_message_pager_and_log_80x24() {
    let mut app = app_with(store(), 80, 24);
    app.update(Msg::Applied(Ok(("exported a.pem".into(), None))));
    let out: Vec<String> = std::iter::once("nginx: [emerg] cannot load certificate".to_string())
        .chain((1..=25).map(|i| format!("detail line {i}")))
        .collect();
    let text = format!("reload (exit status: 1):\n{}", out.join("\n"));
    app.update(Msg::Applied(Err(text)));
    insta::assert_snapshot!("pager_80x24", screen(&app));
    key(&mut app, KeyCode::End);
    let s = screen(&app);
    assert!(s.contains("detail line 25"), "{s}");
    key(&mut app, KeyCode::Esc);
    keys(&mut app, "M");
    key(&mut app, KeyCode::Home);
    insta::assert_snapshot!("message_log_80x24", screen(&app));
}
