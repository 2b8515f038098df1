//! History and journal. Replaced/removed files go to `<store>/history/<plan id>/<rel path>`
//! (moved by rename or hard link, never copied); `<store>/history/journal.jsonl` gets one
//! `pending` line per plan before anything changes (all ops with their undo information),
//! then `applied` or `rolled-back`. Each line is fsynced, so after a crash the journal tells
//! exactly what may have been done, and `recover` can put the store back.
//!
//! The journal is input. The store may be writable by a less-trusted account, so:
//! - `history/` and the journal are used only when owned by us (or root) and not writable by
//!   group or others, unless the admin opted in for that store (`safe_stores`, `--safe-store`),
//!   as git does with `safe.directory`;
//! - the journal is opened without following symlinks or blocking on a fifo, must be a regular
//!   file with one link, is capped in size and read line by line (lossy UTF-8); a bad line is
//!   reported and skipped, never fatal to unrelated writes;
//! - every path in a record is checked (relative, no `..`, history paths under `history/<id>/`)
//!   and reached through directory handles; rollback and undo move an entry back only when it
//!   is provably the one the plan wrote or saved (identity and SHA-256 recorded at apply time),
//!   and never unlink anything that is not a redundant hard link.
//!
//! The write entry points take a `&WritableStore`, so they are unreachable without the lock.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::apply::{self, ApplyError, ApplyReport, OpRecord};
use super::fsx::{self, Dir, Ident, Stat};
use super::handle::WritableStore;
use super::plan::{in_history, Op, OpKind, Plan, HISTORY_DIR};

pub const JOURNAL: &str = "journal.jsonl";
/// A journal line is a few hundred bytes per op; a longer line is not ours.
const MAX_LINE: usize = 1 << 20;
/// ~1 KB per plan: 256 MiB is a quarter of a million plans. A bigger journal is refused with
/// the fix (move it aside) rather than read into memory.
const MAX_JOURNAL: u64 = 256 << 20;

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
    /// Files the admin removed from history on purpose (`certdeck history prune`).
    Pruned {
        id: String,
        time: String,
        user: String,
        paths: Vec<String>,
    },
}

