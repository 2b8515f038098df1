//! Export, demo and --read-only as an admin running certdeck as root meets them (issue 13 items
//! 4, 5, 12): exports into the store are store changes (Plan: journal, history, certbot
//! refusal, no key replaced), exports outside never overwrite or follow a symlink, every write
//! command refuses under --read-only, the demo directory is fresh and private.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// A store with a CA (root-ca.pem, private/root-ca.key) and an outside directory.
fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().canonicalize().unwrap();
    let st = root.join("store");
    let outside = root.join("outside");
    std::fs::create_dir_all(&st).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    cd(&st, &["generate", "ca", "--cn", "Root CA"]).ok();
    (t, st, outside)
}

fn sha(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

fn journal_lines(st: &Path) -> usize {
    std::fs::read_to_string(st.join("history/journal.jsonl"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

#[test]
fn export_into_the_store_is_a_plan_and_never_replaces_a_key() {
    let (_t, st, _) = setup();
    let key = st.join("private/root-ca.key");
    let before = sha(&key);
    let key_s = key.to_str().unwrap();
    for extra in [&[][..], &["--force"][..]] {
        let mut a = vec!["export", "Root CA", "--format", "pem", "--out", key_s];
        a.extend_from_slice(extra);
        let r = cd(&st, &a);
        assert_ne!(r.code, Some(0), "{r:?}");
        assert!(r.stderr.contains("private key"), "{}", r.stderr);
    }
    assert_eq!(sha(&key), before, "the CA key is untouched");
    assert_eq!(mode_of(&key), 0o600);

    // A new file in the store: journaled, undoable.
    let n = journal_lines(&st);
    let copy = st.join("copy.pem");
    cd(
        &st,
        &[
            "export",
            "Root CA",
            "--format",
            "pem",
            "--out",
            copy.to_str().unwrap(),
        ],
    )
    .ok();
    assert_eq!(mode_of(&copy), 0o644);
    assert!(journal_lines(&st) > n, "the export is in the journal");
    // Relative to the working directory, not the store: `store/again.pem` from its parent.
    let r = Command::new(bin())
        .args([
            "export",
            "Root CA",
            "--format",
            "der",
            "--out",
            "store/again.der",
        ])
        .args(["--store", st.to_str().unwrap()])
        .current_dir(st.parent().unwrap())
        .output()
        .unwrap();
    assert!(r.status.success(), "{r:?}");
    assert!(st.join("again.der").is_file());
    // An existing store file: refused, then with --force the old one goes to history.
    let r = cd(
        &st,
        &[
            "export",
            "Root CA",
            "--format",
            "der",
            "--out",
            copy.to_str().unwrap(),
        ],
    );
    assert_ne!(r.code, Some(0));
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    cd(
        &st,
        &[
            "export",
            "Root CA",
            "--format",
            "der",
            "--out",
            copy.to_str().unwrap(),
            "--force",
        ],
    )
    .ok();
    assert!(!sha(&copy).starts_with(b"-----"), "now DER");
    cd(&st, &["undo"]).ok();
    assert!(
        sha(&copy).starts_with(b"-----BEGIN CERTIFICATE"),
        "undo restores it"
    );
}

#[test]
fn export_into_certbot_live_is_refused() {
    let (_t, st, _) = setup();
    std::fs::create_dir_all(st.join("live/site")).unwrap();
    std::fs::create_dir_all(st.join("archive/site")).unwrap();
    let target = st.join("live/site/cert.pem");
    let r = cd(
        &st,
        &[
            "export",
            "Root CA",
            "--format",
            "pem",
            "--out",
            target.to_str().unwrap(),
        ],
    );
    assert_ne!(r.code, Some(0), "{r:?}");
    assert!(r.stderr.contains("certbot"), "{}", r.stderr);
    assert!(!target.exists());
}

#[test]
fn export_outside_never_overwrites_nor_follows_a_symlink() {
    let (_t, st, out) = setup();
    let victim = out.join("victim.conf");
    std::fs::write(&victim, "root's file\n").unwrap();
    let link = out.join("link.pem");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    for target in [&victim, &link] {
        for extra in [&[][..], &["--force"][..]] {
            if target == &victim && !extra.is_empty() {
                continue;
            }
            let mut a = vec![
                "export",
                "Root CA",
                "--format",
                "pem",
                "--out",
                target.to_str().unwrap(),
            ];
            a.extend_from_slice(extra);
            let r = cd(&st, &a);
            assert_ne!(r.code, Some(0), "{a:?} {r:?}");
        }
    }
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "root's file\n");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    // --force on a regular file replaces it by rename (a new inode, the new mode).
    let old = out.join("old.pem");
    std::fs::write(&old, "x").unwrap();
    std::fs::set_permissions(&old, std::os::unix::fs::PermissionsExt::from_mode(0o666)).unwrap();
    let ck = old.to_str().unwrap();
    cd(
        &st,
        &[
            "export", "Root CA", "--format", "cert+key", "--out", ck, "--force",
        ],
    )
    .ok();
    assert_eq!(mode_of(&old), 0o600, "holds a key");
    assert!(std::fs::read_to_string(&old)
        .unwrap()
        .contains("PRIVATE KEY"));
    // A new file with a key is 0600 from the first byte, a certificate 0644.
    let pem = out.join("new.pem");
    cd(
        &st,
        &[
            "export",
            "Root CA",
            "--format",
            "pem",
            "--out",
            pem.to_str().unwrap(),
        ],
    )
    .ok();
    assert_eq!(mode_of(&pem), 0o644);
    // A name with a newline or ESC is refused.
    for bad in ["a\nb.pem", "a\x1b[2Jb.pem"] {
        let p = out.join(bad);
        let r = cd(
            &st,
            &[
                "export",
                "Root CA",
                "--format",
                "pem",
                "--out",
                p.to_str().unwrap(),
            ],
        );
        assert_ne!(r.code, Some(0), "{bad:?}");
        assert!(!p.exists());
    }
}

#[test]
fn read_only_refuses_every_write_command_and_changes_nothing() {
    let (t, st, out) = setup();
    cd(
        &st,
        &[
            "generate",
            "server",
            "--cn",
            "www.example",
            "--ca",
            "Root CA",
        ],
    )
    .ok();
    let csr = write(&out, "x.csr", "not read");
    let before = snapshot(t.path(), &[]);
    let demo_dir = out.join("demo");
    let ext = out.join("export.pem");
    let (csr_s, demo_s, ext_s) = (
        csr.to_str().unwrap(),
        demo_dir.to_str().unwrap(),
        ext.to_str().unwrap(),
    );
    let cmds: Vec<Vec<&str>> = vec![
        vec!["generate", "server", "--cn", "new.example"],
        vec!["generate", "dhparam"],
        vec!["sign", csr_s, "--ca", "Root CA"],
        vec!["import", csr_s],
        vec!["replace-cert", "--cert", csr_s, "--key", csr_s],
        vec!["trust", "Root CA"],
        vec!["revoke", "www.example"],
        vec!["rehash"],
        vec!["export", "Root CA", "--format", "pem", "--out", ext_s],
        vec![
            "export",
            "www.example",
            "--format",
            "cert+key",
            "--out",
            "in-store.pem",
        ],
        vec!["recover"],
        vec!["undo"],
        vec!["demo", demo_s, "--no-tui"],
        vec![
            "keystore",
            "genkeypair",
            "ks.p12",
            "--alias",
            "a",
            "--cn",
            "x",
        ],
        vec![
            "keystore", "certreq", "ks.p12", "--alias", "a", "--out", "x.csr",
        ],
        vec!["keystore", "import-reply", "ks.p12", "--alias", "a", csr_s],
        vec!["keystore", "add-trusted", "ks.p12", "--alias", "a", csr_s],
        vec!["keystore", "passwd", "ks.p12"],
        vec!["key", "passwd", "www.example"],
        vec!["key", "encrypt", "www.example"],
        vec!["key", "decrypt", "www.example"],
    ];
    for c in &cmds {
        let mut a = vec!["--read-only"];
        a.extend_from_slice(c);
        let r = cd(&st, &a);
        assert_eq!(r.code, Some(2), "{a:?} must refuse: {r:?}");
        assert!(r.stderr.contains("read-only"), "{a:?}: {}", r.stderr);
        assert_eq!(snapshot(t.path(), &[]), before, "{a:?} changed something");
    }
    // Reading still works, and a dry run is not a write.
    cd(&st, &["--read-only", "list"]).ok();
    cd(
        &st,
        &[
            "--read-only",
            "generate",
            "server",
            "--cn",
            "n.example",
            "--dry-run",
        ],
    )
    .ok();
    assert_eq!(snapshot(t.path(), &[]), before);
}

#[test]
fn generate_refuses_an_absolute_dir_and_keeps_cert_dirs_readable() {
    let (t, st, _) = setup();
    let abs = t.path().join("elsewhere");
    let r = cd(
        &st,
        &[
            "generate",
            "server",
            "--cn",
            "a.example",
            "--dir",
            abs.to_str().unwrap(),
        ],
    );
    assert_ne!(r.code, Some(0), "{r:?}");
    assert!(r.stderr.contains("relative"), "{}", r.stderr);
    assert!(!st.join(abs.strip_prefix("/").unwrap()).exists());
    for bad in [
        &["generate", "dhparam", "--out", "/tmp/ff.pem"][..],
        &["generate", "dhparam", "--out", "ff\nforged.pem"][..],
        &["trust", "Root CA", "--dir", "/etc/ssl/certs"][..],
        &[
            "keystore",
            "genkeypair",
            "k\n.p12",
            "--alias",
            "a",
            "--cn",
            "x",
        ][..],
    ] {
        let r = cd(&st, bad);
        assert_ne!(r.code, Some(0), "{bad:?} {r:?}");
    }

    // --dir sub: sub holds certificates (0755), sub/private the key (0700).
    cd(
        &st,
        &[
            "generate",
            "server",
            "--cn",
            "b.example",
            "--ca",
            "Root CA",
            "--dir",
            "sub",
        ],
    )
    .ok();
    assert_eq!(mode_of(&st.join("sub")), 0o755);
    assert_eq!(mode_of(&st.join("sub/private")), 0o700);
    // A non-root server reads the certificate, not the key.
    for p in [t.path(), st.as_path()] {
        std::fs::set_permissions(p, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    }
    let as_nobody = |f: &Path| {
        Command::new("setpriv")
            .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "cat"])
            .arg(f)
            .output()
            .unwrap()
    };
    let r = as_nobody(&st.join("sub/b.example.pem"));
    assert!(r.status.success(), "{r:?}");
    assert!(String::from_utf8_lossy(&r.stdout).contains("BEGIN CERTIFICATE"));
    assert!(!as_nobody(&st.join("sub/private/b.example.key"))
        .status
        .success());
}

#[test]
fn reload_child_cannot_read_the_passphrase_from_our_environ() {
    let (t, st, out) = setup();
    let dump = out.join("environ.txt");
    let cfg = t.path().join("config.toml");
    let reload = format!("tr '\\0' '\\n' < /proc/$PPID/environ > {}", dump.display());
    std::fs::write(
        &cfg,
        format!("[stores.web]\npath = {st:?}\nreload_command = {reload:?}\n"),
    )
    .unwrap();
    let r = Command::new(bin())
        .args(["--config", cfg.to_str().unwrap(), "--store", "web"])
        .args([
            "generate",
            "client",
            "--cn",
            "e",
            "--encrypt-key",
            "--reload",
        ])
        .env("CERTDECK_NEW_PASSPHRASE", "sekrit-env-4242")
        .env("CERTDECK_TEST_MARKER", "visible")
        .output()
        .unwrap();
    assert!(r.status.success(), "{r:?}");
    let env = std::fs::read_to_string(&dump).unwrap();
    assert!(env.contains("CERTDECK_TEST_MARKER=visible"), "{env}");
    assert!(!env.contains("sekrit-env-4242"), "{env}");
    // The key was still encrypted with it.
    let o = openssl(
        &st,
        &[
            "pkey",
            "-in",
            "private/e.key",
            "-passin",
            "pass:sekrit-env-4242",
            "-noout",
        ],
    );
    assert!(o.status.success(), "{o:?}");
}

#[test]
fn demo_gets_a_fresh_private_dir_and_refuses_other_peoples() {
    let run = || {
        let r = certdeck(&["demo", "--no-tui"]);
        r.ok();
        PathBuf::from(r.stdout.trim())
    };
    let (a, b) = (run(), run());
    assert_ne!(a, b);
    for d in [&a, &b] {
        let name = d.file_name().unwrap().to_str().unwrap();
        let suffix = name.strip_prefix("certdeck-demo-").unwrap();
        // Not a timestamp: random letters.
        assert!(suffix.parse::<u64>().is_err(), "{name}");
        assert_eq!(mode_of(d), 0o700, "{name}");
        assert!(d.join("ca/root-ca.pem").is_file());
    }
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);

    let t = tempfile::tempdir().unwrap();
    // Owned by another user: refused.
    let theirs = t.path().join("theirs");
    std::fs::create_dir(&theirs).unwrap();
    std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
    let r = certdeck(&["demo", theirs.to_str().unwrap(), "--no-tui"]);
    assert_ne!(r.code, Some(0));
    assert!(r.stderr.contains("owned by"), "{}", r.stderr);
    assert_eq!(std::fs::read_dir(&theirs).unwrap().count(), 0);
    // A symlink to an empty directory: refused.
    let real = t.path().join("real");
    std::fs::create_dir(&real).unwrap();
    let link = t.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let r = certdeck(&["demo", link.to_str().unwrap(), "--no-tui"]);
    assert_ne!(r.code, Some(0));
    assert!(r.stderr.contains("symlink"), "{}", r.stderr);
    assert_eq!(std::fs::read_dir(&real).unwrap().count(), 0);
}

#[test]
fn demo_sets_modes_on_descriptors_never_by_path() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("d");
    let trace = t.path().join("trace");
    let o = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=chmod,fchmodat,openat", "-o"])
        .arg(&trace)
        .arg(bin())
        .args(["demo", "--no-tui"])
        .arg(&d)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let s = std::fs::read_to_string(&trace).unwrap();
    let (mut created, mut keys_created) = (0, 0);
    for l in s.lines() {
        assert!(
            !l.contains("chmod(") && !l.contains("fchmodat"),
            "a mode set by path: {l}"
        );
        if l.contains("O_CREAT") {
            assert!(l.contains("O_EXCL") && l.contains("O_NOFOLLOW"), "{l}");
            created += 1;
            if l.contains(".key\"") || l.contains("privkey.pem") {
                assert!(l.contains("0600"), "{l}");
                keys_created += 1;
            }
        }
    }
    assert_eq!((created, keys_created), (24, 10), "{s}");
    assert_eq!(mode_of(&d.join("ca/private/root-ca.key")), 0o600);
    assert_eq!(mode_of(&d.join("ca/private")), 0o700);
}
