//! The findings view: every finding of the store, most severe first, one line each with its
//! severity letter (readable without colour); the selected one's fix below the list.

use super::super::app::App;
use super::super::findings::{marker, FindingsView};
use super::popup;
use crate::pki::lint::Severity;
use crate::text::escape_control as esc;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

pub fn style(app: &App, s: Severity) -> Style {
    match s {
        Severity::Critical => app.theme.error(),
        Severity::Warning => app.theme.urgency(super::super::fmt::Urgency::Soon),
        Severity::Info => app.theme.dim(),
    }
}

pub fn draw(frame: &mut Frame, app: &App, v: &FindingsView, area: Rect) {
    let t = &app.theme;
    let all = &app.findings.all;
    let count = |s| all.iter().filter(|f| f.severity == s).count();
    let title = format!(
        " Findings: {} critical, {} warning, {} info ",
        count(Severity::Critical),
        count(Severity::Warning),
        count(Severity::Info)
    );
    // Border, the findings, a blank line and the fix (two lines).
    let want = (all.len().max(1) as u16).saturating_add(5);
    let r = popup(area, area.width.saturating_sub(4).max(40), want);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border(true))
        .title(title);
    frame.render_widget(Clear, r);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    if all.is_empty() {
        let msg = match app.scanning.is_some() || !app.streamed_is_empty() {
            true => "no findings yet: the scan is not complete",
            false => "no findings: audit reports nothing for this store",
        };
        frame.render_widget(Line::styled(msg, t.dim()), inner);
        return;
    }
    // The list, then a blank line and the selected finding's fix (two lines).
    let list_h = inner.height.saturating_sub(3).max(1) as usize;
    let sel = v.selected.min(all.len() - 1);
    let top = sel.saturating_sub(list_h.saturating_sub(1));
    let width = inner.width as usize;
    let lines: Vec<Line> = (all.iter().enumerate().skip(top).take(list_h))
        .map(|(n, f)| {
            let text = format!(
                "{} {} {}  {}: {}",
                if n == sel { "›" } else { " " },
                marker(f.severity),
                esc(f.code),
                esc(&f.path),
                esc(&f.message)
            );
            let text: String = super::super::fmt::cut(&text, width);
            let line = Line::styled(text, style(app, f.severity));
            if n == sel {
                line.patch_style(t.selected())
            } else {
                line
            }
        })
        .collect();
    let list_area = Rect {
        height: list_h as u16,
        ..inner
    };
    frame.render_widget(Paragraph::new(lines), list_area);
    let fix = &all[sel].fix;
    let fix_area = Rect {
        y: inner.y + list_h as u16 + 1,
        height: inner.height.saturating_sub(list_h as u16 + 1),
        ..inner
    };
    let fix_line = Line::from(vec![
        Span::styled("fix: ", t.label()),
        Span::raw(esc(fix).into_owned()),
    ]);
    frame.render_widget(
        Paragraph::new(fix_line).wrap(ratatui::widgets::Wrap { trim: true }),
        fix_area,
    );
}
