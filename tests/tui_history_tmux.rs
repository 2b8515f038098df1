//! End to end, the history view (`J`, issue #16): the real binary in tmux lists the journal
//! the CLI wrote (two generates), a garbled and a planted line as error rows (no panic), a
//! plan's ops and what history/ holds; `u` undoes the latest change through the confirm dialog
//! and the view shows it undone; `--read-only` refuses the undo with a clear message.

mod tmux_support;

use std::path::Path;
use std::process::Command;
use tmux_support::*;

fn certdeck(store: &Path, args: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_certdeck"))
        .args(args)
        .arg("--store")
        .arg(store)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A store with two changes journaled, the second replacing nothing, then a torn line and a
/// record whose path climbs out of the store (what a less-trusted writer could plant).
fn store_with_history(root: &Path) {
    certdeck(root, &["generate", "ca", "--cn", "History Root CA"]);
    certdeck(
        root,
        &[
            "generate",
            "server",
            "--cn",
            "hist.example",
            "--ca",
            "History Root CA",
        ],
    );
    use std::io::Write;
    let mut j = std::fs::OpenOptions::new()
        .append(true)
        .open(root.join("history/journal.jsonl"))
        .unwrap();
    j.write_all(b"{\"state\":\"pending\",\"id\":\"garbled\n")
        .unwrap();
    j.write_all(
        b"{\"state\":\"pending\",\"id\":\"20260101T000000Z-1-0\",\"time\":\"2026-01-01T00:00:00Z\",\
          \"user\":\"mallory\",\"uid\":1,\"pid\":1,\"action\":\"planted\",\"ops\":[{\"kind\":\"write\",\
          \"path\":\"../../etc/passwd\",\"existed\":false}]}\n",
    )
    .unwrap();
}

fn history_case(w: u16, h: u16) {
    let tmp = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(tmp.path()).unwrap();
    store_with_history(&root);
    let t = Tmux::certdeck(&format!("--store {}", root.display()), w, h);
    t.wait_for("Items ");
    t.keys(&["J"]);
    let s = t.wait_for("History: 2 change(s), 2 bad line(s)");
    t.assert_fits(&s);
    // Newest first: the planted line, the torn one, then the server, then the CA.
    let body: Vec<&str> = s.lines().filter(|l| l.contains("line ")).collect();
    assert!(body[0].contains("ignored") && body[0].contains(".."), "{s}");
    assert!(body[1].contains("not a record"), "{s}");
    let server = line_with(&s, "generate server");
    assert!(server.contains("applied") && server.contains('*'), "{s}");
    assert!(line_with(&s, "generate ca").contains("applied"), "{s}");
    // Down to the server's plan, its details.
    t.keys(&["j", "j", "Enter"]);
    let s = t.wait_for("op(s):");
    t.assert_fits(&s);
    assert!(s.contains("action  generate server"), "{s}");
    assert!(s.contains("u reverses this plan"), "{s}");
    assert!(s.contains("create  "), "{s}");
    assert!(s.contains("holds nothing"), "{s}");
    // Undo from the view: the confirm dialog shows the inverse plan.
    t.keys(&["u"]);
    let s = t.wait_for("undo: generate server");
    t.assert_fits(&s);
    t.keys(&["y"]);
    // Read again: the details stay on the server's plan, undone now.
    let s = t.wait_for("state   undone");
    t.assert_fits(&s);
    t.keys(&["Escape"]);
    let s = t.wait_for("History: 3 change(s)");
    let undone = s
        .lines()
        .find(|l| l.contains("generate server") && !l.contains("  undo 2"));
    assert!(undone.is_some_and(|l| l.contains("undone")), "{s}");
    let undo = s.lines().find(|l| l.contains("  undo 2"));
    assert!(undo.is_some_and(|l| l.contains("applied")), "{s}");
    t.keys(&["Escape"]);
    t.wait_until("view closed", |s| !s.contains("History:"));
    t.keys(&["q"]);
    t.wait_for("CERTDECK-EXITED-0");
    // What the TUI did is what `certdeck undo` does: the journal has the undo plan.
    let journal = std::fs::read_to_string(root.join("history/journal.jsonl")).unwrap();
    assert!(journal.contains("\"undoes\""), "{journal}");
    assert!(journal.contains("\"state\":\"undone\""), "{journal}");
    // The files the undone plan made went to history/, not away.
    let kept: Vec<_> = walk(&root.join("history"));
    assert!(
        kept.iter().any(|p| p.ends_with("hist.example.pem")),
        "{kept:?}"
    );
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}

#[test]
fn history_and_undo_80x24() {
    history_case(80, 24);
}

#[test]
fn history_and_undo_120x40() {
    history_case(120, 40);
}

#[test]
fn read_only_history_refuses_undo_80x24() {
    let tmp = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(tmp.path()).unwrap();
    store_with_history(&root);
    let before = std::fs::read(root.join("history/journal.jsonl")).unwrap();
    let t = Tmux::certdeck(&format!("--read-only --store {}", root.display()), 80, 24);
    t.wait_for("Items ");
    t.keys(&["J"]);
    let s = t.wait_for("History: 2 change(s)");
    t.assert_fits(&s);
    t.keys(&["u"]);
    let s = t.wait_for("read-only: undo is disabled");
    assert!(s.contains("History:"), "the view stays open:\n{s}");
    t.keys(&["q", "q"]);
    t.wait_for("CERTDECK-EXITED-0");
    let after = std::fs::read(root.join("history/journal.jsonl")).unwrap();
    assert_eq!(before, after, "read-only wrote to the journal");
}
