//! certdeck: a terminal certificate manager for the TLS stores servers read.
//!
//! `pki` is pure functions over bytes, `store` is the directory as servers see it, `tui` and
//! `cli` are thin front ends. See DESIGN.md in the shared folder and README.md.

pub mod acme;
pub mod actions;
pub mod audit;
pub mod cli;
pub mod config;
pub mod demo;
pub mod exporter;
pub mod fleet;
pub mod outfile;
pub mod pki;
pub mod sandbox;
pub mod servers;
pub mod serving;
pub mod store;
pub mod text;
pub mod timing;
pub mod tui;
