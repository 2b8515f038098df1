//! Key-injection tests: navigation, filtering, sorting, rescans, and how little of the screen a
//! keystroke changes.

mod tui_support;

use certdeck::store::inventory::Inventory;
use certdeck::store::scan::ScanEvent;
use certdeck::store::watch::Change;
use certdeck::tui::app::{Effect, Msg, VerifyJob};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::time::Duration;
use tui_support::*;

#[test]
fn j_k_g_and_shift_g_move_the_selection() {
    let mut app = app_with(store(), 80, 24);
    // The unreadable file first, then the most urgent certificate.
    assert_eq!(selected_name(&app), "broken.pem");
    keys(&mut app, "j");
    assert_eq!(selected_name(&app), "old.example.com");
    keys(&mut app, "j");
    assert_eq!(selected_name(&app), "mail.example.com");
    key(&mut app, KeyCode::Down);
    assert_eq!(selected_name(&app), "www.example.com");
    keys(&mut app, "k");
    assert_eq!(selected_name(&app), "mail.example.com");
    keys(&mut app, "G");
    assert_eq!(selected_name(&app), "new.example.com");
    keys(&mut app, "j");
    assert_eq!(
        selected_name(&app),
        "new.example.com",
        "stays on the last row"
    );
    keys(&mut app, "g");
    assert_eq!(selected_name(&app), "broken.pem");
    keys(&mut app, "k");
    assert_eq!(selected_name(&app), "broken.pem", "stays on the first row");
}

#[test]
fn filter_narrows_rows_and_esc_clears() {
    let mut app = app_with(store(), 80, 24);
    keys(&mut app, "/");
    assert_eq!(app.shown, 8);
    keys(&mut app, "EXAMPLE.COM");
    // CN/SAN match, case-insensitive: the three leaves and the CSR (the CAs' CNs do not contain it
    // but their issuer/subject do not either).
    assert_eq!(app.shown, 4);
    keys(&mut app, "x");
    assert_eq!(app.shown, 0);
    key(&mut app, KeyCode::Backspace);
    assert_eq!(app.shown, 4);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.shown, 8);
    assert!(app.filter.is_empty() && !app.filter_editing);
}

#[test]
fn filter_matches_path_issuer_and_fingerprint() {
    let mut app = app_with(store(), 80, 24);
    keys(&mut app, "/live/www/");
    assert_eq!(app.shown, 3, "path");
    key(&mut app, KeyCode::Esc);
    keys(&mut app, "/cn=gone ca");
    assert_eq!(app.shown, 1, "issuer");
    key(&mut app, KeyCode::Esc);
    let www = app.items().iter().find(|i| i.path == "live/www/cert.pem");
    let fp = www.unwrap().cert().unwrap().sha256[..12].to_uppercase();
    keys(&mut app, &format!("/{fp}"));
    assert_eq!(selected_name(&app), "www.example.com", "fingerprint");
    // Enter keeps the filter; Esc in the list then clears it, and never quits.
    key(&mut app, KeyCode::Enter);
    assert!(!app.filter_editing && !app.filter.is_empty());
    assert_eq!(app.update(Msg::Key(esc())), Vec::<Effect>::new());
    assert!(app.filter.is_empty());
    assert_eq!(
        selected_name(&app),
        "www.example.com",
        "the item found stays selected"
    );
    assert_eq!(app.update(Msg::Key(esc())), Vec::<Effect>::new());
    assert!(screen(&app).contains("nothing to close (q quits)"));
    assert_eq!(app.update(Msg::Key(esc())), Vec::<Effect>::new());
}

fn esc() -> KeyEvent {
    KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)
}

#[test]
fn sort_cycles_and_keeps_the_selection() {
    let mut app = app_with(store(), 80, 24);
    keys(&mut app, "jjj");
    assert_eq!(selected_name(&app), "www.example.com");
    keys(&mut app, "s");
    assert_eq!(app.sort.label(), "name");
    assert_eq!(selected_name(&app), "www.example.com");
    keys(&mut app, "g");
    assert_eq!(selected_name(&app), "broken.pem");
    keys(&mut app, "s");
    assert_eq!(app.sort.label(), "path");
    keys(&mut app, "g");
    assert_eq!(selected_name(&app), "broken.pem");
    keys(&mut app, "j");
    assert_eq!(selected_name(&app), "Example Root CA", "ca/root.pem");
    keys(&mut app, "s");
    assert_eq!(app.sort.label(), "expiry");
}

