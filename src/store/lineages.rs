//! certbot's and certdeck's own ACME lineages, one entry each, for the TUI's lineage rows:
//! name, domains, the current version's certificate (an item of the inventory), when renewal
//! is due by the lineage's own policy, and the superseded versions (certbot's
//! `archive/NAME/*N.pem` no `live/` link points to), which are history and never judged live.
//! Reads renewal confs and `renewal.toml`s (through `layout` and `acme::lineage`): run it off
//! the UI thread.

use super::inventory::Inventory;
use crate::acme::lineage::LastResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Certbot,
    Acme,
}

impl Source {
    pub fn label(self) -> &'static str {
        match self {
            Source::Certbot => "certbot",
            Source::Acme => "ACME (certdeck)",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineageRow {
    pub source: Source,
    pub name: String,
    pub domains: Vec<String>,
    /// certbot's N of `archive/NAME/certN.pem`.
    pub version: Option<u32>,
    /// Store path of the current certificate (the list's row for the lineage).
    pub cert: String,
    /// Unix time renewal is due by the lineage's policy.
    pub due_at: Option<i64>,
    /// The policy in words: `renew_before_expiry = 30 days`, `a third of the lifetime`.
    pub policy: String,
    /// Store paths of the superseded version files (certificates, keys, chains), newest first.
    pub older: Vec<String>,
    /// Older certificate versions (what "N older" counts).
    pub older_certs: usize,
    /// ACME: the last issue / renewal / revoke result from renewal.toml.
    pub last: Option<LastResult>,
    /// ACME directory URL (certbot: `[renewalparams] server`).
    pub server: Option<String>,
    /// Why the lineage's settings or certificate could not be read.
    pub error: Option<String>,
}

/// `archive/NAME/<file>` (below `dir`) → the N of `certN.pem`, `privkeyN.pem`, ...
fn version_of(file: &str) -> Option<u32> {
    let digits: String = file
        .trim_end_matches(".pem")
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.chars().rev().collect::<String>().parse().ok()
}

pub fn read(inv: &Inventory) -> Vec<LineageRow> {
    let mut out = Vec::new();
    for l in super::layout::certbot_lineages(inv) {
        let archive = match l.dir.is_empty() {
            true => format!("archive/{}/", l.name),
            false => format!("{}/archive/{}/", l.dir, l.name),
        };
        let mut older: Vec<(u32, &str)> = (inv.items.iter())
            .filter(|it| it.path.starts_with(&archive) && super::certbot::is_superseded(it))
            .filter_map(|it| {
                let file = &it.path[archive.len()..];
                Some((version_of(file)?, it.path.as_str()))
            })
            .collect();
        // Newest version first; in a version the certificate first, then its key and chains.
        let cert_first = |p: &str| !p[archive.len()..].starts_with("cert");
        older.sort_by(|a, b| (b.0, cert_first(a.1), a.1).cmp(&(a.0, cert_first(b.1), b.1)));
        older.dedup();
        let older_certs = (older.iter())
            .filter(|(_, p)| p[archive.len()..].starts_with("cert"))
            .count();
        let not_after = (inv.items.iter())
            .find(|it| it.path == l.cert && it.index == 0)
            .and_then(|it| it.cert())
            .map(|c| c.not_after_unix);
        let policy = match (&l.renew_before_expiry, &l.renew_before_error) {
            (_, Some(e)) => format!("{e}; certbot's default {} days", l.renew_before_days),
            (Some(v), None) => format!("renew_before_expiry = {v}"),
            (None, None) => format!(
                "certbot's default: {} days before expiry",
                l.renew_before_days
            ),
        };
        out.push(LineageRow {
            source: Source::Certbot,
            name: l.name.clone(),
            domains: l.domains.clone(),
            version: Some(l.version),
            cert: l.cert.clone(),
            due_at: not_after.map(|t| t - l.renew_before_days * 86_400),
            policy,
            older: older.iter().map(|(_, p)| p.to_string()).collect(),
            older_certs,
            last: None,
            server: l.server.clone(),
            error: None,
        });
    }
    for (name, s) in crate::acme::lineage::list(&inv.store) {
        let row = match s {
            Err(e) => LineageRow {
                source: Source::Acme,
                cert: format!("{}/cert.pem", crate::acme::lineage::dir_rel(&name)),
                name,
                domains: Vec::new(),
                version: None,
                due_at: None,
                policy: String::new(),
                older: Vec::new(),
                older_certs: 0,
                last: None,
                server: None,
                error: Some(format!("{e:#}")),
            },
            Ok(s) => {
                let cert = (inv.items.iter())
                    .find(|it| it.path == s.cert_file && it.index == 0)
                    .and_then(|it| it.cert());
                let due_at = cert.map(|c| match s.renew_before_days {
                    Some(d) => c.not_after_unix - d * 86_400,
                    None => c.not_after_unix - (c.not_after_unix - c.not_before_unix) / 3,
                });
                let policy = match s.renew_before_days {
                    Some(d) => format!("renew_before_days = {d}"),
                    None => "a third of the lifetime before expiry (default)".into(),
                };
                let error = cert
                    .is_none()
                    .then(|| format!("{}: no certificate there", s.cert_file));
                LineageRow {
                    source: Source::Acme,
                    name,
                    domains: s.domains,
                    version: None,
                    cert: s.cert_file,
                    due_at,
                    policy,
                    older: Vec::new(),
                    older_certs: 0,
                    last: s.last,
                    server: Some(s.server),
                    error,
                }
            }
        };
        out.push(row);
    }
    out
}
