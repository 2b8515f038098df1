//! The TUI over a fleet (`certdeck fleet --prometheus URL`): the same list, filter, sort,
//! groups, details and timeline, fed by Prometheus instead of a store scan. A load is a
//! "scan" to the run loop (`load` answers with `ScanEvent::Done`); what the list needs beyond
//! items (hosts, stale exporters, the exporters' findings, where each item lives) is kept here,
//! shared between the loader thread and the app. Read-only: a change shows the command that
//! makes it on the item's host.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use crate::fleet::items::{self, FleetInventory};
use crate::fleet::Prometheus;
use crate::pki::lint::Finding;
use crate::pki::{Detail, Item, ItemKind};
use crate::store::inventory::Inventory;
use crate::store::scan::ScanEvent;

/// A long command broken at spaces into lines of at most `WIDTH` columns, so nothing is cut at
/// 80 columns (the text view cuts long lines and doubles a backslash, so no `\` continuations).
fn command_lines(cmd: &str) -> Vec<String> {
    const WIDTH: usize = 70;
    let mut lines: Vec<String> = vec![];
    let mut line = String::new();
    for word in cmd.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > WIDTH {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines.into_iter().map(|l| format!("  {l}")).collect()
}

#[derive(Clone)]
pub struct FleetSource {
    pub url: String,
    prometheus: Prometheus,
    warn_days: i64,
    /// The last load (the last good one's items when Prometheus failed since).
    latest: Arc<Mutex<FleetInventory>>,
}

impl std::fmt::Debug for FleetSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FleetSource")
            .field("url", &self.url)
            .finish()
    }
}

impl FleetSource {
    pub fn new(url: &str, warn_days: i64) -> anyhow::Result<FleetSource> {
        Ok(FleetSource {
            url: url.to_string(),
            prometheus: Prometheus::new(url)?,
            warn_days,
            latest: Default::default(),
        })
    }

    fn latest(&self) -> MutexGuard<'_, FleetInventory> {
        self.latest.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ask Prometheus now; blocking (the loader thread's work, or a first load before the
    /// terminal is taken over).
    pub fn fetch(&self) -> anyhow::Result<FleetInventory> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let fleet = crate::fleet::load(&self.prometheus, &self.url, now, self.warn_days)?;
        Ok(items::inventory(&fleet))
    }

    /// Take `loaded` (or the failure to load) as the current fleet and make it the scan result
    /// the run loop expects. A failure keeps the last known certificates, every host stale,
    /// with the error as an item of its own.
    pub fn publish(&self, loaded: anyhow::Result<FleetInventory>, started: Instant) -> ScanEvent {
        let mut latest = self.latest();
        let mut items = match loaded {
            Ok(fleet) => {
                *latest = fleet;
                latest.items.clone()
            }
            Err(e) => {
                latest.stale = latest.hosts.clone();
                let mut items = latest.items.clone();
                items.insert(0, self.error_item(&format!("{e:#}")));
                items
            }
        };
        items.sort_by(|a, b| (&a.path, a.index).cmp(&(&b.path, b.index)));
        ScanEvent::Done {
            inventory: Arc::new(Inventory {
                store: self.url.clone().into(),
                items,
            }),
            elapsed: started.elapsed(),
        }
    }

    /// One load in the background, answered like a scan.
    pub fn spawn_load(&self) -> crossbeam_channel::Receiver<ScanEvent> {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let me = self.clone();
        std::thread::spawn(move || {
            let started = Instant::now();
            let loaded = me.fetch();
            // The UI has moved on (a newer load) or quit: this one is not wanted.
            let _ = tx.send(me.publish(loaded, started));
        });
        rx
    }

    fn error_item(&self, e: &str) -> Item {
        Item {
            path: format!("/prometheus {}", self.url),
            index: 0,
            kind: ItemKind::Unknown,
            error: Some(format!("{e} (showing the last known certificates)")),
            alias: None,
            source: "prometheus".into(),
            links: vec![],
            used_by: vec![],
            detail: Detail::None,
            der: None,
        }
    }

    /// The exporters' findings, for the findings view and the list's marker column.
    pub fn findings(&self) -> Vec<Finding> {
        self.latest().findings.clone()
    }

    pub fn is_stale(&self, host: &str) -> bool {
        self.latest().stale.contains(host)
    }

    /// Hosts, and how many of them are stale.
    pub fn host_counts(&self) -> (usize, usize) {
        let l = self.latest();
        (l.hosts.len(), l.stale.len())
    }

    /// Details lines of a fleet item: label, value.
    pub fn details(&self, item: &Item) -> Vec<(&'static str, String)> {
        let l = self.latest();
        let Some(o) = l.origins.get(&item.path) else {
            return vec![];
        };
        let host = items::host_of(&item.path).unwrap_or("");
        let state = if l.stale.contains(host) {
            "exporter DOWN: last known, stale"
        } else {
            "exporter up"
        };
        let mut out = vec![
            ("Host", format!("{} ({state})", o.instance)),
            ("Store", o.store.clone()),
            ("Path", format!("{} #{}", o.path, o.index)),
        ];
        if !o.lineage.is_empty() {
            out.push(("Lineage", o.lineage.clone()));
        }
        out
    }

    /// What to show for a change asked of `item`: the command to run on its host (the text
    /// view escapes what it draws).
    pub fn remote_change(&self, action: &str, item: Option<&Item>) -> super::textview::TextView {
        let l = self.latest();
        let origin = item.and_then(|it| l.origins.get(&it.path));
        let mut lines = vec![
            "The fleet view is read-only: it shows what Prometheus knows of".to_string(),
            format!("{}.", self.url),
            String::new(),
        ];
        match origin {
            Some(o) => {
                let name = item.map(|it| it.display_name()).unwrap_or_default();
                let cmd = command_lines(&items::remote_command(action, o));
                lines.push(format!("To {action} {name} on {}, run there:", o.instance));
                if cmd.len() > 1 {
                    lines.push(format!("(one command, shown on {} lines)", cmd.len()));
                }
                lines.push(String::new());
                lines.extend(cmd);
            }
            None => lines.push(format!(
                "To {action}, select a certificate: the command names its host and store."
            )),
        }
        lines.push(String::new());
        lines.push("Its exporter picks the change up; r reloads this view.".into());
        super::textview::TextView {
            title: format!("{action}: on the host"),
            lines,
            ..Default::default()
        }
    }
}
