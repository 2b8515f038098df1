//! Executing a Plan: preflight (decide create vs replace, history and temp names) -> journal
//! `pending` -> ops in order -> journal `applied`. Any error part-way rolls back what was done,
//! newest first, and journals `rolled-back`.
//!
//! Rollback is written to be idempotent and to look at the filesystem rather than trust a
//! progress counter, so the same code serves an in-process failure and `recover` after a crash
//! at any point of any op (temp written, old file linked to history, new file renamed in...).
//!
//! Fault injection: `CERTDECK_FAULT_AFTER_OPS=N` aborts the process after N ops (0 = right
//! after the `pending` line). It is always compiled in, deliberately: crash tests can then run
//! the real binary (integration tests do not see `cfg(test)` items), and it grants nothing —
//! whoever can set our environment can already kill the process at any moment.

use std::io::{self, Read};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::fsx::{self, Dir, Ident};
use super::history::{self, current_user, new_id, now_rfc3339, Books, Record};
use super::plan::{describe, in_history, Op, OpKind, Plan, PreviewLine, HISTORY_DIR};
use super::write::{
    check_rel, check_tmp, history_parent, save_to_history, write_new_at, TMP_PREFIX,
};

pub const FAULT_ENV: &str = "CERTDECK_FAULT_AFTER_OPS";

/// One op as journaled: what it does plus everything needed to reverse it, and to tell later
/// that an entry is still the one this plan wrote or saved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OpRecord {
    pub kind: OpKind,
    pub path: String,
    /// Symlink target, or history source of a restore.
    #[serde(default)]
    pub other: Option<String>,
    /// Octal, e.g. "0600" (for rmdir: the mode to recreate the directory with).
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub secret: bool,
    /// Something was at `path` when the plan began.
    pub existed: bool,
    /// Where that something goes in history (store-relative).
    #[serde(default)]
    pub saved: Option<String>,
    /// Temp name the new file/link is written at before the rename (store-relative).
    #[serde(default)]
    pub tmp: Option<String>,
    #[serde(default)]
    pub size: Option<u64>,
    /// Only for non-secret contents (shown in previews).
    #[serde(default)]
    pub sha256: Option<String>,
    /// Device and inode of what was at `path` when the plan began (it keeps them in history).
    #[serde(default)]
    pub old: Option<Ident>,
    /// Device and inode of a restore's history source.
    #[serde(default)]
    pub from: Option<Ident>,
    /// SHA-256 of what a write puts at `path`, secrets included (a digest of a key reveals
    /// nothing of it; the journal is 0600 in a 0700 directory): rollback and undo move a file
    /// only when it is still the plan's own.
    #[serde(default)]
    pub written: Option<String>,
}

/// What was done (`--json` prints this).
#[derive(Debug, Clone, Serialize)]
pub struct ApplyReport {
    pub id: String,
    pub action: String,
    /// Store-relative directory holding what this plan replaced or removed.
    pub history_dir: String,
    pub ops: Vec<PreviewLine>,
}

#[derive(Debug)]
pub enum ApplyError {
    /// Rejected before anything changed.
    Invalid(String),
    /// Journal could not be read or written; nothing changed (or it was rolled back).
    Journal(io::Error),
    /// Failed at `op`; everything done before was rolled back, the store is as it was.
    Failed {
        id: String,
        op: String,
        error: io::Error,
    },
    /// Failed, and the rollback failed too. The journal stays `pending`, so the next
    /// `WritableStore::open` tries the rollback again.
    RollbackFailed {
        id: String,
        op: String,
        error: io::Error,
        rollback: io::Error,
    },
    NothingToUndo,
}

impl std::fmt::Display for ApplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApplyError::Invalid(m) => write!(f, "plan rejected, nothing changed: {m}"),
            ApplyError::Journal(e) => write!(f, "journal: {e}"),
            ApplyError::Failed { id, op, error } => write!(
                f,
                "plan {id} failed at `{op}`: {error}; all changes were rolled back"
            ),
            ApplyError::RollbackFailed {
                id,
                op,
                error,
                rollback,
            } => write!(
                f,
                "plan {id} failed at `{op}`: {error}; rollback also failed: {rollback} \
                 (it will be retried when the store is next opened for writing)"
            ),
            ApplyError::NothingToUndo => write!(f, "nothing to undo"),
        }
    }
}

