//! End to end, the keys and the terminal: the real binary in a tmux pane running a plain `sh`
//! (dash: no line editing of its own, so a terminal left in raw mode shows), at 80x24 and
//! 120x40, read-write and `--read-only` (inside the Landlock sandbox).
//! Esc never quits; q asks while a job runs; SIGTERM, SIGHUP and a panic leave the terminal
//! usable; Ctrl-L repaints; a paste is text; paging keys; line editing; Ctrl-Z and `fg`.

mod tmux_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use tmux_support::*;

/// A shell pane (the harness's [`Tmux::shell`]) that starts certdeck with its pid in a file.
struct Pane {
    t: Tmux,
    dir: tempfile::TempDir,
}

impl std::ops::Deref for Pane {
    type Target = Tmux;
    fn deref(&self) -> &Tmux {
        &self.t
    }
}

impl Pane {
    /// A `sh` in a `w`x`h` pane, its prompt showing.
    fn shell(w: u16, h: u16) -> Pane {
        Pane {
            t: Tmux::shell(w, h),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// certdeck on `store` (with `extra` flags), started from the shell with its pid in a
    /// file; returns once its first rows show.
    fn certdeck(&self, store: &Path, extra: &str) {
        self.start(store, extra, "; echo EXIT-$?")
    }

    /// `then` runs after certdeck ends (a stopped job does not end: no `then` for Ctrl-Z).
    fn start(&self, store: &Path, extra: &str, then: &str) {
        let pidfile = self.dir.path().join("pid");
        self.run(&format!(
            "sh -c 'echo $$ > {}; exec {} --store {} {extra}'{then}",
            pidfile.display(),
            env!("CARGO_BIN_EXE_certdeck"),
            store.display()
        ));
        self.wait_for("old.example.com");
        assert_eq!(
            self.alternate(),
            (true, false),
            "running: alt screen, no cursor"
        );
    }

    fn pid(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pid"))
            .unwrap()
            .trim()
            .to_string()
    }
}

fn demo() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("demo");
    demo_store(&store);
    (tmp, store)
}

/// Every run: both sizes, and read-only at the small one.
fn runs() -> Vec<(u16, u16, &'static str)> {
    vec![(80, 24, ""), (120, 40, ""), (80, 24, "--read-only")]
}

#[test]
fn esc_never_quits_and_q_asks_while_a_probe_runs() {
    let (_tmp, store) = demo();
    for (w, h, flags) in runs() {
        let p = Pane::shell(w, h);
        p.certdeck(&store, flags);
        // A second and third Esc with nothing open: still here, and saying how to quit.
        p.keys(&["/", "a", "Escape", "Escape", "Escape"]);
        p.wait_for("nothing to close (q quits)");
        assert!(p.alternate().0, "{w}x{h} {flags}: Esc quit");
        assert!(!p.screen().contains("EXIT-"), "{w}x{h} {flags}");
        p.keys(&["q"]);
        p.wait_for("EXIT-0");
        p.assert_shell_usable();
    }
    // A port that accepts and never answers keeps the probe (a job) running for seconds.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    for (w, h) in SIZES {
        let p = Pane::shell(w, h);
        p.certdeck(&store, "");
        p.keys(&["p"]);
        p.wait_for("Host:port");
        p.type_literally(&format!("127.0.0.1:{port}"));
        p.keys(&["Enter"]);
        p.wait_for("probing 127.0.0.1");
        p.keys(&["q"]);
        p.wait_for("press q again to quit");
        assert!(p.alternate().0, "{w}x{h}: q quit during a job");
        // Any other key goes on; then q, q quits.
        p.keys(&["j"]);
        p.wait_until("the question is gone", |s| !s.contains("press q again"));
        p.keys(&["q", "q"]);
        p.wait_for("EXIT-0");
        p.assert_shell_usable();
    }
    drop(listener);
}

