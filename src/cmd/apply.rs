//! Writing commands: plan against the current inventory, show or apply it under the store's
//! lock, then say what the server needs (reload command or restart hint).

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use certdeck::cli;
use zeroize::Zeroizing;

use super::args::{Global, WriteArgs};
use crate::{out, scan_options, store_dir};

/// The passphrase protecting something we write: a file, or CERTDECK_NEW_PASSPHRASE.
pub(crate) fn new_passphrase(w: &WriteArgs) -> Result<Zeroizing<String>> {
    if let Some(f) = &w.new_passphrase_file {
        let raw = Zeroizing::new(
            std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?,
        );
        return Ok(Zeroizing::new(raw.lines().next().unwrap_or("").to_string()));
    }
    if let Ok(p) = std::env::var("CERTDECK_NEW_PASSPHRASE") {
        return Ok(Zeroizing::new(p));
    }
    // Interactive: ask on the terminal, twice, echo off.
    cli::prompt::passphrase("new passphrase: ", true).context(
        "a passphrase is needed: --new-passphrase-file FILE, CERTDECK_NEW_PASSPHRASE, or a terminal to ask on",
    )
}

/// Build a plan from a fresh inventory, then print it (--dry-run, read-only handle) or apply it
/// under the store lock.
pub(crate) fn apply_action(
    g: &Global,
    w: &WriteArgs,
    build: impl Fn(&certdeck::actions::Ctx) -> Result<certdeck::store::plan::Plan>,
) -> Result<ExitCode> {
    let opts = scan_options(g)?;
    let dir = store_dir(g)?;
    let now = time::OffsetDateTime::now_utc();
    // The same for a dry run and a real one: the action's plan, checked against the layout.
    let plan_on = |inv: &certdeck::store::inventory::Inventory| {
        let ctx = certdeck::actions::Ctx {
            inv,
            passphrases: &opts.decode.passphrases,
            now,
        };
        let plan = build(&ctx)?;
        certdeck::store::layout::check_plan(&dir, &plan).map_err(|e| anyhow::anyhow!(e))?;
        Ok::<_, anyhow::Error>(plan)
    };
    // Plan on a read-only scan first: a plan the layout refuses (certbot's tree) or the action
    // rejects fails here, before `.certdeck.lock` exists, so a refusal leaves nothing behind.
    let ro = certdeck::store::handle::ReadOnlyStore::open(&dir)?;
    let planned_on = ro.scan(&opts);
    let plan = plan_on(&planned_on)?;
    if w.dry_run {
        out(&if w.json {
            serde_json::to_string_pretty(
                &serde_json::json!({"dry_run": true, "action": plan.action, "ops": plan.preview(ro.root())}),
            )?
        } else {
            format!(
                "dry run, nothing changed:\n{}",
                plan.preview_text(ro.root())
            )
        });
        return Ok(ExitCode::SUCCESS);
    }
    if g.read_only {
        bail!("read-only: this command changes the store (use --dry-run to see the plan)");
    }
    drop(ro);
    let store = certdeck::store::handle::WritableStore::open_wait(
        &dir,
        std::time::Duration::from_secs(w.wait),
    )?;
    if store.waited() > std::time::Duration::from_millis(100) {
        eprintln!(
            "certdeck: waited {:.1}s for another certdeck to release the store",
            store.waited().as_secs_f64()
        );
    }
    // The plan stands only for the store it was made on: when another certdeck applied while
    // we waited, plan again on the store as it is now, under the lock (rare: a new key then
    // costs its generation twice).
    let inv = store.scan(&opts);
    let plan = if same_content(&planned_on, &inv) {
        plan
    } else {
        plan_on(&inv)?
    };
    // Describe the plan against the store as it was, not as it is after applying.
    let preview = plan.preview_text(store.root());
    let report = store.apply(&plan)?;
    out(&if w.json {
        serde_json::to_string_pretty(&report)?
    } else {
        preview
    });
    let touched: Vec<String> = plan
        .ordered()
        .iter()
        .map(|op| op.path().to_string())
        .collect();
    after_apply(g, w, &opts.servers, &touched, store.root())
}

/// The two scans found the same files with the same contents (certificates, CRLs, CSRs by
/// DER; keys by public key and mode; errors by message; links).
fn same_content(
    a: &certdeck::store::inventory::Inventory,
    b: &certdeck::store::inventory::Inventory,
) -> bool {
    use certdeck::pki::Detail;
    let key = |it: &certdeck::pki::Item| match &it.detail {
        Detail::PrivateKey(k) => (k.public_bits.clone(), k.mode.clone()),
        _ => (None, None),
    };
    a.items.len() == b.items.len()
        && a.items.iter().zip(&b.items).all(|(x, y)| {
            x.path == y.path
                && x.index == y.index
                && x.kind == y.kind
                && x.error == y.error
                && x.links == y.links
                && x.der == y.der
                && key(x) == key(y)
        })
}

/// After a change: run the reload command (--reload), or say how to make the server see it.
pub(crate) fn after_apply(
    g: &Global,
    w: &WriteArgs,
    servers: &[certdeck::servers::ServerConfig],
    touched: &[String],
    root: &std::path::Path,
) -> Result<ExitCode> {
    let affected = certdeck::servers::affected(servers, touched, root);
    let say = |s: &str| {
        if w.json {
            eprintln!("{s}");
        } else {
            out(s);
        }
    };
    match &g.reload_command {
        Some(cmd) if w.reload => {
            say(&format!("reload: {cmd}"));
            let r = certdeck::servers::reload::run(cmd, std::time::Duration::from_secs(120))?;
            if !r.output.is_empty() {
                say(r.output.trim_end());
            }
            if !r.success {
                bail!(
                    "the change is applied, but the reload command failed ({})",
                    r.status
                );
            }
        }
        Some(cmd) => say(&format!("reload with: {cmd}   (or pass --reload)")),
        None => {
            if w.reload {
                eprintln!(
                    "certdeck: --reload: this store has no reload_command in the config file"
                );
            }
            for (server, why) in &affected {
                say(&format!("restart {server} for this to take effect ({why})"));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// trust / revoke / rehash: resolve the trust dir and bundle (flag, then config), build the plan
/// and keep the bundle in step.
pub(crate) fn trust_dir_action(
    g: &Global,
    w: &WriteArgs,
    dir: Option<String>,
    bundle: Option<String>,
    build: impl Fn(&certdeck::actions::Ctx, &str) -> Result<certdeck::store::plan::Plan>,
) -> Result<ExitCode> {
    let dir = g.trust_dir(dir);
    let bundle = bundle.or(g.trust_bundle.clone());
    apply_action(g, w, |ctx| {
        let plan = build(ctx, &dir)?;
        certdeck::actions::with_bundle(ctx, plan, &dir, bundle.as_deref())
    })
}

/// Exports go outside the store: still atomic, and 0600 from the first byte when secret.
pub(crate) fn write_export(path: &std::path::Path, bytes: &[u8], secret: bool) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let tmp = dir.join(format!(".certdeck-tmp-export-{}", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(if secret { 0o600 } else { 0o644 })
        .custom_flags(libc::O_NOFOLLOW)
        .open(&tmp)
        .with_context(|| format!("cannot create {}", tmp.display()))?;
    let r = f
        .write_all(bytes)
        .and_then(|_| f.sync_all())
        .and_then(|_| std::fs::rename(&tmp, path));
    if let Err(e) = r {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", path.display()));
    }
    Ok(())
}
