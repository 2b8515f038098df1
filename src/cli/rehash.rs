//! `certdeck rehash [DIR]`.

use std::process::ExitCode;

use anyhow::Result;

use super::global::Global;
use super::write::{trust_dir_action, WriteArgs};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Trust dir [default: the config's trust_dir, else trusted].
    pub dir: Option<String>,
    /// CA bundle file (store-relative) to keep in step with the trust dir.
    #[arg(long)]
    pub bundle: Option<String>,
    #[command(flatten)]
    pub write: WriteArgs,
}

pub fn run(g: &Global, a: Args) -> Result<ExitCode> {
    trust_dir_action(g, &a.write, a.dir, a.bundle, crate::actions::rehash)
}
