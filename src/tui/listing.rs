//! The list model: per-item precomputed facts, and the sorted / grouped / filtered rows.
//!
//! Everything expensive (lowercase haystacks, names, group keys) is computed once per item when it
//! arrives, so a filter keystroke is one linear pass over `order` with no allocation per item.

use super::fmt;
use crate::pki::{Detail, Item};
use std::collections::HashMap;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    #[default]
    None,
    File,
    Chain,
}

impl GroupBy {
    pub fn next(self) -> Self {
        match self {
            GroupBy::None => GroupBy::File,
            GroupBy::File => GroupBy::Chain,
            GroupBy::Chain => GroupBy::None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            GroupBy::None => "none",
            GroupBy::File => "file",
            GroupBy::Chain => "chain",
        }
    }
}

/// Facts about one item that sorting, grouping and filtering need, computed once.
#[derive(Debug, Clone)]
pub struct Meta {
    pub name: String,
    name_lc: String,
    /// Lowercase CN, SANs, issuer, subject, path, fingerprint; fields separated by '\n' so a query
    /// never matches across two fields.
    haystack: String,
    /// not_after for certificates, next_update for CRLs.
    pub expiry: Option<i64>,
    /// Subject of the chain's root (last link), for grouping by chain.
    pub chain_root: Option<String>,
    /// Filled by `assign_chain_groups`.
    pub chain_group: String,
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
                hay.extend([c.issuer.as_str(), c.subject.as_str(), c.sha256.as_str()]);
                expiry = Some(c.not_after_unix);
                chain_root = c.chain_path.last().map(|l| l.subject.clone());
            }
            Detail::Csr(c) => {
                hay.extend(c.common_name.as_deref());
                hay.extend(c.sans.iter().map(String::as_str));
                hay.extend([c.subject.as_str(), c.sha256.as_str()]);
            }
            Detail::Crl(c) => {
                hay.extend([c.issuer.as_str(), c.sha256.as_str()]);
                expiry = c.next_update_unix;
            }
            _ => {}
        }
        hay.extend(item.alias.as_deref());
        hay.push(&name);
        let mut haystack = hay.join("\n").to_lowercase();
        // Fingerprints are often pasted without colons.
        if haystack.contains(':') {
            let plain: String = haystack.chars().filter(|&c| c != ':').collect();
            haystack.push('\n');
            haystack.push_str(&plain);
        }
        Meta {
            name_lc: name.to_lowercase(),
            name,
            haystack,
            expiry,
            chain_root,
            chain_group: String::new(),
        }
    }

    pub fn matches(&self, needle_lc: &str) -> bool {
        needle_lc.is_empty() || self.haystack.contains(needle_lc)
    }
}

/// One line of the list: an item, or the header of a group when grouping is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    /// Header of the group the item (an index into items) belongs to.
    Header(usize),
    Item(usize),
}

/// Fill `Meta::chain_group` once per item set: a cert's chain root, a key inherits its paired
/// cert's, everything else has none. Cross-item, so it runs after items change, not per keystroke.
pub fn assign_chain_groups(items: &[Item], metas: &mut [Meta]) {
    let by_sha: HashMap<&str, usize> = items
        .iter()
        .enumerate()
        .filter_map(|(i, it)| it.cert().map(|c| (c.sha256.as_str(), i)))
        .collect();
    let groups: Vec<String> = items
        .iter()
        .enumerate()
        .map(|(i, it)| {
            let paired = it
                .key()
                .and_then(|k| k.pairs_with.first())
                .and_then(|sha| by_sha.get(sha.as_str()))
                .and_then(|&c| metas[c].chain_root.as_deref());
            metas[i]
                .chain_root
                .as_deref()
                .or(paired)
                .unwrap_or("(no chain)")
                .to_string()
        })
        .collect();
    for (m, g) in metas.iter_mut().zip(groups) {
        m.chain_group = g;
    }
}

pub fn group_key<'a>(group: GroupBy, items: &'a [Item], metas: &'a [Meta], i: usize) -> &'a str {
    match group {
        GroupBy::None => "",
        GroupBy::File => &items[i].path,
        GroupBy::Chain => &metas[i].chain_group,
    }
}

/// All item indices in display order (group first, then the sort key); filtering keeps this order.
pub fn order(items: &[Item], metas: &[Meta], sort: SortKey, group: GroupBy) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..items.len()).collect();
    idx.sort_by(|&a, &b| {
        let ga = group_key(group, items, metas, a);
        let gb = group_key(group, items, metas, b);
        let (ia, ib) = (&items[a], &items[b]);
        let by_path = || (&ia.path, ia.index).cmp(&(&ib.path, ib.index));
        ga.cmp(gb).then_with(|| match sort {
            // Items without an expiry sort after those with one.
            SortKey::Expiry => (metas[a].expiry.is_none(), metas[a].expiry)
                .cmp(&(metas[b].expiry.is_none(), metas[b].expiry))
                .then_with(by_path),
            SortKey::Name => metas[a].name_lc.cmp(&metas[b].name_lc).then_with(by_path),
            SortKey::Path => by_path(),
        })
    });
    idx
}

/// The visible rows: `order` narrowed by the filter, with group headers inserted.
pub fn rows(
    items: &[Item],
    metas: &[Meta],
    order: &[usize],
    group: GroupBy,
    needle_lc: &str,
) -> Vec<Row> {
    let mut out = Vec::with_capacity(order.len());
    let mut last_group: Option<&str> = None;
    for &i in order.iter().filter(|&&i| metas[i].matches(needle_lc)) {
        if group != GroupBy::None {
            let g = group_key(group, items, metas, i);
            if last_group != Some(g) {
                out.push(Row::Header(i));
                last_group = Some(g);
            }
        }
        out.push(Row::Item(i));
    }
    out
}

/// Text of a group header row.
pub fn header_label(group: GroupBy, items: &[Item], metas: &[Meta], i: usize) -> String {
    let key = group_key(group, items, metas, i);
    match group {
        GroupBy::Chain => fmt::cn_of(key).to_string(),
        _ => key.to_string(),
    }
}
