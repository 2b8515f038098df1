//! `certdeck import FILE...`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};

use super::global::Global;
use super::write::{apply_action, passphrase_from_file, WriteArgs};
use crate::actions::{self, keyout::KeyPolicy, ImportArgs};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Files to import.
    pub files: Vec<PathBuf>,
    /// Directory inside the store for the files (default: the store root).
    #[arg(long, default_value = "", help_heading = "Output")]
    pub dir: String,
    /// Import a private key that matches no certificate.
    #[arg(long, help_heading = "Key")]
    pub allow_orphan_key: bool,
    /// Store encrypted keys (and PKCS#12 keys) unencrypted; without it they stay
    /// encrypted (or take --new-passphrase-file's passphrase).
    #[arg(long, help_heading = "Key")]
    pub decrypt: bool,
    #[command(flatten)]
    pub write: WriteArgs,
}

pub fn run(g: &Global, a: Args) -> Result<ExitCode> {
    let mut data = vec![];
    for f in &a.files {
        let bytes = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        data.push((name, bytes));
    }
    let args = ImportArgs {
        files: &data,
        dir: a.dir,
        allow_orphan_key: a.allow_orphan_key,
        keys: KeyPolicy {
            decrypt: a.decrypt,
            new_passphrase: a
                .write
                .new_passphrase_file
                .as_deref()
                .map(passphrase_from_file)
                .transpose()?,
        },
    };
    let w = &a.write;
    apply_action(g, w, |ctx| {
        let (plan, notes) = actions::import_noted(ctx, &args)?;
        if !w.dry_run {
            for n in &notes.warnings {
                eprintln!("certdeck: warning: {n}");
            }
        }
        Ok(plan)
    })
}
