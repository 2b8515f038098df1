//! The binary's subcommands that need more than a line of dispatch; the logic is the library's.

pub mod apply;
pub mod args;
pub mod audit;
pub mod export;
pub mod history;
pub mod keystore;
pub mod probe;
pub mod tui;
pub mod writes;
