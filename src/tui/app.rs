//! Application state and `update(Msg) -> Vec<Effect>`. No drawing and no I/O here: the run loop
//! turns effects into scans and background jobs (`effects::execute`), and `view` reads this state.
//! The change flow (forms, confirm dialog, results) lives in `flow`.

use super::effects::{ActionRequest, PlanHandle, Prepared};
use super::flow::{Notice, Overlay};
use super::keymap::{self, Action, Context};
use super::listing::{self, GroupBy, Meta, Row, SortKey};
use super::theme::Theme;
use super::{fmt, view};
use crate::pki::{Item, Status};
use crate::store::inventory::{AnalyzeOptions, Inventory};
use crate::store::scan::finish_walk;
use crate::store::scan::ScanEvent;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use std::path::PathBuf;
use std::sync::Arc;

/// What `r` says until the scan is in.
const RESCANNING: &str = "rescanning the store…";
/// A fleet's `r`: its list comes from Prometheus, not from a store on this disk.
const RELOADING: &str = "reloading from Prometheus…";

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// New terminal size (columns, rows).
    Resize(u16, u16),
    Scan(ScanEvent),
    /// The file watcher saw the store change.
    FsChanged(crate::store::watch::Change),
    Tick,
    /// A `BuildPlan` finished: the change to confirm, or why it cannot be made.
    PlanReady(Result<Prepared, String>),
    /// An `ApplyPlan` finished: a one-line report, or the error.
    /// With what it changed in the store: files (re-read), `Everything` (rescan), or nothing.
    Applied(Result<(String, Option<crate::store::watch::Change>), String>),
    /// A probe finished: what the port serves, or why it failed.
    Probed(Result<String, String>),
    /// The store's certbot and ACME lineages were read (`Effect::ReadLineages`).
    Lineages(Vec<crate::store::lineages::LineageRow>),
    /// A line of a running job's progress (an ACME order's steps): shown by the spinner.
    Progress(String),
    /// The journal was read for the history view (`Effect::ReadHistory`).
    HistoryRead(Result<crate::store::history_list::Listing, String>),
    /// Text pasted into the terminal (bracketed paste): typed into a text field, never keys.
    Paste(String),
    /// A click or the wheel (mouse capture, unless `--no-mouse`).
    Mouse(ratatui::crossterm::event::MouseEvent),
    /// An `Effect::Findings` job finished: its generation and the findings.
    Findings(u64, Box<super::findings::Findings>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Quit,
    /// Start a new scan (the run loop calls the scan factory, then `App::scan_started`).
    Rescan,
    /// Re-read these changed files (store-relative) in the background; answers with
    /// `ScanEvent::Changed`. A running verification is stopped: its indices would go stale.
    Update(Vec<String>),
    /// Build the plan for a request in the background (key generation can take seconds);
    /// answers with `Msg::PlanReady`.
    BuildPlan(Permit<ActionRequest>),
    /// Carry out the confirmed change under the store lock; answers with `Msg::Applied`.
    ApplyPlan(Permit<PlanHandle>),
    /// Connect to a TLS port (reads only, so no permit); answers with `Msg::Probed`.
    Probe(super::probe_memory::ProbeFields),
    /// Read the inventory's certbot and ACME lineages (their renewal settings; reads only);
    /// answers with `Msg::Lineages`.
    ReadLineages,
    /// Read the journal and what `history/` holds (reads only); answers with
    /// `Msg::HistoryRead`.
    ReadHistory,
    /// Check the signatures of this inventory's chains in the background; answers with
    /// `ScanEvent::Verifying` and `ScanEvent::Verified`.
    Verify(VerifyJob),
    /// Clear the terminal and draw every cell (Ctrl-L).
    Redraw,
    /// Restore the terminal, stop the process (SIGTSTP), take the terminal back on resume.
    Suspend,
    /// Put this text on the user's clipboard (OSC 52 to the terminal).
    Copy(String),
    /// Compute the findings on a worker thread; answers with `Msg::Findings`.
    Findings(super::findings::FindingsJob),
}

/// The inventory to verify, and which certificates (item indices; `None`: all); effects
/// compare equal when they name the same inventory and certificates.
#[derive(Debug, Clone)]
pub struct VerifyJob(pub Arc<Inventory>, pub Option<Vec<usize>>);

impl PartialEq for VerifyJob {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) && self.1 == other.1
    }
}

impl Eq for VerifyJob {}

/// Proof that a writing effect passed the read-only check. The field is private to this module
/// and the only constructor is `App::write_effect`, so no other code (not even the rest of the
/// TUI) can make a writing effect without going through that check: read-only is structural.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permit<T>(T);

impl<T> std::ops::Deref for Permit<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// The two writing effects before they are permitted.
pub(super) enum WriteStep {
    Build(ActionRequest),
    Apply(PlanHandle),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    List,
    Details,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub certs: usize,
    pub expired: usize,
    pub expiring: usize,
    pub errors: usize,
}

pub struct App {
    /// Shown in the status line.
    pub store: PathBuf,
    /// Where an export's path starts (the export form is prefilled with it): certdeck's
    /// working directory.
    pub cwd: PathBuf,
    /// Audit mode / --read-only: shown as READ-ONLY; write actions must not be offered.
    pub read_only: bool,
    /// The list is a fleet's, from Prometheus (`certdeck fleet`); read-only then.
    pub fleet: Option<super::fleet::FleetSource>,
    pub theme: Theme,
    /// "Now" in Unix seconds: validity, days left and findings are judged against it.
    pub now: i64,
    /// Where `now` comes from (the run loop sets the system clock); `None`: time stands still
    /// at `now` (tests pin it). Read at every rescan and at least once a minute.
    pub clock: Option<Box<dyn Fn() -> i64>>,
    pub warn_days: i64,
    pub size: Rect,

    /// Items of the first scan as they stream in; empty once `inventory` holds a scan (the
    /// list then shows the inventory's items: one copy of a 100,000-item store, not two).
    streamed: Vec<Item>,
    pub metas: Vec<Meta>,
    /// All items in sort/group order; filtering keeps this order (no re-sort per keystroke).
    order: Vec<usize>,
    /// `order` narrowed by the filter, and the filter text it was narrowed for: typing one
    /// more character only searches what still matched.
    matched: Vec<usize>,
    matched_for: Option<String>,
    pub rows: Vec<Row>,
    /// Item rows in `rows` (headers excluded).
    pub shown: usize,
    /// Index into `rows`; always an `Row::Item` when rows has any.
    pub selected: usize,
    /// First row drawn in the list window.
    pub offset: usize,
    pub counts: Counts,

    pub sort: SortKey,
    pub group: GroupBy,
    /// Group keys folded (Enter or Space on a header), per grouping; kept across rescans.
    pub folded: std::collections::HashMap<GroupBy, std::collections::HashSet<String>>,
    /// Grouped by chain: each item's depth in its group's tree (by item index), else empty.
    pub tree_depth: Vec<u8>,
    pub filter: String,
    /// Where typing goes in the filter (a byte offset; see `lineedit`).
    pub filter_cursor: usize,
    pub filter_editing: bool,
    /// `q` was pressed while a job runs: the next `q` quits, any other key keeps going.
    quit_armed: bool,
    pub focus: Focus,
    pub help: bool,
    pub help_scroll: u16,
    pub chain_view: bool,
    /// Narrow layout: details take the whole main area.
    pub details_full: bool,
    pub details_scroll: u16,

