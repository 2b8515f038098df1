//! Revocation entries of CRLs: what a certificate's status and a re-signed CRL are built from.
//! Pure: DER in, entries out.

use x509_parser::revocation_list::CertificateRevocationList;

/// One entry of a CRL, kept beside its serial (`CrlInfo::revoked`) so a certificate can say
/// when and why it was revoked, and a re-signed CRL keeps both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RevokedEntry {
    /// revocationDate, Unix seconds.
    pub date_unix: i64,
    /// CRLReason code (RFC 5280 5.3.1), when the entry has one.
    pub reason: Option<u8>,
}

/// Why a certificate of the store is revoked: the CRL that says so and its entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// Store path of the CRL.
    pub crl_path: String,
    pub entry: RevokedEntry,
}

impl Revocation {
    /// "revoked by crl/x.crl on 2026-01-02T03:04:05Z (keyCompromise)".
    pub fn describe(&self) -> String {
        let date = super::cert::rfc3339_unix(self.entry.date_unix);
        match self.entry.reason.map(reason_name) {
            Some(r) => format!("revoked by {} on {date} ({r})", self.crl_path),
            None => format!("revoked by {} on {date}", self.crl_path),
        }
    }
}

/// RFC 5280 names of CRLReason codes (as `openssl crl -text` prints them, camel case).
pub fn reason_name(code: u8) -> &'static str {
    match code {
        0 => "unspecified",
        1 => "keyCompromise",
        2 => "cACompromise",
        3 => "affiliationChanged",
        4 => "superseded",
        5 => "cessationOfOperation",
        6 => "certificateHold",
        8 => "removeFromCRL",
        9 => "privilegeWithdrawn",
        10 => "aACompromise",
        _ => "unknown reason",
    }
}

/// Entry of a parsed CRL: (raw serial bytes as encoded, entry).
pub fn entries(crl: &CertificateRevocationList) -> Vec<(Vec<u8>, RevokedEntry)> {
    crl.iter_revoked_certificates()
        .map(|r| {
            (
                r.raw_serial().to_vec(),
                RevokedEntry {
                    date_unix: r.revocation_date.timestamp(),
                    reason: r.reason_code().map(|(_, c)| c.0),
                },
            )
        })
        .collect()
}

/// Every entry of a CRL in DER; empty when it does not parse.
pub fn entries_of_der(der: &[u8]) -> Vec<(Vec<u8>, RevokedEntry)> {
    use x509_parser::prelude::FromDer;
    match CertificateRevocationList::from_der(der) {
        Ok((_, crl)) => entries(&crl),
        Err(_) => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_with_and_without_reason() {
        let mut r = Revocation {
            crl_path: "crl/root.crl".into(),
            entry: RevokedEntry {
                date_unix: 0,
                reason: Some(1),
            },
        };
        assert_eq!(
            r.describe(),
            "revoked by crl/root.crl on 1970-01-01T00:00:00Z (keyCompromise)"
        );
        r.entry.reason = None;
        assert_eq!(
            r.describe(),
            "revoked by crl/root.crl on 1970-01-01T00:00:00Z"
        );
        assert_eq!(reason_name(7), "unknown reason");
    }
}
