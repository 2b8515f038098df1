//! File watching: a debounced "something changed" signal so the TUI rescans without a restart.
//! inotify only reads; it is allowed in read-only mode.

use std::path::Path;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

/// Keep the returned watcher alive as long as notifications are wanted.
pub struct StoreWatcher {
    _watcher: notify::RecommendedWatcher,
}

/// Sends `()` at most once per `debounce` after changes under `root` (our own temp files and
/// history are ignored so applying a plan does not trigger a storm of rescans).
pub fn watch(
    root: &Path,
    debounce: Duration,
) -> notify::Result<(StoreWatcher, crossbeam_channel::Receiver<()>)> {
    let (raw_tx, raw_rx) = crossbeam_channel::unbounded::<()>();
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        if let Ok(ev) = res {
            let relevant = ev.paths.iter().any(|p| {
                let s = p.to_string_lossy();
                !s.contains("/.certdeck-tmp-")
                    && !s.contains("/history/")
                    && !s.ends_with(".certdeck.lock")
            });
            if relevant && !ev.kind.is_access() {
                let _ = raw_tx.send(());
            }
        }
    })?;
    watcher.watch(root, RecursiveMode::Recursive)?;
    let (tx, rx) = crossbeam_channel::bounded(1);
    std::thread::spawn(move || {
        while raw_rx.recv().is_ok() {
            // Coalesce a burst of events into one signal.
            std::thread::sleep(debounce);
            while raw_rx.try_recv().is_ok() {}
            // Full means a signal is already pending; disconnected means the UI is gone.
            if let Err(crossbeam_channel::TrySendError::Disconnected(_)) = tx.try_send(()) {
                break;
            }
        }
    });
    Ok((StoreWatcher { _watcher: watcher }, rx))
}