#[test]
fn selection_survives_a_rescan() {
    let mut app = app_with(store(), 80, 24);
    keys(&mut app, "jjj");
    assert_eq!(selected_name(&app), "www.example.com");
    assert_eq!(
        app.update(Msg::Key(KeyEvent::from(KeyCode::Char('r')))),
        vec![Effect::Rescan]
    );
    app.scan_started();
    // A rescan streams into a side buffer: the list keeps its rows until Done.
    let mut items = store();
    items.reverse();
    items.push(cert(
        "new/a.pem",
        "aaa.example.com",
        -400,
        "Example Intermediate CA",
    ));
    app.update(Msg::Scan(ScanEvent::Items(items[..3].to_vec())));
    assert_eq!(app.shown, 8);
    assert_eq!(selected_name(&app), "www.example.com");
    app.update(Msg::Scan(ScanEvent::Progress {
        files_done: 3,
        files_total: 9,
    }));
    app.update(Msg::Scan(ScanEvent::Done {
        inventory: std::sync::Arc::new(Inventory {
            store: "/etc/certdeck/store".into(),
            items,
        }),
        elapsed: Duration::from_millis(5),
    }));
    assert_eq!(app.shown, 9);
    assert!(app.scanning.is_none());
    assert_eq!(selected_name(&app), "www.example.com");
}

#[test]
fn first_scan_streams_into_the_list() {
    let mut app = app_with(Vec::new(), 80, 24);
    app.scan_started();
    app.update(Msg::Scan(ScanEvent::Items(store()[..2].to_vec())));
    assert_eq!(app.shown, 2);
    // A file change during the scan queues exactly one rescan for when it ends.
    let some_file = || Change::Files(["a.pem".to_string()].into());
    assert!(app.update(Msg::FsChanged(some_file())).is_empty());
    let effects = app.update(Msg::Scan(ScanEvent::Done {
        inventory: std::sync::Arc::new(Inventory {
            store: "/s".into(),
            items: store(),
        }),
        elapsed: Duration::ZERO,
    }));
    assert_eq!(effects, vec![Effect::Rescan]);
    // Without per-file updates (server configs), any change is a rescan.
    assert_eq!(
        app.update(Msg::FsChanged(some_file())),
        vec![Effect::Rescan]
    );
}

/// A changed file is re-read and spliced into the list (its search facts with it), changes
/// during that are queued for the next update, and every chain is verified again after.
#[test]
fn changed_files_are_re_read_into_the_list() {
    use certdeck::store::scan::{read_changes, scan, ScanOptions};
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("demo");
    certdeck::demo::create_demo_store(&store, time::OffsetDateTime::now_utc()).unwrap();
    let opts = ScanOptions::default();
    let mut app = app_with(Vec::new(), 80, 24);
    app.file_updates = true;
    let inv = scan(&store, &opts);
    let before = inv.items.len();
    app.update(Msg::Scan(ScanEvent::Done {
        inventory: std::sync::Arc::new(inv),
        elapsed: Duration::ZERO,
    }));

    std::fs::copy(
        store.join("clients/alice.pem"),
        store.join("clients/bob.pem"),
    )
    .unwrap();
    let files = vec!["clients/bob.pem".to_string()];
    let effects = app.update(Msg::FsChanged(Change::Files(
        ["clients/bob.pem".to_string()].into(),
    )));
    assert_eq!(effects, vec![Effect::Update(files.clone())]);
    // Another change while the first is read: queued, no second reader.
    let later = Change::Files(["clients/mallory.pem".to_string()].into());
    assert!(app.update(Msg::FsChanged(later)).is_empty());

    let changes = read_changes(&store, &files, &opts);
    // The scan's verification is still running: its results name today's indices, so the
    // re-read file waits for them.
    assert!(app
        .update(Msg::Scan(ScanEvent::Changed(changes)))
        .is_empty());
    assert_eq!(app.items().len(), before);
    let effects = app.update(Msg::Scan(ScanEvent::Verified(Vec::new())));
    assert_eq!(
        effects,
        vec![Effect::Update(vec!["clients/mallory.pem".to_string()])]
    );
    assert_eq!(app.items().len(), before + 1);
    assert!(app.items().iter().any(|i| i.path == "clients/bob.pem"));
    keys(&mut app, "/clients/bob");
    assert_eq!(app.shown, 1, "the new item's search facts are in place");
    key(&mut app, KeyCode::Esc);

    let changes = read_changes(&store, &["clients/mallory.pem".to_string()], &opts);
    let effects = app.update(Msg::Scan(ScanEvent::Changed(changes)));
    // Both updates' chains are verified, no others.
    let [Effect::Verify(VerifyJob(_, Some(which)))] = effects.as_slice() else {
        panic!("the touched chains are verified: {effects:?}");
    };
    let paths: Vec<&str> = which
        .iter()
        .map(|&i| app.items()[i].path.as_str())
        .collect();
    assert_eq!(paths, ["clients/bob.pem", "clients/mallory.pem"]);
    assert_eq!(app.items().len(), before + 1);
    // The verifier lets go of the inventory when it is done.
    drop(effects);
    app.update(Msg::Scan(ScanEvent::Verified(Vec::new())));

    // Next time only the new leaf's chain.
    std::fs::copy(
        store.join("clients/alice.pem"),
        store.join("clients/carol.pem"),
    )
    .unwrap();
    let files = vec!["clients/carol.pem".to_string()];
    app.update(Msg::FsChanged(Change::Files(
        ["clients/carol.pem".to_string()].into(),
    )));
    let effects = app.update(Msg::Scan(ScanEvent::Changed(read_changes(
        &store, &files, &opts,
    ))));
    let [Effect::Verify(VerifyJob(_, Some(which)))] = effects.as_slice() else {
        panic!("a partial verification: {effects:?}");
    };
    let paths: Vec<&str> = which
        .iter()
        .map(|&i| app.items()[i].path.as_str())
        .collect();
    assert_eq!(paths, ["clients/carol.pem"]);

    // A change only a full scan can tell about.
    app.update(Msg::FsChanged(Change::Files(["sub".to_string()].into())));
    let effects = app.update(Msg::Scan(ScanEvent::Changed(None)));
    assert_eq!(effects, vec![Effect::Rescan]);
}

