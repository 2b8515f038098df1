//! Issue 13: certdeck run as root on a store a less-trusted account can write. Each test sets a
//! scenario up as that account would (planted journal lines, symlinks under history/, a racing
//! process swapping directories for symlinks), runs the real binary as root, and checks:
//! (a) nothing outside the store changed (a root-owned decoy tree: hash, mode, mtime, uid and
//! link count of every entry), (b) no file of the store vanished without a copy somewhere
//! under it (history included), (c) the command ended in bounded time, refusing (non-zero
//! exit, something on stderr) where the scenario must be refused.
//!
//! The attacker is a real account (`cdhostile`, made with useradd when missing); its racing
//! steps run as that user through setpriv, its one-shot planting is done as root and chowned.
//! Skipped (with a message) when not root or without useradd.

#[path = "common/hostile.rs"]
mod hostile;

use std::collections::BTreeMap;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hostile::*;
use serde_json::{json, Value};

/// A scratch directory (0755 so the attacker can reach the store), a store made by certdeck as
/// root (a CA and a server leaf), and a decoy tree beside it.
struct Scene {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    store: PathBuf,
    decoy: Decoy,
    a: Attacker,
    files: BTreeMap<String, String>,
}

impl Scene {
    fn new(a: Attacker) -> Scene {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
        let store = root.join("store");
        std::fs::create_dir(&store).unwrap();
        let decoy = Decoy::new(&root.join("etc-decoy"));
        let s = Scene {
            _tmp: tmp,
            root,
            store,
            decoy,
            a,
            files: BTreeMap::new(),
        };
        s.must(&["generate", "ca", "--cn", CA_CN]);
        s.must(&["generate", "server", "--cn", "www.example", "--ca", CA_CN]);
        s
    }

    /// The whole store handed to the attacker, as a service account's directory would be.
    /// The lock file goes: root makes its own on the next run, so what these tests meet is
    /// the attacker's history/ and journal, not a foreign lock (8b tests that one).
    fn owned_by_attacker(self) -> Scene {
        self.a.own(&self.store);
        std::fs::remove_file(self.p(".certdeck.lock")).unwrap();
        self
    }

    fn s(&self) -> &str {
        self.store.to_str().unwrap()
    }

    fn p(&self, rel: &str) -> PathBuf {
        self.store.join(rel)
    }

    fn opts(&self) -> Bounded<'_> {
        Bounded {
            home: Some(&self.root),
            ..Bounded::default()
        }
    }

    /// `certdeck [global...] ARGS --store S`, bounded.
    fn run_with(&self, args: &[&str], o: &Bounded) -> Outcome {
        let mut v: Vec<&str> = args.to_vec();
        v.extend(["--store", self.s()]);
        run(&v, o)
    }

    fn run(&self, args: &[&str]) -> Outcome {
        self.run_with(args, &self.opts())
    }

    fn must(&self, args: &[&str]) -> Outcome {
        let o = self.run(args);
        assert!(o.ok(), "setup step failed: {}", o.brief());
        o
    }

    /// Takes the before-pictures: call after planting, before the command under test.
    fn seal(&mut self) {
        self.decoy.seal();
        self.files = store_files(&self.store);
    }

    /// (a) and (b): what changed outside, what vanished inside.
    fn damage(&self) -> Vec<String> {
        let mut d: Vec<String> = self
            .decoy
            .changes()
            .into_iter()
            .map(|c| format!("outside the store: {c}"))
            .collect();
        for lost in lost_files(&self.store, &self.files) {
            d.push(format!("lost without a copy in history: {lost}"));
        }
        // A decoy file moved or linked into the store is a leak even if the decoy looks intact.
        let decoy = self.decoy.digests();
        for (rel, sha) in store_files(&self.store) {
            if decoy.contains(&sha) {
                d.push(format!(
                    "an outside file's contents are now in the store at {rel}"
                ));
            }
        }
        d
    }

    fn journal(&self) -> PathBuf {
        self.p("history/journal.jsonl")
    }

    /// Appends raw bytes to the journal (what a hand edit, a crash or an attacker leaves).
    fn append_journal(&self, bytes: &[u8]) {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(self.journal())
            .unwrap();
        f.write_all(bytes).unwrap();
    }

    fn plant(&self, records: &[Value]) {
        let mut s = String::new();
        for r in records {
            s.push_str(&r.to_string());
            s.push('\n');
        }
        self.append_journal(s.as_bytes());
    }

    /// `history/x -> decoy` (what the attacker plants to aim a journal path outside).
    fn history_link_to_decoy(&self) {
        symlink(&self.decoy.dir, self.p("history/x")).unwrap();
    }

    fn ok_or_problem(&self, o: &Outcome, problems: &mut Vec<String>) {
        if !o.ok() {
            problems.push(format!("expected success: {}", o.brief()));
        }
    }
}

