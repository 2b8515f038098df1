//! Write primitives over held directory descriptors (see `fsx`): atomic file creation, history
//! moves, directory fsync, the store lock.
//!
//! Every function takes the store root as a `Dir` and store-relative paths; each parent is
//! opened from the root without following symlinks, and the final component is created with
//! `O_CREAT|O_EXCL|O_NOFOLLOW` at a temp name and renamed into place (rename replaces a
//! symlink, it does not follow it). No path is checked first and used later.
//!
//! The helpers that change the filesystem are `pub(crate)`: outside this crate the only way
//! to write is through a `WritableStore`, which holds the lock and journals every change.

use std::fs::{self, File};
use std::io::{self, Read, Seek, Write};

use super::fsx::{self, Dir, Ident};

/// Prefix of every temp file certdeck makes; scanners (ours included) skip these names.
pub const TMP_PREFIX: &str = ".certdeck-tmp-";
/// Lock file at the store root.
pub const LOCK_FILE: &str = ".certdeck.lock";

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// Lexical checks on a store-relative path: not empty, not absolute, no `.`/`..`, no temp
/// names, no control characters (a name with a newline forges lines in plans and journals).
pub fn check_rel(rel: &str) -> Result<(), String> {
    if rel.is_empty() {
        return Err("empty path".into());
    }
    if rel.starts_with('/') {
        return Err(format!("{rel:?}: absolute path"));
    }
    if rel.chars().any(char::is_control) {
        return Err(format!("{rel:?}: control character in a path"));
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

/// Lexical check of one of certdeck's own temp names (`<dir>/.certdeck-tmp-...`), which
/// `check_rel` refuses so that plans can never target them.
pub(crate) fn check_tmp(rel: &str) -> io::Result<()> {
    let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    if !name.starts_with(TMP_PREFIX)
        || name.contains('/')
        || name.chars().any(char::is_control)
        || (!dir.is_empty() && check_rel(dir).is_err())
    {
        return Err(invalid(format!("{rel}: not a certdeck temp name")));
    }
    Ok(())
}

/// Creates `name` in `dir` exclusively with `mode` from the first byte, writes `contents`
/// and fsyncs it. On error the partial file is removed (only if it is still the one we made).
pub(crate) fn write_new_at(dir: &Dir, name: &str, contents: &[u8], mode: u32) -> io::Result<()> {
    let mut f = dir.create(name, mode)?;
    let r = f.write_all(contents).and_then(|_| f.sync_all());
    if r.is_err() {
        if let (Ok(mine), Ok(Some(now))) = (rustix::fs::fstat(&f), dir.lstat(name)) {
            if Ident::of(&mine) == Ident::of(&now) {
                let _ = dir.unlink(name);
            }
        }
    }
    r
}

/// Puts the entry `name` of `dir` into history at the store-relative `saved`. With
/// `keep_in_place`, a hard link is made so the entry stays valid until the caller renames the
/// new file over it (servers never see a gap); otherwise (or if hard links are unsupported)
/// the entry is renamed. Never a copy. History directories are 0700: old keys end up there.
pub(crate) fn save_to_history(
    root: &Dir,
    dir: &Dir,
    name: &str,
    saved: &str,
    keep_in_place: bool,
) -> io::Result<()> {
    let (hdir, hname) = history_parent(root, saved, dir)?;
    let linked = keep_in_place && dir.hard_link(name, &hdir, hname).is_ok();
    if !linked {
        dir.rename_noreplace(name, &hdir, hname)?;
        dir.sync()?;
    }
    hdir.sync()
}

/// The (created if missing, 0700) parent directory of a history path, and its last component,
/// for an entry of `from` to go into.
///
/// With an opted-in `history/` another account owns, that account can make `history/<id>/`
/// directories of its own before certdeck does: an entry moved or linked there from a
/// directory they cannot write (a root-only one) would become theirs to delete. So the
/// directory must be ours, or belong to whoever owns `from` (who could move it there anyway).
pub(crate) fn history_parent<'a>(
    root: &Dir,
    saved: &'a str,
    from: &Dir,
) -> io::Result<(Dir, &'a str)> {
    let (parent, name) = saved
        .rsplit_once('/')
        .ok_or_else(|| invalid(format!("{saved}: not under history/")))?;
    let hdir = root.mkdir_all(parent, 0o700)?;
    let owner = hdir.stat()?.st_uid;
    if owner != fsx::euid() && owner != from.stat()?.st_uid {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{parent} is owned by uid {owner}, who cannot write where the entry comes \
                 from; not moving it there"
            ),
        ));
    }
    Ok((hdir, name))
}

