//! `certdeck acme issue|renew|revoke|list`: an ACME client writing into the store's files.
//! The order runs to completion in memory (instant-acme on a current-thread tokio runtime,
//! created here only); only then is one Plan applied under the store lock.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;
use zeroize::Zeroizing;

use super::global::{passphrases, scan_options, servers, store_dir, Global};
use super::output::out;
use super::write::say_recovered;
use crate::acme::account::{self, Server};
use crate::acme::challenge::Method;
use crate::acme::lineage::{self, LastResult, Settings};
use crate::acme::order::{obtain, Issued};
use crate::acme::renew::{decide, facts, fmt_unix, NEXT_ATTEMPT_SECS};
use crate::actions::acme_deploy;
use crate::pki::issue::KeyType;
use crate::store::plan::Plan;
use crate::text::escape_control as esc;

#[derive(clap::Subcommand, Debug)]
pub enum Cmd {
    /// Get a certificate for NAME's domains from an ACME CA and install it.
    Issue(Box<IssueArgs>),
    /// Renew the lineages that are due (all when NAME is absent). Exit 0 all well, 1 a renewal
    /// failed but the certificate still has time, 2 a certificate expires before the next try.
    Renew(RenewArgs),
    /// Revoke NAME's current certificate at its CA.
    Revoke(RevokeArgs),
    /// The lineages: domains, expiry, when renewal is due, last result.
    List(ListArgs),
}

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("challenge").required(true).args(["http_01_standalone", "http_01_webroot", "dns_01_hook"])))]
pub struct IssueArgs {
    /// Lineage name (the directory acme/NAME/).
    pub name: String,
    /// A name for the certificate (repeatable; the first is the main one).
    #[arg(long = "domain", required = true)]
    pub domains: Vec<String>,
    /// ACME directory URL, or `letsencrypt` / `letsencrypt-staging`.
    #[arg(long)]
    pub server: String,
    /// CA certificate (PEM) to trust for the ACME server's own HTTPS (a test CA).
    #[arg(long, value_name = "FILE")]
    pub ca_bundle: Option<PathBuf>,
    /// Contact email of the account (one account per server and email).
    #[arg(long)]
    pub email: Option<String>,
    /// Agree to the CA's terms of service (required).
    #[arg(long)]
    pub agree_tos: bool,
    /// ec-p256 (default), ec-p384, rsa-2048, rsa-3072, rsa-4096.
    #[arg(long = "key-type", default_value = "ec-p256")]
    pub key_type: KeyType,
    /// Answer http-01 with certdeck's own responder on ADDR:PORT.
    #[arg(long, value_name = "ADDR:PORT")]
    pub http_01_standalone: Option<String>,
    /// Answer http-01 by writing .well-known/acme-challenge/TOKEN under DIR (removed after).
    #[arg(long, value_name = "DIR")]
    pub http_01_webroot: Option<PathBuf>,
    /// Answer dns-01 with CMD (sh -c), called with CERTDECK_ACME_ACTION=set|clear,
    /// CERTDECK_ACME_DOMAIN, CERTDECK_ACME_RECORD, CERTDECK_ACME_VALUE.
    #[arg(long, value_name = "CMD")]
    pub dns_01_hook: Option<String>,
    /// External account binding key id (CAs that require one).
    #[arg(long, requires = "eab_hmac_key_file")]
    pub eab_kid: Option<String>,
    /// File holding the EAB HMAC key (base64url, as CAs hand it out).
    #[arg(long, value_name = "F", requires = "eab_kid")]
    pub eab_hmac_key_file: Option<PathBuf>,
    /// Renew this many days before expiry [default: a third of the lifetime].
    #[arg(long)]
    pub renew_before_days: Option<i64>,
    /// Run the store's reload_command after installing.
    #[arg(long)]
    pub reload: bool,
    /// Print the order's steps and the plan of files it would write; contact no CA and write
    /// nothing (the store is opened read-only).
    #[arg(long)]
    pub dry_run: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// Seconds to wait for another certdeck holding the store lock.
    #[arg(long, default_value_t = 10)]
    pub wait: u64,
}

