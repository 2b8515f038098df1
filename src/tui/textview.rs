//! `v`: the selected item as text, like `openssl x509 -text` followed by its PEM, full screen,
//! scrolled and searched as in less (`/`, n, N).

use super::app::App;
use super::keymap::Action;
use crate::pki::{Detail, Item};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextView {
    pub title: String,
    pub lines: Vec<String>,
    /// First line shown (clamped to the last page when drawn and scrolled).
    pub scroll: usize,
    /// The search being typed (`Some`), or none.
    pub typing: Option<String>,
    pub cursor: usize,
    /// The last search (lowercase), what n/N look for.
    pub query: String,
    /// The line the last search went to, highlighted.
    pub hit: Option<usize>,
    /// The last search found nothing (said on the status line).
    pub missed: bool,
}

fn colon(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Colon hex in lines of 16 bytes.
fn hex_lines(hex: &str) -> Vec<String> {
    let bytes: Vec<&str> = hex.split(':').collect();
    bytes.chunks(16).map(|c| c.join(":")).collect()
}

/// Names joined with ", " in lines of at most 60 characters, broken after a comma (a longer
/// name gets its own line).
fn name_lines(names: &[impl AsRef<str>]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let piece = match i + 1 == names.len() {
            true => n.as_ref().to_string(),
            false => format!("{},", n.as_ref()),
        };
        match out.last_mut() {
            Some(l) if l.len() + 1 + piece.len() <= 60 => {
                l.push(' ');
                l.push_str(&piece);
            }
            _ => out.push(piece),
        }
    }
    out
}

fn bits(alg: &str, bits: Option<u32>) -> String {
    match bits {
        Some(b) => format!("{alg} ({b} bit)"),
        None => alg.to_string(),
    }
}

