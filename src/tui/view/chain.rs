//! The chain tree: root at the top, each issued certificate one level deeper, with its link note.

use super::super::app::App;
use super::super::fmt;
use super::details::field;
use crate::pki::{CertInfo, ChainStatus, Item};
use ratatui::text::{Line, Span};

/// The chain's verdict; while the scan runs a chain not built yet is "checking…", not the
/// model's default "incomplete" (a root flashed "Chain incomplete" until the scan ended).
pub fn status_span<'a>(app: &App, c: &CertInfo) -> Span<'a> {
    let t = &app.theme;
    if pending(app, c) {
        return Span::styled(
            "checking… (chains are built when the scan is complete)",
            t.dim(),
        );
    }
    let label = c.chain.label();
    match c.chain {
        ChainStatus::Valid => Span::styled(label, t.urgency(fmt::Urgency::Fine)),
        ChainStatus::UntrustedRoot | ChainStatus::Incomplete => {
            Span::styled(label, t.urgency(fmt::Urgency::Soon))
        }
        ChainStatus::Broken => Span::styled(label, t.error()),
        ChainStatus::Unverified => Span::styled(label, t.dim()),
    }
}

/// The scan runs and this certificate's chain is not built yet.
pub fn pending(app: &App, c: &CertInfo) -> bool {
    c.chain_note.is_none() && app.scanning.is_some()
}

pub fn lines<'a>(app: &App, item: &'a Item) -> Vec<Line<'a>> {
    let t = &app.theme;
    let Some(c) = item.cert() else {
        return vec![Line::styled("not a certificate: no chain", t.dim())];
    };
    let mut out = vec![field(t, "Chain", status_span(app, c))];
    if !c.chain_detail.is_empty() && !pending(app, c) {
        out.push(field(t, "", &*c.chain_detail));
    }
    out.push(Line::raw(""));
    let links = c.chain_links(&item.path);
    if links.is_empty() {
        out.push(Line::styled(
            "no chain built yet (scan still running?)",
            t.dim(),
        ));
        return out;
    }
    // The chain is leaf first; the tree reads from the root down.
    for (depth, link) in links.iter().rev().enumerate() {
        let indent = "   ".repeat(depth.saturating_sub(1));
        let branch = if depth == 0 { "" } else { "└─ " };
        let note_style = if link.note.starts_with("bad") || link.note.contains("missing") {
            t.error()
        } else {
            t.dim()
        };
        out.push(Line::from(vec![
            Span::raw(format!("{indent}{branch}")),
            Span::styled(fmt::cn_of(link.subject).to_string(), t.header()),
            Span::raw("  "),
            Span::styled(format!("[{}]", link.note), note_style),
        ]));
        let pad = "   ".repeat(depth);
        out.push(Line::styled(format!("{pad}{}", link.path), t.dim()));
    }
    out
}
