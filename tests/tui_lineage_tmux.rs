//! End to end, lineage rows (issue #16, #17's TUI part) at 80x24 and 120x40: the real binary
//! shows a certbot lineage and an ACME lineage as one row each, the expired old certbot
//! version folded (not counted as expired), `z` unfolds it under its lineage, muted.

mod lineage_support;
mod tmux_support;

use tmux_support::*;

fn lineage_case(w: u16, h: u16) {
    let tmp = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(tmp.path()).unwrap();
    lineage_support::lineage_store(&root, time::OffsetDateTime::now_utc());
    let t = Tmux::certdeck(&format!("--store {}", root.display()), w, h);
    let s = t.wait_for("▸ a.test v2 +1");
    t.assert_fits(&s);
    assert!(s.contains("⟳ shop · due"), "{s}");
    assert!(!s.contains("cert1.pem"), "the old version is folded:\n{s}");
    assert!(
        s.contains(" 0 expired"),
        "the old version is not live:\n{s}"
    );
    // To the certbot lineage's row (sorted by expiry: after the due ACME one) and unfold.
    let mut s = s;
    for _ in 0..10 {
        if line_with(&s, " a.test v2").contains('›') {
            break;
        }
        t.keys(&["j"]);
        s = t.settled();
    }
    assert!(line_with(&s, " a.test v2").contains('›'), "{s}");
    t.keys(&["z"]);
    let s = t.wait_for("└ a.test");
    t.assert_fits(&s);
    let at = |n: &str| s.lines().position(|l| l.contains(n)).unwrap();
    assert_eq!(at("└ a.test"), at(" a.test v2") + 1, "{s}");
    assert!(line_with(&s, "└ a.test").contains("old"), "{s}");
    assert!(s.contains("Lineage"), "the details name the lineage:\n{s}");
    t.keys(&["z"]);
    t.wait_until("folded again", |s| !s.contains("└ a.test"));
    t.keys(&["q"]);
    t.wait_for("CERTDECK-EXITED-0");
}

#[test]
fn lineage_rows_80x24() {
    lineage_case(80, 24);
}

#[test]
fn lineage_rows_120x40() {
    lineage_case(120, 40);
}
