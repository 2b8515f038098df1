//! The options every command shares (store, config, server configs, passphrases) and what
//! they resolve to: the store directory, the scan options, the config file's settings.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use zeroize::Zeroizing;

use crate::servers::ServerConfig;
use crate::store::inventory::Inventory;
use crate::store::scan::{scan, ScanOptions};

#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Store")]
pub struct Global {
    /// Store directory to open, or the name of a store in the config file (default: the
    /// config's default_store, else the current directory). `exporter` takes it repeatedly.
    #[arg(
        id = "store",
        long = "store",
        short = 's',
        global = true,
        env = "CERTDECK_STORE",
        value_name = "STORE",
        action = clap::ArgAction::Append
    )]
    pub stores: Vec<PathBuf>,
    /// The store: the first `--store`, resolved through the config file (`resolve_config`).
    #[arg(skip)]
    pub store: Option<PathBuf>,
    /// The other `--store`s (only `exporter` accepts them), resolved like the first.
    #[arg(skip)]
    pub more_stores: Vec<PathBuf>,
    /// Config file with named stores (default: ~/.config/certdeck/config.toml when it exists).
    #[arg(long, global = true, env = "CERTDECK_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A server's config file naming the files it uses: nginx.conf, harperdb-config.yaml,
    /// config-rpc.toml (Nano RPC), application.properties (Spring Boot); the kind is guessed from
    /// the name, or say KIND:FILE (nginx, harper, nano, spring). Repeatable.
    #[arg(long = "server-config", global = true, value_name = "FILE")]
    pub server_config: Vec<String>,
    /// Never write anything (TUI actions disabled).
    #[arg(long, global = true, help_heading = "Global")]
    pub read_only: bool,
    /// Trust this store's history/ and journal even when another account owns them or can
    /// write them (like git's safe.directory; also `safe_stores` in the config). Paths in the
    /// journal are still checked and never followed out of the store.
    #[arg(long, global = true)]
    pub safe_store: bool,
    /// File whose first line is a passphrase for encrypted keys / PKCS#12 files.
    #[arg(long, global = true, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Days before expiry at which a certificate counts as expiring [default: 30, or the config's].
    #[arg(long, global = true)]
    pub warn_days: Option<i64>,
    /// Also use the system trust store (/etc/ssl/certs) to build chains.
    #[arg(long, global = true)]
    pub system_trust: bool,
    /// No colours in the TUI: `--mono` of the top level or of `demo`.
    #[arg(skip)]
    pub mono: bool,
    /// `--no-clipboard` of the top level (TUI).
    #[arg(skip)]
    pub no_clipboard: bool,
    /// `--no-mouse` of the top level (TUI).
    #[arg(skip)]
    pub no_mouse: bool,
    /// From the config file's store: days that are CRITICAL in an audit.
    #[arg(skip)]
    pub crit_days: Option<i64>,
    /// From the config file's store: its trust dir.
    #[arg(skip)]
    pub trust_dir: Option<String>,
    /// From the config file's store: how to make the server pick up a change.
    #[arg(skip)]
    pub reload_command: Option<String>,
    /// From the config file's store: the CA bundle kept in step with the trust dir.
    #[arg(skip)]
    pub trust_bundle: Option<String>,
}

impl Global {
    pub fn warn(&self) -> i64 {
        self.warn_days.unwrap_or(30)
    }

    pub fn trust_dir(&self, given: Option<String>) -> String {
        given
            .or_else(|| self.trust_dir.clone())
            .unwrap_or_else(|| crate::actions::DEFAULT_TRUST_DIR.to_string())
    }
}

/// The passphrases `--passphrase-file` gives (its first line), tried on encrypted keys.
pub fn passphrases(g: &Global) -> Result<Vec<Zeroizing<String>>> {
    let Some(f) = &g.passphrase_file else {
        return Ok(vec![]);
    };
    let raw = Zeroizing::new(
        std::fs::read_to_string(f)
            .with_context(|| format!("cannot read passphrase file {}", f.display()))?,
    );
    Ok(vec![Zeroizing::new(
        raw.lines().next().unwrap_or("").to_string(),
    )])
}

/// Scan options from the global flags, without what server configs name (`with_servers`).
pub fn base_scan_options(g: &Global) -> Result<ScanOptions> {
    let mut opts = ScanOptions::default();
    opts.analyze.warn_days = g.warn();
    opts.analyze.system_trust = g.system_trust;
    opts.decode.warn_days = g.warn();
    opts.decode.passphrases = passphrases(g)?;
    Ok(opts)
}

pub fn store_dir(g: &Global) -> Result<PathBuf> {
    let dir = match &g.store {
        Some(s) => s.clone(),
        None => std::env::current_dir()?,
    };
    if !dir.is_dir() {
        bail!("store {} is not a directory", dir.display());
    }
    Ok(dir)
}

pub fn load(g: &Global) -> Result<Inventory> {
    load_with(g, |_| {})
}

/// Scan with the global options, adjusted by the subcommand.
pub fn load_with(g: &Global, adjust: impl FnOnce(&mut ScanOptions)) -> Result<Inventory> {
    let dir = store_dir(g)?;
    let (mut opts, _) = scan_options(g)?;
    adjust(&mut opts);
    Ok(scan(&dir, &opts))
}

/// The server configs `--server-config` (or the config file) names.
pub fn servers(g: &Global) -> Result<Vec<ServerConfig>> {
    crate::servers::load_all(&g.server_config).context("cannot read server config")
}

/// Scan options with the files the server configs name attached, and those configs.
pub fn scan_options(g: &Global) -> Result<(ScanOptions, Vec<ServerConfig>)> {
    let servers = servers(g)?;
    Ok((
        crate::serving::scan_options(base_scan_options(g)?, &servers),
        servers,
    ))
}

/// Apply the config file: `--store NAME`, default store, and the store's settings where the
/// command line does not set them.
pub fn resolve_config(g: &mut Global) -> Result<()> {
    let cfg = crate::config::load_optional(g.config.as_deref()).context("config file")?;
    if g.store.is_none() {
        g.store = g.stores.first().cloned();
    }
    // A further store's settings stay its own business: only its directory is looked up.
    g.more_stores = (g.stores.iter().skip(1))
        .map(|v| cfg.select(Some(v)).dir.unwrap_or_else(|| v.clone()))
        .collect();
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
        crate::store::history::allow_foreign_history(s);
    }
    if g.safe_store {
        if let Some(s) = &g.store {
            crate::store::history::allow_foreign_history(s);
        }
    }
    Ok(())
}

/// A FILE argument as a store-relative path (absolute paths must be inside the store).
pub fn store_rel(g: &Global, file: &str) -> Result<String> {
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
