//! `certdeck audit`: the read-only findings for monitoring (table, JSON, Prometheus, Nagios
//! exit codes).

use std::process::ExitCode;

use super::global::{base_scan_options, servers, Global};
use super::output::out;
use crate::text::escape_control as esc;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print the report as JSON (status, exit_code, summary, findings).
    #[arg(long, conflicts_with = "prometheus", help_heading = "Output")]
    pub json: bool,
    /// Prometheus text format for node_exporter's textfile collector.
    #[arg(long, help_heading = "Output")]
    pub prometheus: bool,
    /// Days before expiry that are CRITICAL [default: 7, or the config's].
    #[arg(long)]
    pub crit_days: Option<i64>,
    /// Do not use the system trust store as chain anchors.
    #[arg(long)]
    pub no_system_trust: bool,
}

/// Exit 3 (UNKNOWN) when the store cannot be read at all, as monitoring expects.
pub fn unknown(a: &Args, error: &str) -> ExitCode {
    if a.json {
        out(&serde_json::json!({"status": "UNKNOWN", "exit_code": 3, "error": error}).to_string());
    } else {
        out(&format!("CERTDECK UNKNOWN - {}", esc(error)));
    }
    ExitCode::from(3)
}

pub fn run(g: &Global, a: Args) -> ExitCode {
    let crit_days = a.crit_days.or(g.crit_days).unwrap_or(7);
    let sandbox = crate::sandbox::restrict_to_read_only(false);
    let dir = g
        .store
        .clone()
        .unwrap_or_else(|| std::env::current_dir().unwrap_or_default());
    let store = match crate::store::handle::ReadOnlyStore::open(&dir) {
        Ok(s) => s,
        Err(e) => {
            if a.json {
                out(&serde_json::json!({"store": dir.display().to_string(), "status": "UNKNOWN", "exit_code": 3, "error": e.to_string()}).to_string());
            } else {
                out(&format!("CERTDECK UNKNOWN - {}", esc(&e.to_string())));
            }
            return ExitCode::from(3);
        }
    };
    let (mut scan_opts, servers) = match base_scan_options(g).and_then(|o| Ok((o, servers(g)?))) {
        Ok(o) => o,
        Err(e) => {
            out(&format!("CERTDECK UNKNOWN - {}", esc(&format!("{e:#}"))));
            return ExitCode::from(3);
        }
    };
    scan_opts.analyze.system_trust = !a.no_system_trust;
    let lint = crate::pki::lint::LintOptions {
        now: scan_opts.analyze.now,
        warn_days: g.warn(),
        crit_days,
        reload_configured: g.reload_command.is_some(),
    };
    let report = crate::audit::run(&store, &scan_opts, &lint, &servers);
    if a.json {
        out(&report.to_json());
    } else if a.prometheus {
        out(&report.to_prometheus());
    } else {
        out(&report.to_table());
        if std::env::var_os("CERTDECK_DEBUG").is_some() {
            eprintln!("{}", sandbox.label());
        }
    }
    ExitCode::from(report.exit_code)
}
