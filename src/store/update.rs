//! Applying the files a watcher saw change to an analysed inventory, in place: a store of
//! 100,000 certificates that gains one re-reads one file, not 100,000, and never holds a second
//! inventory (a full rescan keeps the old list on screen until the new one is complete: twice
//! the memory, and seconds of CPU, for every certificate a CA issues into the directory).

use std::collections::{HashMap, HashSet};

use super::inventory::{AnalyzeOptions, Inventory};
use crate::pki::{Item, NameHash};

/// What some store paths are now (`scan::read_changes`).
#[derive(Debug, Default)]
pub struct FileChanges {
    /// Paths whose old items and link entries go (every changed path).
    pub gone: Vec<String>,
    /// Items decoded from the changed paths that are regular files now.
    pub items: Vec<Item>,
    /// Changed paths that are symlinks now: (link, store path of the file it names).
    pub links: Vec<(String, String)>,
}

impl FileChanges {
    pub fn is_empty(&self) -> bool {
        self.gone.is_empty() && self.items.is_empty() && self.links.is_empty()
    }

    /// `later` happened after `self`: a path changed in both is what `later` read.
    pub fn merge(&mut self, later: FileChanges) {
        let again: std::collections::HashSet<&str> =
            later.gone.iter().map(String::as_str).collect();
        self.items.retain(|it| !again.contains(it.path.as_str()));
        self.links.retain(|(l, _)| !again.contains(l.as_str()));
        self.gone.extend(later.gone);
        self.gone.sort();
        self.gone.dedup();
        self.items.extend(later.items);
        self.links.extend(later.links);
    }
}

/// How an update reordered the items: which old ones stayed and where the new ones went, so
/// vectors kept beside the items (the TUI's per-item facts) can follow with `apply`.
#[derive(Debug)]
pub struct Splice {
    keep: Vec<bool>,
    /// For each position of the updated order: whether a new element goes there.
    from_new: Vec<bool>,
    /// Positions of the new elements in the updated order.
    pub inserted: Vec<usize>,
    /// Certificates (positions in the updated order) whose chains may have changed: the new
    /// ones, and those whose path meets a name a changed certificate has. Only these need their
    /// signatures checked again; a leaf issued into a 100,000-certificate directory is one.
    pub reverify: Vec<usize>,
}

impl Splice {
    /// `old` without the elements that went, merged with `new` (in path order, as
    /// `apply_changes` sorted them: the elements for `inserted`, in that order) at their places. `None` when the lengths do not match the splice.
    /// A few changes are made in place (no second vector of 100,000 items at the peak).
    pub fn apply<T>(&self, mut old: Vec<T>, new: Vec<T>) -> Option<Vec<T>> {
        if old.len() != self.keep.len() || new.len() != self.inserted.len() {
            return None;
        }
        if new.len() <= 64 {
            let mut keep = self.keep.iter();
            old.retain(|_| keep.next().is_some_and(|k| *k));
            // Ascending final positions: each insert lands after the earlier ones.
            for (&at, t) in self.inserted.iter().zip(new) {
                old.insert(at, t);
            }
            return Some(old);
        }
        let mut kept = old
            .into_iter()
            .zip(&self.keep)
            .filter(|(_, k)| **k)
            .map(|(t, _)| t);
        let mut new = new.into_iter();
        self.from_new
            .iter()
            .map(|&n| if n { new.next() } else { kept.next() })
            .collect()
    }
}

