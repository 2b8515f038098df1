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
    Probe(super::probe_memory::ProbeFields),
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
    /// Renew (now, due or not) or revoke the ACME lineage `name`: the same code as
    /// `certdeck acme renew NAME --force` / `acme revoke NAME`, run as that command so its
    /// progress lines stream into the status line.
    Acme {
        name: String,
        revoke: bool,
        domains: Vec<String>,
        server: String,
    },
    /// A new ACME lineage: `certdeck acme ARGS` (`issue NAME --domain ...`) from the form.
    AcmeIssue {
        name: String,
        args: Vec<String>,
    },
    /// Not a change: open the locked key or keystore `path` with `pass` (a rescan with it
    /// added to the keyring); never built into a plan.
    Unlock {
        path: String,
        pass: Secret,
    },
    /// One of keytool's verbs on a PKCS#12 keystore (`certdeck keystore …`).
    Keystore(Box<KeystoreRequest>),
    /// Write `cert` and `key` (store-relative) under the file names the server config's site
    /// `site` (its exact label) uses.
    ReplaceCert {
        site: String,
        cert: String,
        key: String,
    },
}

/// The `certdeck keystore` verbs that write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeystoreVerb {
    GenKeyPair,
    CertReq,
    ImportReply,
    AddTrusted,
    Passwd,
}

impl KeystoreVerb {
    pub const ALL: [KeystoreVerb; 5] = [
        KeystoreVerb::GenKeyPair,
        KeystoreVerb::CertReq,
        KeystoreVerb::ImportReply,
        KeystoreVerb::AddTrusted,
        KeystoreVerb::Passwd,
    ];

    /// As the CLI spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            KeystoreVerb::GenKeyPair => "genkeypair",
            KeystoreVerb::CertReq => "certreq",
            KeystoreVerb::ImportReply => "import-reply",
            KeystoreVerb::AddTrusted => "add-trusted",
            KeystoreVerb::Passwd => "passwd",
        }
    }

    pub fn parse(s: &str) -> Option<KeystoreVerb> {
        KeystoreVerb::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// What the keystore form asks; each verb reads the fields it needs (as its CLI flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeystoreRequest {
    pub verb: KeystoreVerb,
    /// Store-relative keystore file.
    pub file: String,
    pub alias: String,
    /// genkeypair: the new certificate's subject and validity, and its key.
    pub cn: String,
    pub sans: Vec<String>,
    pub days: i64,
    pub key_type: crate::pki::issue::KeyType,
    /// certreq: store-relative CSR file.
    pub out: String,
    /// import-reply / add-trusted: the certificate file (store-relative or absolute).
    pub cert: String,
    /// Opens the keystore (tried before the keyring's passphrases).
    pub current: Option<Secret>,
    /// passwd: the new password; genkeypair / add-trusted: a new keystore's password.
    pub new: Option<Secret>,
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
            ActionRequest::Probe(p) => format!("probing {}", p.target),
            ActionRequest::Keystore(k) => format!("keystore {}", k.verb.as_str()),
            ActionRequest::ReplaceCert { .. } => "checking the new pair".into(),
            ActionRequest::Sign { .. } => "signing the CSR".into(),
            ActionRequest::Dhparam => "planning dhparam".into(),
            ActionRequest::ExportP12 { .. } => "preparing PKCS#12 export".into(),
            ActionRequest::KeyPass { .. } => "re-writing the key".into(),
            ActionRequest::Renew { .. } => "renewing".into(),
            ActionRequest::Unlock { path, .. } => format!("opening {path}"),
            ActionRequest::Acme { name, .. } | ActionRequest::AcmeIssue { name, .. } => {
                format!("preparing ACME {name}")
            }
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
    /// `certdeck acme ARGS` (renew --force or revoke), its progress streamed.
    Acme { name: String, args: Vec<String> },
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

/// An ACME order's challenges are retried for minutes at most; past this it has hung.
pub const ACME_DEADLINE: Duration = Duration::from_secs(600);

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
    /// The server configs (`--server-config`): replace-cert writes what they name.
    pub servers: Vec<crate::servers::ServerConfig>,
    /// Where the probe form's values are remembered; `None` (read-only, tests): nowhere.
    pub probe_memory: Option<PathBuf>,
    /// certdeck itself, for the ACME commands (tests point it at the built binary).
    pub exe: PathBuf,
    /// Where a running job's progress lines go (the run loop's job channel).
    pub progress: Option<crossbeam_channel::Sender<Msg>>,
    /// Global options for those commands (`--config`, `--server-config`, ...).
    pub acme_args: Vec<std::ffi::OsString>,
    /// How long an ACME command may run before it is stopped (a CA that never answers).
    pub acme_deadline: Duration,
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
            servers: Vec::new(),
            probe_memory: None,
            exe: std::env::current_exe().unwrap_or_else(|_| "certdeck".into()),
            progress: None,
            acme_args: Vec::new(),
            acme_deadline: ACME_DEADLINE,
        }
    }
}

