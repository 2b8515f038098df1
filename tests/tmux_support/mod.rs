//! The real binary in a tmux pane of a chosen size, driven with keys like a person would, and
//! small stores made with certdeck's own issuing code.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub struct Tmux {
    pub socket: String,
    pub width: u16,
    pub height: u16,
}

/// The two sizes every content test runs at.
pub const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

impl Tmux {
    /// `cmd` in a detached session of `width`x`height`; `; sleep` keeps the pane after exit,
    /// with `CERTDECK-EXITED-<status>` printed when `cmd` ends.
    pub fn start(cmd: &str, width: u16, height: u16, env: &[(&str, &str)]) -> Tmux {
        let cmd = format!("{cmd} ; echo CERTDECK-EXITED-$?; sleep 60");
        Tmux::exec(&cmd, width, height, env)
    }

    /// `cmd` exactly as given as the pane's command: the pane (and the server) go when it
    /// ends. For a process whose pid must be the pane's (`exec certdeck ...`).
    pub fn exec(cmd: &str, width: u16, height: u16, env: &[(&str, &str)]) -> Tmux {
        // Unique per test process and per pane, as tests run in parallel threads.
        static PANES: AtomicU32 = AtomicU32::new(0);
        let socket = format!(
            "certdeck-view-{}-{}-{}-{width}",
            std::process::id(),
            PANES.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        );
        let (w, h) = (width.to_string(), height.to_string());
        let mut c = Command::new("tmux");
        c.args([
            "-L",
            &socket,
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            &w,
            "-y",
            &h,
        ]);
        for (k, v) in env {
            c.args(["-e", &format!("{k}={v}")]);
        }
        c.arg(cmd);
        let st = c
            .status()
            .expect("tmux is required (scripts/test.sh installs it)");
        assert!(st.success());
        Tmux {
            socket,
            width,
            height,
        }
    }

    /// A plain `sh` (dash: no line editing of its own, so a terminal left in raw mode shows)
    /// in a `width`x`height` pane, its prompt showing. Drive it with [`Tmux::run`].
    pub fn shell(width: u16, height: u16) -> Tmux {
        let env = [("NO_COLOR", "1"), ("ENV", ""), ("RUST_BACKTRACE", "0")];
        let t = Tmux::exec("sh", width, height, &env);
        // `$` or, for root, `#`.
        t.wait_until("a prompt", |s| !s.trim().is_empty());
        t
    }

    /// certdeck with `args` (each shell-quoted by the caller when needed).
    pub fn certdeck(args: &str, width: u16, height: u16) -> Tmux {
        let cmd = format!("{} {args}", env!("CARGO_BIN_EXE_certdeck"));
        Tmux::start(&cmd, width, height, &[("NO_COLOR", "1")])
    }

