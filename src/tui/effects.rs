//! The blocking side of the TUI's changes: turning an `ActionRequest` into something to confirm
//! (`Prepared`) and carrying it out. `tui::run` calls `execute` on a background thread; tests call
//! it directly, without a terminal. All the real work is `actions` and `store::handle`; this file
//! only translates.

use super::app::{Effect, Msg};
use crate::actions::{self, Ctx, ExportFormat, GenerateArgs, ImportArgs};
use crate::store::handle::WritableStore;
use crate::store::history;
use crate::store::inventory::Inventory;
use crate::store::plan::{Plan, CERT_MODE, SECRET_MODE};
use crate::store::watch::Change;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use zeroize::Zeroizing;

/// What the user asked for, with everything the action needs except the inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionRequest {
    /// Not a change: handled as `Effect::Probe`, never built into a plan.
    Probe {
        target: String,
    },
    /// Run the store's reload command so the server picks up a change.
    Reload,
    /// Boxed: the arguments are large next to the other requests.
    Generate(Box<GenerateArgs>),
    /// `sel` is the certificate's sha256 (a valid selector, unambiguous).
    Trust {
        sel: String,
        dir: String,
    },
    Revoke {
        sel: String,
        dir: String,
    },
    Rehash {
        dir: String,
    },
    Import {
        files: Vec<PathBuf>,
        dir: String,
    },
    Export {
        sel: String,
        format: ExportFormat,
        out: PathBuf,
    },
    Undo,
}

impl ActionRequest {
    /// Spinner text while the plan is being built.
    pub fn busy_label(&self) -> String {
        match self {
            ActionRequest::Generate(a) => format!("generating key ({})", a.key_type),
            ActionRequest::Trust { .. } => "planning trust".into(),
            ActionRequest::Revoke { .. } => "planning revoke".into(),
            ActionRequest::Rehash { dir } => format!("planning rehash of {dir}"),
            ActionRequest::Import { .. } => "reading files to import".into(),
            ActionRequest::Export { .. } => "preparing export".into(),
            ActionRequest::Undo => "planning undo".into(),
            ActionRequest::Reload => "preparing reload".into(),
            ActionRequest::Probe { target } => format!("probing {target}"),
        }
    }
}

/// What `y` will do once confirmed.
#[derive(Debug)]
pub enum Work {
    /// A store change; applied under the store lock.
    Plan(Plan),
    /// Reverse the last applied plan (the lines show its inverse as of now).
    Undo,
    /// Run this reload command and show its output.
    Reload(String),
    /// An export goes outside the store: a new file, never an existing one.
    Export {
        out: PathBuf,
        bytes: Zeroizing<Vec<u8>>,
        secret: bool,
    },
}

/// A built but not yet applied change: the confirm dialog shows `title` and `lines`.
#[derive(Debug)]
pub struct Prepared {
    pub title: String,
    pub lines: Vec<String>,
    pub work: Work,
}

/// `Prepared` is not `Clone` (it owns key material); effects carry it by reference count.
/// Equality is identity: "the very plan that was shown".
#[derive(Debug, Clone)]
pub struct PlanHandle(pub Arc<Prepared>);

impl PartialEq for PlanHandle {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}
impl Eq for PlanHandle {}

/// What the executor needs besides the effect: where the store is and how to open keys.
#[derive(Debug, Clone)]
pub struct Env {
    pub store: PathBuf,
    /// Tried on encrypted keys (CA keys, imports), from `--passphrase-file`.
    pub passphrases: Vec<Zeroizing<String>>,
    /// How long to wait for another certdeck holding the store lock.
    pub lock_wait: Duration,
    /// What the server needs after a change ("reload with: systemctl reload nginx" or
    /// "restart nginx for this to take effect"), shown with the result.
    pub after_apply: Option<String>,
    /// The store's reload command (config `reload_command`).
    pub reload_command: Option<String>,
}

