//! Store handles. Read-only is a type: a `ReadOnlyStore` can scan but has no way to build a
//! writer, so audit mode and `--read-only` cannot write by construction. Writing goes through
//! `WritableStore` (plans, lock, history), which only the mutating commands open.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::apply::{self, ApplyError, ApplyReport};
use super::history::{self, Books, RecoverReport, UndoReport};
use super::inventory::Inventory;
use super::plan::Plan;
use super::scan::{scan, spawn_scan, ScanEvent, ScanOptions};
use super::write::{LockError, StoreLock};

#[derive(Debug)]
pub enum OpenError {
    Missing(PathBuf),
    NotADirectory(PathBuf),
    Unreadable(PathBuf, std::io::Error),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Missing(p) => write!(f, "store {} does not exist", p.display()),
            OpenError::NotADirectory(p) => write!(f, "store {} is not a directory", p.display()),
            OpenError::Unreadable(p, e) => write!(f, "store {} cannot be read: {e}", p.display()),
        }
    }
}

impl std::error::Error for OpenError {}

/// A store opened for looking only.
#[derive(Debug, Clone)]
pub struct ReadOnlyStore {
    root: PathBuf,
}

impl ReadOnlyStore {
    /// Checks the directory exists and can be listed (read-only calls only).
    pub fn open(path: &Path) -> Result<Self, OpenError> {
        let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => OpenError::Missing(path.to_path_buf()),
            _ => OpenError::Unreadable(path.to_path_buf(), e),
        })?;
        if !meta.is_dir() {
            return Err(OpenError::NotADirectory(path.to_path_buf()));
        }
        std::fs::read_dir(path).map_err(|e| OpenError::Unreadable(path.to_path_buf(), e))?;
        Ok(ReadOnlyStore {
            root: std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn scan(&self, opts: &ScanOptions) -> Inventory {
        scan(&self.root, opts)
    }

    pub fn spawn_scan(&self, opts: ScanOptions) -> crossbeam_channel::Receiver<ScanEvent> {
        spawn_scan(self.root.clone(), opts)
    }

    /// Re-read the changed files `rels` (see `scan::spawn_update`).
    pub fn spawn_update(
        &self,
        opts: ScanOptions,
        rels: Vec<String>,
    ) -> crossbeam_channel::Receiver<ScanEvent> {
        super::scan::spawn_update(self.root.clone(), opts, rels)
    }
}

/// Why a store could not be opened for writing.
#[derive(Debug)]
pub enum WriteOpenError {
    Open(OpenError),
    /// Another certdeck holds the store lock (its pid, if it could be read).
    Locked {
        root: PathBuf,
        pid: Option<u32>,
        waited: Duration,
    },
    Lock(PathBuf, std::io::Error),
    /// The lock file or history/ is not one certdeck can trust (a link elsewhere, another
    /// account's).
    Untrusted(PathBuf, String),
    /// An interrupted plan could not be rolled back; the store needs a look by hand.
    Recover(PathBuf, std::io::Error),
}

impl std::fmt::Display for WriteOpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteOpenError::Open(e) => e.fmt(f),
            WriteOpenError::Locked { root, pid, waited } => {
                write!(f, "store {} is locked by ", root.display())?;
                match pid {
                    Some(pid) => write!(f, "another certdeck (pid {pid})")?,
                    None => write!(f, "another certdeck (pid unknown)")?,
                }
                if !waited.is_zero() {
                    write!(f, "; gave up after waiting {:.1}s", waited.as_secs_f64())?;
                }
                Ok(())
            }
            WriteOpenError::Lock(p, e) => {
                write!(f, "store {}: cannot take the lock: {e}", p.display())
            }
            WriteOpenError::Untrusted(p, why) => write!(f, "store {}: {why}", p.display()),
            WriteOpenError::Recover(p, e) => write!(
                f,
                "store {}: an interrupted change could not be rolled back: {e}",
                p.display()
            ),
        }
    }
}

