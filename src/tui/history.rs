//! `J`: the store's journal as a list, newest first (time, user, how it ended, files changed,
//! action); Enter shows a plan's every op, where the replaced file went and what
//! `history/<id>/` holds now; `u` undoes the latest change through the same request as the
//! list's `u` (the confirm dialog shows the inverse plan; read-only refuses it). The journal is
//! read in the background (`Effect::ReadHistory`); bad lines are rows of their own.

use super::app::{App, Effect};
use super::keymap::Action;
use crate::store::history_list::{Listing, Row, State};

#[derive(Debug, Default)]
pub struct HistoryView {
    /// `None` while it is read.
    pub listing: Option<Result<Listing, String>>,
    /// Index into the rows as shown (newest first).
    pub selected: usize,
    /// Enter: the selected plan's details instead of the list.
    pub details: bool,
    pub scroll: u16,
}

impl HistoryView {
    /// The rows as shown: newest first.
    pub fn rows(&self) -> Vec<&Row> {
        match &self.listing {
            Some(Ok(l)) => l.rows.iter().rev().collect(),
            _ => Vec::new(),
        }
    }

    pub fn selected_row(&self) -> Option<&Row> {
        self.rows().get(self.selected).copied()
    }

    /// The plan `certdeck undo` would reverse now: the newest applied plan that is not an
    /// undo itself (undone ones are `Undone`).
    pub fn undo_target(&self) -> Option<&str> {
        self.rows().into_iter().find_map(|r| match r {
            Row::Plan(e) if e.state == State::Applied && e.undoes.is_none() => Some(e.id.as_str()),
            _ => None,
        })
    }
}

impl App {
    pub(super) fn open_history(&mut self) -> Vec<Effect> {
        self.history = Some(HistoryView::default());
        vec![Effect::ReadHistory]
    }

    /// The journal as read (or why it could not be): read again after a change, the
    /// selection (and its details) stay on the same plan.
    pub(super) fn history_read(&mut self, r: Result<Listing, String>) {
        if let Some(v) = self.history.as_mut() {
            let was = v.selected_row().map(row_key);
            v.listing = Some(r);
            let rows = v.rows();
            let found = was.and_then(|k| rows.iter().position(|r| row_key(r) == k));
            v.selected = match found {
                Some(i) => i,
                None => {
                    v.details = false;
                    0
                }
            };
        }
    }

    pub(super) fn history_act(&mut self, action: Action, page: usize) -> Vec<Effect> {
        let Some(v) = self.history.as_mut() else {
            return Vec::new();
        };
        let n = v.rows().len();
        let last = n.saturating_sub(1);
        if v.details {
            let page = page as u16;
            match action {
                Action::Back | Action::Open => v.details = false,
                Action::Down => v.scroll = v.scroll.saturating_add(1),
                Action::Up => v.scroll = v.scroll.saturating_sub(1),
                Action::PageDown => v.scroll = v.scroll.saturating_add(page),
                Action::PageUp => v.scroll = v.scroll.saturating_sub(page),
                Action::Top => v.scroll = 0,
                Action::Undo => return self.start_action(Action::Undo),
                Action::Rescan => return self.open_history(),
                _ => {}
            }
            return Vec::new();
        }
        match action {
            Action::Back => self.history = None,
            Action::Down => v.selected = (v.selected + 1).min(last),
            Action::Up => v.selected = v.selected.saturating_sub(1),
            Action::PageDown => v.selected = (v.selected + page).min(last),
            Action::PageUp => v.selected = v.selected.saturating_sub(page),
            Action::Top => v.selected = 0,
            Action::Bottom => v.selected = last,
            Action::Open if n > 0 => {
                v.details = true;
                v.scroll = 0;
            }
            // The same request as `u` in the list: read-only and busy refuse it there.
            Action::Undo => return self.start_action(Action::Undo),
            Action::Rescan => return self.open_history(),
            _ => {}
        }
        Vec::new()
    }
}

/// What a row is across re-reads: its plan, or its journal line.
fn row_key(r: &Row) -> String {
    match r {
        Row::Plan(e) => e.id.clone(),
        Row::Pruned { line, .. } | Row::Bad { line, .. } => format!("line {line}"),
    }
}

