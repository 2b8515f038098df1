//! The data model every front end reads: one `Item` per thing found in a file.
//!
//! Serialised as the `list --json` contract documented in README.md. Certificate, key, ... details
//! are flattened into the item so scripts can read `item.not_after` directly.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Certificate,
    PrivateKey,
    Csr,
    Crl,
    Keystore,
    DhParams,
    Unknown,
}

impl ItemKind {
    pub fn label(self) -> &'static str {
        match self {
            ItemKind::Certificate => "cert",
            ItemKind::PrivateKey => "key",
            ItemKind::Csr => "csr",
            ItemKind::Crl => "crl",
            ItemKind::Keystore => "keystore",
            ItemKind::DhParams => "dh",
            ItemKind::Unknown => "unknown",
        }
    }
}

/// Expiry / health of a certificate (or the item as a whole).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord, Hash, Default)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Ok,
    Expiring,
    Expired,
    NotYetValid,
    Error,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Expiring => "expiring",
            Status::Expired => "expired",
            Status::NotYetValid => "not yet valid",
            Status::Error => "error",
        }
    }
}

/// Outcome of building and verifying a certificate's chain from the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ChainStatus {
    /// Ends in a self-signed CA present in the store (or the system trust store when enabled),
    /// every signature verified.
    Valid,
    /// Every signature verified, but the chain ends in a self-signed certificate that is not a CA
    /// (e.g. a self-signed leaf).
    UntrustedRoot,
    /// A signature does not verify, or an issuer in the path is not a CA.
    Broken,
    /// The issuer of some certificate in the path is not in the store.
    #[default]
    Incomplete,
    /// The path was built by names and key identifiers only; signatures were not checked
    /// (`list --no-verify`, or the TUI before its background verification reaches this item).
    Unverified,
}

impl ChainStatus {
    pub fn label(self) -> &'static str {
        match self {
            ChainStatus::Valid => "valid",
            ChainStatus::UntrustedRoot => "untrusted root",
            ChainStatus::Broken => "broken",
            ChainStatus::Incomplete => "incomplete",
            ChainStatus::Unverified => "unverified",
        }
    }
}