impl Record {
    pub fn id(&self) -> &str {
        match self {
            Record::Pending { id, .. }
            | Record::Applied { id, .. }
            | Record::RolledBack { id, .. }
            | Record::Undone { id, .. }
            | Record::Pruned { id, .. } => id,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RecoverReport {
    /// Ids of interrupted plans that were rolled back.
    pub rolled_back: Vec<String>,
    /// Journal lines skipped and ops left alone, each with why (shown to the admin).
    pub notes: Vec<String>,
}

impl RecoverReport {
    pub fn is_empty(&self) -> bool {
        self.rolled_back.is_empty() && self.notes.is_empty()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct UndoReport {
    /// The plan that was reversed, and its action text.
    pub undone_id: String,
    pub undone_action: String,
    /// The undo plan itself (also journaled, with `undoes` set).
    pub applied: ApplyReport,
}

/// Store roots (canonical) whose `history/` may be owned by another account: the config's
/// `safe_stores` and `--safe-store`. Paths in records are still validated for these.
static SAFE_STORES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Opts a store in to a `history/` owned by another account (see the module comment).
pub fn allow_foreign_history(root: &Path) {
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    if let Ok(mut v) = SAFE_STORES.lock() {
        if !v.contains(&root) {
            v.push(root);
        }
    }
}

pub(crate) fn foreign_allowed(root: &Path) -> bool {
    SAFE_STORES
        .lock()
        .is_ok_and(|v| v.iter().any(|p| p == root))
}

/// The store's root directory handle and how far its bookkeeping may be trusted.
#[derive(Debug)]
pub(crate) struct Books {
    pub root: Dir,
    pub path: PathBuf,
    pub foreign_ok: bool,
}

impl Books {
    pub fn open(path: &Path) -> io::Result<Books> {
        Ok(Books {
            root: Dir::open_root(path)?,
            path: path.to_path_buf(),
            foreign_ok: foreign_allowed(path),
        })
    }

    /// Refuses bookkeeping another account could have written.
    fn check_owner(&self, st: &Stat, what: &str) -> io::Result<()> {
        let me = fsx::euid();
        let problem = if st.st_uid != me && st.st_uid != 0 {
            format!("is owned by uid {} (you are uid {me})", st.st_uid)
        } else if st.st_mode & 0o022 != 0 {
            format!(
                "is writable by group or others (mode {:04o})",
                st.st_mode & 0o7777
            )
        } else {
            return Ok(());
        };
        if self.foreign_ok {
            return Ok(());
        }
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{}/{what} {problem}: that account could have planted journal records that \
                 certdeck would replay, so it is not used. If that account is trusted, add the store to \
                 `safe_stores` in the config or pass --safe-store; otherwise give it to you: \
                 chown -R {me} {0}/{HISTORY_DIR} && chmod -R go-w {0}/{HISTORY_DIR}",
                self.path.display(),
            ),
        ))
    }

    /// `history/` held, checked; created 0700 when `create` (it will hold old keys).
    pub fn history_dir(&self, create: bool) -> io::Result<Option<Dir>> {
        let dir = match self.root.open_dir(HISTORY_DIR) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound && create => {
                let d = match self.root.mkdir(HISTORY_DIR, 0o700) {
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                        self.root.open_dir(HISTORY_DIR)?
                    }
                    r => r?,
                };
                self.root.sync()?;
                d
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("{}/{HISTORY_DIR}: {e}", self.path.display()),
                ))
            }
        };
        self.check_owner(&dir.stat()?, HISTORY_DIR)?;
        Ok(Some(dir))
    }

    /// The journal file's own checks: a regular file with one link, ours, bounded.
    fn check_journal(&self, f: &File) -> io::Result<u64> {
        let st = rustix::fs::fstat(f)?;
        let what = format!("{HISTORY_DIR}/{JOURNAL}");
        let bad = |m: String| {
            io::Error::other(format!(
                "{}/{what} {m}; refusing to use it",
                self.path.display()
            ))
        };
        if !fsx::is_file(&st) {
            return Err(bad("is not a regular file".into()));
        }
        if st.st_nlink != 1 {
            return Err(bad(format!("has {} hard links", st.st_nlink)));
        }
        self.check_owner(&st, &what)?;
        let len = st.st_size as u64;
        if len > MAX_JOURNAL {
            let root = self.path.display();
            return Err(bad(format!(
                "is {} MiB, over the {} MiB limit (move it aside: mv {root}/{what} {root}/{what}.old)",
                len >> 20,
                MAX_JOURNAL >> 20,
            )));
        }
        Ok(len)
    }

    fn open_journal_read(&self) -> io::Result<Option<(File, u64)>> {
        let Some(dir) = self.history_dir(false)? else {
            return Ok(None);
        };
        let f = match dir.open_read(JOURNAL) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let len = self.check_journal(&f)?;
        Ok(Some((f, len)))
    }
}

pub(crate) fn now_rfc3339() -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::now_utc()
        .format(&fmt)
        .unwrap_or_default()
}

/// A fresh plan id: `20261123T181500Z-<pid>-<n>`, sortable by time, unique per process by the
/// counter and across processes by the pid (and checked against existing history dirs).
pub(crate) fn new_id(root: &Dir) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let ts = time::OffsetDateTime::now_utc()
        .format(&fmt)
        .unwrap_or_default();
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let id = format!("{ts}-{}-{n}", std::process::id());
        if !matches!(
            fsx::lstat_rel(root, &format!("{HISTORY_DIR}/{id}")),
            Ok(Some(_))
        ) {
            return id;
        }
    }
}

/// Plan ids are certdeck's own `<time>-<pid>-<n>`; anything else in a record is planted.
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The running user, by uid (not `$USER`, which anyone can set).
pub(crate) fn current_user() -> (String, u32) {
    let uid = rustix::process::getuid().as_raw();
    let mut buf = vec![0u8; 4096];
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut out: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: getpwuid_r writes only into `pw` and `buf` (of the length we pass) and sets `out`
    // to `&pw` or null; the name is read before `buf` goes out of scope.
    let name = unsafe {
        let r = libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr().cast(), buf.len(), &mut out);
        (r == 0 && !out.is_null() && !pw.pw_name.is_null()).then(|| {
            std::ffi::CStr::from_ptr(pw.pw_name)
                .to_string_lossy()
                .into_owned()
        })
    };
    (name.unwrap_or_else(|| uid.to_string()), uid)
}

