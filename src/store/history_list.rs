//! The journal as people read it (the TUI's history view): one entry per plan with how it
//! ended, the files it changed and what of it `history/<id>/` holds now. The journal is input
//! (see `history`): a line that is not a valid record becomes a `Bad` row with the reason,
//! in its place, and an end record naming no plan is one too. Reads only.

use std::collections::HashMap;
use std::io;
use std::path::Path;

use super::apply::OpRecord;
use super::fsx::{self, Dir};
use super::history::{scan_lines, Books, Record};
use super::plan::HISTORY_DIR;

/// Plans listed at most (the newest); a quarter of a million plans would not help anyone.
pub const MAX_ENTRIES: usize = 5_000;
/// Files listed per `history/<id>/` and how deep the walk goes.
const MAX_KEPT: usize = 200;
const MAX_DEPTH: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Begun and never ended: interrupted (the next writer rolls it back).
    Pending,
    Applied,
    RolledBack(String),
    /// Reversed by the plan `by`.
    Undone {
        by: String,
    },
}

impl State {
    pub fn label(&self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Applied => "applied",
            State::RolledBack(_) => "rolled back",
            State::Undone { .. } => "undone",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Entry {
    /// Journal line of its `pending` record.
    pub line: usize,
    pub id: String,
    pub time: String,
    pub user: String,
    pub uid: u32,
    pub pid: u32,
    pub action: String,
    /// Set on undo plans: the plan they reverse.
    pub undoes: Option<String>,
    pub ops: Vec<OpRecord>,
    pub state: State,
    /// When it was applied, rolled back or undone.
    pub ended: Option<String>,
    /// Files under `history/<id>/` now (store-relative), as found through the held handle.
    pub kept: Vec<String>,
    /// More files were there than listed.
    pub kept_more: bool,
}

#[derive(Debug, Clone)]
pub enum Row {
    Plan(Box<Entry>),
    /// History files the admin removed (`certdeck history prune`).
    Pruned {
        line: usize,
        time: String,
        user: String,
        paths: Vec<String>,
    },
    /// A line that is not a record, or a record that names no plan.
    Bad {
        line: usize,
        why: String,
    },
}

/// The journal, oldest first; `older` is how many plans were left out (beyond `MAX_ENTRIES`).
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub rows: Vec<Row>,
    pub older: usize,
    /// The store has no journal yet.
    pub empty: bool,
}

/// Reads the journal of the store at `root` (it may belong to another account: listing it
/// replays nothing).
pub fn list(root: &Path) -> io::Result<Listing> {
    let mut books = Books::open(root)?;
    books.foreign_ok = true;
    let mut rows: Vec<Row> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut lines = 0usize;
    scan_lines(&books, |_, line, rec| {
        lines += 1;
        let rec = match rec {
            Ok(r) => r,
            Err(why) => return rows.push(Row::Bad { line, why }),
        };
        match rec {
            Record::Pending {
                id,
                time,
                user,
                uid,
                pid,
                action,
                undoes,
                ops,
            } => {
                if by_id.contains_key(&id) {
                    return rows.push(Row::Bad {
                        line,
                        why: format!("journal line {line}: plan {id} begins a second time"),
                    });
                }
                by_id.insert(id.clone(), rows.len());
                rows.push(Row::Plan(Box::new(Entry {
                    line,
                    id,
                    time,
                    user,
                    uid,
                    pid,
                    action,
                    undoes,
                    ops,
                    state: State::Pending,
                    ended: None,
                    kept: Vec::new(),
                    kept_more: false,
                })));
            }
            Record::Applied { id, time } => end(&mut rows, &by_id, line, &id, State::Applied, time),
            Record::RolledBack { id, time, reason } => end(
                &mut rows,
                &by_id,
                line,
                &id,
                State::RolledBack(reason),
                time,
            ),
            Record::Undone { id, by, time } => {
                end(&mut rows, &by_id, line, &id, State::Undone { by }, time)
            }
            Record::Pruned {
                time, user, paths, ..
            } => rows.push(Row::Pruned {
                line,
                time,
                user,
                paths,
            }),
        }
    })?;
    let plans = rows.iter().filter(|r| matches!(r, Row::Plan(_))).count();
    let older = plans.saturating_sub(MAX_ENTRIES);
    if older > 0 {
        // Drop the oldest plans (and whatever came before the first one kept).
        let mut seen = 0;
        let cut = rows
            .iter()
            .position(|r| {
                seen += matches!(r, Row::Plan(_)) as usize;
                seen > older
            })
            .unwrap_or(0);
        rows.drain(..cut);
    }
    if let Ok(Some(hist)) = books.history_dir(false) {
        for row in &mut rows {
            if let Row::Plan(e) = row {
                if let Ok(d) = hist.open_dir(&e.id) {
                    let base = format!("{HISTORY_DIR}/{}", e.id);
                    walk(&d, &base, 0, &mut e.kept);
                    e.kept_more = e.kept.len() > MAX_KEPT;
                    e.kept.truncate(MAX_KEPT);
                    e.kept.sort();
                }
            }
        }
    }
    Ok(Listing {
        rows,
        older,
        empty: lines == 0,
    })
}

/// A plan's end record: its state, or a `Bad` row when the journal never began that plan.
fn end(
    rows: &mut Vec<Row>,
    by_id: &HashMap<String, usize>,
    line: usize,
    id: &str,
    state: State,
    time: String,
) {
    match by_id.get(id) {
        Some(&i) => {
            if let Row::Plan(e) = &mut rows[i] {
                // An `undone` after `applied`: the later state wins.
                e.state = state;
                e.ended = Some(time);
            }
        }
        None => rows.push(Row::Bad {
            line,
            why: format!(
                "journal line {line}: {} record for plan {id}, which the journal does not begin",
                state.label()
            ),
        }),
    }
}

/// Files below `dir` (named `rel`), depth-first, through handles; unreadable parts are skipped.
fn walk(dir: &Dir, rel: &str, depth: usize, out: &mut Vec<String>) {
    if depth > MAX_DEPTH || out.len() > MAX_KEPT {
        return;
    }
    let Ok(mut names) = dir.entries() else {
        return;
    };
    names.sort();
    for name in names {
        if out.len() > MAX_KEPT {
            return;
        }
        let Ok(Some(st)) = dir.lstat(&name) else {
            continue;
        };
        let path = format!("{rel}/{name}");
        if fsx::is_dir(&st) {
            if let Ok(sub) = dir.open_dir(&name) {
                walk(&sub, &path, depth + 1, out);
            }
        } else {
            out.push(path);
        }
    }
}
