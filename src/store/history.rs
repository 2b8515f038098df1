//! History and journal. Replaced/removed files go to `<store>/history/<plan id>/<rel path>`
//! (moved by rename or hard link, never copied); `<store>/history/journal.jsonl` gets one
//! `pending` line per plan before anything changes (all ops with their undo information),
//! then `applied` or `rolled-back`. Each line is fsynced, so after a crash the journal tells
//! exactly what may have been done, and `recover` can put the store back.
//!
//! The write entry points take a `&WritableStore`, so they are unreachable without the lock.

use std::collections::HashSet;
use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use super::apply::{self, ApplyError, ApplyReport, OpRecord};
use super::handle::WritableStore;
use super::plan::{Op, OpKind, Plan, HISTORY_DIR};
use super::write::{fsync_dir, mkdir_private_all};

pub const JOURNAL: &str = "journal.jsonl";

/// One journal line. `state` tells the kind: a plan starts `pending` and ends `applied` or
/// `rolled-back`; `undone` marks a plan reversed by a later (undo) plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Record {
    Pending {
        id: String,
        time: String,
        user: String,
        uid: u32,
        pid: u32,
        action: String,
        /// Set on plans made by `undo`: the id of the plan they reverse.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        undoes: Option<String>,
        ops: Vec<OpRecord>,
    },
    Applied {
        id: String,
        time: String,
    },
    RolledBack {
        id: String,
        time: String,
        reason: String,
    },
    Undone {
        id: String,
        by: String,
        time: String,
    },
}

impl Record {
    pub fn id(&self) -> &str {
        match self {
            Record::Pending { id, .. }
            | Record::Applied { id, .. }
            | Record::RolledBack { id, .. }
            | Record::Undone { id, .. } => id,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RecoverReport {
    /// Ids of interrupted plans that were rolled back.
    pub rolled_back: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UndoReport {
    /// The plan that was reversed, and its action text.
    pub undone_id: String,
    pub undone_action: String,
    /// The undo plan itself (also journaled, with `undoes` set).
    pub applied: ApplyReport,
}

pub(crate) fn now_rfc3339() -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::now_utc()
        .format(&fmt)
        .unwrap_or_default()
}

/// A fresh plan id: `20261123T181500Z-<pid>-<n>`, sortable by time, unique per process by the
/// counter and across processes by the pid (and checked against existing history dirs).
pub(crate) fn new_id(root: &Path) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let ts = time::OffsetDateTime::now_utc()
        .format(&fmt)
        .unwrap_or_default();
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let id = format!("{ts}-{}-{n}", std::process::id());
        if !root.join(HISTORY_DIR).join(&id).exists() {
            return id;
        }
    }
}

pub(crate) fn current_user() -> (String, u32) {
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    let name = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| uid.to_string());
    (name, uid)
}

fn journal_path(root: &Path) -> PathBuf {
    root.join(HISTORY_DIR).join(JOURNAL)
}

/// Appends one line and fsyncs it. Creates `history/` (0700: it will hold old keys).
pub(crate) fn append(root: &Path, rec: &Record) -> io::Result<()> {
    let dir = root.join(HISTORY_DIR);
    match fs::symlink_metadata(&dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(io::Error::other(format!(
                "{} is not a directory (a symlink?); refusing to use it",
                dir.display()
            )))
        }
        Err(_) => {
            mkdir_private_all(&dir)?;
            fsync_dir(root)?;
        }
    }
    let path = journal_path(root);
    let created = !path.exists();
    let mut f = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&path)?;
    let mut line = serde_json::to_string(rec).map_err(io::Error::other)?;
    line.push('\n');
    // A crash mid-append leaves a torn last line; start on a fresh line so ours parses.
    let len = f.metadata()?.len();
    if len > 0 {
        let mut last = [0u8];
        f.read_exact_at(&mut last, len - 1)?;
        if last[0] != b'\n' {
            line.insert(0, '\n');
        }
    }
    f.write_all(line.as_bytes())?;
    f.sync_data()?;
    if created {
        fsync_dir(&dir)?;
    }
    Ok(())
}

