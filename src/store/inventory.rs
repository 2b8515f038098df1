//! The inventory: every item of a store plus the cross-item facts (key pairing, chains, status).

use crate::pki::Item;
use std::path::PathBuf;

/// Options that change what the analysis concludes.
#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    /// Days before expiry at which a certificate becomes `expiring`.
    pub warn_days: i64,
    /// Also use the system trust store (`/etc/ssl/certs`) as chain anchors/intermediates.
    pub system_trust: bool,
    /// "Now" in Unix seconds (tests pin it).
    pub now: i64,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            warn_days: 30,
            system_trust: false,
            now: time::OffsetDateTime::now_utc().unix_timestamp(),
        }
    }
}

/// Everything found in a store, in path order, with cross-item analysis applied.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    /// Absolute path of the store directory.
    pub store: PathBuf,
    pub items: Vec<Item>,
}