/// The store lock: an flock on `<store>/.certdeck.lock` holding the owner's pid. Released
/// when dropped (closing the descriptor drops the flock). The file itself stays: unlinking
/// lock files races with the next opener.
///
/// The lock file is in a directory others may write, so it is input: opened without following
/// a symlink or blocking on a fifo, and used only if it is a regular file with one link, owned
/// by us. A hard link to a file elsewhere, or a lock file planted by another account, is
/// refused rather than truncated.
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
    /// The lock file is not one certdeck can trust; nothing was written to it.
    Untrusted(String),
    Io(io::Error),
}

impl StoreLock {
    /// `foreign_ok`: the admin opted in to another account's bookkeeping for this store
    /// (`--safe-store`): a lock file that account made is used (still: regular, one link).
    pub(crate) fn try_acquire(root: &Dir, foreign_ok: bool) -> Result<StoreLock, LockError> {
        let mut f = root
            .open_rw_create(LOCK_FILE, 0o600, false)
            .map_err(LockError::Io)?;
        let st = rustix::fs::fstat(&f).map_err(|e| LockError::Io(e.into()))?;
        let me = fsx::euid();
        let why = if !fsx::is_file(&st) {
            Some("is not a regular file".to_string())
        } else if st.st_nlink != 1 {
            Some(format!(
                "has {} hard links (one may be a file elsewhere)",
                st.st_nlink
            ))
        } else if st.st_uid != me && !foreign_ok {
            Some(format!(
                "is owned by uid {}, not by you (uid {me}); if that account is trusted, pass \
                 --safe-store or add the store to safe_stores in the config",
                st.st_uid
            ))
        } else {
            None
        };
        if let Some(why) = why {
            return Err(LockError::Untrusted(format!(
                "{LOCK_FILE} {why}; refusing to use it. If no certdeck is running, remove it \
                 (`rm <store>/{LOCK_FILE}`) and try again"
            )));
        }
        match f.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let mut s = String::new();
                let _ = (&f).take(32).read_to_string(&mut s);
                return Err(LockError::Held {
                    pid: s.trim().parse().ok(),
                });
            }
            Err(fs::TryLockError::Error(e)) => return Err(LockError::Io(e)),
        }
        // Only the holder writes the pid, so a waiting process can name who it waits for.
        f.set_len(0).map_err(LockError::Io)?;
        f.rewind().map_err(LockError::Io)?;
        writeln!(f, "{}", std::process::id()).map_err(LockError::Io)?;
        Ok(StoreLock { _file: f })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn secret_file_is_0600_and_names_are_never_reused() {
        let d = tempfile::tempdir().unwrap();
        let root = Dir::open_root(d.path()).unwrap();
        write_new_at(&root, "k", b"k", 0o600).unwrap();
        assert_eq!(
            fs::metadata(d.path().join("k")).unwrap().mode() & 0o7777,
            0o600
        );
        assert!(write_new_at(&root, "k", b"k", 0o600).is_err());
    }

    #[test]
    fn check_rel_refuses_control_characters() {
        assert!(check_rel("a\nb.pem").is_err());
        assert!(check_rel("a\x1b[2J.pem").is_err());
        assert!(check_rel("ok/b.pem").is_ok());
    }

    #[test]
    fn lock_refuses_a_hard_link_and_leaves_it_alone() {
        let d = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        fs::write(&victim, b"precious").unwrap();
        fs::hard_link(&victim, d.path().join(LOCK_FILE)).unwrap();
        let root = Dir::open_root(d.path()).unwrap();
        assert!(matches!(
            StoreLock::try_acquire(&root, false),
            Err(LockError::Untrusted(_))
        ));
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
    }
}