/// The text of `item`: its fields in `openssl x509 -text`'s order and wording, then the PEM.
pub fn dump(item: &Item) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |indent: usize, s: String| out.push(format!("{}{s}", " ".repeat(indent)));
    match &item.detail {
        Detail::Certificate(c) => {
            push(0, "Certificate:".into());
            push(4, "Data:".into());
            push(
                8,
                format!(
                    "Version: {} (0x{:x})",
                    c.version,
                    c.version.saturating_sub(1)
                ),
            );
            push(8, "Serial Number:".into());
            push(12, super::fmt::colon_hex(&c.serial).to_lowercase());
            push(8, format!("Signature Algorithm: {}", c.signature_algorithm));
            push(8, format!("Issuer: {}", c.issuer));
            push(8, "Validity".into());
            push(12, format!("Not Before: {}", c.not_before()));
            push(12, format!("Not After : {}", c.not_after()));
            push(8, format!("Subject: {}", c.subject));
            push(8, "Subject Public Key Info:".into());
            push(
                12,
                format!(
                    "Public Key Algorithm: {}",
                    bits(&c.key_algorithm, c.key_bits)
                ),
            );
            push(8, "X509v3 extensions:".into());
            push(12, "X509v3 Basic Constraints:".into());
            let ca = match (c.is_ca, c.path_len) {
                (true, Some(n)) => format!("CA:TRUE, pathlen:{n}"),
                (true, None) => "CA:TRUE".into(),
                (false, _) => "CA:FALSE".into(),
            };
            push(16, ca);
            if !c.key_usage.is_empty() {
                push(12, "X509v3 Key Usage:".into());
                push(16, c.key_usage.join(", "));
            }
            if !c.extended_key_usage.is_empty() {
                push(12, "X509v3 Extended Key Usage:".into());
                push(16, c.extended_key_usage.join(", "));
            }
            if let Some(ski) = c.ski() {
                push(12, "X509v3 Subject Key Identifier:".into());
                push(16, colon(ski));
            }
            if let Some(aki) = c.aki() {
                push(12, "X509v3 Authority Key Identifier:".into());
                push(16, colon(aki));
            }
            if !c.sans.is_empty() {
                push(12, "X509v3 Subject Alternative Name:".into());
                for l in name_lines(&c.sans) {
                    push(16, l);
                }
            }
            push(4, format!("Signature Algorithm: {}", c.signature_algorithm));
            // Long values in pieces that fit 80 columns, as openssl prints a signature.
            push(4, "SHA-256 Fingerprint:".into());
            for part in hex_lines(&super::fmt::colon_hex(&c.sha256)) {
                push(8, part);
            }
            push(4, "SHA-1 Fingerprint:".into());
            for part in hex_lines(&colon(&c.sha1)) {
                push(8, part);
            }
        }
        Detail::Csr(c) => {
            push(0, "Certificate Request:".into());
            push(4, "Data:".into());
            push(8, format!("Subject: {}", c.subject));
            push(8, "Subject Public Key Info:".into());
            push(
                12,
                format!(
                    "Public Key Algorithm: {}",
                    bits(&c.key_algorithm, c.key_bits)
                ),
            );
            if !c.sans.is_empty() {
                push(8, "Requested Extensions:".into());
                push(12, "X509v3 Subject Alternative Name:".into());
                for l in name_lines(&c.sans) {
                    push(16, l);
                }
            }
            push(4, format!("Signature Algorithm: {}", c.signature_algorithm));
            let valid = if c.signature_valid {
                "valid"
            } else {
                "INVALID"
            };
            push(4, format!("Self-signature: {valid}"));
        }
        Detail::Crl(c) => {
            push(0, "Certificate Revocation List (CRL):".into());
            push(8, format!("Signature Algorithm: {}", c.signature_algorithm));
            push(8, format!("Issuer: {}", c.issuer));
            push(8, format!("Last Update: {}", c.this_update));
            let next = c.next_update.as_deref().unwrap_or("NONE");
            push(8, format!("Next Update: {next}"));
            if c.revoked.is_empty() {
                push(0, "No Revoked Certificates.".into());
            } else {
                push(0, "Revoked Certificates:".into());
                for s in &c.revoked {
                    push(4, format!("Serial Number: {}", s.to_uppercase()));
                }
            }
        }
        _ => push(0, format!("{} ({})", item.kind.label(), item.source)),
    }
    if let Some(e) = &item.error {
        out.push(format!("Error: {e}"));
    }
    let label = match &item.detail {
        Detail::Certificate(_) => Some("CERTIFICATE"),
        Detail::Csr(_) => Some("CERTIFICATE REQUEST"),
        Detail::Crl(_) => Some("X509 CRL"),
        // Private keys are never shown (the view could be on a shared screen).
        _ => None,
    };
    if let (Some(label), Some(der)) = (label, item.der.as_deref()) {
        out.push(String::new());
        out.extend(
            crate::pki::pem::encode(label, der)
                .lines()
                .map(str::to_string),
        );
    }
    out
}

impl TextView {
    fn find(&self, from: usize, forward: bool) -> Option<usize> {
        if self.query.is_empty() {
            return None;
        }
        let hit = |i: &usize| self.lines[*i].to_lowercase().contains(&self.query);
        let n = self.lines.len();
        // Wraps around, as less does with its `-W`-less default at the ends: from the next line.
        let order: Vec<usize> = match forward {
            true => (from..n).chain(0..from).collect(),
            false => (0..=from.min(n.saturating_sub(1)))
                .rev()
                .chain((from + 1..n).rev())
                .collect(),
        };
        order.into_iter().find(hit)
    }
}

impl App {
    /// `v`: open the text of the selected item.
    pub(super) fn open_text_view(&mut self) {
        let Some(item) = self.selected_item() else {
            self.notice = Some(super::flow::Notice::error("nothing selected"));
            return;
        };
        self.textview = Some(TextView {
            title: format!("{} #{}", item.path, item.index),
            lines: dump(item),
            ..Default::default()
        });
    }

    /// Keys in the text view (`shown`: the lines it shows) and while typing its search.
    pub(super) fn text_view_act(&mut self, action: Action, shown: usize) {
        self.text_view_move(action, shown);
        if let Some(v) = self.textview.as_ref().filter(|v| v.missed) {
            let q = crate::text::escape_control(&v.query).into_owned();
            self.notice = Some(super::flow::Notice::error(format!("no match for /{q}")));
        }
    }

