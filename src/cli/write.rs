//! Writing commands: plan against the current inventory, show or apply it under the store's
//! lock, then say what the server needs (reload command or restart hint).

use std::process::ExitCode;

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use zeroize::Zeroizing;

use super::global::{passphrases, scan_options, store_dir, Global};
use super::output::out;
use crate::text::escape_control as esc;

/// What every writing command takes.
#[derive(clap::Args, Debug, Clone)]
#[command(next_help_heading = "Writing")]
pub struct WriteArgs {
    /// Print the plan and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print what was done (or planned) as JSON.
    #[arg(long)]
    pub json: bool,
    /// Seconds to wait for another certdeck holding the store lock.
    #[arg(long, default_value_t = 10)]
    pub wait: u64,
    /// File with the passphrase for what is written (encrypted keys, PKCS#12 export).
    #[arg(long, value_name = "FILE", help_heading = "Key")]
    pub new_passphrase_file: Option<PathBuf>,
    /// After applying, run the store's reload_command (from the config file) and show its output.
    #[arg(long)]
    pub reload: bool,
}

/// CERTDECK_NEW_PASSPHRASE, taken out of the environment at start (`take_env_passphrase`).
static ENV_PASSPHRASE: std::sync::OnceLock<Option<Zeroizing<String>>> = std::sync::OnceLock::new();

/// Read CERTDECK_NEW_PASSPHRASE once and remove it from our own environment, so no child
/// (a reload command, a pager) can read it from /proc/<our pid>/environ. Called first thing in
/// `main`, before any thread starts (`remove_var` is only sound single-threaded).
pub fn take_env_passphrase() {
    let v = scrub_env_value(b"CERTDECK_NEW_PASSPHRASE");
    std::env::remove_var("CERTDECK_NEW_PASSPHRASE");
    let _ = ENV_PASSPHRASE.set(v);
}

extern "C" {
    static mut environ: *mut *mut libc::c_char;
}

/// The value of `name`, overwritten with NULs where it lies. `remove_var` alone only unlinks
/// the entry from `environ`: the kernel's /proc/<pid>/environ shows the original block of
/// strings, which still holds the value.
fn scrub_env_value(name: &[u8]) -> Option<Zeroizing<String>> {
    let mut found = None;
    // SAFETY: called first in `main`, before any thread exists, so nothing reads or changes
    // the environment meanwhile; `environ` is a NULL-terminated array of NUL-terminated
    // strings that are writable (process stack or libc's heap copies); only the bytes before
    // each string's NUL are written.
    unsafe {
        let mut p = environ;
        if p.is_null() {
            return None;
        }
        while !(*p).is_null() {
            let s = *p;
            let bytes = std::ffi::CStr::from_ptr(s).to_bytes();
            if bytes.len() > name.len() && bytes.starts_with(name) && bytes[name.len()] == b'=' {
                let val = &bytes[name.len() + 1..];
                found = Some(Zeroizing::new(String::from_utf8_lossy(val).into_owned()));
                let start = s.add(name.len() + 1);
                for i in 0..val.len() {
                    std::ptr::write_volatile(start.add(i), 0);
                }
            }
            p = p.add(1);
        }
    }
    found
}

/// Whether CERTDECK_NEW_PASSPHRASE was set when certdeck started.
pub fn env_passphrase_given() -> bool {
    ENV_PASSPHRASE.get().is_some_and(Option::is_some)
}

/// The first line of a passphrase file.
pub fn passphrase_from_file(f: &std::path::Path) -> Result<Zeroizing<String>> {
    let raw = Zeroizing::new(
        std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?,
    );
    Ok(Zeroizing::new(raw.lines().next().unwrap_or("").to_string()))
}

/// The passphrase protecting something we write: a file, or CERTDECK_NEW_PASSPHRASE.
pub fn new_passphrase(w: &WriteArgs) -> Result<Zeroizing<String>> {
    if let Some(f) = &w.new_passphrase_file {
        return passphrase_from_file(f);
    }
    if let Some(Some(p)) = ENV_PASSPHRASE.get() {
        return Ok(p.clone());
    }
    // Interactive: ask on the terminal, twice, echo off.
    super::prompt::passphrase("new passphrase: ", true).context(
        "a passphrase is needed: --new-passphrase-file FILE, CERTDECK_NEW_PASSPHRASE, or a terminal to ask on",
    )
}

