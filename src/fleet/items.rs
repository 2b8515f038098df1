//! The fleet as an inventory the TUI can show: one certificate item per exporter series, its
//! host in its path, and the exporters' findings as findings of those items. Pure: no I/O.
//!
//! A fleet item's path is `//INSTANCE/STORE/PATH` (like a UNC path: the host first), so the
//! items of two hosts with the same files stay apart, sort and group by host, and a store's
//! own relative paths (which never start with `//`) cannot be taken for one.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, OnceLock};

use super::{Fleet, FleetCert};
use crate::pki::lint::{Finding, Severity};
use crate::pki::{CertInfo, Detail, Item, ItemKind};

/// Where a fleet certificate lives: the exporter's instance, the store there, the path in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub instance: String,
    pub store: String,
    pub path: String,
    pub index: usize,
    /// The certbot / ACME lineage, when the exporter named one.
    pub lineage: String,
}

/// `//INSTANCE/STORE/PATH`; `/` and `%` in the instance are escaped so the host ends at the
/// first `/` after the leading two.
pub fn item_path(instance: &str, store: &str, path: &str) -> String {
    let host = host_key(instance);
    let store = store.trim_end_matches('/');
    let sep = if store.starts_with('/') { "" } else { "/" };
    format!("//{host}{sep}{store}/{path}")
}

/// An instance as item paths hold it (`/` and `%` escaped).
pub fn host_key(instance: &str) -> String {
    instance.replace('%', "%25").replace('/', "%2F")
}

/// The host (escaped instance) of a fleet item's path; `None` for a store's own paths.
pub fn host_of(item_path: &str) -> Option<&str> {
    let rest = item_path.strip_prefix("//")?;
    Some(rest.split_once('/').map_or(rest, |(h, _)| h))
}

/// The path without its host: `/STORE/PATH`.
pub fn without_host(item_path: &str) -> &str {
    match item_path.strip_prefix("//") {
        Some(rest) => rest.find('/').map_or("", |i| &rest[i..]),
        None => item_path,
    }
}

/// What the TUI needs of one load of the fleet.
#[derive(Debug, Default, Clone)]
pub struct FleetInventory {
    /// In path order, like every analysed inventory.
    pub items: Vec<Item>,
    pub findings: Vec<Finding>,
    /// Item path -> where it lives.
    pub origins: HashMap<String, Origin>,
    /// Hosts (as in item paths) whose exporter is down: their certificates are last known.
    pub stale: BTreeSet<String>,
    /// Every host, stale or not.
    pub hosts: BTreeSet<String>,
}

fn item(c: &FleetCert) -> Item {
    let index = c.index.parse().unwrap_or(0);
    let cn = (!c.common_name.is_empty()).then(|| c.common_name.clone());
    Item {
        path: item_path(&c.instance, &c.store, &c.path),
        index,
        kind: ItemKind::Certificate,
        error: None,
        alias: None,
        source: "exporter".into(),
        links: vec![],
        used_by: vec![],
        detail: Detail::Certificate(Box::new(CertInfo {
            subject: cn.as_ref().map(|n| format!("CN={n}")).unwrap_or_default(),
            common_name: cn,
            issuer: c.issuer.clone(),
            serial: c.serial.clone(),
            sha256: c.sha256.clone(),
            not_after_unix: c.not_after_unix,
            // Not exported: nothing is "not yet valid" in the fleet view.
            not_before_unix: i64::MIN,
            days_left: c.days_left,
            ..Default::default()
        })),
        der: None,
    }
}

fn severity(s: &str) -> Severity {
    match s {
        "critical" => Severity::Critical,
        "warning" => Severity::Warning,
        _ => Severity::Info,
    }
}

/// Finding codes are `&'static str` (certdeck's own are literals); those a Prometheus reports
/// are kept once each, as `[a-z0-9-]` only and a bounded number of them.
fn intern(code: &str) -> &'static str {
    static CODES: OnceLock<Mutex<BTreeSet<&'static str>>> = OnceLock::new();
    let clean: String = (code.chars())
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(48)
        .collect::<String>()
        .to_ascii_lowercase();
    let mut codes = CODES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(&known) = codes.get(clean.as_str()) {
        return known;
    }
    if codes.len() >= 512 || clean.is_empty() {
        return "other";
    }
    let leaked: &'static str = Box::leak(clean.into_boxed_str());
    codes.insert(leaked);
    leaked
}

