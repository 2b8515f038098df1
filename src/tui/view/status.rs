//! The status line (store, counts, scan progress, filter, READ-ONLY) and the key hint line,
//! the latter generated from the keymap.

use super::super::app::App;
use super::super::keymap;
use super::super::lineedit;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::Frame;

pub fn draw_status(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let c = &app.counts;
    let mut spans = Vec::new();
    if app.read_only {
        spans.push(Span::styled(" READ-ONLY ", t.read_only()));
        spans.push(Span::raw(" "));
    }
    // Most urgent first: on a narrow terminal the store path is what gets cut off.
    if let Some(fleet) = &app.fleet {
        let (hosts, stale) = fleet.host_counts();
        let hosts = super::super::fmt::count(hosts, "host", "hosts");
        spans.push(if stale > 0 {
            Span::styled(format!("{hosts}, {stale} stale  "), t.error())
        } else {
            Span::raw(format!("{hosts}  "))
        });
    }
    if let Some(job) = &app.busy {
        const FRAMES: [char; 4] = ['|', '/', '-', '\\'];
        let f = FRAMES[(app.spinner / 2) % FRAMES.len()];
        spans.push(Span::styled(format!("{f} {job}…  "), t.key()));
    }
    if let Some((done, total)) = app.scanning {
        spans.push(Span::styled(format!("scanning {done}/{total}  "), t.key()));
    }
    if let Some((done, total)) = app.verifying {
        let pct = done * 100 / total.max(1);
        spans.push(Span::styled(format!("verifying {pct}%  "), t.key()));
    }
    if app.filter_editing || !app.filter.is_empty() {
        let filter = crate::text::escape_control(&app.filter);
        if app.context() == keymap::Context::Filter {
            // The terminal's own cursor shows where typing goes.
            let before: usize = spans.iter().map(Span::width).sum();
            let col = before + 1 + lineedit::column(&app.filter, app.filter_cursor);
            let x = (area.x as usize + col).min(area.right().saturating_sub(1) as usize);
            frame.set_cursor_position(Position::new(x as u16, area.y));
        }
        spans.push(Span::styled(format!("/{filter}  "), t.key()));
    }
    use super::super::fmt::count;
    spans.push(Span::raw(format!(
        "{} · {} expired · {} expiring · {}  ",
        count(c.certs, "cert", "certs"),
        c.expired,
        c.expiring,
        count(c.errors, "error", "errors")
    )));
    let store = app.store.display().to_string();
    spans.push(Span::styled(
        crate::text::escape_control(&store).into_owned(),
        t.header(),
    ));
    frame.render_widget(Line::from(spans), area);
}

/// The key hints, or the last notice (a result or a refusal) until the next key.
pub fn draw_hints(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    // Over the pager the pager's keys show; the message is in it.
    let pager = matches!(app.overlay, super::super::flow::Overlay::Pager(_));
    if let Some(n) = app.notice.as_ref().filter(|_| !pager) {
        let style = if n.error { t.error() } else { t.key() };
        let first = n.text.lines().next().unwrap_or("");
        let text = crate::text::escape_control(first).into_owned();
        if !super::super::pager::is_long(&n.text, area.width) {
            frame.render_widget(Line::styled(text, style), area);
            return;
        }
        // Too long for one line: as much as fits, and where the rest is.
        let more = " … (M: message log)";
        let room = (area.width as usize).saturating_sub(more.chars().count());
        let cut: String = text.chars().take(room).collect();
        let line = Line::from(vec![Span::styled(cut, style), Span::styled(more, t.dim())]);
        frame.render_widget(line, area);
        return;
    }
    let mut spans = Vec::new();
    for (keys, text) in fitting_hints(app.context(), app.mode(), area.width as usize) {
        spans.push(Span::styled(keys, t.key()));
        spans.push(Span::styled(text, t.dim()));
    }
    frame.render_widget(Line::from(spans), area);
}

/// The hints of `ctx` that fit `width` columns whole, in table order; `?` (help, where every
/// key is listed) is always among them, whatever else has to give way.
fn fitting_hints(ctx: keymap::Context, mode: keymap::Mode, width: usize) -> Vec<(String, String)> {
    let all: Vec<(bool, String, String)> = keymap::hints(ctx)
        .map(|bd| {
            let text = format!(" {}  ", bd.hint_in(mode).unwrap_or(bd.desc_in(mode)));
            (
                bd.action == keymap::Action::Help,
                keymap::keys_label(bd),
                text,
            )
        })
        .collect();
    let cols = |k: &str, t: &str| k.chars().count() + t.trim_end().chars().count();
    let help_w = (all.iter().find(|h| h.0)).map_or(0, |(_, k, t)| cols(k, t) + 2);
    let mut used = 0;
    let mut help_placed = help_w == 0;
    let mut out = Vec::new();
    for (is_help, k, t) in all {
        let w = cols(&k, &t);
        let reserve = if help_placed || is_help { 0 } else { help_w };
        // The last hint's trailing blanks may run off the edge.
        if used + w + reserve <= width {
            used += w + 2;
            help_placed |= is_help;
            out.push((k, t));
        } else if help_placed {
            // A prefix of the table, so the line reads the same at every width.
            break;
        }
    }
    out
}
