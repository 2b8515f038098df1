//! The item list. Only the visible window of rows is built each frame, so a 100,000-item store
//! costs the same per frame as a 20-item one.

use super::super::app::{App, Focus};
use super::super::fmt;
use super::super::listing::{self, Row};
use crate::pki::{Detail, Item, ItemKind, Status};
use crate::text::escape_control as esc;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row as TableRow, Table};
use ratatui::Frame;

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let focused = app.focus == Focus::List && !app.help;
    let title = format!(
        " Items {}/{} · sort {}{} ",
        app.shown,
        app.items().len(),
        app.sort.label(),
        match app.group {
            listing::GroupBy::None => String::new(),
            g => format!(" · group {}", g.label()),
        }
    );
    let block = t.pane(focused, title);
    let height = area.height.saturating_sub(3) as usize;
    let end = (app.offset + height).min(app.rows.len());
    let window = &app.rows[app.offset.min(end)..end];
    let rows = window.iter().enumerate().map(|(n, row)| match *row {
        Row::Header(i) => TableRow::new(vec![Cell::from(format!(
            "▾ {}",
            esc(&listing::header_label(
                app.group,
                app.items(),
                &app.metas,
                i
            ))
        ))])
        .style(t.group()),
        Row::Item(i) => {
            // The marker keeps the selection visible without colour; reverse video covers only
            // the name cell, so moving one row rewrites ~60 cells, not two whole rows (bytes
            // over a slow SSH link).
            let selected = app.offset + n == app.selected;
            item_row(app, i, &app.metas[i].name, selected)
        }
    });
    // `!`: the worst audit finding of the row (C critical, W warning, i info).
    let header = TableRow::new(["!", " Name", "Kind", "Expires", "Left", "Issuer", "Status"])
        .style(t.header());
    let widths = [
        Constraint::Length(1),
        Constraint::Fill(3),
        Constraint::Length(4),
        Constraint::Length(10),
        Constraint::Length(7),
        Constraint::Fill(2),
        Constraint::Length(8),
    ];
    let table = Table::new(rows, widths).header(header).block(block);
    frame.render_widget(table, area);
    if app.items().is_empty() {
        let msg = if app.scanning.is_some() {
            "scanning…"
        } else {
            "no items in this store (r to rescan)"
        };
        let inner = Rect {
            x: area.x + 2,
            y: area.y + 2,
            width: area.width.saturating_sub(4),
            height: 1.min(area.height.saturating_sub(3)),
        };
        frame.render_widget(Line::styled(msg, t.dim()), inner);
    }
}

fn item_row<'a>(app: &'a App, i: usize, name: &'a str, selected: bool) -> TableRow<'a> {
    let t = &app.theme;
    let item: &Item = &app.items()[i];
    let worst = match app.findings.worst(i) {
        Some(s) => Span::styled(
            super::super::findings::marker(s),
            super::findings::style(app, s),
        ),
        None => Span::raw(" "),
    };
    let marker = if selected { "›" } else { " " };
    let indent = if app.group == listing::GroupBy::None {
        ""
    } else {
        "  "
    };
    let status = app.status_of(item);
    let (expires, left, issuer) = match &item.detail {
        Detail::Certificate(c) => {
            let days = fmt::days_until(c.not_after_unix, app.now);
            let left = Span::styled(
                fmt::days_cell(days, app.warn_days),
                t.urgency(fmt::urgency(days, app.warn_days)),
            );
            (
                fmt::date(c.not_after_unix),
                left,
                esc(fmt::cn_of(&c.issuer)).into_owned(),
            )
        }
        Detail::Crl(c) => (
            c.next_update_unix.map(fmt::date).unwrap_or_default(),
            Span::raw(""),
            esc(fmt::cn_of(&c.issuer)).into_owned(),
        ),
        _ => (String::new(), Span::raw(""), String::new()),
    };
    // A certbot version live/ no longer points to is history: muted, whatever its dates.
    let superseded = crate::store::certbot::is_superseded(item);
    let status_cell = if superseded {
        Span::styled("old", t.dim())
    } else {
        Span::styled(
            short_status(status),
            match status {
                Status::Error | Status::Expired | Status::Revoked => t.error(),
                Status::Expiring => t.urgency(fmt::Urgency::Soon),
                _ => ratatui::style::Style::default(),
            },
        )
    };
    let left = if superseded {
        Span::styled(left.content, t.dim())
    } else {
        left
    };
    let name = esc(name);
    let name_cell = if superseded {
        Span::styled(format!("{marker}{indent}{name}"), t.dim())
    } else if item.error.is_some() {
        Span::styled(format!("{marker}{indent}{name}"), t.error())
    } else {
        Span::raw(format!("{marker}{indent}{name}"))
    };
    let name_cell = if selected {
        Cell::from(name_cell).style(t.selected())
    } else {
        Cell::from(name_cell)
    };
    TableRow::new(vec![
        Cell::from(worst),
        name_cell,
        Cell::from(short_kind(item.kind)),
        Cell::from(expires),
        Cell::from(left),
        Cell::from(issuer),
        Cell::from(status_cell),
    ])
}

/// Status labels that fit the 8-column status cell.
fn short_status(s: Status) -> &'static str {
    match s {
        Status::Ok => "ok",
        Status::Expiring => "expiring",
        Status::Expired => "EXPIRED",
        Status::NotYetValid => "future",
        Status::Error => "ERROR",
        Status::Revoked => "REVOKED",
    }
}

/// Kind labels that fit the 4-column kind cell.
fn short_kind(k: ItemKind) -> &'static str {
    match k {
        ItemKind::Keystore => "ks",
        ItemKind::Unknown => "?",
        other => other.label(),
    }
}
