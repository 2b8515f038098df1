//! The details pane: every field of the selected item as `label  value` lines, or the chain tree.

use super::super::app::{App, Focus};
use super::super::fmt;
use super::super::theme::Theme;
use crate::pki::{CertInfo, Detail, Item};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let focused = app.focus == Focus::Details && !app.help;
    let title = if app.chain_view {
        " Chain "
    } else {
        " Details "
    };
    let mut block = t.pane(focused, title);
    let lines = body(app, area);
    // Clamp here too: the layout may have changed since the last scroll.
    let inner_h = area.height.saturating_sub(2) as usize;
    let max_scroll = lines.len().saturating_sub(inner_h) as u16;
    let top = app.details_scroll.min(max_scroll);
    if lines.len() > inner_h {
        // Where the window is, as less shows it: more lies below or above.
        block = block
            .title_bottom(Line::from(position(top as usize, inner_h, lines.len())).right_aligned());
    }
    let para = Paragraph::new(lines).block(block).scroll((top, 0));
    frame.render_widget(para, area);
}

/// ` lines 1-20/45 ` for a window of `shown` lines from `top` over `total`.
pub(super) fn position(top: usize, shown: usize, total: usize) -> String {
    let last = (top + shown).min(total);
    format!(" lines {}-{last}/{total} ", top + 1)
}

/// The pane's lines as drawn in `area` (wrapped to its width).
fn body<'a>(app: &'a App, area: Rect) -> Vec<Line<'a>> {
    let lines = match app.selected_item() {
        None if app.selected_header().is_some() => group_lines(app),
        None => vec![Line::styled("nothing selected", app.theme.dim())],
        Some(item) if app.chain_view => super::chain::lines(app, item),
        Some(item) => lines(app, item),
    };
    wrap(lines, area.width.saturating_sub(2) as usize)
}

/// A group header is selected: what the group is and how to open or fold it.
fn group_lines(app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    let Some((i, n)) = app.selected_header() else {
        return Vec::new();
    };
    let key = super::super::listing::group_key(app.group, app.items(), &app.metas, i);
    let folded = app.folded.get(&app.group).is_some_and(|f| f.contains(key));
    let label = super::super::listing::header_label(app.group, app.items(), &app.metas, i);
    let state = match folded {
        true => "folded (Enter or Space opens it)",
        false => "open (Enter or Space folds it)",
    };
    vec![
        field(t, "Group", Span::styled(label, t.bold())),
        field(
            t,
            "Items",
            format!("{n} item{}", if n == 1 { "" } else { "s" }),
        ),
        field(t, "Shown", state),
    ]
}

/// How far the pane in `area` can scroll, and how many lines it shows.
pub fn extent(app: &App, area: Rect) -> (u16, u16) {
    let inner_h = area.height.saturating_sub(2);
    let n = body(app, area).len();
    (n.saturating_sub(inner_h as usize) as u16, inner_h)
}

/// Label column width; wrapped values continue under the value, not under the label.
const LABEL: usize = 12;

/// Wrap long lines at word and path boundaries (after a space, so `, ` lists break after the
/// comma, or after a `/`), else after `:` or `,` (fingerprints, DNs), and mid-token only when
/// a token is longer than the line; continuations are indented to the value column.
fn wrap(lines: Vec<Line<'_>>, width: usize) -> Vec<Line<'_>> {
    // Every value here can be store text: escaped before it is measured and cut.
    let lines: Vec<Line<'_>> = lines.into_iter().map(super::escape_line).collect();
    if width <= LABEL + 4 {
        return lines;
    }
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        if line.width() <= width {
            out.push(line);
            continue;
        }
        let chars: Vec<(char, Style)> = line
            .spans
            .iter()
            .flat_map(|sp| sp.content.chars().map(move |c| (c, sp.style)))
            .collect();
        let mut rest = &chars[..];
        let mut first = true;
        while !rest.is_empty() {
            let room = if first { width } else { width - LABEL };
            // The first line's label is no place to break.
            let n = break_at(rest, room, if first { LABEL } else { 0 });
            let (now, later) = rest.split_at(n);
            let mut spans = Vec::new();
            if !first {
                spans.push(Span::raw(" ".repeat(LABEL)));
            }
            for &(c, style) in now {
                // Never merge into the indent span.
                let mergeable = first || spans.len() > 1;
                match spans.last_mut() {
                    Some(last) if mergeable && last.style == style => last.content.to_mut().push(c),
                    _ => spans.push(Span::styled(c.to_string(), style)),
                }
            }
            out.push(Line::from(spans));
            // A continuation starts at its word, not at the blank before it.
            let skip = later.iter().take_while(|(c, _)| *c == ' ').count();
            rest = &later[skip..];
            first = false;
        }
    }
    out
}

