//! OpenSSL CApath directories: the `<hash>.N` / `<hash>.rN` links `openssl rehash` would make,
//! computed from the inventory (so it works on what we parsed, not on a second reader).
//!
//! Rules (OpenSSL apps/rehash.c): only `.pem .crt .cer .crl` files are sources, taken in byte
//! order of their names; a file holding anything but exactly one certificate or one CRL is
//! skipped; a certificate whose fingerprint was already linked gets no link; each hash takes
//! the next free index, so the sequence has no gaps. This module is the one place that knows
//! these rules: trust, revoke and rehash all go through `sources` + `wanted_links`.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::inventory::Inventory;
use crate::pki::decode::is_hash_link_name;
use crate::pki::{Detail, Item};

/// One file `openssl rehash` would link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// File name inside the trust dir.
    pub name: String,
    /// Subject hash (certificates) or issuer hash (CRLs).
    pub hash: String,
    /// Identity for duplicate detection (two files with the same one get one link).
    pub fingerprint: String,
    pub crl: bool,
}

fn is_source_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !is_hash_link_name(&lower)
        && [".pem", ".crt", ".cer", ".crl"]
            .iter()
            .any(|e| lower.ends_with(e))
}

/// The rehash sources of the store-relative directory `dir` as it is now.
pub fn sources(inv: &Inventory, dir: &str) -> Vec<Source> {
    let mut files: BTreeMap<&str, Vec<&Item>> = BTreeMap::new();
    for it in &inv.items {
        let (d, name) = it.path.rsplit_once('/').unwrap_or(("", it.path.as_str()));
        if d == dir && is_source_name(name) {
            files.entry(name).or_default().push(it);
        }
    }
    files
        .into_iter()
        .filter(|(_, items)| items.len() == 1 && items[0].error.is_none())
        .filter_map(|(name, items)| match &items[0].detail {
            Detail::Certificate(c) => Some(Source {
                name: name.to_string(),
                hash: c.subject_hash.to_string(),
                fingerprint: hex::encode(c.sha1),
                crl: false,
            }),
            Detail::Crl(c) => Some(Source {
                name: name.to_string(),
                hash: c.issuer_hash.clone(),
                fingerprint: c.sha256.clone(),
                crl: true,
            }),
            _ => None,
        })
        .collect()
}

/// Link name -> target file name, exactly as `openssl rehash` would make them for `sources`.
pub fn wanted_links(sources: &[Source]) -> BTreeMap<String, String> {
    let mut sorted: Vec<&Source> = sources.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut next: HashMap<String, u32> = HashMap::new();
    let mut seen = HashSet::new();
    let mut want = BTreeMap::new();
    for s in sorted {
        if !seen.insert((s.fingerprint.as_str(), s.crl)) {
            continue;
        }
        let key = format!("{}.{}", s.hash, if s.crl { "r" } else { "" });
        let n = next.entry(key.clone()).or_insert(0);
        want.insert(format!("{key}{n}"), s.name.clone());
        *n += 1;
    }
    want
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

#[cfg(test)]
mod tests {
    use super::*;

    fn src(name: &str, hash: &str, fp: &str, crl: bool) -> Source {
        Source {
            name: name.into(),
            hash: hash.into(),
            fingerprint: fp.into(),
            crl,
        }
    }

    #[test]
    fn collisions_duplicates_and_crls_follow_rehash() {
        let want = wanted_links(&[
            src("b.pem", "0000aaaa", "fp2", false),
            src("a.pem", "0000aaaa", "fp1", false),
            src("a-copy.pem", "0000aaaa", "fp1", false),
            src("ca.crl", "0000aaaa", "crl1", true),
        ]);
        // Byte order: a-copy.pem < a.pem < b.pem; a.pem is a duplicate of a-copy.pem.
        assert_eq!(
            want.get("0000aaaa.0").map(String::as_str),
            Some("a-copy.pem")
        );
        assert_eq!(want.get("0000aaaa.1").map(String::as_str), Some("b.pem"));
        assert_eq!(want.get("0000aaaa.r0").map(String::as_str), Some("ca.crl"));
        assert_eq!(want.len(), 3);
    }
}
