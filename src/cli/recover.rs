//! `certdeck recover`: finish or roll back an interrupted change.

use std::process::ExitCode;

use anyhow::Result;

use super::global::{store_dir, Global};
use super::output::out;
use super::write::recovery_text;
use crate::store::handle::WritableStore;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print what was recovered as JSON.
    #[arg(long, help_heading = "Output")]
    pub json: bool,
}

pub fn run(g: &Global, a: Args) -> Result<ExitCode> {
    let store = WritableStore::open_wait(&store_dir(g)?, std::time::Duration::from_secs(10))?;
    let r = store.recovered();
    out(&if a.json {
        serde_json::to_string_pretty(r)?
    } else if r.is_empty() {
        "nothing to recover".to_string()
    } else {
        recovery_text(r)
    });
    Ok(ExitCode::SUCCESS)
}