/// A planted `pending` line in the journal's own format (src/store/history.rs `Record`).
fn pending(id: &str, action: &str, ops: Vec<Value>) -> Value {
    json!({"state": "pending", "id": id, "time": "2026-01-01T00:00:00Z", "user": "root",
           "uid": 0, "pid": 4242, "action": action, "ops": ops})
}

fn applied(id: &str) -> Value {
    json!({"state": "applied", "id": id, "time": "2026-01-01T00:00:01Z"})
}

/// One op (src/store/apply.rs `OpRecord`).
fn op(kind: &str, path: &str, existed: bool, other: Option<&str>, saved: Option<&str>) -> Value {
    json!({"kind": kind, "path": path, "other": other, "mode": "0600", "secret": false,
           "existed": existed, "saved": saved, "tmp": null, "size": null, "sha256": null})
}

const PLANTED: &str = "20260101T000000Z-4242-0";

/// Bounded, and no damage; problems are collected so one run reports every broken promise.
fn judge(scene: &Scene, what: &str, o: &Outcome, problems: &mut Vec<String>) {
    if !o.bounded() {
        problems.push(format!("{what}: not bounded: {}", o.brief()));
    }
    for d in scene.damage() {
        problems.push(format!("{what}: {d}\n  run: {}", o.brief()));
    }
}

fn refused_naming(what: &str, o: &Outcome, names: &[&str], problems: &mut Vec<String>) {
    if !o.refused() {
        problems.push(format!("{what}: must be refused: {}", o.brief()));
    } else if !names.iter().any(|n| o.stderr.contains(n)) {
        problems.push(format!(
            "{what}: refusal must name one of {names:?}: {}",
            o.brief()
        ));
    }
}

/// The opt-in must exist: an "unexpected argument" from clap proves nothing about safety.
fn opt_in_accepted(what: &str, o: &Outcome, problems: &mut Vec<String>) {
    if o.stderr.contains("unexpected argument") || o.stderr.contains("unknown field") {
        problems.push(format!(
            "{what}: the safe-store opt-in is not accepted: {}",
            o.brief()
        ));
    }
}

fn report(problems: Vec<String>) {
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n\n"));
}

/// The restore+write pair that, replayed, swaps the decoy's config for the attacker's file:
/// the newer op's `saved` pulls decoy/target.conf into the store, the older op's `other`
/// then sends the attacker's evil.conf out to its place.
fn plant_restore_through_history_link(s: &Scene) {
    std::fs::write(s.p("evil.conf"), "attacker's config\n").unwrap();
    s.history_link_to_decoy();
    s.plant(&[pending(
        PLANTED,
        "generate server planted",
        vec![
            op(
                "restore",
                "evil.conf",
                false,
                Some("history/x/target.conf"),
                None,
            ),
            op(
                "write",
                "stash.conf",
                true,
                None,
                Some("history/x/target.conf"),
            ),
        ],
    )]);
}

// 1. A planted pending `restore` whose history path leads outside through history/x.
#[test]
fn planted_restore_through_history_symlink_cannot_touch_outside() {
    let Some(a) = attacker() else { return };
    let mut problems = vec![];
    let cases: [(&str, &[&str]); 3] = [
        ("recover", &["recover"]),
        (
            "a normal write",
            &["generate", "server", "--cn", "w2.example", "--ca", CA_CN],
        ),
        ("recover with the opt-in", &[SAFE_STORE_FLAG, "recover"]),
    ];
    for (what, args) in cases {
        let s = Scene::new(a);
        plant_restore_through_history_link(&s);
        let mut s = s.owned_by_attacker();
        s.seal();
        let o = s.run(args);
        judge(&s, what, &o, &mut problems);
        if args.contains(&SAFE_STORE_FLAG) {
            opt_in_accepted(what, &o, &mut problems);
        }
    }
    report(problems);
}

// 2. A planted `applied` record whose `saved` is history/x/secret.key: undo must not pull the
// outside 0600 key into the store.
#[test]
fn planted_applied_record_cannot_make_undo_import_an_outside_file() {
    let Some(a) = attacker() else { return };
    let mut problems = vec![];
    for opt_in in [false, true] {
        let s = Scene::new(a);
        s.history_link_to_decoy();
        s.plant(&[
            pending(
                PLANTED,
                "import planted",
                vec![op(
                    "write",
                    "loot.key",
                    true,
                    None,
                    Some("history/x/secret.key"),
                )],
            ),
            applied(PLANTED),
        ]);
        let mut s = s.owned_by_attacker();
        s.seal();
        let args: &[&str] = if opt_in {
            &[SAFE_STORE_FLAG, "undo"]
        } else {
            &["undo"]
        };
        let o = s.run(args);
        let what = if opt_in {
            "undo with the opt-in"
        } else {
            "undo"
        };
        judge(&s, what, &o, &mut problems);
        if s.p("loot.key").exists() {
            problems.push(format!("{what}: loot.key appeared in the store"));
        }
        if opt_in {
            opt_in_accepted(what, &o, &mut problems);
        }
    }
    report(problems);
}

