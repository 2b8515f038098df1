//! The history view (`J`, issue #16) on a hand-written journal: TestBackend snapshots of the
//! list and a plan's details at 80x24 and 120x40; the journal is hostile input (a torn line, an
//! end record for no plan, a control character in a user name) and shows as rows, escaped;
//! `u` asks for the same undo request as the list's, and read-only refuses it.

mod tui_support;

use certdeck::store::history_list::{self, Row, State};
use certdeck::tui::app::{App, Effect, Msg};
use certdeck::tui::effects::{execute, ActionRequest, Env};
use ratatui::crossterm::event::KeyCode;
use std::path::Path;
use tui_support::*;

const A: &str = "20251230T101500Z-4242-0";
const B: &str = "20251231T120000Z-4243-0";
const C: &str = "20251231T130000Z-4244-0";

fn journal(root: &Path) {
    let a = format!(
        r#"{{"state":"pending","id":"{A}","time":"2025-12-30T10:15:00Z","user":"root","uid":0,"pid":4242,"action":"generate ca Example Root CA","ops":[{{"kind":"mk-dir","path":"ca","mode":"0755","existed":false}},{{"kind":"write","path":"private/root.key","mode":"0600","secret":true,"existed":false}},{{"kind":"write","path":"ca/root.pem","mode":"0644","existed":false}}]}}
{{"state":"applied","id":"{A}","time":"2025-12-30T10:15:01Z"}}
"#
    );
    let b = format!(
        r#"{{"state":"pending","id":"{B}","time":"2025-12-31T12:00:00Z","user":"admin","uid":1000,"pid":4243,"action":"renew Example Root CA","ops":[{{"kind":"write","path":"ca/root.pem","mode":"0644","existed":true,"saved":"history/{B}/ca/root.pem"}}]}}
{{"state":"applied","id":"{B}","time":"2025-12-31T12:00:02Z"}}
{{"state":"pending","id":"torn
{{"state":"applied","id":"20250101T000000Z-1-9","time":"2025-01-01T00:00:00Z"}}
"#
    );
    let c = format!(
        r#"{{"state":"pending","id":"{C}","time":"2025-12-31T13:00:00Z","user":"ev\u001b[31mil","uid":1001,"pid":4244,"action":"trust www","ops":[{{"kind":"symlink","path":"trusted/9d66eef0.0","other":"../ca/root.pem","existed":false}}]}}
"#
    );
    let dir = root.join("history");
    std::fs::create_dir_all(dir.join(B).join("ca")).unwrap();
    std::fs::write(dir.join(B).join("ca/root.pem"), "old root\n").unwrap();
    std::fs::write(dir.join("journal.jsonl"), format!("{a}{b}{c}")).unwrap();
}

/// `J` and the background read, as the run loop would do it.
fn open(app: &mut App, root: &Path) {
    let effects = app.update(Msg::Key(ratatui::crossterm::event::KeyEvent::new(
        KeyCode::Char('J'),
        ratatui::crossterm::event::KeyModifiers::NONE,
    )));
    assert_eq!(effects, vec![Effect::ReadHistory]);
    assert!(screen(app).contains("reading the journal"));
    let env = Env::new(root);
    let msg = execute(&Effect::ReadHistory, &env, &app.inventory).unwrap();
    app.update(msg);
}

#[test]
fn the_reader_keeps_bad_lines_as_rows_in_their_place() {
    let tmp = tempfile::tempdir().unwrap();
    journal(tmp.path());
    let l = history_list::list(tmp.path()).unwrap();
    let kinds: Vec<String> = l
        .rows
        .iter()
        .map(|r| match r {
            Row::Plan(e) => format!("plan {} {}", e.id, e.state.label()),
            Row::Bad { line, .. } => format!("bad {line}"),
            Row::Pruned { .. } => "pruned".into(),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            format!("plan {A} applied"),
            format!("plan {B} applied"),
            "bad 5".into(),
            "bad 6".into(),
            format!("plan {C} pending"),
        ]
    );
    let Row::Plan(b) = &l.rows[1] else { panic!() };
    assert_eq!(b.kept, [format!("history/{B}/ca/root.pem")]);
    assert_eq!(b.state, State::Applied);
    // No journal at all: an empty listing, not an error.
    let none = tempfile::tempdir().unwrap();
    let l = history_list::list(none.path()).unwrap();
    assert!(l.empty && l.rows.is_empty());
}

#[test]
fn history_list_and_details_80x24_and_120x40() {
    let tmp = tempfile::tempdir().unwrap();
    journal(tmp.path());
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = app_with(store(), w, h);
        open(&mut app, tmp.path());
        let s = screen(&app);
        insta::assert_snapshot!(format!("history_list_{w}x{h}"), s);
        assert!(s.contains("History: 3 change(s), 2 bad line(s)"), "{s}");
        // The control character in the user name is shown, not sent.
        assert!(s.contains("ev\\x1b"), "{s}");
        assert!(!s.contains('\u{1b}'), "{s}");
        // The newest applied plan that is not an undo is what `u` reverses: marked.
        assert!(line_of(&s, "renew Example Root CA").contains('*'), "{s}");
        assert!(!line_of(&s, "generate ca").contains('*'), "{s}");
        // Newest first: the interrupted trust, the two bad lines, then the renewal.
        keys(&mut app, "jjj");
        key(&mut app, KeyCode::Enter);
        let s = screen(&app);
        insta::assert_snapshot!(format!("history_details_{w}x{h}"), s);
        assert!(
            s.contains(&format!("old one to history/{B}/ca/root.pem")),
            "{s}"
        );
        assert!(s.contains("u reverses this plan"), "{s}");
        assert!(s.contains("holds 1 file(s)"), "{s}");
        // Esc: back to the list; Esc again closes the view.
        key(&mut app, KeyCode::Esc);
        assert!(screen(&app).contains("History: 3"));
        key(&mut app, KeyCode::Esc);
        assert!(!screen(&app).contains("History:"));
        assert!(app.history.is_none());
    }
}

#[test]
fn a_bad_line_shows_why_and_u_asks_for_the_undo_plan() {
    let tmp = tempfile::tempdir().unwrap();
    journal(tmp.path());
    let mut app = app_with(store(), 80, 24);
    open(&mut app, tmp.path());
    keys(&mut app, "j");
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(s.contains("not a record certdeck can use"), "{s}");
    assert!(s.contains("journal line 6"), "{s}");
    key(&mut app, KeyCode::Esc);
    // `u` is the list's undo: a plan to build (then the confirm dialog), nothing written yet.
    let effects = app.update(Msg::Key(ratatui::crossterm::event::KeyEvent::new(
        KeyCode::Char('u'),
        ratatui::crossterm::event::KeyModifiers::NONE,
    )));
    match effects.as_slice() {
        [Effect::BuildPlan(req)] => assert_eq!(**req, ActionRequest::Undo),
        other => panic!("not the undo request: {other:?}"),
    }
    assert!(app.history.is_some(), "the view stays under the dialog");
}

#[test]
fn read_only_refuses_undo_in_the_view() {
    let tmp = tempfile::tempdir().unwrap();
    journal(tmp.path());
    let mut app = app_with(store(), 80, 24);
    app.read_only = true;
    open(&mut app, tmp.path());
    let effects = app.update(Msg::Key(ratatui::crossterm::event::KeyEvent::new(
        KeyCode::Char('u'),
        ratatui::crossterm::event::KeyModifiers::NONE,
    )));
    assert!(effects.is_empty(), "{effects:?}");
    let s = screen(&app);
    assert!(
        s.contains("read-only: undo is disabled (started with --read-only)"),
        "{s}"
    );
    assert!(s.contains("History:"), "{s}");
}

fn line_of<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen.lines().find(|l| l.contains(needle)).unwrap_or("")
}

