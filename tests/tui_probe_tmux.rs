//! End to end (#16), the probe form at 80x24 and 120x40: host:port, SNI and timeout against real
//! `openssl s_server`s on 127.0.0.1; the served chain shown as a tree with each verdict
//! (matches / renewed but not reloaded / not on disk); the values remembered per store in
//! $XDG_STATE_HOME/certdeck/probe.toml (never in the store, never by a read-only session).

mod common;
mod tmux_support;

use common::{cd, openssl};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use tmux_support::*;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `openssl s_server` on 127.0.0.1 serving `cert` + `key` (+ `chain`), once it listens.
fn s_server(dir: &Path, cert: &str, key: &str, chain: Option<&str>) -> (Server, u16) {
    let port = free_port();
    let mut c = Command::new("openssl");
    c.current_dir(dir)
        .args(["s_server", "-quiet", "-www", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-cert", cert, "-key", key]);
    if let Some(ch) = chain {
        c.args(["-cert_chain", ch]);
    }
    let child = c
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl");
    let server = Server(child);
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (server, port);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("s_server did not listen on {port}");
}

fn tui(root: &Path, state: &Path, extra: &str, (w, h): (u16, u16)) -> Tmux {
    let cmd = format!(
        "{} {extra} --store {}",
        env!("CARGO_BIN_EXE_certdeck"),
        root.display()
    );
    let state = state.to_str().unwrap();
    Tmux::start(&cmd, w, h, &[("NO_COLOR", "1"), ("XDG_STATE_HOME", state)])
}

/// The probe's result in the pager; closed afterwards.
fn result(t: &Tmux, needle: &str) -> String {
    let s = t.wait_for(needle);
    t.assert_fits(&s);
    t.keys(&["Escape"]);
    t.wait_until("the pager closed", |s| !s.contains(" Message "));
    s
}

#[test]
fn probe_form_verdicts_and_remembered_values_80x24_and_120x40() {
    for (w, h) in SIZES {
        probe_form(w, h);
    }
}

fn probe_form(w: u16, h: u16) {
    let tmp = tempfile::tempdir().unwrap();
    let base = std::fs::canonicalize(tmp.path()).unwrap();
    let root = base.join("store");
    let state = base.join("state");
    std::fs::create_dir(&root).unwrap();
    cd(&root, &["generate", "ca", "--cn", "Probe CA"]).ok();
    cd(
        &root,
        &[
            "generate",
            "server",
            "--cn",
            "localhost",
            "--san",
            "DNS:localhost",
            "--ca",
            "Probe CA",
        ],
    )
    .ok();
    // Served from copies: the store's files change under the running server later.
    let served = base.join("served");
    std::fs::create_dir(&served).unwrap();
    for (from, to) in [
        ("localhost.pem", "cert.pem"),
        ("private/localhost.key", "key.pem"),
        ("probe-ca.pem", "ca.pem"),
    ] {
        std::fs::copy(root.join(from), served.join(to)).unwrap();
    }
    let (_srv, port) = s_server(&served, "cert.pem", "key.pem", Some("ca.pem"));
    // A certificate the store has never seen.
    let o = openssl(
        &served,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "other.key",
            "-subj",
            "/CN=elsewhere.example",
            "-days",
            "5",
            "-out",
            "other.pem",
        ],
    );
    assert!(o.status.success(), "{o:?}");
    let (_other, other_port) = s_server(&served, "other.pem", "other.key", None);
    let store_before: Vec<_> = walk(&root);

    let t = tui(&root, &state, "", (w, h));
    t.wait_for("Probe CA");
    t.keys(&["p"]);
    let s = t.wait_for("Probe a TLS port");
    assert!(
        line_with(&s, "Timeout").contains("10"),
        "default timeout:\n{s}"
    );
    let target = format!("127.0.0.1:{port}");
    t.keys(&[
        "-l",
        &target,
        "Tab",
        "-l",
        "localhost",
        "Tab",
        "C-u",
        "-l",
        "5",
        "Enter",
    ]);
    let s = result(&t, ": matches: ");
    assert!(s.contains("SNI localhost"), "{s}");
    assert!(s.contains("Served chain (2 certificate(s))"), "{s}");
    // Root on top, the leaf under it, each with what the store holds of it.
    let root_line = line_with(&s, "CN=Probe CA  [");
    assert!(root_line.contains("[in the store: probe-ca.pem]"), "{s}");
    let leaf_line = line_with(&s, "└─ CN=localhost");
    assert!(leaf_line.contains("[in the store: localhost.pem]"), "{s}");

    // Remembered outside the store, keyed by the store's path.
    let file = state.join("certdeck/probe.toml");
    let saved = std::fs::read_to_string(&file).expect("probe.toml written");
    assert!(
        saved.contains(&target) && saved.contains("localhost"),
        "{saved}"
    );
    assert!(saved.contains(root.to_str().unwrap()), "{saved}");
    assert!(saved.contains("timeout = 5"), "{saved}");

    // Renewed on disk while the server keeps the old one: the form is prefilled.
    cd(&root, &["renew", "localhost.pem"]).ok();
    // The watcher would see it too; `r` makes sure the probe compares with the renewed file.
    t.keys(&["r"]);
    t.wait_for("rescanned: ");
    t.keys(&["p"]);
    let s = t.wait_for("Probe a TLS port");
    assert!(line_with(&s, "Host:port").contains(&target), "{s}");
    t.keys(&["Enter"]);
    let s = result(&t, "renewed but not reloaded");
    assert!(
        s.contains("[not in the store]"),
        "the served leaf is gone from disk:\n{s}"
    );
    t.keys(&["q"]);
    t.wait_for("CERTDECK-EXITED-0");
    drop(t);

    // A new session of the same store starts with the last values.
    let t = tui(&root, &state, "", (w, h));
    t.wait_for("Probe CA");
    t.keys(&["p"]);
    let s = t.wait_for("Probe a TLS port");
    assert!(line_with(&s, "Host:port").contains(&target), "{s}");
    assert!(line_with(&s, "SNI").contains("localhost"), "{s}");
    assert!(line_with(&s, "Timeout").contains('5'), "{s}");
    // A bad timeout is caught in the form.
    t.keys(&["Tab", "Tab", "C-u", "-l", "0", "Enter"]);
    t.wait_for("seconds, 1 to 300");
    let other = format!("127.0.0.1:{other_port}");
    t.keys(&[
        "C-u", "-l", "3", "Tab", "C-u", "-l", &other, "Tab", "C-u", "Enter",
    ]);
    let s = result(&t, ": not on disk: ");
    assert!(
        s.contains("CN=elsewhere.example  [not in the store]"),
        "{s}"
    );
    t.keys(&["q"]);
    t.wait_for("CERTDECK-EXITED-0");
    drop(t);

    // Read-only writes nothing, not even the state file.
    let saved = std::fs::read(&file).unwrap();
    let t = tui(&root, &state, "--read-only", (w, h));
    t.wait_for("READ-ONLY");
    t.keys(&["p"]);
    let s = t.wait_for("Probe a TLS port");
    assert!(line_with(&s, "Host:port").contains(&other), "{s}");
    t.keys(&["C-u", "-l", "127.0.0.1:1", "Enter"]);
    t.wait_for("probe 127.0.0.1:1");
    t.keys(&["Escape", "q"]);
    t.wait_for("CERTDECK-EXITED-0");
    assert_eq!(
        std::fs::read(&file).unwrap(),
        saved,
        "read-only changed probe.toml"
    );
    // Nothing of the probe went into the store (renew's files and history aside).
    let after = walk(&root);
    assert!(after.iter().all(|p| !p.contains("probe.toml")), "{after:?}");
    assert!(store_before.iter().all(|p| after.contains(p)));
}

/// Every path under `dir`, relative.
fn walk(dir: &Path) -> Vec<String> {
    let mut out = vec![];
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            out.push(p.strip_prefix(dir).unwrap().display().to_string());
            if e.file_type().unwrap().is_dir() {
                todo.push(p);
            }
        }
    }
    out
}
