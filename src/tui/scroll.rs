//! Scrolling the list over a slow link. When only the list window moved by a few rows since
//! the last frame, the terminal itself moves those lines (a DECSTBM scroll region plus SU/SD,
//! a dozen bytes) and ratatui's diff is told so, so only the rows that came into view are sent
//! instead of every visible row.

use super::app::App;
use super::flow::Overlay;
use super::view;
use ratatui::backend::Backend;
use ratatui::buffer::{Buffer, Cell};
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
pub fn scroll_if_cheaper<B: Backend + Write>(
    term: &mut Terminal<B>,
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
    let shifted = shift_rows(prev, top, rows, d);
    let bottom = top + rows - 1;
    let (n, dir) = (d.unsigned_abs(), if d > 0 { 'S' } else { 'T' });
    // 1-based margins; `ESC [ r` restores the full screen as the region.
    write!(
        term.backend_mut(),
        "\x1b[{};{}r\x1b[{n}{dir}\x1b[r",
        top + 1,
        bottom + 1
    )?;
    // ratatui diffs the next frame against its previous buffer: put the shifted copy there by
    // writing it into the current buffer and swapping.
    *term.current_buffer_mut() = shifted;
    term.swap_buffers();
    Ok(())
}

/// `buf` with lines `top..top+rows` moved up by `d` (down when negative), as the terminal does
/// it. The lines scrolled in are blank on the terminal but filled here with a cell no frame
/// draws, so the diff rewrites them whole, in one run of text: cheaper than a cursor move
/// around every gap between columns, and never a stale cell.
fn shift_rows(buf: &Buffer, top: u16, rows: u16, d: isize) -> Buffer {
    let mut fresh = Cell::default();
    fresh.set_symbol("\u{fffc}");
    let mut out = buf.clone();
    let width = buf.area.width;
    for r in 0..rows {
        let src = r as isize + d;
        for x in 0..width {
            let cell = if (0..rows as isize).contains(&src) {
                buf[(buf.area.x + x, top + src as u16)].clone()
            } else {
                fresh.clone()
            };
            out[(buf.area.x + x, top + r)] = cell;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(buf: &Buffer) -> Vec<String> {
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn shifting_matches_what_a_terminal_scroll_region_does() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 3, 6));
        for (y, s) in ["hdr", "aaa", "bbb", "ccc", "ddd", "end"]
            .iter()
            .enumerate()
        {
            buf.set_string(0, y as u16, s, ratatui::style::Style::default());
        }
        // Region: lines 1..=4; scroll up by one, then down by two. New lines (`#` here) never
        // equal a drawn cell, so the next diff rewrites them completely.
        let shown = |b: &Buffer| {
            lines(b)
                .into_iter()
                .map(|l| l.replace('\u{fffc}', "#"))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            shown(&shift_rows(&buf, 1, 4, 1)),
            ["hdr", "bbb", "ccc", "ddd", "###", "end"]
        );
        assert_eq!(
            shown(&shift_rows(&buf, 1, 4, -2)),
            ["hdr", "###", "###", "aaa", "bbb", "end"]
        );
    }
}