impl std::error::Error for ApplyError {}

fn fault_after() -> Option<usize> {
    std::env::var(FAULT_ENV).ok()?.trim().parse().ok()
}

/// Applies `plan` to the store. The caller holds the store lock.
pub(crate) fn apply(
    books: &Books,
    plan: &Plan,
    undoes: Option<&str>,
) -> Result<ApplyReport, ApplyError> {
    plan.validate().map_err(ApplyError::Invalid)?;
    let root = &books.root;
    let ops = plan.ordered();
    let id = new_id(root);
    let records = ops
        .iter()
        .enumerate()
        .map(|(i, op)| preflight(root, &id, i, op))
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApplyError::Invalid)?;
    let (user, uid) = current_user();
    history::append(
        books,
        &Record::Pending {
            id: id.clone(),
            time: now_rfc3339(),
            user,
            uid,
            pid: std::process::id(),
            action: plan.action.clone(),
            undoes: undoes.map(str::to_string),
            ops: records.clone(),
        },
    )
    .map_err(ApplyError::Journal)?;

    let fault = fault_after();
    if fault == Some(0) {
        std::process::abort();
    }
    for (i, (op, rec)) in ops.iter().zip(&records).enumerate() {
        if let Err(error) = execute(root, op, rec) {
            return Err(fail(
                books,
                &id,
                &records[..=i],
                describe(op, rec.existed).text,
                error,
            ));
        }
        if fault == Some(i + 1) {
            std::process::abort();
        }
    }
    if let Err(error) = history::append(
        books,
        &Record::Applied {
            id: id.clone(),
            time: now_rfc3339(),
        },
    ) {
        // Without the `applied` line the next open would roll the plan back anyway; do it now
        // while we can report it.
        return Err(fail(books, &id, &records, "commit".into(), error));
    }
    Ok(ApplyReport {
        history_dir: format!("{HISTORY_DIR}/{id}"),
        id,
        action: plan.action.clone(),
        ops: ops
            .iter()
            .zip(&records)
            .map(|(op, rec)| describe(op, rec.existed))
            .collect(),
    })
}

fn fail(books: &Books, id: &str, done: &[OpRecord], op: String, error: io::Error) -> ApplyError {
    let mut left = Vec::new();
    if let Err(rollback) = rollback(&books.root, id, done, &mut left) {
        return ApplyError::RollbackFailed {
            id: id.into(),
            op,
            error,
            rollback,
        };
    }
    let mut reason = format!("{op}: {error}");
    if !left.is_empty() {
        reason.push_str(&format!("; left alone: {}", left.join("; ")));
    }
    let end = Record::RolledBack {
        id: id.into(),
        time: now_rfc3339(),
        reason,
    };
    match history::append(books, &end) {
        Ok(()) => ApplyError::Failed {
            id: id.into(),
            op,
            error,
        },
        // Store restored but not journaled: the next open's recover re-runs the (idempotent)
        // rollback and writes the line.
        Err(rollback) => ApplyError::RollbackFailed {
            id: id.into(),
            op,
            error,
            rollback,
        },
    }
}

