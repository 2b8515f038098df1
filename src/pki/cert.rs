//! Certificate summaries: everything the list, the details pane and `list --json` show.

use super::key::spki_summary;
use super::model::{CertDer, CertInfo, NameHash, RawParts, Status};
use super::subject_hash::{canonical_name, hash_of_canonical};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate, X509Name};

pub const SECONDS_PER_DAY: i64 = 86_400;

/// Parse a DER certificate (trailing bytes, e.g. OpenSSL's TRUSTED CERTIFICATE aux data, are
/// ignored) and summarise it as of `now` (Unix seconds).
pub fn summarize(der: &[u8], now: i64, warn_days: i64) -> Result<CertInfo, String> {
    let (_, cert) = X509Certificate::from_der(der)
        .map_err(|e| format!("not a valid X.509 certificate: {e}"))?;
    let tbs = &cert.tbs_certificate;
    let not_before = tbs.validity.not_before.to_datetime();
    let not_after = tbs.validity.not_after.to_datetime();
    let (key_algorithm, key_bits, spki_bits) =
        spki_summary(tbs.subject_pki.raw).unwrap_or(("unknown", None, &[]));
    let cert_der = cert.as_raw();
    let mut ski = None;
    let mut aki = None;
    let mut info = CertInfo {
        subject: rfc4514(tbs.subject()),
        common_name: common_name(tbs.subject()),
        issuer: rfc4514(tbs.issuer()),
        serial: serial_hex(tbs.raw_serial()),
        not_before_unix: not_before.unix_timestamp(),
        not_after_unix: not_after.unix_timestamp(),
        sha256: hex::encode(Sha256::digest(cert_der)),
        sha1: Sha1::digest(cert_der).into(),
        key_algorithm: key_algorithm.into(),
        key_bits,
        signature_algorithm: signature_name(&cert.signature_algorithm.algorithm),
        version: tbs.version.0 + 1,
        ..Default::default()
    };
    for ext in tbs.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::BasicConstraints(bc) => {
                info.is_ca = bc.ca;
                info.path_len = bc.path_len_constraint;
            }
            ParsedExtension::KeyUsage(ku) => {
                info.key_usage = ku.to_string().split(", ").map(key_usage_name).collect();
            }
            ParsedExtension::ExtendedKeyUsage(eku) => {
                let mut v = Vec::new();
                for (set, name) in [
                    (eku.any, "anyExtendedKeyUsage"),
                    (eku.server_auth, "serverAuth"),
                    (eku.client_auth, "clientAuth"),
                    (eku.code_signing, "codeSigning"),
                    (eku.email_protection, "emailProtection"),
                    (eku.time_stamping, "timeStamping"),
                    (eku.ocsp_signing, "OCSPSigning"),
                ] {
                    if set {
                        v.push(name.into());
                    }
                }
                v.extend(eku.other.iter().map(|o| o.to_id_string().into()));
                info.extended_key_usage = v.into();
            }
            ParsedExtension::SubjectAlternativeName(san) => {
                info.sans = san.general_names.iter().map(general_name).collect();
            }
            ParsedExtension::SubjectKeyIdentifier(ki) => ski = Some(ki.0),
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                aki = a.key_identifier.as_ref().map(|k| k.0)
            }
            _ => {}
        }
    }
    let (subject_raw, issuer_raw) = (tbs.subject().as_raw(), tbs.issuer().as_raw());
    info.raw = CertDer::new(RawParts {
        cert: cert_der,
        subject: subject_raw,
        issuer: issuer_raw,
        spki_bits,
        ski,
        aki,
    });
    // Each name is canonicalised once: for its hash and for the self-issued comparison.
    let subject_canon = canonical_name(subject_raw).ok();
    let issuer_canon = if issuer_raw == subject_raw {
        subject_canon.clone()
    } else {
        canonical_name(issuer_raw).ok()
    };
    let hash = |c: &Option<Vec<u8>>| NameHash(c.as_deref().map(hash_of_canonical));
    info.subject_hash = hash(&subject_canon);
    info.issuer_hash = hash(&issuer_canon);
    // A version 1 certificate has no basicConstraints; OpenSSL treats a self-signed v1 as a CA.
    let same_name =
        subject_raw == issuer_raw || (subject_canon.is_some() && subject_canon == issuer_canon);
    info.self_signed = same_name && cert.verify_signature(None).is_ok();
    if info.version == 1 && info.self_signed {
        info.is_ca = true;
    }
    info.days_left = (info.not_after_unix - now).div_euclid(SECONDS_PER_DAY);
    info.status = validity_status(info.not_before_unix, info.not_after_unix, now, warn_days);
    Ok(info)
}

/// Status from validity dates alone.
pub fn validity_status(not_before: i64, not_after: i64, now: i64, warn_days: i64) -> Status {
    if now > not_after {
        Status::Expired
    } else if now < not_before {
        Status::NotYetValid
    } else if not_after - now < warn_days * SECONDS_PER_DAY {
        Status::Expiring
    } else {
        Status::Ok
    }
}

