//! What `certdeck audit` reports, in the TUI: the findings of the complete inventory (from
//! `audit::findings_with_servers`, never checked twice), the worst one per item for the list's
//! marker column, each item's findings for the details, and the findings view.
//!
//! Checking 100,000 items takes seconds (bench `findings_recompute_100k`), and they are checked
//! again every minute (the clock), after each scan and verification: in the run loop this is a
//! job on a worker thread (`Effect::Findings`), answered by `Msg::Findings`; until it answers
//! the previous findings stay shown. They are keyed by (path, index), so findings of an
//! earlier item set still land on the right rows. A result computed for an older request is
//! dropped.

use super::flow::{Notice, Overlay};
use super::keymap::Action;
use crate::pki::lint::{Finding, LintOptions, Severity};
use crate::pki::Item;
use crate::store::inventory::Inventory;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Default, Clone)]
pub struct Findings {
    /// Most severe first (the audit's order).
    pub all: Vec<Finding>,
    /// Item path -> (item index in its file, index into `all`), most severe first.
    by_item: HashMap<String, Vec<(usize, usize)>>,
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
        let mut by_item: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
        for (n, f) in all.iter().enumerate() {
            if let Some(i) = item_index(items, &f.path, f.index) {
                let it = &items[i];
                by_item
                    .entry(it.path.clone())
                    .or_default()
                    .push((it.index, n));
            }
        }
        Findings { all, by_item }
    }

    /// The findings of `item`.
    pub fn of_item<'a>(&'a self, item: &Item) -> impl Iterator<Item = &'a Finding> {
        let index = item.index;
        (self.by_item.get(item.path.as_str()).into_iter().flatten())
            .filter(move |(i, _)| *i == index)
            .map(|&(_, n)| &self.all[n])
    }

    pub fn worst(&self, item: &Item) -> Option<Severity> {
        self.of_item(item).map(|f| f.severity).max()
    }
}

/// Everything the findings are computed from, for a worker thread; `generation` tells the
/// answer to the latest request from an outdated one.
#[derive(Debug, Clone)]
pub struct FindingsJob {
    pub generation: u64,
    inventory: Arc<Inventory>,
    opts: LintOptions,
    servers: Vec<crate::servers::ServerConfig>,
}

impl PartialEq for FindingsJob {
    fn eq(&self, other: &Self) -> bool {
        self.generation == other.generation && Arc::ptr_eq(&self.inventory, &other.inventory)
    }
}

impl Eq for FindingsJob {}

impl FindingsJob {
    /// The findings (seconds at 100,000 items: off the UI thread).
    pub fn run(self) -> (u64, Findings) {
        let f = Findings::of(&self.inventory, &self.opts, &self.servers);
        (self.generation, f)
    }
}

/// Whether findings are being brought up to date, and how (see the module comment).
#[derive(Debug, Default)]
pub struct FindingsState {
    /// Compute on a worker (the run loop); off: at once on the caller's thread (tests).
    pub background: bool,
    /// Bumped by every request; a result of another generation is outdated.
    generation: u64,
    /// A request not yet handed to a worker.
    wanted: bool,
    /// A worker runs (one at a time: the next request waits for it, the cores go to the UI
    /// and the scan).
    running: bool,
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
    /// in (the cross-item checks need every item). In the background: asked for here, computed
    /// by the job `findings_job` hands out.
    pub(super) fn refresh_findings(&mut self) {
        let streaming = !self.streamed_is_empty();
        let st = &mut self.findings_state;
        st.generation += 1;
        if streaming {
            st.wanted = false;
            self.findings = Findings::default();
            return;
        }
        if let Some(fleet) = &self.fleet {
            // The exporters judged their stores; the labels alone could not be linted.
            st.wanted = false;
            self.findings = Findings::listed(&self.inventory.items, fleet.findings());
            return;
        }
        if st.background {
            st.wanted = true;
            return;
        }
        let job = self.new_findings_job();
        self.findings = job.run().1;
    }

