//! End to end (issue #15): the real binary in tmux at 80x24 and 120x40, the second size with
//! --read-only. Unreadable files are listed first; group headers fold and unfold with Enter or
//! Space and stay folded after a rescan; grouping by chain is a tree; `kill -TSTP` from outside
//! gives the terminal back and `kill -CONT` repaints it.

mod tmux_support;

use std::path::Path;
use std::process::Command;
use tmux_support::*;

/// `--read-only` on the second size: read-only must behave the same.
fn flags(store: &Path, n: usize) -> String {
    let ro = if n == 1 { "--read-only " } else { "" };
    format!("{ro}--store {}", store.display())
}

/// The demo store plus a file that is no certificate at all.
fn store_with_garbage(dir: &Path) -> std::path::PathBuf {
    let store = dir.join("demo");
    demo_store(&store);
    put(
        &store,
        "servers/zz-garbage.pem",
        b"-----BEGIN CERTIFICATE-----\nnot base64 at all!!\n-----END CERTIFICATE-----\n",
        0o644,
    );
    store
}

/// Row of the selection marker `›` in the list.
fn marker_row(s: &str) -> usize {
    s.lines()
        .position(|l| l.contains('›'))
        .unwrap_or_else(|| panic!("no selection marker:\n{s}"))
}

/// The demo intermediate as a child row of the root (its name is cut).
const INTER: &str = "└ certdeck De";
/// The first child of the demo root (signed by it directly), right under the root's row.
const CHILD: &str = "└ legacy";

fn groups_case(n: usize) {
    let (w, h) = SIZES[n];
    let tmp = tempfile::tempdir().unwrap();
    let store = store_with_garbage(tmp.path());
    let t = Tmux::certdeck(&flags(&store, n), w, h);
    // Sorted by expiry the broken file is the first row, above the expired certificate.
    let s = t.wait_for("old.example.com");
    let s = if s.contains("zz-garbage") {
        s
    } else {
        t.wait_for("zz-garbage")
    };
    t.assert_fits(&s);
    let garbage = s.lines().position(|l| l.contains("zz-garbage")).unwrap();
    let old = s
        .lines()
        .position(|l| l.contains("old.example.com"))
        .unwrap();
    assert!(garbage < old, "{w}x{h}: error not first:\n{s}");
    assert!(
        s.contains("›zz-garbage") || s.contains("›  zz-garbage"),
        "selected:\n{s}"
    );
    // Group by file: the unreadable files are a group of their own, the first.
    t.keys(&["o"]);
    let s = t.wait_for("group file");
    let top = marker_row(&s);
    assert!(
        s.lines()
            .nth(top - 1)
            .unwrap()
            .contains("▾ unreadable files (1)"),
        "{w}x{h}:\n{s}"
    );
    // Group by chain; up from the first item onto its header.
    t.keys(&["o"]);
    let s = t.wait_for("group chain");
    t.assert_fits(&s);
    t.keys(&["k"]);
    let s = t.wait_until("the header selected", |s| s.contains("›▾ unreadable files"));
    assert!(s.contains("fold"), "{w}x{h}: hint for the header:\n{s}");
    // Down to the root's header: the demo root's tree, the intermediate under it.
    for _ in 0..40 {
        if line_with(&t.screen(), "Demo Root CA (").contains("›▾") {
            break;
        }
        t.keys(&["j"]);
        std::thread::sleep(std::time::Duration::from_millis(60));
    }
    t.wait_until("root header selected", |s| {
        line_with(s, "Demo Root CA (").contains("›▾")
    });
    let mut down = 0;
    while !t.screen().contains(INTER) && down < 20 {
        t.keys(&["j"]);
        down += 1;
        std::thread::sleep(std::time::Duration::from_millis(60));
    }
    let s = t.wait_until("the intermediate below the root", |s| s.contains(INTER));
    let inter = s.lines().position(|l| l.contains(INTER)).unwrap();
    let root_row = s
        .lines()
        .position(|l| l.contains("certdeck Demo R"))
        .unwrap();
    assert!(
        root_row < inter,
        "{w}x{h}: intermediate above its root:\n{s}"
    );
    assert!(!line_with(&s, "certdeck Demo R").contains('└'), "{s}");
    for _ in 0..down {
        t.keys(&["k"]);
    }
    t.wait_until("root header selected again", |s| {
        line_with(s, "Demo Root CA (").contains("›▾")
    });
    t.keys(&["Space"]);
    let s = t.wait_until("root group folded", |s| {
        line_with(s, "Demo Root CA (").contains("›▸") && !s.contains(CHILD)
    });
    t.assert_fits(&s);
    // A rescan keeps it folded.
    t.keys(&["r"]);
    t.wait_for("rescanned");
    let s = t.settled();
    assert!(
        line_with(&s, "Demo Root CA (").contains("▸") && !s.contains(CHILD),
        "{w}x{h}: unfolded by the rescan:\n{s}"
    );
    // Enter opens it again.
    t.keys(&["Enter"]);
    t.wait_until("root group open", |s| {
        line_with(s, "Demo Root CA (").contains("▾") && s.contains(CHILD)
    });
    // Help says where errors go.
    t.keys(&["?"]);
    t.wait_for("unreadable files first");
    t.keys(&["Escape", "q"]);
    t.wait_for("CERTDECK-EXITED-0");
}

