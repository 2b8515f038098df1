//! certdeck: argument parsing and dispatch. All logic lives in the library.

mod cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Parser;
use zeroize::Zeroizing;

use certdeck::cli;
use certdeck::store::inventory::Inventory;
use certdeck::store::scan::{scan, ScanOptions};
use certdeck::store::select;
use certdeck::text::escape_control as esc;
use cmd::apply::{apply_action, new_passphrase, trust_dir_action};
use cmd::args::*;
use cmd::{audit::audit, keystore::keystore_cmd, probe::probe, tui::run_tui};

/// mimalloc: a scan makes millions of small allocations from several threads; glibc's malloc
/// spent a tenth of a 10,000-file `list` in malloc/free and kept freed memory mapped.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Arenas committed on use, not eagerly: a few MB less peak RSS at no measurable cost.
/// (Purging freed memory at once, `mi_option_purge_delay` 0, saves ~15 MB more on 100,000
/// items but made a 10,000-file `list` ~20 % slower in an A/B of 40 runs: not taken.)
fn tune_allocator() {
    // Option number from the bundled mimalloc v2 `mimalloc.h` (`mi_option_e`); the Rust
    // bindings do not name it.
    const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
    // SAFETY: setting a documented option of the allocator in use; no memory is touched.
    unsafe {
        libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0);
    }
}

fn main() -> ExitCode {
    // First, while the process has one thread: nothing later (reload children) may find it.
    cmd::apply::take_env_passphrase();
    tune_allocator();
    certdeck::timing::init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("certdeck: {}", error_text(&e));
            ExitCode::from(2)
        }
    }
}

/// Errors quote store names and paths: shown escaped, as one line, nothing a terminal acts on.
/// A selector's candidate list is the one message meant as several lines.
fn error_text(e: &anyhow::Error) -> String {
    match e.downcast_ref::<select::SelectError>() {
        Some(s) if e.chain().count() == 1 => s.escaped(),
        _ => esc(&format!("{e:#}")).into_owned(),
    }
}

/// Print to stdout; a closed pipe (`certdeck list | head`) is not an error.
fn out(s: &str) {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(s.as_bytes());
    if !s.ends_with('\n') {
        let _ = o.write_all(b"\n");
    }
    let _ = o.flush();
}

fn scan_options(g: &Global) -> Result<ScanOptions> {
    let mut opts = ScanOptions::default();
    opts.analyze.warn_days = g.warn();
    opts.analyze.system_trust = g.system_trust;
    opts.decode.warn_days = g.warn();
    opts.servers =
        certdeck::servers::load_all(&g.server_config).context("cannot read server config")?;
    if let Some(f) = &g.passphrase_file {
        let raw = Zeroizing::new(
            std::fs::read_to_string(f)
                .with_context(|| format!("cannot read passphrase file {}", f.display()))?,
        );
        let line = Zeroizing::new(raw.lines().next().unwrap_or("").to_string());
        opts.decode.passphrases.push(line);
    }
    Ok(opts)
}

fn store_dir(g: &Global) -> Result<PathBuf> {
    let dir = match &g.store {
        Some(s) => s.clone(),
        None => std::env::current_dir()?,
    };
    if !dir.is_dir() {
        bail!("store {} is not a directory", dir.display());
    }
    Ok(dir)
}

fn load(g: &Global) -> Result<Inventory> {
    load_with(g, |_| {})
}

/// Scan with the global options, adjusted by the subcommand.
fn load_with(g: &Global, adjust: impl FnOnce(&mut ScanOptions)) -> Result<Inventory> {
    let dir = store_dir(g)?;
    let mut opts = scan_options(g)?;
    adjust(&mut opts);
    Ok(scan(&dir, &opts))
}

/// Apply the config file: `--store NAME`, default store, and the store's settings where the
/// command line does not set them.
fn resolve_config(g: &mut Global) -> Result<()> {
    let cfg = certdeck::config::load_optional(g.config.as_deref()).context("config file")?;
    let sel = cfg.select(g.store.as_deref());
    if let Some(dir) = sel.dir {
        g.store = Some(dir);
    }
    if let Some(s) = sel.store {
        g.server_config.extend(s.server_configs.iter().cloned());
        if let Some(layout) = s.layout {
            if s.server_configs.is_empty() {
                g.server_config
                    .extend(layout.implied_server_configs(&s.path));
            }
            if s.trust_dir.is_none() {
                g.trust_dir = layout.default_trust_dir().map(str::to_string);
            }
        }
        g.warn_days = g.warn_days.or(s.warn_days);
        g.crit_days = s.crit_days;
        if s.trust_dir.is_some() {
            g.trust_dir = s.trust_dir;
        }
        g.trust_bundle = s.trust_bundle;
        g.reload_command = s.reload_command;
    }
    g.warn_days = g.warn_days.or(cfg.warn_days);
    g.crit_days = g.crit_days.or(cfg.crit_days);
    for s in &cfg.safe_stores {
        certdeck::store::history::allow_foreign_history(s);
    }
    if g.safe_store {
        if let Some(s) = &g.store {
            certdeck::store::history::allow_foreign_history(s);
        }
    }
    Ok(())
}