    /// `Some((done, total))` while a scan runs.
    pub scanning: Option<(usize, usize)>,
    /// A rescan runs: its streamed items are not shown; its `Done` replaces the list at once,
    /// so the list does not flicker.
    rescanning: bool,
    /// `Some((done, total))` while signatures are checked in the background after a scan.
    pub verifying: Option<(usize, usize)>,
    /// The user pressed a key since start (see `kept_selection`).
    touched: bool,
    /// Items of a rescan, shown when it is complete.
    incoming: Vec<Item>,
    /// Verified chains waiting for the inventory to be free (see `apply_pending_chains`).
    pending_chains: Option<Vec<(usize, crate::pki::chain::ChainResult)>>,
    /// How scans are analysed (warn days, system trust, verification).
    pub analyze: AnalyzeOptions,
    /// Item count at the last full re-sort while the first scan streams in.
    sorted_len: usize,
    /// The store changed during a scan: scan again when it finishes.
    rescan_pending: bool,
    /// Changed files can be re-read one by one (not with server configs: a full scan attaches
    /// what they name).
    pub file_updates: bool,
    /// Up to this many items a rescan keeps the old list on screen until the new one is
    /// complete; above, the list empties and streams in again like the first scan (two
    /// inventories of 100,000 certificates would take ~400 MB).
    pub rescan_keeps_list_up_to: usize,
    /// An `Update` is being read.
    updating: bool,
    /// Files that changed while an `Update` was read: the next one.
    queued_files: std::collections::BTreeSet<String>,
    /// Re-read files waiting for the inventory to be free (see `apply_pending_changes`).
    pending_changes: Option<crate::store::update::FileChanges>,
    /// Certificates (path, index) whose chains updates touched and that are not verified yet;
    /// by key, as indices shift with every update.
    to_verify: std::collections::BTreeSet<(String, usize)>,
    /// The last scan followed a directory symlink inside the store: its files are listed under
    /// paths a watcher does not report, so changes rescan.
    dir_links: bool,

    /// The last complete inventory (from `ScanEvent::Done`); plans are built against it.
    pub inventory: Arc<Inventory>,
    /// Form or confirm dialog over the main screen.
    pub overlay: Overlay,
    /// One-line result or refusal, shown in place of the hints until the next key.
    pub notice: Option<Notice>,
    /// Every notice shown, with its time (`M` opens it).
    pub log: super::pager::MessageLog,
    /// What `certdeck audit` reports for the inventory (`f` lists them).
    pub findings: super::findings::Findings,
    /// Whether the findings are computed on a worker, and which request is the latest.
    pub findings_state: super::findings::FindingsState,
    /// For the findings: the server configs, the critical threshold, whether a reload command
    /// is configured.
    pub servers: Vec<crate::servers::ServerConfig>,
    pub crit_days: i64,
    pub reload_configured: bool,
    /// Label of the background job running (plan building or applying); one at a time.
    pub busy: Option<String>,
    /// Advanced on every tick while busy: the spinner frame.
    pub spinner: usize,
    /// OSC 52 copying (`y`, `Y`): on unless `--no-clipboard`.
    pub clipboard: super::clipboard::Clipboard,
    /// `v`: the selected item as text, while open.
    pub textview: Option<super::textview::TextView>,
    /// `T`, while open.
    pub timeline: Option<super::timeline::Timeline>,
    /// certbot and ACME lineages: one row each, older versions folded under it.
    pub lineages: super::lineage::Lineages,
    /// `J`, while open.
    pub history: Option<super::history::HistoryView>,
    /// The list shows only this bar of the timeline (Esc clears it).
    pub expiry_filter: Option<super::timeline::Bucket>,
    /// The form a running `BuildPlan` came from: reopened with the error if building fails.
    pub(super) pending_form: Option<super::form::Form>,
    /// The file an applied plan made (its certificate, CSR...): selected once it is listed.
    pub(super) select_after: Option<String>,
    /// Passphrases to open encrypted keys and keystores with; the scan factory shares it.
    pub keyring: super::keyring::Keyring,
    /// A passphrase typed into the unlock prompt, waiting for the rescan that tries it.
    pub(super) pending_unlock: Option<super::unlock::PendingUnlock>,
    /// The probe form's last values for this store (prefilled; `run` loads the remembered ones).
    pub probe_last: Option<super::probe_memory::ProbeFields>,
    /// A keystore's new password (passwd, a new keystore): into the keyring once the change
    /// is applied, so the rescan opens the file instead of showing it locked.
    pub(super) unlock_after_apply: Option<super::effects::Secret>,
}

impl App {
    pub fn new(store: PathBuf, theme: Theme, now: i64) -> App {
        App {
            cwd: std::env::current_dir().unwrap_or_else(|_| store.clone()),
            store,
            read_only: false,
            fleet: None,
            theme,
            now,
            clock: None,
            warn_days: 30,
            size: Rect::new(0, 0, 80, 24),
            streamed: Vec::new(),
            metas: Vec::new(),
            order: Vec::new(),
            matched: Vec::new(),
            matched_for: None,
            rows: Vec::new(),
            shown: 0,
            selected: 0,
            offset: 0,
            counts: Counts::default(),
            sort: SortKey::default(),
            group: GroupBy::default(),
            folded: Default::default(),
            tree_depth: Vec::new(),
            filter: String::new(),
            filter_cursor: 0,
            filter_editing: false,
            quit_armed: false,
            focus: Focus::List,
            help: false,
            help_scroll: 0,
            chain_view: false,
            details_full: false,
            details_scroll: 0,
            scanning: None,
            rescanning: false,
            verifying: None,
            touched: false,
            incoming: Vec::new(),
            pending_chains: None,
            analyze: AnalyzeOptions::default(),
            sorted_len: 0,
            rescan_pending: false,
            file_updates: false,
            rescan_keeps_list_up_to: 20_000,
            updating: false,
            queued_files: Default::default(),
            pending_changes: None,
            to_verify: Default::default(),
            dir_links: false,
            inventory: Arc::new(Inventory::default()),
            overlay: Overlay::None,
            notice: None,
            log: Default::default(),
            findings: Default::default(),
            findings_state: Default::default(),
            servers: Vec::new(),
            crit_days: crate::pki::lint::LintOptions::default().crit_days,
            reload_configured: false,
            busy: None,
            spinner: 0,
            clipboard: Default::default(),
            textview: None,
            timeline: None,
            history: None,
            lineages: Default::default(),
            expiry_filter: None,
            pending_form: None,
            select_after: None,
            keyring: Default::default(),
            pending_unlock: None,
            probe_last: None,
            unlock_after_apply: None,
        }
    }

