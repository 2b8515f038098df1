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

/// A passphrase typed into a form: wiped when dropped, never printed (`Debug` shows `***`).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub Zeroizing<String>);

impl Secret {
    pub fn new(s: &str) -> Secret {
        Secret(Zeroizing::new(s.to_string()))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

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
        /// Opens a PKCS#12 file or an encrypted key (tried before `--passphrase-file`'s).
        pass: Option<Secret>,
    },
    Export {
        sel: String,
        format: ExportFormat,
        out: PathBuf,
    },
    Undo,
    /// Sign the CSR at (csr, index) of the inventory with the CA `ca` (sha256).
    Sign {
        csr: String,
        index: usize,
        ca: String,
        profile: crate::pki::issue::Profile,
        days: i64,
        out: String,
    },
    /// RFC 7919 ffdhe2048 parameters into the store root.
    Dhparam,
    /// Export as PKCS#12 protected by `pass`.
    ExportP12 {
        sel: String,
        out: PathBuf,
        pass: Secret,
    },
    /// Issue the certificate `sel` (sha256) again with its key and signer, as long as before.
    Renew {
        sel: String,
    },
    /// Encrypt, re-encrypt or decrypt a key file; `current` opens it, `new` protects it.
    KeyPass {
        sel: String,
        op: actions::key::KeyPassOp,
        current: Option<Secret>,
        new: Option<Secret>,
    },
    /// Not a change: open the locked key or keystore `path` with `pass` (a rescan with it
    /// added to the keyring); never built into a plan.
    Unlock {
        path: String,
        pass: Secret,
    },
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
            ActionRequest::Sign { .. } => "signing the CSR".into(),
            ActionRequest::Dhparam => "planning dhparam".into(),
            ActionRequest::ExportP12 { .. } => "preparing PKCS#12 export".into(),
            ActionRequest::KeyPass { .. } => "re-writing the key".into(),
            ActionRequest::Renew { .. } => "renewing".into(),
            ActionRequest::Unlock { path, .. } => format!("opening {path}"),
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
    /// Tried on encrypted keys (CA keys, imports, renewals): `--passphrase-file`'s and those
    /// the unlock prompt took.
    pub passphrases: super::keyring::Keyring,
    /// How long to wait for another certdeck holding the store lock.
    pub lock_wait: Duration,
    /// What the server needs after a change ("reload with: systemctl reload nginx" or
    /// "restart nginx for this to take effect"), shown with the result.
    pub after_apply: Option<String>,
    /// The store's reload command (config `reload_command`).
    pub reload_command: Option<String>,
    /// What a relative export path is relative to.
    pub cwd: PathBuf,
}

