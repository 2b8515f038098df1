//! `certdeck audit` is provably read-only: under `strace -f` it makes no write-capable syscall,
//! and a before/after snapshot of the store (paths, modes, sizes, mtimes, hashes) is identical.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_certdeck")
}

/// Build a small store with openssl: a CA, a leaf, a key, a hashed trust dir.
fn make_store(dir: &Path) {
    let sh = |cmd: &str| {
        let st = Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .current_dir(dir)
            .status()
            .expect("sh");
        assert!(st.success(), "{cmd}");
    };
    sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -subj /CN=Audit-CA -days 30 2>/dev/null");
    sh("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr -subj /CN=leaf.example 2>/dev/null");
    sh("openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -out leaf.pem -days 10 2>/dev/null");
    sh("chmod 644 leaf.key; mkdir trusted; cp ca.pem trusted/ca.pem; openssl rehash trusted 2>/dev/null || c_rehash trusted");
}

/// path -> (mode, size, mtime, sha256) for everything under dir (symlinks by their target text).
fn snapshot(dir: &Path) -> BTreeMap<String, (u32, u64, i64, i64, String)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            let content = if m.file_type().is_symlink() {
                std::fs::read_link(&p).unwrap().display().to_string()
            } else if m.is_file() {
                hex::encode(Sha256::digest(std::fs::read(&p).unwrap()))
            } else {
                stack.push(p.clone());
                String::new()
            };
            out.insert(
                p.strip_prefix(dir).unwrap().display().to_string(),
                (m.mode(), m.size(), m.mtime(), m.mtime_nsec(), content),
            );
        }
    }
    out
}

/// Syscalls that change the filesystem, and open flags that could.
const WRITE_SYSCALLS: &[&str] = &[
    "creat",
    "rename",
    "renameat",
    "renameat2",
    "unlink",
    "unlinkat",
    "rmdir",
    "mkdir",
    "mkdirat",
    "symlink",
    "symlinkat",
    "link",
    "linkat",
    "chmod",
    "fchmod",
    "fchmodat",
    "fchmodat2",
    "chown",
    "fchown",
    "fchownat",
    "lchown",
    "truncate",
    "ftruncate",
    "utime",
    "utimes",
    "utimensat",
    "futimesat",
    "flock",
    "mknod",
    "mknodat",
];

