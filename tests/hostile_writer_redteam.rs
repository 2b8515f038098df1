//! Red-team additions to `tests/hostile_writer.rs` (issue 13): attacks the first suite does not
//! try. Same helpers and rules: the attacker is the real `cdhostile` account, certdeck runs as
//! root, each test fails on the code before its fix. Skipped when not root or without useradd.

#[path = "common/hostile.rs"]
mod hostile;

use std::os::unix::fs::{chown, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hostile::*;
use serde_json::{json, Value};

struct Scene {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    store: PathBuf,
}

impl Scene {
    fn new() -> Scene {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
        let store = root.join("store");
        std::fs::create_dir(&store).unwrap();
        std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o755)).unwrap();
        let s = Scene {
            _tmp: tmp,
            root,
            store,
        };
        s.must(&["generate", "ca", "--cn", CA_CN]);
        s
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

    fn plant(&self, records: &[Value]) {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(self.p("history/journal.jsonl"))
            .unwrap();
        for r in records {
            writeln!(f, "{r}").unwrap();
        }
    }
}

fn root_own(p: &Path) {
    chown(p, Some(0), Some(0)).unwrap();
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().mode() & 0o7777
}

// R1. `--safe-store` (history/ is the attacker's, opted in): a planted interrupted `restore`
// whose `from` identity is a root file in a root-only directory (the attacker can stat it
// there, not write there), and whose history source sits in a directory the attacker made
// under their history/. Rolling it back moved root's file into the attacker's directory,
// from where they deleted it: a file lost from a directory they could not write.
#[test]
fn opted_in_rollback_cannot_move_a_root_file_into_an_attacker_directory() {
    let Some(a) = attacker() else { return };
    let s = Scene::new();
    // The attacker's store, with one root-owned directory they can read but not write.
    a.own(&s.store);
    let _ = std::fs::remove_file(s.p(".certdeck.lock"));
    std::fs::create_dir(s.p("pub")).unwrap();
    std::fs::write(s.p("pub/important.pem"), "root's file\n").unwrap();
    std::fs::set_permissions(s.p("pub"), std::fs::Permissions::from_mode(0o755)).unwrap();
    root_own(&s.p("pub"));
    root_own(&s.p("pub/important.pem"));
    let victim = std::fs::symlink_metadata(s.p("pub/important.pem")).unwrap();
    let sha = sha256_file(&s.p("pub/important.pem"));
    // What the attacker plants: their own directory under history/ and a pending record.
    std::fs::create_dir(s.p("history/drop")).unwrap();
    a.own(&s.p("history/drop"));
    let id = "20260101T000000Z-4242-7";
    s.plant(&[
        json!({"state": "pending", "id": id, "time": "2026-01-01T00:00:00Z",
        "user": "root", "uid": 0, "pid": 4242, "action": "planted",
        "ops": [{"kind": "restore", "path": "pub/important.pem",
                 "other": "history/drop/important.pem", "existed": false,
                 "from": {"dev": victim.dev(), "ino": victim.ino()}}]}),
    ]);
    let o = s.run(&[SAFE_STORE_FLAG, "recover"]);
    assert!(o.bounded(), "{}", o.brief());
    // The attacker empties their directory, as they may.
    let rm = a
        .command("/bin/rm")
        .args(["-f"])
        .arg(s.p("history/drop/important.pem"))
        .status()
        .unwrap();
    assert!(rm.success());
    let kept = store_files(&s.store).values().any(|d| *d == sha);
    assert!(
        kept,
        "root's pub/important.pem was moved out of its root-only directory into one the \
         attacker owns, and deleted there\n  run: {}",
        o.brief()
    );
}

/// Swaps each new directory named PREFIX* in DIR for DIR/VICTIM (a root-owned directory of the
/// same parent: a rename within a directory the attacker owns needs no right on the moved
/// directory), then puts both back.
const SIBLING_SWAPPER: &str = r#"
import os, sys, time
d, prefix, victim = sys.argv[1], sys.argv[2], sys.argv[3]
print("ready", flush=True)
end = time.time() + 60
won = 0
while time.time() < end:
    try:
        with os.scandir(d) as it:
            for e in it:
                if e.name.startswith(prefix) and e.is_dir(follow_symlinks=False):
                    try:
                        os.rename(e.path, os.path.join(d, ".stash-" + e.name))
                        os.rename(os.path.join(d, victim), e.path)
                        time.sleep(0.03)
                        os.rename(e.path, os.path.join(d, victim))
                        os.rename(os.path.join(d, ".stash-" + e.name), e.path)
                        won += 1
                        open(os.path.join(d, ".won"), "w").write(str(won))
                    except OSError:
                        pass
    except OSError:
        pass
    time.sleep(0.0002)
