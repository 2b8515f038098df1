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
        " Items {}/{} · sort {}{}{} ",
        app.shown,
        app.items().len(),
        app.sort.label(),
        match app.group {
            listing::GroupBy::None => String::new(),
            g => format!(" · group {}", g.label()),
        },
        match app.expiry_filter {
            Some(b) => format!(" · {}", b.label()),
            None => String::new(),
        }
    );
    let block = t.pane(focused, title);
    let height = area.height.saturating_sub(3) as usize;
    let end = (app.offset + height).min(app.rows.len());
    let window = &app.rows[app.offset.min(end)..end];
    let cols = columns(app, area);
    let sizes = sizes(&cols, area);
    let rows = window.iter().enumerate().map(|(n, row)| match *row {
        // Drawn over the whole width below; the row only reserves the line.
        Row::Header(..) => TableRow::new(vec![Cell::from("")]),
        Row::Item(i) => {
            // The marker keeps the selection visible without colour; the highlight covers the
            // whole row, so the eye can follow it to the status column.
            let selected = app.offset + n == app.selected;
            item_row(app, i, &app.metas[i].name, selected, &cols, &sizes)
        }
    });
    let header = TableRow::new(cols.iter().map(|c| c.title())).style(t.header());
    let widths: Vec<Constraint> = cols.iter().map(|c| c.constraint()).collect();
    let table = Table::new(rows, widths).header(header).block(block);
    frame.render_widget(table, area);
    // A group header is the whole path (or chain), over every column: the Name cell alone
    // cut `live/www.example.com/` to a useless `live/www.exa…`.
    let inner_w = area.width.saturating_sub(2).max(3);
    for (n, row) in window.iter().enumerate() {
        if let Row::Header(i, count) = *row {
            let selected = app.offset + n == app.selected;
            let text = header_text(app, i, count, selected, inner_w as usize);
            let r = Rect {
                x: area.x + 1,
                y: area.y + 2 + n as u16,
                width: inner_w,
                height: 1,
            };
            if r.y < area.y + area.height.saturating_sub(1) {
                frame.render_widget(ratatui::widgets::Clear, r);
                let style = match selected {
                    true => t.group().patch(t.selected()),
                    false => t.group(),
                };
                frame.render_widget(Line::styled(text, style), r);
            }
        }
    }
    let no_match;
    if app.items().is_empty() || app.shown == 0 {
        let msg = if app.items().is_empty() && app.scanning.is_some() {
            "scanning…"
        } else if app.items().is_empty() {
            "no items in this store (r to rescan)"
        } else {
            no_match = format!("no match for /{} (Esc clears)", esc(&app.filter));
            &no_match
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

/// `›▸ live/www/ (3)`: the selection marker, folded (▸) or open (▾), the whole label cut
/// from the left to fit, and how many items the group has (under the filter).
fn header_text(app: &App, i: usize, count: usize, selected: bool, width: usize) -> String {
    let key = listing::group_key(app.group, app.items(), &app.metas, i);
    let folded = app.folded.get(&app.group).is_some_and(|f| f.contains(key));
    let glyph = if folded { "▸" } else { "▾" };
    let marker = if selected { "›" } else { " " };
    let count = format!(" ({count})");
    let label = header_label(app, i);
    let room = width.saturating_sub(3 + count.chars().count());
    format!(
        "{marker}{glyph} {}{count}",
        fmt::cut_left(&esc(&label), room)
    )
}

/// The tree glyph of an item grouped by chain (`└` under its issuer, as in the chain pane),
/// one column deeper per level and at most four, so the name keeps its room at 80 columns.
fn tree_indent(app: &App, i: usize) -> String {
    let depth = app.tree_depth.get(i).copied().unwrap_or(0).min(4) as usize;
    match depth {
        0 => "  ".into(),
        d => format!("  {}└ ", " ".repeat(d - 1)),
    }
}

/// A group header's text; a fleet's host says when its exporter is down.
fn header_label(app: &App, i: usize) -> String {
    let label = listing::header_label(app.group, app.items(), &app.metas, i);
    match &app.fleet {
        Some(f) if app.group == listing::GroupBy::Host && f.is_stale(&label) => {
            format!("{label}  STALE: exporter down, last known")
        }
        _ => label,
    }
}

/// The list's columns; Path only on a wide screen (rows with one name in two places are told
/// apart), Expires only when the pane is wide enough for it as well.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Worst,
    Name,
    /// A fleet item's host (Prometheus `instance`).
    Host,
    Path,
    Kind,
    Expires,
    Left,
    Issuer,
    Status,
}

impl Col {
    fn title(self) -> &'static str {
        match self {
            // The worst audit finding of the row (C critical, W warning, i info).
            Col::Worst => "!",
            Col::Name => " Name",
            Col::Host => "Host",
            Col::Path => "Path",
            Col::Kind => "Kind",
            Col::Expires => "Expires",
            Col::Left => "Left",
            Col::Issuer => "Issuer",
            Col::Status => "Status",
        }
    }

    fn constraint(self) -> Constraint {
        match self {
            Col::Worst => Constraint::Length(1),
            Col::Name => Constraint::Fill(3),
            Col::Host => Constraint::Fill(2),
            Col::Path => Constraint::Fill(3),
            Col::Kind => Constraint::Length(4),
            Col::Expires => Constraint::Length(10),
            Col::Left => Constraint::Length(fmt::DAYS_WIDTH as u16),
            Col::Issuer => Constraint::Fill(2),
            Col::Status => Constraint::Length(8),
        }
    }
}

