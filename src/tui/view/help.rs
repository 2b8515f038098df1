//! The help overlay, generated from the keymap table (never hand-written).

use super::super::app::App;
use super::super::keymap::{self, Context, KEYMAP};
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

const SECTIONS: [Context; 6] = [
    Context::Normal,
    Context::List,
    Context::Details,
    Context::Filter,
    Context::Any,
    Context::Help,
];

/// Sections in the left column; the rest go right when there is room for two columns.
const LEFT: usize = 2;
const COLUMN: u16 = 40;

pub fn lines(app: &App, sections: &[Context]) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut out = Vec::new();
    for &ctx in sections {
        if !out.is_empty() {
            out.push(Line::raw(""));
        }
        out.push(Line::styled(ctx.title(), t.header()));
        for bd in KEYMAP.iter().filter(|bd| bd.context == ctx) {
            out.push(Line::from(vec![
                Span::styled(format!(" {:<10}", keymap::keys_label(bd)), t.key()),
                Span::raw(bd.desc),
            ]));
        }
    }
    out
}

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let two = area.width >= 2 * COLUMN - 2;
    let columns: Vec<Vec<Line>> = if two {
        vec![lines(app, &SECTIONS[..LEFT]), lines(app, &SECTIONS[LEFT..])]
    } else {
        vec![lines(app, &SECTIONS)]
    };
    let tallest = columns.iter().map(Vec::len).max().unwrap_or(0) as u16;
    let h = (tallest + 2).min(area.height);
    let w = (COLUMN * columns.len() as u16).min(area.width);
    let [row] = Layout::vertical([Constraint::Length(h)])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(w)])
        .flex(Flex::Center)
        .areas(row);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border(true))
        .title(" Keys (Esc closes) ");
    frame.render_widget(Clear, popup);
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let n = columns.len() as u32;
    let cols = Layout::horizontal((0..n).map(|_| Constraint::Ratio(1, n))).split(inner);
    for (col, area) in columns.into_iter().zip(cols.iter()) {
        frame.render_widget(Paragraph::new(col), *area);
    }
}
