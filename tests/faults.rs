//! Crashes, full disks, read-only filesystems and concurrent admins: the store is always
//! exactly the before or the after state, and errors are clear.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

fn certdeck(store: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_certdeck"));
    c.args(args).arg("--store").arg(store);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Everything a server could see: paths outside history/, with link targets or content hashes.
fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            if rel == "history" || rel == ".certdeck.lock" {
                continue;
            }
            let m = std::fs::symlink_metadata(&p).unwrap();
            let v = if m.file_type().is_symlink() {
                format!("-> {}", std::fs::read_link(&p).unwrap().display())
            } else if m.is_dir() {
                stack.push(p.clone());
                format!("dir {:o}", m.mode() & 0o7777)
            } else {
                format!(
                    "{:o} {}",
                    m.mode() & 0o7777,
                    hex::encode(Sha256::digest(std::fs::read(&p).unwrap()))
                )
            };
            out.insert(rel, v);
        }
    }
    out
}

fn base_store(store: &Path) {
    std::fs::create_dir_all(store).unwrap();
    ok(&certdeck(
        store,
        &["generate", "ca", "--cn", "Fault CA"],
        &[],
    ));
    ok(&certdeck(
        store,
        &["generate", "client", "--cn", "c1", "--ca", "Fault CA"],
        &[],
    ));
}

/// `trust` of a CA is a multi-file plan (cert, CRL, two links). Kill it after every op count:
/// after `recover` the store is exactly the before state, and a retry gives the after state.
#[test]
fn sigkill_at_every_step_of_a_trust_plan_rolls_back_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let clean = tmp.path().join("clean");
    base_store(&clean);
    let dry = certdeck(&clean, &["trust", "Fault CA", "--dry-run", "--json"], &[]);
    ok(&dry);
    let v: serde_json::Value = serde_json::from_slice(&dry.stdout).unwrap();
    let n_ops = v["ops"].as_array().unwrap().len();
    assert!(n_ops >= 4, "{v}");
    for k in 1..n_ops {
        let store = tmp.path().join(format!("s{k}"));
        // Same starting files as `clean` (a copy, so keys and certs are identical).
        Command::new("cp")
            .arg("-a")
            .arg(&clean)
            .arg(&store)
            .status()
            .unwrap();
        let before = snapshot(&store);
        let crashed = certdeck(
            &store,
            &["trust", "Fault CA"],
            &[("CERTDECK_FAULT_AFTER_OPS", &k.to_string())],
        );
        assert!(!crashed.status.success(), "fault {k} did not stop the run");
        let rec = certdeck(&store, &["recover"], &[]);
        ok(&rec);
        assert!(
            String::from_utf8_lossy(&rec.stdout).contains("rolled back"),
            "step {k}: {}",
            String::from_utf8_lossy(&rec.stdout)
        );
        assert_eq!(before, snapshot(&store), "step {k}: not the before state");
        // No temp files left behind where servers look.
        assert!(!snapshot(&store)
            .keys()
            .any(|p| p.contains(".certdeck-tmp-")));
        // And the plan completes afterwards.
        ok(&certdeck(&store, &["trust", "Fault CA"], &[]));
        let after = snapshot(&store);
        assert!(after.keys().any(|p| p.ends_with(".r0")), "{after:?}");
        assert!(after.keys().any(|p| p.ends_with(".0")), "{after:?}");
    }
}

fn mount_tmpfs(dir: &Path, size: &str) -> bool {
    std::fs::create_dir_all(dir).unwrap();
    Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

struct Unmount(std::path::PathBuf);
impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn disk_full_and_read_only_filesystem_leave_the_store_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("mnt");
    if !mount_tmpfs(&mnt, "256k") {
        eprintln!("SKIP: cannot mount tmpfs here (needs root)");
        return;
    }
    let _guard = Unmount(mnt.clone());
    let store = mnt.join("store");
    base_store(&store);
    // Fill the filesystem.
    let mut filler = std::fs::File::create(mnt.join("filler")).unwrap();
    let chunk = vec![0u8; 4096];
    while std::io::Write::write_all(&mut filler, &chunk).is_ok() {}
    let _ = filler.sync_all();
    let before = snapshot(&store);
    let out = certdeck(
        &store,
        &[
            "generate",
            "server",
            "--cn",
            "full.example",
            "--ca",
            "Fault CA",
        ],
        &[],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("No space left") || err.contains("space"),
        "unclear error: {err}"
    );
    assert_eq!(before, snapshot(&store));
    drop(filler);
    std::fs::remove_file(mnt.join("filler")).unwrap();

    // Read-only filesystem.
    let st = Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(&mnt)
        .status()
        .unwrap();
    assert!(st.success());
    let before = snapshot(&store);
    let out = certdeck(&store, &["trust", "Fault CA"], &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Read-only") || err.contains("read-only"),
        "{err}"
    );
    assert_eq!(before, snapshot(&store));
    // Reading still works, and audit is fine on a read-only mount.
    ok(&certdeck(&store, &["list", "--json"], &[]));
}

#[test]
fn two_admins_at_once_are_serialised_by_the_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("s");
    base_store(&store);
    let spawn = |cn: &str| {
        Command::new(env!("CARGO_BIN_EXE_certdeck"))
            .args([
                "generate", "client", "--cn", cn, "--ca", "Fault CA", "--wait", "60",
            ])
            .arg("--store")
            .arg(&store)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let kids: Vec<_> = (0..4).map(|i| spawn(&format!("parallel-{i}"))).collect();
    for k in kids {
        ok(&k.wait_with_output().unwrap());
    }
    for i in 0..4 {
        assert!(store.join(format!("parallel-{i}.pem")).exists());
        assert!(store.join(format!("private/parallel-{i}.key")).exists());
    }
    let journal = std::fs::read_to_string(store.join("history/journal.jsonl")).unwrap();
    let applied = journal
        .lines()
        .filter(|l| l.contains("\"applied\""))
        .count();
    assert_eq!(applied, 2 + 4, "{journal}");

    // With no wait, a second writer says clearly who holds the lock.
    let holder = store.join(".certdeck.lock");
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&holder)
        .unwrap();
    f.lock().unwrap();
    let out = certdeck(
        &store,
        &[
            "generate", "client", "--cn", "blocked", "--ca", "Fault CA", "--wait", "0",
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("locked"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    f.unlock().unwrap();
}

#[test]
fn unreadable_file_is_an_error_item_for_a_non_root_user() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("s");
    base_store(&store);
    std::fs::write(store.join("secret.pem"), b"x").unwrap();
    std::fs::set_permissions(
        store.join("secret.pem"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    // Let `nobody` traverse the temp dirs and run the binary.
    for p in [tmp.path(), store.as_path()] {
        std::fs::set_permissions(p, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    }
    let out = Command::new("setpriv")
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_certdeck"))
        .args(["list", "--json", "--store"])
        .arg(&store)
        .output();
    let Ok(out) = out else {
        eprintln!("SKIP: setpriv not available");
        return;
    };
    if !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("Permission denied") {
        eprintln!("SKIP: nobody cannot run the test binary here");
        return;
    }
    ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = v["items"].as_array().unwrap();
    let secret = items.iter().find(|i| i["path"] == "secret.pem").unwrap();
    assert!(
        secret["error"]
            .as_str()
            .unwrap()
            .contains("permission denied"),
        "{secret}"
    );
    // The private dir (0700, root) is unreadable too; the CA certificate still shows.
    assert!(items.iter().any(|i| i["common_name"] == "Fault CA"));
}