/// A long journal: only the newest `MAX_ENTRIES` plans are listed, and the view says how many
/// older ones were left out.
#[test]
fn a_long_journal_lists_the_newest_plans_and_counts_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let n = history_list::MAX_ENTRIES + 3;
    let mut j = String::new();
    for k in 0..n {
        let id = format!("20250101T000000Z-1-{k}");
        j.push_str(&format!(
            r#"{{"state":"pending","id":"{id}","time":"2025-01-01T00:00:00Z","user":"root","uid":0,"pid":1,"action":"plan {k}","ops":[]}}
{{"state":"applied","id":"{id}","time":"2025-01-01T00:00:01Z"}}
"#
        ));
    }
    std::fs::create_dir_all(tmp.path().join("history")).unwrap();
    std::fs::write(tmp.path().join("history/journal.jsonl"), j).unwrap();
    let l = history_list::list(tmp.path()).unwrap();
    assert_eq!(l.older, 3);
    assert_eq!(l.rows.len(), history_list::MAX_ENTRIES);
    let Row::Plan(first) = &l.rows[0] else {
        panic!()
    };
    assert_eq!(first.action, "plan 3");
    let mut app = app_with(store(), 80, 24);
    open(&mut app, tmp.path());
    let s = screen(&app);
    assert!(s.contains("3 older not shown"), "{s}");
    assert!(
        s.lines()
            .nth(2)
            .unwrap()
            .contains(&format!("plan {}", n - 1)),
        "{s}"
    );
}