/// How many of `rest`'s characters go on a line of `room` columns: all when they fit, else up
/// to the last boundary after `min` (see `wrap`), else `room` (a token longer than the line).
fn break_at(rest: &[(char, Style)], room: usize, min: usize) -> usize {
    if rest.len() <= room {
        return rest.len();
    }
    // The word ends at the edge: break there.
    if rest[room].0 == ' ' {
        return room;
    }
    for tier in [&[' ', '/'][..], &[',', ':'][..]] {
        if let Some(j) = (min + 1..=room)
            .rev()
            .find(|&j| tier.contains(&rest[j - 1].0))
        {
            return j;
        }
    }
    room
}

pub(super) fn field<'a>(t: &Theme, label: &'a str, value: impl Into<Span<'a>>) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<LABEL$}"), t.label()),
        value.into(),
    ])
}

/// The lineage this item is the current certificate of: its name, domains, version, when
/// renewal is due and by which policy, the last ACME result; for an older version, whose.
fn lineage_lines(app: &App, item: &Item, out: &mut Vec<Line<'_>>) {
    let t = &app.theme;
    let ls = &app.lineages;
    if let Some(l) = ls.of_old(item) {
        let v = format!(
            "older version of {} (history: not judged for expiry)",
            l.name
        );
        out.push(field(t, "Lineage", Span::styled(v, t.dim())));
        return;
    }
    let Some(l) = ls.of_current(item) else {
        return;
    };
    out.push(field(
        t,
        "Lineage",
        format!("{} ({})", l.name, l.source.label()),
    ));
    out.push(field(t, "Domains", join(&l.domains)));
    if let Some(v) = l.version {
        let older = match (l.older_certs, ls.expanded.contains(&l.name)) {
            (0, _) => "no older versions".to_string(),
            (n, false) => format!("{n} older folded (z shows them)"),
            (n, true) => format!("{n} older shown below (z folds them)"),
        };
        out.push(field(t, "Version", format!("{v}, {older}")));
    }
    if let Some(due) = l.due_at {
        let days = fmt::days_until(due, app.now);
        let when = match days {
            d if d <= 0 => Span::styled(
                format!("due now (since {})", fmt::date(due)),
                t.urgency(fmt::Urgency::Soon),
            ),
            d => Span::raw(format!("{} (in {d} days)", fmt::date(due))),
        };
        out.push(field(t, "Renewal", when));
    }
    if !l.policy.is_empty() {
        out.push(field(t, "  policy", l.policy.clone()));
    }
    if let Some(last) = &l.last {
        let style = match last.result.as_str() {
            "failed" => t.error(),
            _ => ratatui::style::Style::default(),
        };
        let text = format!("{} {}: {}", last.result, last.at, last.message);
        out.push(field(t, "Last", Span::styled(text, style)));
    }
    if let Some(server) = &l.server {
        out.push(field(t, "Server", server.clone()));
    }
    if let Some(e) = &l.error {
        out.push(field(t, "Error", Span::styled(e.clone(), t.error())));
    }
}

fn join(v: &[impl std::borrow::Borrow<str>]) -> String {
    if v.is_empty() {
        "-".into()
    } else {
        v.join(", ")
    }
}

/// `2026-07-20 (raw text)` when the model's own text adds anything to the date.
fn with_raw(date: String, raw: &str) -> String {
    if raw.is_empty() || raw.starts_with(&date) && raw.len() <= date.len() {
        date
    } else {
        format!("{date} ({raw})")
    }
}

