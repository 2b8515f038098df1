//! Findings about a store's items: what is wrong, how bad, and how to fix it.
//!
//! Codes are stable (scripts and alert rules match on them). Item-level checks live here; the
//! store-level ones that need the directory (trust-dir links, layout pairs) are computed by
//! `store::trustdir` / `store::layout` and passed in as facts, so this stays pure.

use serde::Serialize;

use super::cert::SECONDS_PER_DAY;
use super::model::{ChainStatus, Detail, Item, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "INFO",
            Severity::Warning => "WARNING",
            Severity::Critical => "CRITICAL",
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// Stable identifier, e.g. `expired`, `weak-key`.
    pub code: &'static str,
    pub path: String,
    pub index: usize,
    pub message: String,
    pub fix: String,
}

#[derive(Debug, Clone, Copy)]
pub struct LintOptions {
    pub now: i64,
    pub warn_days: i64,
    pub crit_days: i64,
    /// certdeck has a reload command for this store (so a certbot renewal gets reloaded).
    pub reload_configured: bool,
}

impl Default for LintOptions {
    fn default() -> Self {
        LintOptions {
            now: time::OffsetDateTime::now_utc().unix_timestamp(),
            warn_days: 30,
            crit_days: 7,
            reload_configured: false,
        }
    }
}

fn finding(
    severity: Severity,
    code: &'static str,
    it: &Item,
    message: String,
    fix: impl Into<String>,
) -> Finding {
    Finding {
        severity,
        code,
        path: it.path.clone(),
        index: it.index,
        message,
        fix: fix.into(),
    }
}

/// Leaf validity limit browsers enforce for certificates issued since 2020-09-01.
const MAX_LEAF_DAYS: i64 = 398;
const CAB_LIMIT_START: i64 = 1_598_918_400; // 2020-09-01T00:00:00Z

/// What is missing from an incomplete chain, and a fix certdeck itself would carry out (no
/// writing into certbot's tree, which it refuses).
fn incomplete_fix(it: &Item, c: &super::model::CertInfo) -> String {
    let certbot = ["archive/", "live/"]
        .iter()
        .any(|d| it.path.starts_with(d) || it.path.contains(&format!("/{d}")));
    if !c.chain_issuers.is_empty() {
        // An intermediate is here and its issuer is not: what is missing is the root, which
        // servers do not send and clients take from their own trust.
        return "only the root CA is missing: add it to the system trust or pass --system-trust (servers need not send it)".into();
    }
    if certbot {
        "the intermediate that issued it is missing: certbot writes chain.pem/fullchain.pem itself (certbot renew --force-renewal rewrites them); certdeck does not write in certbot's tree".into()
    } else {
        "the intermediate (or root) that issued it is missing: add it to the chain file the server sends, or import it with certdeck import".into()
    }
}

