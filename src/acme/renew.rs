//! When a lineage is due: `renew_before_days` before expiry (default a third of the lifetime,
//! as Let's Encrypt recommends), or earlier when the CA's ARI window (RFC 9773) has begun.

use anyhow::{anyhow, Result};
use x509_parser::prelude::*;

/// What renew needs to know about the current certificate.
#[derive(Debug, Clone)]
pub struct CertFacts {
    pub not_before: i64,
    pub not_after: i64,
    /// Lowercase hex, no separators (as Pebble's management API takes it).
    pub serial_hex: String,
    pub der: Vec<u8>,
}

/// The first certificate of a PEM file.
pub fn facts(pem_bytes: &[u8]) -> Result<CertFacts> {
    let (_, p) = parse_x509_pem(pem_bytes).map_err(|e| anyhow!("not a PEM certificate: {e}"))?;
    let (_, c) = parse_x509_certificate(&p.contents)
        .map_err(|e| anyhow!("cannot parse the certificate: {e}"))?;
    Ok(CertFacts {
        not_before: c.validity().not_before.timestamp(),
        not_after: c.validity().not_after.timestamp(),
        // As OpenSSL prints it and as `list` shows it, so the two can be compared.
        serial_hex: crate::pki::cert::serial_hex(c.tbs_certificate.raw_serial()),
        der: p.contents.clone(),
    })
}

/// The time at which the lineage becomes due by its own policy.
pub fn policy_due(f: &CertFacts, renew_before_days: Option<i64>) -> i64 {
    let before = match renew_before_days {
        Some(d) => d * 86_400,
        None => (f.not_after - f.not_before) / 3,
    };
    f.not_after - before
}

/// Whether to renew now, why, and when it will be due otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub due: bool,
    pub why: String,
    /// Unix time the lineage is (or was) due.
    pub due_at: i64,
}

/// `ari` is the CA's suggested window (start, end), when it serves one.
pub fn decide(
    f: &CertFacts,
    renew_before_days: Option<i64>,
    ari: Option<(i64, i64)>,
    now: i64,
) -> Decision {
    let policy = policy_due(f, renew_before_days);
    if let Some((start, _)) = ari {
        if start <= now && now < policy {
            return Decision {
                due: true,
                why: "the CA's renewal window (ARI) has begun".into(),
                due_at: start,
            };
        }
    }
    let due_at = ari.map_or(policy, |(s, _)| s.min(policy));
    if now >= policy {
        let days = (f.not_after - now) / 86_400;
        Decision {
            due: true,
            why: format!(
                "expires in {days} days (renews {} days before)",
                (f.not_after - policy) / 86_400
            ),
            due_at: policy,
        }
    } else {
        Decision {
            due: false,
            why: format!("not due until {}", fmt_unix(due_at)),
            due_at,
        }
    }
}

pub fn fmt_unix(t: i64) -> String {
    ::time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(&::time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| t.to_string())
}

/// How often the shipped timer runs renew: a failure is only critical when the certificate
/// expires before the next attempt.
pub const NEXT_ATTEMPT_SECS: i64 = 12 * 3600;

#[cfg(test)]
mod tests {
    use super::*;

    fn f(nb: i64, na: i64) -> CertFacts {
        CertFacts {
            not_before: nb,
            not_after: na,
            serial_hex: "01".into(),
            der: vec![],
        }
    }

    #[test]
    fn default_is_a_third_of_the_lifetime() {
        let c = f(0, 90 * 86_400);
        assert!(!decide(&c, None, None, 59 * 86_400).due);
        assert!(decide(&c, None, None, 60 * 86_400).due);
        assert!(!decide(&c, Some(10), None, 79 * 86_400).due);
        assert!(decide(&c, Some(10), None, 80 * 86_400).due);
    }

    #[test]
    fn ari_window_that_began_makes_it_due_early() {
        let c = f(0, 90 * 86_400);
        let d = decide(&c, None, Some((10 * 86_400, 12 * 86_400)), 11 * 86_400);
        assert!(d.due, "{d:?}");
        assert!(d.why.contains("ARI"));
        let d = decide(&c, None, Some((50 * 86_400, 52 * 86_400)), 11 * 86_400);
        assert!(!d.due);
        assert_eq!(d.due_at, 50 * 86_400);
    }
}