fn hex_sha256(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// Decides, before anything changes, what each op will do and where the old things go.
fn preflight(root: &Dir, id: &str, i: usize, op: &Op) -> Result<OpRecord, String> {
    let path = op.path();
    let meta = fsx::lstat_rel(root, path).map_err(|e| e.to_string())?;
    let existed = meta.is_some();
    let is_dir = meta.as_ref().is_some_and(fsx::is_dir);
    let saved = existed.then(|| format!("{HISTORY_DIR}/{id}/{path}"));
    let tmp_for = |p: &str| {
        let name = format!("{TMP_PREFIX}{id}-{i}");
        Some(match p.rsplit_once('/') {
            Some((dir, _)) => format!("{dir}/{name}"),
            None => name,
        })
    };
    let line = describe(op, existed);
    let mut rec = OpRecord {
        kind: op.kind(),
        path: path.into(),
        other: line.target.clone(),
        mode: line.mode.clone(),
        secret: line.secret,
        existed,
        saved: None,
        tmp: None,
        size: line.size,
        sha256: line.sha256,
        old: meta.as_ref().map(Ident::of),
        from: None,
        written: None,
    };
    match op {
        Op::Write { .. } | Op::Symlink { .. } | Op::Restore { .. } if is_dir => {
            return Err(format!("{path} is a directory; not replaced"));
        }
        Op::Write { contents, .. } => {
            rec.saved = saved;
            rec.tmp = tmp_for(path);
            rec.written = Some(hex_sha256(contents));
        }
        Op::Symlink { .. } => {
            rec.saved = saved;
            rec.tmp = tmp_for(path);
        }
        Op::MoveToHistory { .. } if !existed => return Err(format!("{path} does not exist")),
        Op::MoveToHistory { .. } => rec.saved = saved,
        Op::MkDir { .. } if existed && !is_dir => {
            return Err(format!("{path} exists and is not a directory"));
        }
        Op::MkDir { .. } => {}
        Op::RmDir { .. } => {
            let m = meta
                .filter(fsx::is_dir)
                .ok_or(format!("{path} is not a directory"))?;
            rec.mode = Some(format!("{:04o}", m.st_mode & 0o777));
        }
        Op::Restore { from, .. } => {
            let st = fsx::lstat_rel(root, from)
                .map_err(|e| e.to_string())?
                .ok_or(format!("{from} is not in history"))?;
            if !(fsx::is_file(&st) || fsx::is_symlink(&st) || fsx::is_dir(&st)) {
                return Err(format!("{from} is not a file, link or directory"));
            }
            rec.from = Some(Ident::of(&st));
            rec.saved = saved;
        }
    }
    Ok(rec)
}

/// The last component of a temp path (checked to be certdeck's and beside `path`).
fn tmp_name(rec: &OpRecord) -> io::Result<&str> {
    let tmp = rec.tmp.as_deref().unwrap_or_default();
    check_tmp(tmp)?;
    Ok(tmp.rsplit_once('/').map_or(tmp, |(_, n)| n))
}

fn check_history(rel: &str) -> io::Result<()> {
    check_rel(rel).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    if !in_history(rel) || rel == HISTORY_DIR {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{rel}: not under history/"),
        ));
    }
    Ok(())
}

fn execute(root: &Dir, op: &Op, rec: &OpRecord) -> io::Result<()> {
    check_rel(&rec.path).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let (dir, name) = root.parent(&rec.path)?;
    if let Some(s) = &rec.saved {
        check_history(s)?;
    }
    let saved = rec.saved.as_deref();
    match op {
        Op::Write { contents, mode, .. } => {
            let tmp = tmp_name(rec)?;
            write_new_at(&dir, tmp, contents, *mode)?;
            place(root, &dir, tmp, name, saved)
        }
        Op::Symlink { target, .. } => {
            let tmp = tmp_name(rec)?;
            dir.symlink(target, tmp)?;
            place(root, &dir, tmp, name, saved)
        }
        Op::MoveToHistory { .. } => {
            save_to_history(root, &dir, name, saved.unwrap_or_default(), false)
        }
        Op::MkDir { mode, .. } if !rec.existed => {
            dir.mkdir(name, *mode)?;
            dir.sync()
        }
        Op::MkDir { .. } => Ok(()),
        Op::RmDir { .. } => {
            dir.rmdir(name)?;
            dir.sync()
        }
        Op::Restore { from, .. } => {
            check_history(from)?;
            let (fdir, fname) = root.parent(from)?;
            let st = fdir.lstat(fname)?;
            let now = st.as_ref().map(Ident::of);
            if now.is_none() || now != rec.from {
                return Err(io::Error::other(format!(
                    "{from} changed since the plan was made; not restored"
                )));
            }
            if let Some(why) = st.and_then(|st| not_movable(root, &fdir, &st, &dir).transpose()) {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!("{from}: {}; not restored", why?),
                ));
            }
            if let Some(saved) = saved {
                save_to_history(root, &dir, name, saved, true)?;
                fdir.rename(fname, &dir, name)?;
            } else {
                fdir.rename_noreplace(fname, &dir, name)?;
            }
            dir.sync()?;
            fdir.sync()
        }
    }
}

