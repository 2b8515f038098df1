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

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::history::{self, current_user, new_id, now_rfc3339, Record};
use super::plan::{describe, in_history, Op, OpKind, Plan, PreviewLine, HISTORY_DIR};
use super::write::{
    check_rel, fsync_parent, lexists, mkdir_mode, rename_durable, resolve, resolve_tmp, same_inode,
    save_to_history, write_new, TMP_PREFIX,
};

pub const FAULT_ENV: &str = "CERTDECK_FAULT_AFTER_OPS";

/// One op as journaled: what it does plus everything needed to reverse it.
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
    /// Only for non-secret contents.
    #[serde(default)]
    pub sha256: Option<String>,
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

/// Applies `plan` to the store at `root`. The caller holds the store lock.
pub(crate) fn apply(
    root: &Path,
    plan: &Plan,
    undoes: Option<&str>,
) -> Result<ApplyReport, ApplyError> {
    plan.validate().map_err(ApplyError::Invalid)?;
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
        root,
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
                root,
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
        root,
        &Record::Applied {
            id: id.clone(),
            time: now_rfc3339(),
        },
    ) {
        // Without the `applied` line the next open would roll the plan back anyway; do it now
        // while we can report it.
        return Err(fail(root, &id, &records, "commit".into(), error));
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

fn fail(root: &Path, id: &str, done: &[OpRecord], op: String, error: io::Error) -> ApplyError {
    if let Err(rollback) = rollback(root, done) {
        return ApplyError::RollbackFailed {
            id: id.into(),
            op,
            error,
            rollback,
        };
    }
    let end = Record::RolledBack {
        id: id.into(),
        time: now_rfc3339(),
        reason: format!("{op}: {error}"),
    };
    match history::append(root, &end) {
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

/// Decides, before anything changes, what each op will do and where the old things go.
fn preflight(root: &Path, id: &str, i: usize, op: &Op) -> Result<OpRecord, String> {
    let path = op.path();
    let meta = fs::symlink_metadata(root.join(path)).ok();
    let existed = meta.is_some();
    let is_dir = meta.as_ref().is_some_and(|m| m.is_dir());
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
    };
    match op {
        Op::Write { .. } | Op::Symlink { .. } | Op::Restore { .. } if is_dir => {
            return Err(format!("{path} is a directory; not replaced"));
        }
        Op::Write { .. } | Op::Symlink { .. } => {
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
                .filter(|m| m.is_dir())
                .ok_or(format!("{path} is not a directory"))?;
            use std::os::unix::fs::MetadataExt;
            rec.mode = Some(format!("{:04o}", m.mode() & 0o777));
        }
        Op::Restore { from, .. } => {
            if !lexists(&root.join(from)) {
                return Err(format!("{from} is not in history"));
            }
            rec.saved = saved;
        }
    }
    Ok(rec)
}

fn execute(root: &Path, op: &Op, rec: &OpRecord) -> io::Result<()> {
    let path = resolve(root, &rec.path)?;
    let saved = rec
        .saved
        .as_deref()
        .map(|s| resolve_history(root, s))
        .transpose()?;
    match op {
        Op::Write { contents, mode, .. } => {
            let tmp = resolve_tmp(root, rec.tmp.as_deref().unwrap_or_default())?;
            write_new(&tmp, contents, *mode)?;
            place(&tmp, &path, saved.as_deref())
        }
        Op::Symlink { target, .. } => {
            let tmp = resolve_tmp(root, rec.tmp.as_deref().unwrap_or_default())?;
            std::os::unix::fs::symlink(target, &tmp)?;
            place(&tmp, &path, saved.as_deref())
        }
        Op::MoveToHistory { .. } => {
            save_to_history(&path, saved.as_deref().unwrap_or(&path), false)
        }
        Op::MkDir { mode, .. } if !rec.existed => mkdir_mode(&path, *mode),
        Op::MkDir { .. } => Ok(()),
        Op::RmDir { .. } => {
            fs::remove_dir(&path)?;
            fsync_parent(&path)
        }
        Op::Restore { from, .. } => {
            let from = resolve_history(root, from)?;
            if let Some(saved) = &saved {
                save_to_history(&path, saved, true)?;
            }
            rename_durable(&from, &path)
        }
    }
}

/// History paths are generated by certdeck (`history/<id>/<rel>`); the journal could still be
/// edited by hand, so they get the same lexical checks and must stay under `history/`. (Their
/// parents may not exist yet, so `resolve`'s ancestor walk does not apply.)
fn resolve_history(root: &Path, rel: &str) -> io::Result<PathBuf> {
    check_rel(rel).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    if !in_history(rel) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{rel}: not under history/"),
        ));
    }
    Ok(root.join(rel))
}

