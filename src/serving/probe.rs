//! What a TLS port serves compared with the files on disk: the served leaf (`servers::probe`)
//! against the certificate files the server configs name, or the store's leaves.

use serde::Serialize;

use crate::pki::CertInfo;
use crate::servers::probe::Served;
use crate::servers::{Role, ServerConfig};
use crate::store::inventory::{inventory_path, Inventory};

/// How the served leaf relates to the files on disk.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The served leaf is the one in this file.
    Matches,
    /// A file for the same names holds a different certificate: renewed but not reloaded.
    NotReloaded,
    /// Nothing on disk is (or looks like) the served certificate.
    NotOnDisk,
}

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub verdict: Verdict,
    /// Inventory paths of the files concerned.
    pub paths: Vec<String>,
    pub message: String,
}

/// Compare the served leaf with the certificate files the server configs name (or, without
/// configs, with every leaf of the store).
pub fn compare(served: &Served, inv: &Inventory, configs: &[ServerConfig]) -> Comparison {
    // (inventory path, leaf) candidates.
    let mut cands: Vec<(String, &CertInfo, String)> = vec![];
    let named: Vec<_> = configs
        .iter()
        .flat_map(|c| c.uses.iter())
        .filter(|u| u.role == Role::Certificate)
        .collect();
    if named.is_empty() {
        let mut seen = std::collections::HashSet::new();
        for it in &inv.items {
            // A certbot version live/ no longer points to is served by nobody who follows
            // live/: matching it would call a stale server up to date.
            if crate::store::certbot::is_superseded(it) {
                continue;
            }
            if let Some(c) = it.cert() {
                if !c.is_ca && seen.insert(it.path.clone()) {
                    // Name the path servers are configured with: certbot's live/ link.
                    let path = it
                        .links
                        .iter()
                        .find(|l| l.starts_with("live/") || l.contains("/live/"))
                        .unwrap_or(&it.path);
                    cands.push((path.clone(), c, String::new()));
                }
            }
        }
    } else {
        for u in named {
            let Some(rel) = inventory_path(&inv.store, &u.path) else {
                continue;
            };
            if let Some(c) = inv
                .items
                .iter()
                .filter(|i| i.path == rel)
                .find_map(|i| i.cert())
            {
                // Name the path as the config writes it (certbot's live/ link), not only
                // the archive file it resolves to.
                let label = if u.path.ends_with(&rel) {
                    u.label()
                } else {
                    format!("{} {}", u.label(), u.path.display())
                };
                cands.push((rel, c, label));
            }
        }
    }
    let by = |l: &str| {
        if l.is_empty() {
            String::new()
        } else {
            format!(" (used by {l})")
        }
    };
    let exact: Vec<&(String, &CertInfo, String)> = cands
        .iter()
        .filter(|(_, c, _)| c.sha256 == served.sha256)
        .collect();
    if let Some((p, _, l)) = exact.first() {
        return Comparison {
            verdict: Verdict::Matches,
            paths: exact.iter().map(|e| e.0.clone()).collect(),
            message: format!("the served certificate is {p}{}", by(l)),
        };
    }
    let names = |c: &CertInfo| -> Vec<String> {
        let mut v: Vec<String> = c.sans.to_vec();
        if let Some(cn) = &c.common_name {
            v.push(format!("CN:{cn}"));
        }
        v
    };
    let served_names = served.info.as_ref().map(names).unwrap_or_default();
    let same_name: Vec<&(String, &CertInfo, String)> = cands
        .iter()
        .filter(|(_, c, _)| names(c).iter().any(|n| served_names.contains(n)))
        .collect();
    if !same_name.is_empty() {
        let desc: Vec<String> = same_name
            .iter()
            .map(|(p, c, l)| {
                format!(
                    "{p}{} has serial {} (from {})",
                    by(l),
                    c.serial,
                    c.not_before()
                )
            })
            .collect();
        return Comparison {
            verdict: Verdict::NotReloaded,
            paths: same_name.iter().map(|e| e.0.clone()).collect(),
            message: format!(
                "renewed on disk but not reloaded: the server serves serial {} (from {}) but {}; reload or restart the server",
                served.serial,
                served.not_before,
                desc.join("; ")
            ),
        };
    }
    Comparison {
        verdict: Verdict::NotOnDisk,
        paths: vec![],
        message: if cands.is_empty() {
            "no certificate file to compare with (give --store or --server-config)".into()
        } else {
            "the served certificate is not in any file certdeck knows of".into()
        },
    }
}
