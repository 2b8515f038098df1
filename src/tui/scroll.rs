//! Scrolling the list over a slow link. When only the list window moved by a few rows since
//! the last frame, the terminal itself moves those lines (a DECSTBM scroll region plus SU/SD,
//! a dozen bytes) and ratatui's diff is told so, so only the rows that came into view are sent
//! instead of every visible row.

use super::app::App;
use super::flow::Overlay;
use super::view;
use super::wire::{shift_rows, WireBackend};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::Terminal;
use std::io::Write;

/// What the last frame showed, as far as scrolling needs to know.
#[derive(Default)]
pub struct LastFrame {
    buffer: Option<Buffer>,
    offset: usize,
    list: Option<Rect>,
}

impl LastFrame {
    /// Forget the last frame (after a resize or clear: the next frame is drawn in full).
    pub fn reset(&mut self) {
        self.buffer = None;
    }

    /// Remember the frame just drawn.
    pub fn record(&mut self, app: &App, drawn: &Buffer) {
        self.buffer = Some(drawn.clone());
        self.offset = app.offset;
        self.list = scrollable_list(app, drawn.area);
    }
}

/// The list rectangle when its lines can be scrolled by the terminal: it spans the full width
/// (a scroll region moves whole lines) and nothing is drawn over it.
fn scrollable_list(app: &App, area: Rect) -> Option<Rect> {
    if app.help || !matches!(app.overlay, Overlay::None) {
        return None;
    }
    let list = view::areas(app, area).list?;
    (list.x == area.x && list.width == area.width && list.height > 3).then_some(list)
}

/// Before drawing `app`: if the list scrolled by fewer rows than it shows, scroll the
/// terminal's lines and make ratatui's previous frame match what the terminal now shows.
pub fn scroll_if_cheaper<W: Write>(
    term: &mut Terminal<WireBackend<W>>,
    last: &mut LastFrame,
    app: &App,
) -> std::io::Result<()> {
    let Some(prev) = last.buffer.as_ref() else {
        return Ok(());
    };
    let Some(list) = scrollable_list(app, prev.area) else {
        return Ok(());
    };
    let d = app.offset as isize - last.offset as isize;
    // Item rows: inside the border, below the column header.
    let top = list.y + 2;
    let rows = list.height - 3;
    if last.list != Some(list) || d == 0 || d.unsigned_abs() >= rows as usize {
        return Ok(());
    }
    term.backend_mut().scroll_lines(top, rows, d)?;
    // ratatui diffs the next frame against its previous buffer: put the shifted copy there by
    // writing it into the current buffer and swapping. The lines scrolled in are blank, so
    // only their non-blank cells are sent.
    *term.current_buffer_mut() = shift_rows(prev, top, rows, d);
    term.swap_buffers();
    Ok(())
}