    /// The only place writing effects are constructed. Read-only refuses here, whatever asked;
    /// `action` names the change in the refusal.
    pub(super) fn write_effect(&mut self, action: &str, step: WriteStep) -> Vec<Effect> {
        if self.read_only {
            self.refuse_read_only(action);
            return Vec::new();
        }
        if let Some(job) = &self.busy {
            self.notice = Some(Notice::error(format!(
                "busy: {job}; try again when it ends"
            )));
            return Vec::new();
        }
        match step {
            WriteStep::Build(req) => {
                self.busy = Some(req.busy_label());
                vec![Effect::BuildPlan(Permit(req))]
            }
            WriteStep::Apply(plan) => {
                self.busy = Some(format!("applying: {}", plan.0.title));
                vec![Effect::ApplyPlan(Permit(plan))]
            }
        }
    }

    /// Rescan now, or once the running scan ends (one queued rescan at most).
    pub(super) fn request_rescan(&mut self) -> Vec<Effect> {
        if self.scanning.is_some() {
            self.rescan_pending = true;
            Vec::new()
        } else {
            vec![Effect::Rescan]
        }
    }

    pub(super) fn refuse_read_only(&mut self, action: &str) {
        // A fleet's item is changed on its host: say how.
        if let Some(fleet) = &self.fleet {
            self.textview = Some(fleet.remote_change(action, self.selected_item()));
            return;
        }
        self.notice = Some(Notice::error(format!(
            "read-only: {action} is disabled (started with --read-only)"
        )));
    }

    /// What the list shows: the streaming first scan, else the last complete inventory.
    pub fn items(&self) -> &[Item] {
        shown_items(&self.streamed, &self.inventory)
    }

    /// Show `items` as the store's complete inventory (tests use it instead of a scan).
    pub fn set_items(&mut self, mut items: Vec<Item>) {
        // In path order, like every analysed inventory.
        items.sort_by(|a, b| (&a.path, a.index).cmp(&(&b.path, b.index)));
        let inventory = Inventory {
            store: self.store.clone(),
            items,
        };
        self.set_inventory(Arc::new(inventory), None);
    }

    /// Show `inventory`; `known` are its items' metas when the caller has them already.
    fn set_inventory(&mut self, inventory: Arc<Inventory>, known: Option<Vec<Meta>>) {
        let key = self.kept_selection();
        self.streamed = Vec::new();
        self.inventory = inventory;
        match known.filter(|m| m.len() == self.inventory.items.len()) {
            Some(metas) => {
                self.metas = metas;
                self.refresh_chain_metas();
            }
            None => self.refresh_metas(),
        }
        self.reorder(key);
    }

    fn refresh_metas(&mut self) {
        use rayon::prelude::*;
        let items = shown_items(&self.streamed, &self.inventory);
        self.metas = items.par_iter().map(Meta::of).collect();
        listing::assign_chain_groups(items, &mut self.metas);
        self.recount();
    }

    /// After chains changed (built or verified): the meta fields that depend on them.
    fn refresh_chain_metas(&mut self) {
        for (m, it) in self.metas.iter_mut().zip(&self.inventory.items) {
            m.chain_root = listing::chain_root(it);
        }
        listing::assign_chain_groups(&self.inventory.items, &mut self.metas);
        self.recount();
    }

    /// Changed files are re-read and spliced into the list when possible (a 100,000-item store
    /// gaining a certificate re-reads one file); anything else, or a change during a scan,
    /// means a full rescan.
    pub(super) fn on_fs_changed(&mut self, change: crate::store::watch::Change) -> Vec<Effect> {
        use crate::store::watch::Change;
        let updatable = self.file_updates
            && !self.dir_links
            && self.scanning.is_none()
            // A first scan that ended without its inventory still shows what streamed in.
            && self.streamed.is_empty();
        match change {
            // One update at a time: the next one starts when this one is in.
            Change::Files(files) if self.updating || self.pending_changes.is_some() => {
                self.queued_files.extend(files);
                Vec::new()
            }
            Change::Files(mut files) if updatable => {
                // A dangling link's target may have appeared: read those links again too.
                files.extend(
                    (self.inventory.items.iter())
                        .filter(|it| {
                            it.error.as_deref().is_some_and(|e| {
                                e.starts_with("dangling symlink") || e.starts_with("symlink loop")
                            })
                        })
                        .map(|it| it.path.clone()),
                );
                self.updating = true;
                vec![Effect::Update(files.into_iter().collect())]
            }
            _ => self.request_rescan(),
        }
    }

    /// Whether re-read files wait for the inventory to be free of a job (not of the
    /// verification: its `Verified` applies them).
    pub fn changes_waiting(&self) -> bool {
        self.pending_changes.is_some() && self.verifying.is_none()
    }

    /// Re-read files go into the inventory in place once no background job holds it (a
    /// running verification finishes first: its results name the current indices); the
    /// per-item facts follow the same splice; then the chains the change can touch are
    /// verified again.
    pub(super) fn apply_pending_changes(&mut self) -> Vec<Effect> {
        if self.pending_changes.is_none() || self.verifying.is_some() {
            return Vec::new();
        }
        if self.pending_changes.as_ref().is_some_and(|c| c.is_empty()) {
            self.pending_changes = None;
            return self.after_changes();
        }
        // Verified chains name today's indices: they go in first.
        if self.pending_chains.is_some() {
            self.apply_pending_chains();
            if self.pending_chains.is_some() {
                return Vec::new();
            }
        }
        let key = self.kept_selection();
        let Some(inv) = Arc::get_mut(&mut self.inventory) else {
            return Vec::new();
        };
        let Some(changes) = self.pending_changes.take() else {
            return Vec::new();
        };
        let Some(splice) = inv.apply_changes(changes, &self.analyze) else {
            return self.request_rescan();
        };
        let new_metas: Vec<Meta> = splice
            .inserted
            .iter()
            .map(|&i| Meta::of(&self.inventory.items[i]))
            .collect();
        match splice.apply(std::mem::take(&mut self.metas), new_metas) {
            Some(metas) => {
                self.metas = metas;
                self.refresh_chain_metas();
            }
            None => self.refresh_metas(),
        }
        self.reorder(key);
        let lineages = self.read_lineages();
        let items = &self.inventory.items;
        (self.to_verify).extend(
            splice
                .reverify
                .iter()
                .map(|&i| (items[i].path.clone(), items[i].index)),
        );
        let mut effects = self.after_changes();
        effects.extend(lineages);
        effects
    }

    /// After an update went in: the next one if files changed meanwhile, else verification of
    /// the chains the updates touched.
    fn after_changes(&mut self) -> Vec<Effect> {
        if !self.queued_files.is_empty() {
            self.updating = true;
            let files = std::mem::take(&mut self.queued_files);
            return vec![Effect::Update(files.into_iter().collect())];
        }
        let to_verify = std::mem::take(&mut self.to_verify);
        if !self.analyze.verify_signatures {
            return Vec::new();
        }
        let items = &self.inventory.items;
        let which: Vec<usize> = (to_verify.iter())
            .filter_map(|(path, index)| {
                items
                    .binary_search_by(|it| (it.path.as_str(), it.index).cmp(&(path, *index)))
                    .ok()
            })
            .collect();
        if which.is_empty() {
            return Vec::new();
        }
        self.verifying = Some((0, 0));
        vec![Effect::Verify(VerifyJob(
            self.inventory.clone(),
            Some(which),
        ))]
    }

