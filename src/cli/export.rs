//! `certdeck export`: into the store through a Plan (`apply_action`), outside it as a new file
//! (`outfile`), the target decided once from the absolute path.

use std::path::PathBuf;
use std::process::ExitCode;

use super::global::{passphrases, scan_options, store_dir, Global};
use super::output::out;
use super::write::{apply_action, new_passphrase, passphrase_from_file, WriteArgs};
use crate::actions::export_to::{self, Target};
use crate::actions::keyout::KeyPolicy;
use crate::actions::{Ctx, ExportFormat};
use crate::store::plan::{CERT_MODE, SECRET_MODE};
use anyhow::{anyhow, Context, Result};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The certificate: a store path (#N for the Nth item of a file), common name or SHA-256 prefix.
    pub selector: String,
    /// pem, der, fullchain (leaf then its chain), cert+key, p12.
    #[arg(long)]
    pub format: ExportFormat,
    /// Output file: a new file (inside the store, a store change with history; outside,
    /// never an existing file unless --force).
    #[arg(long, help_heading = "Output")]
    pub out: PathBuf,
    /// PKCS#12 with RC2/3DES + SHA-1 MAC for old consumers.
    #[arg(long)]
    pub legacy: bool,
    /// Replace an existing file (outside the store: by rename, never through a symlink;
    /// inside: the old one goes to history). A private key of the store is never replaced.
    #[arg(long, help_heading = "Output")]
    pub force: bool,
    /// cert+key: write an encrypted key unencrypted (warned); without it it stays encrypted.
    #[arg(long, help_heading = "Key")]
    pub decrypt: bool,
    /// Passphrase for the written key (cert+key) or PKCS#12 [p12 default: --passphrase-file].
    #[arg(long, value_name = "FILE", help_heading = "Key")]
    pub new_passphrase_file: Option<PathBuf>,
    /// Inside the store: print the plan and change nothing.
    #[arg(long, help_heading = "Output")]
    pub dry_run: bool,
    /// Print what was written (or the plan) as JSON.
    #[arg(long, help_heading = "Output")]
    pub json: bool,
}

pub fn run(g: &Global, c: Args) -> Result<ExitCode> {
    let store = crate::store::handle::ReadOnlyStore::open(&store_dir(g)?)?;
    let cwd = std::env::current_dir().context("no current directory")?;
    let target = export_to::resolve(store.root(), &cwd, &c.out)?;
    let w = WriteArgs {
        dry_run: c.dry_run,
        json: c.json,
        wait: 10,
        new_passphrase_file: c.new_passphrase_file.clone(),
        reload: false,
    };
    let p12_pass = if c.format == ExportFormat::P12 {
        Some(new_passphrase(&WriteArgs {
            new_passphrase_file: c.new_passphrase_file.clone().or(g.passphrase_file.clone()),
            ..w.clone()
        })?)
    } else {
        None
    };
    let keys = KeyPolicy {
        decrypt: c.decrypt,
        new_passphrase: match (&c.new_passphrase_file, c.format) {
            (Some(f), ExportFormat::CertKey) => Some(passphrase_from_file(f)?),
            _ => None,
        },
    };
    let export = |ctx: &Ctx| {
        let e = crate::actions::export(
            ctx,
            &c.selector,
            c.format,
            p12_pass.as_ref(),
            c.legacy,
            &keys,
        )?;
        if !c.dry_run {
            for n in &e.notes.warnings {
                eprintln!("certdeck: warning: {n}");
            }
        }
        Ok::<_, anyhow::Error>(e)
    };
    match target {
        Target::InStore(rel) => apply_action(g, &w, |ctx| {
            let e = export(ctx)?;
            export_to::plan_in_store(ctx.inv, &rel, &e.name, e.bytes, e.secret, c.force)
        }),
        Target::Outside(path) => {
            let (opts, _) = scan_options(g)?;
            let inv = store.scan(&opts);
            let passphrases = passphrases(g)?;
            let ctx = Ctx {
                inv: &inv,
                passphrases: &passphrases,
                now: time::OffsetDateTime::now_utc(),
            };
            let e = export(&ctx)?;
            let mode = if e.secret { SECRET_MODE } else { CERT_MODE };
            if !c.dry_run {
                crate::outfile::write_file(&path, &e.bytes, mode, c.force)
                    .map_err(|err| anyhow!("cannot write {}: {err}", path.display()))?;
            }
            let verb = if c.dry_run { "would write" } else { "wrote" };
            out(&if c.json {
                serde_json::json!({
                    "exported": c.selector,
                    "out": path.display().to_string(),
                    "bytes": e.bytes.len(),
                    "mode": format!("{mode:04o}"),
                    "dry_run": c.dry_run,
                    "notes": e.notes.info,
                    "warnings": e.notes.warnings,
                })
                .to_string()
            } else {
                let mut s = format!(
                    "{verb} {} ({} bytes, mode {mode:04o})",
                    path.display(),
                    e.bytes.len()
                );
                for n in &e.notes.info {
                    s.push_str(&format!("\n  {n}"));
                }
                s
            });
            Ok(ExitCode::SUCCESS)
        }
    }
}
