//! `certdeck trust SELECTOR`.

use std::process::ExitCode;

use anyhow::Result;

use super::global::Global;
use super::write::{trust_dir_action, TrustDirArgs, WriteArgs};
use crate::actions;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The certificate: a store path (#N for the Nth item of a file), common name or SHA-256 prefix.
    pub selector: String,
    /// Trust it even when a CRL in the store revokes it.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub trust_dir: TrustDirArgs,
    #[command(flatten)]
    pub write: WriteArgs,
}

pub fn run(g: &Global, a: Args) -> Result<ExitCode> {
    trust_dir_action(
        g,
        &a.write,
        a.trust_dir.dir,
        a.trust_dir.bundle,
        |ctx, dir| {
            if a.force {
                if let Some(w) = actions::revoked_warning(ctx.inv, &a.selector) {
                    eprintln!("warning: {w}");
                }
            }
            actions::trust_opts(ctx, &a.selector, dir, a.force)
        },
    )
}
