//! The audit report: findings of a store as a table, JSON, or Prometheus text, with a Nagios
//! exit code. Built only from a `ReadOnlyStore`, so an audit cannot write.

use serde::Serialize;

use crate::exporter::metrics::label;
use crate::pki::lint::{lint_items, nagios_exit_code, Finding, LintOptions, Severity};
use crate::pki::Detail;
use crate::store::checks;
use crate::store::handle::ReadOnlyStore;
use crate::store::inventory::Inventory;
use crate::store::scan::ScanOptions;
use crate::text::escape_control as esc;

#[derive(Debug, Serialize)]
pub struct Summary {
    pub critical: usize,
    pub warning: usize,
    pub info: usize,
    pub items: usize,
    pub certificates: usize,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub store: String,
    pub status: &'static str,
    pub exit_code: u8,
    pub summary: Summary,
    pub findings: Vec<Finding>,
    #[serde(skip)]
    pub inventory: Inventory,
    pub generated_at: i64,
}

/// All findings for an inventory, most severe first, then by path.
pub fn findings(inv: &Inventory, opts: &LintOptions) -> Vec<Finding> {
    findings_with_servers(inv, opts, &[])
}

/// All findings, plus what the server configs pair (`--server-config`).
pub fn findings_with_servers(
    inv: &Inventory,
    opts: &LintOptions,
    servers: &[crate::servers::ServerConfig],
) -> Vec<Finding> {
    let mut f = lint_items(&inv.items, opts);
    f.extend(checks::check(inv));
    f.extend(crate::serving::check::check(inv, servers));
    f.extend(crate::store::certbot::lineage_findings(
        inv,
        !servers.is_empty(),
        opts.reload_configured,
    ));
    crate::store::certbot::mute_history(inv, &mut f);
    f.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.path.cmp(&b.path))
            .then(a.code.cmp(b.code))
    });
    f
}

/// Scan `store` with what `servers` name attached, and report.
pub fn run(
    store: &ReadOnlyStore,
    scan: &ScanOptions,
    lint: &LintOptions,
    servers: &[crate::servers::ServerConfig],
) -> Report {
    let inventory = store.scan(&crate::serving::scan_options(scan.clone(), servers));
    report_with_servers(inventory, lint, servers)
}

pub fn report(inventory: Inventory, lint: &LintOptions) -> Report {
    report_with_servers(inventory, lint, &[])
}

pub fn report_with_servers(
    inventory: Inventory,
    lint: &LintOptions,
    servers: &[crate::servers::ServerConfig],
) -> Report {
    let findings = findings_with_servers(&inventory, lint, servers);
    let count = |s| findings.iter().filter(|f| f.severity == s).count();
    let exit_code = nagios_exit_code(&findings);
    Report {
        store: inventory.store.display().to_string(),
        status: ["OK", "WARNING", "CRITICAL"][exit_code as usize],
        exit_code,
        summary: Summary {
            critical: count(Severity::Critical),
            warning: count(Severity::Warning),
            info: count(Severity::Info),
            items: inventory.items.len(),
            certificates: inventory.certificates().count(),
        },
        findings,
        inventory,
        generated_at: lint.now,
    }
}

impl Report {
    /// First line follows the Nagios plugin output convention (`STATUS - summary`).
    pub fn to_table(&self) -> String {
        let s = &self.summary;
        let mut out = format!(
            "CERTDECK {} - {} critical, {} warning, {} info; {} certificates in {}\n",
            self.status,
            s.critical,
            s.warning,
            s.info,
            s.certificates,
            esc(&self.store)
        );
        if self.findings.is_empty() {
            return out;
        }
        out.push_str(&format!(
            "\n{:<8} {:<18} {:<36} {}\n",
            "SEVERITY", "CODE", "PATH", "MESSAGE"
        ));
        for f in &self.findings {
            let path = if f.index > 0 {
                format!("{}#{}", esc(&f.path), f.index)
            } else {
                esc(&f.path).into_owned()
            };
            out.push_str(&format!(
                "{:<8} {:<18} {:<36} {}\n{:<64}   fix: {}\n",
                f.severity.label(),
                f.code,
                path,
                esc(&f.message),
                "",
                esc(&f.fix)
            ));
        }
        out
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Prometheus text exposition format, for node_exporter's textfile collector.
    pub fn to_prometheus(&self) -> String {
        let store = label(&self.store);
        let mut out = String::new();
        out.push_str("# HELP certdeck_certificate_expiry_timestamp_seconds Certificate notAfter as Unix time.\n");
        out.push_str("# TYPE certdeck_certificate_expiry_timestamp_seconds gauge\n");
        for it in &self.inventory.items {
            if let Detail::Certificate(c) = &it.detail {
                out.push_str(&format!(
                    "certdeck_certificate_expiry_timestamp_seconds{{store=\"{store}\",path=\"{}\",index=\"{}\",cn=\"{}\",serial=\"{}\"}} {}\n",
                    label(&it.path),
                    it.index,
                    label(c.common_name.as_deref().unwrap_or("")),
                    c.serial,
                    c.not_after_unix
                ));
            }
        }
        out.push_str("# HELP certdeck_findings Number of audit findings by severity and code.\n");
        out.push_str("# TYPE certdeck_findings gauge\n");
        let mut counts: std::collections::BTreeMap<(Severity, &str), usize> = Default::default();
        for f in &self.findings {
            *counts.entry((f.severity, f.code)).or_default() += 1;
        }
        for sev in [Severity::Critical, Severity::Warning, Severity::Info] {
            if !counts.keys().any(|(s, _)| *s == sev) {
                // Keep every severity present so alert rules see 0 rather than no data.
                counts.insert((sev, "none"), 0);
            }
        }
        for ((sev, code), n) in &counts {
            out.push_str(&format!(
                "certdeck_findings{{store=\"{store}\",severity=\"{}\",code=\"{code}\"}} {n}\n",
                sev.label().to_ascii_lowercase()
            ));
        }
        out.push_str(
            "# HELP certdeck_audit_status Nagios-style status: 0 ok, 1 warning, 2 critical.\n",
        );
        out.push_str("# TYPE certdeck_audit_status gauge\n");
        out.push_str(&format!(
            "certdeck_audit_status{{store=\"{store}\"}} {}\n",
            self.exit_code
        ));
        out.push_str("# HELP certdeck_audit_timestamp_seconds When this audit ran.\n");
        out.push_str("# TYPE certdeck_audit_timestamp_seconds gauge\n");
        out.push_str(&format!(
            "certdeck_audit_timestamp_seconds{{store=\"{store}\"}} {}\n",
            self.generated_at
        ));
        out
    }
}
