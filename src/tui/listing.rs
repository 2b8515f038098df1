//! The list model: per-item precomputed facts, and the sorted / grouped / filtered rows.
//!
//! Everything expensive (lowercase haystacks, names, group keys) is computed once per item when it
//! arrives, so a filter keystroke is one linear pass over `order` with no allocation per item.

use super::fmt;
use crate::pki::{Detail, Item};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Expiry,
    Name,
    Path,
}

impl SortKey {
    pub fn next(self) -> Self {
        match self {
            SortKey::Expiry => SortKey::Name,
            SortKey::Name => SortKey::Path,
            SortKey::Path => SortKey::Expiry,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Expiry => "expiry",
            SortKey::Name => "name",
            SortKey::Path => "path",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum GroupBy {
    #[default]
    None,
    File,
    Chain,
    /// The fleet view's: by the host (Prometheus `instance`) an item comes from.
    Host,
}

impl GroupBy {
    pub fn next(self) -> Self {
        match self {
            GroupBy::None => GroupBy::File,
            GroupBy::File => GroupBy::Chain,
            GroupBy::Chain | GroupBy::Host => GroupBy::None,
        }
    }
    /// The next grouping; a fleet's are none, host, file (its items have no chains).
    pub fn next_in(self, fleet: bool) -> Self {
        match (fleet, self) {
            (false, g) => g.next(),
            (true, GroupBy::None) => GroupBy::Host,
            (true, GroupBy::Host) => GroupBy::File,
            (true, _) => GroupBy::None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            GroupBy::None => "none",
            GroupBy::File => "file",
            GroupBy::Chain => "chain",
            GroupBy::Host => "host",
        }
    }
}

/// Subject of the root (or last link) of a certificate's built chain.
pub fn chain_root(item: &Item) -> Option<Arc<str>> {
    let c = item.cert()?;
    c.chain_note.as_ref()?;
    Some(match c.chain_issuers.last() {
        Some(link) => link.subject.clone(),
        // The certificate is its own root: only self-signed ones and chains that stop at the
        // first link (issuer missing) allocate here.
        None => c.subject.as_str().into(),
    })
}

/// Facts about one item that sorting, grouping and filtering need, computed once.
#[derive(Debug, Clone)]
pub struct Meta {
    pub name: String,
    /// Lowercase CN, SANs, issuer, subject, path; fields separated by '\n' so a query never
    /// matches across two fields. The fingerprint is searched where it is (`Needle`): 64 bytes
    /// less per item.
    haystack: String,
    /// not_after for certificates, next_update for CRLs.
    pub expiry: Option<i64>,
    /// Subject of the chain's root (last link), for grouping by chain.
    pub chain_root: Option<Arc<str>>,
    /// Filled by `assign_chain_groups`: the root subject the item is grouped under.
    pub chain_group: Option<Arc<str>>,
    /// The file could not be read or decoded (a locked key is not an error): sorted first,
    /// and grouped on its own, so a broken file is the first thing seen, not the last.
    pub error: bool,
}

impl Meta {
    pub fn of(item: &Item) -> Meta {
        let name = item.display_name();
        let mut hay = vec![item.path.as_str()];
        let mut expiry = None;
        let mut chain_root = None;
        match &item.detail {
            Detail::Certificate(c) => {
                hay.extend(c.common_name.as_deref());
                hay.extend(c.sans.iter().map(String::as_str));
                hay.extend([c.issuer.as_str(), c.subject.as_str()]);
                expiry = Some(c.not_after_unix);
                chain_root = self::chain_root(item);
            }
            Detail::Csr(c) => {
                hay.extend(c.common_name.as_deref());
                hay.extend(c.sans.iter().map(String::as_str));
                hay.push(c.subject.as_str());
            }
            Detail::Crl(c) => {
                hay.push(c.issuer.as_str());
                expiry = c.next_update_unix;
            }
            _ => {}
        }
        hay.extend(item.alias.as_deref());
        // The name is usually the CN, already in; one copy less per item of a big store.
        if !hay.contains(&name.as_str()) {
            hay.push(&name);
        }
        let haystack = hay.join("\n").to_lowercase();
        Meta {
            name,
            haystack,
            expiry,
            chain_root,
            chain_group: None,
            error: item.error.is_some() && !item.locked(),
        }
    }
}

/// What the filter looks for, prepared once per keystroke. Hex (also pasted with colons,
/// `AB:CD:…`, as openssl prints it) is looked for in the SHA-256 fingerprint as well.
pub struct Needle {
    exact: memchr::memmem::Finder<'static>,
    hex: Option<memchr::memmem::Finder<'static>>,
    empty: bool,
}

impl Needle {
    pub fn new(text: &str) -> Needle {
        let lc = text.to_lowercase();
        let plain: String = lc.chars().filter(|&c| c != ':').collect();
        let hex = !plain.is_empty() && plain.chars().all(|c| c.is_ascii_hexdigit());
        Needle {
            hex: hex.then(|| memchr::memmem::Finder::new(plain.as_bytes()).into_owned()),
            exact: memchr::memmem::Finder::new(lc.as_bytes()).into_owned(),
            empty: lc.is_empty(),
        }
    }

    pub fn matches(&self, item: &Item, m: &Meta) -> bool {
        self.empty
            || self.exact.find(m.haystack.as_bytes()).is_some()
            || self
                .hex
                .as_ref()
                .zip(fingerprint(item))
                .is_some_and(|(hex, fp)| hex.find(fp.as_bytes()).is_some())
    }
}

/// The SHA-256 (lowercase hex) of a certificate, CSR or CRL.
fn fingerprint(item: &Item) -> Option<&str> {
    match &item.detail {
        Detail::Certificate(c) => Some(&c.sha256),
        Detail::Csr(c) => Some(&c.sha256),
        Detail::Crl(c) => Some(&c.sha256),
        _ => None,
    }
}

/// The indices of `candidates` (kept in their order) whose item the needle matches; on all
/// cores, so typing into the filter of a 100,000-item store stays under a frame.
pub fn matching(
    items: &[Item],
    metas: &[Meta],
    candidates: &[usize],
    needle: &Needle,
) -> Vec<usize> {
    use rayon::prelude::*;
    if needle.empty {
        return candidates.to_vec();
    }
    candidates
        .par_iter()
        .with_min_len(4096)
        .copied()
        .filter(|&i| needle.matches(&items[i], &metas[i]))
        .collect()
}

/// One line of the list: an item, or the header of a group when grouping is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    /// Header of the group whose first shown item is the first index (into items); the
    /// second is how many items of the group the filter shows (folded or not).
    Header(usize, usize),
    Item(usize),
}

/// The group key of error items, in every grouping: they form one group, listed first.
pub const ERROR_GROUP: &str = "unreadable files";

/// Fill `Meta::chain_group` once per item set: a cert's chain root, a key inherits its paired
/// cert's, everything else has none. Cross-item, so it runs after items change, not per keystroke.
pub fn assign_chain_groups(items: &[Item], metas: &mut [Meta]) {
    // Only keys look certificates up; a store without paired keys needs no index.
    let any_pairs = items
        .iter()
        .any(|it| it.key().is_some_and(|k| !k.pairs_with.is_empty()));
    let by_sha: HashMap<&str, usize> = items
        .iter()
        .enumerate()
        .filter(|_| any_pairs)
        .filter_map(|(i, it)| it.cert().map(|c| (c.sha256.as_str(), i)))
        .collect();
    let groups: Vec<Option<Arc<str>>> = items
        .iter()
        .enumerate()
        .map(|(i, it)| {
            let paired = it
                .key()
                .and_then(|k| k.pairs_with.first())
                .and_then(|sha| by_sha.get(sha.as_str()))
                .and_then(|&c| metas[c].chain_root.clone());
            metas[i].chain_root.clone().or(paired)
        })
        .collect();
    for (m, g) in metas.iter_mut().zip(groups) {
        m.chain_group = g;
    }
}

pub fn group_key<'a>(group: GroupBy, items: &'a [Item], metas: &'a [Meta], i: usize) -> &'a str {
    match group {
        GroupBy::None => "",
        _ if metas[i].error => ERROR_GROUP,
        GroupBy::File => &items[i].path,
        GroupBy::Chain => metas[i].chain_group.as_deref().map_or("(no chain)", |s| s),
        GroupBy::Host => crate::fleet::items::host_of(&items[i].path).unwrap_or("(no host)"),
    }
}

/// All item indices in display order (errors first, then the group, then the sort key);
/// filtering keeps this order.
/// `path_sorted`: the items are in path order already (an analysed inventory), so ties are
/// broken by index instead of comparing paths (100,000 items sort in milliseconds).
pub fn order(
    items: &[Item],
    metas: &[Meta],
    sort: SortKey,
    group: GroupBy,
    path_sorted: bool,
) -> Vec<usize> {
    use rayon::prelude::*;
    if group == GroupBy::None && sort == SortKey::Expiry {
        return by_expiry(items, metas, path_sorted);
    }
    // Lowercase names only while sorting by name (not kept per item).
    let names_lc: Vec<String> = match sort {
        SortKey::Name => metas.par_iter().map(|m| m.name.to_lowercase()).collect(),
        _ => Vec::new(),
    };
    let mut idx: Vec<usize> = (0..items.len()).collect();
    idx.par_sort_unstable_by(|&a, &b| {
        let ga = group_key(group, items, metas, a);
        let gb = group_key(group, items, metas, b);
        let (ia, ib) = (&items[a], &items[b]);
        let by_path = || {
            if path_sorted {
                a.cmp(&b)
            } else {
                (&ia.path, ia.index).cmp(&(&ib.path, ib.index))
            }
        };
        // Errors first (false < true), whatever the sort: a user sees a broken file.
        (!metas[a].error, ga)
            .cmp(&(!metas[b].error, gb))
            .then_with(|| match sort {
                // Items without an expiry sort after those with one.
                SortKey::Expiry => (metas[a].expiry.is_none(), metas[a].expiry)
                    .cmp(&(metas[b].expiry.is_none(), metas[b].expiry))
                    .then_with(by_path),
                SortKey::Name => names_lc[a].cmp(&names_lc[b]).then_with(by_path),
                SortKey::Path => by_path(),
            })
    });
    idx
}

/// The default order, sorted on keys laid side by side: a comparator that looks items up
/// fetches scattered memory on every comparison, which made sorting 100,000 items take
/// ~140 ms; this takes a few.
fn by_expiry(items: &[Item], metas: &[Meta], path_sorted: bool) -> Vec<usize> {
    use rayon::prelude::*;
    // Errors first; items without an expiry sort after those with one; ties in path order.
    // Error and no-expiry flags share one key word, so the keys stay as small as before.
    let expiry = |m: &Meta| {
        let rank = u8::from(!m.error) << 1 | u8::from(m.expiry.is_none());
        (rank, m.expiry.unwrap_or(0))
    };
    if path_sorted {
        let mut keys: Vec<(u8, i64, usize)> = metas
            .iter()
            .enumerate()
            .map(|(i, m)| (expiry(m).0, expiry(m).1, i))
            .collect();
        keys.par_sort_unstable();
        return keys.into_iter().map(|k| k.2).collect();
    }
    let mut keys: Vec<(u8, i64, &str, usize, usize)> = metas
        .iter()
        .zip(items)
        .enumerate()
        .map(|(i, (m, it))| (expiry(m).0, expiry(m).1, it.path.as_str(), it.index, i))
        .collect();
    keys.par_sort_unstable();
    keys.into_iter().map(|k| k.4).collect()
}

/// The visible rows: the matching items in display order, with group headers inserted; the
/// items of a group `folded` names are left out (its header stays, with its count).
pub fn rows(
    items: &[Item],
    metas: &[Meta],
    matched: &[usize],
    group: GroupBy,
    folded: &std::collections::HashSet<String>,
) -> Vec<Row> {
    let mut out = Vec::with_capacity(matched.len());
    if group == GroupBy::None {
        out.extend(matched.iter().map(|&i| Row::Item(i)));
        return out;
    }
    let mut rest = matched;
    while let Some(&first) = rest.first() {
        let g = group_key(group, items, metas, first);
        let n = rest
            .iter()
            .position(|&i| group_key(group, items, metas, i) != g)
            .unwrap_or(rest.len());
        out.push(Row::Header(first, n));
        if !folded.contains(g) {
            out.extend(rest[..n].iter().map(|&i| Row::Item(i)));
        }
        rest = &rest[n..];
    }
    out
}

/// Chain grouping as a tree: each group's run of `order` rearranged so a certificate follows
/// the certificate that issued it (root, intermediate, leaf) and a key follows the certificate
/// it pairs with, siblings kept in sort order; returns each item's depth below its group's top
/// (indexed by item). Only parents inside the same group count; a cycle cannot hang it.
pub fn chain_tree(items: &[Item], metas: &[Meta], order: &mut [usize]) -> Vec<u8> {
    let mut depth = vec![0u8; items.len()];
    let mut start = 0;
    while start < order.len() {
        let g = group_key(GroupBy::Chain, items, metas, order[start]);
        let len = order[start..]
            .iter()
            .position(|&i| group_key(GroupBy::Chain, items, metas, i) != g)
            .unwrap_or(order.len() - start);
        let run = &mut order[start..start + len];
        if g != ERROR_GROUP {
            tree_run(items, run, &mut depth);
        }
        start += len;
    }
    depth
}

/// One group's items in depth-first order from its roots; see `chain_tree`.
fn tree_run(items: &[Item], run: &mut [usize], depth: &mut [u8]) {
    // The first certificate of each fingerprint in the run (copies of a CA file are roots of
    // their own, or children of the same issuer).
    let mut by_sha: HashMap<&str, usize> = HashMap::new();
    for (pos, &i) in run.iter().enumerate() {
        if let Some(c) = items[i].cert() {
            by_sha.entry(c.sha256.as_str()).or_insert(pos);
        }
    }
    let parent_of = |pos: usize| -> Option<usize> {
        let it = &items[run[pos]];
        let sha = match (it.cert(), it.key()) {
            (Some(c), _) => c.chain_issuers.first().map(|l| l.sha256.as_str()),
            (None, Some(k)) => k.pairs_with.first().map(String::as_str),
            _ => None,
        }?;
        by_sha.get(sha).copied().filter(|&p| p != pos)
    };
    let parents: Vec<Option<usize>> = (0..run.len()).map(parent_of).collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); run.len()];
    for (pos, p) in parents.iter().enumerate() {
        if let Some(p) = *p {
            children[p].push(pos);
        }
    }
    let mut seen = vec![false; run.len()];
    let mut out = Vec::with_capacity(run.len());
    let roots: Vec<usize> = (0..run.len()).filter(|&p| parents[p].is_none()).collect();
    // Whatever a cycle left unreached is listed flat at the end.
    for top in roots.into_iter().chain(0..run.len()) {
        let mut stack = vec![(top, 0u8)];
        while let Some((pos, d)) = stack.pop() {
            if std::mem::replace(&mut seen[pos], true) {
                continue;
            }
            out.push(run[pos]);
            depth[run[pos]] = d;
            stack.extend(
                children[pos]
                    .iter()
                    .rev()
                    .map(|&c| (c, d.saturating_add(1))),
            );
        }
    }
    run.copy_from_slice(&out);
}

/// Text of a group header row.
pub fn header_label(group: GroupBy, items: &[Item], metas: &[Meta], i: usize) -> String {
    let key = group_key(group, items, metas, i);
    match group {
        GroupBy::Chain if key != ERROR_GROUP => fmt::cn_of(key).to_string(),
        _ => key.to_string(),
    }
}
