//! Write primitives: path checks, atomic file/link creation, directory fsync, the store lock.
//!
//! Everything here works on paths under a canonical store root. Before touching a path, every
//! ancestor between the root and the file is `lstat`ed and must be a real directory, so a
//! symlinked parent can never redirect a write out of the store; the final component is
//! created with `O_CREAT|O_EXCL|O_NOFOLLOW` at a temp name and renamed into place (rename
//! replaces a symlink, it does not follow it).
//!
//! The helpers that change the filesystem are `pub(crate)`: outside this crate the only way
//! to write is through a `WritableStore`, which holds the lock and journals every change.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Prefix of every temp file certdeck makes; scanners (ours included) skip these names.
pub const TMP_PREFIX: &str = ".certdeck-tmp-";
/// Lock file at the store root.
pub const LOCK_FILE: &str = ".certdeck.lock";

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// Lexical checks on a store-relative path: not empty, not absolute, no `.`/`..`, no temp names.
pub fn check_rel(rel: &str) -> Result<(), String> {
    if rel.is_empty() {
        return Err("empty path".into());
    }
    if rel.starts_with('/') {
        return Err(format!("{rel}: absolute path"));
    }
    for part in rel.split('/') {
        match part {
            "" | "." | ".." => return Err(format!("{rel}: empty, `.` or `..` component")),
            p if p.starts_with(TMP_PREFIX) => return Err(format!("{rel}: reserved temp name")),
            _ => {}
        }
    }
    Ok(())
}

/// `root/rel`, after checking that every existing ancestor inside the store is a real
/// directory (not a symlink). Missing ancestors are an error: plans create them explicitly.
pub(crate) fn resolve(root: &Path, rel: &str) -> io::Result<PathBuf> {
    check_rel(rel).map_err(invalid)?;
    resolve_checked(root, rel)
}

/// Like `resolve`, for certdeck's own temp names (`<dir>/.certdeck-tmp-...`), which
/// `check_rel` refuses so that plans can never target them.
pub(crate) fn resolve_tmp(root: &Path, rel: &str) -> io::Result<PathBuf> {
    let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    if !name.starts_with(TMP_PREFIX)
        || name.contains("..")
        || (!dir.is_empty() && check_rel(dir).is_err())
    {
        return Err(invalid(format!("{rel}: not a certdeck temp name")));
    }
    resolve_checked(root, rel)
}

fn resolve_checked(root: &Path, rel: &str) -> io::Result<PathBuf> {
    let mut cur = root.to_path_buf();
    let parts: Vec<&str> = rel.split('/').collect();
    let (last, parents) = parts.split_last().expect("check_rel: not empty");
    for part in parents {
        cur.push(part);
        let m = fs::symlink_metadata(&cur)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", cur.display())))?;
        if m.file_type().is_symlink() {
            return Err(invalid(format!(
                "{rel}: parent {} is a symlink; refusing to write through it",
                cur.strip_prefix(root).unwrap_or(&cur).display()
            )));
        }
        if !m.is_dir() {
            return Err(invalid(format!(
                "{rel}: parent {} is not a directory",
                cur.display()
            )));
        }
    }
    cur.push(last);
    Ok(cur)
}

/// Whether anything (file, dir, symlink, dangling or not) is at `p`, without following it.
pub fn lexists(p: &Path) -> bool {
    fs::symlink_metadata(p).is_ok()
}

/// fsync a directory so a rename/creation in it survives a crash.
pub(crate) fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

pub(crate) fn fsync_parent(p: &Path) -> io::Result<()> {
    fsync_dir(p.parent().unwrap_or(Path::new("/")))
}

/// Creates `path` exclusively (never an existing file, never through a symlink) with `mode`
/// from the first byte, writes `contents` and fsyncs it. On error the partial file is removed.
pub(crate) fn write_new(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)?;
    let r = (|| {
        // The umask may have narrowed `mode` (e.g. 0644 -> 0600 under umask 077); servers need
        // the exact mode, so set it on the descriptor before the first byte. For secrets the
        // created mode is already within 0600, so no byte is ever readable by others.
        if f.metadata()?.permissions().mode() & 0o7777 != mode {
            f.set_permissions(fs::Permissions::from_mode(mode))?;
        }
        f.write_all(contents)?;
        f.sync_all()
    })();
    if r.is_err() {
        let _ = fs::remove_file(path);
    }
    r
}

