//! `certdeck undo`: reverse the last applied change.

use std::process::ExitCode;

use anyhow::Result;

use super::global::{store_dir, Global};
use super::output::out;
use super::write::say_recovered;
use crate::store::handle::WritableStore;
use crate::text::escape_control as esc;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print what was undone as JSON.
    #[arg(long, help_heading = "Output")]
    pub json: bool,
}

pub fn run(g: &Global, a: Args) -> Result<ExitCode> {
    let store = WritableStore::open_wait(&store_dir(g)?, std::time::Duration::from_secs(10))?;
    say_recovered(&store);
    let r = store.undo()?;
    out(&if a.json {
        serde_json::to_string_pretty(&r)?
    } else {
        format!("undone: {} ({})", esc(&r.undone_action), esc(&r.undone_id))
    });
    Ok(ExitCode::SUCCESS)
}
