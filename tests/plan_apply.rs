//! The write path: plans applied atomically with history, journal, rollback, undo, crash
//! recovery and the store lock. Every test works in its own temp store.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{symlink, MetadataExt};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use certdeck::store::apply::{ApplyError, FAULT_ENV};
use certdeck::store::handle::{WritableStore, WriteOpenError};
use certdeck::store::history::{read_journal, Record};
use certdeck::store::plan::{Op, Plan};
use zeroize::Zeroizing;

const SECRET: &[u8] =
    b"-----BEGIN PRIVATE KEY-----\nTOP-SECRET-KEY-BYTES\n-----END PRIVATE KEY-----\n";

/// Everything outside `history/` and the lock file: kind, mode, contents or link target.
fn snapshot(root: &Path) -> BTreeMap<String, (char, u32, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, (char, u32, Vec<u8>)>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if rel == "history" || rel == ".certdeck.lock" {
                continue;
            }
            let m = fs::symlink_metadata(&p).unwrap();
            let mode = m.mode() & 0o7777;
            if m.file_type().is_symlink() {
                let t = fs::read_link(&p).unwrap();
                out.insert(rel, ('l', mode, t.to_string_lossy().as_bytes().to_vec()));
            } else if m.is_dir() {
                out.insert(rel, ('d', mode, vec![]));
                walk(root, &p, out);
            } else {
                out.insert(rel, ('f', mode, fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn mode(p: &Path) -> u32 {
    fs::symlink_metadata(p).unwrap().mode() & 0o7777
}

/// a.pem, b.pem, trusted/ with a link to a.pem.
fn sample_store() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("a.pem"), b"old a").unwrap();
    fs::write(d.path().join("b.pem"), b"old b").unwrap();
    fs::create_dir(d.path().join("trusted")).unwrap();
    symlink("../a.pem", d.path().join("trusted/x.0")).unwrap();
    d
}

fn secret() -> Zeroizing<Vec<u8>> {
    Zeroizing::new(SECRET.to_vec())
}

fn last_records(root: &Path, n: usize) -> Vec<Record> {
    let j = read_journal(root).unwrap();
    j[j.len() - n..].to_vec()
}

#[test]
fn apply_creates_files_with_exact_modes() {
    let d = tempfile::tempdir().unwrap();
    let mut plan = Plan::new("generate api");
    plan.push(Op::write_public("servers/api.pem", b"cert".to_vec()))
        .push(Op::write_secret("private/api.key", secret()));
    let plan = plan.with_missing_dirs(d.path());
    let text = plan.preview_text(d.path());
    assert!(
        text.contains("create  private/api.key  (0600, secret)"),
        "{text}"
    );
    assert!(text.contains("mkdir   private  (0700)"), "{text}");

    let ws = WritableStore::open(d.path()).unwrap();
    let report = ws.apply(&plan).unwrap();
    let r = ws.root();
    assert_eq!(mode(&r.join("private")), 0o700);
    assert_eq!(mode(&r.join("private/api.key")), 0o600);
    assert_eq!(mode(&r.join("servers")), 0o755);
    assert_eq!(mode(&r.join("servers/api.pem")), 0o644);
    assert_eq!(fs::read(r.join("private/api.key")).unwrap(), SECRET);
    // Keys before certs: the secret write is applied right after the directories.
    let verbs: Vec<_> = report
        .ops
        .iter()
        .map(|l| (l.verb.as_str(), l.path.as_str()))
        .collect();
    assert_eq!(
        verbs,
        [
            ("mkdir", "servers"),
            ("mkdir", "private"),
            ("create", "private/api.key"),
            ("create", "servers/api.pem")
        ]
    );
    assert_eq!(mode(&r.join("history")), 0o700);
    assert_eq!(mode(&r.join("history/journal.jsonl")), 0o600);
}

#[test]
fn replace_moves_old_to_history_and_journals_begin_and_commit() {
    let d = sample_store();
    let ws = WritableStore::open(d.path()).unwrap();
    let mut plan = Plan::new("renew a");
    plan.push(Op::write_public("a.pem", b"new a".to_vec()));
    assert!(plan
        .preview_text(ws.root())
        .contains("replace a.pem  (0644, 5 bytes; old -> history)"));
    let report = ws.apply(&plan).unwrap();
    let r = ws.root();
    assert_eq!(fs::read(r.join("a.pem")).unwrap(), b"new a");
    assert_eq!(
        fs::read(r.join(&report.history_dir).join("a.pem")).unwrap(),
        b"old a"
    );
    match &last_records(r, 2)[..] {
        [Record::Pending {
            id, action, ops, ..
        }, Record::Applied { id: id2, .. }] => {
            assert_eq!(id, &report.id);
            assert_eq!(id2, &report.id);
            assert_eq!(action, "renew a");
            assert!(ops[0].existed);
        }
        other => panic!("{other:?}"),
    }
    // No temp files left behind.
    assert!(!snapshot(r).keys().any(|k| k.contains(".certdeck-tmp-")));
}

#[test]
fn failure_mid_plan_leaves_store_byte_identical() {
    let d = sample_store();
    let outside = tempfile::tempdir().unwrap();
    symlink(outside.path(), d.path().join("evil")).unwrap();
    let ws = WritableStore::open(d.path()).unwrap();
    let before = snapshot(ws.root());

    // A write through a symlinked directory is refused before anything changes.
    let mut plan = Plan::new("escape");
    plan.push(Op::write_public("a.pem", b"new a".to_vec()))
        .push(Op::write_public("evil/x.pem", b"escape".to_vec()));
    let err = ws.apply(&plan).unwrap_err();
    assert!(matches!(&err, ApplyError::Invalid(_)), "{err}");
    assert!(err.to_string().contains("symlink"), "{err}");
    assert_eq!(snapshot(ws.root()), before);
    assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);

    // A failure part-way (removing a directory that is not empty) rolls back what was done.
    let mut plan = Plan::new("bad");
    plan.push(Op::write_public("a.pem", b"new a".to_vec()))
        .push(Op::write_public("c.pem", b"new c".to_vec()))
        .push(Op::RmDir {
            path: "trusted".into(),
        })
        .push(Op::MoveToHistory {
            path: "b.pem".into(),
        });
    let err = ws.apply(&plan).unwrap_err();
    assert!(
        matches!(&err, ApplyError::Failed { op, .. } if op.contains("trusted")),
        "{err}"
    );
    assert_eq!(snapshot(ws.root()), before);
    assert!(matches!(
        &last_records(ws.root(), 1)[0],
        Record::RolledBack { .. }
    ));
}

#[test]
fn undo_restores_previous_state_exactly() {
    let d = sample_store();
    let ws = WritableStore::open(d.path()).unwrap();
    let before = snapshot(ws.root());
    let mut plan = Plan::new("mixed");
    plan.push(Op::write_public("a.pem", b"new a".to_vec()))
        .push(Op::write_secret("private/k.key", secret()))
        .push(Op::Symlink {
            path: "trusted/x.0".into(),
            target: "../c.pem".into(),
        })
        .push(Op::write_public("c.pem", b"c".to_vec()))
        .push(Op::MoveToHistory {
            path: "b.pem".into(),
        });
    let plan = plan.with_missing_dirs(ws.root());
    let applied = ws.apply(&plan).unwrap();
    assert_ne!(snapshot(ws.root()), before);

    let undo = ws.undo().unwrap();
    assert_eq!(undo.undone_id, applied.id);
    assert_eq!(snapshot(ws.root()), before);
    // What the plan created was moved to history, not deleted.
    let kept = ws.root().join(&undo.applied.history_dir);
    assert_eq!(fs::read(kept.join("private/k.key")).unwrap(), SECRET);
    assert_eq!(mode(&kept.join("private/k.key")), 0o600);
    assert_eq!(fs::read(kept.join("a.pem")).unwrap(), b"new a");
    assert!(matches!(
        &last_records(ws.root(), 1)[0],
        Record::Undone { id, .. } if *id == applied.id
    ));
    assert!(matches!(ws.undo(), Err(ApplyError::NothingToUndo)));
}

#[test]
fn undo_walks_back_one_plan_at_a_time() {
    let d = sample_store();
    let ws = WritableStore::open(d.path()).unwrap();
    let s0 = snapshot(ws.root());
    let mut p1 = Plan::new("one");
    p1.push(Op::write_public("a.pem", b"v1".to_vec()));
    ws.apply(&p1).unwrap();
    let s1 = snapshot(ws.root());
    let mut p2 = Plan::new("two");
    p2.push(Op::write_public("a.pem", b"v2".to_vec()));
    ws.apply(&p2).unwrap();
    assert_eq!(ws.undo().unwrap().undone_action, "two");
    assert_eq!(snapshot(ws.root()), s1);
    assert_eq!(ws.undo().unwrap().undone_action, "one");
    assert_eq!(snapshot(ws.root()), s0);
}

/// Runs only inside the child spawned by `crash_mid_plan_is_rolled_back_at_next_open`.
#[test]
fn crash_child() {
    let Ok(store) = std::env::var("CERTDECK_TEST_CRASH_STORE") else {
        return;
    };
    let ws = WritableStore::open(Path::new(&store)).unwrap();
    let _ = ws.apply(&crash_plan());
    unreachable!("the fault injection should have aborted the process");
}

fn crash_plan() -> Plan {
    let mut plan = Plan::new("crashy");
    plan.push(Op::write_public("a.pem", b"new a".to_vec()))
        .push(Op::write_secret("c.key", secret()))
        .push(Op::MoveToHistory {
            path: "b.pem".into(),
        })
        .push(Op::write_public("d.pem", b"d".to_vec()));
    plan
}

#[test]
fn crash_mid_plan_is_rolled_back_at_next_open() {
    let d = sample_store();
    let before = snapshot(d.path());
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--test-threads=1"])
        .env("CERTDECK_TEST_CRASH_STORE", d.path())
        .env(FAULT_ENV, "3")
        .output()
        .unwrap()
        .status;
    assert!(!status.success());
    // Half-applied: key written, a.pem replaced, b.pem moved; d.pem not yet.
    let mid = snapshot(d.path());
    assert_ne!(mid, before);
    assert!(mid.contains_key("c.key") && !mid.contains_key("b.pem"));
    assert!(!mid.contains_key("d.pem"));
    let pending = match &last_records(d.path(), 1)[0] {
        Record::Pending { id, .. } => id.clone(),
        other => panic!("{other:?}"),
    };

    let ws = WritableStore::open(d.path()).unwrap();
    assert_eq!(ws.recovered().rolled_back, std::slice::from_ref(&pending));
    assert_eq!(snapshot(ws.root()), before);
    assert!(matches!(
        &last_records(ws.root(), 1)[0],
        Record::RolledBack { id, .. } if *id == pending
    ));
    // Nothing left to recover the second time; the rolled-back plan is not undoable.
    drop(ws);
    let ws = WritableStore::open(d.path()).unwrap();
    assert!(ws.recovered().rolled_back.is_empty());
    assert!(matches!(ws.undo(), Err(ApplyError::NothingToUndo)));
}

#[test]
fn second_open_is_refused_with_pid_and_open_wait_gets_it_after_drop() {
    let d = tempfile::tempdir().unwrap();
    let first = WritableStore::open(d.path()).unwrap();
    let err = WritableStore::open(d.path()).unwrap_err();
    assert!(matches!(err, WriteOpenError::Locked { pid: Some(p), .. } if p == std::process::id()));
    let msg = err.to_string();
    assert!(
        msg.contains(&format!(
            "locked by another certdeck (pid {})",
            std::process::id()
        )),
        "{msg}"
    );

    let err = WritableStore::open_wait(d.path(), Duration::from_millis(120)).unwrap_err();
    assert!(err.to_string().contains("gave up after waiting"), "{err}");

    let path = d.path().to_path_buf();
    let waiter =
        std::thread::spawn(move || WritableStore::open_wait(&path, Duration::from_secs(20)));
    std::thread::sleep(Duration::from_millis(300));
    drop(first);
    let second = waiter.join().unwrap().unwrap();
    assert!(second.waited() >= Duration::from_millis(200));
}

#[test]
fn secret_bytes_never_appear_in_previews_reports_or_journal() {
    let d = sample_store();
    let ws = WritableStore::open(d.path()).unwrap();
    let mut plan = Plan::new("key");
    plan.push(Op::write_secret("k.key", secret()))
        .push(Op::write_public("a.pem", b"public".to_vec()));
    let preview = plan.preview_text(ws.root());
    let preview_json = serde_json::to_string(&plan.preview(ws.root())).unwrap();
    let plan_json = serde_json::to_string(&plan).unwrap();
    let debug = format!("{plan:?}");
    let report = serde_json::to_string(&ws.apply(&plan).unwrap()).unwrap();
    let journal = fs::read_to_string(ws.root().join("history/journal.jsonl")).unwrap();
    for s in [
        &preview,
        &preview_json,
        &plan_json,
        &debug,
        &report,
        &journal,
    ] {
        assert!(!s.contains("TOP-SECRET"), "{s}");
        assert!(!s.contains("PRIVATE KEY"), "{s}");
    }
    // Non-secret contents are identified by size and SHA-256.
    assert!(plan_json.contains("\"size\":6"), "{plan_json}");
    assert!(plan_json.contains(&sha256_hex(b"public")), "{plan_json}");
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

#[test]
fn scan_ignores_temp_files_and_history() {
    let d = sample_store();
    fs::write(d.path().join(".certdeck-tmp-x-0"), b"half").unwrap();
    let ws = WritableStore::open(d.path()).unwrap();
    let mut plan = Plan::new("r");
    plan.push(Op::write_public("a.pem", b"new".to_vec()));
    ws.apply(&plan).unwrap();
    let inv = ws.scan(&Default::default());
    assert!(inv
        .items
        .iter()
        .all(|i| !i.path.contains(".certdeck-tmp-") && !i.path.starts_with("history")));
}
