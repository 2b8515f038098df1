//! Issue #15 on TestBackend: group headers fold and unfold, grouping by chain is a tree,
//! unreadable files sort first, and a chain not built yet says "checking…" while the scan runs.

mod tui_support;

use certdeck::pki::decode::{decode_file, DecodeOptions};
use certdeck::pki::issue::{generate_key, issue, IssueRequest, KeyType, Profile, SubjectSpec};
use certdeck::store::scan::ScanEvent;
use certdeck::tui::app::{App, Msg};
use certdeck::tui::keymap::Context;
use certdeck::tui::listing::Row;
use certdeck::tui::theme::Theme;
use ratatui::crossterm::event::KeyCode;
use tui_support::*;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

/// The list's lines (between the pane's top border and its bottom), trimmed of the border.
fn list_lines(s: &str) -> Vec<String> {
    s.lines()
        .skip(2)
        .take_while(|l| !l.starts_with('┗') && !l.starts_with('└'))
        .map(|l| {
            let l = l.trim_start_matches(['┃', '│']);
            let end = l.find(['┃', '│']).unwrap_or(l.len());
            l[..end].trim_end().to_string()
        })
        .collect()
}

fn header_rows(app: &App) -> Vec<usize> {
    (app.rows.iter().enumerate())
        .filter(|(_, r)| matches!(r, Row::Header(..)))
        .map(|(n, _)| n)
        .collect()
}

#[test]
fn unreadable_files_sort_first_whatever_the_sort_and_group() {
    for (w, h) in SIZES {
        let mut app = app_with(store(), w, h);
        for sort in ["expiry", "name", "path"] {
            assert_eq!(app.sort.label(), sort);
            assert_eq!(selected_name(&app), "broken.pem", "{w}x{h} sort {sort}");
            let s = screen(&app);
            let first = &list_lines(&s)[0];
            assert!(first.contains("broken.pem"), "{w}x{h} {sort}:\n{s}");
            keys(&mut app, "s");
        }
        // Grouped, the errors are a group of their own, the first.
        for group in ["file", "chain"] {
            keys(&mut app, "o");
            assert_eq!(app.group.label(), group);
            let s = screen(&app);
            let lines = list_lines(&s);
            assert!(
                lines[0].contains("▾ unreadable files (1)"),
                "{w}x{h} {group}:\n{s}"
            );
            assert!(lines[1].contains("broken.pem"), "{w}x{h} {group}:\n{s}");
        }
        keys(&mut app, "o");
    }
}

#[test]
fn a_header_folds_and_unfolds_with_enter_or_space_and_stays_folded_after_a_rescan() {
    for (w, h) in SIZES {
        let mut app = app_with(store(), w, h);
        keys(&mut app, "oo");
        assert_eq!(app.group.label(), "chain");
        // The selection starts on the first item; up is its group's header.
        assert_eq!(selected_name(&app), "broken.pem");
        keys(&mut app, "k");
        assert_eq!(app.context(), Context::Header);
        assert_eq!(app.selected_header().map(|h| h.1), Some(1));
        // Down to the root CA's header, then fold it with Space.
        while app
            .selected_header()
            .is_none_or(|(i, _)| app.items()[i].display_name() != "Example Root CA")
        {
            keys(&mut app, "j");
        }
        let before = app.rows.len();
        keys(&mut app, " ");
        let s = screen(&app);
        assert_eq!(app.rows.len(), before - 4, "{w}x{h}:\n{s}");
        assert!(s.contains("›▸ Example Root CA (4)"), "{w}x{h}:\n{s}");
        assert!(
            !s.contains("www.example.com  "),
            "{w}x{h}: leaf still listed:\n{s}"
        );
        // The title still counts the folded items; the details say what the header is.
        assert!(s.contains("Items 8/8"), "{w}x{h}:\n{s}");
        if w >= 120 {
            assert!(s.contains("folded (Enter or Space opens it)"), "{s}");
        }
        insta::assert_snapshot!(format!("folded_chain_group_{w}x{h}"), s);
        // j from the folded header goes over its items to the next header.
        let headers = header_rows(&app);
        let at = app.selected;
        keys(&mut app, "j");
        assert_eq!(Some(&app.selected), headers.iter().find(|&&r| r > at));
        keys(&mut app, "k");
        assert_eq!(app.selected, at);
        // A rescan (the same items again) keeps the fold and the header selected.
        app.set_items(store());
        assert_eq!(app.rows.len(), before - 4);
        assert_eq!(app.context(), Context::Header, "{w}x{h}");
        assert!(screen(&app).contains("›▸ Example Root CA (4)"));
        // The filter still finds a folded item: its group's header shows it with its count.
        keys(&mut app, "/chain.pem");
        key(&mut app, KeyCode::Enter);
        let s = screen(&app);
        assert!(s.contains("▸ Example Root CA (1)"), "{w}x{h}:\n{s}");
        key(&mut app, KeyCode::Esc);
        // Enter unfolds it again.
        while app.selected_header().is_none() {
            keys(&mut app, "k");
        }
        while app
            .selected_header()
            .is_none_or(|(i, _)| app.items()[i].display_name() != "Example Root CA")
        {
            keys(&mut app, "j");
        }
        key(&mut app, KeyCode::Enter);
        assert_eq!(app.rows.len(), before, "{w}x{h}");
        assert!(screen(&app).contains("›▾ Example Root CA (4)"));
        // Off a header Space pages and Enter opens details, as before.
        keys(&mut app, "j");
        assert_eq!(app.context(), Context::List);
    }
}

