//! A form as a centred popup: one line per field (label, value or ‹choice›), the inline
//! validation message under a bad field, a build error in red on top. The focused text field
//! shows the terminal cursor where typing goes; a value wider than the popup scrolls sideways
//! around it, so a field is always one row and the cursor's row is known.

use super::super::app::App;
use super::super::form::{Form, Input};
use super::super::lineedit;
use super::popup;
use crate::text::escape_control;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;
use unicode_width::UnicodeWidthChar;

const LABEL: usize = 13;
const MASK: &str = "•";
/// Marker, label, star and a space before a value.
const VALUE_COL: usize = LABEL + 3;

/// The popup's lines (each one row of `width` columns), the index of the focused field's line
/// and the cursor's column in it when a text field has the focus.
pub fn lines(app: &App, form: &Form, width: usize) -> (Vec<Line<'static>>, usize, Option<usize>) {
    let t = &app.theme;
    let mut out = Vec::new();
    let mut focus_line = 0;
    let mut cursor = None;
    if let Some(e) = &form.error {
        for part in chunks(&format!("✗ {e}"), width) {
            out.push(Line::styled(part, t.error()));
        }
        out.push(Line::raw(""));
    }
    for n in &form.notes {
        out.push(Line::styled(cut(&escape_control(n), width), t.dim()));
    }
    if !form.notes.is_empty() {
        out.push(Line::raw(""));
    }
    let room = width.saturating_sub(VALUE_COL).max(1);
    for (i, f) in form.fields.iter().enumerate() {
        if form.hidden(f.id) {
            continue;
        }
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
        // A passphrase shows one dot per character, never the text.
        let masked;
        let (input, cursor_at) = match &f.input {
            Input::Text(s) if f.secret => {
                let before = s[..f.cursor.min(s.len())].chars().count();
                masked = Input::Text(MASK.repeat(s.chars().count()));
                (&masked, before * MASK.len())
            }
            other => (other, f.cursor),
        };
        match input {
            Input::Text(s) if focused => {
                let (shown, col) = window(s, cursor_at, room);
                spans.push(Span::raw(shown));
                cursor = Some(VALUE_COL + col);
                if s.is_empty() && !f.hint.is_empty() {
                    spans.push(Span::styled(f.hint, t.dim()));
                }
            }
            Input::Text(s) => {
                spans.push(Span::raw(cut(&escape_control(s), room)));
                if s.is_empty() && !f.hint.is_empty() {
                    spans.push(Span::styled(f.hint, t.dim()));
                }
            }
            Input::Choice { .. } => {
                let style = if focused { t.selected() } else { t.key() };
                let label = cut(&escape_control(f.display()), room.saturating_sub(4));
                spans.push(Span::styled(format!("‹ {label} ›"), style));
            }
        }
        out.push(Line::from(spans));
        if let Some(e) = &f.error {
            let indent = " ".repeat(VALUE_COL);
            for part in chunks(&format!("✗ {e}"), room) {
                out.push(Line::styled(format!("{indent}{part}"), t.error()));
            }
        }
    }
    if let Some(w) = form.warning() {
        for part in chunks(&format!("! {w}"), width) {
            out.push(Line::styled(
                part,
                t.urgency(super::super::fmt::Urgency::Soon),
            ));
        }
    }
    out.push(Line::raw(""));
    out.push(Line::styled(
        cut(
            "* required   Enter submit · Esc cancel · ←/→ change choice",
            width,
        ),
        t.dim(),
    ));
    (out, focus_line, cursor)
}

/// The part of `s` (escaped) that fits `room` columns with the cursor in view, and the
/// cursor's column in it.
fn window(s: &str, cursor: usize, room: usize) -> (String, usize) {
    let shown = escape_control(s);
    let col = lineedit::column(s, cursor);
    // One column stays free for the cursor after the last character.
    let skip = (col + 1).saturating_sub(room);
    let mut out = String::new();
    let (mut at, mut used) = (0, 0);
    for c in shown.chars() {
        let w = c.width().unwrap_or(0);
        if at >= skip && used + w < room {
            out.push(c);
            used += w;
        } else if at >= skip {
            break;
        }
        at += w;
    }
    (out, col - skip.min(col))
}

/// `s` cut to `room` columns, with `…` when something was left out.
fn cut(s: &str, room: usize) -> String {
    use unicode_width::UnicodeWidthStr;
    if s.width() <= room {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > room {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// `s` (escaped) in pieces of at most `width` columns, for messages that must be read whole.
fn chunks(s: &str, width: usize) -> Vec<String> {
    let s = escape_control(s);
    let mut out = vec![String::new()];
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width.max(1) {
            out.push(String::new());
            used = 0;
        }
        out.last_mut().expect("one piece").push(c);
        used += w;
    }
    out
}

pub fn draw(frame: &mut Frame, app: &App, form: &Form, area: Rect) {
    let width = 64.min(area.width);
    let (body, focus_line, cursor) = lines(app, form, width.saturating_sub(2) as usize);
    let area = popup(area, width, body.len() as u16 + 2);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border(true))
        .title(format!(" {} ", escape_control(&form.title)));
    frame.render_widget(Clear, area);
    // Keep the focused field visible on short terminals.
    let inner = block.inner(area);
    let inner_h = inner.height as usize;
    let scroll = focus_line.saturating_sub(inner_h.saturating_sub(2));
    frame.render_widget(
        Paragraph::new(body).block(block).scroll((scroll as u16, 0)),
        area,
    );
    if let Some(col) = cursor {
        let row = focus_line - scroll;
        if row < inner_h && col < inner.width as usize {
            frame.set_cursor_position(Position::new(inner.x + col as u16, inner.y + row as u16));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_keeps_the_cursor_in_view() {
        assert_eq!(window("abcdef", 6, 4), ("def".into(), 3));
        assert_eq!(window("abcdef", 0, 4), ("abc".into(), 0));
        assert_eq!(window("abcdef", 3, 10), ("abcdef".into(), 3));
    }

    #[test]
    fn cut_and_chunks_fit_their_width() {
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
        assert_eq!(chunks("abcdefg", 3), vec!["abc", "def", "g"]);
    }
}