/// One load of the fleet as items, findings, origins and stale hosts.
pub fn inventory(fleet: &Fleet) -> FleetInventory {
    let mut out = FleetInventory::default();
    for h in &fleet.hosts {
        let host = host_key(&h.instance);
        if h.stale {
            out.stale.insert(host.clone());
        }
        out.hosts.insert(host);
        for f in &h.findings {
            let times = match f.count {
                n if n > 1 => format!(" ({n} times)"),
                _ => String::new(),
            };
            out.findings.push(Finding {
                severity: severity(&f.severity),
                code: intern(&f.code),
                path: item_path(&h.instance, &f.store, &f.path),
                index: 0,
                message: format!("reported by the exporter on {}{times}", h.instance),
                fix: format!(
                    "on that host: certdeck audit --store {}",
                    shell_quote(&f.store)
                ),
            });
        }
    }
    for c in &fleet.certificates {
        let it = item(c);
        out.origins.insert(
            it.path.clone(),
            Origin {
                instance: c.instance.clone(),
                store: c.store.clone(),
                path: c.path.clone(),
                index: it.index,
                lineage: c.lineage.clone(),
            },
        );
        out.items.push(it);
    }
    out.items
        .sort_by(|a, b| (&a.path, a.index).cmp(&(&b.path, b.index)));
    // The audit's order: most severe first, then by path.
    out.findings.sort_by(|a, b| {
        (b.severity.cmp(&a.severity))
            .then(a.path.cmp(&b.path))
            .then(a.code.cmp(b.code))
    });
    out
}

/// A word for a POSIX shell: as it is when it is plain, else in single quotes.
fn shell_quote(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_./:@%+=,-".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The host part of an instance for ssh: `host` of `host:port`, `::1` of `[::1]:port`.
pub fn ssh_host(instance: &str) -> &str {
    if let Some(rest) = instance.strip_prefix('[') {
        return rest.split_once(']').map_or(rest, |(h, _)| h);
    }
    match instance.rsplit_once(':') {
        Some((h, port)) if !h.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => instance,
    }
}

/// The command that makes `action` (the TUI's name for it) on `origin`'s host, where certdeck
/// can write: `ssh HOST certdeck ...`. Changes that need a form or a passphrase open
/// certdeck's TUI there (`ssh -t`).
pub fn remote_command(action: &str, origin: &Origin) -> String {
    let q = shell_quote;
    let store = q(&origin.store);
    let host = q(ssh_host(&origin.instance));
    let sel = match origin.index {
        0 => origin.path.clone(),
        i => format!("{}#{i}", origin.path),
    };
    let sel = q(&sel);
    let args = match action {
        "renew" => format!("renew {sel}"),
        "trust" => format!("trust {sel}"),
        "revoke" => format!("revoke {sel}"),
        "export" => format!("export {sel} --format pem --out FILE"),
        "rehash" => "rehash trusted".to_string(),
        "undo" => "undo".to_string(),
        "new certificate" => "generate server --cn NAME --ca CA".to_string(),
        "sign" => "sign FILE.csr --ca CA".to_string(),
        "import" => "import FILE".to_string(),
        _ => return format!("ssh -t {host} certdeck --store {store}"),
    };
    format!("ssh {host} certdeck {args} --store {store}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_keep_hosts_apart_and_give_them_back() {
        let p = item_path("10.0.0.5:9793", "/etc/ssl", "servers/a.pem");
        assert_eq!(p, "//10.0.0.5:9793/etc/ssl/servers/a.pem");
        assert_eq!(host_of(&p), Some("10.0.0.5:9793"));
        assert_eq!(without_host(&p), "/etc/ssl/servers/a.pem");
        let odd = item_path("a/b%", "rel", "x.pem");
        assert_eq!(host_of(&odd), Some("a%2Fb%25"));
        assert_eq!(without_host(&odd), "/rel/x.pem");
        assert_eq!(host_of("servers/a.pem"), None);
        assert_eq!(without_host("servers/a.pem"), "servers/a.pem");
    }

    #[test]
    fn ssh_commands_name_the_host_store_and_item() {
        let o = Origin {
            instance: "web1.example.com:9793".into(),
            store: "/etc/nginx/ssl dir".into(),
            path: "api.pem".into(),
            index: 1,
            lineage: String::new(),
        };
        assert_eq!(
            remote_command("renew", &o),
            "ssh web1.example.com certdeck renew 'api.pem#1' --store '/etc/nginx/ssl dir'"
        );
        assert_eq!(
            remote_command("key passphrase", &o),
            "ssh -t web1.example.com certdeck --store '/etc/nginx/ssl dir'"
        );
        assert_eq!(ssh_host("[::1]:9793"), "::1");
        assert_eq!(ssh_host("node-a"), "node-a");
    }

    #[test]
    fn codes_are_cleaned_and_kept_once() {
        assert_eq!(intern("expired"), "expired");
        assert!(std::ptr::eq(intern("Weak-Key\u{1b}"), intern("weak-key")));
        assert_eq!(intern("\u{1b}[2J"), "2j");
        assert_eq!(intern("!!"), "other");
    }
}