    /// Take the clock's time as `now` when it moved a minute or more (`force`: any move, as
    /// on a rescan), so a long session judges dates against the current time.
    fn follow_clock(&mut self, force: bool) {
        let Some(t) = self.clock.as_ref().map(|c| c()) else {
            return;
        };
        if t != self.now && (force || (t - self.now).abs() >= 60) {
            self.set_now(t);
        }
    }

    /// Judge every date against `now` from here on (status, counts, days left).
    pub fn set_now(&mut self, now: i64) {
        self.now = now;
        // Analyses the TUI runs itself (after a walk, after re-read files) use it too.
        self.analyze.now = now;
        self.recount();
    }

    /// The run loop started a scan (first one or a rescan).
    pub fn scan_started(&mut self) {
        self.follow_clock(true);
        self.scanning = Some((0, 0));
        self.verifying = None;
        self.incoming = Vec::new();
        self.pending_chains = None;
        // A full scan supersedes any file update.
        self.updating = false;
        self.queued_files.clear();
        self.pending_changes = None;
        self.to_verify.clear();
        self.dir_links = false;
        self.sorted_len = 0;
        if self.inventory.items.len() > self.rescan_keeps_list_up_to {
            let empty = Inventory {
                store: self.store.clone(),
                items: Vec::new(),
            };
            self.set_inventory(Arc::new(empty), None);
        }
        // The first scan streams straight into the list; later ones replace it when done.
        self.rescanning = !self.items().is_empty();
    }

    /// The scan channel closed (scanner finished, or gone without `Done`: what streamed in
    /// stays listed).
    pub fn scan_stopped(&mut self) {
        self.scanning = None;
        self.rescanning = false;
        // An update's reader always answers; should it not, later changes must not queue
        // behind it forever.
        self.updating = false;
        self.incoming = Vec::new();
    }

    pub fn selected_item(&self) -> Option<&Item> {
        match self.rows.get(self.selected) {
            Some(Row::Item(i)) => self.items().get(*i),
            _ => None,
        }
    }

    /// The selection to keep when the items change: none until the user pressed a key, so the
    /// first row (the most urgent, by default) stays selected while a scan streams in.
    fn kept_selection(&self) -> Option<(String, usize)> {
        self.touched.then(|| self.selected_key()).flatten()
    }

    /// The selected item's key; on a group header, its first item's.
    fn selected_key(&self) -> Option<(String, usize)> {
        let i = match self.rows.get(self.selected)? {
            Row::Item(i) | Row::Header(i, _) => *i,
        };
        let it = self.items().get(i)?;
        Some((it.path.clone(), it.index))
    }

    /// The index of the item at (path, index) among what the list shows.
    fn index_of(&self, path: &str, index: usize) -> Option<usize> {
        let items = self.items();
        // An analysed inventory is in path order; anything else is searched through.
        let sorted = self.streamed.is_empty().then(|| {
            items
                .binary_search_by(|it| (it.path.as_str(), it.index).cmp(&(path, index)))
                .ok()
        });
        sorted.flatten().or_else(|| {
            items
                .iter()
                .position(|it| it.path == path && it.index == index)
        })
    }

    /// The group header row selected, if one is.
    pub fn selected_header(&self) -> Option<(usize, usize)> {
        match self.rows.get(self.selected) {
            Some(Row::Header(i, n)) => Some((*i, *n)),
            _ => None,
        }
    }

    /// Fold or unfold the group whose header is selected; the header stays selected.
    pub(super) fn toggle_group(&mut self) {
        let Some((i, _)) = self.selected_header() else {
            return;
        };
        let key = listing::group_key(self.group, self.items(), &self.metas, i).to_string();
        let set = self.folded.entry(self.group).or_default();
        if !set.remove(&key) {
            set.insert(key);
        }
        self.refilter();
    }

    /// Days left of a certificate against `now` (the model's own `days_left` is only filled by
    /// the final analysis, streamed items lack it).
    pub fn days_left(&self, item: &Item) -> Option<i64> {
        item.cert()
            .map(|c| fmt::days_until(c.not_after_unix, self.now))
    }

    /// Status as shown: errors, then validity against `now`, then what the analysis said.
    pub fn status_of(&self, item: &Item) -> Status {
        if item.error.is_some() {
            return Status::Error;
        }
        match item.cert() {
            Some(c) if c.revocation.is_some() => Status::Revoked,
            Some(c) if c.not_before_unix > self.now => Status::NotYetValid,
            Some(c) => {
                // Not the decoder's `c.status`: it judged the dates at scan time.
                match fmt::urgency(fmt::days_until(c.not_after_unix, self.now), self.warn_days) {
                    fmt::Urgency::Expired => Status::Expired,
                    fmt::Urgency::Soon => Status::Expiring,
                    fmt::Urgency::Fine => Status::Ok,
                }
            }
            None => item.status(),
        }
    }

    /// A store's list or a fleet's: the keymap's words for some keys differ.
    pub fn mode(&self) -> super::keymap::Mode {
        match self.fleet {
            Some(_) => super::keymap::Mode::Fleet,
            None => super::keymap::Mode::Store,
        }
    }

    pub fn context(&self) -> Context {
        if self.help {
            Context::Help
        } else if self.clipboard.menu.is_some() {
            Context::Copy
        } else if self.timeline.is_some() {
            Context::Timeline
        } else if let Some(v) = &self.textview {
            match v.typing {
                Some(_) => Context::TextSearch,
                None => Context::Text,
            }
        } else if self.history.is_some() && matches!(self.overlay, Overlay::None) {
            // Under a dialog it opened (the undo's confirm), the dialog has the keys.
            Context::History
        } else if matches!(self.overlay, Overlay::Form(_)) {
            Context::Form
        } else if matches!(self.overlay, Overlay::Confirm(_)) {
            Context::Confirm
        } else if matches!(self.overlay, Overlay::Pager(_)) {
            Context::Pager
        } else if matches!(self.overlay, Overlay::Findings(_)) {
            Context::Findings
        } else if matches!(self.overlay, Overlay::Menu(_)) {
            Context::Menu
        } else if self.filter_editing {
            Context::Filter
        } else if self.focus == Focus::Details {
            Context::Details
        } else if self.selected_header().is_some() {
            Context::Header
        } else {
            Context::List
        }
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let mut effects = self.dispatch(msg);
        self.log_notice();
        // Whatever this message changed, the findings follow on a worker.
        effects.extend(self.findings_job().map(Effect::Findings));
        effects
    }

    /// A new notice goes into the log; one too long for the hint line opens in the pager
    /// (unless a form or dialog is up: the notice line and the log still have it, or it is the
    /// quit question, whose answer is the next key and must not go to a pager).
    fn log_notice(&mut self) {
        let Some(n) = self.notice.as_mut().filter(|n| !n.logged) else {
            return;
        };
        n.logged = true;
        let n = n.clone();
        let at = self.clock.as_ref().map_or(self.now, |c| c());
        if super::pager::is_long(&n.text, self.size.width)
            && matches!(self.overlay, Overlay::None)
            && !self.quit_armed
        {
            self.overlay = Overlay::Pager(super::pager::Pager::message(&n));
        }
        self.log.push(at, n);
    }