    fn new_findings_job(&self) -> FindingsJob {
        FindingsJob {
            generation: self.findings_state.generation,
            inventory: self.inventory.clone(),
            opts: LintOptions {
                now: self.now,
                warn_days: self.warn_days,
                crit_days: self.crit_days,
                reload_configured: self.reload_configured,
            },
            servers: self.servers.clone(),
        }
    }

    /// The job to run on a worker, when findings are wanted and none is running.
    pub fn findings_job(&mut self) -> Option<FindingsJob> {
        let st = &self.findings_state;
        if !st.wanted || st.running {
            return None;
        }
        let job = self.new_findings_job();
        let st = &mut self.findings_state;
        st.wanted = false;
        st.running = true;
        Some(job)
    }

    /// A worker's answer: shown when it answers the latest request (else the next job, for
    /// the latest, is handed out after the update).
    pub fn findings_done(&mut self, generation: u64, findings: Findings) {
        let st = &mut self.findings_state;
        st.running = false;
        if generation == st.generation {
            self.findings = findings;
        }
    }

    /// Findings are wanted or being computed (tests wait for them).
    pub fn findings_pending(&self) -> bool {
        self.findings_state.wanted || self.findings_state.running
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

#[cfg(test)]
mod tests {
    use super::super::app::{App, Effect, Msg};
    use super::super::theme::Theme;
    use super::*;
    use crate::pki::{CertInfo, Detail, ItemKind};

    fn expired(t: i64) -> Item {
        let mut it = Item::new(ItemKind::Certificate, "CERTIFICATE");
        it.path = "old.pem".into();
        it.detail = Detail::Certificate(Box::new(CertInfo {
            not_before_unix: t - 400 * 86_400,
            not_after_unix: t - 86_400,
            ..Default::default()
        }));
        it
    }

    fn job_of(effects: Vec<Effect>) -> Option<FindingsJob> {
        effects.into_iter().find_map(|e| match e {
            Effect::Findings(job) => Some(job),
            _ => None,
        })
    }

    /// In the background the UI thread only asks; an answer to an older request is dropped,
    /// the latest one shows; one worker at a time.
    #[test]
    fn findings_come_from_a_worker_and_only_the_latest_answer_counts() {
        let t0 = 1_767_225_600;
        let mut app = App::new("/s".into(), Theme { mono: true }, t0);
        app.findings_state.background = true;
        app.set_items(vec![expired(t0)]);
        assert!(app.findings.all.is_empty(), "computed on the UI thread");
        assert!(app.findings_pending());
        let first = job_of(app.update(Msg::Tick)).expect("a job handed out");
        // The clock moves on while it runs: a second request, no second worker yet.
        app.set_now(t0 + 120);
        assert!(
            job_of(app.update(Msg::Tick)).is_none(),
            "two workers at once"
        );
        let (g, found) = first.run();
        assert!(!found.all.is_empty());
        let effects = app.update(Msg::Findings(g, Box::new(found)));
        assert!(app.findings.all.is_empty(), "an outdated answer was shown");
        // The next job is for the latest request; its answer shows.
        let second = job_of(effects).expect("the latest request's job");
        let (g, found) = second.run();
        app.update(Msg::Findings(g, Box::new(found)));
        assert!(!app.findings_pending());
        let item = app.items()[0].clone();
        assert_eq!(app.findings.worst(&item), Some(Severity::Critical));
        // The same as computed at once for the latest time.
        let mut sync = App::new("/s".into(), Theme { mono: true }, t0 + 120);
        sync.set_items(vec![expired(t0)]);
        let codes = |a: &App| {
            a.findings
                .of_item(&item)
                .map(|f| f.code)
                .collect::<Vec<_>>()
        };
        assert!(!codes(&app).is_empty());
        assert_eq!(codes(&app), codes(&sync));
    }

    #[test]
    fn without_a_worker_they_are_computed_at_once() {
        let t0 = 1_767_225_600;
        let mut app = App::new("/s".into(), Theme { mono: true }, t0);
        app.set_items(vec![expired(t0)]);
        assert!(!app.findings.all.is_empty());
        assert!(job_of(app.update(Msg::Tick)).is_none());
    }
}
