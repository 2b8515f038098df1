//! Store handles. Read-only is a type: a `ReadOnlyStore` can scan but has no way to build a
//! writer, so audit mode and `--read-only` cannot write by construction. Writing goes through
//! `WritableStore` (plans, lock, history), which only the mutating commands open.

use std::path::{Path, PathBuf};

use super::inventory::Inventory;
use super::scan::{scan, spawn_scan, ScanEvent, ScanOptions};

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
}