/// One link of a built chain, leaf first.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ChainLink {
    pub subject: String,
    pub sha256: String,
    /// Store-relative path of the file holding this certificate.
    pub path: String,
    /// `verified`, `self-signed`, `bad signature: ...`, `not checked: ...`, `issuer missing`.
    pub note: String,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct CertInfo {
    pub subject: String,
    pub common_name: Option<String>,
    pub issuer: String,
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    /// Unix seconds of not_after, for sorting and Prometheus.
    pub not_after_unix: i64,
    pub not_before_unix: i64,
    pub days_left: i64,
    pub sha256: String,
    pub sha1: String,
    pub subject_hash: String,
    pub issuer_hash: String,
    pub sans: Vec<String>,
    pub is_ca: bool,
    /// `pathlen` of basicConstraints when present.
    pub path_len: Option<u32>,
    pub key_algorithm: String,
    pub key_bits: Option<u32>,
    pub signature_algorithm: String,
    pub self_signed: bool,
    pub key_usage: Vec<String>,
    pub extended_key_usage: Vec<String>,
    pub version: u32,
    pub chain: ChainStatus,
    /// Human explanation of `chain` (which link broke and why, what is missing).
    pub chain_detail: std::sync::Arc<str>,
    /// The built path, leaf first (this certificate included). Links above the leaf are
    /// shared between the certificates they issued (one CA link, not 100,000 copies).
    pub chain_path: Vec<std::sync::Arc<ChainLink>>,
    /// Store paths of private keys whose public key is this certificate's.
    pub paired_keys: Vec<String>,
    pub status: Status,
    /// Hex of the raw subject public key bits; used for key pairing, not shown.
    #[serde(skip)]
    pub spki_bits: Vec<u8>,
    #[serde(skip)]
    pub subject_raw: Vec<u8>,
    #[serde(skip)]
    pub issuer_raw: Vec<u8>,
    #[serde(skip)]
    pub ski: Option<Vec<u8>>,
    #[serde(skip)]
    pub aki: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct KeyInfo {
    pub key_algorithm: String,
    pub key_bits: Option<u32>,
    pub encrypted: bool,
    /// `pkcs1`, `sec1`, `pkcs8`, `encrypted-pkcs8`, `legacy-encrypted-pem`.
    pub format: String,
    /// sha256 of every certificate in the store whose public key is this key's.
    pub pairs_with: Vec<String>,
    /// Raw public key bits (same form as a certificate's subjectPublicKey BIT STRING content).
    #[serde(skip)]
    pub public_bits: Option<Vec<u8>>,
    /// Unix mode bits of the file (permissions), when known.
    pub mode: Option<String>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct CsrInfo {
    pub subject: String,
    pub common_name: Option<String>,
    pub sans: Vec<String>,
    pub key_algorithm: String,
    pub key_bits: Option<u32>,
    pub signature_algorithm: String,
    pub signature_valid: bool,
    pub sha256: String,
    #[serde(skip)]
    pub spki_bits: Vec<u8>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct CrlInfo {
    pub issuer: String,
    pub issuer_hash: String,
    pub this_update: String,
    pub next_update: Option<String>,
    pub next_update_unix: Option<i64>,
    pub crl_number: Option<String>,
    /// Serials (lowercase hex) of revoked certificates.
    pub revoked: Vec<String>,
    pub signature_algorithm: String,
    /// `verified` / `issuer not in store` / `bad signature: ...`
    pub signature: String,
    pub sha256: String,
    #[serde(skip)]
    pub issuer_raw: Vec<u8>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct KeystoreInfo {
    /// `pkcs12` or `jks`.
    pub format: String,
    /// True until a passphrase opened it.
    pub locked: bool,
    pub entries: Vec<KeystoreEntry>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct KeystoreEntry {
    pub alias: String,
    /// `private_key_entry` or `trusted_cert_entry`.
    pub entry_type: String,
    pub certificates: usize,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct DhInfo {
    pub bits: u32,
    /// RFC 7919 group name when the prime is a named ffdhe group.
    pub named_group: Option<String>,
}

/// The per-kind details; flattened into the item's JSON.
#[derive(Debug, Clone, Serialize, Default)]
#[serde(untagged)]
pub enum Detail {
    // Boxed, so an item is small whatever its kind (100,000 of them are kept in memory).
    Certificate(Box<CertInfo>),
    PrivateKey(Box<KeyInfo>),
    Csr(Box<CsrInfo>),
    Crl(Box<CrlInfo>),
    Keystore(Box<KeystoreInfo>),
    DhParams(Box<DhInfo>),
    #[default]
    None,
}

/// The usual `source` labels need no allocation per item (100,000 items say "CERTIFICATE").
fn intern_source(s: &str) -> std::borrow::Cow<'static, str> {
    const KNOWN: &[&str] = &[
        "CERTIFICATE",
        "TRUSTED CERTIFICATE",
        "X509 CERTIFICATE",
        "X509 CRL",
        "DER",
        "PKCS7",
        "PKCS12",
        "CERTIFICATE REQUEST",
        "NEW CERTIFICATE REQUEST",
        "PRIVATE KEY",
        "RSA PRIVATE KEY",
        "EC PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
        "DH PARAMETERS",
        "",
    ];
    match KNOWN.iter().find(|k| **k == s) {
        Some(k) => std::borrow::Cow::Borrowed(k),
        None => std::borrow::Cow::Owned(s.to_string()),
    }
}

/// One decoded thing at `path`#`index`.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub path: String,
    pub index: usize,
    pub kind: ItemKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Alias inside a keystore, for items that come from one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// PEM label or container the item came from (`CERTIFICATE`, `DER`, `PKCS7`, `PKCS12`, ...).
    pub source: std::borrow::Cow<'static, str>,
    /// Other store paths that are symlinks to this file (e.g. `0fb8533c.0` hash links).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    /// Servers whose config names this file (`--server-config`), e.g.
    /// `nginx: server api.example.com, ssl_certificate`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub used_by: Vec<String>,
    #[serde(flatten)]
    pub detail: Detail,
    /// Exact DER of certificates/CRLs/CSRs (needed for chain checks and export); not serialised.
    #[serde(skip)]
    pub der: Option<std::sync::Arc<[u8]>>,
}

impl Item {
    pub fn new(kind: ItemKind, source: impl AsRef<str>) -> Self {
        Item {
            path: String::new(),
            index: 0,
            kind,
            error: None,
            alias: None,
            source: intern_source(source.as_ref()),
            links: Vec::new(),
            used_by: Vec::new(),
            detail: Detail::None,
            der: None,
        }
    }

    pub fn error(kind: ItemKind, source: impl AsRef<str>, msg: impl Into<String>) -> Self {
        let mut it = Item::new(kind, source);
        it.error = Some(msg.into());
        it
    }

    pub fn cert(&self) -> Option<&CertInfo> {
        match &self.detail {
            Detail::Certificate(c) => Some(c),
            _ => None,
        }
    }

    pub fn cert_mut(&mut self) -> Option<&mut CertInfo> {
        match &mut self.detail {
            Detail::Certificate(c) => Some(c),
            _ => None,
        }
    }

    pub fn key(&self) -> Option<&KeyInfo> {
        match &self.detail {
            Detail::PrivateKey(k) => Some(k),
            _ => None,
        }
    }

    /// Name shown in lists: the CN, else the subject, else the file name.
    pub fn display_name(&self) -> String {
        let file = self
            .path
            .rsplit('/')
            .next()
            .unwrap_or(&self.path)
            .to_string();
        match &self.detail {
            Detail::Certificate(c) => c
                .common_name
                .clone()
                .or_else(|| (!c.subject.is_empty()).then(|| c.subject.clone()))
                .unwrap_or(file),
            Detail::Csr(c) => c.common_name.clone().unwrap_or(file),
            _ => match &self.alias {
                Some(a) => format!("{file} [{a}]"),
                None => file,
            },
        }
    }

    /// The overall status: errors first, then a certificate's validity.
    pub fn status(&self) -> Status {
        if self.error.is_some() {
            return Status::Error;
        }
        match &self.detail {
            Detail::Certificate(c) => c.status,
            _ => Status::Ok,
        }
    }
}