/// Unix seconds written in RFC 3339 (every X.509 date, years 0 to 9999, is in range; others
/// write nothing). A `Display`, so JSON output formats it in place.
pub struct Rfc3339(pub i64);

impl std::fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match time::OffsetDateTime::from_unix_timestamp(self.0) {
            Ok(dt) => write_rfc3339(f, dt),
            Err(_) => Ok(()),
        }
    }
}

pub fn rfc3339_unix(secs: i64) -> String {
    Rfc3339(secs).to_string()
}

pub fn rfc3339(dt: time::OffsetDateTime) -> String {
    let mut s = String::with_capacity(20);
    let _ = write_rfc3339(&mut s, dt);
    s
}

fn write_rfc3339(w: &mut impl std::fmt::Write, dt: time::OffsetDateTime) -> std::fmt::Result {
    let dt = dt.to_offset(time::UtcOffset::UTC);
    write!(
        w,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        dt.year(),
        dt.month() as u8,
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

/// Serial as OpenSSL prints it (`x509 -serial`), lowercase: the INTEGER's bytes without the
/// sign-padding zero byte. Negative serials (invalid per RFC 5280, but in the wild) print as
/// `-` and the magnitude, like OpenSSL (`-05`, not the two's complement `fb`).
pub fn serial_hex(raw: &[u8]) -> String {
    if raw.first().is_some_and(|b| b & 0x80 != 0) {
        // Two's complement negation: invert, add one.
        let mut mag: Vec<u8> = raw.iter().map(|b| !b).collect();
        for b in mag.iter_mut().rev() {
            let (v, carry) = b.overflowing_add(1);
            *b = v;
            if !carry {
                break;
            }
        }
        let skip = mag
            .iter()
            .take_while(|b| **b == 0)
            .count()
            .min(mag.len() - 1);
        return format!("-{}", hex::encode(&mag[skip..]));
    }
    let trimmed = match raw {
        [0, rest @ ..] if !rest.is_empty() => rest,
        _ => raw,
    };
    hex::encode(trimmed)
}

/// `SHA-256` hex with colons, as shown to people.
pub fn colon_hex(hex: &str) -> String {
    hex.as_bytes()
        .chunks(2)
        .map(|c| std::str::from_utf8(c).unwrap_or("").to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(":")
}

pub fn common_name(name: &X509Name) -> Option<String> {
    name.iter_common_name()
        .next()
        .map(|cn| attr_string(cn.attr_value().tag().0, cn.attr_value().data))
}

/// RFC 4514 string: RDNs in reverse order, `+` between multi-valued parts, specials escaped.
pub fn rfc4514(name: &X509Name) -> String {
    let reg = x509_parser::objects::oid_registry();
    let rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(|atv| {
                    let oid = atv.attr_type();
                    let key = match x509_parser::objects::oid2abbrev(oid, reg) {
                        Ok("Email") => "emailAddress".to_string(),
                        Ok(s) => s.to_string(),
                        Err(_) => oid.to_id_string(),
                    };
                    let v = atv.attr_value();
                    format!("{key}={}", escape_rfc4514(&attr_string(v.tag().0, v.data)))
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(",")
}

/// Decode a directory string of any of the usual types; unknown types become `#hex`.
fn attr_string(tag: u32, data: &[u8]) -> String {
    match tag {
        12 => String::from_utf8_lossy(data).into_owned(),
        19 | 22 | 26 | 20 => data.iter().map(|&b| b as char).collect(),
        30 => {
            let units: Vec<u16> = data
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        28 => data
            .chunks(4)
            .filter_map(|c| {
                (c.len() == 4)
                    .then(|| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                    .flatten()
            })
            .collect(),
        _ => format!("#{}", hex::encode(data)),
    }
}

fn escape_rfc4514(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let n = s.chars().count();
    for (i, c) in s.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=')
            || (i == 0 && (c == ' ' || c == '#'))
            || (i + 1 == n && c == ' ');
        if special {
            out.push('\\');
        }
        if c.is_control() {
            out.push_str(&format!("\\{:02x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

pub fn general_name(gn: &GeneralName) -> String {
    match gn {
        GeneralName::DNSName(s) => format!("DNS:{s}"),
        GeneralName::RFC822Name(s) => format!("email:{s}"),
        GeneralName::URI(s) => format!("URI:{s}"),
        GeneralName::IPAddress(b) => format!("IP:{}", ip_string(b)),
        GeneralName::DirectoryName(n) => format!("DirName:{}", rfc4514(n)),
        GeneralName::RegisteredID(o) => format!("RID:{}", o.to_id_string()),
        GeneralName::OtherName(o, _) => format!("othername:{}", o.to_id_string()),
        other => format!("other:{other:?}").chars().take(80).collect(),
    }
}

fn ip_string(b: &[u8]) -> String {
    match b.len() {
        4 => std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string(),
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(b);
            std::net::Ipv6Addr::from(a).to_string()
        }
        // Name-constraint style address/mask or garbage: show the bytes.
        _ => hex::encode(b),
    }
}

pub fn signature_name(oid: &x509_parser::der_parser::oid::Oid) -> Cow<'static, str> {
    let reg = x509_parser::objects::oid_registry();
    // The registry is keyed by 'static OIDs.
    match reg.get(&oid.to_owned()) {
        Some(entry) => entry.sn().into(),
        None => oid.to_id_string().into(),
    }
}

/// x509-parser's names of the keyUsage bits, as shared strings.
fn key_usage_name(name: &str) -> Cow<'static, str> {
    const KNOWN: [&str; 9] = [
        "Digital Signature",
        "Non Repudiation",
        "Key Encipherment",
        "Data Encipherment",
        "Key Agreement",
        "Key Cert Sign",
        "CRL Sign",
        "Encipher Only",
        "Decipher Only",
    ];
    match KNOWN.iter().find(|k| **k == name) {
        Some(k) => Cow::Borrowed(k),
        None => Cow::Owned(name.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_drops_sign_padding_only() {
        assert_eq!(serial_hex(&[0x00, 0x80, 0x01]), "8001");
        assert_eq!(serial_hex(&[0x00]), "00");
        assert_eq!(serial_hex(&[0x01, 0x02]), "0102");
        assert_eq!(serial_hex(&[0xfb]), "-05");
        assert_eq!(serial_hex(&[0xff, 0x00]), "-0100");
        assert_eq!(serial_hex(&[0x80]), "-80");
    }

    #[test]
    fn status_boundaries() {
        let d = SECONDS_PER_DAY;
        assert_eq!(validity_status(0, 100 * d, 50 * d, 30), Status::Ok);
        assert_eq!(validity_status(0, 100 * d, 80 * d, 30), Status::Expiring);
        assert_eq!(validity_status(0, 100 * d, 101 * d, 30), Status::Expired);
        assert_eq!(validity_status(10 * d, 100 * d, 0, 30), Status::NotYetValid);
    }

    #[test]
    fn escaping() {
        assert_eq!(escape_rfc4514("a,b"), "a\\,b");
        assert_eq!(escape_rfc4514(" x "), "\\ x\\ ");
        assert_eq!(colon_hex("abff"), "AB:FF");
    }

    /// The raw parts are ranges into the kept DER: each must read exactly what a parser finds,
    /// also when the certificate is followed by other bytes (TRUSTED CERTIFICATE aux data).
    #[test]
    fn raw_parts_read_what_the_parser_finds() {
        use crate::pki::issue::{generate_key, issue, IssueRequest, KeyType, Profile, Signer};
        let now = time::OffsetDateTime::now_utc();
        let request = |profile, cn: &str| IssueRequest {
            profile,
            subject: crate::pki::issue::SubjectSpec::cn(cn),
            sans: vec![],
            not_before: now,
            not_after: now + time::Duration::days(30),
            path_len: None,
        };
        let ca_key = generate_key(KeyType::EcP256).unwrap();
        let ca = issue(&request(Profile::Ca, "Parts CA"), &ca_key, None).unwrap();
        let key = generate_key(KeyType::Rsa2048).unwrap();
        let signer = Signer {
            cert_der: &ca.cert_der,
            key: &ca_key,
        };
        let leaf = issue(
            &request(Profile::Server, "parts.example"),
            &key,
            Some(signer),
        )
        .unwrap();
        let mut with_aux = leaf.cert_der.clone();
        with_aux.extend_from_slice(&[0x30, 0x03, 0x0c, 0x01, 0x41]);
        for der in [&ca.cert_der, &leaf.cert_der, &with_aux] {
            let info = summarize(der, now.unix_timestamp(), 30).unwrap();
            let (_, x) = X509Certificate::from_der(der).unwrap();
            assert_eq!(&info.der()[..], x.as_raw());
            assert_eq!(info.subject_raw(), x.subject().as_raw());
            assert_eq!(info.issuer_raw(), x.issuer().as_raw());
            assert_eq!(
                info.spki_bits(),
                &x.public_key().subject_public_key.data[..]
            );
            let ski = x
                .extensions()
                .iter()
                .find_map(|e| match e.parsed_extension() {
                    ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0),
                    _ => None,
                });
            let aki = x
                .extensions()
                .iter()
                .find_map(|e| match e.parsed_extension() {
                    ParsedExtension::AuthorityKeyIdentifier(a) => {
                        a.key_identifier.as_ref().map(|k| k.0)
                    }
                    _ => None,
                });
            assert!(ski.is_some());
            assert_eq!(info.ski(), ski);
            assert_eq!(info.aki(), aki);
        }
        let leaf_info = summarize(&leaf.cert_der, 0, 30).unwrap();
        assert!(
            leaf_info.aki().is_some(),
            "a CA-signed leaf names its issuer's key"
        );
    }

    #[test]
    fn garbage_is_error() {
        assert!(summarize(b"\x30\x03\x02\x01\x01", 0, 30).is_err());
        assert!(summarize(b"", 0, 30).is_err());
    }
}
