//! `certdeck fleet`: every certificate Prometheus knows from certdeck exporters.

use std::process::ExitCode;

use anyhow::Result;

use super::global::Global;
use super::output::out;
use crate::text::escape_control as esc;

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

pub fn run(g: &Global, cmd: Cmd) -> Result<ExitCode> {
    let Cmd::List(a) = cmd;
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