fn bits(alg: &str, bits: Option<u32>) -> String {
    match bits {
        Some(b) => format!("{alg} {b} bits"),
        None => alg.to_string(),
    }
}

/// Most telling lines first: at 80x24 the pane shows about eight, and moving the selection
/// rewrites only what differs between two items (bytes over a slow link), so random-looking
/// serials and fingerprints come after expiry, issuer, chain and names.
fn lines<'a>(app: &App, item: &'a Item) -> Vec<Line<'a>> {
    let t = &app.theme;
    let mut out = vec![
        // Bold only: a colour here would cost its escape codes on every selection move.
        field(t, "Name", Span::styled(item.display_name(), t.bold())),
    ];
    // A fleet item: where it lives, and whether its exporter still reports it (its path
    // says the same, less readably).
    let remote = app
        .fleet
        .as_ref()
        .map(|f| f.details(item))
        .unwrap_or_default();
    if remote.is_empty() {
        out.push(field(t, "File", format!("{} #{}", item.path, item.index)));
    }
    for (label, value) in remote.iter().cloned() {
        out.push(field(t, label, value));
    }
    if let Some(err) = &item.error {
        out.push(field(t, "Error", Span::styled(err.as_str(), t.error())));
    }
    // What `certdeck audit` says about this item, each with how to fix it.
    {
        for f in app.findings.of_item(item) {
            let label = match f.severity {
                crate::pki::lint::Severity::Critical => "Critical",
                crate::pki::lint::Severity::Warning => "Warning",
                crate::pki::lint::Severity::Info => "Info",
            };
            let style = super::findings::style(app, f.severity);
            out.push(Line::from(vec![
                Span::styled(format!("{label:<LABEL$}"), style),
                Span::styled(format!("{}: {}", f.code, f.message), style),
            ]));
            out.push(field(t, "  fix", f.fix.clone()));
        }
    }

    lineage_lines(app, item, &mut out);
    match &item.detail {
        // What the exporter's labels say; nothing else is known of it here.
        Detail::Certificate(c) if !remote.is_empty() => fleet_cert(app, item, c, &mut out),
        Detail::Certificate(c) => cert_summary(app, item, c, &mut out),
        _ => {}
    }
    out.push(field(
        t,
        "Kind",
        format!("{} ({})", item.kind.label(), item.source),
    ));
    if let Some(alias) = &item.alias {
        out.push(field(t, "Alias", alias.as_str()));
    }
    for u in &item.used_by {
        out.push(field(t, "Used by", u.as_str()));
    }
    if !item.links.is_empty() {
        out.push(field(t, "Linked as", item.links.join(", ")));
    }
    // certbot's live/ names point into archive/: say whose file this is.
    if let Some(live) = item
        .links
        .iter()
        .find(|l| l.starts_with("live/") || l.contains("/live/"))
    {
        out.push(field(
            t,
            "certbot",
            format!(
                "owned by certbot via {live}; renew with certbot, certdeck does not write here"
            ),
        ));
    }
    if crate::store::certbot::is_superseded(item) {
        out.push(field(
            t,
            "certbot",
            Span::styled(
                "superseded version: live/ points to a newer one (history, not audited for expiry)",
                t.dim(),
            ),
        ));
    }
    match &item.detail {
        Detail::Certificate(_) if !remote.is_empty() => {}
        Detail::Certificate(c) => cert_rest(app, c, &mut out),
        Detail::PrivateKey(k) => {
            out.push(field(t, "Algorithm", bits(&k.key_algorithm, k.key_bits)));
            out.push(field(t, "Format", k.format.as_str()));
            out.push(field(
                t,
                "Encrypted",
                match (k.encrypted, item.locked()) {
                    (true, true) => "yes, locked (Enter or U: passphrase)",
                    (true, false) => "yes",
                    _ => "no",
                },
            ));
            out.push(field(t, "Mode", k.mode.as_deref().unwrap_or("?")));
            // Which files hold the certificates: a fingerprint alone says nothing to a reader.
            let pairs: Vec<String> = (k.pairs_with.iter())
                .map(|fp| {
                    let paths: Vec<&str> = (app.items().iter())
                        .filter(|it| it.cert().is_some_and(|c| &c.sha256 == fp))
                        .map(|it| it.path.as_str())
                        .collect();
                    match paths.is_empty() {
                        true => fmt::colon_hex(fp),
                        false => paths.join(", "),
                    }
                })
                .collect();
            out.push(field(t, "Pairs with", join(&pairs)));
        }
        Detail::Csr(c) => {
            out.push(field(t, "Subject", c.subject.as_str()));
            out.push(field(t, "CN", c.common_name.as_deref().unwrap_or("-")));
            out.push(field(t, "SANs", join(&c.sans)));
            out.push(field(t, "Key", bits(&c.key_algorithm, c.key_bits)));
            out.push(field(t, "Signature", &*c.signature_algorithm));
            let sig = if c.signature_valid {
                Span::raw("valid")
            } else {
                Span::styled("INVALID", t.error())
            };
            out.push(field(t, "Self-sig", sig));
            out.push(field(t, "SHA-256", fmt::colon_hex(&c.sha256)));
        }
        Detail::Crl(c) => {
            out.push(field(t, "Issuer", c.issuer.as_str()));
            out.push(field(t, "Issuer hash", c.issuer_hash.to_string()));
            out.push(field(t, "This update", c.this_update.as_str()));
            out.push(field(
                t,
                "Next update",
                c.next_update.as_deref().unwrap_or("-"),
            ));
            out.push(field(t, "Number", c.crl_number.as_deref().unwrap_or("-")));
            let n = c.revoked.len();
            let count = format!("{n} serial{}", if n == 1 { "" } else { "s" });
            out.push(field(t, "Revoked", count));
            for serial in &c.revoked {
                out.push(field(t, "", fmt::colon_hex(serial)));
            }
            out.push(field(
                t,
                "Signature",
                format!("{} ({})", c.signature_algorithm, c.signature),
            ));
            out.push(field(t, "SHA-256", fmt::colon_hex(&c.sha256)));
        }
        Detail::Keystore(k) => {
            out.push(field(t, "Format", k.format.as_str()));
            out.push(field(
                t,
                "Locked",
                if k.locked {
                    "yes (Enter or U: passphrase)"
                } else {
                    "no"
                },
            ));
            for e in &k.entries {
                out.push(field(
                    t,
                    "Entry",
                    format!("{} ({}, {} cert(s))", e.alias, e.entry_type, e.certificates),
                ));
            }
        }
        Detail::DhParams(d) => {
            out.push(field(t, "Bits", d.bits.to_string()));
            out.push(field(
                t,
                "Group",
                d.named_group.as_deref().unwrap_or("custom"),
            ));
        }
        Detail::None => {}
    }
    out
}