"#;

// R2. mkdir, then fchmod "only if it is ours": the store root is the attacker's, `private/`
// (0700, the CA key) is root's. Between certdeck's mkdir of a new 0755 trust dir and its
// fchmod, the attacker renames private/ into the new directory's place: certdeck checked only
// the owner (root: "ours") and made root's key directory 0755.
#[test]
fn new_directory_swapped_for_a_root_sibling_does_not_change_its_mode() {
    let Some(a) = attacker() else { return };
    let s = Scene::new();
    chown(&s.store, Some(a.uid), Some(a.gid)).unwrap();
    let _ = std::fs::remove_file(s.p(".certdeck.lock"));
    assert_eq!(mode(&s.p("private")), 0o700);
    let mut racer = Racer::start(&a, &s.root, SIBLING_SWAPPER, &[s.s(), "t", "private"]);
    let o = Bounded {
        strace_delay: Some(("mkdir,mkdirat", 20_000)),
        ..s.opts()
    };
    let start = Instant::now();
    let mut changed = None;
    for i in 0..100 {
        let dir = format!("t{i}");
        let out = s.run_with(&["trust", CA_CERT, "--dir", &dir], &o);
        assert!(out.bounded(), "{}", out.brief());
        // Let the racer put private/ back before looking.
        std::thread::sleep(Duration::from_millis(60));
        // One lstat: the racer may still be moving private/ between a check and a second look.
        let now = std::fs::symlink_metadata(s.p("private"))
            .ok()
            .filter(|m| m.is_dir())
            .map(|m| m.mode() & 0o7777);
        if let Some(m) = now.filter(|&m| m != 0o700) {
            changed = Some(format!(
                "run {i}: private/ is now {m:04o}\n  run: {}",
                out.brief()
            ));
            break;
        }
        if start.elapsed() > Duration::from_secs(25) {
            break;
        }
    }
    assert!(racer.alive(), "the racer died: the test proves nothing");
    drop(racer);
    if let Some(c) = changed {
        panic!("{c}");
    }
    assert!(
        s.p(".won").exists(),
        "the racer never swapped a directory: the test proves nothing"
    );
}