/// All journal records in order. Unparsable (torn) lines are skipped; no journal is empty.
pub fn read_journal(root: &Path) -> io::Result<Vec<Record>> {
    let mut s = String::new();
    match fs::File::open(journal_path(root)) {
        Ok(mut f) => {
            f.read_to_string(&mut s)?;
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(e),
    }
    Ok(s.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

/// Rolls back every plan that has a `pending` line but no end line (a crash or kill during
/// apply), newest first, and journals `rolled-back` for each. Runs at every writable open.
pub fn recover(store: &WritableStore) -> io::Result<RecoverReport> {
    let root = store.root();
    let recs = read_journal(root)?;
    let ended: HashSet<&str> = recs
        .iter()
        .filter(|r| matches!(r, Record::Applied { .. } | Record::RolledBack { .. }))
        .map(Record::id)
        .collect();
    let mut report = RecoverReport::default();
    for r in recs.iter().rev() {
        if let Record::Pending { id, ops, .. } = r {
            if ended.contains(id.as_str()) {
                continue;
            }
            apply::rollback(root, ops)?;
            append(
                root,
                &Record::RolledBack {
                    id: id.clone(),
                    time: now_rfc3339(),
                    reason: "interrupted; rolled back when the store was next opened".into(),
                },
            )?;
            report.rolled_back.push(id.clone());
        }
    }
    Ok(report)
}

/// Reverses the last applied plan that is not an undo and not already undone: files it
/// created go to history (not deleted), files it moved to history come back.
pub fn undo(store: &WritableStore) -> Result<UndoReport, ApplyError> {
    let root = store.root();
    let recs = read_journal(root).map_err(ApplyError::Journal)?;
    let (target_id, action, plan) = undo_plan(&recs)?;
    let applied = apply::apply(root, &plan, Some(&target_id))?;
    // Informational: `undo_plan` derives "undone" from applied undo plans, so a crash before
    // this line cannot make the same plan be undone twice.
    append(
        root,
        &Record::Undone {
            id: target_id.clone(),
            by: applied.id.clone(),
            time: now_rfc3339(),
        },
    )
    .map_err(ApplyError::Journal)?;
    Ok(UndoReport {
        undone_id: target_id,
        undone_action: action,
        applied,
    })
}

/// What `undo` would do, without doing it: the action text of the plan it would reverse and the
/// inverse plan (the TUI shows it in the confirm dialog before asking). Reads only.
pub fn undo_preview(root: &Path) -> Result<(String, Plan), ApplyError> {
    let recs = read_journal(root).map_err(ApplyError::Journal)?;
    let (_, action, plan) = undo_plan(&recs)?;
    Ok((action, plan))
}

/// Finds the plan to undo and builds its inverse.
fn undo_plan(recs: &[Record]) -> Result<(String, String, Plan), ApplyError> {
    let applied: HashSet<&str> = recs
        .iter()
        .filter(|r| matches!(r, Record::Applied { .. }))
        .map(Record::id)
        .collect();
    let undone: HashSet<&str> = recs
        .iter()
        .filter_map(|r| match r {
            Record::Pending {
                id,
                undoes: Some(u),
                ..
            } if applied.contains(id.as_str()) => Some(u.as_str()),
            _ => None,
        })
        .collect();
    let target = recs.iter().rev().find_map(|r| match r {
        Record::Pending {
            id,
            action,
            undoes: None,
            ops,
            ..
        } if applied.contains(id.as_str()) && !undone.contains(id.as_str()) => {
            Some((id, action, ops))
        }
        _ => None,
    });
    let Some((id, action, ops)) = target else {
        return Err(ApplyError::NothingToUndo);
    };
    let mut plan = Plan::new(format!("undo {id} ({action})"));
    for rec in ops.iter().rev() {
        let path = rec.path.clone();
        match (rec.kind, rec.existed, &rec.saved) {
            (OpKind::Write | OpKind::Symlink, false, _) => {
                plan.push(Op::MoveToHistory { path });
            }
            (OpKind::Write | OpKind::Symlink | OpKind::MoveToHistory, true, Some(from)) => {
                plan.push(Op::Restore {
                    from: from.clone(),
                    path,
                });
            }
            (OpKind::MkDir, false, _) => {
                plan.push(Op::RmDir { path });
            }
            (OpKind::MkDir, true, _) => {}
            _ => {
                return Err(ApplyError::Invalid(format!(
                    "plan {id} cannot be undone ({:?} {})",
                    rec.kind, rec.path
                )))
            }
        }
    }
    Ok((id.clone(), action.clone(), plan))
}