/// Creates a directory with exactly `mode` (see `write_new` about the umask).
pub(crate) fn mkdir_mode(path: &Path, mode: u32) -> io::Result<()> {
    fs::DirBuilder::new().mode(mode).create(path)?;
    if fs::symlink_metadata(path)?.mode() & 0o7777 != mode {
        fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
    }
    fsync_parent(path)
}

/// `mkdir -p` for history directories: 0700, because old private keys end up in them.
pub(crate) fn mkdir_private_all(path: &Path) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
}

/// Whether two paths name the same inode (a hard link pair), without following symlinks.
pub fn same_inode(a: &Path, b: &Path) -> bool {
    match (fs::symlink_metadata(a), fs::symlink_metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

/// Puts what is at `path` into history at `saved`. With `keep_in_place`, a hard link is made
/// so `path` stays valid until the caller renames the new file over it (servers never see a
/// gap); otherwise (or if hard links are unsupported) the entry is renamed. Never a copy.
pub(crate) fn save_to_history(path: &Path, saved: &Path, keep_in_place: bool) -> io::Result<()> {
    if let Some(parent) = saved.parent() {
        mkdir_private_all(parent)?;
    }
    let linked = keep_in_place && fs::hard_link(path, saved).is_ok();
    if !linked {
        fs::rename(path, saved)?;
        fsync_parent(path)?;
    }
    fsync_parent(saved)
}

/// rename + fsync of both directories.
pub(crate) fn rename_durable(from: &Path, to: &Path) -> io::Result<()> {
    fs::rename(from, to)?;
    fsync_parent(to)?;
    if from.parent() != to.parent() {
        fsync_parent(from)?;
    }
    Ok(())
}

/// The exclusive store lock: an flock on `<store>/.certdeck.lock` holding the owner's pid.
/// Released when dropped (closing the descriptor drops the flock). The file itself stays:
/// unlinking lock files races with the next opener.
#[derive(Debug)]
pub struct StoreLock {
    _file: File,
}

#[derive(Debug)]
pub enum LockError {
    /// Another process (or another handle in this one) holds the lock.
    Held {
        pid: Option<u32>,
    },
    Io(io::Error),
}

impl StoreLock {
    pub(crate) fn try_acquire(root: &Path) -> Result<StoreLock, LockError> {
        let path = root.join(LOCK_FILE);
        let mut f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&path)
            .map_err(LockError::Io)?;
        match f.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let mut s = String::new();
                let _ = f.read_to_string(&mut s);
                return Err(LockError::Held {
                    pid: s.trim().parse().ok(),
                });
            }
            Err(fs::TryLockError::Error(e)) => return Err(LockError::Io(e)),
        }
        // Only the holder writes the pid, so a waiting process can name who it waits for.
        f.set_len(0).map_err(LockError::Io)?;
        writeln!(f, "{}", std::process::id()).map_err(LockError::Io)?;
        Ok(StoreLock { _file: f })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_file_is_0600_and_names_are_never_reused() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("k");
        write_new(&p, b"k", 0o600).unwrap();
        assert_eq!(fs::metadata(&p).unwrap().mode() & 0o7777, 0o600);
        // create_new: never reuses an existing name.
        assert!(write_new(&p, b"k", 0o600).is_err());
    }

    #[test]
    fn write_new_does_not_follow_a_symlink() {
        let d = tempfile::tempdir().unwrap();
        let outside = d.path().join("outside");
        std::os::unix::fs::symlink(&outside, d.path().join("l")).unwrap();
        assert!(write_new(&d.path().join("l"), b"x", 0o644).is_err());
        assert!(!outside.exists());
    }

    #[test]
    fn resolve_rejects_symlinked_parents() {
        let d = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(other.path(), d.path().join("evil")).unwrap();
        fs::create_dir(d.path().join("ok")).unwrap();
        assert!(resolve(d.path(), "evil/x.pem").is_err());
        assert!(resolve(d.path(), "ok/x.pem").is_ok());
        assert!(resolve(d.path(), "ok/../x").is_err());
    }
}
