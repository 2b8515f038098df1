//! Audit what a server config pairs: the key matches the certificate, the chain file is
//! complete and in order, the client CA file holds the issuer of the client certificates, a CRL
//! exists for every CA when CRL checking is on, keystores open and hold the alias, DH params are
//! strong enough. Read-only: only stat/canonicalize calls besides the inventory.

use std::path::Path;

use crate::pki::lint::{Finding, Severity};
use crate::pki::{ChainStatus, Detail, Item};
use crate::servers::{Role, ServerConfig, ServerUse, Site};
use crate::store::inventory::{inventory_path, Inventory};

fn finding(sev: Severity, code: &'static str, path: &str, message: String, fix: &str) -> Finding {
    Finding {
        severity: sev,
        code,
        path: path.to_string(),
        index: 0,
        message,
        fix: fix.to_string(),
    }
}

/// The items of the file a use names, with its inventory path; `None` when it does not exist.
fn items_of<'a>(inv: &'a Inventory, path: &Path) -> Option<(String, Vec<&'a Item>)> {
    let rel = inventory_path(&inv.store, path)?;
    let items = inv
        .items
        .iter()
        .filter(|it| it.path == rel || it.links.contains(&rel))
        .collect();
    Some((rel, items))
}

fn who(u: &ServerUse) -> String {
    format!(
        "{} {} ({} at {})",
        u.server, u.context, u.directive, u.origin
    )
}

/// Every finding for every config.
pub fn check(inv: &Inventory, configs: &[ServerConfig]) -> Vec<Finding> {
    let mut out = vec![];
    for cfg in configs {
        for (i, site) in cfg.sites.iter().enumerate() {
            let uses: Vec<&ServerUse> = cfg.site_uses(i).collect();
            check_site(inv, site, &uses, !cfg.secrets.is_empty(), &mut out);
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path).then(a.code.cmp(b.code)));
    out.dedup();
    out
}

