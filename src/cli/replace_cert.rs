//! `certdeck replace-cert --cert F --key F [--site S]`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use zeroize::Zeroizing;

use super::global::{servers, Global};
use super::write::{apply_action, WriteArgs};
use crate::actions::replace_cert::{replace_server_cert, ReplaceArgs};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// New certificate file (leaf first, then chain).
    #[arg(long)]
    pub cert: PathBuf,
    /// New private key file.
    #[arg(long, help_heading = "Key")]
    pub key: PathBuf,
    /// Part of the site name when the configs name several (e.g. api.example.com).
    #[arg(long)]
    pub site: Option<String>,
    #[command(flatten)]
    pub write: WriteArgs,
}

pub fn run(g: &Global, a: Args) -> Result<ExitCode> {
    let cert =
        std::fs::read(&a.cert).with_context(|| format!("cannot read {}", a.cert.display()))?;
    let key = Zeroizing::new(
        std::fs::read(&a.key).with_context(|| format!("cannot read {}", a.key.display()))?,
    );
    let servers = servers(g)?;
    apply_action(g, &a.write, |ctx| {
        replace_server_cert(
            ctx,
            &ReplaceArgs {
                servers: &servers,
                site: a.site.as_deref(),
                cert: &cert,
                key: key.clone(),
            },
        )
    })
}