fn run(cli: Cli) -> Result<ExitCode> {
    let mut g = cli.global;
    if g.read_only {
        if let Some(what) = cli.command.as_ref().and_then(cmd::writes::writes) {
            bail!("read-only: `{what}` writes; refused (without --read-only it would write)");
        }
    }
    if let Err(e) = resolve_config(&mut g) {
        if let Some(Command::Audit { json, .. }) = &cli.command {
            // Monitoring reads exit 3 as UNKNOWN.
            if *json {
                out(&serde_json::json!({"status": "UNKNOWN", "exit_code": 3, "error": format!("{e:#}")}).to_string());
            } else {
                out(&format!("CERTDECK UNKNOWN - {}", esc(&format!("{e:#}"))));
            }
            return Ok(ExitCode::from(3));
        }
        return Err(e);
    }
    match cli.command {
        Some(Command::List { json, no_verify }) => {
            let inv = load_with(&g, |o| o.analyze.verify_signatures = !no_verify)?;
            if json {
                // A closed pipe (`| head`) is not an error.
                use std::io::IsTerminal;
                let stdout = std::io::stdout();
                let pretty = stdout.is_terminal();
                let _ = cli::list::write_json(&inv, stdout.lock(), pretty);
                certdeck::timing::mark("json");
            } else {
                out(&cli::list::to_table(&inv));
            }
            // 100,000 items hold millions of small allocations; the process exit returns them
            // all at once, freeing them one by one first would only delay the prompt.
            std::mem::forget(inv);
        }
        Some(Command::Show { selector, json }) => {
            let inv = load(&g)?;
            let it = select::resolve_one(&inv, &selector)?;
            if json {
                out(&cli::show::to_json(&inv.store, it));
            } else {
                out(&cli::show::to_text(it));
            }
        }
        Some(Command::Audit {
            json,
            prometheus,
            crit_days,
            no_system_trust,
        }) => {
            let crit = crit_days.or(g.crit_days).unwrap_or(7);
            return Ok(audit(&g, json, prometheus, crit, no_system_trust));
        }
        Some(Command::Probe {
            target,
            servername,
            json,
            timeout,
        }) => return probe(&g, &target, servername.as_deref(), json, timeout),
        Some(Command::Generate {
            kind: certdeck::actions::GenKind::Dhparam,
            bits,
            out,
            write,
            ..
        }) => {
            return apply_action(&g, &write, |ctx| {
                certdeck::actions::keyfile::dhparam(ctx, bits, out.as_deref())
            });
        }
        Some(Command::Generate {
            kind,
            subject,
            key_type,
            sans,
            days,
            ca,
            dir,
            encrypt_key,
            path_len,
            replace,
            write,
            ..
        }) => {
            let encrypt = if encrypt_key {
                Some(new_passphrase(&write)?)
            } else {
                None
            };
            let args = certdeck::actions::GenerateArgs {
                kind,
                key_type,
                subject: subject.into_spec(),
                sans,
                days,
                ca,
                dir,
                encrypt_key: encrypt,
                path_len,
                replace,
            };
            return apply_action(&g, &write, |ctx| certdeck::actions::generate(ctx, &args));
        }
        Some(Command::Sign {
            csr,
            ca,
            profile,
            days,
            out,
            write,
        }) => {
            let bytes =
                std::fs::read(&csr).with_context(|| format!("cannot read {}", csr.display()))?;
            return apply_action(&g, &write, |ctx| {
                certdeck::actions::sign_csr(ctx, &bytes, &ca, profile, days, out.as_deref())
            });
        }
        Some(Command::Import {
            files,
            dir,
            allow_orphan_key,
            decrypt,
            write,
        }) => {
            let mut data = vec![];
            for f in &files {
                let bytes =
                    std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
                let name = f
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                data.push((name, bytes));
            }
            let args = certdeck::actions::ImportArgs {
                files: &data,
                dir,
                allow_orphan_key,
                keys: certdeck::actions::keyout::KeyPolicy {
                    decrypt,
                    new_passphrase: write
                        .new_passphrase_file
                        .as_deref()
                        .map(cmd::apply::passphrase_from_file)
                        .transpose()?,
                },
            };
            return apply_action(&g, &write, |ctx| {
                let (plan, notes) = certdeck::actions::import_noted(ctx, &args)?;
                if !write.dry_run {
                    for w in &notes.warnings {
                        eprintln!("certdeck: warning: {w}");
                    }
                }
                Ok(plan)
            });
        }
        Some(Command::ReplaceCert {
            cert,
            key,
            site,
            write,
        }) => {
            let cert_bytes =
                std::fs::read(&cert).with_context(|| format!("cannot read {}", cert.display()))?;
            let key_bytes = Zeroizing::new(
                std::fs::read(&key).with_context(|| format!("cannot read {}", key.display()))?,
            );
            let servers = scan_options(&g)?.servers;
            return apply_action(&g, &write, |ctx| {
                certdeck::actions::servercert::replace_server_cert(
                    ctx,
                    &certdeck::actions::servercert::ReplaceArgs {
                        servers: &servers,
                        site: site.as_deref(),
                        cert: &cert_bytes,
                        key: key_bytes.clone(),
                    },
                )
            });
        }
        Some(Command::Trust {
            selector,
            dir,
            force,
            bundle,
            write,
        }) => {
            return trust_dir_action(&g, &write, dir, bundle, |ctx, dir| {
                if force {
                    if let Some(w) = certdeck::actions::revoked_warning(ctx.inv, &selector) {
                        eprintln!("warning: {w}");
                    }
                }
                certdeck::actions::trust_opts(ctx, &selector, dir, force)
            })
        }
        Some(Command::Revoke {
            selector,
            dir,
            bundle,
            write,
        }) => {
            return trust_dir_action(&g, &write, dir, bundle, |ctx, dir| {
                certdeck::actions::revoke(ctx, &selector, dir)
            })
        }
        Some(Command::Rehash { dir, bundle, write }) => {
            return trust_dir_action(&g, &write, dir, bundle, certdeck::actions::rehash)
        }
        Some(Command::Export {
            selector,
            format,
            out: out_path,
            legacy,
            force,
            decrypt,
            new_passphrase_file,
            dry_run,
            json,
        }) => {
            return cmd::export::export_cmd(
                &g,
                &cmd::export::ExportCmd {
                    selector,
                    format,
                    out: out_path,
                    legacy,
                    force,
                    decrypt,
                    new_passphrase_file,
                    dry_run,
                    json,
                },
            );
        }
        Some(Command::Recover { json }) => {
            let store = certdeck::store::handle::WritableStore::open_wait(
                &store_dir(&g)?,
                std::time::Duration::from_secs(10),
            )?;
            let r = store.recovered();
            out(&if json {
                serde_json::to_string_pretty(r)?
            } else if r.is_empty() {
                "nothing to recover".to_string()
            } else {
                cmd::apply::recovery_text(r)
            });
        }
        Some(Command::Undo { json }) => {
            let store = certdeck::store::handle::WritableStore::open_wait(
                &store_dir(&g)?,
                std::time::Duration::from_secs(10),
            )?;
            cmd::apply::say_recovered(&store);
            let r = store.undo()?;
            out(&if json {
                serde_json::to_string_pretty(&r)?
            } else {
                format!("undone: {} ({})", esc(&r.undone_action), esc(&r.undone_id))
            });
        }
        Some(Command::History {
            cmd:
                HistoryCmd::Prune {
                    plaintext_keys: _,
                    yes,
                    dry_run,
                    json,
                },
        }) => return cmd::history::prune(&g, yes, dry_run, json),
        Some(Command::Keystore { cmd }) => return keystore_cmd(&g, cmd),
        Some(Command::Key { cmd }) => {
            use certdeck::actions::keyfile::{key_passphrase, KeyPassOp};
            let (selector, write, op) = match cmd {
                KeyCmd::Passwd { selector, write } => (selector, write, KeyPassOp::Passwd),
                KeyCmd::Encrypt { selector, write } => (selector, write, KeyPassOp::Encrypt),
                KeyCmd::Decrypt { selector, write } => (selector, write, KeyPassOp::Decrypt),
            };
            let new = if op == KeyPassOp::Decrypt {
                None
            } else {
                Some(new_passphrase(&write)?)
            };
            if op == KeyPassOp::Encrypt && !write.dry_run {
                eprintln!(
                    "certdeck: note: the unencrypted key is kept in history/ (undo needs it); \
                     remove it for good with `certdeck history prune --plaintext-keys`"
                );
            }
            if op == KeyPassOp::Decrypt && !write.dry_run {
                eprintln!(
                    "certdeck: warning: the key will be stored unencrypted (mode 0600); anyone who can read the file has the key"
                );
            }
            return apply_action(&g, &write, |ctx| {
                key_passphrase(ctx, &selector, op, new.as_ref())
            });
        }
        Some(Command::Demo { dir, no_tui }) => {
            let dir =
                certdeck::demo::create_demo_dir(dir.as_deref(), time::OffsetDateTime::now_utc())?;
            if no_tui {
                println!("{}", esc(&dir.display().to_string()));
            } else {
                let g = Global {
                    store: Some(dir),
                    ..g
                };
                return run_tui(&g);
            }
        }
        None => return run_tui(&g),
    }
    Ok(ExitCode::SUCCESS)
}

/// A FILE argument as a store-relative path (absolute paths must be inside the store).
fn store_rel(g: &Global, file: &str) -> Result<String> {
    if let Some(c) = file.chars().find(|c| c.is_control()) {
        bail!("{}: holds the control character {c:?}", file.escape_debug());
    }
    let p = std::path::Path::new(file);
    if p.is_absolute() {
        let dir = store_dir(g)?;
        let dir = dir.canonicalize().unwrap_or(dir);
        let rel = p
            .strip_prefix(&dir)
            .with_context(|| format!("{file} is not inside the store {}", dir.display()))?;
        return Ok(rel.to_string_lossy().into_owned());
    }
    Ok(file.trim_start_matches("./").to_string())
}
