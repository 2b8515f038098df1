//! The help overlay, generated from the keymap table (never hand-written).

use super::super::app::App;
use super::super::keymap::{self, Context, KEYMAP};
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

const SECTIONS: [Context; 19] = [
    Context::Normal,
    Context::List,
    Context::Header,
    Context::Actions,
    Context::Menu,
    Context::Details,
    Context::Filter,
    Context::Typing,
    Context::Form,
    Context::Confirm,
    Context::Pager,
    Context::Findings,
    Context::Text,
    Context::TextSearch,
    Context::Timeline,
    Context::History,
    Context::Copy,
    Context::Any,
    Context::Help,
];

const COLUMN: u16 = 40;

pub fn lines(app: &App, sections: &[Context]) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut out = Vec::new();
    for &ctx in sections {
        if !out.is_empty() {
            out.push(Line::raw(""));
        }
        out.push(Line::styled(ctx.title(), t.header()));
        let bindings = || KEYMAP.iter().filter(|bd| bd.context == ctx);
        // Keys aligned per section, at least one blank before the description.
        let keys_w = bindings()
            .map(|bd| keymap::keys_label(bd).chars().count() + 1)
            .max()
            .unwrap_or(0)
            .max(10);
        for bd in bindings() {
            out.push(Line::from(vec![
                Span::styled(format!(" {:<keys_w$}", keymap::keys_label(bd)), t.key()),
                Span::raw(bd.desc_in(app.mode())),
            ]));
        }
    }
    out
}

/// Sections split into `n` columns in table order, each column about as tall as the others.
fn columns(app: &App, n: usize) -> Vec<Vec<Line<'static>>> {
    let total: usize = SECTIONS.iter().map(|&c| lines(app, &[c]).len() + 1).sum();
    let per = total.div_ceil(n);
    let mut cols: Vec<Vec<Context>> = vec![Vec::new()];
    let mut height = 0;
    for &ctx in &SECTIONS {
        let h = lines(app, &[ctx]).len() + 1;
        if height > 0 && height + h / 2 > per && cols.len() < n {
            cols.push(Vec::new());
            height = 0;
        }
        cols.last_mut().expect("one column").push(ctx);
        height += h;
    }
    cols.iter().map(|c| lines(app, c)).collect()
}

/// How far the help in `area` can scroll, and how many lines it shows.
pub fn extent(app: &App, area: Rect) -> (u16, u16) {
    let n = (area.width / COLUMN).clamp(1, 3) as usize;
    let tallest = columns(app, n).iter().map(Vec::len).max().unwrap_or(0) as u16;
    let inner = (tallest + 2).min(area.height).saturating_sub(2);
    (tallest.saturating_sub(inner), inner)
}

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let n = (area.width / COLUMN).clamp(1, 3) as usize;
    let columns = columns(app, n);
    let tallest = columns.iter().map(Vec::len).max().unwrap_or(0) as u16;
    let h = (tallest + 2).min(area.height);
    let w = (COLUMN * columns.len() as u16).min(area.width);
    let [row] = Layout::vertical([Constraint::Length(h)])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(w)])
        .flex(Flex::Center)
        .areas(row);
    // Taller than the screen (80x24): j/k scroll, and the title says so.
    let overflow = tallest.saturating_sub(h.saturating_sub(2));
    let scroll = app.help_scroll.min(overflow);
    let title = if overflow > 0 {
        " Keys (j/k Space/b g/G scroll, Esc closes) "
    } else {
        " Keys (Esc closes) "
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border(true))
        .title(title);
    frame.render_widget(Clear, popup);
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let n = columns.len() as u32;
    let cols = Layout::horizontal((0..n).map(|_| Constraint::Ratio(1, n))).split(inner);
    for (col, area) in columns.into_iter().zip(cols.iter()) {
        frame.render_widget(Paragraph::new(col).scroll((scroll, 0)), *area);
    }
}

#[cfg(test)]
mod tests {
    /// Every view's keys are in the help: no binding of a context help leaves out.
    #[test]
    fn help_has_a_section_for_every_bound_context() {
        for bd in super::KEYMAP {
            assert!(super::SECTIONS.contains(&bd.context), "{:?}", bd.context);
        }
    }
}