/// Expiry, status, issuer, chain, names and keys: what an admin looks for first.
/// A fleet certificate: the exporter's labels (no DER, so no chain, SANs or key here).
fn fleet_cert<'a>(app: &App, item: &Item, c: &'a CertInfo, out: &mut Vec<Line<'a>>) {
    let t = &app.theme;
    out.push(expires(app, item, c));
    out.push(field(t, "Issuer", c.issuer.as_str()));
    out.push(field(t, "Serial", c.serial.as_str()));
    out.push(field(
        t,
        "SHA-256",
        format!("{}…", fmt::colon_hex(&c.sha256)),
    ));
}

/// `Expires  2026-12-15 · 11d left · expiring`, in the urgency's colour.
fn expires<'a>(app: &App, item: &Item, c: &CertInfo) -> Line<'a> {
    let days = fmt::days_until(c.not_after_unix, app.now);
    field(
        &app.theme,
        "Expires",
        Span::styled(
            format!(
                "{} · {} · {}",
                fmt::date(c.not_after_unix),
                if days >= 0 {
                    format!("{days}d left")
                } else {
                    format!("{}d ago", -days)
                },
                app.status_of(item).label()
            ),
            app.theme.urgency(fmt::urgency(days, app.warn_days)),
        ),
    )
}

