//! `certdeck probe`: what a live TLS endpoint presents, compared with the store.

use std::process::ExitCode;

use anyhow::Result;

use super::global::{scan_options, store_dir, Global};
use super::output::out;
use crate::servers::probe::probe as connect;
use crate::serving::probe::{compare, Verdict};
use crate::store::scan::scan;
use crate::text::escape_control as esc;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// HOST:PORT to connect to ([::1]:443 for IPv6).
    pub target: String,
    /// SNI name to send (default: HOST when it is a name).
    #[arg(long)]
    pub servername: Option<String>,
    /// Print the served chain and the comparison as JSON.
    #[arg(long, help_heading = "Output")]
    pub json: bool,
    /// Seconds for connecting and for each read/write.
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
}

/// `certdeck probe HOST:PORT`.
pub fn run(g: &Global, a: Args) -> Result<ExitCode> {
    let json = a.json;
    let result = connect(
        &a.target,
        a.servername.as_deref(),
        std::time::Duration::from_secs(a.timeout.max(1)),
    )?;
    let compare_with = g.store.is_some() || !g.server_config.is_empty();
    let comparison = match (compare_with, result.chain.first()) {
        (true, Some(leaf)) => {
            let (opts, servers) = scan_options(g)?;
            let inv = scan(&store_dir(g)?, &opts);
            Some(compare(leaf, &inv, &servers))
        }
        _ => None,
    };
    let code = match &comparison {
        Some(c) if c.verdict == Verdict::NotReloaded => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    };
    if json {
        out(&serde_json::to_string_pretty(&serde_json::json!({
            "address": result.address,
            "servername": result.servername,
            "protocol": result.protocol,
            "cipher_suite": result.cipher_suite,
            "chain": result.chain,
            "comparison": comparison,
        }))?);
        return Ok(code);
    }
    let mut s = format!(
        "{} ({}, {}){}\n",
        esc(&result.address),
        result.protocol,
        result.cipher_suite,
        result
            .servername
            .as_deref()
            .map(|n| format!(", SNI {}", esc(n)))
            .unwrap_or_default()
    );
    for (i, c) in result.chain.iter().enumerate() {
        s.push_str(&format!(
            "  {i} {}\n    issuer  {}\n    serial  {}\n    expires {} ({} days)\n    sha256  {}\n",
            esc(&c.subject),
            esc(&c.issuer),
            esc(&c.serial),
            c.not_after,
            c.days_left,
            crate::pki::cert::colon_hex(&c.sha256)
        ));
        if !c.sans.is_empty() {
            s.push_str(&format!("    SANs    {}\n", esc(&c.sans.join(", "))));
        }
    }
    if let Some(c) = &comparison {
        let tag = match c.verdict {
            Verdict::Matches => "OK",
            Verdict::NotReloaded => "WARNING",
            Verdict::NotOnDisk => "NOTE",
        };
        s.push_str(&format!("{tag}: {}\n", esc(&c.message)));
    }
    out(&s);
    Ok(code)
}
