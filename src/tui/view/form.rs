//! A form as a centred popup: one line per field (label, value or ‹choice›), the inline
//! validation message under a bad field, a build error in red on top.

use super::super::app::App;
use super::super::form::{Form, Input};
use super::popup;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

const LABEL: usize = 13;

/// The popup's lines and the index of the focused field's line.
pub fn lines(app: &App, form: &Form) -> (Vec<Line<'static>>, usize) {
    let t = &app.theme;
    let mut out = Vec::new();
    let mut focus_line = 0;
    if let Some(e) = &form.error {
        out.push(Line::styled(format!("✗ {e}"), t.error()));
        out.push(Line::raw(""));
    }
    for (i, f) in form.fields.iter().enumerate() {
        let focused = i == form.focus;
        if focused {
            focus_line = out.len();
        }
        let marker = if focused { "›" } else { " " };
        let star = if f.required { "*" } else { " " };
        let mut spans = vec![Span::styled(
            format!("{marker}{:<LABEL$}{star} ", f.label),
            t.label(),
        )];
        match &f.input {
            Input::Text(s) => {
                spans.push(Span::raw(s.clone()));
                if focused {
                    spans.push(Span::styled("▏", t.key()));
                }
                if s.is_empty() && !f.hint.is_empty() {
                    spans.push(Span::styled(f.hint, t.dim()));
                }
            }
            Input::Choice { .. } => {
                let style = if focused { t.selected() } else { t.key() };
                spans.push(Span::styled(format!("‹ {} ›", f.display()), style));
            }
        }
        out.push(Line::from(spans));
        if let Some(e) = &f.error {
            out.push(Line::styled(
                format!("{:width$}✗ {e}", "", width = LABEL + 3),
                t.error(),
            ));
        }
    }
    out.push(Line::raw(""));
    out.push(Line::styled(
        "* required   Enter submit · Esc cancel · ←/→ change choice",
        t.dim(),
    ));
    // Choices (signing CAs) and errors quote store text.
    let out = out.into_iter().map(super::escape_line).collect();
    (out, focus_line)
}

pub fn draw(frame: &mut Frame, app: &App, form: &Form, area: Rect) {
    let (body, focus_line) = lines(app, form);
    let area = popup(area, 64, body.len() as u16 + 2);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border(true))
        .title(format!(" {} ", crate::text::escape_control(&form.title)));
    frame.render_widget(Clear, area);
    // Keep the focused field visible on short terminals.
    let inner_h = area.height.saturating_sub(2) as usize;
    let scroll = focus_line.saturating_sub(inner_h.saturating_sub(2)) as u16;
    frame.render_widget(
        Paragraph::new(body)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}
