//! `certdeck exporter`: a long-running, read-only Prometheus exporter. Each store is scanned
//! once at start and then kept current by the file watcher (changed files re-read, as the TUI
//! does; a full rescan only when the watcher cannot say what changed). The metrics are rendered
//! once per change into a cached snapshot, so a scrape is a copy of a string whatever the store's
//! size, and never waits for a rescan.

pub mod http;
pub mod metrics;

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::pki::lint::{nagios_exit_code, Finding, LintOptions};
use crate::servers::ServerConfig;
use crate::store::handle::ReadOnlyStore;
use crate::store::inventory::Inventory;
use crate::store::scan::ScanOptions;
use crate::store::watch::Change;
use metrics::{Format, StoreView};

/// Findings depend on the clock (expiring, expired): re-judged this often without a change.
const REJUDGE: Duration = Duration::from_secs(300);

/// One store as the exporter holds it.
pub struct Held {
    pub store: ReadOnlyStore,
    pub inventory: Inventory,
    pub findings: Vec<Finding>,
    pub scan_seconds: f64,
    pub scanned_at: i64,
}

/// The rendered metrics, in both formats; swapped whole when something changes.
#[derive(Default)]
pub struct Snapshot {
    pub text: Arc<str>,
    pub openmetrics: Arc<str>,
}

pub struct Exporter {
    pub stores: Vec<Held>,
    scan: ScanOptions,
    lint: LintOptions,
    servers: Vec<ServerConfig>,
    x509_compat: bool,
    pub snapshot: Arc<RwLock<Arc<Snapshot>>>,
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl Exporter {
    /// Scan every store and render the first snapshot.
    pub fn new(
        stores: Vec<ReadOnlyStore>,
        scan: ScanOptions,
        lint: LintOptions,
        servers: Vec<ServerConfig>,
        x509_compat: bool,
    ) -> Exporter {
        let scan = crate::serving::scan_options(scan, &servers);
        let mut ex = Exporter {
            stores: vec![],
            scan,
            lint,
            servers,
            x509_compat,
            snapshot: Default::default(),
        };
        for store in stores {
            let started = Instant::now();
            let inventory = store.scan(&ex.scan);
            let mut held = Held {
                store,
                inventory,
                findings: vec![],
                scan_seconds: started.elapsed().as_secs_f64(),
                scanned_at: now(),
            };
            held.findings =
                crate::audit::findings_with_servers(&held.inventory, &ex.lint, &ex.servers);
            ex.stores.push(held);
        }
        ex.render();
        ex
    }

    /// Render both formats from what is held and publish them.
    pub fn render(&self) {
        let views: Vec<StoreView> = self
            .stores
            .iter()
            .map(|h| StoreView {
                store: h.store.root(),
                items: &h.inventory.items,
                findings: &h.findings,
                status: nagios_exit_code(&h.findings),
                scan_seconds: h.scan_seconds,
                scanned_at: h.scanned_at,
            })
            .collect();
        let opts = metrics::Options {
            x509_compat: self.x509_compat,
            now: self.lint.now,
        };
        let snap = Snapshot {
            text: metrics::render(&views, &opts, Format::Text).into(),
            openmetrics: metrics::render(&views, &opts, Format::OpenMetrics).into(),
        };
        *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(snap);
    }

    /// A scrape's answer: the current snapshot, never a scan.
    pub fn answer(snapshot: &RwLock<Arc<Snapshot>>, format: Format) -> Arc<str> {
        let snap = snapshot.read().unwrap_or_else(|e| e.into_inner()).clone();
        match format {
            Format::Text => snap.text.clone(),
            Format::OpenMetrics => snap.openmetrics.clone(),
        }
    }

    /// Bring store `i` up to date with `change`: the changed files re-read in place, or a full
    /// rescan when only that can tell.
    pub fn update(&mut self, i: usize, change: Change) {
        let started = Instant::now();
        self.scan.analyze.now = now();
        self.lint.now = self.scan.analyze.now;
        let held = &mut self.stores[i];
        let updated = match change {
            Change::Files(files) => {
                let rels: Vec<String> = files.into_iter().collect();
                crate::store::scan::read_changes(held.store.root(), &rels, &self.scan)
                    .and_then(|c| held.inventory.apply_changes(c, &self.scan.analyze))
                    .map(|splice| {
                        // The chains the change can touch, with signatures checked.
                        let results = held.inventory.chain_results(
                            &self.scan.analyze,
                            self.scan.analyze.verify_signatures,
                            Some(&splice.reverify),
                            &|_, _| true,
                        );
                        held.inventory.apply_chains(results.unwrap_or_default());
                    })
                    .is_some()
            }
            Change::Everything => false,
        };
        if !updated {
            held.inventory = held.store.scan(&self.scan);
        }
        held.scan_seconds = started.elapsed().as_secs_f64();
        held.scanned_at = now();
        held.findings =
            crate::audit::findings_with_servers(&held.inventory, &self.lint, &self.servers);
        self.render();
    }

    /// Judge every store again against the clock (expiry findings move with time).
    pub fn rejudge(&mut self) {
        self.lint.now = now();
        for held in &mut self.stores {
            held.findings =
                crate::audit::findings_with_servers(&held.inventory, &self.lint, &self.servers);
        }
        self.render();
    }

    /// Keep the stores current for ever: one watcher per store, changes applied one at a time.
    pub fn keep_current(mut self, debounce: Duration) -> std::io::Result<()> {
        let (tx, rx) = crossbeam_channel::unbounded::<(usize, Change)>();
        for (i, held) in self.stores.iter().enumerate() {
            let changes = crate::store::watch::watch(held.store.root(), debounce)?;
            let tx = tx.clone();
            std::thread::spawn(move || {
                for c in changes {
                    if tx.send((i, c)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        let mut judged = Instant::now();
        loop {
            match rx.recv_timeout(REJUDGE) {
                Ok((i, mut change)) => {
                    // What queued meanwhile for the same store goes in the same update.
                    let mut others = vec![];
                    while let Ok((j, more)) = rx.try_recv() {
                        if j == i {
                            change = change.merge(more);
                        } else {
                            others.push((j, more));
                        }
                    }
                    self.update(i, change);
                    for (j, c) in others {
                        self.update(j, c);
                    }
                }
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return Ok(()),
            }
            if judged.elapsed() >= REJUDGE {
                self.rejudge();
                judged = Instant::now();
            }
        }
    }
}