// 3. A planted pending `write` with `existed: false` naming the CA key: rolling it back must
// not unlink the key (it stays, or moves to history).
#[test]
fn planted_create_record_cannot_make_recover_delete_the_ca_key() {
    let Some(a) = attacker() else { return };
    let mut problems = vec![];
    let cases: [(&str, &[&str]); 3] = [
        ("recover", &["recover"]),
        ("recover with the opt-in", &[SAFE_STORE_FLAG, "recover"]),
        (
            "a write with the opt-in",
            &[
                SAFE_STORE_FLAG,
                "generate",
                "server",
                "--cn",
                "w3.example",
                "--ca",
                CA_CN,
            ],
        ),
    ];
    for (what, args) in cases {
        let s = Scene::new(a);
        let key_sha = sha256_file(&s.p(CA_KEY));
        s.plant(&[pending(
            PLANTED,
            "generate ca planted",
            vec![op("write", CA_KEY, false, None, None)],
        )]);
        let mut s = s.owned_by_attacker();
        s.seal();
        let o = s.run(args);
        judge(&s, what, &o, &mut problems);
        if !store_files(&s.store).values().any(|d| *d == key_sha) {
            problems.push(format!("{what}: the CA key is gone for good"));
        }
        if args.contains(&SAFE_STORE_FLAG) {
            opt_in_accepted(what, &o, &mut problems);
        }
    }
    report(problems);
}

/// A harmless-looking planted interrupted plan: replaying it would unlink the attacker's file
/// planted.pem (here only to show the journal is obeyed).
fn plant_harmless(s: &Scene) {
    std::fs::write(s.p("planted.pem"), "planted\n").unwrap();
    s.plant(&[pending(
        PLANTED,
        "planted",
        vec![op("write", "planted.pem", false, None, None)],
    )]);
}

