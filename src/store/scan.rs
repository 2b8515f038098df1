//! Parallel, streaming directory scan. Errors are items too; the scan never stops early.

use crate::pki::Item;
use std::time::Duration;

/// What the background scan reports, in order: batches of items, progress, then `Done`.
#[derive(Debug)]
pub enum ScanEvent {
    /// Decoded items of one or more files (not yet cross-analysed: no chain/pairing).
    Items(Vec<Item>),
    Progress {
        files_done: usize,
        files_total: usize,
    },
    /// The scan finished; the complete analysed inventory follows.
    Done {
        inventory: super::inventory::Inventory,
        elapsed: Duration,
    },
}