/// Appends one line and fsyncs it. Creates `history/` (0700: it will hold old keys).
pub(crate) fn append(books: &Books, rec: &Record) -> io::Result<()> {
    let dir = books.history_dir(true)?.expect("created");
    let created = dir.lstat(JOURNAL)?.is_none();
    let mut f = dir.open_rw_create(JOURNAL, 0o600, true)?;
    let len = books.check_journal(&f)?;
    let mut line = serde_json::to_string(rec).map_err(io::Error::other)?;
    line.push('\n');
    // A crash mid-append leaves a torn last line; start on a fresh line so ours parses.
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
        dir.sync()?;
    }
    Ok(())
}

/// Checks every path of a record: what a planted line could use to reach outside the store
/// or outside history. (Directory handles stop symlinks; this stops `..` and absolute paths.)
fn validate(rec: &Record) -> Result<(), String> {
    if !valid_id(rec.id()) {
        return Err(format!("plan id {:?} is not certdeck's", rec.id()));
    }
    let Record::Pending {
        id, undoes, ops, ..
    } = rec
    else {
        return Ok(());
    };
    if undoes.as_deref().is_some_and(|u| !valid_id(u)) {
        return Err("`undoes` is not a plan id".into());
    }
    let own = format!("{HISTORY_DIR}/{id}/");
    for op in ops {
        super::write::check_rel(&op.path)?;
        if in_history(&op.path) {
            return Err(format!("{}: a target under history/", op.path));
        }
        if let Some(s) = &op.saved {
            super::write::check_rel(s)?;
            if !s.starts_with(&own) {
                return Err(format!("{s}: saved outside this plan's history/{id}/"));
            }
        }
        if let Some(t) = &op.tmp {
            super::write::check_tmp(t).map_err(|e| e.to_string())?;
            let dir = |p: &str| p.rsplit_once('/').map(|(d, _)| d.to_string());
            if dir(t) != dir(&op.path) {
                return Err(format!("{t}: temp name not beside {}", op.path));
            }
        }
        match op.kind {
            OpKind::Restore => {
                let from = op.other.as_deref().unwrap_or_default();
                super::write::check_rel(from)?;
                if !in_history(from) || from == HISTORY_DIR {
                    return Err(format!("{from}: restore source not under history/"));
                }
            }
            OpKind::Symlink => {
                super::plan::check_link_target(&op.path, op.other.as_deref().unwrap_or_default())?
            }
            _ => {}
        }
    }
    Ok(())
}

/// Reads the journal line by line: `f(offset, record)` for each valid record; bad lines
/// (torn, not JSON, planted paths) are returned as notes.
fn scan_journal(books: &Books, mut f: impl FnMut(u64, Record)) -> io::Result<Vec<String>> {
    let mut notes = Vec::new();
    scan_lines(books, |offset, _, r| match r {
        Ok(rec) => f(offset, rec),
        Err(note) => notes.push(note),
    })?;
    Ok(notes)
}

/// Every journal line in order: `f(offset, line number, record or why it is not one)`.
pub(crate) fn scan_lines(
    books: &Books,
    mut f: impl FnMut(u64, usize, Result<Record, String>),
) -> io::Result<()> {
    let Some((file, _)) = books.open_journal_read()? else {
        return Ok(());
    };
    let mut r = BufReader::with_capacity(64 << 10, file);
    let mut buf = Vec::new();
    let (mut offset, mut line_no) = (0u64, 0usize);
    loop {
        buf.clear();
        let n = r
            .by_ref()
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let start = offset;
        offset += n as u64;
        if buf.last() != Some(&b'\n') && n > MAX_LINE {
            // Skip the rest of an overlong line.
            let mut rest = Vec::new();
            let m = r.read_until(b'\n', &mut rest)?;
            offset += m as u64;
            let why = format!("journal line {line_no}: over {MAX_LINE} bytes; skipped");
            f(start, line_no, Err(why));
            continue;
        }
        let text = String::from_utf8_lossy(&buf);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let rec = match serde_json::from_str::<Record>(text) {
            Ok(rec) => match validate(&rec) {
                Ok(()) => Ok(rec),
                Err(why) => Err(format!("journal line {line_no}: ignored: {why}")),
            },
            Err(e) => Err(format!(
                "journal line {line_no}: not a record ({e}); skipped"
            )),
        };
        f(start, line_no, rec);
    }
    Ok(())
}

