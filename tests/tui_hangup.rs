//! A terminal that goes away (SSH dropped, tmux killed) ends certdeck: before, a hung-up tty
//! read as end-of-file forever inside crossterm and the process spun at full CPU.

mod tmux_support;

use std::process::Command;
use std::time::{Duration, Instant};
use tmux_support::Tmux;

fn alive(pid: u32) -> bool {
    // A zombie has exited; only a running (or sleeping) process counts.
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        !s.rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

fn ends_on_hangup(extra: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let cmd = format!(
        "exec {} {} --store {}",
        env!("CARGO_BIN_EXE_certdeck"),
        extra.join(" "),
        tmp.path().display()
    );
    let t = Tmux::exec(&cmd, 80, 24, &[]);
    let pid = t.pane_pid();
    // Drawn: the TUI is in its loop.
    t.wait_for("Items");
    t.kill_server();
    let start = Instant::now();
    while alive(pid) {
        if start.elapsed() > Duration::from_secs(10) {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("certdeck {extra:?} still running 10 s after its terminal hung up");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_hung_up_terminal_ends_the_tui() {
    ends_on_hangup(&[]);
}

#[test]
fn a_hung_up_terminal_ends_the_read_only_tui() {
    ends_on_hangup(&["--read-only"]);
}