#[test]
fn sigterm_and_sighup_restore_the_terminal() {
    let (_tmp, store) = demo();
    for (w, h, flags) in runs() {
        for (sig, code) in [("TERM", 143), ("HUP", 129)] {
            let p = Pane::shell(w, h);
            p.certdeck(&store, flags);
            let st = Command::new("kill")
                .args([&format!("-{sig}"), &p.pid()])
                .status()
                .unwrap();
            assert!(st.success());
            p.wait_for(&format!("EXIT-{code}"));
            p.assert_shell_usable();
            let s = p.screen();
            assert!(
                !s.contains("Items "),
                "{w}x{h} {flags} {sig}: UI left:\n{s}"
            );
        }
    }
}

/// The panic hook (installed before the terminal is set up) restores it before the message
/// prints. The trigger, CERTDECK_DEBUG_PANIC=1, is honoured by debug builds only.
#[test]
fn a_panic_restores_the_terminal_and_its_message_stays_readable() {
    let (_tmp, store) = demo();
    for (w, h, flags) in runs() {
        let p = Pane::shell(w, h);
        p.run(&format!(
            "CERTDECK_DEBUG_PANIC=1 {} --store {} {flags}; echo EXIT-$?",
            env!("CARGO_BIN_EXE_certdeck"),
            store.display()
        ));
        let s = p.wait_for("EXIT-101");
        assert!(s.contains("panicking after the first frame"), "{s}");
        p.assert_shell_usable();
    }
}

#[test]
fn ctrl_l_repaints_over_text_another_program_wrote() {
    let (_tmp, store) = demo();
    for (w, h, flags) in runs() {
        let p = Pane::shell(w, h);
        p.certdeck(&store, flags);
        std::fs::write(p.pane_tty(), "\x1b[5;3HJUNK-FROM-WALL").unwrap();
        p.wait_for("JUNK-FROM-WALL");
        p.keys(&["C-l"]);
        // Gone, and the screen drawn again (not just cleared).
        p.wait_until("junk gone, list back", |s| {
            !s.contains("JUNK-FROM-WALL") && s.contains("old.example.com")
        });
        p.keys(&["q"]);
        p.wait_for("EXIT-0");
    }
}

#[test]
fn a_paste_into_the_filter_is_text_never_keys() {
    for (w, h, flags) in runs() {
        // A fresh store each run: a revoke would change it.
        let (_tmp, store) = demo();
        let before = listing(&store);
        let p = Pane::shell(w, h);
        p.certdeck(&store, flags);
        p.keys(&["/"]);
        p.tmux_out(&["set-buffer", "-b", "clip", "api.example\nx"]);
        p.tmux_out(&["paste-buffer", "-p", "-b", "clip", "-t", "t"]);
        let s = p.wait_for("/api.examplex");
        std::thread::sleep(Duration::from_millis(500));
        let s2 = p.screen();
        assert_eq!(s, s2, "{w}x{h} {flags}: something ran after the paste");
        for bad in ["Revoke", "revoke:", "read-only: revoke"] {
            assert!(!s.contains(bad), "{w}x{h} {flags}: x ran as a key:\n{s}");
        }
        // Still typing the filter: Backspace edits it.
        p.keys(&["BSpace"]);
        p.wait_for("/api.example ");
        p.keys(&["Escape", "q"]);
        p.wait_for("EXIT-0");
        assert_eq!(listing(&store), before, "the store changed");
    }
}