/// A way to make a scene's journal someone else's.
type Setup = (&'static str, fn(&Scene));

// 4. history/ or the journal owned by someone else, or group/other-writable: refused with a
// message naming it (git's safe.directory), for writes, undo and recover alike.
#[test]
fn journal_of_another_user_is_refused() {
    let Some(a) = attacker() else { return };
    let mut problems = vec![];
    let setups: [Setup; 3] = [
        ("store and history/ owned by the attacker", |s| {
            s.a.own(&s.store);
            std::fs::remove_file(s.p(".certdeck.lock")).unwrap();
        }),
        ("root-owned history/ that is mode 0777", |s| {
            std::fs::set_permissions(s.p("history"), std::fs::Permissions::from_mode(0o777))
                .unwrap()
        }),
        (
            "root-owned history/ with a journal owned by the attacker",
            |s| s.a.own(&s.journal()),
        ),
    ];
    for (setup, make) in setups {
        for args in [
            &["generate", "server", "--cn", "r.example", "--ca", CA_CN][..],
            &["undo"][..],
            &["recover"][..],
        ] {
            let mut s = Scene::new(a);
            plant_harmless(&s);
            make(&s);
            s.seal();
            let o = s.run(args);
            let what = format!("{setup}: {}", args[0]);
            judge(&s, &what, &o, &mut problems);
            refused_naming(&what, &o, &["history", "journal"], &mut problems);
        }
    }
    report(problems);
}

// 4, opted in: the flag and the config's safe_stores let an admin use such a store; even then
// the planted record cannot reach outside.
#[test]
fn opted_in_store_of_another_user_works_but_planted_records_stay_harmless() {
    let Some(a) = attacker() else { return };
    let mut problems = vec![];
    // A clean journal (only certdeck's own lines), store owned by the attacker.
    let mut s = Scene::new(a).owned_by_attacker();
    s.seal();
    let o = s.run(&[
        SAFE_STORE_FLAG,
        "generate",
        "server",
        "--cn",
        "o1.example",
        "--ca",
        CA_CN,
    ]);
    s.ok_or_problem(&o, &mut problems);
    judge(&s, "--safe-store generate", &o, &mut problems);

    let cfg = s.root.join("config.toml");
    std::fs::write(&cfg, format!("safe_stores = [{:?}]\n", s.s())).unwrap();
    let o = s.run(&[
        "--config",
        cfg.to_str().unwrap(),
        "generate",
        "server",
        "--cn",
        "o2.example",
        "--ca",
        CA_CN,
    ]);
    s.ok_or_problem(&o, &mut problems);
    judge(&s, "safe_stores generate", &o, &mut problems);

    // Opted in, with the scenario-1 record planted.
    let s = Scene::new(a);
    plant_restore_through_history_link(&s);
    let mut s = s.owned_by_attacker();
    s.seal();
    let o = s.run(&[
        SAFE_STORE_FLAG,
        "generate",
        "server",
        "--cn",
        "o3.example",
        "--ca",
        CA_CN,
    ]);
    judge(
        &s,
        "--safe-store generate with a planted record",
        &o,
        &mut problems,
    );
    opt_in_accepted(
        "--safe-store generate with a planted record",
        &o,
        &mut problems,
    );
    report(problems);
}

/// Swaps every new directory named PREFIX* in DIR for a symlink to TARGET, as fast as it can.
const DIR_SWAPPER: &str = r#"
import os, sys, time
d, prefix, target = sys.argv[1], sys.argv[2], sys.argv[3]
print("ready", flush=True)
end = time.time() + 60
while time.time() < end:
    try:
        with os.scandir(d) as it:
            for e in it:
                if e.name.startswith(prefix) and e.is_dir(follow_symlinks=False):
                    try:
                        os.rename(e.path, os.path.join(d, ".stash-" + e.name))
                        os.symlink(target, e.path)
                    except OSError:
                        pass
    except OSError:
        pass
    time.sleep(0.0002)
"#;

/// A root-owned store with `svc/`, a directory the attacker owns inside it (Harper's keys/,
/// a service's ssl dir): certdeck's own history stays root's, so nothing refuses early.
fn scene_with_attacker_dir(a: Attacker) -> Scene {
    let s = Scene::new(a);
    std::fs::create_dir(s.p("svc")).unwrap();
    a.own(&s.p("svc"));
    s
}

// 5. mkdir, then chmod by path: the new directory swapped for a symlink to the outside key
// in between. Each `trust --dir svc/tN` (a 0755 directory, made 0700 by umask 077, so it is
// chmodded) runs with mkdir's exit delayed 20 ms.
#[test]
fn directory_swapped_between_mkdir_and_chmod_cannot_rechmod_outside() {
    let Some(a) = attacker() else { return };
    let mut problems = vec![];
    let mut s = scene_with_attacker_dir(a);
    let target = s.decoy.dir.join("secret.key");
    s.seal();
    let mut racer = Racer::start(
        &a,
        &s.root,
        DIR_SWAPPER,
        &[s.p("svc").to_str().unwrap(), "t", target.to_str().unwrap()],
    );
    let o = Bounded {
        umask: Some(0o077),
        strace_delay: Some(("mkdir,mkdirat", 20_000)),
        ..s.opts()
    };
    let start = Instant::now();
    let mut succeeded = 0;
    for i in 0..50 {
        let dir = format!("svc/t{i}");
        let out = s.run_with(&["trust", CA_CERT, "--dir", &dir], &o);
        succeeded += out.ok() as u32;
        if !out.bounded() {
            problems.push(format!("run {i} not bounded: {}", out.brief()));
            break;
        }
        let d = s.decoy.changes();
        if !d.is_empty() {
            problems.push(format!(
                "run {i}: outside the store: {d:?}\n  run: {}",
                out.brief()
            ));
            break;
        }
        if start.elapsed() > Duration::from_secs(15) {
            break;
        }
    }
    assert!(racer.alive(), "the racer died: the test proves nothing");
    drop(racer);
    let swapped = std::fs::read_dir(s.p("svc"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".stash-")
        })
        .count();
    // A certdeck that refuses every run (e.g. will not write into a directory another user
    // owns) gives the racer nothing to win; one that succeeds unraced proved nothing.
    assert!(
        swapped > 0 || succeeded == 0,
        "the racer never won a swap ({succeeded} runs succeeded): the test proves nothing"
    );
    for d in s.damage() {
        problems.push(d);
    }
    report(problems);
}

/// Swaps DIR/NAME (a real directory) with DIR/NAME-link (a symlink outside) back and forth,
/// atomically (renameat2 RENAME_EXCHANGE), dwelling REAL and LINK seconds in each state.
const EXCHANGER: &str = r#"
import ctypes, os, sys, time
d, name = sys.argv[1], sys.argv[2]
real, link = float(sys.argv[3]), float(sys.argv[4])
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_EXCHANGE = -100, 2
a = os.path.join(d, name).encode()
b = os.path.join(d, name + "-link").encode()
print("ready", flush=True)
end = time.time() + 60
while time.time() < end:
    libc.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)
    time.sleep(link)
    libc.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)
    time.sleep(real)
