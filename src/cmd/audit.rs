//! `certdeck audit`: the read-only findings for monitoring (table, JSON, Prometheus, Nagios
//! exit codes).

use std::process::ExitCode;

use certdeck::text::escape_control as esc;

use super::args::Global;
use crate::{out, scan_options};

/// Exit 3 (UNKNOWN) when the store cannot be read at all, as monitoring expects.
pub(crate) fn audit(
    g: &Global,
    json: bool,
    prometheus: bool,
    crit_days: i64,
    no_system_trust: bool,
) -> ExitCode {
    let sandbox = certdeck::sandbox::restrict_to_read_only(false);
    let dir = g
        .store
        .clone()
        .unwrap_or_else(|| std::env::current_dir().unwrap_or_default());
    let store = match certdeck::store::handle::ReadOnlyStore::open(&dir) {
        Ok(s) => s,
        Err(e) => {
            if json {
                out(&serde_json::json!({"store": dir.display().to_string(), "status": "UNKNOWN", "exit_code": 3, "error": e.to_string()}).to_string());
            } else {
                out(&format!("CERTDECK UNKNOWN - {}", esc(&e.to_string())));
            }
            return ExitCode::from(3);
        }
    };
    let mut scan_opts = match scan_options(g) {
        Ok(o) => o,
        Err(e) => {
            out(&format!("CERTDECK UNKNOWN - {}", esc(&format!("{e:#}"))));
            return ExitCode::from(3);
        }
    };
    scan_opts.analyze.system_trust = !no_system_trust;
    let lint = certdeck::pki::lint::LintOptions {
        now: scan_opts.analyze.now,
        warn_days: g.warn(),
        crit_days,
        reload_configured: g.reload_command.is_some(),
    };
    let report = certdeck::audit::run(&store, &scan_opts, &lint);
    if json {
        out(&report.to_json());
    } else if prometheus {
        out(&report.to_prometheus());
    } else {
        out(&report.to_table());
        if std::env::var_os("CERTDECK_DEBUG").is_some() {
            eprintln!("{}", sandbox.label());
        }
    }
    ExitCode::from(report.exit_code)
}