// R3. `--safe-store` undo: a planted applied record says a plan replaced the CA key and saved
// the old one at history/<id>/private/hostile-root.key, where the attacker put a key of their
// own (and its identity in the record, which they can read off their file). Undo "restored"
// it: the attacker's file became the CA key inside root's 0700 private/, a directory they
// cannot write. The old key went to history, so nothing was lost, but the attacker wrote
// where they could not.
#[test]
fn opted_in_undo_cannot_restore_an_attacker_file_into_a_root_only_directory() {
    let Some(a) = attacker() else { return };
    let s = Scene::new();
    chown(&s.store, Some(a.uid), Some(a.gid)).unwrap();
    a.own(&s.p("history"));
    let _ = std::fs::remove_file(s.p(".certdeck.lock"));
    assert_eq!(mode(&s.p("private")), 0o700);
    let key_sha = sha256_file(&s.p(CA_KEY));
    let id = "20260101T000000Z-4242-9";
    let planted = s.p(&format!("history/{id}/{CA_KEY}"));
    std::fs::create_dir_all(planted.parent().unwrap()).unwrap();
    std::fs::write(
        &planted,
        "-----BEGIN PRIVATE KEY-----\nATTACKER\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    a.own(&s.p(&format!("history/{id}")));
    let st = std::fs::symlink_metadata(&planted).unwrap();
    s.plant(&[
        json!({"state": "pending", "id": id, "time": "2026-01-01T00:00:00Z",
            "user": "root", "uid": 0, "pid": 4242, "action": "planted",
            "ops": [{"kind": "write", "path": CA_KEY, "existed": true, "secret": true,
                     "saved": format!("history/{id}/{CA_KEY}"),
                     "old": {"dev": st.dev(), "ino": st.ino()}}]}),
        json!({"state": "applied", "id": id, "time": "2026-01-01T00:00:01Z"}),
    ]);
    let o = s.run(&[SAFE_STORE_FLAG, "undo"]);
    assert!(o.bounded(), "{}", o.brief());
    let now = std::fs::symlink_metadata(s.p(CA_KEY)).unwrap();
    assert!(
        now.uid() != a.uid && sha256_file(&s.p(CA_KEY)) == key_sha,
        "the attacker's file is now {CA_KEY} (uid {}) in root's private/\n  run: {}",
        now.uid(),
        o.brief()
    );
}

// R4. The store in a directory the attacker owns (`/home/svc/ssl`, `/home/svc` theirs): the
// attacker replaces `ssl` with a symlink to an /etc-like directory, and root's `generate`
// wrote its key, certificate and history there. The path to the store is input too.
#[test]
fn store_reached_through_an_attacker_directory_is_refused() {
    let Some(a) = attacker() else { return };
    let tmp = tempfile::tempdir().unwrap();
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut decoy = Decoy::new(&tmp.path().join("etc-decoy"));
    decoy.seal();
    let home = tmp.path().join("home");
    std::fs::create_dir(&home).unwrap();
    a.own(&home);
    // What the attacker does in their own directory: `ln -s /etc/... ssl`.
    let ln = a
        .command("/bin/ln")
        .arg("-s")
        .arg(&decoy.dir)
        .arg(home.join("ssl"))
        .status()
        .unwrap();
    assert!(ln.success());
    let store = home.join("ssl");
    let o = Bounded {
        home: Some(tmp.path()),
        ..Bounded::default()
    };
    let out = run(
        &[
            "generate",
            "ca",
            "--cn",
            "Through A Link",
            "--store",
            store.to_str().unwrap(),
        ],
        &o,
    );
    assert!(out.bounded(), "{}", out.brief());
    let changes = decoy.changes();
    assert!(
        changes.is_empty(),
        "outside the store: {changes:?}\n  run: {}",
        out.brief()
    );
    assert!(out.refused(), "must be refused: {}", out.brief());
    assert!(out.stderr.contains("--safe-store"), "{}", out.brief());
    // The attacker's store itself (their directory, in a root-owned parent) still works.
    let own = tmp.path().join("svcstore");
    std::fs::create_dir(&own).unwrap();
    a.own(&own);
    let out = run(
        &[
            "generate",
            "ca",
            "--cn",
            "Own Store",
            "--store",
            own.to_str().unwrap(),
        ],
        &o,
    );
    assert!(out.ok(), "{}", out.brief());
}

// R5. `--safe-store`: a planted interrupted `rmdir` of pub/drop (in root's 0755 pub/) with mode
// "0777". Rolling it back recreated the directory as root, mode 0777, so the attacker could
// write inside root's pub/.
#[test]
fn opted_in_rollback_of_rmdir_never_makes_a_writable_directory() {
    let Some(a) = attacker() else { return };
    let s = Scene::new();
    a.own(&s.store);
    let _ = std::fs::remove_file(s.p(".certdeck.lock"));
    std::fs::create_dir(s.p("pub")).unwrap();
    std::fs::set_permissions(s.p("pub"), std::fs::Permissions::from_mode(0o755)).unwrap();
    root_own(&s.p("pub"));
    let id = "20260101T000000Z-4242-11";
    s.plant(&[
        json!({"state": "pending", "id": id, "time": "2026-01-01T00:00:00Z",
        "user": "root", "uid": 0, "pid": 4242, "action": "planted",
        "ops": [{"kind": "rm-dir", "path": "pub/drop", "mode": "0777", "existed": true}]}),
    ]);
    let o = s.run(&[SAFE_STORE_FLAG, "recover"]);
    assert!(o.bounded(), "{}", o.brief());
    if let Ok(m) = std::fs::symlink_metadata(s.p("pub/drop")) {
        assert_eq!(
            m.mode() & 0o022,
            0,
            "pub/drop recreated {:04o}\n  run: {}",
            m.mode() & 0o7777,
            o.brief()
        );
    }
}
