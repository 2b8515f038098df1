//! `certdeck revoke SELECTOR`.

use std::process::ExitCode;

use anyhow::Result;

use super::global::Global;
use super::write::{trust_dir_action, TrustDirArgs, WriteArgs};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The certificate: a store path (#N for the Nth item of a file), common name or SHA-256 prefix.
    pub selector: String,
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
        |ctx, dir| crate::actions::revoke(ctx, &a.selector, dir),
    )
}
