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

pub fn lines(app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut out = Vec::new();
    for ctx in SECTIONS {
        if !out.is_empty() {
            out.push(Line::raw(""));
        }
        out.push(Line::styled(ctx.title(), t.header()));
        for bd in KEYMAP.iter().filter(|bd| bd.context == ctx) {
            out.push(Line::from(vec![
                Span::styled(format!("  {:<14}", keymap::keys_label(bd)), t.key()),
                Span::raw(bd.desc),
            ]));
        }
    }
    out
}

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let lines = lines(app);
    let h = (lines.len() as u16 + 2).min(area.height);
    let w = 56.min(area.width);
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
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