#[test]
fn ctrl_c_quits_even_while_typing_and_esc_closes_help_first() {
    let mut app = app_with(store(), 80, 24);
    keys(&mut app, "?");
    assert!(app.help);
    assert!(app.update(Msg::Key(esc())).is_empty());
    assert!(!app.help);
    keys(&mut app, "/abc");
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(app.update(Msg::Key(ctrl_c)), vec![Effect::Quit]);
    assert_eq!(app.filter, "abc", "Ctrl-C is not typed into the filter");
}

#[test]
fn tab_switches_focus_and_keys_scroll_details() {
    // At 80x24 the details pane under the list is shorter than a certificate's details.
    let mut app = app_with(store(), 80, 24);
    // A certificate (the unreadable file first has few lines).
    keys(&mut app, "j");
    key(&mut app, KeyCode::Tab);
    keys(&mut app, "jj");
    assert_eq!(app.details_scroll, 2);
    // G goes to the last line and k comes back one from there (not from "infinity").
    keys(&mut app, "G");
    let bottom = app.details_scroll;
    assert!(bottom > 2, "{bottom}");
    keys(&mut app, "jk");
    assert_eq!(app.details_scroll, bottom - 1);
    keys(&mut app, "g");
    assert_eq!(app.details_scroll, 0);
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('d'),
        KeyModifiers::CONTROL,
    )));
    let half = app.details_scroll;
    assert!(half >= 2, "Ctrl-D scrolls half a pane: {half}");
    keys(&mut app, " ");
    assert!(app.details_scroll > half, "Space pages on");
    keys(&mut app, "b");
    assert_eq!(
        app.details_scroll,
        half.saturating_sub(app.details_scroll - half)
    );
    assert_eq!(
        selected_name(&app),
        "old.example.com",
        "list selection untouched"
    );
    key(&mut app, KeyCode::Tab);
    keys(&mut app, "j");
    assert_eq!(selected_name(&app), "mail.example.com");
}

#[test]
fn moving_one_row_changes_few_cells() {
    for (w, h) in [(80u16, 24u16), (120, 40)] {
        let mut app = app_with(store(), w, h);
        let before = render(&app);
        keys(&mut app, "j");
        let after = render(&app);
        let changed = before.diff(&after);
        // The list pane is the top 12 rows at 80x24 and the left 72 columns at 120x40.
        let in_list = |x: u16, y: u16| if w >= 100 { x < 72 } else { y < 12 };
        let list_area = changed.iter().filter(|(x, y, _)| in_list(*x, *y)).count();
        // In the list only the old and the new selected row change.
        assert!(
            list_area <= 2 * w as usize,
            "{w}x{h}: {list_area} list cells changed"
        );
        // The rest is the details pane showing another certificate (fingerprints and the
        // audit findings differ); nothing else on screen may change. The details pane is the
        // right 48 columns above the status line at 120x40, rows 12-21 at 80x24.
        let in_details = |x: u16, y: u16| {
            if w >= 100 {
                x >= 72 && y < h - 2
            } else {
                (12..h - 2).contains(&y)
            }
        };
        let elsewhere = changed
            .iter()
            .filter(|(x, y, _)| !in_list(*x, *y) && !in_details(*x, *y))
            .count();
        assert_eq!(
            elsewhere, 0,
            "{w}x{h}: cells changed outside list and details"
        );
        eprintln!(
            "{w}x{h}: {} cells changed, {} in the list",
            changed.len(),
            list_area
        );
    }
}

