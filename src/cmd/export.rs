//! `certdeck export`: into the store through a Plan (`apply_action`), outside it as a new file
//! (`outfile`), the target decided once from the absolute path.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, Context, Result};
use certdeck::actions::export_to::{self, Target};
use certdeck::actions::keyout::KeyPolicy;
use certdeck::actions::{Ctx, ExportFormat};
use certdeck::store::plan::{CERT_MODE, SECRET_MODE};

use super::apply::{apply_action, new_passphrase, passphrase_from_file};
use super::args::{Global, WriteArgs};
use crate::{out, scan_options, store_dir};

pub(crate) struct ExportCmd {
    pub(crate) selector: String,
    pub(crate) format: ExportFormat,
    pub(crate) out: PathBuf,
    pub(crate) legacy: bool,
    pub(crate) force: bool,
    pub(crate) decrypt: bool,
    pub(crate) new_passphrase_file: Option<PathBuf>,
    pub(crate) dry_run: bool,
    pub(crate) json: bool,
}

pub(crate) fn export_cmd(g: &Global, c: &ExportCmd) -> Result<ExitCode> {
    let store = certdeck::store::handle::ReadOnlyStore::open(&store_dir(g)?)?;
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
        let e = certdeck::actions::export(
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
            let opts = scan_options(g)?;
            let inv = store.scan(&opts);
            let ctx = Ctx {
                inv: &inv,
                passphrases: &opts.decode.passphrases,
                now: time::OffsetDateTime::now_utc(),
            };
            let e = export(&ctx)?;
            let mode = if e.secret { SECRET_MODE } else { CERT_MODE };
            if !c.dry_run {
                certdeck::outfile::write_file(&path, &e.bytes, mode, c.force)
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
