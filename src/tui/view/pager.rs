//! The pager: a long message or the message log, every line in order, wrapped to the popup's
//! width so nothing is cut, scrolled with j/k like `less`.

use super::super::app::App;
use super::super::pager::Pager;
use super::popup;
use crate::text::escape_control;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

/// Where the pager goes on a screen of `area`, and its lines wrapped to fit inside.
fn layout(p: &Pager, area: Rect) -> (Rect, Vec<(String, bool)>) {
    let lines: Vec<(String, bool)> = (p.lines.iter())
        .map(|(l, e)| (escape_control(l).into_owned(), *e))
        .collect();
    let widest = lines.iter().map(|l| l.0.chars().count()).max().unwrap_or(0);
    let title = p.title.chars().count() + 4;
    // Room for the position line ("lines 1-19 of 28  j/k PgUp/PgDn scroll  Esc closes").
    let w = (widest.max(title) + 2).max(54).min(area.width as usize) as u16;
    let inner_w = w.saturating_sub(2).max(1) as usize;
    let mut wrapped = Vec::new();
    for (l, e) in lines {
        wrapped.extend(wrap(&l, inner_w).into_iter().map(|part| (part, e)));
    }
    // Border, lines, and the position line.
    let h = (wrapped.len() as u16).saturating_add(3);
    (popup(area, w, h), wrapped)
}

/// `line` in pieces of at most `width` characters, broken after a space when there is one
/// (paths and fingerprints without spaces are broken anywhere).
fn wrap(line: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest: Vec<char> = line.chars().collect();
    while rest.len() > width {
        let cut = match rest[..=width].iter().rposition(|&c| c == ' ') {
            Some(sp) if sp > 0 => sp + 1,
            _ => width,
        };
        out.push(
            rest[..cut]
                .iter()
                .collect::<String>()
                .trim_end()
                .to_string(),
        );
        rest.drain(..cut);
    }
    out.push(rest.into_iter().collect());
    out
}

/// The area overlays take (all but the status and hint lines).
fn over(app: &App) -> Rect {
    Rect {
        height: app.size.height.saturating_sub(2),
        ..app.size
    }
}

/// (wrapped lines, lines shown at once) at the app's current size; scrolling clamps to it.
pub fn page(app: &App, p: &Pager) -> (usize, usize) {
    let (r, lines) = layout(p, over(app));
    (lines.len(), r.height.saturating_sub(3).max(1) as usize)
}

pub fn draw(frame: &mut Frame, app: &App, p: &Pager, area: Rect) {
    let t = &app.theme;
    let (r, lines) = layout(p, area);
    let shown = r.height.saturating_sub(3).max(1) as usize;
    let scroll = p.scroll.min(lines.len().saturating_sub(shown));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border(true))
        .title(format!(" {} ", escape_control(&p.title)));
    frame.render_widget(Clear, r);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let body: Vec<Line> = lines[scroll..]
        .iter()
        .take(shown)
        .map(|(l, e)| match e {
            true => Line::styled(l.clone(), t.error()),
            false => Line::raw(l.clone()),
        })
        .collect();
    let body_area = Rect {
        height: inner.height.saturating_sub(1),
        ..inner
    };
    frame.render_widget(Paragraph::new(body), body_area);
    let last = (scroll + shown).min(lines.len());
    let mut foot = vec![Span::styled(
        format!("lines {}-{last} of {}", (scroll + 1).min(last), lines.len()),
        t.dim(),
    )];
    if lines.len() > shown {
        foot.push(Span::styled("  j/k PgUp/PgDn scroll", t.dim()));
    }
    foot.push(Span::styled("  Esc closes", t.dim()));
    let foot_area = Rect {
        y: inner.y + inner.height.saturating_sub(1),
        height: 1.min(inner.height),
        ..inner
    };
    frame.render_widget(Line::from(foot), foot_area);
}

#[cfg(test)]
mod tests {
    #[test]
    fn wraps_at_spaces_and_keeps_every_character() {
        assert_eq!(super::wrap("aaa bbb ccc", 7), ["aaa bbb", "ccc"]);
        assert_eq!(super::wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(super::wrap("", 4), [""]);
    }
}