/// Item-level findings for every item.
pub fn lint_items(items: &[Item], opts: &LintOptions) -> Vec<Finding> {
    use Severity::*;
    let mut out = vec![];
    let mut seen_sha: std::collections::HashMap<&str, &Item> = Default::default();
    // A key waiting for its certificate (it signed a CSR in the store) is not an orphan.
    let csr_keys: std::collections::HashSet<&[u8]> = items
        .iter()
        .filter_map(|it| match &it.detail {
            Detail::Csr(c) => Some(c.spki_bits.as_slice()),
            _ => None,
        })
        .collect();
    for it in items {
        if let Some(e) = &it.error {
            let locked = e.starts_with("locked");
            out.push(finding(
                if locked { Info } else { Warning },
                if locked { "locked" } else { "unreadable" },
                it,
                e.clone(),
                if locked {
                    "pass --passphrase-file to open it"
                } else {
                    "fix or remove the file; servers reading it will fail too"
                },
            ));
        }
        match &it.detail {
            Detail::Certificate(c) => {
                let name = it.display_name();
                if let Some(r) = &c.revocation {
                    out.push(finding(
                        Critical,
                        "revoked",
                        it,
                        format!("{name} (serial {}) is {}", c.serial, r.describe()),
                        "replace the certificate with a newly issued one; peers checking the CRL reject it",
                    ));
                }
                match c.status {
                    Status::Expired => out.push(finding(
                        Critical,
                        "expired",
                        it,
                        format!(
                            "{name} expired {} days ago ({})",
                            -c.days_left,
                            c.not_after()
                        ),
                        "renew or replace the certificate, then reload the server",
                    )),
                    Status::NotYetValid => out.push(finding(
                        Critical,
                        "not-yet-valid",
                        it,
                        format!("{name} is not valid before {}", c.not_before()),
                        "check the clock of the issuing host and of this server",
                    )),
                    _ => {
                        let left = c.not_after_unix - opts.now;
                        if left < opts.crit_days * SECONDS_PER_DAY {
                            out.push(finding(
                                Critical,
                                "expires-soon",
                                it,
                                format!(
                                    "{name} expires in {} days ({})",
                                    c.days_left,
                                    c.not_after()
                                ),
                                "renew now and reload the server",
                            ));
                        } else if left < opts.warn_days * SECONDS_PER_DAY {
                            out.push(finding(
                                Warning,
                                "expiring",
                                it,
                                format!(
                                    "{name} expires in {} days ({})",
                                    c.days_left,
                                    c.not_after()
                                ),
                                "renew before it expires",
                            ));
                        }
                    }
                }
                match c.chain {
                    ChainStatus::Broken => out.push(finding(
                        Critical,
                        "broken-chain",
                        it,
                        format!("chain of {name} is broken: {}", c.chain_detail),
                        "replace the bad issuer/intermediate with the one that signed this certificate",
                    )),
                    ChainStatus::Incomplete => out.push(finding(
                        Critical,
                        "incomplete-chain",
                        it,
                        format!("chain of {name} is incomplete: {}", c.chain_detail),
                        incomplete_fix(it, c),
                    )),
                    _ => {}
                }
                let weak = match (c.key_algorithm.as_ref(), c.key_bits) {
                    ("RSA" | "RSA-PSS", Some(b)) if b < 2048 => Some(format!("RSA {b} bits")),
                    ("DSA", _) => Some("DSA".into()),
                    (a, Some(b)) if a.starts_with("EC") && b < 256 => Some(format!("{a} {b}")),
                    _ => None,
                };
                if let Some(w) = weak {
                    out.push(finding(
                        Warning,
                        "weak-key",
                        it,
                        format!("{name} uses a weak key ({w})"),
                        "re-issue with ec-p256 or rsa-2048 or stronger",
                    ));
                }
                let sig = c.signature_algorithm.to_ascii_lowercase();
                // A root's self-signature is never checked by TLS clients; only flag others.
                if (sig.contains("sha1") || sig.contains("md5") || sig.contains("md2"))
                    && !(c.self_signed && c.is_ca)
                {
                    out.push(finding(
                        Warning,
                        "weak-signature",
                        it,
                        format!("{name} is signed with {}", c.signature_algorithm),
                        "re-issue with a SHA-256 (or better) signature",
                    ));
                }
                let server = c.extended_key_usage.iter().any(|e| e == "serverAuth");
                if !c.is_ca && server && c.sans.is_empty() {
                    out.push(finding(
                        Warning,
                        "missing-san",
                        it,
                        format!("server certificate {name} has no subjectAltName; clients ignore the CN"),
                        "re-issue with --san DNS:<host>",
                    ));
                }
                let days = (c.not_after_unix - c.not_before_unix) / SECONDS_PER_DAY;
                // The 398-day limit is a browser rule for TLS server certificates only.
                let server_like = server
                    || (c.extended_key_usage.is_empty()
                        && c.sans.iter().any(|s| s.starts_with("DNS:")));
                if !c.is_ca
                    && server_like
                    && days > MAX_LEAF_DAYS
                    && c.not_before_unix >= CAB_LIMIT_START
                {
                    out.push(finding(
                        Warning,
                        "long-validity",
                        it,
                        format!("{name} is valid for {days} days (browsers accept at most {MAX_LEAF_DAYS})"),
                        "re-issue with --days 398 or less",
                    ));
                }
                if c.self_signed && !c.is_ca {
                    out.push(finding(
                        Info,
                        "self-signed-leaf",
                        it,
                        format!("{name} is a self-signed leaf certificate"),
                        "fine for pinned clients (e.g. a hashed client-cert dir); use a CA for anything else",
                    ));
                }
                if let Some(first) = seen_sha.get(c.sha256.as_str()) {
                    if first.path != it.path {
                        out.push(finding(
                            Info,
                            "duplicate",
                            it,
                            format!("{name} is also in {}", first.path),
                            "expected for bundles (fullchain); otherwise remove the copy",
                        ));
                    }
                } else {
                    seen_sha.insert(c.sha256.as_str(), it);
                }
            }
            Detail::PrivateKey(k) => {
                if let Some(mode) = k
                    .mode
                    .as_deref()
                    .and_then(|m| u32::from_str_radix(m, 8).ok())
                {
                    if mode & 0o077 != 0 {
                        out.push(finding(
                            Critical,
                            "key-permissions",
                            it,
                            format!(
                                "private key file mode is {mode:04o}: readable by group or others"
                            ),
                            format!("chmod 600 {}", it.path),
                        ));
                    }
                }
                let for_csr = k
                    .public_bits
                    .as_deref()
                    .is_some_and(|b| csr_keys.contains(b));
                if k.pairs_with.is_empty() && k.public_bits.is_some() && !for_csr {
                    out.push(finding(
                        Info,
                        "orphan-key",
                        it,
                        format!(
                            "{} key pairs with no certificate in the store",
                            k.key_algorithm
                        ),
                        "remove it if unused, or import its certificate",
                    ));
                }
            }
            Detail::Crl(crl) => {
                if let Some(next) = crl.next_update_unix {
                    if next < opts.now {
                        out.push(finding(
                            Critical,
                            "crl-expired",
                            it,
                            format!(
                                "CRL of {} is past its nextUpdate ({}); peers with CRL checking reject every certificate",
                                crl.issuer,
                                crl.next_update.as_deref().unwrap_or("")
                            ),
                            "re-sign the CRL (certdeck revoke/trust regenerates it)",
                        ));
                    } else if next - opts.now < opts.warn_days * SECONDS_PER_DAY {
                        out.push(finding(
                            Warning,
                            "crl-expiring",
                            it,
                            format!(
                                "CRL of {} reaches nextUpdate on {}",
                                crl.issuer,
                                crl.next_update.as_deref().unwrap_or("")
                            ),
                            "re-sign the CRL before then",
                        ));
                    }
                }
                if crl.signature.starts_with("bad signature") {
                    out.push(finding(
                        Critical,
                        "crl-bad-signature",
                        it,
                        format!("CRL of {}: {}", crl.issuer, crl.signature),
                        "re-sign the CRL with the issuing CA's key",
                    ));
                }
            }
            _ => {}
        }
    }
    out
}