    /// Send keys one by one; after Escape pause, so the next key is not read as Alt+key.
    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            let st = Command::new("tmux")
                .args(["-L", &self.socket, "send-keys", "-t", "t", k])
                .status()
                .unwrap();
            assert!(st.success());
            if *k == "Escape" {
                std::thread::sleep(Duration::from_millis(250));
            }
        }
    }

    /// Any other tmux command on this server (`set -s set-clipboard on`, `show-buffer`).
    pub fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .unwrap()
    }

    /// Type `text` literally (`send-keys -l`): escape sequences such as SGR mouse reports.
    pub fn type_literally(&self, text: &str) {
        let st = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "t", "-l", text])
            .status()
            .unwrap();
        assert!(st.success());
    }

    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", "t"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Wait until the screen satisfies `ok` (the UI is asynchronous); the last screen on failure.
    pub fn wait_until(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            if start.elapsed() > Duration::from_secs(20) {
                panic!(
                    "{}x{}: screen never showed {what}; last screen:\n{s}",
                    self.width, self.height
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn wait_for(&self, needle: &str) -> String {
        self.wait_until(&format!("{needle:?}"), |s| s.contains(needle))
    }

    /// The screen after the UI had time to react to the last keys (for asserting absence).
    pub fn settled(&self) -> String {
        // Two captures 300 ms apart that agree (a loaded CI box paints late); a screen that
        // never stops changing (a spinner) is returned as it is after about 6 s.
        let mut last = self.screen();
        for _ in 0..20 {
            std::thread::sleep(Duration::from_millis(300));
            let now = self.screen();
            if now == last {
                return now;
            }
            last = now;
        }
        last
    }

    /// No line of the screen is wider than the terminal.
    pub fn assert_fits(&self, s: &str) {
        for line in s.lines() {
            assert!(
                line.chars().count() <= self.width as usize,
                "line wider than {}: {line:?}",
                self.width
            );
        }
    }

    /// Any tmux command that must succeed; its stdout.
    pub fn tmux_out(&self, args: &[&str]) -> String {
        let out = self.tmux(args);
        assert!(out.status.success(), "tmux {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Type a command line into the pane's shell and press Enter.
    pub fn run(&self, line: &str) {
        self.type_literally(line);
        self.keys(&["Enter"]);
    }

    /// The session still exists (its command has not ended, or `sleep` keeps it).
    pub fn alive(&self) -> bool {
        self.tmux(&["has-session", "-t", "t"]).status.success()
    }

    /// The pid of the pane's command.
    pub fn pane_pid(&self) -> u32 {
        let v = self.tmux_out(&["display", "-p", "-t", "t", "#{pane_pid}"]);
        v.trim().parse().unwrap()
    }

    /// The pane's tty device (another program writing to the terminal).
    pub fn pane_tty(&self) -> String {
        let v = self.tmux_out(&["display", "-p", "-t", "t", "#{pane_tty}"]);
        v.trim().to_string()
    }

    /// (alternate screen on, cursor visible) as tmux sees the pane.
    pub fn alternate(&self) -> (bool, bool) {
        let v = self.tmux_out(&["display", "-p", "-t", "t", "#{alternate_on} #{cursor_flag}"]);
        let mut it = v.split_whitespace().map(|f| f == "1");
        (it.next().unwrap(), it.next().unwrap())
    }

    /// The terminal cursor (column, row).
    pub fn cursor(&self) -> (usize, usize) {
        let v = self.tmux_out(&["display", "-p", "-t", "t", "#{cursor_x} #{cursor_y}"]);
        let mut it = v.split_whitespace().map(|f| f.parse().unwrap());
        (it.next().unwrap(), it.next().unwrap())
    }

    /// Wait until tmux sees the normal screen with a visible cursor (the terminal restored).
    pub fn wait_restored(&self, what: &str) {
        let start = Instant::now();
        while self.alternate() != (false, true) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{what}: terminal not restored (alternate_on, cursor_flag) = {:?}:\n{}",
                self.alternate(),
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Back at the shell on the normal screen, with a visible cursor and cooked input: a
    /// typed command runs (Enter in a terminal left raw sends a bare CR dash never sees).
    pub fn assert_shell_usable(&self) {
        self.wait_restored("shell");
        self.run("echo usable-$((6*7))");
        self.wait_for("usable-42");
    }

    /// Resize the window (the app gets SIGWINCH).
    pub fn resize(&self, width: u16, height: u16) {
        let (w, h) = (width.to_string(), height.to_string());
        self.tmux_out(&["resize-window", "-t", "t", "-x", &w, "-y", &h]);
    }

    /// Every distinct screen, polled every 30 ms, until one contains `needle` or `limit`
    /// passed (for things that show only for a moment, such as a progress bar).
    pub fn screens_until(&self, needle: &str, limit: Duration) -> Vec<String> {
        let start = Instant::now();
        let mut seen: Vec<String> = vec![];
        loop {
            let s = self.screen();
            if seen.last() != Some(&s) {
                seen.push(s.clone());
            }
            if s.contains(needle) || start.elapsed() > limit {
                return seen;
            }
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// End the tmux server now: the pane's terminal hangs up (as when SSH drops).
    pub fn kill_server(&self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

/// A demo store made by `certdeck demo --no-tui` at `dir` (which must not exist or be empty).
pub fn demo_store(dir: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_certdeck"))
        .args(["demo", "--no-tui"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

/// The line of `screen` that contains `needle`, or "".
pub fn line_with<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen.lines().find(|l| l.contains(needle)).unwrap_or("")
}

/// A store-relative path's parent directories made, `bytes` written with `mode`.
pub fn put(store: &Path, rel: &str, bytes: &[u8], mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let p = store.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, bytes).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A store with a CA (its key next to it) and a CSR for `csr.example` made by openssl.
pub fn ca_and_csr_store(root: &Path) {
    use certdeck::pki::issue::{generate_key, issue, key_to_pkcs8_pem, IssueRequest};
    use certdeck::pki::issue::{KeyType, Profile, SubjectSpec};
    let now = time::OffsetDateTime::now_utc();
    let key = generate_key(KeyType::EcP256).unwrap();
    let req = IssueRequest {
        profile: Profile::Ca,
        subject: SubjectSpec::cn("Menu Test CA"),
        sans: vec![],
        not_before: now - time::Duration::minutes(5),
        not_after: now + time::Duration::days(365),
        path_len: None,
    };
    let ca = issue(&req, &key, None).unwrap();
    std::fs::create_dir_all(root.join("private")).unwrap();
    std::fs::write(root.join("ca.pem"), &ca.cert_pem).unwrap();
    std::fs::write(root.join("private/ca.key"), key_to_pkcs8_pem(&key)).unwrap();
    let st = Command::new("openssl")
        .current_dir(root)
        .args([
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "/dev/null",
            "-subj",
            "/CN=csr.example",
            "-addext",
            "subjectAltName=DNS:csr.example,DNS:www.csr.example",
            "-out",
            "csr.example.csr",
        ])
        .output()
        .expect("openssl");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
}
