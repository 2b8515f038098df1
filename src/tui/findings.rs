//! What `certdeck audit` reports, in the TUI: the findings of the complete inventory (from
//! `audit::findings_with_servers`, never checked twice), the worst one per item for the list's
//! marker column, each item's findings for the details, and the findings view.

use super::flow::{Notice, Overlay};
use super::keymap::Action;
use crate::pki::lint::{Finding, LintOptions, Severity};
use crate::pki::Item;
use crate::store::inventory::Inventory;
use std::collections::HashMap;

#[derive(Debug, Default, Clone)]
pub struct Findings {
    /// Most severe first (the audit's order).
    pub all: Vec<Finding>,
    /// Item index -> indices into `all`, most severe first.
    by_item: HashMap<usize, Vec<usize>>,
}

impl Findings {
    pub fn of(
        inv: &Inventory,
        opts: &LintOptions,
        servers: &[crate::servers::ServerConfig],
    ) -> Findings {
        Findings::listed(
            &inv.items,
            crate::audit::findings_with_servers(inv, opts, servers),
        )
    }

    /// `all` (most severe first), each attached to its item of `items` where there is one.
    pub fn listed(items: &[Item], all: Vec<Finding>) -> Findings {
        let mut by_item: HashMap<usize, Vec<usize>> = HashMap::new();
        for (n, f) in all.iter().enumerate() {
            if let Some(i) = item_index(items, &f.path, f.index) {
                by_item.entry(i).or_default().push(n);
            }
        }
        Findings { all, by_item }
    }

    /// The findings of item `i` (an index into the inventory's items).
    pub fn of_item(&self, i: usize) -> impl Iterator<Item = &Finding> {
        (self.by_item.get(&i).into_iter().flatten()).map(|&n| &self.all[n])
    }

    pub fn worst(&self, i: usize) -> Option<Severity> {
        self.of_item(i).map(|f| f.severity).max()
    }
}

/// The inventory's index of the item at (path, index); the items are in path order.
/// A finding about a link (a CApath hash name) belongs to the item the link names.
pub fn item_index(items: &[Item], path: &str, index: usize) -> Option<usize> {
    items
        .binary_search_by(|it| (it.path.as_str(), it.index).cmp(&(path, index)))
        .ok()
        .or_else(|| {
            (index == 0).then(|| {
                items
                    .iter()
                    .position(|it| it.links.iter().any(|l| l == path))
            })?
        })
}

/// One character per severity, readable without colour.
pub fn marker(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "C",
        Severity::Warning => "W",
        Severity::Info => "i",
    }
}

/// The findings view: every finding, most severe first; Enter selects its item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingsView {
    pub selected: usize,
}

impl super::app::App {
    /// The findings of the complete inventory against `now`; none while a first scan streams
    /// in (the cross-item checks need every item).
    pub(super) fn refresh_findings(&mut self) {
        if !self.streamed_is_empty() {
            self.findings = Findings::default();
            return;
        }
        let opts = LintOptions {
            now: self.now,
            warn_days: self.warn_days,
            crit_days: self.crit_days,
            reload_configured: self.reload_configured,
        };
        self.findings = match &self.fleet {
            // The exporters judged their stores; the labels alone could not be linted.
            Some(fleet) => Findings::listed(&self.inventory.items, fleet.findings()),
            None => Findings::of(&self.inventory, &opts, &self.servers),
        };
    }

    /// Keys in the findings view: move, jump to the item (Enter), close.
    pub(super) fn findings_act(&mut self, action: Action, page: usize) {
        let Overlay::Findings(v) = &mut self.overlay else {
            return;
        };
        let last = self.findings.all.len().saturating_sub(1);
        v.selected = match action {
            Action::Down => (v.selected + 1).min(last),
            Action::Up => v.selected.saturating_sub(1),
            Action::PageDown => (v.selected + page).min(last),
            Action::PageUp => v.selected.saturating_sub(page),
            Action::Top => 0,
            Action::Bottom => last,
            Action::Back => {
                self.overlay = Overlay::None;
                return;
            }
            Action::Open => {
                let n = v.selected;
                self.jump_to_finding(n);
                return;
            }
            _ => v.selected,
        };
    }

    /// Select the item finding `n` is about (clearing a filter that hides it).
    fn jump_to_finding(&mut self, n: usize) {
        let Some(f) = self.findings.all.get(n) else {
            return;
        };
        let Some(i) = item_index(self.items(), &f.path, f.index) else {
            self.notice = Some(Notice::error(format!(
                "{}: {} is not an item of the list",
                f.code, f.path
            )));
            return;
        };
        self.overlay = Overlay::None;
        if !self.select_item(i) {
            self.clear_filter();
            self.select_item(i);
        }
    }
}