#[test]
fn errors_first_groups_fold_and_chain_tree_80x24() {
    groups_case(0);
}

#[test]
fn errors_first_groups_fold_and_chain_tree_120x40_read_only() {
    groups_case(1);
}

fn kill(sig: &str, pid: u32) {
    let st = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap();
    assert!(st.success());
}

/// Whether the tty is in cooked mode (canonical input, echo), as `stty` sees it.
fn cooked(tty: &str) -> bool {
    let out = Command::new("stty")
        .args(["-F", tty, "-a"])
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    let flags: Vec<&str> = s.split_whitespace().collect();
    flags.contains(&"icanon") && flags.contains(&"echo")
}

/// The pid of `parent`'s (only) child process.
fn child_of(parent: u32) -> u32 {
    let start = std::time::Instant::now();
    loop {
        let kids = std::fs::read_to_string(format!("/proc/{parent}/task/{parent}/children"))
            .unwrap_or_default();
        if let Some(pid) = kids.split_whitespace().next() {
            return pid.parse().unwrap();
        }
        assert!(start.elapsed().as_secs() < 10, "no child of {parent}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// certdeck under the pane's `sh -c` (no job control: it stays in the terminal's foreground
/// process group, and tmux, whose child is the shell, does not continue it by itself), stopped
/// by `kill -TSTP` from outside: the terminal is back (main screen, cursor shown, cooked mode)
/// while it is stopped; `kill -CONT` takes it again and repaints everything.
fn stop_case(w: u16, h: u16, extra: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("demo");
    demo_store(&store);
    let cmd = format!(
        "{} {extra} --store {}",
        env!("CARGO_BIN_EXE_certdeck"),
        store.display()
    );
    let t = Tmux::start(&cmd, w, h, &[("NO_COLOR", "1")]);
    let pid = child_of(t.pane_pid());
    let tty = t.pane_tty();
    t.wait_for("old.example.com");
    // Findings arrive from a worker after the first paint: compare against the settled screen.
    let before = t.settled();
    assert_eq!(
        t.alternate(),
        (true, false),
        "running: alt screen, no cursor"
    );
    assert!(!cooked(&tty), "running: raw mode");
    kill("-TSTP", pid);
    t.wait_restored(&format!("{w}x{h} {extra}: kill -TSTP"));
    assert!(cooked(&tty), "{w}x{h} {extra}: still raw while stopped");
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let state = stat.rsplit(')').next().unwrap().trim_start();
    assert!(
        state.starts_with('T'),
        "{w}x{h} {extra}: not stopped: {state}"
    );
    assert!(
        !t.screen().contains("Items "),
        "{w}x{h}: UI left on the main screen"
    );
    // Something else writes while certdeck is stopped: the repaint must cover it.
    std::fs::write(&tty, "\x1b[?1049h\x1b[4;3HJUNK-WHILE-STOPPED").unwrap();
    kill("-CONT", pid);
    t.wait_until("repainted after kill -CONT", |s| {
        s.contains("old.example.com") && !s.contains("JUNK-WHILE-STOPPED")
    });
    let s = t.settled();
    assert!(
        !s.contains("JUNK-WHILE-STOPPED"),
        "{w}x{h} {extra}: junk left"
    );
    assert_eq!(t.alternate(), (true, false), "{w}x{h} {extra}: modes back");
    assert!(!cooked(&tty), "{w}x{h} {extra}: raw again");
    assert_eq!(
        s.lines().filter(|l| l.contains("old.example.com")).count(),
        before
            .lines()
            .filter(|l| l.contains("old.example.com"))
            .count()
    );
    // Keys work again.
    let top = marker_row(&s);
    t.keys(&["j"]);
    t.wait_until("j moved", |s| marker_row(s) == top + 1);
    t.keys(&["q"]);
    t.wait_for("CERTDECK-EXITED-0");
}

#[test]
fn kill_tstp_restores_and_kill_cont_repaints() {
    for (w, h) in SIZES {
        stop_case(w, h, "");
    }
    stop_case(80, 24, "--read-only");
}
