//! Helpers for `tests/hostile_writer.rs`: an unprivileged attacker account, a root-owned decoy
//! tree outside the store with a before/after snapshot, the digests of a store's files, and a
//! bounded run of the real binary that reports its peak RSS.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

pub const USER: &str = "cdhostile";
/// The opt-in the lead is adding for stores owned by someone else (git's `safe.directory`).
/// A global boolean flag; the config form is a top-level `safe_stores = ["/path"]` list.
pub const SAFE_STORE_FLAG: &str = "--safe-store";
/// CN of the CA every scene's store is made with (its key: `private/hostile-root.key`).
pub const CA_CN: &str = "Hostile Root";
pub const CA_KEY: &str = "private/hostile-root.key";
pub const CA_CERT: &str = "hostile-root.pem";

#[derive(Debug, Clone, Copy)]
pub struct Attacker {
    pub uid: u32,
    pub gid: u32,
}

fn id_of(flag: &str) -> Option<u32> {
    let o = Command::new("id").args([flag, USER]).output().ok()?;
    if !o.status.success() {
        return None;
    }
    String::from_utf8_lossy(&o.stdout).trim().parse().ok()
}

/// The attacker account (created once with `useradd`, reused when it exists), or `None` with
/// the reason printed when the suite cannot run here (not root, no `useradd`).
pub fn attacker() -> Option<Attacker> {
    static ONCE: OnceLock<Result<Attacker, String>> = OnceLock::new();
    let r = ONCE.get_or_init(|| {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Err("not running as root".into());
        }
        if id_of("-u").is_none() {
            let useradd = ["/usr/sbin/useradd", "/sbin/useradd", "/usr/bin/useradd"]
                .into_iter()
                .find(|p| Path::new(p).exists())
                .ok_or("useradd is not installed")?;
            let o = Command::new(useradd)
                .args(["-M", "-U", "-s", "/usr/sbin/nologin", USER])
                .output()
                .map_err(|e| format!("useradd: {e}"))?;
            // Another test binary may have created it meanwhile: only the lookup decides.
            if id_of("-u").is_none() {
                return Err(format!(
                    "useradd {USER} failed: {}",
                    String::from_utf8_lossy(&o.stderr)
                ));
            }
        }
        Ok(Attacker {
            uid: id_of("-u").ok_or("id -u")?,
            gid: id_of("-g").ok_or("id -g")?,
        })
    });
    match r {
        Ok(a) => Some(*a),
        Err(why) => {
            eprintln!("hostile_writer: skipped: {why}");
            None
        }
    }
}

impl Attacker {
    /// A command run as the attacker (no supplementary groups).
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new("/usr/bin/setpriv");
        c.arg(format!("--reuid={}", self.uid))
            .arg(format!("--regid={}", self.gid))
            .args(["--clear-groups", "--", program]);
        c
    }

    /// `chown -R attacker: path` (what the attacker's own writes would have left).
    pub fn own(&self, path: &Path) {
        let st = Command::new("chown")
            .args(["-R", "-h", &format!("{}:{}", self.uid, self.gid)])
            .arg(path)
            .status()
            .expect("run chown");
        assert!(st.success(), "chown -R {}", path.display());
    }
}

/// A racing attacker process (its own process group); killed when dropped.
pub struct Racer {
    child: Child,
}

impl Racer {
    /// Runs the Python `script` as the attacker with `args`; returns once it printed `ready`.
    pub fn start(a: &Attacker, dir: &Path, script: &str, args: &[&str]) -> Racer {
        let file = dir.join(format!("racer-{}.py", std::process::id()));
        std::fs::write(&file, script).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut child = a
            .command("/usr/bin/python3")
            .arg(&file)
            .args(args)
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start racer");
        let mut out = child.stdout.take().unwrap();
        let mut buf = [0u8; 6];
        out.read_exact(&mut buf).expect("racer did not start");
        assert_eq!(&buf, b"ready\n");
        Racer { child }
    }

    /// Whether the racer is still alive (a dead racer proves nothing).
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Racer {
    fn drop(&mut self) {
        let pid = self.child.id() as i32;
        // SAFETY: signalling our own child's process group.
        unsafe { libc::kill(-pid, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

/// One entry of a snapshot: everything an attack could change about it.
#[derive(Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: &'static str,
    pub mode: u32,
    pub uid: u32,
    pub nlink: u64,
    pub mtime_ns: i128,
    pub sha256: Option<String>,
    pub link: Option<PathBuf>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {:04o} uid {} links {} mtime {}",
            self.kind, self.mode, self.uid, self.nlink, self.mtime_ns
        )?;
        if let Some(s) = &self.sha256 {
            write!(f, " sha256 {}", &s[..16])?;
        }
        if let Some(l) = &self.link {
            write!(f, " -> {}", l.display())?;
        }
        Ok(())
    }
}

pub type Snapshot = BTreeMap<PathBuf, Entry>;

fn entry(p: &Path) -> Entry {
    let m = std::fs::symlink_metadata(p).unwrap();
    let ft = m.file_type();
    let kind = if ft.is_symlink() {
        "symlink"
    } else if ft.is_dir() {
        "dir"
    } else if ft.is_file() {
        "file"
    } else {
        "other"
    };
    Entry {
        kind,
        mode: m.mode() & 0o7777,
        uid: m.uid(),
        nlink: if ft.is_dir() { 0 } else { m.nlink() },
        mtime_ns: m.mtime() as i128 * 1_000_000_000 + m.mtime_nsec() as i128,
        sha256: ft.is_file().then(|| sha256_file(p)),
        link: ft.is_symlink().then(|| std::fs::read_link(p).unwrap()),
    }
}

pub fn sha256_file(p: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(p).unwrap()))
}