/// Why the entry `st` of the history directory `src` must not move into `dst`, if it must
/// not. With an opted-in `history/` of another account, that account writes history too: a
/// file they made there (its identity in a record they wrote) would land in `dst`, which may
/// be a directory they cannot write (root's `private/`). So the history directory must be ours
/// (or `dst`'s owner's) and not group/other-writable (else its entry can be swapped after the
/// identity check), and with a foreign `history/` the entry itself ours or `dst`'s owner's.
fn not_movable(root: &Dir, src: &Dir, st: &fsx::Stat, dst: &Dir) -> io::Result<Option<String>> {
    let me = fsx::euid();
    let owner = dst.stat()?.st_uid;
    let s = src.stat()?;
    if s.st_uid != owner && (s.st_uid != me || s.st_mode & 0o022 != 0) {
        return Ok(Some(format!(
            "its history directory is writable by uid {} (mode {:04o}), who cannot write where \
             it would go",
            s.st_uid,
            s.st_mode & 0o7777
        )));
    }
    let h = root.open_dir(HISTORY_DIR)?.stat()?;
    let foreign = (h.st_uid != me && h.st_uid != 0) || h.st_mode & 0o022 != 0;
    if foreign && st.st_uid != me && st.st_uid != owner {
        return Ok(Some(format!(
            "it is owned by uid {}, who cannot write where it would go",
            st.st_uid
        )));
    }
    Ok(None)
}

/// Old entry (if any) to history by hard link, then the new one renamed over it: servers see
/// either the old or the new file at every instant, never neither. A create never replaces
/// something that appeared since the plan was made.
fn place(root: &Dir, dir: &Dir, tmp: &str, name: &str, saved: Option<&str>) -> io::Result<()> {
    match saved {
        Some(saved) => {
            save_to_history(root, dir, name, saved, true)?;
            dir.rename(tmp, dir, name)?;
        }
        None => dir.rename_noreplace(tmp, dir, name)?,
    }
    dir.sync()
}

/// Whether `name` in `dir` is what `rec` wrote: a regular file with its size and SHA-256, or
/// a symlink with its target. Records without a digest (older or planted) prove nothing.
fn is_written(dir: &Dir, name: &str, rec: &OpRecord) -> io::Result<bool> {
    let Some(st) = dir.lstat(name)? else {
        return Ok(false);
    };
    match rec.kind {
        OpKind::Symlink => {
            Ok(fsx::is_symlink(&st) && rec.other.as_deref() == Some(dir.read_link(name)?.as_str()))
        }
        OpKind::Write => {
            let (Some(size), Some(want)) = (rec.size, rec.written.as_deref()) else {
                return Ok(false);
            };
            if !fsx::is_file(&st) || st.st_size as u64 != size {
                return Ok(false);
            }
            let mut buf = Vec::with_capacity(size as usize);
            dir.open_read(name)?.take(size + 1).read_to_end(&mut buf)?;
            Ok(buf.len() as u64 == size && hex_sha256(&buf) == want)
        }
        _ => Ok(false),
    }
}

