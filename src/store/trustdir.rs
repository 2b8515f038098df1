//! OpenSSL CApath directories: the `<hash>.N` / `<hash>.rN` links `openssl rehash` would make,
//! computed from the inventory (so it works on what we parsed, not on a second reader).
//!
//! Rules (OpenSSL apps/rehash.c): only `.pem .crt .cer .crl` files are sources, taken in byte
//! order of their names; a file holding anything but exactly one certificate or one CRL is
//! skipped; a certificate whose SHA-1 fingerprint was already linked gets no link; each hash
//! takes the next free index, so the sequence has no gaps.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::inventory::Inventory;
use crate::pki::decode::is_hash_link_name;
use crate::pki::Detail;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Link {
    /// Link name inside the trust dir, e.g. `0fb8533c.0`.
    pub name: String,
    /// File name it points to (same directory, relative).
    pub target: String,
}

fn is_source_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".pem", ".crt", ".cer", ".crl"]
        .iter()
        .any(|e| lower.ends_with(e))
}

/// The links `openssl rehash DIR` would create for the store-relative directory `dir`.
pub fn desired_links(inv: &Inventory, dir: &str) -> Vec<Link> {
    // file name -> items in it
    let mut files: BTreeMap<&str, Vec<&crate::pki::Item>> = BTreeMap::new();
    for it in &inv.items {
        let (d, name) = it.path.rsplit_once('/').unwrap_or(("", it.path.as_str()));
        if d == dir && is_source_name(name) && !is_hash_link_name(name) {
            files.entry(name).or_default().push(it);
        }
    }
    let mut next: HashMap<String, u32> = HashMap::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = vec![];
    // BTreeMap iterates in byte order of names, like rehash's sorted list.
    for (name, items) in files {
        if items.len() != 1 || items[0].error.is_some() {
            continue;
        }
        let (hash, suffix, fp) = match &items[0].detail {
            Detail::Certificate(c) => (c.subject_hash.clone(), "", c.sha1.clone()),
            Detail::Crl(c) => (c.issuer_hash.clone(), "r", c.sha256.clone()),
            _ => continue,
        };
        if !seen.insert(format!("{suffix}{fp}")) {
            continue;
        }
        let key = format!("{hash}.{suffix}");
        let n = next.entry(key.clone()).or_insert(0);
        out.push(Link {
            name: format!("{key}{n}"),
            target: name.to_string(),
        });
        *n += 1;
    }
    out
}

/// Existing hash-named entries of `dir` on disk: name -> symlink target (None for a regular
/// file with a hash name, which rehash leaves alone).
pub fn current_links(inv: &Inventory, dir: &str) -> BTreeMap<String, Option<String>> {
    let mut out = BTreeMap::new();
    let abs = inv.store.join(dir);
    if let Ok(rd) = std::fs::read_dir(&abs) {
        for de in rd.flatten() {
            let name = de.file_name().to_string_lossy().into_owned();
            if !is_hash_link_name(&name) {
                continue;
            }
            let target = std::fs::read_link(abs.join(&name))
                .ok()
                .map(|t| t.to_string_lossy().into_owned());
            out.insert(name, target);
        }
    }
    out
}

/// What a rehash changes: links to remove (stale, dangling, wrong) and links to create.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RehashDiff {
    pub remove: Vec<String>,
    pub create: Vec<Link>,
    pub unchanged: usize,
}

pub fn diff(inv: &Inventory, dir: &str) -> RehashDiff {
    let want = desired_links(inv, dir);
    let have = current_links(inv, dir);
    let want_map: BTreeMap<&str, &str> = want
        .iter()
        .map(|l| (l.name.as_str(), l.target.as_str()))
        .collect();
    let mut d = RehashDiff::default();
    for (name, target) in &have {
        match (target, want_map.get(name.as_str())) {
            (Some(t), Some(w)) if t == w => d.unchanged += 1,
            (Some(_), _) => d.remove.push(name.clone()),
            // A regular file named like a link is data, not a link: leave it.
            (None, _) => {}
        }
    }
    for l in want {
        if have.get(&l.name).and_then(|t| t.as_deref()) != Some(l.target.as_str())
            && !matches!(have.get(&l.name), Some(None))
        {
            d.create.push(l);
        }
    }
    d
}