fn check_site(
    inv: &Inventory,
    site: &Site,
    uses: &[&ServerUse],
    has_passphrase: bool,
    out: &mut Vec<Finding>,
) {
    use Severity::*;
    // Missing files first: a server refuses to start (or to load the site) without them.
    for u in uses {
        if !u.path.exists() {
            out.push(finding(
                Critical,
                "config-missing-file",
                &u.path.display().to_string(),
                format!("{} names {}, which does not exist", who(u), u.path.display()),
                "create the file or fix the path in the config; the server will not start as configured",
            ));
        }
    }
    let by_role = |r: Role| uses.iter().copied().filter(move |u| u.role == r);
    // Certificate i pairs with key i (nginx allows several pairs, e.g. RSA + ECDSA).
    let certs: Vec<&ServerUse> = by_role(Role::Certificate).collect();
    let keys: Vec<&ServerUse> = by_role(Role::PrivateKey).collect();
    for (n, cu) in certs.iter().enumerate() {
        let Some((crel, citems)) = items_of(inv, &cu.path) else {
            continue;
        };
        let chain: Vec<&Item> = citems
            .iter()
            .copied()
            .filter(|i| i.cert().is_some())
            .collect();
        let Some(leaf) = chain.first().and_then(|i| i.cert()) else {
            out.push(finding(
                Critical,
                "config-not-a-certificate",
                &crel,
                format!("{} names {crel}, which holds no certificate", who(cu)),
                "point the directive at the certificate (or chain) file",
            ));
            continue;
        };
        if let Some(ku) = keys.get(n) {
            if let Some((krel, kitems)) = items_of(inv, &ku.path) {
                match kitems.iter().find_map(|i| i.key()) {
                    Some(k) if k.public_bits.is_none() && k.encrypted => out.push(finding(
                        if has_passphrase { Critical } else { Warning },
                        "config-key-locked",
                        &krel,
                        if has_passphrase {
                            format!("{} names {krel}, but the passphrase in the config does not open it: the server will not start", who(ku))
                        } else {
                            format!("{} names {krel}, which is encrypted: certdeck cannot check it matches {crel}", who(ku))
                        },
                        if has_passphrase {
                            "put the key's passphrase in the config"
                        } else {
                            "pass --passphrase-file to check the pair"
                        },
                    )),
                    Some(k) => {
                        if let Some(bits) = &k.public_bits {
                            if *bits != leaf.spki_bits() {
                                out.push(finding(
                                    Critical,
                                    "config-key-mismatch",
                                    &crel,
                                    format!(
                                        "{} pairs {crel} with {krel} ({}), but that key is not the certificate's: the server will refuse to start",
                                        site_name(site),
                                        ku.directive
                                    ),
                                    "name the key that belongs to this certificate (or install the certificate issued for this key)",
                                ));
                            }
                        }
                    }
                    None if kitems.iter().all(|i| i.error.is_none()) => out.push(finding(
                        Critical,
                        "config-not-a-key",
                        &krel,
                        format!("{} names {krel}, which holds no private key", who(ku)),
                        "point the directive at the private key file",
                    )),
                    None => {}
                }
            }
        } else if cu.server == "nginx" {
            // nginx needs a key per certificate, unless the certificate file holds it too.
            let own_key = citems.iter().any(|i| {
                i.key()
                    .and_then(|k| k.public_bits.as_ref())
                    .is_some_and(|b| *b == leaf.spki_bits())
            });
            if !own_key {
                out.push(finding(
                    Critical,
                    "config-missing-key",
                    &crel,
                    format!(
                        "{} has {} but no ssl_certificate_key for it",
                        site_name(site),
                        cu.directive
                    ),
                    "add ssl_certificate_key",
                ));
            }
        }
        // The chain the server sends: leaf first, each next certificate the issuer of the one
        // before; every intermediate the store knows for this leaf must be in the file.
        for w in chain.windows(2) {
            let (a, b) = (w[0].cert(), w[1].cert());
            if let (Some(a), Some(b)) = (a, b) {
                if a.issuer_raw() != b.subject_raw() {
                    out.push(finding(
                        Warning,
                        "config-chain-order",
                        &crel,
                        format!(
                            "{crel} (served by {}): {} is followed by {}, which did not issue it",
                            site_name(site),
                            a.subject,
                            b.subject
                        ),
                        "order the file leaf first, then each issuer",
                    ));
                    break;
                }
            }
        }
        let in_file: Vec<&str> = chain
            .iter()
            .filter_map(|i| i.cert().map(|c| c.sha256.as_str()))
            .collect();
        let missing: Vec<&str> = leaf
            .chain_issuers
            .iter()
            .filter(|l| !is_root(inv, &l.sha256))
            .filter(|l| !in_file.contains(&l.sha256.as_str()))
            .map(|l| &*l.subject)
            .collect();
        if !missing.is_empty() {
            out.push(finding(
                Critical,
                "config-chain-incomplete",
                &crel,
                format!(
                    "{crel} (served by {}) lacks intermediate(s) {}: clients that do not already have them cannot build the chain",
                    site_name(site),
                    missing.join(", ")
                ),
                "serve the full chain: leaf, then the intermediates (e.g. certdeck export --format fullchain)",
            ));
        } else if leaf.chain == ChainStatus::Incomplete && chain.len() == 1 && !leaf.self_signed {
            out.push(finding(
                Warning,
                "config-chain-incomplete",
                &crel,
                format!(
                    "{crel} (served by {}): the issuer of {} is in neither the file nor the store, so certdeck cannot tell whether an intermediate is missing",
                    site_name(site),
                    leaf.subject
                ),
                "add the issuing CA to the store (or the intermediate to the file)",
            ));
        }
    }
    // Client CA file: it must hold the issuer of the client certificates in the store.
    let client_cas: Vec<(&ServerUse, String, Vec<&Item>)> = by_role(Role::ClientCa)
        .chain(by_role(Role::TrustedCa))
        .filter_map(|u| items_of(inv, &u.path).map(|(r, i)| (u, r, i)))
        .collect();
    let ca_certs: Vec<&Item> = client_cas
        .iter()
        .flat_map(|(_, _, items)| items.iter().copied())
        .filter(|i| i.cert().is_some())
        .collect();
    for (u, rel, _) in client_cas
        .iter()
        .filter(|(u, _, _)| u.role == Role::ClientCa)
    {
        if !site.verify_client {
            continue;
        }
        let own: Vec<&Item> = client_cas
            .iter()
            .filter(|(x, _, _)| x.role == Role::ClientCa && x.path == u.path)
            .flat_map(|(_, _, items)| items.iter().copied())
            .filter(|i| i.cert().is_some())
            .collect();
        if own.is_empty() {
            out.push(finding(
                Critical,
                "config-not-a-certificate",
                rel,
                format!(
                    "{} names {rel}, which holds no CA certificate: no client can be verified",
                    who(u)
                ),
                "point it at the CA certificate(s) that issue the client certificates",
            ));
            continue;
        }
        for client in client_certs(inv) {
            let Some(c) = client.cert() else { continue };
            if !own
                .iter()
                .any(|ca| ca.cert().is_some_and(|a| a.subject_raw() == c.issuer_raw()))
            {
                out.push(finding(
                    Warning,
                    "config-ca-missing-issuer",
                    &client.path,
                    format!(
                        "client certificate {} is issued by {}, which is not in {rel} ({}): {} will refuse it",
                        client.display_name(),
                        c.issuer,
                        u.directive,
                        site_name(site)
                    ),
                    "add its issuing CA to the client CA file (or issue the client from a CA that is there)",
                ));
            }
        }
    }
    // CRL checking on: OpenSSL (nginx sets CRL_CHECK_ALL) needs a CRL from every CA it meets.
    if site.crl_check {
        let crls: Vec<&Item> = by_role(Role::Crl)
            .filter_map(|u| items_of(inv, &u.path))
            .flat_map(|(_, items)| items)
            .filter(|i| matches!(i.detail, Detail::Crl(_)))
            .collect();
        let crl_rels: Vec<String> = by_role(Role::Crl)
            .filter_map(|u| inventory_path(&inv.store, &u.path))
            .collect();
        for ca in &ca_certs {
            let Some(c) = ca.cert() else { continue };
            if !c.is_ca {
                continue;
            }
            let has = crls.iter().any(|i| match &i.detail {
                Detail::Crl(crl) => crl.issuer_raw == c.subject_raw(),
                _ => false,
            });
            if !has {
                out.push(finding(
                    Critical,
                    "config-crl-missing",
                    &ca.path,
                    format!(
                        "{} checks CRLs ({}) but there is none from {}: every client certificate it issued is rejected (unable to get certificate CRL)",
                        site_name(site),
                        if crl_rels.is_empty() { "file missing".to_string() } else { crl_rels.join(", ") },
                        c.subject
                    ),
                    "add the CA's CRL to the ssl_crl file (certdeck trust/revoke write one for CAs whose key is in the store)",
                ));
            }
        }
    }
    for u in by_role(Role::DhParams) {
        let Some((rel, items)) = items_of(inv, &u.path) else {
            continue;
        };
        match items.iter().find_map(|i| match &i.detail {
            Detail::DhParams(d) => Some(d),
            _ => None,
        }) {
            Some(d) if d.bits < 2048 => out.push(finding(
                Warning,
                "config-weak-dh",
                &rel,
                format!("{} uses {}-bit DH parameters from {rel}", who(u), d.bits),
                "use 2048 bits or more (openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048)",
            )),
            Some(_) => {}
            None if items.iter().all(|i| i.error.is_none()) => out.push(finding(
                Critical,
                "config-not-dhparams",
                &rel,
                format!("{} names {rel}, which holds no DH parameters", who(u)),
                "point it at a 'DH PARAMETERS' PEM file",
            )),
            None => {}
        }
    }
    for u in by_role(Role::Keystore).chain(by_role(Role::TrustStore)) {
        let Some((rel, items)) = items_of(inv, &u.path) else {
            continue;
        };
        let ks = items.iter().find_map(|i| match &i.detail {
            Detail::Keystore(k) => Some(k),
            _ => None,
        });
        let locked = ks.is_some_and(|k| k.locked)
            || items
                .iter()
                .any(|i| i.error.as_deref().is_some_and(|e| e.starts_with("locked")));
        if locked {
            out.push(finding(
                Critical,
                "config-keystore-locked",
                &rel,
                format!(
                    "{} names {rel}, but the password in the config does not open it",
                    who(u)
                ),
                "set the keystore's password in the config (or re-export the keystore with it)",
            ));
            continue;
        }
        let Some(ks) = ks else { continue };
        if let Some(t) = &site.keystore_type {
            let t = t.to_ascii_lowercase();
            let f = ks.format.to_ascii_lowercase();
            if u.role == Role::Keystore && t != f {
                out.push(finding(
                    Warning,
                    "config-keystore-type",
                    &rel,
                    format!(
                        "{} says key-store-type {t} but {rel} is {f}",
                        site_name(site)
                    ),
                    "set server.ssl.key-store-type to the file's real format",
                ));
            }
        }
        if let (Role::Keystore, Some(alias)) = (u.role, &site.key_alias) {
            let entry = ks
                .entries
                .iter()
                .find(|e| e.alias.eq_ignore_ascii_case(alias));
            match entry {
                None => out.push(finding(
                    Critical,
                    "config-alias-missing",
                    &rel,
                    format!(
                        "{} uses key-alias {alias}, which is not in {rel} (aliases: {})",
                        site_name(site),
                        ks.entries
                            .iter()
                            .map(|e| e.alias.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    "set server.ssl.key-alias to the entry holding the server key",
                )),
                Some(e) if e.entry_type != "private_key_entry" => out.push(finding(
                    Critical,
                    "config-alias-missing",
                    &rel,
                    format!(
                        "{} uses key-alias {alias}, but that entry has no private key",
                        site_name(site)
                    ),
                    "point key-alias at a private key entry",
                )),
                Some(_) => {}
            }
        }
    }
}

fn site_name(site: &Site) -> String {
    format!("{} {}", site.server, site.context)
}

fn is_root(inv: &Inventory, sha: &str) -> bool {
    inv.items
        .iter()
        .filter_map(|i| i.cert())
        .any(|c| c.sha256 == sha && c.self_signed)
}

/// Leaf certificates made for TLS clients (clientAuth and not serverAuth).
fn client_certs(inv: &Inventory) -> Vec<&Item> {
    let mut seen = std::collections::HashSet::new();
    inv.items
        .iter()
        .filter(|i| {
            i.cert().is_some_and(|c| {
                !c.is_ca
                    && c.extended_key_usage.iter().any(|e| e == "clientAuth")
                    && !c.extended_key_usage.iter().any(|e| e == "serverAuth")
                    && seen.insert(c.sha256.clone())
            })
        })
        .collect()
}