impl Env {
    pub fn new(store: impl Into<PathBuf>) -> Env {
        let store = store.into();
        Env {
            cwd: std::env::current_dir().unwrap_or_else(|_| store.clone()),
            store,
            passphrases: Default::default(),
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
        Effect::Quit
        | Effect::Rescan
        | Effect::Update(_)
        | Effect::Verify(_)
        | Effect::Redraw
        | Effect::Copy(_)
        | Effect::Findings(_)
        | Effect::Suspend => None,
    }
}

fn build(req: &ActionRequest, env: &Env, inv: &Inventory) -> anyhow::Result<Prepared> {
    let passes = env.passphrases.snapshot();
    let ctx = Ctx {
        inv,
        passphrases: &passes,
        now: time::OffsetDateTime::now_utc(),
    };
    // What the plan's files cannot show: who signs, for how long, which key.
    let mut facts = Vec::new();
    let plan = match req {
        ActionRequest::Generate(args) => {
            facts = generate_facts(inv, args, ctx.now);
            actions::generate(&ctx, args)?
        }
        ActionRequest::Sign {
            csr,
            index,
            ca,
            profile,
            days,
            out,
        } => {
            let item = (inv.items.iter())
                .find(|it| &it.path == csr && it.index == *index)
                .ok_or_else(|| anyhow::anyhow!("{csr} is no longer in the store; rescan"))?;
            let der = item
                .der
                .clone()
                .ok_or_else(|| anyhow::anyhow!("{csr}: no CSR to sign"))?;
            facts.push(format!("issuer  {}", signer_name(inv, Some(ca))));
            facts.push(format!("profile {profile}"));
            facts.push(validity_line(ctx.now, *days));
            if let crate::pki::Detail::Csr(c) = &item.detail {
                facts.push(format!(
                    "key     {} (the CSR's; stays where it is)",
                    c.key_algorithm
                ));
                facts.push(format!("SANs    {}", c.sans.join(", ")));
            }
            actions::sign_csr(&ctx, &der, ca, *profile, *days, Some(out))?
        }
        ActionRequest::Dhparam => actions::dhparam(&ctx, 2048, None)?,
        ActionRequest::Renew { sel } => {
            let r = actions::renew::renew(&ctx, sel, None)?;
            facts.push(format!("issuer  {}", r.issuer));
            facts.push(validity_line(ctx.now, r.days));
            facts.push(format!("key     the same: {}", r.key_path));
            facts.push("old     to history (undo with u)".into());
            r.plan
        }
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
        ActionRequest::Import { files, dir, pass } => {
            let data = read_files(files)?;
            let mut passes: Vec<Zeroizing<String>> = pass.iter().map(|p| p.0.clone()).collect();
            passes.extend(env.passphrases.snapshot());
            let ctx = Ctx {
                passphrases: &passes,
                ..ctx
            };
            let args = ImportArgs {
                files: &data,
                dir: dir.clone(),
                allow_orphan_key: false,
                // Encrypted keys stay encrypted (the plan's title says so).
                keys: Default::default(),
            };
            actions::import(&ctx, &args)?
        }
        ActionRequest::Export { sel, format, out } => {
            return prepare_export(&ctx, env, sel, *format, out, None)
        }
        ActionRequest::ExportP12 { sel, out, pass } => {
            return prepare_export(&ctx, env, sel, ExportFormat::P12, out, Some(&pass.0))
        }
        ActionRequest::KeyPass {
            sel,
            op,
            current,
            new,
        } => {
            // The typed passphrase first, then the ones given at start.
            let mut passes: Vec<Zeroizing<String>> = current.iter().map(|c| c.0.clone()).collect();
            passes.extend(env.passphrases.snapshot());
            let ctx = Ctx {
                passphrases: &passes,
                ..ctx
            };
            if *op == actions::key::KeyPassOp::Decrypt {
                facts.push(format!("WARNING: {}", super::form::DECRYPT_WARNING));
            }
            actions::key::key_passphrase(&ctx, sel, *op, new.as_ref().map(|n| &n.0))?
        }
        ActionRequest::Probe { .. } => anyhow::bail!("a probe is not a change"),
        ActionRequest::Unlock { .. } => anyhow::bail!("unlocking is not a change"),
        ActionRequest::Reload => {
            let Some(cmd) = env.reload_command.clone() else {
                anyhow::bail!("no reload command for this store (set reload_command in the config); restart the server by hand");
            };
            return Ok(Prepared {
                title: "reload the server".into(),
                lines: vec![format!("run     {}", crate::text::escape_control(&cmd))],
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
    let facts = facts
        .into_iter()
        .map(|l| crate::text::escape_control(&l).into_owned());
    let mut lines: Vec<String> = facts.collect();
    lines.extend(preview_lines(&plan, &env.store));
    Ok(Prepared {
        title: plan.action.clone(),
        lines,
        work: Work::Plan(plan),
    })
}

/// The CA's name for `ca` (a selector), or "self-signed".
fn signer_name(inv: &Inventory, ca: Option<&String>) -> String {
    match ca {
        None => "self-signed".into(),
        Some(sel) => match actions::resolve_cert(inv, sel) {
            Ok(it) => format!("{} ({})", it.display_name(), it.path),
            Err(_) => sel.clone(),
        },
    }
}

fn validity_line(now: time::OffsetDateTime, days: i64) -> String {
    let until = (now + time::Duration::days(days)).date();
    format!("valid   {days} days, until {until}")
}

/// Issuer, validity and key type of what `generate` makes (a CSR: no issuer or validity).
fn generate_facts(inv: &Inventory, a: &GenerateArgs, now: time::OffsetDateTime) -> Vec<String> {
    use actions::GenKind;
    let mut out = Vec::new();
    if a.kind != GenKind::Csr {
        out.push(format!("issuer  {}", signer_name(inv, a.ca.as_ref())));
        let days = a
            .days
            .unwrap_or(if a.kind == GenKind::Ca { 3650 } else { 398 });
        out.push(validity_line(now, days));
    }
    out.push(format!("key     {} (new)", a.key_type));
    out
}

/// Connect, and say in one line what is served and whether the store has it.
fn probe(target: &str, inv: &Inventory) -> Result<String, String> {
    use crate::servers::probe::probe;
    use crate::serving::probe::compare;
    let r = probe(target, None, Duration::from_secs(10)).map_err(|e| {
        // The read-only sandbox denies TCP connect (EACCES): say so, not "permission denied".
        let denied = e.chain().any(|c| {
            c.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::PermissionDenied)
        });
        if denied {
            format!("probe {target}: network connections are denied in read-only mode; run `certdeck probe {target}`")
        } else {
            format!("probe {target}: {e:#}")
        }
    })?;
    let Some(leaf) = r.chain.first() else {
        return Err(format!("probe {target}: no certificate served"));
    };
    let cmp = compare(leaf, inv, &[]);
    // The verdict first; the pager shows the rest when it does not fit one line.
    Ok(format!(
        "{target} ({}): {}\nserved: {}\nserial {}, {}d left, {} certificate(s) in the chain",
        r.protocol,
        cmp.message,
        leaf.subject,
        leaf.serial,
        leaf.days_left,
        r.chain.len(),
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

/// An export: into the store it is a plan like any other; outside, a new file at the
/// absolute path shown in the dialog (never an existing one; 0600 when it holds a key).
fn prepare_export(
    ctx: &Ctx,
    env: &Env,
    sel: &str,
    format: ExportFormat,
    out: &Path,
    p12_pass: Option<&Zeroizing<String>>,
) -> anyhow::Result<Prepared> {
    use crate::actions::export_to::{self, Target};
    let root = env
        .store
        .canonicalize()
        .unwrap_or_else(|_| env.store.clone());
    let target = export_to::resolve(&root, &env.cwd, out)?;
    // The TUI never overwrites: check now so the user can pick another path before confirming.
    let abs = target.absolute(&root);
    if std::fs::symlink_metadata(&abs).is_ok() {
        anyhow::bail!("{} already exists; choose another path", abs.display());
    }
    let e = actions::export(ctx, sel, format, p12_pass, false, &Default::default())?;
    let mut notes: Vec<String> = e
        .notes
        .info
        .iter()
        .map(|n| format!("note    {n}"))
        .collect();
    match target {
        Target::InStore(rel) => {
            let plan = export_to::plan_in_store(ctx.inv, &rel, &e.name, e.bytes, e.secret, false)?;
            crate::store::layout::check_plan(&root, &plan).map_err(anyhow::Error::msg)?;
            let mut lines = vec![format!(
                "into the store: {}",
                crate::text::escape_control(&abs.display().to_string())
            )];
            lines.extend(preview_lines(&plan, &env.store));
            lines.append(&mut notes);
            Ok(Prepared {
                title: plan.action.clone(),
                lines,
                work: Work::Plan(plan),
            })
        }
        Target::Outside(path) => {
            let mode = if e.secret { SECRET_MODE } else { CERT_MODE };
            let mut lines = vec![format!(
                "write   {}  ({} bytes, mode {mode:04o}{})",
                crate::text::escape_control(&path.display().to_string()),
                e.bytes.len(),
                if e.secret {
                    ", contains the private key"
                } else {
                    ""
                }
            )];
            lines.append(&mut notes);
            Ok(Prepared {
                title: format!("export {}", path.display()),
                lines,
                work: Work::Export {
                    out: path,
                    bytes: e.bytes,
                    secret: e.secret,
                },
            })
        }
    }
}

/// Opening a store for writing may first roll back an interrupted plan: never silently.
fn recovered_note(store: &WritableStore) -> String {
    let r = store.recovered();
    if r.is_empty() {
        return String::new();
    }
    let mut s = String::new();
    if !r.rolled_back.is_empty() {
        s.push_str(&format!(
            "first rolled back interrupted change(s) {}; ",
            r.rolled_back.join(", ")
        ));
    }
    if !r.notes.is_empty() {
        s.push_str(&format!("journal: {} line(s) skipped; ", r.notes.len()));
    }
    s
}

fn apply(p: &Prepared, env: &Env) -> Result<(String, Option<Change>), String> {
    let everything = |report: String| (report, Some(Change::Everything));
    match &p.work {
        Work::Plan(plan) => {
            let store =
                WritableStore::open_wait(&env.store, env.lock_wait).map_err(|e| e.to_string())?;
            let recovered = recovered_note(&store);
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
                "{recovered}applied: {} ({} changes; undo with u){hint}",
                r.action,
                r.ops.len()
            );
            Ok((report, Some(Change::Files(files))))
        }
        Work::Undo => {
            let store =
                WritableStore::open_wait(&env.store, env.lock_wait).map_err(|e| e.to_string())?;
            let recovered = recovered_note(&store);
            let r = store.undo().map_err(|e| e.to_string())?;
            Ok(everything(format!(
                "{recovered}undone: {}",
                r.undone_action
            )))
        }
        Work::Reload(cmd) => {
            let r = crate::servers::reload::run(cmd, Duration::from_secs(120))
                .map_err(|e| format!("{e:#}"))?;
            // All of the output in its order (nginx's `[emerg]` lines come first): more than
            // one line opens the pager.
            let out = r.output.trim_end();
            let msg = match out.lines().count() {
                0 => format!("reload ({}): no output", r.status),
                1 => format!("reload ({}): {out}", r.status),
                _ => format!("reload ({}):\n{out}", r.status),
            };
            // A reload changes the server, not the store.
            if r.success {
                Ok((msg, None))
            } else {
                Err(msg)
            }
        }
        Work::Export { out, bytes, secret } => {
            let mode = if *secret { SECRET_MODE } else { CERT_MODE };
            // Outside the store (an export into it is a Plan): a new file, never replaced.
            crate::outfile::write_file(out, bytes, mode, false)
                .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
            Ok((
                format!(
                    "exported {} ({} bytes, mode {:04o})",
                    out.display(),
                    bytes.len(),
                    mode
                ),
                None,
            ))
        }
    }
}
