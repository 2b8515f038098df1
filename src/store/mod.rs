//! The store directory as servers see it: scanning, the inventory, selectors.

pub mod inventory;
pub mod scan;
pub mod select;