#[test]
fn grouping_by_chain_is_a_tree_root_intermediate_leaf_key() {
    for (w, h) in SIZES {
        let mut app = app_with(store(), w, h);
        keys(&mut app, "oo");
        // Down to the key, the last row of the tree, so the window shows it.
        while selected_name(&app) != "privkey.pem" {
            keys(&mut app, "j");
        }
        let s = screen(&app);
        let lines = list_lines(&s);
        let at = |needle: &str| {
            lines
                .iter()
                .position(|l| l.contains(needle))
                .unwrap_or_else(|| panic!("{w}x{h}: no {needle:?}:\n{s}"))
        };
        let header = at("▾ Example Root CA (4)");
        let (root, inter, leaf, key) = (header + 1, header + 2, header + 3, header + 4);
        assert!(lines[root].contains("Example Root"), "{w}x{h}:\n{s}");
        assert!(lines[inter].contains("└ Example Int"), "{w}x{h}:\n{s}");
        assert!(lines[leaf].contains("└ www.exampl"), "{w}x{h}:\n{s}");
        assert!(lines[key].contains("└ privkey.p"), "{w}x{h}:\n{s}");
        // One column deeper per level.
        let col = |n: usize| lines[n].find('└').unwrap();
        assert!(
            col(inter) < col(leaf) && col(leaf) < col(key),
            "{w}x{h}:\n{s}"
        );
        assert!(!lines[root].contains('└'), "the root is the top:\n{s}");
    }
}

/// A self-signed CA as the scan streams it in (decoded, no chain built yet).
fn root_pem() -> Vec<u8> {
    let now = time::OffsetDateTime::now_utc();
    let key = generate_key(KeyType::EcP256).unwrap();
    let req = IssueRequest {
        profile: Profile::Ca,
        subject: SubjectSpec::cn("Streaming Root CA"),
        sans: vec![],
        not_before: now - time::Duration::minutes(5),
        not_after: now + time::Duration::days(365),
        path_len: None,
    };
    issue(&req, &key, None).unwrap().cert_pem.into_bytes()
}

#[test]
fn a_root_says_checking_while_the_scan_runs_never_incomplete() {
    let pem = root_pem();
    for (w, h) in SIZES {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut app = App::new("/s".into(), Theme { mono: true }, now);
        app.update(Msg::Resize(w, h));
        app.scan_started();
        let items = decode_file(&pem, "ca/root.pem", &DecodeOptions::default());
        app.update(Msg::Scan(ScanEvent::Items(items)));
        key(&mut app, KeyCode::Enter);
        let s = screen(&app);
        assert!(s.contains("Streaming Root CA"), "{w}x{h}:\n{s}");
        assert!(s.contains("checking…"), "{w}x{h}:\n{s}");
        assert!(
            !s.contains("incomplete"),
            "{w}x{h}: flashed incomplete:\n{s}"
        );
        // The chain pane says the same.
        keys(&mut app, "c");
        let s = screen(&app);
        assert!(s.contains("checking…") && !s.contains("incomplete"), "{s}");
        keys(&mut app, "c");
        // The walk is done: the chain is built and judged.
        app.update(Msg::Scan(ScanEvent::Walked {
            store: "/s".into(),
            links: Default::default(),
            dir_links: false,
            elapsed: std::time::Duration::ZERO,
        }));
        let s = screen(&app);
        assert!(!s.contains("checking…"), "{w}x{h}:\n{s}");
        assert!(
            !s.contains("incomplete"),
            "{w}x{h}: a root is not incomplete:\n{s}"
        );
    }
}

/// A left click on a group header folds it, a second one unfolds it (as Enter or Space).
#[test]
fn a_click_on_a_header_folds_and_unfolds_it_80x24_and_120x40() {
    use ratatui::crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    for (w, h) in SIZES {
        let mut app = app_with(store(), w, h);
        keys(&mut app, "oo");
        assert_eq!(app.group.label(), "chain");
        let s = screen(&app);
        let (y, _) = (s.lines().enumerate())
            .find(|(_, l)| l.contains("▾ Example Root CA (4)"))
            .unwrap_or_else(|| panic!("{w}x{h}: no header:\n{s}"));
        let click = || {
            Msg::Mouse(MouseEvent {
                kind: MouseEventKind::Down(MouseButton::Left),
                column: 6,
                row: y as u16,
                modifiers: KeyModifiers::NONE,
            })
        };
        let before = app.rows.len();
        app.update(click());
        let s = screen(&app);
        assert_eq!(app.rows.len(), before - 4, "{w}x{h}:\n{s}");
        assert!(s.contains("›▸ Example Root CA (4)"), "{w}x{h}:\n{s}");
        assert_eq!(app.context(), Context::Header);
        app.update(click());
        let s = screen(&app);
        assert_eq!(app.rows.len(), before, "{w}x{h}:\n{s}");
        assert!(s.contains("›▾ Example Root CA (4)"), "{w}x{h}:\n{s}");
    }
}
