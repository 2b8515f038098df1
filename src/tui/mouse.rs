//! Clicks and the wheel (issue #16). A click on a list row selects it and focuses the list, a
//! click in the details focuses them; the wheel scrolls what is under the pointer, or the open
//! overlay. The keyboard stays complete without any of it (`--no-mouse`).

use super::app::{App, Effect, Focus};
use super::keymap::{Action, Context};
use super::listing::Row;
use super::view;
use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

/// Lines (or rows) one wheel notch moves, as most terminals' own scrollback does.
const WHEEL: usize = 3;

fn inside(r: Option<Rect>, col: u16, row: u16) -> bool {
    r.is_some_and(|r| r.contains(Position::new(col, row)))
}

impl App {
    pub(super) fn on_mouse(&mut self, ev: MouseEvent) -> Vec<Effect> {
        let ctx = self.context();
        let wheel = match ev.kind {
            MouseEventKind::ScrollDown => Some(Action::Down),
            MouseEventKind::ScrollUp => Some(Action::Up),
            MouseEventKind::Down(MouseButton::Left) => None,
            // Moves, drags and releases change nothing.
            _ => return Vec::new(),
        };
        let a = view::areas(self, self.size);
        if !matches!(ctx, Context::List | Context::Header | Context::Details) {
            // An overlay or help is open: the wheel scrolls it; clicks do nothing there.
            let mut effects = Vec::new();
            if let Some(action) = wheel {
                for _ in 0..WHEEL {
                    effects.extend(self.act(ctx, action));
                }
            }
            return effects;
        }
        let (col, row) = (ev.column, ev.row);
        let pane = if inside(a.list, col, row) {
            Focus::List
        } else if inside(a.details, col, row) {
            Focus::Details
        } else {
            return Vec::new();
        };
        // The notice stays until the user does something, as with a key.
        self.notice = None;
        match wheel {
            Some(action) => {
                // Scroll what is under the pointer without moving the focus.
                let under = match pane {
                    Focus::List => Context::List,
                    Focus::Details => Context::Details,
                };
                let focus = self.focus;
                self.focus = pane;
                for _ in 0..WHEEL {
                    self.act(under, action);
                }
                self.focus = focus;
            }
            None => {
                self.focus = pane;
                if pane == Focus::List {
                    self.click_row(a.list.unwrap_or_default(), row);
                }
            }
        }
        Vec::new()
    }

    /// Select the item row at screen line `y` of the list pane (border and column header above).
    fn click_row(&mut self, list: Rect, y: u16) {
        let Some(line) = y.checked_sub(list.y + 2) else {
            return;
        };
        if line as usize >= self.list_height() {
            return;
        }
        let r = self.offset + line as usize;
        match self.rows.get(r).copied() {
            Some(Row::Item(i)) => {
                self.select_item(i);
            }
            // A header folds or unfolds as Enter or Space on it would.
            Some(Row::Header(..)) => {
                self.selected = r;
                self.toggle_group();
            }
            None => {}
        }
    }
}
