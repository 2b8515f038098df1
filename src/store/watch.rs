//! File watching: a debounced "something changed" signal, with what changed, so the TUI
//! re-reads the changed files (or rescans) without a restart. inotify only reads; it is allowed
//! in read-only mode.
//!
//! One inotify watch per directory, found with `readdir` alone, for changes only. A generic
//! watcher (the notify crate) also asks for every open and stats every file to find the
//! directories: on a 100,000-file store its thread spent a third of a second of CPU on our own
//! scan's opens while that scan ran, on a 2-core machine.

use std::collections::{BTreeSet, HashMap};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crossbeam_channel::Receiver;
use inotify::{EventMask, Inotify, WatchDescriptor, WatchMask};

/// Changes that make a rescan worth it; reads (ours included) are not among them.
const CHANGES: WatchMask = WatchMask::CREATE
    .union(WatchMask::DELETE)
    .union(WatchMask::MODIFY)
    .union(WatchMask::CLOSE_WRITE)
    .union(WatchMask::ATTRIB)
    .union(WatchMask::MOVED_FROM)
    .union(WatchMask::MOVED_TO)
    .union(WatchMask::DELETE_SELF)
    .union(WatchMask::MOVE_SELF);

/// More changed files than this are not worth re-reading one by one.
const MAX_FILES: usize = 10_000;

/// What changed since the UI last looked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Store-relative paths of changed files (created, written, removed, renamed, chmod'ed).
    Files(BTreeSet<String>),
    /// Directories appeared, moved or went, or events were lost: only a full scan can tell.
    Everything,
}

impl Change {
    pub fn merge(self, other: Change) -> Change {
        match (self, other) {
            (Change::Files(mut a), Change::Files(b)) => {
                a.extend(b);
                if a.len() > MAX_FILES {
                    Change::Everything
                } else {
                    Change::Files(a)
                }
            }
            _ => Change::Everything,
        }
    }
}

/// Sends what changed under `root`, one merged `Change` per burst of events at most once per
/// `debounce` (the receiver merges what queued while it was busy; our own temp files and history
/// are ignored so applying a plan does not trigger a storm of updates). The watches live until
/// a send finds the receiver dropped.
pub fn watch(root: &Path, debounce: Duration) -> std::io::Result<Receiver<Change>> {
    let mut tree = Tree {
        inotify: Inotify::init()?,
        dirs: HashMap::new(),
        root: root.to_path_buf(),
    };
    // The root must be watchable; a subdirectory that vanished meanwhile is not an error.
    let wd = tree
        .inotify
        .watches()
        .add(root, CHANGES | WatchMask::ONLYDIR)?;
    tree.dirs.insert(wd, root.to_path_buf());
    tree.add_below(root);

    let (tx, rx) = crossbeam_channel::unbounded();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let first = match tree.read(&mut buf, true) {
                Ok(r) => r,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return,
            };
            let Some(mut change) = first else {
                continue;
            };
            // Coalesce a burst of events into one signal.
            std::thread::sleep(debounce);
            while let Ok(more) = tree.read(&mut buf, false) {
                if let Some(more) = more {
                    change = change.merge(more);
                }
            }
            // Fails only when the UI is gone.
            if tx.send(change).is_err() {
                return;
            }
        }
    });
    Ok(rx)
}

/// The watched directories, by watch descriptor (events name only the directory's watch).
struct Tree {
    inotify: Inotify,
    dirs: HashMap<WatchDescriptor, PathBuf>,
    root: PathBuf,
}

