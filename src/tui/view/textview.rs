//! The text view (`v`): the item's text over the whole screen but the status lines, its position
//! and the search (being typed, or the last one) on the bottom line, the matched line marked.

use super::super::app::App;
use super::super::textview::TextView;
use crate::text::escape_control;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

/// Lines shown at once in `area` (border and the bottom line off).
pub fn shown(area: Rect) -> usize {
    area.height.saturating_sub(3).max(1) as usize
}

pub fn draw(frame: &mut Frame, app: &App, v: &TextView, area: Rect) {
    let t = &app.theme;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border(true))
        .title(format!(" Text: {} ", escape_control(&v.title)));
    frame.render_widget(Clear, area);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let n = shown(area);
    let top = v.scroll.min(v.lines.len().saturating_sub(n));
    // Long lines are cut, not wrapped: PEM and dump lines keep their columns (a line longer
    // than the screen is rare: SAN lists; `Y` copies them whole).
    let body: Vec<Line> = (v.lines.iter().enumerate().skip(top).take(n))
        .map(|(i, l)| {
            let l = escape_control(l).into_owned();
            match v.hit == Some(i) {
                true => Line::styled(l, t.selected()),
                false => Line::raw(l),
            }
        })
        .collect();
    let body_area = Rect {
        height: inner.height.saturating_sub(1),
        ..inner
    };
    frame.render_widget(Paragraph::new(body), body_area);
    let last = (top + n).min(v.lines.len());
    let foot = match &v.typing {
        Some(q) => vec![
            Span::raw(format!("/{}", escape_control(q))),
            Span::styled("▏", t.dim()),
        ],
        None => {
            let mut f = vec![Span::styled(
                format!("lines {}-{last} of {}", (top + 1).min(last), v.lines.len()),
                t.dim(),
            )];
            if !v.query.is_empty() {
                f.push(Span::styled(
                    format!("  /{}  n/N next/previous", escape_control(&v.query)),
                    t.dim(),
                ));
            }
            f
        }
    };
    let foot_area = Rect {
        y: inner.y + inner.height.saturating_sub(1),
        height: 1.min(inner.height),
        ..inner
    };
    frame.render_widget(Line::from(foot), foot_area);
}
