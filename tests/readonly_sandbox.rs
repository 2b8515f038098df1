//! The read-only sandbox (Landlock) as a user meets it: the TUI fills the terminal and follows
//! a resize exactly as read-write does, no program is ever run (crossterm's `tput` fallback
//! was, 58 times a session, when TIOCGWINSZ was denied), and TCP connections are refused.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_certdeck")
}

/// The kernel's Landlock ABI version (0 when Landlock is off).
fn landlock_abi() -> i64 {
    const LANDLOCK_CREATE_RULESET_VERSION: u32 = 1;
    // SAFETY: the documented version query: no attribute pointer, size 0, no memory written.
    let v = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<u8>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    v.max(0)
}

fn demo(dir: &Path) {
    let st = Command::new(bin())
        .arg("demo")
        .arg(dir)
        .arg("--no-tui")
        .output()
        .unwrap();
    assert!(st.status.success(), "{st:?}");
}

struct Tmux(String);

impl Tmux {
    fn start(cmd: &str, w: u16, h: u16) -> Tmux {
        let socket = format!(
            "certdeck-sbx-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        );
        let t = Tmux(socket);
        let st = t.run(&[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            &w.to_string(),
            "-y",
            &h.to_string(),
            cmd,
        ]);
        assert!(st.status.success(), "tmux is required: {st:?}");
        t
    }
    fn run(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-L", &self.0])
            .args(args)
            .output()
            .unwrap()
    }
    fn lines(&self) -> Vec<String> {
        let out = self.run(&["capture-pane", "-p", "-t", "t"]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    }
    /// Wait until `ok` holds for the screen's lines.
    fn wait(&self, what: &str, ok: impl Fn(&[String]) -> bool) -> Vec<String> {
        let start = Instant::now();
        loop {
            let l = self.lines();
            if ok(&l) {
                return l;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "never saw {what}:\n{}",
                l.join("\n")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// The screen fills `w` x `h`: the top border is `w` wide and the status line is next to last.
fn fills(l: &[String], w: usize, h: usize) -> bool {
    let status = l.iter().position(|s| s.contains("certs ·"));
    let all = l.concat();
    let settled = !all.contains("scanning") && !all.contains("verifying") && !all.contains(" 0/0 ");
    settled
        && l.first().is_some_and(|t| t.chars().count() == w)
        && status == Some(h - 2)
        && l.iter().any(|s| s.contains("q quit"))
}

/// Read-only at 120x40, then after `resize-window` to 150x45 and 100x30: the same screen as
/// read-write (apart from the READ-ONLY badge and the write keys' hints) filling the window;
/// under `strace -f -e execve` the only exec is certdeck's own.
#[test]
fn read_only_tui_fills_and_resizes_like_read_write_and_runs_no_program() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    demo(&store);
    // The demo's dates are whole days from its second of creation: two TUIs started within
    // that second and the next would count days left one apart. Start both after it.
    std::thread::sleep(Duration::from_millis(1100));
    let trace = tmp.path().join("exec-trace");
    let ro = Tmux::start(
        &format!(
            "strace -f -qq -e trace=execve -o {} {} --read-only --store {}; sleep 60",
            trace.display(),
            bin(),
            store.display()
        ),
        120,
        40,
    );
    let rw = Tmux::start(
        &format!("{} --store {}; sleep 60", bin(), store.display()),
        120,
        40,
    );
    for (w, h) in [(120usize, 40usize), (150, 45), (100, 30)] {
        if w != 120 {
            for t in [&ro, &rw] {
                let st = t.run(&[
                    "resize-window",
                    "-t",
                    "t",
                    "-x",
                    &w.to_string(),
                    "-y",
                    &h.to_string(),
                ]);
                assert!(st.status.success(), "{st:?}");
            }
        }
        let what = format!("a screen filling {w}x{h}");
        // Findings arrive from a worker after the first paint, in each process at its own
        // time: compare again until both have them (or the deadline shows the difference).
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let a = ro.wait(&what, |l| {
                fills(l, w, h) && l.concat().contains("READ-ONLY")
            });
            let b = rw.wait(&what, |l| fills(l, w, h));
            // Everything above the status line is the same picture.
            if a[..h - 2] == b[..h - 2] || Instant::now() > deadline {
                assert_eq!(
                    a[..h - 2],
                    b[..h - 2],
                    "read-only draws differently from read-write at {w}x{h}"
                );
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    ro.run(&["send-keys", "-t", "t", "q"]);
    let start = Instant::now();
    let t = loop {
        let t = std::fs::read_to_string(&trace).unwrap_or_default();
        if t.contains("+++ exited") || start.elapsed() > Duration::from_secs(10) {
            break t;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let execs: Vec<&str> = t.lines().filter(|l| l.contains("execve(")).collect();
    assert_eq!(
        execs.len(),
        1,
        "read-only certdeck ran programs (tput?):\n{}",
        execs.join("\n")
    );
    assert!(execs[0].contains(bin()), "{}", execs[0]);
}

/// `audit` sets up the sandbox that `sandbox_refuses_connect_exec_and_write` proves (and says
/// it is fully enforced, so its TCP rules are in force) granting no exec and no port; `probe`,
/// the command that connects, sets up no sandbox at all. (strace 6.1 cannot decode the ABI 4
/// ruleset fields, hence the status line.)
#[test]
fn audit_denies_exec_and_network_probe_does_not() {
    let abi = landlock_abi();
    if abi < 5 {
        println!("skipped: kernel Landlock ABI {abi} lacks network rules or ioctl rights");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    demo(&store);
    let traced = |args: &[&str]| {
        let trace = tmp.path().join("ll-trace");
        let out = Command::new("strace")
            .args(["-f", "-qq", "-e"])
            .arg("trace=landlock_create_ruleset,landlock_add_rule,landlock_restrict_self")
            .arg("-o")
            .arg(&trace)
            .arg(bin())
            .args(args)
            .arg("--store")
            .arg(&store)
            .env("CERTDECK_DEBUG", "1")
            .output()
            .expect("strace is required");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (std::fs::read_to_string(&trace).unwrap(), stderr)
    };
    let (t, stderr) = traced(&["audit"]);
    assert!(
        stderr.contains("landlock: enforced (no file writes, no exec, no TCP connect/bind)"),
        "{stderr}"
    );
    assert!(t.contains("landlock_restrict_self("), "{t}");
    let rules: Vec<&str> = t
        .lines()
        .filter(|l| l.contains("landlock_add_rule("))
        .collect();
    assert!(!rules.is_empty(), "no rules:\n{t}");
    assert!(
        t.contains("handled_access_fs=LANDLOCK_ACCESS_FS_EXECUTE")
            && rules.iter().all(|r| !r.contains("EXECUTE")),
        "execute is granted somewhere:\n{t}"
    );
    // Only path rules: no TCP port is granted.
    assert!(
        rules
            .iter()
            .all(|r| r.contains("LANDLOCK_RULE_PATH_BENEATH")),
        "{t}"
    );
    let (t, _) = traced(&["probe", "127.0.0.1:1", "--timeout", "1"]);
    assert!(
        !t.contains("landlock_restrict_self("),
        "probe must be able to connect:\n{t}"
    );
}

/// The sandbox itself, in a child process (Landlock is for the rest of a process): before it,
/// a TCP connect and an exec work; after it, both are refused, and so is a file write.
#[test]
fn sandbox_refuses_connect_exec_and_write() {
    const CHILD: &str = "CERTDECK_SANDBOX_CHILD_PORT";
    if let Ok(port) = std::env::var(CHILD) {
        let port: u16 = port.parse().unwrap();
        let addr = ("127.0.0.1", port);
        assert!(
            std::net::TcpStream::connect(addr).is_ok(),
            "control: connect"
        );
        assert!(Command::new("true").status().is_ok(), "control: exec");
        let s = certdeck::sandbox::restrict_to_read_only(false);
        assert_eq!(s, certdeck::sandbox::Sandbox::Enforced);
        let e = std::net::TcpStream::connect(addr).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied, "{e}");
        let e = Command::new("true").status().unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied, "{e}");
        let dir = std::env::var("CERTDECK_SANDBOX_CHILD_DIR").unwrap();
        assert!(std::fs::write(Path::new(&dir).join("x"), b"x").is_err());
        println!("CHILD-CHECKED");
        return;
    }
    let abi = landlock_abi();
    if abi < 5 {
        println!("skipped: kernel Landlock ABI {abi} lacks network rules or ioctl rights");
        return;
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "sandbox_refuses_connect_exec_and_write",
            "--nocapture",
        ])
        .env(CHILD, port.to_string())
        .env("CERTDECK_SANDBOX_CHILD_DIR", tmp.path())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && text.contains("CHILD-CHECKED"),
        "child failed:\n{text}"
    );
    assert!(std::fs::read_dir(tmp.path()).unwrap().next().is_none());
}

/// In the read-only TUI `p` cannot reach a listening port: the probe says why, and the
/// listener never sees a connection.
#[test]
fn read_only_tui_probe_is_refused_by_the_sandbox() {
    let abi = landlock_abi();
    if abi < 4 {
        println!("skipped: kernel Landlock ABI {abi} has no network rules (needs 4)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    demo(&store);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let t = Tmux::start(
        &format!(
            "{} --read-only --store {}; sleep 60",
            bin(),
            store.display()
        ),
        120,
        40,
    );
    t.wait("the list", |l| fills(l, 120, 40));
    t.run(&["send-keys", "-t", "t", "p"]);
    t.wait("the probe form", |l| l.concat().contains("Host:port"));
    t.run(&["send-keys", "-t", "t", "-l", &format!("127.0.0.1:{port}")]);
    t.run(&["send-keys", "-t", "t", "Enter"]);
    t.wait("the refusal", |l| {
        l.concat()
            .contains("network connections are denied in read-only mode")
    });
    let e = listener.accept().unwrap_err();
    assert_eq!(
        e.kind(),
        std::io::ErrorKind::WouldBlock,
        "a connection came in"
    );
}
