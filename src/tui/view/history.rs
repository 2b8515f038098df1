//! The history view (`J`): the journal newest first, one line per plan (time, user, state,
//! files changed, action), bad lines in the error style; Enter shows a plan's details. Every
//! text from the journal is escaped: it is store input.

use super::super::app::App;
use super::super::fmt::cut;
use super::super::history::{detail_lines, files_changed, short_time, HistoryView};
use crate::store::history_list::{Row, State};
use crate::text::escape_control as esc;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

/// Rows of the popup's body (inside the border, below the column header); the app pages by it.
pub fn body_rows(area: Rect) -> usize {
    frame_of(area).height.saturating_sub(3) as usize
}

/// The whole screen above the status line: the journal's lines are long.
fn frame_of(area: Rect) -> Rect {
    area
}

pub fn draw(frame: &mut Frame, app: &App, v: &HistoryView, area: Rect) {
    let t = &app.theme;
    let r = frame_of(area);
    let rows = v.rows();
    let title = match &v.listing {
        None => " History: reading the journal… ".to_string(),
        Some(Err(_)) => " History ".to_string(),
        Some(Ok(l)) => {
            let plans = rows.iter().filter(|r| matches!(r, Row::Plan(_))).count();
            let bad = rows.iter().filter(|r| matches!(r, Row::Bad { .. })).count();
            let mut s = format!(" History: {plans} change(s)");
            if bad > 0 {
                s.push_str(&format!(", {bad} bad line(s)"));
            }
            if l.older > 0 {
                s.push_str(&format!(", {} older not shown", l.older));
            }
            s.push(' ');
            s
        }
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border(true))
        .title(title);
    frame.render_widget(Clear, r);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let width = inner.width as usize;
    match &v.listing {
        None => return,
        Some(Err(e)) => {
            let p = Paragraph::new(Line::styled(esc(e).into_owned(), t.error()))
                .wrap(ratatui::widgets::Wrap { trim: true });
            frame.render_widget(p, inner);
            return;
        }
        Some(Ok(l)) if rows.is_empty() => {
            let msg = match l.empty {
                true => "no changes yet: history/journal.jsonl is empty or absent",
                false => "no changes in the journal",
            };
            frame.render_widget(Line::styled(msg, t.dim()), inner);
            return;
        }
        Some(Ok(_)) => {}
    }
    let undo = v.undo_target();
    if v.details {
        let Some(row) = v.selected_row() else { return };
        let lines: Vec<Line> = detail_lines(row, undo)
            .iter()
            .map(|l| Line::raw(esc(l).into_owned()))
            .collect();
        let max = (lines.len() as u16).saturating_sub(inner.height);
        let p = Paragraph::new(lines).scroll((v.scroll.min(max), 0));
        frame.render_widget(p, inner);
        return;
    }
    let header = format!(
        "  {:<16} {:<8} {:<11} {:>5}  action",
        "time (UTC)", "user", "state", "files"
    );
    frame.render_widget(
        Line::styled(cut(&header, width), t.header()),
        Rect { height: 1, ..inner },
    );
    let body = Rect {
        y: inner.y + 1,
        height: inner.height.saturating_sub(1),
        ..inner
    };
    let h = body.height as usize;
    let sel = v.selected.min(rows.len() - 1);
    let top = sel.saturating_sub(h.saturating_sub(1));
    let lines: Vec<Line> = (rows.iter().enumerate().skip(top).take(h))
        .map(|(n, row)| {
            let mark = if n == sel { "›" } else { " " };
            let (text, style) = match row {
                Row::Plan(e) => {
                    let undo_mark = if undo == Some(e.id.as_str()) { "*" } else { "" };
                    let text = format!(
                        "{mark} {:<16} {:<8} {:<11} {:>5}  {}{undo_mark}",
                        esc(&short_time(&e.time)),
                        cut(&esc(&e.user), 8),
                        e.state.label(),
                        files_changed(e),
                        esc(&e.action)
                    );
                    let style = match e.state {
                        State::Applied => ratatui::style::Style::default(),
                        State::Pending => t.error(),
                        _ => t.dim(),
                    };
                    (text, style)
                }
                Row::Pruned {
                    time, user, paths, ..
                } => (
                    format!(
                        "{mark} {:<16} {:<8} {:<11} {:>5}  removed from history/ for good",
                        esc(&short_time(time)),
                        cut(&esc(user), 8),
                        "pruned",
                        paths.len()
                    ),
                    t.dim(),
                ),
                Row::Bad { line, why } => (
                    format!("{mark} {:<16} ! {}", format!("line {line}"), esc(why)),
                    t.error(),
                ),
            };
            // Each journal field is escaped above (once: a `\` would double).
            let line = Line::styled(cut(&text, width), style);
            match n == sel {
                true => line.patch_style(t.selected()),
                false => line,
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), body);
}
