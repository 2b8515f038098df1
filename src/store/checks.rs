//! Store-level findings that need the directory layout: OpenSSL CApath link health, revoked
//! certificates still trusted, and key/certificate pairs that a server layout names.
//! Only read-only filesystem calls (read_dir, lstat, readlink, stat) are made here.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::Path;

use super::inventory::Inventory;
use crate::pki::decode::is_hash_link_name;
use crate::pki::lint::{Finding, Severity};
use crate::pki::{Detail, Item};

fn f(sev: Severity, code: &'static str, path: &str, msg: String, fix: String) -> Finding {
    Finding {
        severity: sev,
        code,
        path: path.to_string(),
        index: 0,
        message: msg,
        fix,
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Store-relative directories that look like OpenSSL CApath dirs: they hold `<hash>.N` names,
/// or are called `trusted`.
pub fn trust_dirs(inv: &Inventory) -> Vec<String> {
    let mut dirs: std::collections::BTreeSet<String> = Default::default();
    let all_paths = inv
        .items
        .iter()
        .flat_map(|it| std::iter::once(&it.path).chain(it.links.iter()));
    for p in all_paths {
        let (dir, name) = p.rsplit_once('/').unwrap_or(("", p.as_str()));
        if is_hash_link_name(name) || dir.rsplit('/').next() == Some("trusted") {
            dirs.insert(dir.to_string());
        }
    }
    dirs.into_iter().collect()
}

pub fn check(inv: &Inventory) -> Vec<Finding> {
    let mut out = vec![];
    for dir in trust_dirs(inv) {
        out.extend(check_trust_dir(inv, &dir));
    }
    out.extend(check_pairs(inv));
    out
}

fn check_trust_dir(inv: &Inventory, dir: &str) -> Vec<Finding> {
    use Severity::*;
    let mut out = vec![];
    let abs = inv.store.join(dir);
    let Ok(rd) = fs::read_dir(&abs) else {
        return out;
    };
    // hash -> indices present (certificate links and CRL links separately)
    let mut cert_links: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut crl_links: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut names = vec![];
    for de in rd.flatten() {
        names.push(de.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    for name in &names {
        if !is_hash_link_name(name) {
            continue;
        }
        let (stem, ext) = name.split_once('.').unwrap_or_default();
        let rel = join(dir, name);
        let p = abs.join(name);
        if fs::metadata(&p).is_err() {
            let target = fs::read_link(&p)
                .map(|t| t.display().to_string())
                .unwrap_or_default();
            out.push(f(
                Critical,
                "dangling-link",
                &rel,
                format!("{rel} -> {target} points to nothing; OpenSSL stops looking at it"),
                format!("certdeck rehash {dir} (or remove the link)"),
            ));
        }
        if let Some(n) = ext.strip_prefix('r') {
            if let Ok(n) = n.parse() {
                crl_links.entry(stem.to_string()).or_default().push(n);
            }
        } else if let Ok(n) = ext.parse() {
            cert_links.entry(stem.to_string()).or_default().push(n);
        }
        // The certificate behind the name must really have that subject hash.
        let item = inv
            .items
            .iter()
            .find(|it| it.path == rel || it.links.contains(&rel));
        if let Some(it) = item {
            let actual = match &it.detail {
                Detail::Certificate(c) => Some(c.subject_hash.to_string()),
                Detail::Crl(c) => Some(c.issuer_hash.clone()),
                _ => None,
            };
            if let Some(actual) = actual.filter(|a| *a != stem) {
                out.push(f(
                    Critical,
                    "wrong-hash-link",
                    &rel,
                    format!("{rel} is named for hash {stem} but its subject hash is {actual}; OpenSSL will not find it"),
                    format!("certdeck rehash {dir}"),
                ));
            }
        }
    }
    for (links, what) in [(&cert_links, ""), (&crl_links, "r")] {
        for (hash, idx) in links {
            let mut idx = idx.clone();
            idx.sort_unstable();
            for (expect, got) in (0u32..).zip(idx.iter()) {
                if *got != expect {
                    out.push(f(
                        Critical,
                        "link-gap",
                        &join(dir, &format!("{hash}.{what}{got}")),
                        format!("{hash}.{what}{expect} is missing, so OpenSSL never reads {hash}.{what}{got} and later links"),
                        format!("certdeck rehash {dir}"),
                    ));
                    break;
                }
            }
        }
    }
    // Certificates in the dir that no hash link names (forgot to rehash).
    let unlinked: Vec<&Item> = inv
        .items
        .iter()
        .filter(|it| it.cert().is_some())
        .filter(|it| it.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("") == dir)
        .filter(|it| {
            let name = it.path.rsplit('/').next().unwrap_or("");
            !is_hash_link_name(name)
                && !it.links.iter().any(|l| {
                    let (ld, ln) = l.rsplit_once('/').unwrap_or(("", l));
                    ld == dir && is_hash_link_name(ln)
                })
        })
        .collect();
    if !unlinked.is_empty() {
        out.push(f(
            Warning,
            "not-rehashed",
            if dir.is_empty() { "." } else { dir },
            format!(
                "{} certificate(s) in trust dir {} have no <hash>.N link (e.g. {}): OpenSSL CApath lookups will not find them",
                unlinked.len(),
                if dir.is_empty() { "." } else { dir },
                unlinked[0].path
            ),
            format!("certdeck rehash {dir}"),
        ));
    }
    // Revoked but still trusted.
    let trusted: Vec<&Item> = inv
        .items
        .iter()
        .filter(|it| it.cert().is_some())
        .filter(|it| {
            std::iter::once(&it.path)
                .chain(it.links.iter())
                .any(|p| p.rsplit_once('/').map(|(d, _)| d).unwrap_or("") == dir)
        })
        .collect();
    for crl_item in &inv.items {
        let Detail::Crl(crl) = &crl_item.detail else {
            continue;
        };
        if crl.signature != "verified" {
            continue;
        }
        for it in &trusted {
            let Some(c) = it.cert() else { continue };
            if c.issuer_raw() == crl.issuer_raw && crl.revoked.contains(&c.serial) {
                out.push(f(
                    Critical,
                    "revoked-trusted",
                    &it.path,
                    format!(
                        "{} (serial {}) is revoked by {} but still in trust dir {}",
                        it.display_name(),
                        c.serial,
                        crl_item.path,
                        if dir.is_empty() { "." } else { dir }
                    ),
                    format!("certdeck revoke {}", it.path),
                ));
            }
        }
    }
    out
}

/// File-name pairs servers use for a certificate and its key, per directory.
const PAIRS: &[(&str, &str)] = &[
    ("certificate.pem", "privateKey.pem"), // Harper
    ("fullchain.pem", "privkey.pem"),      // certbot / nginx
    ("cert.pem", "privkey.pem"),
    ("server.cert.pem", "server.key.pem"), // Nano RPC
    ("server.crt", "server.key"),
];

/// Suffix conventions: NAME.crt + NAME.key, NAME.pem + NAME.key, NAME.cert.pem + NAME.key.pem,
/// NAME-cert.pem + NAME-key.pem.
const SUFFIXES: &[(&str, &str)] = &[
    (".cert.pem", ".key.pem"),
    ("-cert.pem", "-key.pem"),
    (".crt", ".key"),
    (".pem", ".key"),
];

fn check_pairs(inv: &Inventory) -> Vec<Finding> {
    let mut by_path: HashMap<&str, Vec<&Item>> = HashMap::new();
    for it in &inv.items {
        by_path.entry(it.path.as_str()).or_default().push(it);
        for l in &it.links {
            by_path.entry(l.as_str()).or_default().push(it);
        }
    }
    let mut out = vec![];
    let mut pairs: Vec<(String, String)> = vec![];
    for p in by_path.keys() {
        let (dir, name) = p.rsplit_once('/').unwrap_or(("", p));
        for (c, k) in PAIRS {
            if name == *c {
                pairs.push((p.to_string(), join(dir, k)));
            }
        }
        for (cs, ks) in SUFFIXES {
            if let Some(stem) = name.strip_suffix(cs) {
                if !stem.is_empty() {
                    pairs.push((p.to_string(), join(dir, &format!("{stem}{ks}"))));
                }
            }
        }
    }
    pairs.sort();
    pairs.dedup();
    for (cert_path, key_path) in pairs {
        let (Some(certs), Some(keys)) = (
            by_path.get(cert_path.as_str()),
            by_path.get(key_path.as_str()),
        ) else {
            continue;
        };
        let Some(cert) = certs.iter().find_map(|i| i.cert()) else {
            continue;
        };
        let Some(bits) = keys
            .iter()
            .find_map(|i| i.key().and_then(|k| k.public_bits.as_ref()))
        else {
            continue;
        };
        if *bits != cert.spki_bits() {
            out.push(f(
                Severity::Critical,
                "key-mismatch",
                &cert_path,
                format!("{cert_path} and {key_path} do not match: the key is not the certificate's; the server will refuse to start"),
                "install the key that belongs to this certificate (or the certificate issued for this key)".into(),
            ));
        }
    }
    // PKCS#12 entries: key and first certificate of the same alias in the same file.
    type KeyAndCert<'a> = (Option<&'a [u8]>, Option<&'a [u8]>);
    let mut entries: BTreeMap<(&str, &str), KeyAndCert> = BTreeMap::new();
    for it in &inv.items {
        let Some(alias) = it.alias.as_deref() else {
            continue;
        };
        let e = entries.entry((it.path.as_str(), alias)).or_default();
        if let Some(k) = it.key().and_then(|k| k.public_bits.as_ref()) {
            e.0 = Some(k.as_slice());
        }
        if let Some(c) = it.cert() {
            e.1.get_or_insert(c.spki_bits());
        }
    }
    for ((path, alias), (k, c)) in entries {
        if let (Some(k), Some(c)) = (k, c) {
            if k != c {
                out.push(f(
                    Severity::Critical,
                    "key-mismatch",
                    path,
                    format!(
                        "keystore entry '{alias}': the private key does not match its certificate"
                    ),
                    "re-import the entry with the matching certificate chain".into(),
                ));
            }
        }
    }
    let _ = Path::new("");
    out
}