impl Inventory {
    /// Apply `changes` (re-read files) in place: their old items go, the new ones are put in
    /// path order, symlink aliases follow, keys are paired again, the chains the change can
    /// touch (`Splice::reverify`) are built again without signature checks (the caller has
    /// those verified in the background). `None`, with nothing changed, when links would be
    /// left naming a file that went, or name one the inventory does not have: then only a full
    /// scan knows the store.
    pub fn apply_changes(&mut self, changes: FileChanges, opts: &AnalyzeOptions) -> Option<Splice> {
        let gone: HashSet<&str> = changes
            .gone
            .iter()
            .chain(changes.links.iter().map(|(l, _)| l))
            .map(String::as_str)
            .collect();
        let mut new = changes.items;
        new.sort_by(|a, b| (&a.path, a.index).cmp(&(&b.path, b.index)));
        let keep: Vec<bool> = self
            .items
            .iter()
            .map(|it| !gone.contains(it.path.as_str()))
            .collect();
        let known = |p: &str| {
            let at = self.items.partition_point(|it| it.path.as_str() < p);
            new.iter().any(|it| it.path == p)
                || self
                    .items
                    .get(at)
                    .is_some_and(|it| it.path == p && keep[at])
        };
        if !changes.links.iter().all(|(_, target)| known(target)) {
            return None;
        }

        // A re-read file keeps the links that still name it. Links to a file that went (or
        // became a link itself) now dangle or name another file: a full scan tells which.
        let mut old_links: HashMap<String, Vec<String>> = HashMap::new();
        for (it, k) in self.items.iter().zip(&keep) {
            if !k && !it.links.is_empty() {
                if !new.iter().any(|n| n.path == it.path) {
                    return None;
                }
                old_links.insert(it.path.clone(), it.links.clone());
            }
        }
        for it in &mut new {
            if let Some(l) = old_links.get(&it.path) {
                it.links = l.clone();
            }
        }

        // Merge the kept items (in path order) with the sorted new ones.
        let mut from_new = Vec::with_capacity(self.items.len() + new.len());
        let mut inserted = Vec::with_capacity(new.len());
        let mut kept = self.items.iter().zip(&keep).filter(|(_, k)| **k).peekable();
        let mut fresh = new.iter().peekable();
        loop {
            let take_new = match (kept.peek(), fresh.peek()) {
                (Some((a, _)), Some(b)) => (&b.path, b.index) < (&a.path, a.index),
                (None, Some(_)) => true,
                (Some(_), None) => false,
                (None, None) => break,
            };
            if take_new {
                inserted.push(from_new.len());
                fresh.next();
            } else {
                kept.next();
            }
            from_new.push(take_new);
        }
        // Names of the certificates that went or came: chains through them may change.
        let mut names: HashSet<NameHash> = self
            .items
            .iter()
            .zip(&keep)
            .filter(|(_, k)| !**k)
            .chain(new.iter().map(|it| (it, &false)))
            .filter_map(|(it, _)| Some(it.cert()?.subject_hash))
            .collect();
        let mut splice = Splice {
            keep,
            from_new,
            inserted,
            reverify: Vec::new(),
        };
        // Cannot fail: the splice was made for these two vectors.
        let items = std::mem::take(&mut self.items);
        self.items = splice.apply(items, new).unwrap_or_default();
        splice.reverify = affected_chains(&self.items, &mut names, &splice.inserted);

        for it in &mut self.items {
            it.links.retain(|l| !gone.contains(l.as_str()));
        }
        for (link, target) in &changes.links {
            let first = self.items.partition_point(|it| it.path < *target);
            for it in self.items[first..]
                .iter_mut()
                .take_while(|it| it.path == *target)
            {
                it.links.push(link.clone());
                // The walk's order: directory by directory, names sorted.
                it.links.sort_by(|a, b| a.split('/').cmp(b.split('/')));
            }
        }

        self.pair_keys();
        let touched = Some(splice.reverify.as_slice());
        if let Some(results) = self.chain_results(opts, false, touched, &|_, _| true) {
            self.apply_chains(results);
        }
        self.check_crls(opts.now);
        Some(splice)
    }
}

/// Certificates whose chain may pass through a certificate named in `names`: issued by such a
/// name, or by a certificate that is (to any depth); plus the certificates at `new`. Sorted.
fn affected_chains(items: &[Item], names: &mut HashSet<NameHash>, new: &[usize]) -> Vec<usize> {
    let mut affected: std::collections::BTreeSet<usize> = new
        .iter()
        .copied()
        .filter(|&i| items[i].cert().is_some())
        .collect();
    loop {
        let before = affected.len();
        for (i, it) in items.iter().enumerate() {
            let Some(c) = it.cert() else { continue };
            if names.contains(&c.issuer_hash) && affected.insert(i) {
                names.insert(c.subject_hash);
            }
        }
        if affected.len() == before {
            return affected.into_iter().collect();
        }
    }
}
