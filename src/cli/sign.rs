//! `certdeck sign CSR --ca SELECTOR`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};

use super::global::Global;
use super::write::{apply_action, WriteArgs};
use crate::pki::issue::Profile;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The certificate signing request (PEM or DER).
    pub csr: PathBuf,
    /// The signing CA of the store (its key must be in the store).
    #[arg(long)]
    pub ca: String,
    /// server (default) or client.
    #[arg(long, default_value = "server")]
    pub profile: Profile,
    /// Validity in days.
    #[arg(long, default_value_t = 398)]
    pub days: i64,
    /// Store-relative output path (default: <cn>.pem).
    #[arg(long, help_heading = "Output")]
    pub out: Option<String>,
    #[command(flatten)]
    pub write: WriteArgs,
}

pub fn run(g: &Global, a: Args) -> Result<ExitCode> {
    let bytes =
        std::fs::read(&a.csr).with_context(|| format!("cannot read {}", a.csr.display()))?;
    apply_action(g, &a.write, |ctx| {
        crate::actions::sign_csr(ctx, &bytes, &a.ca, a.profile, a.days, a.out.as_deref())
    })
}
