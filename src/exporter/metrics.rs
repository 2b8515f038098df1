//! The exporter's metrics as Prometheus text (0.0.4) or OpenMetrics, from what the exporter
//! holds: pure, so a scrape never touches the store. Each family is written once, over every
//! store, as both formats require a family's samples to be together.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use crate::pki::lint::{Finding, Severity};
use crate::pki::{Detail, Item};

/// One store as the exporter last saw it.
pub struct StoreView<'a> {
    /// The store directory (the `store` label, as `audit --prometheus` writes it).
    pub store: &'a Path,
    pub items: &'a [Item],
    pub findings: &'a [Finding],
    /// Nagios-style status of the store: 0 ok, 1 warning, 2 critical.
    pub status: u8,
    pub scan_seconds: f64,
    pub scanned_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `text/plain; version=0.0.4`.
    Text,
    /// `application/openmetrics-text; version=1.0.0`: ends with `# EOF`.
    OpenMetrics,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Also the x509-certificate-exporter series (`--compat x509-exporter`).
    pub x509_compat: bool,
    /// "Now" for `x509_cert_expired`.
    pub now: i64,
}

/// Escape a label value as the exposition formats say: backslash, double quote, newline.
pub fn label(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// The first 16 hex digits of a SHA-256: enough to tell certificates apart, short in a label.
fn short(sha256: &str) -> &str {
    let hex = sha256.trim_start_matches("sha256:");
    hex.get(..16).unwrap_or(hex)
}

/// `<name>` of a certbot lineage path (`live/<name>/…` or `archive/<name>/…`, possibly below
/// the letsencrypt directory), else "".
fn lineage(path: &str) -> &str {
    let parts: Vec<&str> = path.split('/').collect();
    parts
        .windows(3)
        .find(|w| w[0] == "live" || w[0] == "archive")
        .map_or("", |w| w[1])
}

fn family(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
}

/// The common name of a distinguished name string (`CN=x, O=y`), for `issuer_CN`.
fn cn_of(dn: &str) -> &str {
    dn.split([',', '/'])
        .map(str::trim)
        .find_map(|p| p.strip_prefix("CN="))
        .unwrap_or("")
}

pub fn render(stores: &[StoreView], opts: &Options, format: Format) -> String {
    let mut out = String::new();
    let labels: Vec<String> = stores
        .iter()
        .map(|s| label(&s.store.display().to_string()))
        .collect();

    family(
        &mut out,
        "certdeck_certificate_expiry_timestamp_seconds",
        "Certificate notAfter as Unix time.",
    );
    for (s, store) in stores.iter().zip(&labels) {
        for it in s.items {
            let Detail::Certificate(c) = &it.detail else {
                continue;
            };
            let _ = write!(
                out,
                "certdeck_certificate_expiry_timestamp_seconds{{store=\"{store}\",path=\"{}\",index=\"{}\",cn=\"{}\",issuer=\"{}\",serial=\"{}\",sha256=\"{}\"",
                label(&it.path),
                it.index,
                label(c.common_name.as_deref().unwrap_or("")),
                label(&c.issuer),
                label(&c.serial),
                label(short(&c.sha256)),
            );
            let lin = lineage(&it.path);
            if !lin.is_empty() {
                let _ = write!(out, ",lineage=\"{}\"", label(lin));
            }
            let _ = writeln!(out, "}} {}", c.not_after_unix);
        }
    }

    family(
        &mut out,
        "certdeck_findings",
        "Number of audit findings by severity, code and path.",
    );
    for (s, store) in stores.iter().zip(&labels) {
        let mut counts: BTreeMap<(Severity, &str, &str), usize> = BTreeMap::new();
        for f in s.findings {
            *counts.entry((f.severity, f.code, &f.path)).or_default() += 1;
        }
        for sev in [Severity::Critical, Severity::Warning, Severity::Info] {
            if !counts.keys().any(|(s, _, _)| *s == sev) {
                // Every severity present, so alert rules see 0 rather than no data.
                counts.insert((sev, "none", ""), 0);
            }
        }
        for ((sev, code, path), n) in &counts {
            let _ = writeln!(
                out,
                "certdeck_findings{{store=\"{store}\",severity=\"{}\",code=\"{}\",path=\"{}\"}} {n}",
                sev.label().to_ascii_lowercase(),
                label(code),
                label(path)
            );
        }
    }

    family(
        &mut out,
        "certdeck_crl_next_update_timestamp_seconds",
        "CRL nextUpdate as Unix time.",
    );
    for (s, store) in stores.iter().zip(&labels) {
        for it in s.items {
            if let Detail::Crl(c) = &it.detail {
                if let Some(next) = c.next_update_unix {
                    let _ = writeln!(
                        out,
                        "certdeck_crl_next_update_timestamp_seconds{{store=\"{store}\",path=\"{}\",index=\"{}\",issuer=\"{}\"}} {next}",
                        label(&it.path),
                        it.index,
                        label(&c.issuer)
                    );
                }
            }
        }
    }

    let keystores =
        |out: &mut String, name: &str, value: fn(&crate::pki::KeystoreInfo) -> usize| {
            for (s, store) in stores.iter().zip(&labels) {
                for it in s.items {
                    if let Detail::Keystore(k) = &it.detail {
                        let _ = writeln!(
                            out,
                            "{name}{{store=\"{store}\",path=\"{}\",format=\"{}\"}} {}",
                            label(&it.path),
                            label(&k.format),
                            value(k)
                        );
                    }
                }
            }
        };
    family(
        &mut out,
        "certdeck_keystore_locked",
        "1 when the keystore could not be opened with the passphrases given.",
    );
    keystores(&mut out, "certdeck_keystore_locked", |k| k.locked as usize);
    family(
        &mut out,
        "certdeck_keystore_entries",
        "Entries in the keystore (0 while locked).",
    );
    keystores(&mut out, "certdeck_keystore_entries", |k| k.entries.len());

    let per_store =
        |out: &mut String, name: &str, help: &str, value: &dyn Fn(&StoreView) -> String| {
            family(out, name, help);
            for (s, store) in stores.iter().zip(&labels) {
                let _ = writeln!(out, "{name}{{store=\"{store}\"}} {}", value(s));
            }
        };
    per_store(
        &mut out,
        "certdeck_audit_status",
        "Nagios-style status: 0 ok, 1 warning, 2 critical.",
        &|s| s.status.to_string(),
    );
    per_store(
        &mut out,
        "certdeck_exporter_scan_duration_seconds",
        "How long the last scan or update of the store took.",
        &|s| format!("{:.6}", s.scan_seconds),
    );
    per_store(
        &mut out,
        "certdeck_exporter_last_scan_timestamp_seconds",
        "When the store was last scanned or updated.",
        &|s| s.scanned_at.to_string(),
    );
    per_store(
        &mut out,
        "certdeck_exporter_items",
        "Items (certificates, keys, CRLs, ...) the store holds.",
        &|s| s.items.len().to_string(),
    );
    per_store(
        &mut out,
        "certdeck_exporter_errors",
        "Files of the store that could not be read or decoded.",
        &|s| {
            s.items
                .iter()
                .filter(|i| i.error.is_some())
                .count()
                .to_string()
        },
    );
    family(
        &mut out,
        "certdeck_exporter_build_info",
        "certdeck's version.",
    );
    let _ = writeln!(
        out,
        "certdeck_exporter_build_info{{version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    );

    if opts.x509_compat {
        x509_compat(&mut out, stores, opts.now);
    }
    if format == Format::OpenMetrics {
        out.push_str("# EOF\n");
    }
    out
}

/// enix's x509-certificate-exporter series and label names, so its dashboards and alerts work.
fn x509_compat(out: &mut String, stores: &[StoreView], now: i64) {
    let series = |out: &mut String, name: &str, value: &dyn Fn(&crate::pki::CertInfo) -> i64| {
        for s in stores {
            for it in s.items {
                let Detail::Certificate(c) = &it.detail else {
                    continue;
                };
                let _ = writeln!(
                    out,
                    "{name}{{filepath=\"{}\",subject_CN=\"{}\",issuer_CN=\"{}\",serial_number=\"{}\"}} {}",
                    label(&s.store.join(&it.path).display().to_string()),
                    label(c.common_name.as_deref().unwrap_or("")),
                    label(cn_of(&c.issuer)),
                    label(&c.serial),
                    value(c)
                );
            }
        }
    };
    family(
        out,
        "x509_cert_not_after",
        "Certificate notAfter as Unix time.",
    );
    series(out, "x509_cert_not_after", &|c| c.not_after_unix);
    family(
        out,
        "x509_cert_not_before",
        "Certificate notBefore as Unix time.",
    );
    series(out, "x509_cert_not_before", &|c| c.not_before_unix);
    family(
        out,
        "x509_cert_expired",
        "1 when the certificate has expired.",
    );
    series(out, "x509_cert_expired", &|c| {
        (c.not_after_unix <= now) as i64
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{CertInfo, ItemKind, KeystoreInfo};

    fn item(path: &str, detail: Detail) -> Item {
        Item {
            path: path.into(),
            index: 0,
            kind: ItemKind::Certificate,
            error: None,
            alias: None,
            source: "CERTIFICATE".into(),
            links: vec![],
            used_by: vec![],
            detail,
            der: None,
        }
    }

    fn cert(cn: &str, not_after: i64) -> Detail {
        Detail::Certificate(Box::new(CertInfo {
            common_name: Some(cn.into()),
            issuer: "CN=Test CA,O=x".into(),
            serial: "0a1b".into(),
            sha256: "00112233445566778899aabbccddeeff".into(),
            not_after_unix: not_after,
            not_before_unix: 100,
            ..Default::default()
        }))
    }

    fn sample() -> (Vec<Item>, Vec<Finding>) {
        let items = vec![
            item("live/example.org/cert.pem", cert("example.org", 5000)),
            item("odd\"name\\\n.pem", cert("a\"b", 500)),
            item(
                "keystore.p12",
                Detail::Keystore(Box::new(KeystoreInfo {
                    format: "PKCS12".into(),
                    locked: true,
                    ..Default::default()
                })),
            ),
        ];
        let findings = vec![Finding {
            severity: Severity::Critical,
            code: "expired",
            path: "odd\"name\\\n.pem".into(),
            index: 0,
            message: String::new(),
            fix: String::new(),
        }];
        (items, findings)
    }

    fn render_sample(format: Format, x509: bool) -> String {
        let (items, findings) = sample();
        let view = StoreView {
            store: Path::new("/srv/certs"),
            items: &items,
            findings: &findings,
            status: 2,
            scan_seconds: 0.5,
            scanned_at: 1000,
        };
        let opts = Options {
            x509_compat: x509,
            now: 1000,
        };
        render(&[view], &opts, format)
    }

    #[test]
    fn label_escaping() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn certificates_findings_keystores_and_health_with_escaped_labels() {
        let out = render_sample(Format::Text, false);
        assert!(out.contains(
            "certdeck_certificate_expiry_timestamp_seconds{store=\"/srv/certs\",path=\"live/example.org/cert.pem\",index=\"0\",cn=\"example.org\",issuer=\"CN=Test CA,O=x\",serial=\"0a1b\",sha256=\"0011223344556677\",lineage=\"example.org\"} 5000\n"
        ), "{out}");
        // Escaped per the exposition format; no lineage outside certbot's directories.
        assert!(out.contains("path=\"odd\\\"name\\\\\\n.pem\",index=\"0\",cn=\"a\\\"b\",issuer=\"CN=Test CA,O=x\",serial=\"0a1b\",sha256=\"0011223344556677\"} 500\n"), "{out}");
        assert!(out.contains("certdeck_findings{store=\"/srv/certs\",severity=\"critical\",code=\"expired\",path=\"odd\\\"name\\\\\\n.pem\"} 1\n"));
        assert!(out.contains("certdeck_findings{store=\"/srv/certs\",severity=\"warning\",code=\"none\",path=\"\"} 0\n"));
        assert!(out.contains("certdeck_keystore_locked{store=\"/srv/certs\",path=\"keystore.p12\",format=\"PKCS12\"} 1\n"));
        assert!(out.contains("certdeck_keystore_entries{store=\"/srv/certs\",path=\"keystore.p12\",format=\"PKCS12\"} 0\n"));
        assert!(out.contains("certdeck_audit_status{store=\"/srv/certs\"} 2\n"));
        assert!(out.contains("certdeck_exporter_items{store=\"/srv/certs\"} 3\n"));
        assert!(out.contains(
            "certdeck_exporter_last_scan_timestamp_seconds{store=\"/srv/certs\"} 1000\n"
        ));
        assert!(!out.contains("x509_cert"));
        assert!(!out.contains("# EOF"));
        // Each family's TYPE once, every sample line a name{labels} value.
        assert_eq!(out.matches("# TYPE certdeck_findings gauge").count(), 1);
        for line in out.lines().filter(|l| !l.starts_with('#')) {
            let (_, value) = line.rsplit_once(' ').unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }

    #[test]
    fn x509_exporter_compat_and_openmetrics_end() {
        let out = render_sample(Format::OpenMetrics, true);
        assert!(out.contains("x509_cert_not_after{filepath=\"/srv/certs/live/example.org/cert.pem\",subject_CN=\"example.org\",issuer_CN=\"Test CA\",serial_number=\"0a1b\"} 5000\n"), "{out}");
        assert!(out.contains("x509_cert_not_before{filepath=\"/srv/certs/live/example.org/cert.pem\",subject_CN=\"example.org\",issuer_CN=\"Test CA\",serial_number=\"0a1b\"} 100\n"));
        assert!(out.contains("x509_cert_expired{filepath=\"/srv/certs/live/example.org/cert.pem\",subject_CN=\"example.org\",issuer_CN=\"Test CA\",serial_number=\"0a1b\"} 0\n"));
        assert!(
            out.contains("subject_CN=\"a\\\"b\",issuer_CN=\"Test CA\",serial_number=\"0a1b\"} 1\n"),
            "expired at now"
        );
        assert!(out.ends_with("# EOF\n"));
        assert_eq!(out.matches("# EOF").count(), 1);
    }
}