/// Old entry (if any) to history by hard link, then the new one renamed over it: servers see
/// either the old or the new file at every instant, never neither.
fn place(tmp: &Path, path: &Path, saved: Option<&Path>) -> io::Result<()> {
    if let Some(saved) = saved {
        save_to_history(path, saved, true)?;
    }
    rename_durable(tmp, path)
}

/// Reverses `done` (newest first). Safe to run on partially applied or untouched ops.
pub(crate) fn rollback(root: &Path, done: &[OpRecord]) -> io::Result<()> {
    for rec in done.iter().rev() {
        revert(root, rec)?;
    }
    Ok(())
}

fn revert(root: &Path, rec: &OpRecord) -> io::Result<()> {
    if let Some(tmp) = &rec.tmp {
        if let Ok(tmp) = resolve_tmp(root, tmp) {
            if lexists(&tmp) {
                fs::remove_file(&tmp)?;
            }
        }
    }
    // A path that does not resolve safely (symlinked parent) was never written by us: leave
    // whatever is behind it alone.
    let Ok(path) = resolve(root, &rec.path) else {
        return Ok(());
    };
    match rec.kind {
        OpKind::MkDir => {
            if !rec.existed && lexists(&path) {
                match fs::remove_dir(&path) {
                    Ok(()) => fsync_parent(&path)?,
                    // Something foreign appeared inside: keep it (nothing is deleted).
                    Err(e) if e.raw_os_error() == Some(libc::ENOTEMPTY) => {}
                    Err(e) => return Err(e),
                }
            }
            return Ok(());
        }
        OpKind::RmDir => {
            if !lexists(&path) {
                let mode = rec.mode.as_deref().unwrap_or("0755");
                mkdir_mode(&path, u32::from_str_radix(mode, 8).unwrap_or(0o755))?;
            }
            return Ok(());
        }
        OpKind::Restore => {
            let from = resolve_history(root, rec.other.as_deref().unwrap_or_default())?;
            if !lexists(&from) && lexists(&path) {
                rename_durable(&path, &from)?;
            }
        }
        OpKind::Write | OpKind::Symlink => {
            // Only our own new entry can be here: the plan saw nothing and held the lock.
            if !rec.existed && fs::symlink_metadata(&path).is_ok_and(|m| !m.is_dir()) {
                fs::remove_file(&path)?;
                fsync_parent(&path)?;
            }
        }
        OpKind::MoveToHistory => {}
    }
    if let Some(saved) = &rec.saved {
        let saved = resolve_history(root, saved)?;
        if lexists(&saved) {
            if same_inode(&saved, &path) {
                // Only the hard link was made: `path` still holds the old file.
                fs::remove_file(&saved)?;
                fsync_parent(&saved)?;
            } else {
                rename_durable(&saved, &path)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A crash can stop a replace after any of its steps; rollback must restore the old file
    /// from each of those states, and be harmless when run twice.
    #[test]
    fn rollback_restores_a_replace_interrupted_at_every_step() {
        for stage in 0..4 {
            let d = tempfile::tempdir().unwrap();
            let root = d.path();
            fs::write(root.join("a.pem"), b"old").unwrap();
            let op = Op::write_public("a.pem", b"new".to_vec());
            let rec = preflight(root, "ID", 0, &op).unwrap();
            let tmp = root.join(rec.tmp.as_deref().unwrap());
            let saved = root.join(rec.saved.as_deref().unwrap());
            if stage >= 1 {
                write_new(&tmp, b"new", 0o644).unwrap();
            }
            if stage >= 2 {
                save_to_history(&root.join("a.pem"), &saved, true).unwrap();
            }
            if stage >= 3 {
                fs::rename(&tmp, root.join("a.pem")).unwrap();
            }
            for _ in 0..2 {
                rollback(root, std::slice::from_ref(&rec)).unwrap();
                assert_eq!(
                    fs::read(root.join("a.pem")).unwrap(),
                    b"old",
                    "stage {stage}"
                );
                assert!(!lexists(&tmp) && !lexists(&saved), "stage {stage}");
            }
        }
    }

    #[test]
    fn rollback_removes_only_what_a_create_made() {
        let d = tempfile::tempdir().unwrap();
        let op = Op::write_public("c.pem", b"c".to_vec());
        let rec = preflight(d.path(), "ID", 0, &op).unwrap();
        assert!(!rec.existed);
        execute(d.path(), &op, &rec).unwrap();
        rollback(d.path(), std::slice::from_ref(&rec)).unwrap();
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 0);
    }
}