/// `root` itself and everything under it, symlinks not followed.
pub fn snapshot(root: &Path) -> Snapshot {
    fn walk(p: &Path, out: &mut Snapshot) {
        let e = entry(p);
        let is_dir = e.kind == "dir";
        out.insert(p.to_path_buf(), e);
        if is_dir {
            for c in std::fs::read_dir(p).unwrap() {
                walk(&c.unwrap().path(), out);
            }
        }
    }
    let mut out = Snapshot::new();
    walk(root, &mut out);
    out
}

/// Differences between two snapshots, one line each (empty: nothing changed).
pub fn diff(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    let mut d = vec![];
    for (p, b) in before {
        match after.get(p) {
            None => d.push(format!("{}: vanished (was {b:?})", p.display())),
            Some(a) if a != b => d.push(format!("{}: {b:?} -> {a:?}", p.display())),
            _ => {}
        }
    }
    for (p, a) in after {
        if !before.contains_key(p) {
            d.push(format!("{}: appeared ({a:?})", p.display()));
        }
    }
    d
}

/// A root-owned tree outside the store standing for /etc: a 0600 key, a config file and a
/// 0700 subdirectory with a file. Compared before/after by `Decoy::assert_unchanged`.
pub struct Decoy {
    pub dir: PathBuf,
    pub before: Snapshot,
}

impl Decoy {
    pub fn new(dir: &Path) -> Decoy {
        std::fs::create_dir(dir).unwrap();
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let file = |name: &str, data: &str, mode: u32| {
            let p = dir.join(name);
            std::fs::write(&p, data).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        };
        file(
            "secret.key",
            "-----BEGIN PRIVATE KEY-----\nDECOY ROOT-OWNED KEY, MUST NOT MOVE\n-----END PRIVATE KEY-----\n",
            0o600,
        );
        file(
            "target.conf",
            "# decoy root-owned config\nlisten 443;\n",
            0o644,
        );
        std::fs::create_dir(dir.join("sub")).unwrap();
        std::fs::set_permissions(dir.join("sub"), std::fs::Permissions::from_mode(0o700)).unwrap();
        file("sub/inner.conf", "decoy inner\n", 0o600);
        Decoy {
            dir: dir.to_path_buf(),
            before: Snapshot::new(),
        }
    }