impl Tree {
    /// Watch every directory below `dir`, without following symlinks; `readdir`'s file types
    /// suffice, so no file is stat'ed. The store's history is not watched.
    fn add_below(&mut self, dir: &Path) {
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if !e.file_type().is_ok_and(|t| t.is_dir()) || self.is_own(&p) {
                    continue;
                }
                let mask = CHANGES | WatchMask::ONLYDIR | WatchMask::DONT_FOLLOW;
                if let Ok(wd) = self.inotify.watches().add(&p, mask) {
                    self.dirs.insert(wd, p.clone());
                    stack.push(p);
                }
            }
        }
    }

    /// Read one batch of events (waiting for it when `block`); what they changed, if anything.
    /// New directories are watched at once, so a file written into one right after it was made
    /// is seen too (the full scan a new directory causes finds anything earlier).
    fn read(&mut self, buf: &mut [u8], block: bool) -> std::io::Result<Option<Change>> {
        let events = match block {
            true => self.inotify.read_events_blocking(buf)?,
            false => self.inotify.read_events(buf)?,
        };
        let mut change: Option<Change> = None;
        let mut add = |c: Change| {
            change = Some(match change.take() {
                Some(old) => old.merge(c),
                None => c,
            })
        };
        let mut new_dirs = Vec::new();
        let mut gone = Vec::new();
        for ev in events {
            if ev.mask.contains(EventMask::Q_OVERFLOW) {
                // Events were lost, new directories among them perhaps: look at the whole tree
                // again (a directory already watched keeps its watch) and rescan.
                add(Change::Everything);
                new_dirs.push(self.root.clone());
                continue;
            }
            if ev.mask.contains(EventMask::MOVE_SELF) {
                // A directory moved: out of the store (its watches must go, or changes there
                // would pass for the store's) or within it (its subtree now has other paths).
                // Drop the subtree's watches and walk the store again.
                if let Some(old) = self.dirs.get(&ev.wd).cloned() {
                    let stale: Vec<WatchDescriptor> = (self.dirs.iter())
                        .filter(|(_, p)| p.starts_with(&old))
                        .map(|(wd, _)| wd.clone())
                        .collect();
                    for wd in stale {
                        let _ = self.inotify.watches().remove(wd.clone());
                        self.dirs.remove(&wd);
                    }
                    new_dirs.push(self.root.clone());
                }
                add(Change::Everything);
                continue;
            }
            if ev.mask.contains(EventMask::IGNORED) {
                gone.push(ev.wd.clone());
                continue;
            }
            let Some(dir) = self.dirs.get(&ev.wd) else {
                continue;
            };
            let path = ev.name.map_or_else(|| dir.clone(), |n: &OsStr| dir.join(n));
            if self.is_own(&path) {
                continue;
            }
            let rel = path.strip_prefix(&self.root).ok().and_then(Path::to_str);
            match rel {
                // A file, named relative to the store (a directory's own events have no name).
                Some(rel) if ev.name.is_some() && !ev.mask.contains(EventMask::ISDIR) => {
                    add(Change::Files(BTreeSet::from([rel.to_string()])))
                }
                _ => add(Change::Everything),
            }
            let made = EventMask::CREATE | EventMask::MOVED_TO;
            if ev.mask.contains(EventMask::ISDIR) && ev.mask.intersects(made) {
                new_dirs.push(path);
            }
        }
        for wd in gone {
            self.dirs.remove(&wd);
        }
        for d in new_dirs {
            let mask = CHANGES | WatchMask::ONLYDIR | WatchMask::DONT_FOLLOW;
            if let Ok(wd) = self.inotify.watches().add(&d, mask) {
                self.dirs.insert(wd, d.clone());
                self.add_below(&d);
            }
        }
        Ok(change)
    }

    /// What certdeck itself writes while applying a plan: the store's `history/` (at the root
    /// only, as the scanner reserves it), half-written `.certdeck-tmp-*` files, the lock.
    fn is_own(&self, p: &Path) -> bool {
        let Ok(rel) = p.strip_prefix(&self.root) else {
            return false;
        };
        let first = rel.components().next().map(|c| c.as_os_str());
        let name = p
            .file_name()
            .map(OsStr::to_string_lossy)
            .unwrap_or_default();
        first == Some(OsStr::new("history"))
            || name.starts_with(".certdeck-tmp-")
            || name == ".certdeck.lock"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changed(rx: &Receiver<Change>) -> bool {
        rx.recv_timeout(Duration::from_secs(5)).is_ok()
    }

    fn settle(rx: &Receiver<Change>) {
        std::thread::sleep(Duration::from_millis(200));
        while rx.try_recv().is_ok() {}
    }

    #[test]
    fn sees_changes_in_existing_and_new_subdirectories_but_not_reads_or_history() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::create_dir_all(root.join("history")).unwrap();
        std::fs::write(root.join("a/read-me.pem"), "r").unwrap();
        let rx = watch(root, Duration::from_millis(50)).unwrap();

        std::fs::read(root.join("a/read-me.pem")).unwrap();
        assert!(
            rx.recv_timeout(Duration::from_millis(500)).is_err(),
            "a read is not a change"
        );

        std::fs::write(root.join("a/b/x.pem"), "x").unwrap();
        assert!(changed(&rx), "a file in a nested directory");
        settle(&rx);

        std::fs::create_dir_all(root.join("new/deeper")).unwrap();
        assert!(changed(&rx), "a new directory");
        settle(&rx);
        std::fs::write(root.join("new/deeper/y.pem"), "y").unwrap();
        assert!(changed(&rx), "a file in the new directory's subdirectory");
        settle(&rx);

        std::fs::write(root.join("history/old.pem"), "h").unwrap();
        std::fs::write(root.join(".certdeck-tmp-1"), "t").unwrap();
        assert!(
            rx.recv_timeout(Duration::from_millis(500)).is_err(),
            "history and temp files are certdeck's own"
        );

        // Only the root's history is certdeck's: a user's nested one is store content.
        std::fs::write(root.join("a/b/history-note.pem"), "n").unwrap();
        assert!(changed(&rx));
        settle(&rx);
        std::fs::create_dir(root.join("a/history")).unwrap();
        assert!(changed(&rx), "a user's directory named history");
        settle(&rx);
        std::fs::write(root.join("a/history/x.pem"), "x").unwrap();
        assert!(changed(&rx), "a file in it");
    }

    #[test]
    fn a_directory_moved_out_is_no_longer_watched_and_one_renamed_inside_still_is() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("store");
        std::fs::create_dir_all(root.join("out/deep")).unwrap();
        std::fs::create_dir_all(root.join("old/deep")).unwrap();
        let rx = watch(&root, Duration::from_millis(50)).unwrap();

        std::fs::rename(root.join("out"), dir.path().join("elsewhere")).unwrap();
        assert!(changed(&rx), "moving a directory out is a change");
        settle(&rx);
        std::fs::write(dir.path().join("elsewhere/deep/x.pem"), "x").unwrap();
        assert!(
            rx.recv_timeout(Duration::from_millis(500)).is_err(),
            "outside the store now"
        );

        std::fs::rename(root.join("old"), root.join("new")).unwrap();
        assert!(changed(&rx));
        settle(&rx);
        std::fs::write(root.join("new/deep/y.pem"), "y").unwrap();
        assert!(
            changed(&rx),
            "a renamed directory's subdirectory is still watched"
        );
    }

    #[test]
    fn tells_which_files_changed_or_that_only_a_full_scan_can_tell() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("a")).unwrap();
        std::fs::write(root.join("old.pem"), "o").unwrap();
        let rx = watch(root, Duration::from_millis(50)).unwrap();
        // Collect what the changes named until `want` is covered (a burst may take two).
        let collect = |want: &BTreeSet<String>| {
            let mut got = BTreeSet::new();
            while !want.is_subset(&got) {
                match rx.recv_timeout(Duration::from_secs(5)) {
                    Ok(Change::Files(f)) => got.extend(f),
                    other => panic!("expected files, got {other:?}"),
                }
            }
            got
        };
        std::fs::write(root.join("a/x.pem"), "x").unwrap();
        let want = BTreeSet::from(["a/x.pem".to_string()]);
        assert_eq!(collect(&want), want);
        settle(&rx);
        std::fs::remove_file(root.join("a/x.pem")).unwrap();
        std::fs::rename(root.join("old.pem"), root.join("new.pem")).unwrap();
        let want: BTreeSet<String> = ["a/x.pem", "old.pem", "new.pem"].map(String::from).into();
        assert!(collect(&want).is_superset(&want));
        settle(&rx);
        std::fs::create_dir(root.join("b")).unwrap();
        let change = rx.recv_timeout(Duration::from_secs(5));
        assert_eq!(change, Ok(Change::Everything), "a new directory");
    }

    #[test]
    fn a_store_below_a_directory_named_history_still_signals() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("history/certs");
        std::fs::create_dir_all(&root).unwrap();
        let rx = watch(&root, Duration::from_millis(50)).unwrap();
        std::fs::write(root.join("x.pem"), "x").unwrap();
        assert!(changed(&rx));
    }

    #[test]
    fn the_history_made_by_a_first_apply_is_not_watched() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let rx = watch(root, Duration::from_millis(50)).unwrap();
        std::fs::create_dir(root.join("history")).unwrap();
        assert!(
            rx.recv_timeout(Duration::from_millis(500)).is_err(),
            "the history directory appearing is certdeck's own doing"
        );
        std::fs::create_dir(root.join("history/plan-1")).unwrap();
        std::fs::write(root.join("history/plan-1/old.pem"), "o").unwrap();
        assert!(rx.recv_timeout(Duration::from_millis(500)).is_err());
    }
}
