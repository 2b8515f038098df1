//! The action menu as a centred popup: the selected item's actions, a rule, the store's; each
//! with its key. Drawn from `menu::Menu`, which is generated from the keymap.

use super::super::app::App;
use super::super::menu::Menu;
use super::popup;
use crate::text::escape_control;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

/// Lines of the menu and the row of the selected entry.
fn lines(app: &App, menu: &Menu, width: usize) -> (Vec<Line<'static>>, usize) {
    let t = &app.theme;
    let keys_w = menu
        .entries
        .iter()
        .map(|e| e.keys.chars().count())
        .max()
        .unwrap_or(1)
        + 2;
    let mut out = Vec::new();
    let mut sel_row = 0;
    if !menu.entries.iter().any(|e| e.on_item) {
        let why = if app.read_only {
            "read-only: only reading actions"
        } else {
            "nothing acts on this item alone"
        };
        out.push(Line::styled(why, t.dim()));
    }
    let mut on_item = true;
    for (i, e) in menu.entries.iter().enumerate() {
        if on_item && !e.on_item {
            on_item = false;
            out.push(Line::styled("store", t.header()));
        }
        if i == menu.selected {
            sel_row = out.len();
        }
        let marker = if i == menu.selected { "›" } else { " " };
        let desc: String = e
            .desc
            .chars()
            .take(width.saturating_sub(keys_w + 1))
            .collect();
        let style = if i == menu.selected {
            t.selected()
        } else {
            ratatui::style::Style::default()
        };
        out.push(Line::from(vec![
            Span::styled(format!("{marker}{:<keys_w$}", e.keys), t.key()),
            Span::styled(desc, style),
        ]));
    }
    (out, sel_row)
}

pub fn draw(frame: &mut Frame, app: &App, menu: &Menu, area: Rect) {
    let width = 56.min(area.width);
    let (body, sel) = lines(app, menu, width.saturating_sub(2) as usize);
    let area = popup(area, width, body.len() as u16 + 2);
    let title: String = escape_control(&menu.title)
        .chars()
        .take(width.saturating_sub(4) as usize)
        .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border(true))
        .title(format!(" {title} "));
    frame.render_widget(Clear, area);
    let inner_h = block.inner(area).height as usize;
    let scroll = (sel + 1).saturating_sub(inner_h);
    frame.render_widget(
        Paragraph::new(body).block(block).scroll((scroll as u16, 0)),
        area,
    );
}
