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
    /// More store directories to export, besides --store (which may be given once).
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
}

pub fn run(g: &Global, a: Args) -> Result<ExitCode> {
    // The one socket is bound before the sandbox denies binding.
    let listener =
        TcpListener::bind(&a.listen).with_context(|| format!("cannot listen on {}", a.listen))?;
    let sandbox = crate::sandbox::restrict_to_read_only(false);
    let mut dirs: Vec<PathBuf> = g.store.iter().cloned().collect();
    dirs.extend(a.stores.iter().cloned());
    if dirs.is_empty() {
        dirs.push(std::env::current_dir()?);
    }
    let mut stores = vec![];
    for d in &dirs {
        stores.push(crate::store::handle::ReadOnlyStore::open(d)?);
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
    let limits = http::Limits {
        max_connections: a.max_connections.max(1),
        ..Default::default()
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