"#;

// 6. Check, then use: `key encrypt` of svc/keys/kN.key while the attacker flips svc/keys to a
// symlink to an outside directory holding files of the same names. lstat calls return 3 ms
// late, widening the window between each check and the use that follows it (1 ms in each
// state: today's code lost within 1-25 runs in 8 of 8 tries; 0.3 ms took up to 40 runs).
#[test]
fn folder_swapped_during_key_encrypt_cannot_redirect_the_write() {
    let Some(a) = attacker() else { return };
    const KEYS: usize = 40;
    let mut problems = vec![];
    let mut s = scene_with_attacker_dir(a);
    std::fs::create_dir(s.p("svc/keys")).unwrap();
    std::fs::create_dir(s.decoy.dir.join("sub/keys")).unwrap();
    for i in 0..KEYS {
        let out = std::process::Command::new("openssl")
            .args([
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        let p = s.p(&format!("svc/keys/k{i}.key"));
        std::fs::write(&p, &out.stdout).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        s.decoy.add(
            &format!("sub/keys/k{i}.key"),
            format!("outside key {i}\n").as_bytes(),
        );
    }
    symlink(s.decoy.dir.join("sub/keys"), s.p("svc/keys-link")).unwrap();
    a.own(&s.p("svc"));
    s.seal();
    let mut racer = Racer::start(
        &a,
        &s.root,
        EXCHANGER,
        &[s.p("svc").to_str().unwrap(), "keys", "0.001", "0.001"],
    );
    let o = Bounded {
        env: vec![("CERTDECK_NEW_PASSPHRASE", "correct horse".into())],
        strace_delay: Some(("statx,newfstatat,lstat", 3_000)),
        ..s.opts()
    };
    let start = Instant::now();
    let (mut next, mut encrypted, mut runs) = (0, 0, 0);
    while next < KEYS && start.elapsed() < Duration::from_secs(18) {
        let sel = format!("svc/keys/k{next}.key");
        let out = s.run_with(&["key", "encrypt", &sel], &o);
        runs += 1;
        if !out.bounded() {
            problems.push(format!("{sel}: not bounded: {}", out.brief()));
            break;
        }
        if out.ok() {
            encrypted += 1;
            next += 1;
        } else if runs % 3 == 0 {
            next += 1;
        }
        let d = s.decoy.changes();
        if !d.is_empty() {
            problems.push(format!(
                "{sel}: outside the store: {d:?}\n  run: {}",
                out.brief()
            ));
            break;
        }
    }
    assert!(racer.alive(), "the racer died: the test proves nothing");
    drop(racer);
    eprintln!("key encrypt race: {runs} runs, {encrypted} encrypted");
    for d in s.damage() {
        problems.push(d);
    }
    // No outside file hard-linked into the store's history.
    for (p, e) in snapshot(&s.decoy.dir) {
        if e.kind == "file" && e.nlink != 1 {
            problems.push(format!("{} has {} links", p.display(), e.nlink));
        }
    }
    if problems.is_empty() {
        assert!(runs >= 3, "too few runs ({runs}) to race");
    }
    report(problems);
}

/// Timeout for each journal-DoS command: a hang is killed after this.
const DOS_TIMEOUT: Duration = Duration::from_secs(8);

fn dos_opts(s: &Scene) -> Bounded<'_> {
    Bounded {
        timeout: DOS_TIMEOUT,
        ..s.opts()
    }
}

/// A journal that is not a regular file (planted by the attacker who owns the store):
/// a write and undo end at once, refused naming the journal, in little memory; with the
/// opt-in too (its checks do not depend on ownership).
fn journal_not_a_file(make: fn(&Path)) {
    let Some(a) = attacker() else { return };
    let mut problems = vec![];
    let s = Scene::new(a);
    std::fs::remove_file(s.journal()).unwrap();
    make(&s.journal());
    let mut s = s.owned_by_attacker();
    s.seal();
    for args in [
        &["generate", "server", "--cn", "d.example", "--ca", CA_CN][..],
        &["undo"][..],
        &[
            SAFE_STORE_FLAG,
            "generate",
            "server",
            "--cn",
            "d.example",
            "--ca",
            CA_CN,
        ][..],
        &[SAFE_STORE_FLAG, "undo"][..],
    ] {
        let o = s.run_with(args, &dos_opts(&s));
        let what = args.join(" ");
        judge(&s, &what, &o, &mut problems);
        refused_naming(&what, &o, &["journal", "history"], &mut problems);
        if o.peak_rss_kb > 200 * 1024 {
            problems.push(format!("{what}: peak RSS {} MB", o.peak_rss_kb / 1024));
        }
    }
    report(problems);
}

// 7a. history/journal.jsonl -> /dev/zero.
#[test]
fn journal_symlink_to_dev_zero_is_refused_quickly() {
    journal_not_a_file(|p| symlink("/dev/zero", p).unwrap());
}

// 7b. history/journal.jsonl a fifo (nobody writes: an open for reading blocks forever).
#[test]
fn journal_fifo_is_refused_without_hanging() {
    journal_not_a_file(|p| {
        let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
        // SAFETY: a valid C string path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    });
}

/// A root-owned store whose journal got a damaged line: unrelated writes and undo still work.
fn bad_line_is_not_fatal(bytes: &[u8]) {
    let Some(a) = attacker() else { return };
    let mut problems = vec![];
    let mut s = Scene::new(a);
    s.append_journal(bytes);
    s.seal();
    for (i, args) in [
        &["generate", "server", "--cn", "b1.example", "--ca", CA_CN][..],
        &["undo"][..],
        &["generate", "client", "--cn", "b2.example", "--ca", CA_CN][..],
    ]
    .into_iter()
    .enumerate()
    {
        let o = s.run_with(args, &dos_opts(&s));
        let what = format!("step {i}: {}", args.join(" "));
        judge(&s, &what, &o, &mut problems);
        s.ok_or_problem(&o, &mut problems);
    }
    report(problems);
}

// 7c. One invalid UTF-8 byte on a line of its own.
#[test]
fn journal_line_with_invalid_utf8_is_skipped() {
    bad_line_is_not_fatal(b"{\"state\":\"applied\",\"id\":\"bad-\xff-id\",\"time\":\"x\"}\n");
}

// 7d. A torn last line (a crash mid-append) cut inside a two-byte character, no newline.
#[test]
fn journal_torn_inside_a_multibyte_char_is_skipped() {
    bad_line_is_not_fatal(
        b"{\"state\":\"pending\",\"id\":\"20260101T000000Z-1-0\",\"action\":\"caf\xc3",
    );
}

// 7e. A 32 MB journal of valid lines: a write and undo stay within 2.5x its size in memory
// (today's read-it-all costs 4x: 200 MB for 50 MB; a line-by-line reader needs a few MB more
// than the 40 MB an ordinary write takes).
#[test]
fn large_journal_is_read_in_bounded_memory() {
    let Some(a) = attacker() else { return };
    const SIZE_MB: usize = 32;
    const LIMIT_MB: u64 = 80;
    let mut problems = vec![];
    let mut s = Scene::new(a);
    let mut buf = String::with_capacity((SIZE_MB + 1) << 20);
    let mut i = 0;
    while buf.len() < SIZE_MB << 20 {
        let id = format!("20250101T000000Z-{i}-0");
        let rec = pending(
            &id,
            &format!("generate server pad{i}"),
            vec![op("write", &format!("pad/p{i}.pem"), false, None, None)],
        );
        buf.push_str(&rec.to_string());
        buf.push('\n');
        buf.push_str(&applied(&id).to_string());
        buf.push('\n');
        i += 1;
    }
    // Certdeck's own lines must stay last (undo reverses the newest plan): pad before them.
    let own = std::fs::read(s.journal()).unwrap();
    std::fs::write(s.journal(), buf.as_bytes()).unwrap();
    s.append_journal(&own);
    drop(buf);
    s.seal();
    for args in [
        &["generate", "server", "--cn", "l.example", "--ca", CA_CN][..],
        &["undo"][..],
    ] {
        let o = s.run_with(
            args,
            &Bounded {
                timeout: Duration::from_secs(30),
                ..s.opts()
            },
        );
        let what = args.join(" ");
        judge(&s, &what, &o, &mut problems);
        eprintln!(
            "{what}: peak RSS {} MB, {:.1}s",
            o.peak_rss_kb / 1024,
            o.elapsed.as_secs_f64()
        );
        if o.peak_rss_kb > LIMIT_MB * 1024 {
            problems.push(format!(
                "{what}: peak RSS {} MB with a {SIZE_MB} MB journal (limit {LIMIT_MB} MB)",
                o.peak_rss_kb / 1024
            ));
        }
    }
    report(problems);
}

// 8a. .certdeck.lock a hard link to an outside file. protected_hardlinks=1 stops an attacker
// from linking a root-owned 0600 file they cannot read, so root makes the link here; the same
// link to a file the attacker can read, or on a system without the protection, is theirs.
#[test]
fn lock_file_hard_linked_outside_is_not_truncated() {
    let Some(a) = attacker() else { return };
    let mut problems = vec![];
    let mut s = Scene::new(a);
    std::fs::remove_file(s.p(".certdeck.lock")).unwrap();
    std::fs::hard_link(s.decoy.dir.join("secret.key"), s.p(".certdeck.lock")).unwrap();
    s.seal();
    let o = s.run(&["generate", "server", "--cn", "k.example", "--ca", CA_CN]);
    judge(&s, "generate", &o, &mut problems);
    refused_naming("generate", &o, &[".certdeck.lock"], &mut problems);
    report(problems);
}

// 8b. A lock file owned by another user is refused, not used (nor its content shown as a pid).
#[test]
fn lock_file_owned_by_another_user_is_refused() {
    let Some(a) = attacker() else { return };
    let mut problems = vec![];
    let mut s = Scene::new(a);
    std::fs::write(s.p(".certdeck.lock"), "1\n").unwrap();
    a.own(&s.p(".certdeck.lock"));
    s.seal();
    let o = s.run(&["generate", "server", "--cn", "k.example", "--ca", CA_CN]);
    judge(&s, "generate", &o, &mut problems);
    refused_naming("generate", &o, &[".certdeck.lock"], &mut problems);
    report(problems);
}

// 9. A real interrupted plan, rolled back by the next write: that write says so on stderr.
#[test]
fn recovery_by_a_write_is_reported_on_stderr() {
    let Some(a) = attacker() else { return };
    let mut problems = vec![];
    let mut s = Scene::new(a);
    let o = s.run_with(
        &["generate", "server", "--cn", "f1.example", "--ca", CA_CN],
        &Bounded {
            env: vec![("CERTDECK_FAULT_AFTER_OPS", "1".into())],
            ..s.opts()
        },
    );
    assert!(
        o.bounded() && o.code.is_none(),
        "the fault did not abort: {}",
        o.brief()
    );
    let journal = std::fs::read_to_string(s.journal()).unwrap();
    let last: Value = serde_json::from_str(journal.lines().last().unwrap()).unwrap();
    assert_eq!(last["state"], "pending", "{journal}");
    let id = last["id"].as_str().unwrap().to_string();
    s.seal();
    let o = s.run(&["generate", "server", "--cn", "f2.example", "--ca", CA_CN]);
    judge(&s, "the next write", &o, &mut problems);
    s.ok_or_problem(&o, &mut problems);
    if !o.stderr.contains(&id) {
        problems.push(format!(
            "the next write rolled back {id} without saying so on stderr: {}",
            o.brief()
        ));
    }
    report(problems);
}

// 10. export: not over the CA key (or only through a plan, with history), not over an outside
// file without --force; --read-only export and demo write nothing; demo refuses an existing
// directory owned by someone else.
#[test]
fn export_and_demo_respect_the_store_and_read_only() {
    let Some(a) = attacker() else { return };
    let mut problems = vec![];
    let mut s = Scene::new(a);
    s.seal();
    let key_before = std::fs::read(s.p(CA_KEY)).unwrap();
    let key_out = s.p(CA_KEY);
    let o = s.run(&[
        "export",
        CA_CERT,
        "--format",
        "pem",
        "--out",
        key_out.to_str().unwrap(),
    ]);
    judge(&s, "export over the CA key", &o, &mut problems);
    let journal = std::fs::read_to_string(s.journal()).unwrap_or_default();
    if std::fs::read(s.p(CA_KEY)).unwrap() != key_before && !journal.contains(CA_KEY) {
        problems.push(format!(
            "export replaced the CA key (now mode {:04o}) with no journal record: {}",
            std::fs::metadata(s.p(CA_KEY)).unwrap().mode() & 0o7777,
            o.brief()
        ));
    }

    let outside = s.decoy.dir.join("target.conf");
    let o = s.run(&[
        "export",
        CA_CERT,
        "--format",
        "pem",
        "--out",
        outside.to_str().unwrap(),
    ]);
    judge(&s, "export over an outside file", &o, &mut problems);
    if !o.refused() {
        problems.push(format!(
            "export over an existing outside file without --force: {}",
            o.brief()
        ));
    }

    let ro_out = s.root.join("ro-export.pem");
    let o = s.run(&[
        "--read-only",
        "export",
        CA_CERT,
        "--format",
        "pem",
        "--out",
        ro_out.to_str().unwrap(),
    ]);
    if !o.refused() || ro_out.exists() {
        problems.push(format!(
            "--read-only export wrote (exists: {}): {}",
            ro_out.exists(),
            o.brief()
        ));
    }
    let ro_demo = s.root.join("ro-demo");
    let o = run(
        &["--read-only", "demo", ro_demo.to_str().unwrap(), "--no-tui"],
        &s.opts(),
    );
    if !o.refused() || ro_demo.exists() {
        problems.push(format!(
            "--read-only demo wrote (exists: {}): {}",
            ro_demo.exists(),
            o.brief()
        ));
    }

    let theirs = s.root.join("theirs");
    std::fs::create_dir(&theirs).unwrap();
    a.own(&theirs);
    let o = run(&["demo", theirs.to_str().unwrap(), "--no-tui"], &s.opts());
    let left = std::fs::read_dir(&theirs).unwrap().count();
    if !o.refused() || left != 0 {
        problems.push(format!(
            "demo into an empty directory owned by {USER} must be refused ({left} entries made): {}",
            o.brief()
        ));
    }
    report(problems);
}

// 11. A certificate whose CN holds terminal escapes and a newline that forges a plan line.
#[test]
fn control_characters_in_a_cn_never_reach_the_terminal() {
    let Some(a) = attacker() else { return };
    const FORGED: &str = "create  /etc/shadow";
    let mut problems = vec![];
    let s = Scene::new(a);
    let cn = "evil\x1b]0;PWNED\x07\x1b[2J\x1b[1A\n  create  \\/etc\\/shadow  (0644)";
    let out = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ])
        .args(["-keyout", "/dev/null", "-out"])
        .arg(s.p("evil.pem"))
        .args(["-utf8", "-days", "30", "-subj", &format!("/CN={cn}")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let subject = std::process::Command::new("openssl")
        .args([
            "x509",
            "-noout",
            "-subject",
            "-nameopt",
            "utf8,-esc_ctrl",
            "-in",
        ])
        .arg(s.p("evil.pem"))
        .output()
        .unwrap();
    assert!(
        subject.stdout.contains(&0x1b),
        "openssl dropped the escapes: the test proves nothing"
    );
    for args in [
        &["list"][..],
        &["list", "--no-verify"][..],
        &["show", "evil.pem"][..],
        &["audit"][..],
        &["trust", "evil.pem", "--dry-run"][..],
    ] {
        let o = s.run(args);
        let what = args.join(" ");
        if !o.bounded() {
            problems.push(format!("{what}: not bounded: {}", o.brief()));
        }
        for (stream, raw) in [("stdout", &o.stdout_raw), ("stderr", &o.stderr_raw)] {
            for (b, name) in [(0x1bu8, "ESC"), (0x07, "BEL")] {
                if raw.contains(&b) {
                    problems.push(format!("{what}: raw {name} on {stream}"));
                }
            }
            let text = String::from_utf8_lossy(raw);
            if text.lines().any(|l| l.trim_start().starts_with(FORGED)) {
                problems.push(format!("{what}: a forged line `{FORGED}` on {stream}"));
            }
        }
    }
    report(problems);
}

// 12. Control: a store owned by the running user (root) works as before.
#[test]
fn ordinary_store_of_the_running_user_still_works() {
    let Some(a) = attacker() else { return };
    let mut problems = vec![];
    let mut s = Scene::new(a);
    s.seal();
    let export = s.root.join("exported.pem");
    let steps: Vec<Vec<&str>> = vec![
        vec!["generate", "server", "--cn", "ctl.example", "--ca", CA_CN],
        vec!["generate", "client", "--cn", "ctl-client", "--ca", CA_CN],
        vec!["trust", CA_CERT],
        vec!["trust", "ctl-client.pem"],
        vec!["revoke", "ctl-client.pem"],
        vec![
            "export",
            "ctl.example.pem",
            "--format",
            "fullchain",
            "--out",
            export.to_str().unwrap(),
        ],
        vec!["undo"],
        vec!["recover"],
    ];
    for args in &steps {
        let o = s.run(args);
        judge(&s, &args.join(" "), &o, &mut problems);
        s.ok_or_problem(&o, &mut problems);
    }
    if !export.exists() {
        problems.push("export wrote nothing".into());
    }
    // A crash, then recover rolls it back and says which plan.
    let o = s.run_with(
        &["generate", "server", "--cn", "crash.example", "--ca", CA_CN],
        &Bounded {
            env: vec![("CERTDECK_FAULT_AFTER_OPS", "1".into())],
            ..s.opts()
        },
    );
    if o.code.is_some() {
        problems.push(format!("the fault did not abort: {}", o.brief()));
    }
    let o = s.run(&["recover"]);
    s.ok_or_problem(&o, &mut problems);
    if !o.stdout.contains("rolled back") {
        problems.push(format!("recover after a crash: {}", o.brief()));
    }
    let o = s.run(&["generate", "server", "--cn", "crash.example", "--ca", CA_CN]);
    s.ok_or_problem(&o, &mut problems);
    judge(&s, "after recovery", &o, &mut problems);
    report(problems);
}