impl std::error::Error for WriteOpenError {}

/// A store opened for changing. Holds the store lock for its whole life (released on drop);
/// opening finishes any interrupted plan first. This is the only type that can write.
#[derive(Debug)]
pub struct WritableStore {
    root: PathBuf,
    books: Books,
    _lock: StoreLock,
    waited: Duration,
    recovered: RecoverReport,
}

impl WritableStore {
    /// Takes the lock without waiting; fails with `Locked { pid }` if another holds it.
    pub fn open(path: &Path) -> Result<Self, WriteOpenError> {
        Self::open_wait(path, Duration::ZERO)
    }

    /// Retries the lock for up to `timeout`; `waited()` tells how long it waited.
    pub fn open_wait(path: &Path, timeout: Duration) -> Result<Self, WriteOpenError> {
        // Before anything resolves the path: if another account can swap a name on the way,
        // the root descriptor could be any directory (a symlink to /etc).
        if let Ok(Some((hop, why))) = super::fsx::untrusted_on_the_way(path) {
            let canon = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
            if !history::foreign_allowed(&canon) {
                return Err(WriteOpenError::Untrusted(
                    path.to_path_buf(),
                    format!(
                        "{} {why}: that account can point the store anywhere (a symlink to \
                         /etc), so it is not written. If that account is trusted, add the \
                         store to `safe_stores` in the config or pass --safe-store",
                        hop.display()
                    ),
                ));
            }
        }
        let root = ReadOnlyStore::open(path)
            .map_err(WriteOpenError::Open)?
            .root
            .clone();
        // Every write below goes through this one descriptor of the root.
        let books = Books::open(&root).map_err(|e| WriteOpenError::Lock(root.clone(), e))?;
        // Another account's history/ is refused before anything is created (the lock
        // included), so the admin hears about the journal, the real problem, first.
        if let Err(e) = books.history_dir(false) {
            return Err(WriteOpenError::Untrusted(root, e.to_string()));
        }
        let start = Instant::now();
        let lock = loop {
            match StoreLock::try_acquire(&books.root, books.foreign_ok) {
                Ok(lock) => break lock,
                Err(LockError::Held { pid }) if start.elapsed() >= timeout => {
                    return Err(WriteOpenError::Locked {
                        root,
                        pid,
                        waited: start.elapsed(),
                    })
                }
                Err(LockError::Held { .. }) => std::thread::sleep(Duration::from_millis(50)),
                Err(LockError::Untrusted(why)) => return Err(WriteOpenError::Untrusted(root, why)),
                Err(LockError::Io(e)) => return Err(WriteOpenError::Lock(root, e)),
            }
        };
        let mut store = WritableStore {
            root,
            books,
            _lock: lock,
            waited: start.elapsed(),
            recovered: RecoverReport::default(),
        };
        store.recovered = history::recover(&store.books)
            .map_err(|e| WriteOpenError::Recover(store.root.clone(), e))?;
        Ok(store)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// How long `open_wait` waited for another certdeck to release the store.
    pub fn waited(&self) -> Duration {
        self.waited
    }

    /// Interrupted plans that were rolled back while opening.
    pub fn recovered(&self) -> &RecoverReport {
        &self.recovered
    }

    /// Applies `plan`, or on any error part-way restores the store and returns the error.
    pub fn apply(&self, plan: &Plan) -> Result<ApplyReport, ApplyError> {
        super::layout::check_plan(&self.root, plan).map_err(ApplyError::Invalid)?;
        apply::apply(&self.books, plan, None)
    }

    pub(crate) fn books(&self) -> &Books {
        &self.books
    }

    /// Reverses the last applied plan (see `history::undo`).
    pub fn undo(&self) -> Result<UndoReport, ApplyError> {
        history::undo(self)
    }

    /// Scans the store (writers need a fresh inventory to build the next plan).
    pub fn scan(&self, opts: &ScanOptions) -> Inventory {
        scan(&self.root, opts)
    }
}