fn cert_summary<'a>(app: &App, item: &Item, c: &'a CertInfo, out: &mut Vec<Line<'a>>) {
    let t = &app.theme;
    if let Some(r) = &c.revocation {
        // A word, not only a colour: NO_COLOR and --mono show it too.
        out.push(field(
            t,
            "Status",
            Span::styled(format!("REVOKED: {}", r.describe()), t.error()),
        ));
    }
    out.push(expires(app, item, c));
    out.push(field(t, "Issuer", c.issuer.as_str()));
    out.push(field(t, "Chain", super::chain::status_span(app, c)));
    if !c.chain_detail.is_empty() && !super::chain::pending(app, c) {
        out.push(field(t, "", &*c.chain_detail));
    }
    out.push(field(t, "SANs", join(&c.sans)));
    out.push(field(t, "Keys", join(&c.paired_keys)));
}

fn cert_rest<'a>(app: &App, c: &'a CertInfo, out: &mut Vec<Line<'a>>) {
    let t = &app.theme;
    out.push(field(t, "Subject", c.subject.as_str()));
    out.push(field(t, "CN", c.common_name.as_deref().unwrap_or("-")));
    out.push(field(t, "Serial", c.serial.as_str()));
    out.push(field(
        t,
        "Not before",
        with_raw(fmt::date(c.not_before_unix), &c.not_before()),
    ));
    out.push(field(
        t,
        "Not after",
        with_raw(fmt::date(c.not_after_unix), &c.not_after()),
    ));
    out.push(field(t, "Key", bits(&c.key_algorithm, c.key_bits)));
    out.push(field(t, "Signature", &*c.signature_algorithm));
    let ca = match (c.is_ca, c.path_len) {
        (true, Some(n)) => format!("CA, path_len {n}"),
        (true, None) => "CA".into(),
        (false, _) => "not a CA".into(),
    };
    out.push(field(t, "Basic", ca));
    out.push(field(t, "Key usage", join(&c.key_usage)));
    out.push(field(t, "Ext. usage", join(&c.extended_key_usage)));
    out.push(field(t, "SHA-256", fmt::colon_hex(&c.sha256)));
    out.push(field(t, "SHA-1", fmt::colon_hex(&hex::encode(c.sha1))));
    out.push(field(t, "Subj. hash", c.subject_hash.to_string()));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `label  value` wrapped to `width`, as plain text lines.
    fn wrapped(value: &str, width: usize) -> Vec<String> {
        let t = Theme { mono: true };
        let lines = wrap(vec![field(&t, "Value", value.to_string())], width);
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn paths_break_after_a_slash_lists_after_a_comma_words_whole() {
        let width = 40;
        let path = "servers/api.example.com/very-long-name/fullchain.pem #0";
        let got = wrapped(path, width);
        assert_eq!(
            got,
            [
                "Value       servers/api.example.com/",
                "            very-long-name/fullchain.pem",
                "            #0",
            ]
        );
        let sans = "DNS:api.example.com, DNS:www.example.com, DNS:mail.example.com";
        let got = wrapped(sans, width);
        assert_eq!(
            got,
            [
                "Value       DNS:api.example.com, ",
                "            DNS:www.example.com, ",
                "            DNS:mail.example.com",
            ]
        );
        let words = "renew or replace the certificate, then reload the server";
        for line in wrapped(words, width) {
            assert!(line.chars().count() <= width, "{line:?}");
            let value = line[LABEL..].trim();
            for w in value.split(' ') {
                assert!(words.split(' ').any(|x| x == w), "cut word {w:?}");
            }
        }
    }

    #[test]
    fn a_token_longer_than_the_line_is_cut_at_colons_else_anywhere() {
        let fp = "AB:".repeat(30);
        let got = wrapped(&fp, 40);
        assert!(got.iter().all(|l| l.chars().count() <= 40), "{got:?}");
        // Whole bytes per line: every piece ends with its colon.
        assert!(
            got[..got.len() - 1].iter().all(|l| l.ends_with(':')),
            "{got:?}"
        );
        let long = "x".repeat(70);
        let got = wrapped(&long, 40);
        assert_eq!(got[0].chars().count(), 40);
        let back: String = got.iter().map(|l| l[LABEL..].trim()).collect();
        assert_eq!(back, long);
    }
}