fn columns(app: &App, area: Rect) -> Vec<Col> {
    use Col::*;
    // A fleet's items are all certificates (no Kind); the host comes right after the name.
    if app.fleet.is_some() {
        return if !super::is_wide(app.size) {
            vec![Worst, Name, Host, Expires, Left, Status]
        } else if area.width >= 110 {
            vec![Worst, Name, Host, Path, Expires, Left, Issuer, Status]
        } else {
            // The details beside show the path.
            vec![Worst, Name, Host, Left, Status]
        };
    }
    if !super::is_wide(app.size) {
        return vec![Worst, Name, Kind, Expires, Left, Issuer, Status];
    }
    if area.width >= 110 {
        vec![Worst, Name, Path, Kind, Expires, Left, Issuer, Status]
    } else {
        vec![Worst, Name, Path, Kind, Left, Issuer, Status]
    }
}

/// Each column's width inside the pane, as the table lays them out (one space between).
fn sizes(cols: &[Col], area: Rect) -> Vec<usize> {
    let inner = Rect {
        width: area.width.saturating_sub(2),
        ..area
    };
    let widths: Vec<Constraint> = cols.iter().map(|c| c.constraint()).collect();
    ratatui::layout::Layout::horizontal(widths)
        .spacing(1)
        .split(inner)
        .iter()
        .map(|r| r.width as usize)
        .collect()
}