    fn text_view_move(&mut self, action: Action, shown: usize) {
        // A page keeps one line of the last, as less does.
        let page = shown.saturating_sub(1).max(1);
        let Some(v) = self.textview.as_mut() else {
            return;
        };
        v.missed = false;
        if let Some(q) = v.typing.as_mut() {
            match action {
                Action::Back => v.typing = None,
                Action::AcceptFilter => {
                    v.query = q.to_lowercase();
                    v.typing = None;
                    let from = v.hit.map_or(v.scroll, |h| h + 1);
                    go(v, v.find(from, true));
                }
                Action::Edit(e) => {
                    super::lineedit::apply(q, &mut v.cursor, e);
                }
                _ => {}
            }
            return;
        }
        let last = v.lines.len().saturating_sub(shown);
        let cur = v.scroll.min(last);
        v.scroll = match action {
            Action::Back => {
                self.textview = None;
                return;
            }
            Action::StartFilter => {
                v.typing = Some(String::new());
                v.cursor = 0;
                return;
            }
            Action::NextMatch | Action::PrevMatch => {
                let forward = action == Action::NextMatch;
                let from = match (v.hit, forward) {
                    (Some(h), true) => h + 1,
                    (Some(h), false) => h.saturating_sub(1),
                    (None, _) => cur,
                };
                go(v, v.find(from, forward));
                return;
            }
            Action::Down => (cur + 1).min(last),
            Action::Up => cur.saturating_sub(1),
            Action::PageDown => (cur + page).min(last),
            Action::PageUp => cur.saturating_sub(page),
            Action::HalfPageDown => (cur + page.div_ceil(2)).min(last),
            Action::HalfPageUp => cur.saturating_sub(page.div_ceil(2)),
            Action::Top => 0,
            Action::Bottom => last,
            _ => cur,
        };
    }

    /// A character typed into the text view's search.
    pub(super) fn text_view_type(&mut self, c: char) {
        if let Some(v) = self.textview.as_mut() {
            if let Some(q) = v.typing.as_mut() {
                super::lineedit::insert(q, &mut v.cursor, c.encode_utf8(&mut [0; 4]));
            }
        }
    }
}

/// Show line `hit` (a few lines below the top, so its context shows), or say there is none.
fn go(v: &mut TextView, hit: Option<usize>) {
    match hit {
        Some(h) => {
            v.hit = Some(h);
            v.scroll = h.saturating_sub(2);
        }
        None => {
            v.hit = None;
            v.missed = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(lines: &[&str], query: &str) -> TextView {
        TextView {
            lines: lines.iter().map(|s| s.to_string()).collect(),
            query: query.into(),
            ..Default::default()
        }
    }

    #[test]
    fn long_values_break_at_commas_and_bytes() {
        let names = [
            "DNS:a.example",
            "DNS:b.example",
            "DNS:c.example",
            "DNS:d.example",
            "DNS:e",
        ];
        let lines = name_lines(&names);
        assert_eq!(lines.join(" "), names.join(", "));
        assert!(lines.iter().all(|l| l.len() <= 60), "{lines:?}");
        let hex = vec!["AB"; 32].join(":");
        assert_eq!(
            hex_lines(&hex),
            [vec!["AB"; 16].join(":"), vec!["AB"; 16].join(":")]
        );
    }

    #[test]
    fn search_wraps_both_ways_and_ignores_case() {
        let v = view(&["a", "Key", "b", "key"], "key");
        assert_eq!(v.find(0, true), Some(1));
        assert_eq!(v.find(2, true), Some(3));
        assert_eq!(v.find(4, true), Some(1));
        assert_eq!(v.find(2, false), Some(1));
        assert_eq!(v.find(0, false), Some(3));
        assert_eq!(view(&["a"], "zz").find(0, true), None);
    }
}