    fn dispatch(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(ev) => return self.on_key(ev),
            Msg::Resize(w, h) => {
                self.size = Rect::new(0, 0, w, h);
                if view::is_wide(self.size) {
                    self.details_full = false;
                }
            }
            Msg::Scan(ev) => return self.on_scan(ev),
            Msg::FsChanged(change) => return self.on_fs_changed(change),
            Msg::Tick => {
                self.follow_clock(false);
                if self.busy.is_some() {
                    self.spinner = self.spinner.wrapping_add(1);
                }
                if self.pending_chains.is_some() {
                    self.apply_pending_chains();
                }
                return self.apply_pending_changes();
            }
            Msg::PlanReady(r) => return self.on_plan_ready(r),
            Msg::Applied(r) => {
                let mut effects = self.on_applied(r);
                // The history view shows the change that went in (or the undo).
                if self.history.is_some() {
                    effects.push(Effect::ReadHistory);
                }
                return effects;
            }
            Msg::HistoryRead(r) => self.history_read(r),
            Msg::Lineages(all) => self.lineages_read(all),
            Msg::Progress(text) => {
                // Every step goes into the log (M) with its time, so a failed order's steps
                // can be read after; the status line shows the last one.
                let at = self.clock.as_ref().map_or(self.now, |c| c());
                let mut n = Notice::info(text.clone());
                n.logged = true;
                self.log.push(at, n);
                if self.busy.is_some() {
                    self.busy = Some(text);
                }
            }
            Msg::Paste(text) => self.on_paste(&text),
            Msg::Findings(generation, findings) => self.findings_done(generation, *findings),
            Msg::Mouse(ev) => return self.on_mouse(ev),
            Msg::Probed(r) => {
                self.busy = None;
                self.notice = Some(match r {
                    Ok(s) => Notice::info(s),
                    Err(e) => Notice::error(e),
                });
            }
        }
        self.scroll_into_view();
        Vec::new()
    }

    fn on_scan(&mut self, ev: ScanEvent) -> Vec<Effect> {
        match ev {
            ScanEvent::Items(batch) => match self.rescanning {
                // Not shown: the list is replaced at once when the rescan is complete.
                true => self.incoming.extend(batch),
                false => {
                    // Only the new items get their search text; the list is re-sorted when it
                    // has doubled (and always while small), so the first rows show at once and
                    // a 100,000-item first scan sorts about twice its final size in all, not
                    // once per batch; the UI thread leaves the cores to the decoding. The
                    // complete scan is sorted once more.
                    self.metas.extend(batch.iter().map(Meta::of));
                    self.streamed.extend(batch);
                    let n = self.streamed.len();
                    if n < 2_000 || n >= 2 * self.sorted_len {
                        self.sorted_len = n;
                        // No chain groups yet: chains are built when the scan is complete.
                        let key = self.kept_selection();
                        self.recount();
                        self.reorder(key);
                    }
                }
            },
            ScanEvent::Progress {
                files_done,
                files_total,
            } => self.scanning = Some((files_done, files_total)),
            ScanEvent::Walked {
                store,
                links,
                dir_links,
                ..
            } => {
                self.dir_links = dir_links;
                // Pairing and chain building without signature checks: a fraction of a second
                // for 100,000 items, on all cores; the signatures follow in the background.
                let opts = AnalyzeOptions {
                    verify_signatures: false,
                    ..self.analyze.clone()
                };
                if self.rescanning {
                    let items = std::mem::take(&mut self.incoming);
                    let inventory = finish_walk(store, items, &links, &opts);
                    return self.scan_complete(Arc::new(inventory), None);
                }
                // The streamed items already have their metas: put both in path order (the
                // analysis' order) so the metas stay valid and need no second computation.
                let (items, metas) = path_ordered(
                    std::mem::take(&mut self.streamed),
                    std::mem::take(&mut self.metas),
                );
                let inventory = finish_walk(store, items, &links, &opts);
                return self.scan_complete(Arc::new(inventory), Some(metas));
            }
            ScanEvent::Done { inventory, .. } => return self.scan_complete(inventory, None),
            ScanEvent::Changed(changes) => {
                self.updating = false;
                let Some(changes) = changes else {
                    // Only a full scan can tell (a new directory, a link out of the store).
                    self.queued_files.clear();
                    return self.request_rescan();
                };
                self.pending_changes = Some(match self.pending_changes.take() {
                    Some(mut earlier) => {
                        earlier.merge(changes);
                        earlier
                    }
                    None => changes,
                });
                return self.apply_pending_changes();
            }
            ScanEvent::Verifying { done, total } => self.verifying = Some((done, total)),
            ScanEvent::Verified(results) => {
                self.verifying = None;
                self.pending_chains = Some(results);
                self.apply_pending_chains();
                // Files re-read meanwhile waited for these results.
                return self.apply_pending_changes();
            }
        }
        Vec::new()
    }

    /// The scan's inventory replaces the list (with `metas` when they are known for exactly
    /// these items); its signatures are checked next.
    fn scan_complete(
        &mut self,
        inventory: Arc<Inventory>,
        metas: Option<Vec<Meta>>,
    ) -> Vec<Effect> {
        self.scanning = None;
        self.rescanning = false;
        if !inventory.store.as_os_str().is_empty() {
            self.store = inventory.store.clone();
        }
        // Kept whole for the actions (they need every item, not the filtered rows).
        self.set_inventory(inventory, metas);
        if (self.notice.as_ref()).is_some_and(|n| n.text == RESCANNING || n.text == RELOADING) {
            let n = self.inventory.items.len();
            let done = match self.fleet {
                Some(_) => "reloaded",
                None => "rescanned",
            };
            self.notice = Some(Notice::info(format!("{done}: {n} items")));
        }
        if std::mem::take(&mut self.rescan_pending) {
            return vec![Effect::Rescan];
        }
        // The scan that tried a typed passphrase (a later one: an earlier scan was running).
        self.unlock_result();
        let mut effects = self.read_lineages();
        if self.analyze.verify_signatures && !self.inventory.items.is_empty() {
            self.verifying = Some((0, 0));
            effects.push(Effect::Verify(VerifyJob(self.inventory.clone(), None)));
        }
        effects
    }

    pub fn chains_waiting(&self) -> bool {
        self.pending_chains.is_some()
    }

    /// Verified chains go into the inventory in place, once no background job holds it (a
    /// plan being built keeps a reference for a moment); until then they wait here.
    pub(super) fn apply_pending_chains(&mut self) {
        let Some(inv) = Arc::get_mut(&mut self.inventory) else {
            return;
        };
        let Some(results) = self.pending_chains.take() else {
            return;
        };
        inv.apply_chains(results);
        let key = self.kept_selection();
        self.refresh_chain_metas();
        self.reorder(key);
    }

    fn on_key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        // A notice stays until the user does something else.
        self.notice = None;
        self.touched = true;
        let quit_armed = std::mem::take(&mut self.quit_armed);
        let ctx = self.context();
        match keymap::lookup(ctx, &ev) {
            Some(Action::Quit) if self.busy.is_some() && !quit_armed => {
                let job = self.busy.clone().unwrap_or_default();
                self.quit_armed = true;
                self.notice = Some(Notice::error(format!(
                    "{job} is running: press q again to quit anyway (any other key goes on)"
                )));
            }
            Some(action) => return self.act(ctx, action),
            None if ctx == Context::Form => {
                if let KeyCode::Char(c) = ev.code {
                    if !ev
                        .modifiers
                        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
                    {
                        self.form_type(c);
                    }
                }
            }
            None if ctx == Context::TextSearch => {
                if let KeyCode::Char(c) = ev.code {
                    if !ev
                        .modifiers
                        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
                    {
                        self.text_view_type(c);
                    }
                }
            }
            None if ctx == Context::Filter => {
                if let KeyCode::Char(c) = ev.code {
                    if !ev
                        .modifiers
                        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
                    {
                        let typed = c.encode_utf8(&mut [0; 4]).to_string();
                        self.filter_paste(&typed);
                    }
                }
            }
            None => {}
        }
        Vec::new()
    }

    pub(super) fn act(&mut self, ctx: Context, action: Action) -> Vec<Effect> {
        let page = self.list_height().max(2) - 1;
        match (ctx, action) {
            (_, Action::Quit) => return vec![Effect::Quit],
            (_, Action::Redraw) => return vec![Effect::Redraw],
            (_, Action::Suspend) => return vec![Effect::Suspend],
            (Context::Form, _) => return self.form_act(action),
            (Context::Confirm, _) => return self.confirm_act(action, page),
            (Context::Menu, _) => return self.menu_act(action),
            (Context::Pager, _) => {
                self.pager_act(action);
                return Vec::new();
            }
            (Context::Findings, _) => {
                self.findings_act(action, page);
                return Vec::new();
            }
            (Context::Copy, _) => return self.copy_menu_act(action),
            (Context::History, _) => {
                let page = view::history_page(self);
                return self.history_act(action, page);
            }
            (Context::Timeline, _) => {
                self.timeline_act(action);
                return Vec::new();
            }
            (Context::Text | Context::TextSearch, _) => {
                let page = view::text_view_page(self);
                self.text_view_act(action, page);
                return Vec::new();
            }
            (Context::Help, a) if a != Action::Back => {
                let page = view::help_page(self);
                self.help_scroll = scrolled(self.help_scroll, a, page, view::help_max_scroll(self));
                return Vec::new();
            }
            _ => {}
        }
        match action {
            Action::Quit => return vec![Effect::Quit],
            Action::Back => return self.back(ctx),
            Action::Help => {
                self.help = true;
                self.help_scroll = 0;
            }
            Action::Messages => {
                self.overlay = Overlay::Pager(super::pager::Pager::log(&self.log));
            }
            Action::Findings => {
                self.overlay = Overlay::Findings(super::findings::FindingsView { selected: 0 });
            }
            Action::CopyFingerprint => {
                return self.copy(super::clipboard::What::Fingerprint);
            }
            Action::CopyMenu => self.clipboard.menu = Some(0),
            Action::TextView => self.open_text_view(),
            Action::Timeline => self.open_timeline(),
            Action::History => return self.open_history(),
            Action::ToggleLineage => self.toggle_lineage(),
            // Only in the text view (handled above).
            Action::NextMatch | Action::PrevMatch => {}
            Action::NewCert
            | Action::Trust
            | Action::Revoke
            | Action::Rehash
            | Action::Undo
            | Action::Reload
            | Action::Probe
            | Action::Export
            | Action::Import
            | Action::Sign
            | Action::Dhparam
            | Action::KeyPass
            | Action::Keystore
            | Action::ReplaceCert
            | Action::AcmeRenew
            | Action::AcmeRevoke
            | Action::AcmeIssue
            | Action::Renew => return self.start_action(action),
            Action::Unlock => return self.start_unlock(),
            Action::Menu => self.open_menu(),
            // Form and confirm actions only arrive in their own contexts (handled above).
            Action::NextField
            | Action::PrevField
            | Action::Submit
            | Action::Apply
            | Action::Redraw
            | Action::Suspend => {}
            Action::FocusNext => {
                self.focus = match self.focus {
                    Focus::List => Focus::Details,
                    Focus::Details => Focus::List,
                }
            }
            // A locked key or keystore: Enter asks for its passphrase.
            Action::Open if self.selected_item().is_some_and(|it| it.locked()) => {
                return self.start_unlock()
            }
            Action::Open => match self.focus {
                Focus::List => {
                    self.focus = Focus::Details;
                    self.details_full = !view::is_wide(self.size);
                }
                Focus::Details => {
                    self.focus = Focus::List;
                    self.details_full = false;
                }
            },
            Action::ToggleChain => {
                self.chain_view = !self.chain_view;
                self.details_scroll = 0;
            }
            Action::CycleSort => {
                self.sort = self.sort.next();
                self.reorder(self.selected_key());
            }
            Action::CycleGroup => {
                self.group = self.group.next_in(self.fleet.is_some());
                self.reorder(self.selected_key());
            }
            Action::ToggleGroup => self.toggle_group(),
            Action::StartFilter => {
                self.filter_editing = true;
                self.focus = Focus::List;
            }
            Action::AcceptFilter => self.filter_editing = false,
            Action::Edit(e) => {
                if super::lineedit::apply(&mut self.filter, &mut self.filter_cursor, e) {
                    self.refilter_from_top();
                }
            }
            Action::Rescan => {
                let what = match self.fleet {
                    Some(_) => RELOADING,
                    None => RESCANNING,
                };
                self.notice = Some(Notice::info(what));
                return vec![Effect::Rescan];
            }
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::HalfPageUp
            | Action::HalfPageDown
            | Action::Top
            | Action::Bottom => {
                if ctx == Context::Details {
                    let page = view::details_page(self);
                    let max = view::details_max_scroll(self);
                    self.details_scroll = scrolled(self.details_scroll, action, page, max);
                } else {
                    self.move_selection(action, page);
                }
            }
        }
        self.scroll_into_view();
        Vec::new()
    }

    /// Esc: help, then filter, then full-screen details; never quits (a second Esc must not
    /// drop the user into the shell, where the next keys would run as commands).
    fn back(&mut self, ctx: Context) -> Vec<Effect> {
        if ctx == Context::Help {
            self.help = false;
        } else if self.expiry_filter.is_some() && !self.filter_editing {
            self.set_expiry_filter(None);
        } else if self.filter_editing || !self.filter.is_empty() {
            self.filter_editing = false;
            self.filter.clear();
            self.filter_cursor = 0;
            // The item found stays selected.
            self.refilter();
        } else if self.details_full || self.focus == Focus::Details {
            self.details_full = false;
            self.focus = Focus::List;
        } else {
            self.notice = Some(Notice::info("nothing to close (q quits)"));
        }
        self.scroll_into_view();
        Vec::new()
    }

    /// Text typed or pasted into the filter at its cursor; the selection goes to the first match.
    fn filter_paste(&mut self, text: &str) {
        if super::lineedit::insert(&mut self.filter, &mut self.filter_cursor, text) {
            self.refilter_from_top();
        }
    }

    /// A paste: into the focused text field; elsewhere it is dropped, never read as keys
    /// (`api.example\nx` would otherwise revoke).
    fn on_paste(&mut self, text: &str) {
        self.notice = None;
        match self.context() {
            Context::Filter => self.filter_paste(text),
            Context::Form => {
                if let Overlay::Form(f) = &mut self.overlay {
                    f.paste(text);
                }
            }
            _ => {
                self.notice = Some(Notice::error(
                    "paste ignored: press / first to paste into the filter",
                ))
            }
        }
    }

    /// No first scan streams in: the list shows the complete inventory.
    pub(super) fn streamed_is_empty(&self) -> bool {
        self.streamed.is_empty()
    }

    /// Read the lineages again when the store may have any (certbot's `archive/`, `acme/`);
    /// a store with none had none before either, unless its rows say so.
    fn read_lineages(&mut self) -> Vec<Effect> {
        let maybe = (self.inventory.items.iter())
            .any(|it| it.path.starts_with("acme/") || it.path.contains("archive/"));
        if maybe {
            return vec![Effect::ReadLineages];
        }
        if !self.lineages.all.is_empty() {
            self.lineages.set(Vec::new());
        }
        Vec::new()
    }

    /// Rebuild the rows (lineage folding changed), keeping `keep` or else the selection.
    pub(super) fn relist(&mut self, keep: Option<(String, usize)>) {
        let keep = keep.or_else(|| self.selected_key());
        self.rebuild_rows(keep);
    }

    /// Select the row of item `i`; false when the filter hides it.
    pub(super) fn select_item(&mut self, i: usize) -> bool {
        let Some(r) = self.rows.iter().position(|r| *r == Row::Item(i)) else {
            return false;
        };
        self.touched = true;
        self.selected = r;
        self.details_scroll = 0;
        self.scroll_into_view();
        true
    }

    pub(super) fn clear_filter(&mut self) {
        self.filter_editing = false;
        self.filter.clear();
        self.filter_cursor = 0;
        self.expiry_filter = None;
        self.matched_for = None;
        self.refilter();
    }

    /// Show only the certificates of a timeline bar (`None`: all); the selection goes to the
    /// first of them.
    pub(super) fn set_expiry_filter(&mut self, bucket: Option<super::timeline::Bucket>) {
        self.expiry_filter = bucket;
        // What the text filter matched before is no base for a different bar.
        self.matched_for = None;
        match bucket {
            Some(_) => self.refilter_from_top(),
            None => self.refilter(),
        }
    }

    fn move_selection(&mut self, action: Action, page: usize) {
        if self.rows.is_empty() {
            return;
        }
        let last = self.rows.len() - 1;
        let cur = self.selected;
        let half = page.div_ceil(2);
        // Every row can be selected, group headers too (Enter or Space folds one); a folded
        // group's items are not rows, so movement passes over them.
        let target = match action {
            Action::Up => cur.saturating_sub(1),
            Action::Down => (cur + 1).min(last),
            Action::PageUp => cur.saturating_sub(page),
            Action::PageDown => (cur + page).min(last),
            Action::HalfPageUp => cur.saturating_sub(half),
            Action::HalfPageDown => (cur + half).min(last),
            Action::Top => 0,
            _ => last,
        };
        if target != self.selected {
            self.selected = target;
            self.details_scroll = 0;
        }
    }

    fn item_after(&self, from: usize) -> Option<usize> {
        (from + 1..self.rows.len()).find(|&r| matches!(self.rows[r], Row::Item(_)))
    }

    fn item_before(&self, from: usize) -> Option<usize> {
        (0..from)
            .rev()
            .find(|&r| matches!(self.rows[r], Row::Item(_)))
    }

    /// When the list is rebuilt the selection lands on an item, not a header, preferring the
    /// direction of travel.
    fn snap_to_item(&self, r: usize, upward: bool) -> usize {
        if matches!(self.rows.get(r), Some(Row::Item(_))) {
            return r;
        }
        let (first, second) = if upward {
            (self.item_before(r), self.item_after(r))
        } else {
            (self.item_after(r), self.item_before(r))
        };
        first.or(second).unwrap_or(0)
    }

    /// Rows the list window shows (the view's layout decides).
    pub fn list_height(&self) -> usize {
        view::list_rows(self)
    }

    /// Keep the selection inside the window, moving the window as little as possible.
    fn scroll_into_view(&mut self) {
        let h = self.list_height().max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
            // Show the group header of the first item when there is one just above it.
            if self.offset > 0 && matches!(self.rows[self.offset - 1], Row::Header(..)) {
                self.offset -= 1;
            }
        } else if self.selected >= self.offset + h {
            self.offset = self.selected + 1 - h;
        }
        let max_offset = self.rows.len().saturating_sub(h);
        self.offset = self.offset.min(max_offset);
    }

    fn recount(&mut self) {
        self.refresh_findings();
        let mut c = Counts::default();
        for it in self.items() {
            if it.cert().is_some() {
                c.certs += 1;
            }
            if crate::store::certbot::is_superseded(it) {
                continue;
            }
            match self.status_of(it) {
                Status::Expired => c.expired += 1,
                Status::Expiring => c.expiring += 1,
                Status::Error => c.errors += 1,
                _ => {}
            }
        }
        self.counts = c;
    }

    fn reorder(&mut self, keep: Option<(String, usize)>) {
        // The inventory is path-sorted by its analysis; streamed items are in arrival order.
        let path_sorted = self.streamed.is_empty();
        self.order = listing::order(
            self.items(),
            &self.metas,
            self.sort,
            self.group,
            path_sorted,
        );
        self.tree_depth = match self.group {
            GroupBy::Chain => {
                let items = shown_items(&self.streamed, &self.inventory);
                listing::chain_tree(items, &self.metas, &mut self.order)
            }
            _ => Vec::new(),
        };
        self.matched_for = None;
        self.rebuild_rows(keep);
        self.select_made_item();
    }

    /// After a change went in: select what it made, once the list has it.
    fn select_made_item(&mut self) {
        let Some(path) = self.select_after.as_deref() else {
            return;
        };
        let Some(i) = self.items().iter().position(|it| it.path == path) else {
            return;
        };
        self.select_after = None;
        if !self.select_item(i) {
            // Hidden by the filter: the filter goes, the new item shows.
            self.clear_filter();
            self.select_item(i);
        }
    }

    /// Re-run the filter: one linear pass over the presorted `order` (no sort per keystroke).
    fn refilter(&mut self) {
        let keep = self.selected_key();
        self.rebuild_rows(keep);
    }

    /// The filter text changed: the selection moves to the first match, as in less or vim.
    fn refilter_from_top(&mut self) {
        self.rebuild_rows(None);
        self.selected = self.snap_to_item(0, false);
        self.offset = 0;
        self.details_scroll = 0;
        self.scroll_into_view();
    }

    fn rebuild_rows(&mut self, keep: Option<(String, usize)>) {
        let needle = self.filter.to_lowercase();
        let old_pos = self.selected;
        let was_header = self.selected_header().is_some();
        // A longer filter containing the last one can only match a subset of what it matched
        // (not after colons alone: they are no hex, so fingerprints were not searched).
        let narrowing = self
            .matched_for
            .as_deref()
            .is_some_and(|prev| needle.contains(prev) && !prev.chars().all(|c| c == ':'));
        let base = if narrowing {
            &self.matched
        } else {
            &self.order
        };
        let needle_for = listing::Needle::new(&needle);
        self.matched = listing::matching(self.items(), &self.metas, base, &needle_for);
        if let Some(b) = self.expiry_filter {
            let (items, now) = (shown_items(&self.streamed, &self.inventory), self.now);
            self.matched.retain(|&i| b.holds(&items[i], now));
        }
        self.matched_for = Some(needle);
        let none = Default::default();
        let folded = self.folded.get(&self.group).unwrap_or(&none);
        let (items, metas) = (shown_items(&self.streamed, &self.inventory), &self.metas);
        self.rows = listing::rows(items, metas, &self.matched, self.group, folded);
        self.rows = self.lineages.fold(std::mem::take(&mut self.rows), items);
        // Folded items count: the title says how many match, not how many rows are open.
        self.shown = self.matched.len();
        // The kept item's row; its group's header when it was a header or its group is folded.
        let kept = keep.and_then(|(path, index)| self.index_of(&path, index));
        let (items, group) = (self.items(), self.group);
        let found = kept.and_then(|k| {
            let item_row = || self.rows.iter().position(|r| *r == Row::Item(k));
            let header_row = || {
                let g = listing::group_key(group, items, metas, k);
                (group != GroupBy::None).then(|| {
                    self.rows.iter().position(|r| {
                        matches!(*r, Row::Header(h, _) if listing::group_key(group, items, metas, h) == g)
                    })
                })?
            };
            match was_header {
                true => header_row().or_else(item_row),
                false => item_row().or_else(header_row),
            }
        });
        self.selected = match found {
            Some(r) => r,
            None => self.snap_to_item(old_pos.min(self.rows.len().saturating_sub(1)), false),
        };
        self.scroll_into_view();
    }
}