#[derive(clap::Args, Debug)]
pub struct RenewArgs {
    /// One lineage; all when absent.
    pub name: Option<String>,
    /// Renew now, due or not.
    #[arg(long)]
    pub force: bool,
    /// Say what would be renewed; contact no CA for orders and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Run the store's reload_command when something was renewed.
    #[arg(long)]
    pub reload: bool,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
    /// Seconds to wait for another certdeck holding the store lock.
    #[arg(long, default_value_t = 10)]
    pub wait: u64,
}

#[derive(clap::Args, Debug)]
pub struct RevokeArgs {
    /// Lineage name.
    pub name: String,
    /// unspecified, keyCompromise, superseded, affiliationChanged, cessationOfOperation.
    #[arg(long, default_value = "unspecified")]
    pub reason: String,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// Seconds to wait for another certdeck holding the store lock.
    #[arg(long, default_value_t = 10)]
    pub wait: u64,
}

#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Whether the command writes (for `cli::read_only`).
pub fn writes(c: &Cmd) -> Option<&'static str> {
    match c {
        Cmd::List(_) => None,
        Cmd::Renew(a) if a.dry_run => None,
        Cmd::Issue(a) if a.dry_run => None,
        Cmd::Issue(_) => Some("acme issue"),
        Cmd::Renew(_) => Some("acme renew"),
        Cmd::Revoke(_) => Some("acme revoke"),
    }
}

pub fn run(g: &Global, c: Cmd) -> Result<ExitCode> {
    match c {
        Cmd::Issue(a) => issue(g, *a),
        Cmd::Renew(a) => renew(g, a),
        Cmd::Revoke(a) => revoke(g, a),
        Cmd::List(a) => list(g, a),
    }
}

fn now_rfc3339() -> String {
    fmt_unix(time::OffsetDateTime::now_utc().unix_timestamp())
}

/// Plan on the store as it is under the lock, check it against the layout, apply it.
fn apply(
    g: &Global,
    wait: u64,
    build: impl FnOnce(&crate::actions::Ctx) -> Result<Plan>,
) -> Result<crate::store::apply::ApplyReport> {
    let (opts, _) = scan_options(g)?;
    let passphrases = passphrases(g)?;
    let dir = store_dir(g)?;
    let store = crate::store::handle::WritableStore::open_wait(&dir, Duration::from_secs(wait))?;
    say_recovered(&store);
    let inv = store.scan(&opts);
    let ctx = crate::actions::Ctx {
        inv: &inv,
        passphrases: &passphrases,
        now: time::OffsetDateTime::now_utc(),
    };
    let plan = build(&ctx)?;
    crate::store::layout::check_plan(&dir, &plan).map_err(|e| anyhow!(e))?;
    Ok(store.apply(&plan)?)
}

fn progress_printer(json: bool) -> impl FnMut(&str) {
    move |s: &str| {
        if !json {
            eprintln!("certdeck: {}", esc(s));
        }
    }
}

fn reload(g: &Global, json: bool) -> Result<()> {
    let Some(cmd) = &g.reload_command else {
        eprintln!("certdeck: --reload: this store has no reload_command in the config file");
        return Ok(());
    };
    let say = |s: &str| if json { eprintln!("{s}") } else { out(s) };
    say(&format!("reload: {}", esc(cmd)));
    let r = crate::servers::reload::run(cmd, Duration::from_secs(120))?;
    if !r.output.is_empty() {
        let lines: Vec<_> = r.output.trim_end().lines().map(esc).collect();
        say(&lines.join("\n"));
    }
    if !r.success {
        bail!("installed, but the reload command failed ({})", r.status);
    }
    Ok(())
}

