//! Long work shows a progress bar on stderr when it is a terminal (tmux), and nothing at all
//! in a pipe or with --json.

mod common;

use common::*;
use std::process::Command;
use std::time::{Duration, Instant};

/// A store big enough that reading it takes well over the bar's 400 ms threshold.
fn big_store(dir: &std::path::Path) {
    let pki = Pki::new(&dir.join("work"));
    pki.root("root", "/CN=Progress Root");
    let pem = pki.read("root.pem");
    for d in 0..10 {
        let sub = dir.join("store").join(format!("d{d}"));
        std::fs::create_dir_all(&sub).unwrap();
        for i in 0..1000 {
            std::fs::write(sub.join(format!("c{i}.pem")), &pem).unwrap();
        }
    }
}

fn tmux(socket: &str, args: &[&str]) -> String {
    let o = Command::new("tmux")
        .args(["-L", socket])
        .args(args)
        .output()
        .expect("tmux is required (scripts/test.sh installs it)");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Run `cmd` in a 100x10 tmux pane; return every distinct screen seen until it printed DONE.
fn screens_of(cmd: &str) -> Vec<String> {
    let socket = format!("certdeck-progress-{}", std::process::id());
    tmux(
        &socket,
        &[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            "100",
            "-y",
            "10",
            &format!("{cmd}; echo DONE; sleep 30"),
        ],
    );
    let start = Instant::now();
    let mut seen: Vec<String> = vec![];
    loop {
        let s = tmux(&socket, &["capture-pane", "-p", "-t", "t"]);
        if seen.last() != Some(&s) {
            seen.push(s.clone());
        }
        if s.contains("DONE") || start.elapsed() > Duration::from_secs(120) {
            break;
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    tmux(&socket, &["kill-server"]);
    seen
}

#[test]
fn list_on_a_terminal_shows_progress_then_clears_it() {
    let tmp = tempfile::tempdir().unwrap();
    big_store(tmp.path());
    let store = tmp.path().join("store");
    let out = tmp.path().join("out.txt");
    // stdout to a file, stderr on the terminal: what an admin piping the table sees.
    let screens = screens_of(&format!(
        "{} list --store {} > {}",
        bin(),
        store.display(),
        out.display()
    ));
    assert!(
        screens
            .iter()
            .any(|s| s.contains("reading") || s.contains("verifying")),
        "no progress bar on the terminal: {screens:#?}"
    );
    let last = screens.last().unwrap();
    assert!(last.contains("DONE"), "{last}");
    assert!(
        !last.contains("reading") && !last.contains("verifying"),
        "bar not cleared: {last}"
    );
    let table = std::fs::read_to_string(&out).unwrap();
    assert!(table.contains("Progress Root"), "{table}");

    // --json on the terminal: no bar.
    let screens = screens_of(&format!(
        "{} list --json --store {} > {}",
        bin(),
        store.display(),
        out.display()
    ));
    assert!(
        !screens
            .iter()
            .any(|s| s.contains("reading") || s.contains("verifying")),
        "bar with --json: {screens:#?}"
    );

    // Not a terminal: stderr stays empty.
    let o = Command::new(bin())
        .args(["list", "--store", store.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