/// A scroll position after a movement key, within `0..=max`.
fn scrolled(pos: u16, action: Action, page: u16, max: u16) -> u16 {
    let half = page.div_ceil(2);
    let pos = pos.min(max);
    match action {
        Action::Up => pos.saturating_sub(1),
        Action::Down => pos.saturating_add(1),
        Action::PageUp => pos.saturating_sub(page),
        Action::PageDown => pos.saturating_add(page),
        Action::HalfPageUp => pos.saturating_sub(half),
        Action::HalfPageDown => pos.saturating_add(half),
        Action::Top => 0,
        _ => max,
    }
    .min(max)
}

fn shown_items<'a>(streamed: &'a [Item], inventory: &'a Inventory) -> &'a [Item] {
    if streamed.is_empty() {
        &inventory.items
    } else {
        streamed
    }
}

/// Items and their metas, sorted together by (path, index), in place: a 100,000-item store
/// is not copied for it.
fn path_ordered(mut items: Vec<Item>, mut metas: Vec<Meta>) -> (Vec<Item>, Vec<Meta>) {
    use rayon::prelude::*;
    // perm[i]: where the item that belongs at i is now.
    let mut perm: Vec<usize> = (0..items.len()).collect();
    perm.par_sort_unstable_by(|&a, &b| {
        (&items[a].path, items[a].index).cmp(&(&items[b].path, items[b].index))
    });
    // Follow each cycle of the permutation, swapping both vectors alike.
    for start in 0..perm.len() {
        let mut j = start;
        loop {
            let k = perm[j];
            perm[j] = j;
            if k == start || k == j {
                break;
            }
            items.swap(j, k);
            metas.swap(j, k);
            j = k;
        }
    }
    (items, metas)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A certificate valid from T+30 s, expiring 100 days and 30 s after T.
    fn future_cert(t: i64) -> Item {
        let mut it = Item::new(crate::pki::ItemKind::Certificate, "CERTIFICATE");
        it.path = "soon.pem".into();
        it.detail = crate::pki::Detail::Certificate(Box::new(crate::pki::CertInfo {
            not_before_unix: t + 30,
            not_after_unix: t + 30 + 100 * 86_400,
            // What the decoder said at scan time; the TUI must not keep believing it.
            status: Status::NotYetValid,
            ..Default::default()
        }));
        it
    }

    #[test]
    fn the_minute_tick_judges_dates_against_the_clock() {
        use std::sync::atomic::{AtomicI64, Ordering};
        let t0 = 1_767_225_600;
        let clock = Arc::new(AtomicI64::new(t0));
        let mut app = App::new("/s".into(), Theme { mono: true }, t0);
        let c = clock.clone();
        app.clock = Some(Box::new(move || c.load(Ordering::SeqCst)));
        app.set_items(vec![future_cert(t0)]);
        let item = |app: &App| app.items()[0].clone();
        assert_eq!(app.status_of(&item(&app)), Status::NotYetValid);
        // Less than a minute on: no re-judging on every tick.
        clock.store(t0 + 40, Ordering::SeqCst);
        app.update(Msg::Tick);
        assert_eq!(app.now, t0);
        // A minute on: valid now, and days left counted from the new time.
        clock.store(t0 + 61, Ordering::SeqCst);
        app.update(Msg::Tick);
        assert_eq!(app.now, t0 + 61);
        assert_eq!(app.status_of(&item(&app)), Status::Ok);
        assert_eq!(app.days_left(&item(&app)), Some(99));
        // 80 days later it is expiring, and the counts follow without a rescan.
        clock.store(t0 + 80 * 86_400, Ordering::SeqCst);
        app.update(Msg::Tick);
        assert_eq!(app.status_of(&item(&app)), Status::Expiring);
        assert_eq!(app.counts.expiring, 1);
    }

    #[test]
    fn a_rescan_takes_the_current_time_whatever_the_minute() {
        let t0 = 1_767_225_600;
        let mut app = App::new("/s".into(), Theme { mono: true }, t0);
        app.clock = Some(Box::new(move || t0 + 31));
        app.set_items(vec![future_cert(t0)]);
        app.scan_started();
        assert_eq!(app.now, t0 + 31);
        assert_eq!(app.analyze.now, t0 + 31);
        assert_eq!(app.status_of(&app.items()[0].clone()), Status::Ok);
    }

    #[test]
    fn path_order_moves_metas_with_their_items() {
        let paths = ["d/b.pem", "a.pem", "c.pem", "d/a.pem", "b.pem", "a.pem"];
        let mut items = vec![];
        for (n, p) in paths.iter().enumerate() {
            let mut it = Item::new(crate::pki::ItemKind::Unknown, "");
            it.path = p.to_string();
            it.index = n % 2;
            items.push(it);
        }
        let metas: Vec<Meta> = items.iter().map(Meta::of).collect();
        let (items, metas) = path_ordered(items, metas);
        let got: Vec<(String, usize)> = items.iter().map(|i| (i.path.clone(), i.index)).collect();
        let mut want = got.clone();
        want.sort();
        assert_eq!(got, want);
        for (it, m) in items.iter().zip(&metas) {
            assert_eq!(m.name, it.display_name());
        }
    }
}