pub fn write_violations(trace: &str) -> Vec<String> {
    trace
        .lines()
        .filter(|l| {
            // "PID syscall(args) = ret"
            let call = l
                .split_whitespace()
                .nth(1)
                .and_then(|c| c.split('(').next())
                .unwrap_or("");
            if WRITE_SYSCALLS.contains(&call) {
                return true;
            }
            if call == "open" || call == "openat" || call == "openat2" {
                let writes = [
                    "O_WRONLY",
                    "O_RDWR",
                    "O_CREAT",
                    "O_TRUNC",
                    "O_APPEND",
                    "O_TMPFILE",
                ]
                .iter()
                .any(|f| l.contains(f));
                // The terminal is a device, not the store or the disk.
                let tty = l.contains("\"/dev/tty")
                    || l.contains("\"/dev/pts/")
                    || l.contains("\"/dev/null\"");
                return writes && !tty;
            }
            false
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn audit_makes_no_write_syscall_and_leaves_store_identical() {
    if Command::new("strace").arg("-V").output().is_err() {
        panic!("strace is required (scripts/test.sh installs it)");
    }
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    std::fs::create_dir(&store).unwrap();
    make_store(&store);
    let before = snapshot(&store);
    let trace = tmp.path().join("trace");
    for args in [
        vec!["audit"],
        vec!["audit", "--json"],
        vec!["audit", "--prometheus"],
        vec!["list", "--json", "--read-only"],
    ] {
        let out = Command::new("strace")
            .args(["-f", "-qq", "-o"])
            .arg(&trace)
            .arg(bin())
            .args(&args)
            .arg("--store")
            .arg(&store)
            .env("HOME", tmp.path().join("home-that-must-not-be-created"))
            .output()
            .unwrap();
        let code = out.status.code().unwrap_or(-1);
        assert!(
            (0..=2).contains(&code),
            "{args:?} exit {code}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let t = std::fs::read_to_string(&trace).unwrap();
        assert!(t.contains("openat"), "strace captured nothing for {args:?}");
        let v = write_violations(&t);
        assert!(
            v.is_empty(),
            "{args:?} made write syscalls:\n{}",
            v.join("\n")
        );
    }
    assert_eq!(before, snapshot(&store), "store changed during audit");
    assert!(!tmp.path().join("home-that-must-not-be-created").exists());
}

#[test]
fn violation_detector_catches_writes() {
    let t = "12 openat(AT_FDCWD, \"/x/ca.pem\", O_RDONLY|O_CLOEXEC) = 3\n\
             12 openat(AT_FDCWD, \"/x/.certdeck.lock\", O_RDWR|O_CREAT|O_CLOEXEC, 0644) = 4\n\
             12 renameat2(AT_FDCWD, \"a\", AT_FDCWD, \"b\", 0) = 0\n\
             12 openat(AT_FDCWD, \"/dev/tty\", O_RDWR) = 5\n";
    let v = write_violations(t);
    assert_eq!(v.len(), 2, "{v:?}");
}

#[test]
fn audit_exit_codes_follow_nagios() {
    let tmp = tempfile::tempdir().unwrap();
    // Missing store: UNKNOWN.
    let st = Command::new(bin())
        .args(["audit", "--store"])
        .arg(tmp.path().join("missing"))
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&st.stdout).starts_with("CERTDECK UNKNOWN"));
    // The store above: leaf expires in 10 days (warning), leaf.key is 0644 (critical).
    let store = tmp.path().join("s");
    std::fs::create_dir(&store).unwrap();
    make_store(&store);
    let out = Command::new(bin())
        .args(["audit", "--json", "--store"])
        .arg(&store)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"key-permissions"), "{codes:?}");
    assert!(codes.contains(&"expiring"), "{codes:?}");
    // Fix the key mode: only the warning remains -> exit 1.
    std::fs::set_permissions(
        store.join("leaf.key"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let out = Command::new(bin())
        .args(["audit", "--store"])
        .arg(&store)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Prometheus output has HELP/TYPE lines and the expiry metric for the leaf.
    let out = Command::new(bin())
        .args(["audit", "--prometheus", "--store"])
        .arg(&store)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("# TYPE certdeck_certificate_expiry_timestamp_seconds gauge"));
    assert!(text.contains("cn=\"leaf.example\""));
    assert!(text.contains("certdeck_findings{"));
}

/// The TUI in `--read-only`, driven in tmux with every action key and confirmations, under
/// `strace -f`: no write-capable syscall, store identical, and the screen says READ-ONLY.
#[test]
fn read_only_tui_makes_no_write_syscall_whatever_keys_are_pressed() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    std::fs::create_dir(&store).unwrap();
    make_store(&store);
    let before = snapshot(&store);
    let trace = tmp.path().join("tui-trace");
    let socket = format!("certdeck-ro-{}", std::process::id());
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(["-L", &socket])
            .args(args)
            .output()
            .unwrap()
    };
    let cmd = format!(
        "strace -f -qq -o {} {} --read-only --store {} ; sleep 30",
        trace.display(),
        bin(),
        store.display()
    );
    let st = tmux(&["new-session", "-d", "-s", "t", "-x", "80", "-y", "24", &cmd]);
    assert!(st.status.success());
    let screen =
        || String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned();
    let wait_for = |needle: &str| {
        let start = std::time::Instant::now();
        loop {
            let s = screen();
            if s.contains(needle) {
                return s;
            }
            assert!(
                start.elapsed() < std::time::Duration::from_secs(30),
                "never saw {needle:?}:\n{s}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    };
    let s = wait_for("leaf.example");
    assert!(s.contains("READ-ONLY"), "{s}");
    // Every writing action, each followed by the ways a user confirms.
    for key in ["n", "t", "x", "H", "u", "e", "i", "l", "p"] {
        for k in [key, "y", "Enter", "y", "Enter"] {
            tmux(&["send-keys", "-t", "t", k]);
            std::thread::sleep(std::time::Duration::from_millis(60));
        }
        assert!(screen().contains("READ-ONLY"));
    }
    tmux(&["send-keys", "-t", "t", "r"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    tmux(&["send-keys", "-t", "t", "q"]);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let _ = tmux(&["kill-server"]);
    let t = std::fs::read_to_string(&trace).unwrap();
    assert!(t.contains("openat"), "strace captured nothing");
    let v = write_violations(&t);
    assert!(
        v.is_empty(),
        "read-only TUI made write syscalls:\n{}",
        v.join("\n")
    );
    assert_eq!(
        before,
        snapshot(&store),
        "store changed under the read-only TUI"
    );
}

/// The exporter under `strace -f`, scraped and shown a store change while it runs: no
/// write-capable syscall, the store identical but for the file the test added, and the
/// sandbox applied (after the one bind).
#[test]
fn exporter_makes_no_write_syscall_while_scraped_and_updating() {
    use std::io::{BufRead, BufReader, Read, Write};
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    std::fs::create_dir(&store).unwrap();
    make_store(&store);
    let before = snapshot(&store);
    let trace = tmp.path().join("trace");
    // `timeout` ends the exporter (it serves for ever), and so strace, whatever the test does.
    let mut child = Command::new("strace")
        .args(["-f", "-qq", "-o"])
        .arg(&trace)
        .args(["timeout", "-s", "KILL", "8"])
        .arg(bin())
        .args(["exporter", "--listen", "127.0.0.1:0", "--store"])
        .arg(&store)
        .env("HOME", tmp.path().join("home-that-must-not-be-created"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    let scrape = || {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.write_all(b"GET /metrics HTTP/1.1\r\n\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    };
    assert!(scrape().contains("cn=\"leaf.example\""));
    std::fs::copy(store.join("leaf.pem"), store.join("added.pem")).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !scrape().contains("path=\"added.pem\"") {
        assert!(
            std::time::Instant::now() < deadline,
            "the change never showed"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.wait();
    let t = std::fs::read_to_string(&trace).unwrap();
    assert!(t.contains("landlock_restrict_self"), "not sandboxed");
    let v = write_violations(&t);
    assert!(
        v.is_empty(),
        "exporter made write syscalls:\n{}",
        v.join("\n")
    );
    let mut after = snapshot(&store);
    assert!(after.remove("added.pem").is_some());
    assert_eq!(before, after, "store changed under the exporter");
    assert!(!tmp.path().join("home-that-must-not-be-created").exists());
}
