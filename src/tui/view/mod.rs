//! Drawing only: every function takes `&App` and a frame. Layout is shared with `App` so that
//! scrolling (done in `update`) and drawing agree on how many rows the list shows.

mod chain;
mod confirm;
mod copy;
mod details;
pub(crate) mod findings;
mod form;
mod help;
mod history;
mod list;
mod menu;
mod pager;
mod status;
mod textview;
mod timeline;

use super::app::App;
use super::flow::Overlay;
use crate::text::escape_control;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::Frame;

/// Side-by-side list and details from this width on; below it details go under the list.
pub const WIDE: u16 = 100;

pub use pager::page as pager_page;

/// `line` with store text shown visibly, as the CLI shows it (ratatui would drop C0 controls
/// silently and pass bidi overrides through to the terminal).
pub(crate) fn escape_line(mut line: Line<'_>) -> Line<'_> {
    for span in &mut line.spans {
        if let std::borrow::Cow::Owned(e) = escape_control(&span.content) {
            *span = Span::styled(e, span.style);
        }
    }
    line
}

pub fn is_wide(area: Rect) -> bool {
    area.width >= WIDE
}

pub struct Areas {
    pub list: Option<Rect>,
    pub details: Option<Rect>,
    pub status: Rect,
    pub hints: Rect,
}

pub fn areas(app: &App, area: Rect) -> Areas {
    let [main, status, hints] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let (list, details) = if is_wide(area) {
        let [l, d] = Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
            .areas(main);
        (Some(l), Some(d))
    } else if app.details_full {
        (None, Some(main))
    } else {
        let [l, d] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(main);
        (Some(l), Some(d))
    };
    Areas {
        list,
        details,
        status,
        hints,
    }
}

/// Item rows visible in the list window (inside the border, below the column header).
pub fn list_rows(app: &App) -> usize {
    areas(app, app.size)
        .list
        .map_or(0, |r| r.height.saturating_sub(3) as usize)
}

pub fn draw(frame: &mut Frame, app: &App) {
    let a = areas(app, frame.area());
    if let Some(r) = a.list {
        list::draw(frame, app, r);
    }
    if let Some(r) = a.details {
        details::draw(frame, app, r);
    }
    status::draw_status(frame, app, a.status);
    status::draw_hints(frame, app, a.hints);
    // Overlays leave the status and hint lines visible (READ-ONLY, spinner, keys).
    let over = Rect {
        height: frame.area().height.saturating_sub(2),
        ..frame.area()
    };
    // Under the overlays: the undo it starts shows its confirm dialog on top.
    if let Some(v) = &app.history {
        history::draw(frame, app, v, over);
    }
    match &app.overlay {
        Overlay::Form(f) => form::draw(frame, app, f, over),
        Overlay::Confirm(c) => confirm::draw(frame, app, c, over),
        Overlay::Pager(p) => pager::draw(frame, app, p, over),
        Overlay::Findings(v) => findings::draw(frame, app, v, over),
        Overlay::Menu(m) => menu::draw(frame, app, m, over),
        Overlay::None => {}
    }
    if let Some(v) = &app.textview {
        textview::draw(frame, app, v, over);
    }
    if let Some(tl) = &app.timeline {
        timeline::draw(frame, app, tl, over);
    }
    if let Some(sel) = app.clipboard.menu {
        copy::draw(frame, app, sel, over);
    }
    if app.help {
        help::draw(frame, app, frame.area());
    }
}

/// Lines the text view shows at once.
pub fn text_view_page(app: &App) -> usize {
    let over = Rect {
        height: app.size.height.saturating_sub(2),
        ..app.size
    };
    textview::shown(over)
}

/// Entries a page of the history view moves.
pub fn history_page(app: &App) -> usize {
    let over = Rect {
        height: app.size.height.saturating_sub(2),
        ..app.size
    };
    history::body_rows(over).max(2) - 1
}

/// How far the help can scroll (the app clamps its scroll position with it).
pub fn help_max_scroll(app: &App) -> u16 {
    help::extent(app, app.size).0
}

/// Lines a page of help scrolls.
pub fn help_page(app: &App) -> u16 {
    help::extent(app, app.size).1.saturating_sub(1).max(1)
}

/// How far the details pane can scroll.
pub fn details_max_scroll(app: &App) -> u16 {
    (areas(app, app.size).details).map_or(0, |r| details::extent(app, r).0)
}

/// Lines a page of details scrolls.
pub fn details_page(app: &App) -> u16 {
    let shown = (areas(app, app.size).details).map_or(0, |r| details::extent(app, r).1);
    shown.saturating_sub(1).max(1)
}

/// A `w`x`h` rectangle centred in `area` (clipped to it).
pub fn popup(area: Rect, w: u16, h: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    r
}