/// Run one background effect to completion. `None` for effects the run loop handles itself
/// (quit, rescan, verify). Never panics on user data: every failure is an `Err` string in the Msg.
pub fn execute(effect: &Effect, env: &Env, inv: &Inventory) -> Option<Msg> {
    match effect {
        Effect::Probe(fields) => {
            let r = probe(fields, inv, &env.servers);
            // Remembered once it was tried, whatever it found (a typo'd port is fixed by hand).
            if let Some(file) = &env.probe_memory {
                let _ = super::probe_memory::save(file, &env.store, fields);
            }
            Some(Msg::Probed(r))
        }
        Effect::ReadLineages => Some(Msg::Lineages(crate::store::lineages::read(inv))),
        Effect::ReadHistory => Some(Msg::HistoryRead(
            crate::store::history_list::list(&env.store).map_err(|e| format!("history: {e}")),
        )),
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
        ActionRequest::Keystore(k) => {
            let mut passes: Vec<Zeroizing<String>> =
                k.current.iter().map(|c| c.0.clone()).collect();
            passes.extend(env.passphrases.snapshot());
            let ctx = Ctx {
                passphrases: &passes,
                ..ctx
            };
            keystore_plan(&ctx, env, k)?
        }
        ActionRequest::ReplaceCert { site, cert, key } => {
            let read = |rel: &str| {
                std::fs::read(env.store.join(rel))
                    .map_err(|e| anyhow::anyhow!("cannot read {rel}: {e}"))
            };
            let cert_bytes = read(cert)?;
            let key_bytes = Zeroizing::new(read(key)?);
            facts.push(format!("site    {site}"));
            facts.push(format!("new     {cert} with {key} (pair checked)"));
            actions::replace_cert::replace_server_cert(
                &ctx,
                &actions::replace_cert::ReplaceArgs {
                    servers: &env.servers,
                    site: Some(site),
                    cert: &cert_bytes,
                    key: key_bytes,
                },
            )?
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
        ActionRequest::Acme {
            name,
            revoke,
            domains,
            server,
        } => {
            let verb = if *revoke { "revoke" } else { "renew" };
            let mut args = vec![verb.to_string(), name.clone()];
            if !*revoke {
                args.push("--force".into());
            }
            // As the CLI's deploy hook: the server picks up the new certificate when it
            // went in; the dialog shows exactly what will run.
            let reload = env.reload_command.as_deref().filter(|_| !*revoke);
            if reload.is_some() {
                args.push("--reload".into());
            }
            let esc = |s: &str| crate::text::escape_control(s).into_owned();
            let mut lines = vec![
                format!("run     certdeck acme {}", esc(&args.join(" "))),
                format!("domains {}", esc(&domains.join(", "))),
                format!("server  {}", esc(server)),
            ];
            if let Some(cmd) = reload {
                lines.push(format!("reload  {} (once renewed)", esc(cmd)));
            }
            lines.push(match revoke {
                false => "writes  a new key, then the certificate; the old files to history (undo with u); the order failing leaves every file as it was".into(),
                true => "revokes the lineage's current certificate at the CA (no undo: the CA keeps it revoked)".into(),
            });
            return Ok(Prepared {
                title: format!("ACME {verb} {}", esc(name)),
                lines,
                work: Work::Acme {
                    name: name.clone(),
                    args,
                },
            });
        }
        ActionRequest::AcmeIssue { name, args } => {
            let esc = |s: &str| crate::text::escape_control(s).into_owned();
            return Ok(Prepared {
                title: format!("ACME issue {}", esc(name)),
                lines: vec![
                    format!("run     certdeck acme {}", esc(&args.join(" "))),
                    "writes  the new key, then the certificate, under acme/NAME/ (0600 key); an order that fails writes nothing".into(),
                ],
                work: Work::Acme {
                    name: name.clone(),
                    args: args.clone(),
                },
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

/// Connect; the verdict first (one line), then the served chain as a tree like the chain pane
/// (root at the top), each certificate marked with the store file that holds it.
fn probe(
    f: &super::probe_memory::ProbeFields,
    inv: &Inventory,
    servers: &[crate::servers::ServerConfig],
) -> Result<String, String> {
    use crate::servers::probe::probe;
    use crate::serving::probe::{compare, Verdict};
    use crate::text::escape_control as esc;
    let target = esc(&f.target).into_owned();
    let sni = Some(f.sni.trim()).filter(|s| !s.is_empty());
    let r = probe(&f.target, sni, Duration::from_secs(f.timeout.max(1))).map_err(|e| {
        // The read-only sandbox denies TCP connect (EACCES): say so, not "permission denied".
        let denied = e.chain().any(|c| {
            c.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::PermissionDenied)
        });
        if denied {
            format!("probe {target}: network connections are denied in read-only mode; run `certdeck probe {target}`")
        } else {
            esc(&format!("probe {target}: {e:#}")).into_owned()
        }
    })?;
    let Some(leaf) = r.chain.first() else {
        return Err(format!("probe {target}: no certificate served"));
    };
    let cmp = compare(leaf, inv, servers);
    let tag = match cmp.verdict {
        Verdict::Matches => "matches",
        Verdict::NotReloaded => "renewed but not reloaded",
        Verdict::NotOnDisk => "not on disk",
    };
    let sni = r
        .servername
        .as_deref()
        .map(|n| format!(", SNI {}", esc(n)))
        .unwrap_or_default();
    let mut out = vec![
        format!("{target}: {tag}: {}", esc(&cmp.message)),
        format!("{} {}{sni}", r.protocol, r.cipher_suite),
        String::new(),
        format!("Served chain ({} certificate(s)):", r.chain.len()),
    ];
    // Leaf first as served; the tree reads from the root down.
    let on_disk = |sha: &str| {
        inv.items
            .iter()
            .find(|it| it.cert().is_some_and(|c| c.sha256 == sha))
            .map(|it| it.path.clone())
    };
    for (depth, c) in r.chain.iter().rev().enumerate() {
        let indent = "   ".repeat(depth.saturating_sub(1));
        let branch = if depth == 0 { "" } else { "└─ " };
        let note = match on_disk(&c.sha256) {
            Some(p) => format!("in the store: {}", esc(&p)),
            None => "not in the store".to_string(),
        };
        out.push(format!("{indent}{branch}{}  [{note}]", esc(&c.subject)));
        let pad = "   ".repeat(depth);
        out.push(format!(
            "{pad}serial {}, expires {} ({}d)",
            esc(&c.serial),
            c.not_after,
            c.days_left
        ));
    }
    Ok(out.join("\n"))
}

/// The plan of one keystore verb (the same functions `certdeck keystore` calls).
fn keystore_plan(ctx: &Ctx, env: &Env, k: &KeystoreRequest) -> anyhow::Result<Plan> {
    use crate::actions::keystore as ks;
    use anyhow::Context as _;
    let new = k.new.as_ref().map(|n| &n.0);
    let read_cert = || {
        let p = env.store.join(&k.cert);
        std::fs::read(&p).with_context(|| format!("cannot read {}", k.cert))
    };
    match k.verb {
        KeystoreVerb::GenKeyPair => {
            let args = ks::GenKeyPairArgs {
                file: k.file.clone(),
                alias: k.alias.clone(),
                subject: crate::pki::issue::SubjectSpec::cn(&k.cn),
                sans: k.sans.clone(),
                key_type: k.key_type,
                days: k.days,
            };
            ks::genkeypair(ctx, &args, new)
        }
        KeystoreVerb::CertReq => ks::certreq(ctx, &k.file, &k.alias, &k.out, &k.sans),
        KeystoreVerb::ImportReply => {
            ks::import_reply(ctx, &k.file, &k.alias, &read_cert()?, &k.cert)
        }
        KeystoreVerb::AddTrusted => {
            ks::add_trusted(ctx, &k.file, &k.alias, &read_cert()?, &k.cert, new)
        }
        KeystoreVerb::Passwd => {
            if ctx.passphrases.is_empty() {
                anyhow::bail!("type the keystore's current password");
            }
            let new = new.ok_or_else(|| anyhow::anyhow!("passwd needs the new password"))?;
            ks::passwd(ctx, &k.file, new)
        }
    }
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
        Work::Acme { name, args } => acme(env, name, args),
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

/// `certdeck acme ARGS --store S` as a child (no terminal: its output is piped), each progress
/// line it prints sent on as `Msg::Progress`; the store changed when it succeeded. The child
/// is registered (`children`): quitting terminates it; past `env.acme_deadline` it is stopped.
fn acme(env: &Env, name: &str, args: &[String]) -> Result<(String, Option<Change>), String> {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let verb = args.first().map_or("renew", String::as_str);
    let started = std::time::Instant::now();
    let mut running = super::children::spawn(
        Command::new(&env.exe)
            .args(&env.acme_args)
            .arg("acme")
            .args(args)
            .arg("--store")
            .arg(&env.store)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )
    .map_err(|e| format!("acme {verb} {name}: cannot run {}: {e}", env.exe.display()))?;
    // Both pipes are read on threads of their own: a full pipe cannot stall the child, and a
    // hung child cannot stall this thread past the deadline.
    let (out_tx, out_rx) = crossbeam_channel::bounded(1);
    if let Some(mut o) = running.child.stdout.take() {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut o, &mut s);
            let _ = out_tx.send(s);
        });
    }
    let (err_tx, err_rx) = crossbeam_channel::bounded(1);
    if let Some(err) = running.child.stderr.take() {
        let progress = env.progress.clone();
        let (verb, name) = (verb.to_string(), name.to_string());
        std::thread::spawn(move || {
            let mut errors = Vec::new();
            for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
                let line =
                    crate::text::escape_control(line.trim_start_matches("certdeck: ")).into_owned();
                if let Some(tx) = &progress {
                    let _ = tx.send(Msg::Progress(format!("ACME {verb} {name}: {line}")));
                }
                errors.push(line);
            }
            let _ = err_tx.send(errors);
        });
    }
    let status = running
        .wait_until(started + env.acme_deadline)
        .map_err(|e| format!("acme {verb} {name}: {e}"))?;
    // A grandchild still holding a pipe open must not hold us: what arrived by now.
    let drain = Duration::from_secs(2);
    let stdout = out_rx.recv_timeout(drain).unwrap_or_default();
    let errors = err_rx.recv_timeout(drain).unwrap_or_default();
    let said = crate::text::escape_control(stdout.trim()).into_owned();
    let mut msg = match status {
        Some(s) if s.success() => return Ok((said, Some(Change::Everything))),
        // Its own words: what failed and why (the files stay as they were).
        Some(s) => format!("acme {verb} {name} failed ({s})"),
        None => format!(
            "acme {verb} {name}: no result after {} s; stopped it (an order that does not finish writes nothing)",
            env.acme_deadline.as_secs()
        ),
    };
    for l in said.lines().chain(errors.iter().map(String::as_str)) {
        msg.push('\n');
        msg.push_str(l);
    }
    Err(msg)
}

#[cfg(test)]
mod tests {
    // The `certdeck acme` child the TUI runs never outlives it nor hangs it: a stand-in that
    // sleeps (with a grandchild, as a DNS hook would be) is stopped at the deadline with a clear
    // error, and terminated when the TUI quits (`children::terminate_all`, what `tui::run` calls
    // on q, SIGTERM and SIGHUP). One test: `terminate_all` is process-wide.
    use super::super::children;
    use super::*;
    use std::time::Instant;

    /// A stand-in for certdeck: writes its pid and its grandchild's, says a step, sleeps.
    fn stand_in(dir: &Path) -> std::path::PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let exe = dir.join("fake-certdeck");
        let pids = dir.join("pids");
        std::fs::write(
            &exe,
            format!(
                "#!/bin/sh\nsleep 300 &\necho $$ $! > {}.tmp\nmv {0}.tmp {0}\necho 'certdeck: order created' >&2\nwait\n",
                pids.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        exe
    }

    fn pids(dir: &Path) -> Vec<u32> {
        let f = dir.join("pids");
        let t0 = Instant::now();
        while !f.exists() {
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "stand-in never started"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let s = std::fs::read_to_string(f).unwrap();
        s.split_whitespace().map(|p| p.parse().unwrap()).collect()
    }

    /// Gone: no /proc entry, or a zombie waiting for init (it runs no more).
    fn gone(pid: u32) -> bool {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => true,
            Ok(s) => s
                .rsplit(')')
                .next()
                .is_some_and(|r| r.trim_start().starts_with('Z')),
        }
    }

    fn wait_gone(pid: u32) -> bool {
        let t0 = Instant::now();
        while !gone(pid) {
            if t0.elapsed() > Duration::from_secs(5) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        true
    }

    fn job() -> Prepared {
        Prepared {
            title: "ACME renew web".into(),
            lines: Vec::new(),
            work: Work::Acme {
                name: "web".into(),
                args: vec!["renew".into(), "web".into(), "--force".into()],
            },
        }
    }

    #[test]
    fn a_hung_child_is_stopped_at_the_deadline_and_on_quit() {
        let tmp = tempfile::tempdir().unwrap();
        let (tx, rx) = crossbeam_channel::unbounded();
        let env = Env {
            exe: stand_in(tmp.path()),
            acme_deadline: Duration::from_secs(1),
            progress: Some(tx),
            ..Env::new(tmp.path())
        };

        // The deadline: a clear error, the child and its grandchild gone.
        let t0 = Instant::now();
        let r = apply(&job(), &env);
        let took = t0.elapsed();
        let Err(e) = r else {
            panic!("not an error: {r:?}");
        };
        assert!(
            e.contains("acme renew web: no result after 1 s; stopped it"),
            "{e}"
        );
        assert!(took < Duration::from_secs(8), "took {took:?}");
        for p in pids(tmp.path()) {
            assert!(wait_gone(p), "pid {p} still runs after the deadline");
        }
        assert_eq!(children::running(), 0);
        // Its step reached the status line's channel (and so the message log).
        let steps: Vec<Msg> = rx.try_iter().collect();
        assert!(
            steps
                .iter()
                .any(|m| matches!(m, Msg::Progress(s) if s == "ACME renew web: order created")),
            "{steps:?}"
        );

        // Quitting while it runs: terminated, reaped, the job ends with an error.
        std::fs::remove_file(tmp.path().join("pids")).unwrap();
        let env = Env {
            acme_deadline: Duration::from_secs(600),
            ..env
        };
        let worker = std::thread::spawn(move || apply(&job(), &env));
        let running = pids(tmp.path());
        assert_eq!(children::running(), 1);
        let t0 = Instant::now();
        assert_eq!(children::terminate_all(), 1);
        assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
        assert_eq!(children::running(), 0);
        for p in running {
            assert!(wait_gone(p), "pid {p} outlived the quit");
        }
        let r = worker.join().unwrap();
        assert!(r.is_err(), "{r:?}");
    }

    fn renew_request() -> ActionRequest {
        ActionRequest::Acme {
            name: "web".into(),
            revoke: false,
            domains: vec!["a.test".into()],
            server: "https://127.0.0.1:14000/dir".into(),
        }
    }

    #[test]
    fn renew_reloads_when_the_store_has_a_reload_command_and_says_so() {
        let tmp = tempfile::tempdir().unwrap();
        let inv = Inventory::default();
        let env = Env {
            reload_command: Some("systemctl reload nginx".into()),
            ..Env::new(tmp.path())
        };
        let p = build(&renew_request(), &env, &inv).unwrap();
        let Work::Acme { args, .. } = &p.work else {
            panic!("{p:?}");
        };
        assert_eq!(args, &["renew", "web", "--force", "--reload"]);
        assert!(
            p.lines
                .contains(&"run     certdeck acme renew web --force --reload".to_string()),
            "{:?}",
            p.lines
        );
        assert!(
            p.lines
                .contains(&"reload  systemctl reload nginx (once renewed)".to_string()),
            "{:?}",
            p.lines
        );
        // No reload command: no --reload; a revoke never reloads.
        let p = build(&renew_request(), &Env::new(tmp.path()), &inv).unwrap();
        let Work::Acme { args, .. } = &p.work else {
            panic!("{p:?}");
        };
        assert_eq!(args, &["renew", "web", "--force"]);
        assert!(!p.lines.iter().any(|l| l.starts_with("reload")));
        let revoke = ActionRequest::Acme {
            name: "web".into(),
            revoke: true,
            domains: Vec::new(),
            server: String::new(),
        };
        let p = build(&revoke, &env, &inv).unwrap();
        let Work::Acme { args, .. } = &p.work else {
            panic!("{p:?}");
        };
        assert_eq!(args, &["revoke", "web"]);
    }
}