/// `is_written` for the store path of `rec` (undo's check).
pub(crate) fn holds_written(root: &Dir, rec: &OpRecord) -> io::Result<bool> {
    match root.parent(&rec.path) {
        Ok((dir, name)) => is_written(&dir, name, rec),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Reverses `done` (newest first). Safe to run on partially applied or untouched ops, and on
/// records read back from a journal someone may have edited: anything that is not provably
/// the plan's own is left where it is, with a note in `left`. Nothing is unlinked except a
/// hard link whose other name still holds the same file.
pub(crate) fn rollback(
    root: &Dir,
    id: &str,
    done: &[OpRecord],
    left: &mut Vec<String>,
) -> io::Result<()> {
    for rec in done.iter().rev() {
        revert(root, id, rec, left)?;
    }
    Ok(())
}

/// Moves an entry the plan made (a temp file, a new file) into `history/<id>/rolled-back/`
/// (with a `.N` suffix if that name is taken: a rollback may run more than once).
fn retire(root: &Dir, id: &str, dir: &Dir, name: &str, rel: &str) -> io::Result<()> {
    let base = format!("{HISTORY_DIR}/{id}/rolled-back/{rel}");
    let (hdir, hname) = history_parent(root, &base, dir)?;
    let mut n = 0;
    loop {
        let to = if n == 0 {
            hname.to_string()
        } else {
            format!("{hname}.{n}")
        };
        match dir.rename_noreplace(name, &hdir, &to) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 100 => n += 1,
            r => break r?,
        }
    }
    dir.sync()?;
    hdir.sync()
}

fn revert(root: &Dir, id: &str, rec: &OpRecord, left: &mut Vec<String>) -> io::Result<()> {
    let Ok(()) = check_rel(&rec.path) else {
        left.push(format!("{:?}: not a store path", rec.path));
        return Ok(());
    };
    let (dir, name) = match root.parent(&rec.path) {
        Ok(p) => p,
        // The parent is gone (a planned mkdir never happened), or is a symlink now: nothing
        // there was written by us; leave whatever is behind it alone.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            left.push(format!("{}: {e}", rec.path));
            return Ok(());
        }
    };
    if rec.tmp.is_some() {
        if let Ok(tmp) = tmp_name(rec) {
            // Our own temp file (we created it, so we own it): retired, not deleted.
            if let Some(st) = dir.lstat(tmp)? {
                if (fsx::is_file(&st) || fsx::is_symlink(&st)) && st.st_uid == fsx::euid() {
                    let dir_part = rec.path.rsplit_once('/').map_or("", |(d, _)| d);
                    let rel = if dir_part.is_empty() {
                        tmp.to_string()
                    } else {
                        format!("{dir_part}/{tmp}")
                    };
                    retire(root, id, &dir, tmp, &rel)?;
                }
            }
        }
    }
    let here = dir.lstat(name)?;
    match rec.kind {
        OpKind::MkDir => {
            if !rec.existed {
                if let Some(st) = &here {
                    if fsx::is_dir(st) && st.st_uid == fsx::euid() {
                        match dir.rmdir(name) {
                            Ok(()) => dir.sync()?,
                            // Something appeared inside: keep it (nothing is deleted).
                            Err(e) if e.raw_os_error() == Some(libc::ENOTEMPTY) => {}
                            Err(e) => return Err(e),
                        }
                    }
                }
            }
            return Ok(());
        }
        OpKind::RmDir => {
            if here.is_none() {
                // Never group/other-writable: the mode is read back from a journal another
                // account may have written (opted in), and certdeck makes only 0755/0700.
                let mode = rec.mode.as_deref().unwrap_or("0755");
                dir.mkdir(name, u32::from_str_radix(mode, 8).unwrap_or(0o755) & 0o755)?;
                dir.sync()?;
            }
            return Ok(());
        }
        OpKind::Restore => {
            let from = rec.other.as_deref().unwrap_or_default();
            if check_history(from).is_err() {
                left.push(format!("{from:?}: not under history/"));
                return Ok(());
            }
            let (fdir, fname) = match history_parent(root, from, &dir) {
                Ok(p) => p,
                Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                    left.push(format!("{}: {e}", rec.path));
                    return Ok(());
                }
                Err(e) => return Err(e),
            };
            let ours = here.as_ref().map(Ident::of);
            if fdir.lstat(fname)?.is_none() && ours.is_some() {
                if ours == rec.from {
                    dir.rename_noreplace(name, &fdir, fname)?;
                    dir.sync()?;
                    fdir.sync()?;
                } else {
                    left.push(format!("{}: not the file restored from {from}", rec.path));
                    return Ok(());
                }
            }
        }
        OpKind::Write | OpKind::Symlink => {
            if !rec.existed && here.is_some() {
                if is_written(&dir, name, rec)? {
                    retire(root, id, &dir, name, &rec.path)?;
                } else {
                    left.push(format!("{}: not the file this plan wrote", rec.path));
                }
            }
        }
        OpKind::MoveToHistory => {}
    }
    let Some(saved) = &rec.saved else {
        return Ok(());
    };
    if check_history(saved).is_err() {
        left.push(format!("{saved:?}: not under history/"));
        return Ok(());
    }
    let (hdir, hname) = match root.parent(saved) {
        Ok(p) => p,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let Some(hst) = hdir.lstat(hname)? else {
        return Ok(());
    };
    if rec.old.is_none() || rec.old != Some(Ident::of(&hst)) {
        left.push(format!(
            "{saved}: not the entry this plan saved; left in history"
        ));
        return Ok(());
    }
    let here = dir.lstat(name)?;
    if here.as_ref().map(Ident::of) == rec.old {
        // Only the hard link was made: `path` still holds the old entry, the history name is
        // a second link to it and can go without losing anything.
        hdir.unlink(hname)?;
        return hdir.sync();
    }
    if here.is_some() {
        if matches!(rec.kind, OpKind::Write | OpKind::Symlink) && is_written(&dir, name, rec)? {
            retire(root, id, &dir, name, &rec.path)?;
        } else {
            left.push(format!(
                "{}: changed since; the old one stays in {saved}",
                rec.path
            ));
            return Ok(());
        }
    }
    if let Some(why) = not_movable(root, &hdir, &hst, &dir)? {
        left.push(format!("{saved}: {why}; left in history"));
        return Ok(());
    }
    hdir.rename_noreplace(hname, &dir, name)?;
    dir.sync()?;
    hdir.sync()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::path::Path;

    fn lexists(p: &Path) -> bool {
        fs::symlink_metadata(p).is_ok()
    }

    /// A crash can stop a replace after any of its steps; rollback must restore the old file
    /// from each of those states, and be harmless when run twice. What the plan wrote is
    /// retired into history, never deleted.
    #[test]
    fn rollback_restores_a_replace_interrupted_at_every_step() {
        for stage in 0..4 {
            let d = tempfile::tempdir().unwrap();
            let root = d.path();
            fs::write(root.join("a.pem"), b"old").unwrap();
            let dir = Dir::open_root(root).unwrap();
            let op = Op::write_public("a.pem", b"new".to_vec());
            let rec = preflight(&dir, "ID", 0, &op).unwrap();
            let tmp = rec.tmp.clone().unwrap();
            let saved = rec.saved.clone().unwrap();
            if stage >= 1 {
                write_new_at(&dir, &tmp, b"new", 0o644).unwrap();
            }
            if stage >= 2 {
                save_to_history(&dir, &dir, "a.pem", &saved, true).unwrap();
            }
            if stage >= 3 {
                dir.rename(&tmp, &dir, "a.pem").unwrap();
            }
            for _ in 0..2 {
                let mut left = vec![];
                rollback(&dir, "ID", std::slice::from_ref(&rec), &mut left).unwrap();
                assert!(left.is_empty(), "{left:?}");
                assert_eq!(
                    fs::read(root.join("a.pem")).unwrap(),
                    b"old",
                    "stage {stage}"
                );
                assert!(
                    !lexists(&root.join(&tmp)) && !lexists(&root.join(&saved)),
                    "stage {stage}"
                );
            }
            if stage >= 1 {
                let retired = root.join("history/ID/rolled-back");
                assert!(retired.exists(), "stage {stage}: the new file is kept");
            }
        }
    }

    #[test]
    fn rollback_retires_only_what_a_create_made() {
        let d = tempfile::tempdir().unwrap();
        let dir = Dir::open_root(d.path()).unwrap();
        let op = Op::write_public("c.pem", b"c".to_vec());
        let rec = preflight(&dir, "ID", 0, &op).unwrap();
        assert!(!rec.existed);
        execute(&dir, &op, &rec).unwrap();
        let mut left = vec![];
        rollback(&dir, "ID", std::slice::from_ref(&rec), &mut left).unwrap();
        assert!(!lexists(&d.path().join("c.pem")));
        assert_eq!(
            fs::read(d.path().join("history/ID/rolled-back/c.pem")).unwrap(),
            b"c"
        );
    }

    /// A record claiming a plan created the CA key (planted, or a file replaced since) must
    /// not make rollback remove it: the digest does not match, so it stays.
    #[test]
    fn rollback_leaves_a_file_the_plan_did_not_write() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("root.key"), b"precious key").unwrap();
        let dir = Dir::open_root(d.path()).unwrap();
        let mut rec = preflight(&dir, "ID", 0, &Op::write_public("x.pem", b"x".to_vec())).unwrap();
        rec.path = "root.key".into();
        let mut left = vec![];
        rollback(&dir, "ID", std::slice::from_ref(&rec), &mut left).unwrap();
        assert_eq!(
            fs::read(d.path().join("root.key")).unwrap(),
            b"precious key"
        );
        assert_eq!(left.len(), 1, "{left:?}");
    }
}
