//! `certdeck history prune --plaintext-keys`: the one deletion certdeck makes, on request.

use std::process::ExitCode;

use anyhow::{bail, Result};
use certdeck::store::handle::WritableStore;
use certdeck::store::history;

use super::args::Global;
use crate::{out, store_dir};

pub(crate) fn prune(g: &Global, yes: bool, dry_run: bool, json: bool) -> Result<ExitCode> {
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
                s.push_str(&format!("  {}\n", certdeck::text::escape_control(k)));
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
        if !certdeck::cli::prompt::confirm(
            "remove them for good? undo of the plans that saved them stops working",
        )? {
            bail!("nothing removed");
        }
    }
    let store = WritableStore::open_wait(&dir, std::time::Duration::from_secs(10))?;
    super::apply::say_recovered(&store);
    history::prune(&store, &keys)?;
    out(&list("removed"));
    Ok(ExitCode::SUCCESS)
}
