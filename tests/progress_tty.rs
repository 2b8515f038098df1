//! Long work shows a progress bar on stderr when it is a terminal (tmux), and nothing at all
//! in a pipe or with --json.

mod common;
mod tmux_support;

use common::*;
use std::process::Command;
use std::time::Duration;
use tmux_support::Tmux;

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

/// Run `cmd` in a 100x10 tmux pane; return every distinct screen seen until it ended.
fn screens_of(cmd: &str) -> Vec<String> {
    let t = Tmux::start(cmd, 100, 10, &[]);
    t.screens_until("CERTDECK-EXITED-", Duration::from_secs(120))
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
    assert!(last.contains("CERTDECK-EXITED-0"), "{last}");
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
