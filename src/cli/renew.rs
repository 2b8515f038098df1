//! `certdeck renew SELECTOR`.

use std::process::ExitCode;

use anyhow::Result;

use super::global::Global;
use super::write::{apply_action, WriteArgs};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The certificate (path[#index], common name, or SHA-256 prefix); its key must be in the
    /// store, and its CA's key unless it is self-signed.
    pub selector: String,
    /// Validity in days [default: as long as the old one].
    #[arg(long)]
    pub days: Option<i64>,
    #[command(flatten)]
    pub write: WriteArgs,
}

pub fn run(g: &Global, a: Args) -> Result<ExitCode> {
    apply_action(g, &a.write, |ctx| {
        crate::actions::renew::renew(ctx, &a.selector, a.days).map(|r| r.plan)
    })
}
