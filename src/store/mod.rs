//! The store directory as servers see it: scanning, the inventory, selectors, and the write
//! path (plans, atomic writes, history and journal) that only a `WritableStore` can use.

pub mod apply;
pub mod certbot;
pub mod checks;
pub mod fsx;
pub mod handle;
pub mod history;
pub mod history_list;
pub mod inventory;
pub mod layout;
pub mod lineages;
pub mod plan;
pub mod progress;
pub mod scan;
pub mod select;
pub mod trustdir;
pub mod update;
pub mod watch;
pub mod write;
