//! `certdeck exporter`: serve the stores' metrics to Prometheus (read-only, sandboxed).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};

use super::global::{base_scan_options, servers, Global};
use crate::exporter::{http, Exporter};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Address to listen on, e.g. 127.0.0.1:9793 or [::]:9793.
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: String,
    /// More store directories to export, besides --store (which may also be repeated); each
    /// store's series carry its directory as the `store` label.
    #[arg(value_name = "STORE")]
    pub stores: Vec<PathBuf>,
    /// Also emit another exporter's series: x509-exporter (enix x509-certificate-exporter's
    /// x509_cert_not_after, x509_cert_not_before, x509_cert_expired and label names).
    #[arg(long, value_name = "EXPORTER", value_parser = ["x509-exporter"])]
    pub compat: Option<String>,
    /// Days before expiry that are CRITICAL [default: 7, or the config's].
    #[arg(long)]
    pub crit_days: Option<i64>,
    /// Most connections served at once; more get 503.
    #[arg(long, default_value_t = 16)]
    pub max_connections: usize,
    /// Seconds a client has to send its request, and again to take the whole answer; a
    /// client slower than that is cut off (it never delays other scrapes meanwhile).
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub client_timeout: f64,
}

pub fn run(g: &Global, a: Args) -> Result<ExitCode> {
    // The one socket is bound before the sandbox denies binding.
    let listener =
        TcpListener::bind(&a.listen).with_context(|| format!("cannot listen on {}", a.listen))?;
    let sandbox = crate::sandbox::restrict_to_read_only(false);
    let mut dirs: Vec<PathBuf> = g.store.iter().cloned().collect();
    dirs.extend(g.more_stores.iter().cloned());
    dirs.extend(a.stores.iter().cloned());
    if dirs.is_empty() {
        dirs.push(std::env::current_dir()?);
    }
    let mut stores: Vec<crate::store::handle::ReadOnlyStore> = vec![];
    for d in &dirs {
        let store = crate::store::handle::ReadOnlyStore::open(d)
            .with_context(|| format!("store {}", d.display()))?;
        // The same directory twice would be the same series twice: Prometheus rejects a
        // scrape with duplicate samples.
        if stores.iter().any(|s| s.root() == store.root()) {
            bail!("store {} is given twice", store.root().display());
        }
        stores.push(store);
    }
    let servers = servers(g)?;
    let scan = base_scan_options(g)?;
    let lint = crate::pki::lint::LintOptions {
        now: scan.analyze.now,
        warn_days: g.warn(),
        crit_days: a.crit_days.or(g.crit_days).unwrap_or(7),
        reload_configured: g.reload_command.is_some(),
    };
    let x509 = a.compat.as_deref() == Some("x509-exporter");
    let exporter = Exporter::new(stores, scan, lint, servers, x509);
    let addr = listener.local_addr()?;
    eprintln!(
        "certdeck exporter: {} store(s), {} items, on http://{addr}/metrics; {}",
        exporter.stores.len(),
        exporter
            .stores
            .iter()
            .map(|s| s.inventory.items.len())
            .sum::<usize>(),
        sandbox.label()
    );
    let snapshot = exporter.snapshot.clone();
    if !(a.client_timeout > 0.0 && a.client_timeout <= 3600.0) {
        bail!("--client-timeout must be more than 0 and at most 3600 seconds");
    }
    let limits = http::Limits {
        max_connections: a.max_connections.max(1),
        timeout: std::time::Duration::from_secs_f64(a.client_timeout),
    };
    let server = std::thread::spawn(move || {
        http::serve(
            listener,
            limits,
            Arc::new(move |f| Exporter::answer(&snapshot, f)),
        )
    });
    exporter
        .keep_current(std::time::Duration::from_millis(300))
        .context("cannot watch the store")?;
    match server.join() {
        Ok(r) => r.context("listener failed")?,
        Err(_) => bail!("the HTTP server stopped"),
    }
    Ok(ExitCode::SUCCESS)
}