    /// Adds a 0600 file (before the snapshot is taken).
    pub fn add(&self, rel: &str, data: &[u8]) {
        let p = self.dir.join(rel);
        std::fs::write(&p, data).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    pub fn seal(&mut self) {
        // mtimes have nanosecond resolution here, but a change in the same tick as the
        // snapshot must still show: the snapshot also holds hashes, modes and link counts.
        self.before = snapshot(&self.dir);
    }

    pub fn changes(&self) -> Vec<String> {
        diff(&self.before, &snapshot(&self.dir))
    }

    /// Digests of the decoy's files (to spot one that was moved into the store).
    pub fn digests(&self) -> BTreeSet<String> {
        self.before
            .values()
            .filter_map(|e| e.sha256.clone())
            .collect()
    }
}

/// SHA-256 of every regular file under `root` (links not followed) by store-relative path,
/// leaving out the lock file and the journal, which certdeck rewrites and appends to.
pub fn store_files(root: &Path) -> BTreeMap<String, String> {
    snapshot(root)
        .into_iter()
        .filter_map(|(p, e)| {
            let rel = p.strip_prefix(root).ok()?.to_string_lossy().into_owned();
            let skip = rel == ".certdeck.lock" || rel == "history/journal.jsonl";
            e.sha256.filter(|_| !skip).map(|s| (rel, s))
        })
        .collect()
}

/// Files of `before` whose contents are nowhere under `root` any more (history included).
pub fn lost_files(root: &Path, before: &BTreeMap<String, String>) -> Vec<String> {
    let now: BTreeSet<String> = store_files(root).into_values().collect();
    before
        .iter()
        .filter(|(_, d)| !now.contains(*d))
        .map(|(p, _)| p.clone())
        .collect()
}

/// How one bounded run ended.
#[derive(Debug)]
pub struct Outcome {
    pub args: Vec<String>,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
    /// Killed for going over the memory watchdog.
    pub oom: bool,
    pub peak_rss_kb: u64,
    pub elapsed: Duration,
    pub stdout_raw: Vec<u8>,
    pub stderr_raw: Vec<u8>,
}

impl Outcome {
    pub fn ok(&self) -> bool {
        self.code == Some(0) && !self.timed_out
    }
    /// Ended by itself, in time, within the memory watchdog.
    pub fn bounded(&self) -> bool {
        !self.timed_out && !self.oom
    }
    /// Ended in time with a non-zero exit and something on stderr (a refusal).
    pub fn refused(&self) -> bool {
        self.bounded() && self.code.is_some_and(|c| c != 0) && !self.stderr.trim().is_empty()
    }
    pub fn brief(&self) -> String {
        format!(
            "{:?}: exit {:?}{}{} in {:.1}s, rss {} MB\n  stderr: {}\n  stdout: {}",
            self.args,
            self.code,
            if self.timed_out {
                " TIMED OUT (killed)"
            } else {
                ""
            },
            if self.oom {
                " MEMORY WATCHDOG (killed)"
            } else {
                ""
            },
            self.elapsed.as_secs_f64(),
            self.peak_rss_kb / 1024,
            self.stderr.trim(),
            self.stdout.trim().chars().take(600).collect::<String>()
        )
    }
}

/// Options of one bounded run.
pub struct Bounded<'a> {
    pub timeout: Duration,
    pub env: Vec<(&'a str, String)>,
    pub umask: Option<u32>,
    /// Run under strace with these syscalls' exits delayed by `strace_delay_us`.
    pub strace_delay: Option<(&'a str, u32)>,
    pub home: Option<&'a Path>,
}

impl Default for Bounded<'_> {
    fn default() -> Self {
        Bounded {
            timeout: Duration::from_secs(20),
            env: vec![],
            umask: None,
            strace_delay: None,
            home: None,
        }
    }
}

/// Memory watchdog: a run above this is killed (the /dev/zero journal would otherwise take
/// the machine down); 2 GB of address space is the hard backstop.
const RSS_KILL_KB: u64 = 1024 * 1024;
const AS_LIMIT: u64 = 2 << 30;

fn rss_kb(pid: i32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs certdeck (as the current user, root) with `args`, killed after `o.timeout` or above
/// the memory watchdog. Peak RSS comes from wait4's rusage (of strace when traced).
pub fn run(args: &[&str], o: &Bounded) -> Outcome {
    let bin = env!("CARGO_BIN_EXE_certdeck");
    let mut cmd = match o.strace_delay {
        Some((calls, us)) => {
            let mut c = Command::new("/usr/bin/strace");
            c.args([
                "-f",
                "-qq",
                "-o",
                "/dev/null",
                "-e",
                &format!("inject={calls}:delay_exit={us}"),
                bin,
            ]);
            c
        }
        None => Command::new(bin),
    };
    cmd.args(args)
        .env_remove("CERTDECK_STORE")
        .env_remove("CERTDECK_CONFIG")
        .env_remove("CERTDECK_NEW_PASSPHRASE")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    if let Some(h) = o.home {
        cmd.env("HOME", h);
    }
    for (k, v) in &o.env {
        cmd.env(k, v);
    }
    let umask = o.umask;
    // SAFETY: only async-signal-safe calls (umask, setrlimit) between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if let Some(m) = umask {
                libc::umask(m as libc::mode_t);
            }
            let lim = libc::rlimit {
                rlim_cur: AS_LIMIT,
                rlim_max: AS_LIMIT,
            };
            libc::setrlimit(libc::RLIMIT_AS, &lim);
            Ok(())
        });
    }
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn certdeck");
    let pid = child.id() as i32;
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = so.read_to_end(&mut b);
        b
    });
    let t_err = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = se.read_to_end(&mut b);
        b
    });
    let (mut timed_out, mut oom) = (false, false);
    let (status, ru) = loop {
        let mut status = 0;
        // SAFETY: plain syscall on our own child; `ru` is written by the kernel.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut ru) };
        if r == pid {
            break (status, ru);
        }
        assert!(r == 0, "wait4: {}", std::io::Error::last_os_error());
        let over = o.strace_delay.is_none() && rss_kb(pid).is_some_and(|k| k > RSS_KILL_KB);
        if over || start.elapsed() > o.timeout {
            oom |= over;
            timed_out |= !over;
            // SAFETY: our child's process group (strace and its tracee too).
            unsafe { libc::kill(-pid, libc::SIGKILL) };
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    // The child is reaped: stop `Child` from touching the pid again.
    std::mem::forget(child);
    let elapsed = start.elapsed();
    let stdout_raw = t_out.join().unwrap();
    let stderr_raw = t_err.join().unwrap();
    Outcome {
        args: args.iter().map(|s| s.to_string()).collect(),
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        stdout: String::from_utf8_lossy(&stdout_raw).into_owned(),
        stderr: String::from_utf8_lossy(&stderr_raw).into_owned(),
        timed_out,
        oom,
        peak_rss_kb: ru.ru_maxrss as u64,
        elapsed,
        stdout_raw,
        stderr_raw,
    }
}
