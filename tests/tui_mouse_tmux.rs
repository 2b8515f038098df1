//! End to end, the mouse (issue #16) and the details' paging and scroll position (#15): SGR
//! mouse reports typed into tmux with `send-keys -l`, at 80x24 and 120x40.

mod tmux_support;

use certdeck::pki::issue::{generate_key, issue, IssueRequest, KeyType, Profile, SubjectSpec};
use std::path::Path;
use time::OffsetDateTime;
use tmux_support::*;

/// 30 certificates `host00`..`host29`, in that expiry order, each with 40 names (long details).
fn store_of_hosts(store: &Path) {
    let now = OffsetDateTime::now_utc() - time::Duration::hours(1);
    let key = generate_key(KeyType::EcP256).unwrap();
    for i in 0..30 {
        let cn = format!("host{i:02}.example");
        let req = IssueRequest {
            profile: Profile::Server,
            subject: SubjectSpec::cn(&cn),
            sans: (0..40).map(|n| format!("n{n}.{cn}")).collect(),
            not_before: now,
            not_after: now + time::Duration::days(100 + i),
            path_len: None,
        };
        let cert = issue(&req, &key, None).unwrap();
        put(store, &format!("{cn}.pem"), cert.cert_pem.as_bytes(), 0o644);
    }
}

/// 1-based screen coordinates of the first cell of `needle`'s first line.
fn cell_of(s: &str, needle: &str) -> (usize, usize) {
    let (y, line) = (s.lines().enumerate())
        .find(|(_, l)| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not on screen:\n{s}"));
    let x = line[..line.find(needle).unwrap()].chars().count();
    (x + 1, y + 1)
}

fn press(t: &Tmux, (x, y): (usize, usize)) {
    t.type_literally(&format!("\x1b[<0;{x};{y}M\x1b[<0;{x};{y}m"));
}

fn wheel_down(t: &Tmux, (x, y): (usize, usize)) {
    t.type_literally(&format!("\x1b[<65;{x};{y}M"));
}

fn selected(s: &str) -> &str {
    line_with(s, "›")
}

fn mouse_case(n: usize) {
    let (w, h) = SIZES[n];
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("s");
    store_of_hosts(&store);
    let ro = if n == 1 { "--read-only " } else { "" };
    let t = Tmux::certdeck(&format!("{ro}--store {}", store.display()), w, h);
    let s = t.wait_for("host05.example");
    let flag = t.tmux(&["display", "-p", "-t", "t", "#{mouse_any_flag}"]);
    assert_eq!(
        String::from_utf8_lossy(&flag.stdout).trim(),
        "1",
        "mouse capture on"
    );
    assert!(selected(&s).contains("host00"), "{s}");
    // A click on the third row selects it.
    press(&t, cell_of(&s, "host02.example"));
    let s = t.wait_until("host02 selected", |s| selected(s).contains("host02"));
    t.assert_fits(&s);
    // The wheel over the list moves three rows.
    // (The details' Name line has it too: the selected row is the one with the marker.)
    wheel_down(&t, cell_of(&s, "›host02.example"));
    let s = t.wait_until("host05 selected", |s| selected(s).contains("host05"));
    // The wheel over the details scrolls them (the list keeps its selection).
    let at = cell_of(&s, "lines 1-");
    wheel_down(&t, at);
    let s = t.wait_until("details scrolled", |s| s.contains("lines 4-"));
    assert!(selected(&s).contains("host05"), "{s}");
    // A click in the details focuses them: j scrolls the details, not the list.
    press(&t, cell_of(&s, "lines 4-"));
    t.keys(&["j"]);
    let s = t.wait_until("details scrolled by j", |s| s.contains("lines 5-"));
    assert!(selected(&s).contains("host05"), "{s}");
    t.keys(&["q"]);
    t.wait_for("CERTDECK-EXITED-0");
}

#[test]
fn mouse_80x24() {
    mouse_case(0);
}

#[test]
fn mouse_120x40_read_only() {
    mouse_case(1);
}

#[test]
fn no_mouse_leaves_the_mouse_to_the_terminal() {
    for (w, h) in SIZES {
        let tmp = tempfile::tempdir().unwrap();
        let store = tmp.path().join("s");
        store_of_hosts(&store);
        let t = Tmux::certdeck(&format!("--no-mouse --store {}", store.display()), w, h);
        let s = t.wait_for("host05.example");
        let flag = t.tmux(&["display", "-p", "-t", "t", "#{mouse_any_flag}"]);
        assert_eq!(String::from_utf8_lossy(&flag.stdout).trim(), "0");
        // A report that arrives anyway is neither a click nor keys.
        press(&t, cell_of(&s, "host02.example"));
        let s = t.settled();
        assert!(selected(&s).contains("host00"), "{s}");
        t.keys(&["q"]);
        t.wait_for("CERTDECK-EXITED-0");
    }
}

/// PgDn and Space page the details by their own height, also full screen at 80 columns (the
/// page was the hidden list's), and the position shows where the window is.
fn details_paging_case(n: usize) {
    let (w, h) = SIZES[n];
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("s");
    store_of_hosts(&store);
    let t = Tmux::certdeck(&format!("--store {}", store.display()), w, h);
    t.wait_for("host00.example");
    // Full screen at 80 columns; focus on the side pane at 120.
    t.keys(&[if w < 100 { "Enter" } else { "Tab" }]);
    let s = t.wait_until("the details focused", |s| {
        s.contains("lines 1-") && (w >= 100 || !s.contains("Items 30/30"))
    });
    // `lines 1-20/40`: the window's height and the total.
    let (shown, total): (usize, usize) = {
        let l = line_with(&s, "lines 1-");
        let r = &l[l.find("lines 1-").unwrap() + 8..];
        let (a, b) = r.split_once('/').unwrap();
        (
            a.parse().unwrap(),
            b.split(' ').next().unwrap().parse().unwrap(),
        )
    };
    assert!(shown >= 8, "a page is the pane's height: {shown}\n{s}");
    // After `k` pages (a page keeps one line), clamped at the end.
    let at = |k: usize| (k * (shown - 1)).min(total - shown) + 1;
    t.keys(&["Space"]);
    let s = t.wait_for(&format!("lines {}-{}/{total}", at(1), at(1) + shown - 1));
    t.assert_fits(&s);
    t.keys(&["PageDown"]);
    t.wait_for(&format!("lines {}-{}/{total}", at(2), at(2) + shown - 1));
    t.keys(&["g"]);
    t.wait_for("lines 1-");
    t.keys(&["q"]);
    t.wait_for("CERTDECK-EXITED-0");
}

#[test]
fn details_paging_80x24() {
    details_paging_case(0);
}

#[test]
fn details_paging_120x40() {
    details_paging_case(1);
}
