//! `certdeck fleet`: every certificate Prometheus knows from certdeck exporters.

use std::process::ExitCode;

use anyhow::{bail, Result};

use super::global::Global;
use super::output::out;
use crate::text::escape_control as esc;

/// `certdeck fleet --prometheus URL`: the TUI over the fleet; `fleet list`: the same printed.
#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub cmd: Option<Cmd>,
    /// Prometheus to ask, e.g. http://prometheus:9090 (plain http); opens the fleet TUI
    /// (read-only: a change shows the `ssh HOST certdeck ...` that makes it there).
    #[arg(long, value_name = "URL")]
    pub prometheus: Option<String>,
    /// Seconds between reloads from Prometheus in the TUI (r reloads at once).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub refresh: u64,
}

#[derive(clap::Subcommand, Debug)]
pub enum Cmd {
    /// List every certificate of the fleet, with its host (the `instance` label) and the
    /// findings per host; hosts whose exporter is down are stale.
    List(ListArgs),
}

#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Prometheus to ask, e.g. http://prometheus:9090 (plain http).
    #[arg(long, value_name = "URL")]
    pub prometheus: String,
    /// JSON: hosts (with findings) and certificates.
    #[arg(long)]
    pub json: bool,
}

pub fn run(g: &Global, args: Args) -> Result<ExitCode> {
    match (args.cmd, args.prometheus) {
        (Some(Cmd::List(a)), _) => list(g, a),
        (None, Some(url)) => tui(g, &url, args.refresh),
        (None, None) => {
            bail!("fleet: --prometheus URL is needed (or `fleet list --prometheus URL`)")
        }
    }
}

/// The TUI over the fleet: the first load before the terminal is taken (a Prometheus that
/// cannot be reached is a plain error), then reloads in the background.
fn tui(g: &Global, url: &str, refresh: u64) -> Result<ExitCode> {
    let source = crate::tui::fleet::FleetSource::new(url, g.warn())?;
    let started = std::time::Instant::now();
    let first = source.publish(Ok(source.fetch()?), started);
    let first = std::sync::Mutex::new(Some(first));
    // Reloads come as "the store changed" to the run loop, which rescans: loads again.
    let (tick_tx, changes) = crossbeam_channel::unbounded();
    let every = std::time::Duration::from_secs(refresh.max(1));
    std::thread::spawn(move || loop {
        std::thread::sleep(every);
        if tick_tx
            .send(crate::store::watch::Change::Everything)
            .is_err()
        {
            return;
        }
    });
    let opts = crate::tui::TuiOptions {
        mono: g.mono,
        clipboard: !g.no_clipboard,
        mouse: !g.no_mouse,
        read_only: true,
        warn_days: g.warn(),
        changes: Some(changes),
        analyze: crate::store::inventory::AnalyzeOptions {
            // Prometheus has no certificates to verify, only their labels.
            verify_signatures: false,
            ..Default::default()
        },
        crit_days: g.crit_days.unwrap_or(7),
        fleet: Some(source.clone()),
        ..Default::default()
    };
    let loads = move |_files: Option<Vec<String>>| {
        let taken = first.lock().unwrap_or_else(|e| e.into_inner()).take();
        match taken {
            Some(event) => {
                let (tx, rx) = crossbeam_channel::bounded(1);
                let _ = tx.send(event);
                rx
            }
            None => source.spawn_load(),
        }
    };
    crate::tui::run(format!("fleet {url}").into(), loads, opts)?;
    Ok(ExitCode::SUCCESS)
}

fn list(g: &Global, a: ListArgs) -> Result<ExitCode> {
    let prom = crate::fleet::Prometheus::new(&a.prometheus)?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let fleet = crate::fleet::load(&prom, &a.prometheus, now, g.warn())?;
    if a.json {
        out(&serde_json::to_string_pretty(&fleet)?);
        return Ok(ExitCode::SUCCESS);
    }
    let mut s = format!(
        "{:<22} {:<9} {:>5} {:<30} {}\n",
        "HOST", "STATUS", "DAYS", "COMMON NAME", "PATH"
    );
    for c in &fleet.certificates {
        s.push_str(&format!(
            "{:<22} {:<9} {:>5} {:<30} {}\n",
            esc(&c.instance),
            c.status,
            c.days_left,
            esc(&c.common_name),
            esc(&c.path)
        ));
    }
    for h in &fleet.hosts {
        let state = if h.stale {
            "STALE (exporter down)"
        } else {
            "up"
        };
        s.push_str(&format!(
            "\n{}: {state}, {} certificates, {} findings\n",
            esc(&h.instance),
            h.certificates,
            h.findings.len()
        ));
        for f in &h.findings {
            s.push_str(&format!(
                "  {:<8} {:<24} {}\n",
                esc(&f.severity),
                esc(&f.code),
                esc(&f.path)
            ));
        }
    }
    out(s.trim_end());
    Ok(ExitCode::SUCCESS)
}