fn item_row<'a>(
    app: &'a App,
    i: usize,
    name: &'a str,
    selected: bool,
    cols: &[Col],
    sizes: &[usize],
) -> TableRow<'a> {
    let width_of = |c: Col| cols.iter().position(|&x| x == c).map_or(0, |p| sizes[p]);
    let t = &app.theme;
    let item: &Item = &app.items()[i];
    let worst = match app.findings.worst(item) {
        Some(s) => Span::styled(
            super::super::findings::marker(s),
            super::findings::style(app, s),
        ),
        None => Span::raw(" "),
    };
    let marker = if selected { "›" } else { " " };
    let indent = match app.group {
        listing::GroupBy::None => String::new(),
        listing::GroupBy::Chain => tree_indent(app, i),
        listing::GroupBy::File | listing::GroupBy::Host => "  ".into(),
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
    let host = crate::fleet::items::host_of(&item.path).filter(|_| app.fleet.is_some());
    let stale = host.is_some_and(|h| app.fleet.as_ref().is_some_and(|f| f.is_stale(h)));
    let status_cell = if stale {
        // Last known from an exporter that is down: not to be read as healthy.
        Span::styled("stale", t.dim())
    } else if superseded {
        Span::styled("old", t.dim())
    } else if item.locked() {
        // Not an error: Enter or U asks for its passphrase.
        Span::styled("locked", t.dim())
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
        // History: the days, without the expired/expiring marker.
        Span::styled(left.content.replace('!', " "), t.dim())
    } else {
        left
    };
    // A lineage's row names the lineage; its older versions hang under it when unfolded.
    let name = lineage_name(app, item).unwrap_or_else(|| name.to_string());
    // The marker and indent stay; the name is cut with `…` when it does not fit.
    let room = width_of(Col::Name).saturating_sub(1 + indent.chars().count());
    let name = fmt::cut(&esc(&name), room);
    let issuer = fmt::cut(&issuer, width_of(Col::Issuer));
    let name_cell = if superseded {
        Span::styled(format!("{marker}{indent}{name}"), t.dim())
    } else if item.error.is_some() {
        Span::styled(format!("{marker}{indent}{name}"), t.error())
    } else {
        Span::raw(format!("{marker}{indent}{name}"))
    };
    let shown_path = match host {
        Some(_) => crate::fleet::items::without_host(&item.path),
        None => &item.path,
    };
    let path = fmt::cut_left(&esc(shown_path), width_of(Col::Path));
    let host_cell = fmt::cut(&esc(host.unwrap_or("")), width_of(Col::Host));
    let host_cell = if stale {
        Span::styled(host_cell, t.dim())
    } else {
        Span::raw(host_cell)
    };
    let mut cells = vec![
        Cell::from(worst),
        Cell::from(name_cell),
        Cell::from(host_cell),
        Cell::from(Span::styled(path, t.dim())),
        Cell::from(short_kind(item.kind)),
        Cell::from(expires),
        Cell::from(left),
        Cell::from(issuer),
        Cell::from(status_cell),
    ];
    // Drop the cells of the columns not shown (same order as `Col`).
    let all = [
        Col::Worst,
        Col::Name,
        Col::Host,
        Col::Path,
        Col::Kind,
        Col::Expires,
        Col::Left,
        Col::Issuer,
        Col::Status,
    ];
    let mut n = 0;
    cells.retain(|_| {
        n += 1;
        cols.contains(&all[n - 1])
    });
    // The highlight covers the whole row, not only the name.
    let row = TableRow::new(cells);
    if selected {
        row.style(t.selected())
    } else {
        row
    }
}

/// `▸ NAME v3 +2 · due · a.test,www.a.test` for a lineage's row, `└ CN (old)` for an
/// unfolded older version; `None` for other items.
fn lineage_name(app: &App, item: &Item) -> Option<String> {
    let ls = &app.lineages;
    if ls.of_old(item).is_some() {
        return Some(format!("  └ {}", item.display_name()));
    }
    let l = ls.of_current(item)?;
    // ▸ folded older versions, ▾ shown; ⟳ a lineage without any. Short: the name column is
    // narrow beside the details.
    let sign = match (l.older_certs, ls.expanded.contains(&l.name)) {
        (0, _) => "⟳",
        (_, false) => "▸",
        (_, true) => "▾",
    };
    let mut s = format!("{sign} {}", l.name);
    if let Some(v) = l.version {
        s.push_str(&format!(" v{v}"));
    }
    if l.older_certs > 0 {
        s.push_str(&format!(" +{}", l.older_certs));
    }
    if l.error.is_some() {
        s.push_str(" · error");
    } else if l.due_at.is_some_and(|d| d <= app.now) {
        s.push_str(" · due");
    }
    if !l.domains.is_empty() {
        s.push_str(&format!(" · {}", l.domains.join(",")));
    }
    Some(s)
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
