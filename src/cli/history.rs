//! `certdeck history prune --plaintext-keys`: the one deletion certdeck makes, on request.

use std::process::ExitCode;

use super::global::{store_dir, Global};
use super::output::out;
use crate::store::handle::WritableStore;
use crate::store::history;
use anyhow::{bail, Result};

#[derive(clap::Subcommand, Debug)]
pub enum Cmd {
    /// Remove unencrypted private keys kept in history/ for good (what `key encrypt` and
    /// replaced keys leave behind). Lists them and asks first; undo of those plans then stops
    /// working. The only command that deletes.
    Prune(PruneArgs),
}

#[derive(clap::Args, Debug)]
pub struct PruneArgs {
    /// Required: what to remove (plaintext private keys).
    #[arg(long, required = true)]
    pub plaintext_keys: bool,
    /// Do not ask (for scripts).
    #[arg(long)]
    pub yes: bool,
    /// Only list what would be removed.
    #[arg(long, help_heading = "Output")]
    pub dry_run: bool,
    /// Print the removed (or to-be-removed) files as JSON.
    #[arg(long, help_heading = "Output")]
    pub json: bool,
}

pub fn run(g: &Global, cmd: Cmd) -> Result<ExitCode> {
    match cmd {
        Cmd::Prune(a) => prune(g, a.yes, a.dry_run, a.json),
    }
}

fn prune(g: &Global, yes: bool, dry_run: bool, json: bool) -> Result<ExitCode> {
    let dir = store_dir(g)?;
    let keys = history::plaintext_keys_in_history(&dir)?;
    let list = |verb: &str| {
        if json {
            serde_json::json!({ verb: keys }).to_string()
        } else if keys.is_empty() {
            "no unencrypted private keys in history/".to_string()
        } else {
            let mut s = format!("{verb} ({}):\n", keys.len());
            for k in &keys {
                s.push_str(&format!("  {}\n", crate::text::escape_control(k)));
            }
            s
        }
    };
    if dry_run || keys.is_empty() {
        out(&list(if dry_run { "would_remove" } else { "removed" }));
        return Ok(ExitCode::SUCCESS);
    }
    if !yes {
        eprint!("{}", list("unencrypted private keys in history"));
        if !super::prompt::confirm(
            "remove them for good? undo of the plans that saved them stops working",
        )? {
            bail!("nothing removed");
        }
    }
    let store = WritableStore::open_wait(&dir, std::time::Duration::from_secs(10))?;
    super::write::say_recovered(&store);
    history::prune(&store, &keys)?;
    out(&list("removed"));
    Ok(ExitCode::SUCCESS)
}