impl Env {
    pub fn new(store: impl Into<PathBuf>) -> Env {
        Env {
            store: store.into(),
            passphrases: Vec::new(),
            lock_wait: Duration::from_secs(5),
            after_apply: None,
            reload_command: None,
        }
    }
}

/// Run one background effect to completion. `None` for effects the run loop handles itself
/// (quit, rescan, verify). Never panics on user data: every failure is an `Err` string in the Msg.
pub fn execute(effect: &Effect, env: &Env, inv: &Inventory) -> Option<Msg> {
    match effect {
        Effect::Probe(target) => Some(Msg::Probed(probe(target, inv))),
        Effect::BuildPlan(req) => Some(Msg::PlanReady(
            build(req, env, inv).map_err(|e| format!("{e:#}")),
        )),
        Effect::ApplyPlan(handle) => Some(Msg::Applied(apply(&handle.0, env))),
        Effect::Quit | Effect::Rescan | Effect::Update(_) | Effect::Verify(_) => None,
    }
}

fn build(req: &ActionRequest, env: &Env, inv: &Inventory) -> anyhow::Result<Prepared> {
    let ctx = Ctx {
        inv,
        passphrases: &env.passphrases,
        now: time::OffsetDateTime::now_utc(),
    };
    let plan = match req {
        ActionRequest::Generate(args) => actions::generate(&ctx, args)?,
        ActionRequest::Trust { sel, dir } => {
            // The confirm dialog is the TUI's --force: it shows the warning above the plan.
            let plan = actions::trust_opts(&ctx, sel, dir, true)?;
            if let Some(w) = actions::revoked_warning(inv, sel) {
                let mut lines = vec![format!("WARNING: {w}")];
                lines.extend(preview_lines(&plan, &env.store));
                return Ok(Prepared {
                    title: plan.action.clone(),
                    lines,
                    work: Work::Plan(plan),
                });
            }
            plan
        }
        ActionRequest::Revoke { sel, dir } => actions::revoke(&ctx, sel, dir)?,
        ActionRequest::Rehash { dir } => actions::rehash(&ctx, dir)?,
        ActionRequest::Import { files, dir } => {
            let data = read_files(files)?;
            let args = ImportArgs {
                files: &data,
                dir: dir.clone(),
                allow_orphan_key: false,
            };
            actions::import(&ctx, &args)?
        }
        ActionRequest::Export { sel, format, out } => {
            return prepare_export(&ctx, sel, *format, out)
        }
        ActionRequest::Probe { .. } => anyhow::bail!("a probe is not a change"),
        ActionRequest::Reload => {
            let Some(cmd) = env.reload_command.clone() else {
                anyhow::bail!("no reload command for this store (set reload_command in the config); restart the server by hand");
            };
            return Ok(Prepared {
                title: "reload the server".into(),
                lines: vec![format!("run     {cmd}")],
                work: Work::Reload(cmd),
            });
        }
        ActionRequest::Undo => {
            let (action, plan) = history::undo_preview(&env.store)?;
            return Ok(Prepared {
                title: format!("undo: {action}"),
                lines: preview_lines(&plan, &env.store),
                work: Work::Undo,
            });
        }
    };
    if plan.ops.is_empty() {
        // E.g. a rehash of a dir whose links are already right: nothing to confirm.
        anyhow::bail!("{}: nothing to change", plan.action);
    }
    Ok(Prepared {
        title: plan.action.clone(),
        lines: preview_lines(&plan, &env.store),
        work: Work::Plan(plan),
    })
}

/// Connect, and say in one line what is served and whether the store has it.
fn probe(target: &str, inv: &Inventory) -> Result<String, String> {
    use crate::servers::probe::{compare, probe};
    let r = probe(target, None, Duration::from_secs(10))
        .map_err(|e| format!("probe {target}: {e:#}"))?;
    let Some(leaf) = r.chain.first() else {
        return Err(format!("probe {target}: no certificate served"));
    };
    let cmp = compare(leaf, inv, &[]);
    Ok(format!(
        "{target} ({}): {} serial {} {}d left, {} in chain — {}",
        r.protocol,
        leaf.subject,
        leaf.serial,
        leaf.days_left,
        r.chain.len(),
        cmp.message
    ))
}