/// The record at `offset` (found by an earlier scan).
fn record_at(books: &Books, offset: u64) -> io::Result<Record> {
    let (file, _) = books
        .open_journal_read()?
        .ok_or_else(|| io::Error::other("the journal went away"))?;
    let mut r = BufReader::new(file);
    r.seek(SeekFrom::Start(offset))?;
    let mut buf = Vec::new();
    r.take(MAX_LINE as u64).read_until(b'\n', &mut buf)?;
    let rec: Record = serde_json::from_str(String::from_utf8_lossy(&buf).trim())
        .map_err(|e| io::Error::other(format!("the journal changed while it was read: {e}")))?;
    validate(&rec).map_err(io::Error::other)?;
    Ok(rec)
}

/// All valid journal records in order (for inspection and tests). Same checks as a writer
/// makes, except that the journal may belong to another account.
pub fn read_journal(root: &Path) -> io::Result<Vec<Record>> {
    let mut books = Books::open(root)?;
    books.foreign_ok = true;
    let mut v = Vec::new();
    scan_journal(&books, |_, r| v.push(r))?;
    Ok(v)
}

/// Rolls back every plan that has a `pending` line but no end line (a crash or kill during
/// apply), newest first, and journals `rolled-back` for each. Runs at every writable open.
pub(crate) fn recover(books: &Books) -> io::Result<RecoverReport> {
    // Only plans still open are kept in memory, so a long journal costs a scan, not its size.
    let mut open: HashMap<String, (usize, Vec<OpRecord>)> = HashMap::new();
    let mut seq = 0usize;
    let notes = scan_journal(books, |_, rec| match rec {
        Record::Pending { id, ops, .. } => {
            seq += 1;
            open.insert(id, (seq, ops));
        }
        Record::Applied { id, .. } | Record::RolledBack { id, .. } => {
            open.remove(&id);
        }
        Record::Undone { .. } | Record::Pruned { .. } => {}
    })?;
    let mut report = RecoverReport {
        notes,
        ..Default::default()
    };
    let mut pending: Vec<(String, usize, Vec<OpRecord>)> = open
        .into_iter()
        .map(|(id, (s, ops))| (id, s, ops))
        .collect();
    pending.sort_by_key(|p| std::cmp::Reverse(p.1));
    for (id, _, ops) in pending {
        let mut left = Vec::new();
        apply::rollback(&books.root, &id, &ops, &mut left)?;
        let reason = if left.is_empty() {
            "interrupted; rolled back when the store was next opened".to_string()
        } else {
            format!("interrupted; rolled back, except: {}", left.join("; "))
        };
        report
            .notes
            .extend(left.into_iter().map(|l| format!("plan {id}: {l}")));
        append(
            books,
            &Record::RolledBack {
                id: id.clone(),
                time: now_rfc3339(),
                reason,
            },
        )?;
        report.rolled_back.push(id);
    }
    Ok(report)
}