#[test]
fn hundred_thousand_items_render_only_the_window() {
    let base = store();
    let items: Vec<_> = (0..100_000)
        .map(|i| {
            let mut it = base[i % base.len()].clone();
            it.path = format!("bulk/{i:06}.pem");
            it
        })
        .collect();
    let mut app = app_with(items, 80, 24);
    keys(&mut app, "G");
    let s = screen(&app);
    assert!(s.contains("Items 100000/100000"), "{s}");
    keys(&mut app, "/099999");
    assert_eq!(app.shown, 1);
}

#[test]
fn verified_chains_wait_for_a_job_holding_the_inventory() {
    use certdeck::pki::chain::ChainResult;
    use certdeck::pki::ChainStatus;
    let mut app = app_with(store(), 80, 24);
    let i = app
        .items()
        .iter()
        .position(|it| it.path == "live/www/cert.pem")
        .unwrap();
    let result = ChainResult {
        status: ChainStatus::Broken,
        detail: "test: signature does not verify".into(),
        note: "bad signature: test".into(),
        issuers: vec![],
    };
    // A background job (a plan being built) holds the inventory: applying now would copy
    // the whole store, so the results wait.
    let job = app.inventory.clone();
    app.update(Msg::Scan(ScanEvent::Verified(vec![(i, result)])));
    assert_eq!(app.items()[i].cert().unwrap().chain, ChainStatus::Valid);
    assert!(app.chains_waiting());
    app.update(Msg::Tick);
    assert!(app.chains_waiting(), "still held");
    drop(job);
    app.update(Msg::Tick);
    assert!(!app.chains_waiting());
    assert_eq!(app.items()[i].cert().unwrap().chain, ChainStatus::Broken);
}

/// The expiry order, streamed (arrival order) or analysed (path order): soonest first, ties by
/// path then index, items without an expiry (keys) last.
#[test]
fn expiry_order_breaks_ties_by_path_and_puts_keys_last() {
    use certdeck::pki::{Item, ItemKind};
    use certdeck::tui::listing::{order, GroupBy, Meta, SortKey};
    let mut key = Item::new(ItemKind::PrivateKey, "PRIVATE KEY");
    key.path = "a/first.key".into();
    let mut items = vec![
        cert("z/late.pem", "late", 90, "CA"),
        key,
        cert("m/tie.pem", "tie-m", 10, "CA"),
        cert("b/tie.pem", "tie-b", 10, "CA"),
        cert("c/soon.pem", "soon", 1, "CA"),
    ];
    let mut second = cert("b/tie.pem", "tie-b-2", 10, "CA");
    second.index = 1;
    items.insert(0, second);
    let names = |items: &[Item], idx: Vec<usize>| -> Vec<String> {
        idx.into_iter().map(|i| items[i].display_name()).collect()
    };
    let want = ["soon", "tie-b", "tie-b-2", "tie-m", "late", "first.key"];
    let metas: Vec<Meta> = items.iter().map(Meta::of).collect();
    let streamed = order(&items, &metas, SortKey::Expiry, GroupBy::None, false);
    assert_eq!(names(&items, streamed), want);

    items.sort_by(|a, b| (&a.path, a.index).cmp(&(&b.path, b.index)));
    let metas: Vec<Meta> = items.iter().map(Meta::of).collect();
    let analysed = order(&items, &metas, SortKey::Expiry, GroupBy::None, true);
    assert_eq!(names(&items, analysed), want);
}

/// Files reached through a directory symlink are listed under the link's path, which the
/// watcher does not report: with such a link in the store every change rescans.
#[test]
fn a_store_with_a_followed_directory_link_rescans_on_change() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("s");
    std::fs::create_dir_all(store.join("real")).unwrap();
    std::os::unix::fs::symlink("real", store.join("alias")).unwrap();
    std::fs::write(store.join("real/x.pem"), "not a certificate").unwrap();
    let mut app = app_with(Vec::new(), 80, 24);
    app.file_updates = true;
    app.scan_started();
    for ev in certdeck::store::scan::spawn_scan(store.clone(), Default::default()) {
        app.update(Msg::Scan(ev));
    }
    let change = Change::Files(["real/x.pem".to_string()].into());
    assert_eq!(app.update(Msg::FsChanged(change)), vec![Effect::Rescan]);
}

/// A rescan of a big store streams into an emptied list like the first scan, instead of
/// holding the old inventory beside the new one until it is complete; a small one keeps the
/// old list on screen (no flicker).
#[test]
fn a_big_store_rescans_into_an_emptied_list() {
    let mut app = app_with(store(), 80, 24);
    let n = app.items().len();
    app.scan_started();
    assert_eq!(app.items().len(), n, "small: the old list stays");

    let mut app = app_with(store(), 80, 24);
    app.rescan_keeps_list_up_to = 3;
    app.scan_started();
    assert!(app.items().is_empty(), "big: the old inventory is let go");
    app.update(Msg::Scan(ScanEvent::Items(store()[..2].to_vec())));
    assert_eq!(app.shown, 2, "and the new scan streams in");
}