fn preview_lines(plan: &Plan, store: &Path) -> Vec<String> {
    plan.preview(store).into_iter().map(|l| l.text).collect()
}

fn read_files(files: &[PathBuf]) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    use anyhow::Context as _;
    files
        .iter()
        .map(|f| {
            let bytes = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok((name, bytes))
        })
        .collect()
}

fn prepare_export(
    ctx: &Ctx,
    sel: &str,
    format: ExportFormat,
    out: &Path,
) -> anyhow::Result<Prepared> {
    // The TUI never overwrites: check now so the user can pick another path before confirming.
    if std::fs::symlink_metadata(out).is_ok() {
        anyhow::bail!("{} already exists; choose another path", out.display());
    }
    let (bytes, secret) = actions::export(ctx, sel, format, None, false)?;
    let mode = if secret { "0600" } else { "0644" };
    Ok(Prepared {
        title: format!("export {}", out.display()),
        lines: vec![format!(
            "write   {}  ({} bytes, mode {mode}{})",
            out.display(),
            bytes.len(),
            if secret {
                ", contains the private key"
            } else {
                ""
            }
        )],
        work: Work::Export {
            out: out.to_path_buf(),
            bytes,
            secret,
        },
    })
}

fn apply(p: &Prepared, env: &Env) -> Result<(String, Option<Change>), String> {
    let everything = |report: String| (report, Some(Change::Everything));
    match &p.work {
        Work::Plan(plan) => {
            let store =
                WritableStore::open_wait(&env.store, env.lock_wait).map_err(|e| e.to_string())?;
            let r = store.apply(plan).map_err(|e| e.to_string())?;
            let hint = env
                .after_apply
                .as_deref()
                .map(|h| format!(" — {h}"))
                .unwrap_or_default();
            // The files it wrote, linked or moved away are re-read (directories it made are
            // not files; what it put in them is listed on its own).
            let files = (r.ops.iter())
                .filter(|op| !matches!(op.verb.as_str(), "mkdir" | "rmdir"))
                .map(|op| op.path.clone())
                .collect();
            let report = format!(
                "applied: {} ({} changes; undo with u){hint}",
                r.action,
                r.ops.len()
            );
            Ok((report, Some(Change::Files(files))))
        }
        Work::Undo => {
            let store =
                WritableStore::open_wait(&env.store, env.lock_wait).map_err(|e| e.to_string())?;
            let r = store.undo().map_err(|e| e.to_string())?;
            Ok(everything(format!("undone: {}", r.undone_action)))
        }
        Work::Reload(cmd) => {
            let r = crate::servers::reload::run(cmd, Duration::from_secs(120))
                .map_err(|e| format!("{e:#}"))?;
            let out: String = r
                .output
                .lines()
                .rev()
                .take(3)
                .collect::<Vec<_>>()
                .join(" | ");
            let msg = format!(
                "reload ({}): {}",
                r.status,
                if out.is_empty() {
                    "no output".into()
                } else {
                    out
                }
            );
            // A reload changes the server, not the store.
            if r.success {
                Ok((msg, None))
            } else {
                Err(msg)
            }
        }
        Work::Export { out, bytes, secret } => {
            let mode = if *secret { SECRET_MODE } else { CERT_MODE };
            crate::store::write::write_new(out, bytes, mode)
                .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
            // An export into the store is a new file of it.
            let inside = (out.strip_prefix(&env.store).ok())
                .and_then(|rel| rel.to_str())
                .map(|rel| Change::Files([rel.to_string()].into()));
            Ok((
                format!(
                    "exported {} ({} bytes, mode {:04o})",
                    out.display(),
                    bytes.len(),
                    mode
                ),
                inside,
            ))
        }
    }
}
