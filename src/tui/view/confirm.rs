//! The confirm dialog: the plan's preview lines (exactly what `apply` will do), scrollable,
//! and the question.

use super::super::app::App;
use super::super::flow::Confirm;
use super::popup;
use crate::text::escape_control;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

pub fn draw(frame: &mut Frame, app: &App, dlg: &Confirm, area: Rect) {
    let t = &app.theme;
    let p = &dlg.prepared.0;
    let width = p.lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) as u16 + 4;
    // The title says what the plan is for (which alias, which site): wide enough for it too.
    let width = width.max(p.title.chars().count() as u16 + 11);
    // Preview lines, a blank line, the question.
    let area = popup(area, width.max(50), p.lines.len() as u16 + 4);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border(true))
        .title(format!(" Apply? {} ", escape_control(&p.title)));
    frame.render_widget(Clear, area);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [body, _, question] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    let shown = body.height as usize;
    let scroll = dlg.scroll.min(p.lines.len().saturating_sub(shown));
    let lines: Vec<Line> = p.lines[scroll..]
        .iter()
        .take(shown)
        .map(|l| Line::raw(l.clone()))
        .collect();
    frame.render_widget(Paragraph::new(lines), body);
    let mut q = vec![
        Span::styled("y", t.key()),
        Span::raw(" apply  "),
        Span::styled("n", t.key()),
        Span::raw(" cancel"),
    ];
    if p.lines.len() > shown {
        q.push(Span::styled(
            format!(
                "   lines {}-{} of {} (j/k)",
                scroll + 1,
                scroll + shown,
                p.lines.len()
            ),
            t.dim(),
        ));
    }
    frame.render_widget(Line::from(q), question);
}
