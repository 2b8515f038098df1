//! Lineage rows: a certbot or ACME lineage is one row, its current certificate, with the
//! superseded versions folded under it (muted; `z` unfolds them right below it). The lineages
//! are read in the background after a scan (`Effect::ReadLineages`); until then the list
//! shows plain items. Folding is a pass over the rows `listing` made, so the list model
//! itself does not change.

use super::app::App;
use super::listing::Row;
use crate::pki::Item;
use crate::store::lineages::LineageRow;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Default)]
pub struct Lineages {
    pub all: Vec<LineageRow>,
    /// Current certificate path → lineage.
    by_cert: HashMap<String, usize>,
    /// Superseded version path → lineage.
    old_of: HashMap<String, usize>,
    /// Lineages (by name) whose older versions are shown.
    pub expanded: HashSet<String>,
}

impl Lineages {
    pub fn set(&mut self, all: Vec<LineageRow>) {
        self.by_cert = (all.iter().enumerate())
            .map(|(k, l)| (l.cert.clone(), k))
            .collect();
        self.old_of = (all.iter().enumerate())
            .flat_map(|(k, l)| l.older.iter().map(move |p| (p.clone(), k)))
            .collect();
        self.all = all;
    }

    /// The lineage whose current certificate `item` is.
    pub fn of_current(&self, item: &Item) -> Option<&LineageRow> {
        if item.index != 0 {
            return None;
        }
        self.by_cert.get(&item.path).map(|&k| &self.all[k])
    }

    /// The lineage `item` is an older version of.
    pub fn of_old(&self, item: &Item) -> Option<&LineageRow> {
        self.old_of.get(&item.path).map(|&k| &self.all[k])
    }

    /// `rows` with each lineage's older versions taken out, and put back right under the
    /// lineage's row when it is expanded.
    pub fn fold(&self, rows: Vec<Row>, items: &[Item]) -> Vec<Row> {
        if self.old_of.is_empty() {
            return rows;
        }
        let mut folded: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            if let Row::Item(i) = r {
                if let Some(&k) = self.old_of.get(&items[i].path) {
                    folded.entry(k).or_default().push(i);
                    continue;
                }
            }
            out.push(r);
        }
        if self.expanded.is_empty() {
            return out;
        }
        let mut with = Vec::with_capacity(out.len());
        for r in out {
            with.push(r);
            let Row::Item(i) = r else { continue };
            let Some(&k) = (items[i].index == 0)
                .then(|| self.by_cert.get(&items[i].path))
                .flatten()
            else {
                continue;
            };
            if !self.expanded.contains(&self.all[k].name) {
                continue;
            }
            if let Some(mut old) = folded.remove(&k) {
                // Newest version first, as `older` lists them.
                let pos = |i: &usize| self.all[k].older.iter().position(|p| *p == items[*i].path);
                old.sort_by_key(|i| (pos(i), items[*i].index));
                with.extend(old.into_iter().map(Row::Item));
            }
        }
        with
    }
}

impl App {
    /// The ACME lineage whose row is selected.
    pub(super) fn selected_acme_lineage(&self) -> Option<&LineageRow> {
        let l = self.lineages.of_current(self.selected_item()?)?;
        (l.source == crate::store::lineages::Source::Acme && l.error.is_none()).then_some(l)
    }

    /// `z` on a lineage (or one of its older versions): show or hide its older versions.
    pub(super) fn toggle_lineage(&mut self) {
        use super::flow::Notice;
        let Some(item) = self.selected_item() else {
            return;
        };
        let name = match (self.lineages.of_current(item), self.lineages.of_old(item)) {
            (Some(l), _) | (None, Some(l)) => l.name.clone(),
            (None, None) => {
                self.notice = Some(Notice::error(
                    "z: not a certbot or ACME lineage (only their older versions fold)",
                ));
                return;
            }
        };
        // Folding away the row that is selected: its lineage's row is selected instead.
        let fallback = (self.lineages.all.iter())
            .find(|l| l.name == name)
            .map(|l| (l.cert.clone(), 0));
        let on_old = self.lineages.of_old(item).is_some();
        if !self.lineages.expanded.remove(&name) {
            self.lineages.expanded.insert(name);
        }
        self.relist(if on_old { fallback } else { None });
    }

    /// The lineages were read: the list is folded by them from now on.
    pub(super) fn lineages_read(&mut self, all: Vec<LineageRow>) {
        self.lineages.set(all);
        self.relist(None);
    }
}