/// Reverses the last applied plan that is not an undo and not already undone: files it
/// created go to history (not deleted), files it moved to history come back. Only entries
/// that are provably the plan's own are touched.
pub fn undo(store: &WritableStore) -> Result<UndoReport, ApplyError> {
    let books = store.books();
    let (target_id, action, plan) = undo_plan(books, true)?;
    let applied = apply::apply(books, &plan, Some(&target_id))?;
    // Informational: `undo_plan` derives "undone" from applied undo plans, so a crash before
    // this line cannot make the same plan be undone twice.
    append(
        books,
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
    let books = Books::open(root).map_err(ApplyError::Journal)?;
    let (_, action, plan) = undo_plan(&books, true)?;
    Ok((action, plan))
}

/// Finds the plan to undo, checks the store still holds what it wrote and saved, and builds
/// its inverse.
fn undo_plan(books: &Books, verify: bool) -> Result<(String, String, Plan), ApplyError> {
    let mut applied: HashSet<String> = HashSet::new();
    let mut undo_plans: Vec<(String, String)> = Vec::new();
    let mut candidates: Vec<(String, u64)> = Vec::new();
    scan_journal(books, |offset, rec| match rec {
        Record::Applied { id, .. } => {
            applied.insert(id);
        }
        Record::Pending {
            id,
            undoes: Some(u),
            ..
        } => undo_plans.push((id, u)),
        Record::Pending { id, .. } => candidates.push((id, offset)),
        _ => {}
    })
    .map_err(ApplyError::Journal)?;
    let undone: HashSet<&str> = undo_plans
        .iter()
        .filter(|(id, _)| applied.contains(id))
        .map(|(_, u)| u.as_str())
        .collect();
    let Some((_, offset)) = candidates
        .iter()
        .rev()
        .find(|(id, _)| applied.contains(id) && !undone.contains(id.as_str()))
    else {
        return Err(ApplyError::NothingToUndo);
    };
    let Record::Pending {
        id, action, ops, ..
    } = record_at(books, *offset).map_err(ApplyError::Journal)?
    else {
        return Err(ApplyError::Journal(io::Error::other(
            "the journal changed while it was read",
        )));
    };
    let refuse =
        |why: String| ApplyError::Invalid(format!("plan {id} ({action}) cannot be undone: {why}"));
    let mut plan = Plan::new(format!("undo {id} ({action})"));
    for rec in ops.iter().rev() {
        let path = rec.path.clone();
        match (rec.kind, rec.existed, &rec.saved) {
            (OpKind::Write | OpKind::Symlink, false, _) => {
                if verify && !apply::holds_written(&books.root, rec).map_err(ApplyError::Journal)? {
                    return Err(refuse(format!(
                        "{path} is no longer the file it wrote (changed or replaced since); \
                         move it by hand if that is meant"
                    )));
                }
                plan.push(Op::MoveToHistory { path });
            }
            (OpKind::Write | OpKind::Symlink | OpKind::MoveToHistory, true, Some(from)) => {
                if verify {
                    let now = fsx::lstat_rel(&books.root, from)
                        .map_err(ApplyError::Journal)?
                        .map(|st| Ident::of(&st));
                    match (now, rec.old) {
                        (Some(now), Some(old)) if now == old => {}
                        (_, None) => {
                            return Err(refuse(format!(
                                "it was journaled without file identities (an older certdeck); \
                                 restore {from} by hand"
                            )))
                        }
                        _ => {
                            return Err(refuse(format!(
                                "{from} is not the file the plan saved there"
                            )))
                        }
                    }
                }
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
                return Err(refuse(format!("{:?} {}", rec.kind, rec.path)));
            }
        }
    }
    Ok((id, action, plan))
}

/// Unencrypted private keys kept in history (what `key encrypt`, `key decrypt` or a replaced
/// key leave behind), as store-relative paths. Only small regular files are read.
pub fn plaintext_keys_in_history(root: &Path) -> io::Result<Vec<String>> {
    let books = Books::open(root)?;
    let Some(dir) = books.history_dir(false)? else {
        return Ok(vec![]);
    };
    let mut out = Vec::new();
    walk_keys(&dir, HISTORY_DIR, 0, &mut out)?;
    out.sort();
    Ok(out)
}

fn walk_keys(dir: &Dir, rel: &str, depth: usize, out: &mut Vec<String>) -> io::Result<()> {
    if depth > 32 {
        return Ok(());
    }
    for name in dir.entries()? {
        let Some(st) = dir.lstat(&name)? else {
            continue;
        };
        let path = format!("{rel}/{name}");
        if fsx::is_dir(&st) {
            if let Ok(sub) = dir.open_dir(&name) {
                walk_keys(&sub, &path, depth + 1, out)?;
            }
        } else if fsx::is_file(&st) && st.st_size < (1 << 20) && name != JOURNAL {
            let mut data = Vec::new();
            dir.open_read(&name)?.take(1 << 20).read_to_end(&mut data)?;
            let items = crate::pki::decode::decode_file(&data, &name, &Default::default());
            let plain = items.iter().any(
                |i| matches!(&i.detail, crate::pki::model::Detail::PrivateKey(k) if !k.encrypted),
            );
            if plain {
                out.push(path);
            }
        }
    }
    Ok(())
}

/// Removes the given history files (store-relative, under `history/<id>/`) for good and
/// journals it: the one place certdeck deletes, and only on the admin's explicit request.
pub fn prune(store: &WritableStore, paths: &[String]) -> io::Result<()> {
    let books = store.books();
    for p in paths {
        super::write::check_rel(p).map_err(io::Error::other)?;
        if !p.starts_with("history/") || p.ends_with(JOURNAL) {
            return Err(io::Error::other(format!("{p}: not a history file")));
        }
    }
    let (user, _) = current_user();
    append(
        books,
        &Record::Pruned {
            id: new_id(&books.root),
            time: now_rfc3339(),
            user,
            paths: paths.to_vec(),
        },
    )?;
    for p in paths {
        let (dir, name) = books.root.parent(p)?;
        if dir.lstat(name)?.is_some_and(|st| fsx::is_file(&st)) {
            dir.unlink(name)?;
            dir.sync()?;
        }
    }
    Ok(())
}
