//! The `Y` menu: what can be copied of the selected item, the chosen one marked.

use super::super::app::App;
use super::super::clipboard::{text, MENU};
use super::popup;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

pub fn draw(frame: &mut Frame, app: &App, sel: usize, area: Rect) {
    let t = &app.theme;
    let r = popup(area, 46, MENU.len() as u16 + 2);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border(true))
        .title(" Copy to the clipboard ");
    let item = app.selected_item();
    let lines: Vec<Line> = MENU
        .iter()
        .enumerate()
        .map(|(n, &what)| {
            let mark = if n == sel { "›" } else { " " };
            let text_of = item.map(|it| text(it, what, &app.inventory));
            let line = format!("{mark} {}", what.label());
            match text_of {
                Some(Ok(_)) if n == sel => Line::styled(line, t.selected()),
                Some(Ok(_)) => Line::raw(line),
                // Entries this item has nothing for stay listed, dimmed.
                _ => Line::styled(line, t.dim()),
            }
        })
        .collect();
    frame.render_widget(Clear, r);
    frame.render_widget(Paragraph::new(lines).block(block), r);
}
