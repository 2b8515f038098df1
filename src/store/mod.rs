//! The store directory as servers see it: scanning, the inventory, selectors.

pub mod checks;
pub mod handle;
pub mod inventory;
pub mod scan;
pub mod select;
pub mod trustdir;
pub mod watch;