fn issue(g: &Global, a: IssueArgs) -> Result<ExitCode> {
    lineage::check_name(&a.name)?;
    if !a.agree_tos {
        bail!("the CA's terms of service must be agreed to (--agree-tos)");
    }
    if a.key_type == KeyType::Ed25519 {
        bail!("--key-type ed25519: ACME CAs do not issue for Ed25519 keys (use ec-p256)");
    }
    for d in &a.domains {
        if !crate::pki::issue::looks_like_hostname(d.trim_start_matches("*.")) {
            bail!("--domain {}: not a DNS name", d.escape_debug());
        }
    }
    let dir = store_dir(g)?;
    if crate::store::fsx::exists_rel(&dir, &lineage::settings_rel(&a.name)) {
        bail!(
            "lineage {} exists; renew it (certdeck acme renew {} --force)",
            a.name,
            a.name
        );
    }
    let method = match (&a.http_01_standalone, &a.http_01_webroot, &a.dns_01_hook) {
        (Some(s), _, _) => Method::Http01Standalone(s.clone()),
        (_, Some(w), _) => Method::Http01Webroot(std::path::absolute(w)?),
        (_, _, Some(h)) => Method::Dns01Hook(h.clone()),
        _ => bail!("name a challenge: --http-01-standalone, --http-01-webroot or --dns-01-hook"),
    };
    let server = Server {
        directory: crate::acme::directory_url(&a.server),
        ca_bundle: a
            .ca_bundle
            .as_deref()
            .map(std::path::absolute)
            .transpose()?,
    };
    let eab = match (&a.eab_kid, &a.eab_hmac_key_file) {
        (Some(kid), Some(f)) => {
            let raw = Zeroizing::new(
                std::fs::read_to_string(f)
                    .with_context(|| format!("cannot read {}", f.display()))?,
            );
            Some((kid.clone(), account::eab_hmac_key(&raw)?))
        }
        _ => None,
    };
    let mut settings = Settings {
        name: a.name.clone(),
        domains: a.domains.clone(),
        server: server.directory.clone(),
        ca_bundle: server.ca_bundle.clone(),
        email: a.email.clone(),
        key_type: a.key_type.as_str().to_string(),
        renew_before_days: a.renew_before_days,
        cert_file: String::new(),
        key_file: String::new(),
        server_files: false,
        server_configs: vec![],
        keystore_alias: None,
        challenge: method.clone(),
        last: None,
    };
    let servers = servers(g)?;
    // The plan the order will need, built on a stand-in certificate before the CA is asked:
    // a target the configs do not name, a keystore that does not open, fail here.
    let (plan, root) = preflight(g, &servers, &mut settings)?;
    if a.dry_run {
        return issue_dry_run(g, &a, &server, &method, &plan, &root);
    }
    let rt = crate::acme::runtime()?;
    let mut progress = progress_printer(a.json);
    let issued = rt.block_on(async {
        let (acct, new_op) = account::load_or_create(
            &dir,
            &server,
            a.email.as_deref(),
            eab.as_ref().map(|(k, v)| (k.as_str(), v.as_slice())),
        )
        .await?;
        if let Some(op) = new_op {
            // The CA knows the account now: keep it even if the order fails.
            apply(g, a.wait, |ctx| {
                let mut p = Plan::new(format!("acme account at {}", server.directory));
                p.push(op);
                Ok(p.with_missing_dirs(&ctx.inv.store))
            })?;
            progress("registered a new ACME account");
        }
        obtain(&acct, &a.domains, a.key_type, &method, None, &mut progress).await
    })?;
    install(
        g,
        a.wait,
        &servers,
        &mut settings,
        &issued,
        "issued",
        Some(a.json),
    )?;
    if a.reload {
        reload(g, a.json)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The Plan for `settings` on a stand-in certificate, on a read-only open of the store.
fn preflight(
    g: &Global,
    servers: &[crate::servers::ServerConfig],
    settings: &mut Settings,
) -> Result<(Plan, PathBuf)> {
    let (opts, _) = scan_options(g)?;
    let passphrases = passphrases(g)?;
    let dir = store_dir(g)?;
    let ro = crate::store::handle::ReadOnlyStore::open(&dir)?;
    let inv = ro.scan(&opts);
    let ctx = crate::actions::Ctx {
        inv: &inv,
        passphrases: &passphrases,
        now: time::OffsetDateTime::now_utc(),
    };
    let stand_in = crate::acme::order::stand_in(&settings.domains)?;
    let plan = acme_deploy::deploy(&ctx, servers, &stand_in, settings, "issue")?;
    crate::store::layout::check_plan(&dir, &plan).map_err(|e| anyhow!(e))?;
    Ok((plan, ro.root().to_path_buf()))
}

/// `acme issue --dry-run`: the order's steps and the files it would write. No CA is
/// contacted; the store was only opened read-only.
fn issue_dry_run(
    g: &Global,
    a: &IssueArgs,
    server: &Server,
    method: &Method,
    plan: &Plan,
    root: &Path,
) -> Result<ExitCode> {
    let dir = store_dir(g)?;
    let acct = account::account_rel(&server.directory, a.email.as_deref());
    let mut steps = vec![if crate::store::fsx::exists_rel(&dir, &acct) {
        format!("use the ACME account in {acct}")
    } else {
        format!(
            "register an ACME account at {}{}{}, its key stored in {acct} (0600)",
            server.directory,
            a.email
                .as_deref()
                .map(|e| format!(" (contact {e})"))
                .unwrap_or_default(),
            a.eab_kid
                .as_deref()
                .map(|k| format!(" bound to external account {k}"))
                .unwrap_or_default()
        )
    }];
    steps.push(format!("new order for {}", a.domains.join(", ")));
    steps.extend(a.domains.iter().map(|d| method.describe(d)));
    steps.push(format!(
        "finalize with a CSR for a new {} key (made in memory), download the chain",
        a.key_type.as_str()
    ));
    steps.push("apply the plan below under the store lock (nothing is written before)".into());
    if a.reload {
        steps.push(match &g.reload_command {
            Some(c) => format!("run the reload command: {c}"),
            None => "--reload: this store has no reload_command".into(),
        });
    }
    if a.json {
        out(&serde_json::to_string_pretty(&serde_json::json!({
            "dry_run": true,
            "steps": steps,
            "action": plan.action,
            "ops": plan.preview(root),
            "note": "sizes are of a stand-in certificate",
        }))?);
    } else {
        let mut s = String::from("dry run, nothing changed and no CA contacted:\n");
        for (i, st) in steps.iter().enumerate() {
            s.push_str(&format!("  {}. {}\n", i + 1, esc(st)));
        }
        s.push_str(&plan.preview_text(root));
        s.push_str("(sizes are of a stand-in certificate; the CA's chain is longer)\n");
        out(&s);
    }
    Ok(ExitCode::SUCCESS)
}

/// Write an order's files and the lineage settings; print what was done.
fn install(
    g: &Global,
    wait: u64,
    servers: &[crate::servers::ServerConfig],
    settings: &mut Settings,
    issued: &Issued,
    verb: &str,
    // None: say nothing (renew reports per lineage); Some(json): print the result.
    print: Option<bool>,
) -> Result<String> {
    let f = facts(issued.cert_pem.as_bytes())?;
    settings.last = Some(LastResult {
        at: now_rfc3339(),
        result: verb.to_string(),
        message: format!("serial {}, expires {}", f.serial_hex, fmt_unix(f.not_after)),
    });
    let report = apply(g, wait, |ctx| {
        acme_deploy::deploy(ctx, servers, issued, settings, verb)
    })?;
    let Some(json) = print else {
        return Ok(f.serial_hex);
    };
    if json {
        out(&serde_json::to_string_pretty(&serde_json::json!({
            "name": settings.name,
            "result": verb,
            "serial": f.serial_hex,
            "not_after": fmt_unix(f.not_after),
            "cert_file": settings.cert_file,
            "key_file": settings.key_file,
            "plan": report,
        }))?);
    } else {
        let mut s = format!(
            "{verb} {} (serial {}, expires {})\n",
            esc(&settings.name),
            f.serial_hex,
            fmt_unix(f.not_after)
        );
        for l in &report.ops {
            s.push_str(&format!("  {}\n", l.text));
        }
        out(&s);
    }
    Ok(f.serial_hex)
}

#[derive(Serialize)]
struct RenewOutcome {
    name: String,
    /// not-due | renewed | would-renew | failed
    result: String,
    message: String,
    due_at: Option<String>,
    not_after: Option<String>,
    serial: Option<String>,
}

fn renew(g: &Global, a: RenewArgs) -> Result<ExitCode> {
    let dir = store_dir(g)?;
    let lineages = match &a.name {
        Some(n) => vec![(n.clone(), lineage::load(&dir, n))],
        None => lineage::list(&dir),
    };
    let rt = crate::acme::runtime()?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut results = vec![];
    let mut code = 0u8;
    let mut renewed = 0;
    for (name, settings) in lineages {
        let mut o = RenewOutcome {
            name: name.clone(),
            result: "failed".into(),
            message: String::new(),
            due_at: None,
            not_after: None,
            serial: None,
        };
        let r = renew_one(g, &a, &rt, &dir, settings, now, &mut o);
        match r {
            Ok(did) => renewed += did as usize,
            Err(e) => {
                o.result = "failed".into();
                o.message = format!("{e:#}");
                // No readable certificate, or one that expires before the next try: critical.
                let expires_soon = o.not_after.as_deref().is_none_or(|na| {
                    time::OffsetDateTime::parse(na, &time::format_description::well_known::Rfc3339)
                        .map_or(true, |t| t.unix_timestamp() < now + NEXT_ATTEMPT_SECS)
                });
                code = code.max(if expires_soon { 2 } else { 1 });
            }
        }
        if !a.json {
            out(&format!(
                "{}: {} — {}",
                esc(&o.name),
                o.result,
                esc(&o.message)
            ));
        }
        results.push(o);
    }
    if a.json {
        out(&serde_json::to_string_pretty(&results)?);
    }
    if renewed > 0 && a.reload && !a.dry_run {
        reload(g, a.json)?;
    }
    Ok(ExitCode::from(code))
}

/// Ok(true) when renewed. Failures after an attempt are recorded in renewal.toml.
fn renew_one(
    g: &Global,
    a: &RenewArgs,
    rt: &tokio::runtime::Runtime,
    dir: &std::path::Path,
    settings: Result<Settings>,
    now: i64,
    o: &mut RenewOutcome,
) -> Result<bool> {
    let mut settings = settings?;
    let cur = read_cert(dir, &settings.cert_file)
        .with_context(|| format!("cannot read {}", settings.cert_file))
        .and_then(|b| facts(&b));
    if let Ok(f) = &cur {
        o.not_after = Some(fmt_unix(f.not_after));
        o.serial = Some(f.serial_hex.clone());
    }
    let server = Server {
        directory: settings.server.clone(),
        ca_bundle: settings.ca_bundle.clone(),
    };
    let key_type: KeyType = settings.key_type.parse()?;
    let method = settings.challenge.clone();
    let domains = settings.domains.clone();
    // The files the lineage was issued into: the configs named now, else those it recorded.
    let servers = if g.server_config.is_empty() {
        crate::servers::load_all(&settings.server_configs)
            .context("the server config this lineage was issued into")?
    } else {
        servers(g)?
    };
    // Local problems (the account file, the plan) fail before any network access.
    account::check_stored(dir, &server, settings.email.as_deref())?;
    let mut progress = progress_printer(a.json);
    let attempt: Result<Option<Issued>> = rt.block_on(async {
        // A CA that cannot be reached is only a failure when the lineage is due (or forced).
        let acct = account::load(dir, &server, settings.email.as_deref()).await;
        let mut replaces = None;
        if a.force {
            o.message = "--force: renew now".into();
        } else if let Ok(f) = &cur {
            let ari = match &acct {
                Ok(ca) => ari_window(ca, f).await,
                Err(e) => Err(format!("the CA was not reached: {e:#}")),
            };
            let window = ari.as_ref().ok().copied().flatten();
            let d = decide(f, settings.renew_before_days, window, now);
            o.due_at = Some(fmt_unix(d.due_at));
            o.message = format!(
                "{} ({})",
                d.why,
                match (&ari, window) {
                    (Ok(_), Some((s, e))) =>
                        format!("ARI window {} to {}", fmt_unix(s), fmt_unix(e)),
                    (Ok(_), None) => "the CA serves no renewal information (ARI)".into(),
                    (Err(e), _) => format!("no ARI: {e}"),
                }
            );
            if window.is_some() {
                replaces = Some(f.der.clone());
            }
            if !d.due {
                o.result = "not-due".into();
                return Ok(None);
            }
        }
        let acct = acct?;
        if a.dry_run {
            o.result = "would-renew".into();
            return Ok(None);
        }
        obtain(
            &acct,
            &domains,
            key_type,
            &method,
            replaces.as_deref(),
            &mut progress,
        )
        .await
        .map(Some)
    });
    match attempt {
        Ok(None) => Ok(false),
        Ok(Some(issued)) => {
            let serial = install(g, a.wait, &servers, &mut settings, &issued, "renewed", None)?;
            o.result = "renewed".into();
            o.message = format!("new serial {serial}");
            o.serial = Some(serial);
            Ok(true)
        }
        Err(e) => {
            settings.last = Some(LastResult {
                at: now_rfc3339(),
                result: "failed".into(),
                message: format!("{e:#}"),
            });
            // The certificate files stay as they were; only the result is recorded.
            if let Err(we) = apply(g, a.wait, |ctx| {
                acme_deploy::record(ctx, &settings, "renew failed")
            }) {
                eprintln!(
                    "certdeck: cannot record the failure: {}",
                    esc(&format!("{we:#}"))
                );
            }
            Err(e)
        }
    }
}

/// The CA's suggested renewal window: None when it serves no ARI, Err when asking failed.
async fn ari_window(
    ca: &account::Ca,
    f: &crate::acme::renew::CertFacts,
) -> std::result::Result<Option<(i64, i64)>, String> {
    let der = rustls_pki_types::CertificateDer::from(f.der.clone());
    let id = instant_acme::CertificateIdentifier::try_from(&der)
        .map_err(|e| format!("the certificate has no ARI identifier: {e}"))?;
    match ca.account.renewal_info(&id).await {
        Ok((info, _)) => Ok(Some((
            info.suggested_window.start.unix_timestamp(),
            info.suggested_window.end.unix_timestamp(),
        ))),
        Err(instant_acme::Error::Unsupported(_)) => Ok(None),
        Err(e) => Err(ca.explain(&e)),
    }
}

fn reason(s: &str) -> Result<instant_acme::RevocationReason> {
    use instant_acme::RevocationReason as R;
    Ok(match s {
        "unspecified" => R::Unspecified,
        "keyCompromise" => R::KeyCompromise,
        "superseded" => R::Superseded,
        "affiliationChanged" => R::AffiliationChanged,
        "cessationOfOperation" => R::CessationOfOperation,
        "privilegeWithdrawn" => R::PrivilegeWithdrawn,
        other => bail!("--reason {}: use unspecified, keyCompromise, superseded, affiliationChanged, cessationOfOperation or privilegeWithdrawn", other.escape_debug()),
    })
}

fn revoke(g: &Global, a: RevokeArgs) -> Result<ExitCode> {
    let dir = store_dir(g)?;
    let mut settings = lineage::load(&dir, &a.name)?;
    let why = reason(&a.reason)?;
    let pem = read_cert(&dir, &settings.cert_file)
        .with_context(|| format!("cannot read {}", settings.cert_file))?;
    let f = facts(&pem)?;
    let server = Server {
        directory: settings.server.clone(),
        ca_bundle: settings.ca_bundle.clone(),
    };
    let rt = crate::acme::runtime()?;
    rt.block_on(async {
        let ca = account::load(&dir, &server, settings.email.as_deref()).await?;
        let der = rustls_pki_types::CertificateDer::from(f.der.clone());
        ca.account
            .revoke(&instant_acme::RevocationRequest {
                certificate: &der,
                reason: Some(why),
            })
            .await
            .map_err(|e| anyhow!("revoke: {}", ca.explain(&e)))
    })?;
    settings.last = Some(LastResult {
        at: now_rfc3339(),
        result: "revoked".into(),
        message: format!("serial {} revoked ({})", f.serial_hex, a.reason),
    });
    apply(g, a.wait, |ctx| {
        acme_deploy::record(ctx, &settings, "revoke")
    })?;
    if a.json {
        out(&serde_json::to_string_pretty(&serde_json::json!({
            "name": a.name, "result": "revoked", "serial": f.serial_hex, "reason": a.reason,
        }))?);
    } else {
        out(&format!(
            "revoked {} (serial {}); renew it to get a new certificate (certdeck acme renew {} --force)",
            esc(&a.name),
            f.serial_hex,
            esc(&a.name)
        ));
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct ListRow {
    name: String,
    domains: Vec<String>,
    server: String,
    cert_file: String,
    serial: Option<String>,
    not_after: Option<String>,
    /// When renew will act by the lineage's own policy (ARI is asked only by renew).
    renewal_due: Option<String>,
    due_now: bool,
    last: Option<LastResult>,
    error: Option<String>,
}

fn list(g: &Global, a: ListArgs) -> Result<ExitCode> {
    let dir = store_dir(g)?;
    // Reads only: sandboxed like audit, so a bug here cannot write.
    let _ = crate::sandbox::restrict_to_read_only(false);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let rows: Vec<ListRow> = lineage::list(&dir)
        .into_iter()
        .map(|(name, s)| match s {
            Err(e) => ListRow {
                name,
                domains: vec![],
                server: String::new(),
                cert_file: String::new(),
                serial: None,
                not_after: None,
                renewal_due: None,
                due_now: false,
                last: None,
                error: Some(format!("{e:#}")),
            },
            Ok(s) => {
                let f = read_cert(&dir, &s.cert_file)
                    .map_err(anyhow::Error::from)
                    .and_then(|b| facts(&b));
                let d = f
                    .as_ref()
                    .ok()
                    .map(|f| decide(f, s.renew_before_days, None, now));
                ListRow {
                    name,
                    domains: s.domains,
                    server: s.server,
                    cert_file: s.cert_file,
                    serial: f.as_ref().ok().map(|f| f.serial_hex.clone()),
                    not_after: f.as_ref().ok().map(|f| fmt_unix(f.not_after)),
                    renewal_due: d.as_ref().map(|d| fmt_unix(d.due_at)),
                    due_now: d.as_ref().is_some_and(|d| d.due),
                    last: s.last,
                    error: f.err().map(|e| format!("{e:#}")),
                }
            }
        })
        .collect();
    if a.json {
        out(&serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        out("no ACME lineages (certdeck acme issue NAME --domain D ...)");
        return Ok(ExitCode::SUCCESS);
    }
    let mut s = String::new();
    for r in &rows {
        s.push_str(&format!(
            "{}  {}  expires {}  renew {}{}  last: {}\n",
            esc(&r.name),
            esc(&r.domains.join(",")),
            r.not_after.as_deref().unwrap_or("?"),
            r.renewal_due.as_deref().unwrap_or("?"),
            if r.due_now { " (due now)" } else { "" },
            r.last
                .as_ref()
                .map(|l| format!("{} {} {}", l.result, l.at, esc(&l.message)))
                .or_else(|| r.error.as_ref().map(|e| format!("error: {}", esc(e))))
                .unwrap_or_else(|| "-".into()),
        ));
    }
    out(&s);
    Ok(ExitCode::SUCCESS)
}

/// A lineage's certificate, read through the store's directory handle: `cert_file` comes from
/// renewal.toml, store content, so it never leads outside the store or through a symlink.
fn read_cert(store: &Path, rel: &str) -> std::io::Result<Vec<u8>> {
    crate::store::fsx::read_rel(store, rel, 1 << 20)
}