fn listing(store: &Path) -> Vec<String> {
    let mut v: Vec<String> = walk(store)
        .into_iter()
        .map(|p| p.strip_prefix(store).unwrap().display().to_string())
        .collect();
    v.sort();
    v
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() && !p.is_symlink() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Row of the selection marker `›` in the list.
fn marker_row(s: &str) -> usize {
    s.lines()
        .position(|l| l.contains('›'))
        .unwrap_or_else(|| panic!("no selection marker:\n{s}"))
}

#[test]
fn paging_keys_no_match_and_rescan_say_what_they_do() {
    let (_tmp, store) = demo();
    for i in 0..40 {
        std::fs::copy(
            store.join("clients/alice.pem"),
            store.join(format!("clients/copy-{i:02}.pem")),
        )
        .unwrap();
    }
    for (w, h, flags) in runs() {
        let p = Pane::shell(w, h);
        p.certdeck(&store, flags);
        let top = marker_row(&p.screen());
        // Ctrl-D: half a page down; Ctrl-U back; Space a page, b back; G/g the ends.
        p.keys(&["C-d"]);
        let s = p.wait_until("Ctrl-D moved", |s| marker_row(s) > top + 1);
        let half = marker_row(&s) - top;
        p.keys(&["C-u"]);
        p.wait_until("Ctrl-U moved back", |s| marker_row(s) == top);
        p.keys(&["Space"]);
        p.wait_until("Space paged", |s| marker_row(s) > top + half);
        p.keys(&["b"]);
        p.wait_until("b paged back", |s| marker_row(s) == top);
        p.keys(&["C-f", "C-b", "End"]);
        p.wait_until("End went far", |s| marker_row(s) > top + half);
        p.keys(&["Home"]);
        p.wait_until("Home at the top", |s| marker_row(s) == top);
        // A filter selects its first match (not the item selected before, which matches too)
        // and says when nothing matches.
        p.keys(&[
            "j", "j", "j", "/", "e", "x", "a", "m", "p", "l", "e", "Enter",
        ]);
        p.wait_for("/example ");
        p.wait_until("selection on the first match", |s| marker_row(s) == top);
        p.keys(&["Escape", "/", "z", "z", "q"]);
        p.wait_for("no match for /zzq");
        p.keys(&["Escape"]);
        // r says that it rescans.
        p.keys(&["r"]);
        p.wait_until("r announced", |s| {
            s.contains("rescanning") || s.contains("rescanned")
        });
        // Help pages too: G shows its last section, g its first.
        p.keys(&["?", "G"]);
        p.wait_for("close help");
        p.keys(&["g"]);
        p.wait_for("General");
        p.keys(&["Escape", "q"]);
        p.wait_for("EXIT-0");
    }
}

#[test]
fn filter_line_editing_moves_a_visible_cursor() {
    let (_tmp, store) = demo();
    for (w, h, flags) in runs() {
        let p = Pane::shell(w, h);
        p.certdeck(&store, flags);
        p.keys(&["/", "a", "l", "c", "e", "Left", "Left", "i"]);
        let s = p.wait_for("/alice");
        // The terminal cursor sits after the typed `i`, in the status line.
        // The status line (the details pane above may show a path with /alice in it).
        let lines: Vec<&str> = s.lines().collect();
        let row = lines.iter().rposition(|l| l.contains("/alice")).unwrap();
        let col = lines[row].find("/alice").unwrap();
        assert_eq!(p.cursor(), (col + 4, row), "{w}x{h} {flags}:\n{s}");
        assert_eq!(p.alternate(), (true, true), "cursor shown while typing");
        p.keys(&["C-a", "x", "End", "Delete", "BSpace"]);
        p.wait_for("/xalic ");
        p.keys(&["Home", "Right", "C-k"]);
        p.wait_for("/x ");
        p.keys(&["C-e", "-", "y", "z", " ", "w", "C-w"]);
        p.wait_for("/x-yz ");
        p.keys(&["C-u"]);
        p.wait_until("filter emptied", |s| !s.contains("/x-yz"));
        p.keys(&["Escape", "q"]);
        p.wait_for("EXIT-0");
    }
}

#[test]
fn ctrl_z_suspends_and_fg_resumes_with_a_full_screen() {
    let (_tmp, store) = demo();
    for (w, h, flags) in runs() {
        let p = Pane::shell(w, h);
        p.start(&store, flags, "");
        p.keys(&["C-z"]);
        p.wait_restored(&format!("{w}x{h} {flags}: suspended"));
        p.run("echo stopped-$((2+3))");
        p.wait_for("stopped-5");
        p.run("fg");
        let s = p.wait_until("back on the alternate screen", |s| {
            s.contains("old.example.com") && !s.contains("stopped-5")
        });
        assert_eq!(p.alternate(), (true, false), "{w}x{h} {flags}:\n{s}");
        // Keys work again (raw mode is back): j moves, q quits.
        let top = marker_row(&s);
        p.keys(&["j"]);
        p.wait_until("j moved", |s| marker_row(s) == top + 1);
        p.keys(&["q"]);
        p.assert_shell_usable();
    }
}