/// Build a plan from a fresh inventory, then print it (--dry-run, read-only handle) or apply it
/// under the store lock.
pub fn apply_action(
    g: &Global,
    w: &WriteArgs,
    build: impl Fn(&crate::actions::Ctx) -> Result<crate::store::plan::Plan>,
) -> Result<ExitCode> {
    let (opts, servers) = scan_options(g)?;
    let passphrases = passphrases(g)?;
    let dir = store_dir(g)?;
    let now = time::OffsetDateTime::now_utc();
    // The same for a dry run and a real one: the action's plan, checked against the layout.
    let plan_on = |inv: &crate::store::inventory::Inventory| {
        let ctx = crate::actions::Ctx {
            inv,
            passphrases: &passphrases,
            now,
        };
        let plan = build(&ctx)?;
        crate::store::layout::check_plan(&dir, &plan).map_err(|e| anyhow::anyhow!(e))?;
        Ok::<_, anyhow::Error>(plan)
    };
    // Plan on a read-only scan first: a plan the layout refuses (certbot's tree) or the action
    // rejects fails here, before `.certdeck.lock` exists, so a refusal leaves nothing behind.
    let ro = crate::store::handle::ReadOnlyStore::open(&dir)?;
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
    // `--read-only` was refused before any command ran (`cli::read_only`).
    drop(ro);
    let store = crate::store::handle::WritableStore::open_wait(
        &dir,
        std::time::Duration::from_secs(w.wait),
    )?;
    say_recovered(&store);
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
    after_apply(g, w, &servers, &touched, store.root())
}

/// What opening the store rolled back or skipped, as lines for a person.
pub fn recovery_text(r: &crate::store::history::RecoverReport) -> String {
    let mut s = String::new();
    for id in &r.rolled_back {
        s.push_str(&format!(
            "rolled back interrupted change {} (journaled; see history/journal.jsonl)\n",
            esc(id)
        ));
    }
    for n in &r.notes {
        s.push_str(&format!("journal: {}\n", esc(n)));
    }
    s.trim_end().to_string()
}

/// A write command that first rolled back an interrupted plan (real or planted) says so on
/// stderr, so the admin learns the store was changed before their command ran.
pub fn say_recovered(store: &crate::store::handle::WritableStore) {
    let r = store.recovered();
    if !r.is_empty() {
        for line in recovery_text(r).lines() {
            eprintln!("certdeck: {line}");
        }
    }
}

/// The two scans found the same files with the same contents (certificates, CRLs, CSRs by
/// DER; keys by public key and mode; errors by message; links).
fn same_content(
    a: &crate::store::inventory::Inventory,
    b: &crate::store::inventory::Inventory,
) -> bool {
    use crate::pki::Detail;
    let key = |it: &crate::pki::Item| match &it.detail {
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
pub fn after_apply(
    g: &Global,
    w: &WriteArgs,
    servers: &[crate::servers::ServerConfig],
    touched: &[String],
    root: &std::path::Path,
) -> Result<ExitCode> {
    let affected = crate::serving::affected(servers, touched, root);
    let say = |s: &str| {
        if w.json {
            eprintln!("{s}");
        } else {
            out(s);
        }
    };
    match &g.reload_command {
        Some(cmd) if w.reload => {
            say(&format!("reload: {}", esc(cmd)));
            let r = crate::servers::reload::run(cmd, std::time::Duration::from_secs(120))?;
            if !r.output.is_empty() {
                // The command's own lines stay lines; what is inside each is escaped.
                let lines: Vec<_> = r.output.trim_end().lines().map(esc).collect();
                say(&lines.join("\n"));
            }
            if !r.success {
                bail!(
                    "the change is applied, but the reload command failed ({})",
                    r.status
                );
            }
        }
        Some(cmd) => say(&format!("reload with: {}   (or pass --reload)", esc(cmd))),
        None => {
            if w.reload {
                eprintln!(
                    "certdeck: --reload: this store has no reload_command in the config file"
                );
            }
            for (server, why) in &affected {
                say(&format!(
                    "restart {} for this to take effect ({})",
                    esc(server),
                    esc(why)
                ));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The trust dir and bundle options of trust and revoke.
#[derive(clap::Args, Debug, Clone)]
pub struct TrustDirArgs {
    /// Trust dir [default: the config's trust_dir, else trusted].
    #[arg(long)]
    pub dir: Option<String>,
    /// CA bundle file (store-relative) to keep in step with the trust dir.
    #[arg(long)]
    pub bundle: Option<String>,
}

/// trust / revoke / rehash: resolve the trust dir and bundle (flag, then config), build the plan
/// and keep the bundle in step.
pub fn trust_dir_action(
    g: &Global,
    w: &WriteArgs,
    dir: Option<String>,
    bundle: Option<String>,
    build: impl Fn(&crate::actions::Ctx, &str) -> Result<crate::store::plan::Plan>,
) -> Result<ExitCode> {
    let dir = g.trust_dir(dir);
    crate::actions::check_store_arg("--dir", &dir)?;
    let bundle = bundle.or(g.trust_bundle.clone());
    if let Some(b) = &bundle {
        crate::actions::check_store_arg("--bundle", b)?;
    }
    apply_action(g, w, |ctx| {
        let plan = build(ctx, &dir)?;
        crate::actions::with_bundle(ctx, plan, &dir, bundle.as_deref())
    })
}