/// Exit code by the Nagios plugin convention.
pub fn nagios_exit_code(findings: &[Finding]) -> u8 {
    match findings.iter().map(|f| f.severity).max() {
        Some(Severity::Critical) => 2,
        Some(Severity::Warning) => 1,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::model::{CertInfo, ChainLink, ItemKind};

    fn incomplete(path: &str, with_intermediate: bool) -> Item {
        let mut it = Item::new(ItemKind::Certificate, "CERTIFICATE");
        it.path = path.into();
        let mut c = CertInfo {
            chain: ChainStatus::Incomplete,
            not_after_unix: i64::MAX / 2,
            ..Default::default()
        };
        if with_intermediate {
            c.chain_issuers.push(std::sync::Arc::new(ChainLink {
                subject: "CN=R3".into(),
                sha256: String::new(),
                path: "chain.pem".into(),
                note: "issuer missing".into(),
            }));
        }
        it.detail = Detail::Certificate(Box::new(c));
        it
    }

    fn fix_of(it: Item) -> String {
        lint_items(&[it], &LintOptions::default())
            .into_iter()
            .find(|f| f.code == "incomplete-chain")
            .map(|f| f.fix)
            .unwrap()
    }

    #[test]
    fn incomplete_chain_fix_says_what_is_missing() {
        let root = fix_of(incomplete("site/fullchain.pem", true));
        assert!(
            root.contains("only the root") && root.contains("--system-trust"),
            "{root}"
        );
        let inter = fix_of(incomplete("site/cert.pem", false));
        assert!(inter.contains("intermediate"), "{inter}");
        // In certbot's tree certdeck refuses to write: the fix must not ask it to.
        let le = fix_of(incomplete("le/archive/a.test/cert2.pem", false));
        assert!(
            le.contains("certbot") && !le.contains("certdeck import"),
            "{le}"
        );
    }
}