/// `2026-12-03T05:33:12Z` as `2026-12-03 05:33` (whatever else a planted line holds: cut).
pub fn short_time(t: &str) -> String {
    t.chars()
        .take(16)
        .map(|c| if c == 'T' { ' ' } else { c })
        .collect()
}

/// Files a plan changed (directories made or removed are not files).
pub fn files_changed(e: &crate::store::history_list::Entry) -> usize {
    use crate::store::plan::OpKind;
    (e.ops.iter())
        .filter(|op| !matches!(op.kind, OpKind::MkDir | OpKind::RmDir))
        .count()
}

/// What Enter shows for a row: the plan, how it ended, every op with where the file it
/// replaced went, and what `history/<id>/` holds now. Unescaped: the view escapes.
pub fn detail_lines(row: &Row, undo_target: Option<&str>) -> Vec<String> {
    use crate::store::plan::OpKind;
    let e = match row {
        Row::Bad { line, why } => {
            return vec![
                format!("journal line {line} is not a record certdeck can use:"),
                why.clone(),
                "It is skipped by undo and recover; the rest of the journal is read.".into(),
            ]
        }
        Row::Pruned {
            line,
            time,
            user,
            paths,
        } => {
            let mut v = vec![
                format!("journal line {line}: history files removed for good"),
                format!("time    {time} by {user}"),
            ];
            v.extend(paths.iter().map(|p| format!("  removed {p}")));
            return v;
        }
        Row::Plan(e) => e,
    };
    let mut v = vec![
        format!("plan    {}  (journal line {})", e.id, e.line),
        format!(
            "time    {} by {} (uid {}, pid {})",
            e.time, e.user, e.uid, e.pid
        ),
        format!("action  {}", e.action),
    ];
    let ended = e.ended.as_deref().unwrap_or("?");
    v.push(match &e.state {
        State::Pending => "state   pending: interrupted; the next change rolls it back".into(),
        State::Applied => format!("state   applied {ended}"),
        State::RolledBack(why) => format!("state   rolled back {ended}: {why}"),
        State::Undone { by } => format!("state   undone {ended} by plan {by}"),
    });
    if let Some(u) = &e.undoes {
        v.push(format!("undoes  plan {u}"));
    }
    if undo_target == Some(e.id.as_str()) {
        v.push("undo    u reverses this plan (the latest change)".into());
    }
    v.push(String::new());
    v.push(format!("{} op(s):", e.ops.len()));
    for op in &e.ops {
        let mode = op
            .mode
            .as_deref()
            .map(|m| format!(" {m}"))
            .unwrap_or_default();
        let what = match op.kind {
            OpKind::Write if op.existed => format!("replace {}{mode}", op.path),
            OpKind::Write => format!("create  {}{mode}", op.path),
            OpKind::Symlink => format!(
                "link    {} -> {}",
                op.path,
                op.other.as_deref().unwrap_or("?")
            ),
            OpKind::MoveToHistory => format!("remove  {}", op.path),
            OpKind::MkDir => format!("mkdir   {}{mode}", op.path),
            OpKind::RmDir => format!("rmdir   {}", op.path),
            OpKind::Restore => format!(
                "restore {} from {}",
                op.path,
                op.other.as_deref().unwrap_or("?")
            ),
        };
        v.push(format!("  {what}{}", if op.secret { " (key)" } else { "" }));
        if let Some(s) = &op.saved {
            let here = e.kept.iter().any(|k| k == s);
            let note = if here { "" } else { " (no longer there)" };
            v.push(format!("          old one to {s}{note}"));
        }
    }
    v.push(String::new());
    if e.kept.is_empty() {
        v.push(format!("history/{}/ holds nothing", e.id));
    } else {
        v.push(format!("history/{}/ holds {} file(s):", e.id, e.kept.len()));
        v.extend(e.kept.iter().map(|k| format!("  {k}")));
        if e.kept_more {
            v.push("  … and more".into());
        }
    }
    v
}
