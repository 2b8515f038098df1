//! The data model every front end reads: one `Item` per thing found in a file.
//!
//! Serialised as the `list --json` contract documented in README.md. Certificate, key, ... details
//! are flattened into the item so scripts can read `item.not_after` directly.

use super::cert::Rfc3339;
use serde::Serialize;
use std::borrow::Cow;

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
    /// On a CRL of its issuer in the store (signature verified, within its validity).
    Revoked,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Expiring => "expiring",
            Status::Expired => "expired",
            Status::NotYetValid => "not yet valid",
            Status::Error => "error",
            Status::Revoked => "revoked",
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

/// One link of a built chain above the certificate it was built for (an issuer, shared by
/// every certificate it issued).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ChainLink {
    pub subject: std::sync::Arc<str>,
    pub sha256: String,
    /// Store-relative path of the file holding this certificate.
    pub path: String,
    /// `verified`, `self-signed`, `bad signature: ...`, `not checked: ...`, `issuer missing`.
    pub note: String,
}

/// A link of a chain as shown and serialised: the certificate's own (synthesised from the
/// item, not stored: 100,000 leaves would each carry a copy of their subject, fingerprint and
/// path) or a shared issuer link.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct LinkView<'a> {
    pub subject: &'a str,
    pub sha256: &'a str,
    pub path: &'a str,
    pub note: &'a str,
}

impl<'a> From<&'a ChainLink> for LinkView<'a> {
    fn from(l: &'a ChainLink) -> Self {
        LinkView {
            subject: &l.subject,
            sha256: &l.sha256,
            path: &l.path,
            note: &l.note,
        }
    }
}

/// OpenSSL's hash of a name (`x509 -subject_hash`), written as 8 hex digits; `None` when the
/// name could not be canonicalised (written as "").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NameHash(pub Option<u32>);

impl std::fmt::Display for NameHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(h) => write!(f, "{h:08x}"),
            None => Ok(()),
        }
    }
}

impl Serialize for NameHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Serialised by `Item` (its `chain_path` needs the item's path): see `CertJson`.
#[derive(Debug, Clone, Default)]
pub struct CertInfo {
    pub subject: String,
    pub common_name: Option<String>,
    pub issuer: String,
    pub serial: String,
    /// Unix seconds of not_after, for sorting and Prometheus (RFC 3339 text: `not_after()`).
    pub not_after_unix: i64,
    pub not_before_unix: i64,
    pub days_left: i64,
    pub sha256: String,
    /// Raw digest (hex in JSON; keystores and trust dirs use the bytes).
    pub sha1: [u8; 20],
    pub subject_hash: NameHash,
    pub issuer_hash: NameHash,
    pub sans: Box<[String]>,
    pub is_ca: bool,
    /// `pathlen` of basicConstraints when present.
    pub path_len: Option<u32>,
    // Names from fixed lists are not allocated per certificate.
    pub key_algorithm: Cow<'static, str>,
    pub key_bits: Option<u32>,
    pub signature_algorithm: Cow<'static, str>,
    pub self_signed: bool,
    pub key_usage: Box<[Cow<'static, str>]>,
    pub extended_key_usage: Box<[Cow<'static, str>]>,
    pub version: u32,
    pub chain: ChainStatus,
    /// Human explanation of `chain` (which link broke and why, what is missing).
    pub chain_detail: std::sync::Arc<str>,
    /// This certificate's note in its built chain (`verified`, `issuer missing`, ...); `None`
    /// until a chain is built. Notes are shared strings.
    pub chain_note: Option<std::sync::Arc<str>>,
    /// The links above this certificate, its issuer first. Shared between the certificates they
    /// issued (one CA link, not 100,000 copies).
    pub chain_issuers: Vec<std::sync::Arc<ChainLink>>,
    /// Store paths of private keys whose public key is this certificate's.
    pub paired_keys: Vec<String>,
    /// Validity against the clock (`Revoked` is never stored here: see `revocation`).
    pub status: Status,
    /// Set by the store's analysis when a CRL of the issuer lists this certificate.
    pub revocation: Option<Box<super::revocation::Revocation>>,
    /// The exact DER and the raw parts chain building and key pairing compare; not shown.
    pub raw: CertDer,
}

/// Where a part lies in a certificate's DER.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    /// `part`'s place in `whole`, when `part` is a slice of it.
    fn of(whole: &[u8], part: &[u8]) -> Option<Span> {
        let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
        let end = start.checked_add(part.len())?;
        (end <= whole.len()).then_some(Span {
            start: u32::try_from(start).ok()?,
            end: u32::try_from(end).ok()?,
        })
    }

    fn get(self, der: &[u8]) -> &[u8] {
        der.get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }
}

/// A certificate's exact DER (shared with its `Item::der`) and where the parts that chain
/// building and key pairing compare lie in it: ranges, not copies (five allocations less per
/// certificate of a 100,000-certificate store).
#[derive(Debug, Clone, Default)]
pub struct CertDer {
    der: std::sync::Arc<[u8]>,
    subject: Span,
    issuer: Span,
    spki_bits: Span,
    ski: Option<Span>,
    aki: Option<Span>,
}

/// The raw parts of a parsed certificate, as slices of the buffer it was parsed from.
pub struct RawParts<'a> {
    pub cert: &'a [u8],
    pub subject: &'a [u8],
    pub issuer: &'a [u8],
    pub spki_bits: &'a [u8],
    pub ski: Option<&'a [u8]>,
    pub aki: Option<&'a [u8]>,
}

impl CertDer {
    /// Copies `parts.cert` once; every other part must be a slice of it (else it reads empty).
    pub fn new(parts: RawParts) -> CertDer {
        let span = |p: &[u8]| Span::of(parts.cert, p).unwrap_or_default();
        CertDer {
            der: parts.cert.into(),
            subject: span(parts.subject),
            issuer: span(parts.issuer),
            spki_bits: span(parts.spki_bits),
            ski: parts.ski.map(span),
            aki: parts.aki.map(span),
        }
    }

    /// The certificate's exact DER.
    pub fn der(&self) -> &std::sync::Arc<[u8]> {
        &self.der
    }

    /// The subject Name's DER.
    pub fn subject(&self) -> &[u8] {
        self.subject.get(&self.der)
    }

    /// The issuer Name's DER.
    pub fn issuer(&self) -> &[u8] {
        self.issuer.get(&self.der)
    }
}

impl CertInfo {
    /// The status as listed: revoked over any validity status.
    pub fn shown_status(&self) -> Status {
        if self.revocation.is_some() {
            Status::Revoked
        } else {
            self.status
        }
    }

    /// `notBefore` in RFC 3339 (`2026-01-31T12:00:00Z`); kept as seconds, written when shown.
    pub fn not_before(&self) -> String {
        super::cert::rfc3339_unix(self.not_before_unix)
    }

    /// `notAfter` in RFC 3339.
    pub fn not_after(&self) -> String {
        super::cert::rfc3339_unix(self.not_after_unix)
    }

    pub fn der(&self) -> &std::sync::Arc<[u8]> {
        self.raw.der()
    }

    pub fn subject_raw(&self) -> &[u8] {
        self.raw.subject()
    }

    pub fn issuer_raw(&self) -> &[u8] {
        self.raw.issuer()
    }

    /// The subject public key's bits (key pairing compares them with a key's).
    pub fn spki_bits(&self) -> &[u8] {
        self.raw.spki_bits.get(&self.raw.der)
    }

    pub fn ski(&self) -> Option<&[u8]> {
        self.raw.ski.map(|s| s.get(&self.raw.der))
    }

    pub fn aki(&self) -> Option<&[u8]> {
        self.raw.aki.map(|s| s.get(&self.raw.der))
    }

    /// The built chain, this certificate (at `own_path`) first; empty until a chain is built.
    pub fn chain_links<'a>(&'a self, own_path: &'a str) -> Vec<LinkView<'a>> {
        let Some(note) = &self.chain_note else {
            return Vec::new();
        };
        let own = LinkView {
            subject: &self.subject,
            sha256: &self.sha256,
            path: own_path,
            note,
        };
        std::iter::once(own)
            .chain(self.chain_issuers.iter().map(|l| LinkView::from(&**l)))
            .collect()
    }
}

/// A `Display` serialised as a string written straight into the output (no String per field
/// per item).
struct InPlace<T>(T);

impl<T: std::fmt::Display> Serialize for InPlace<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

/// Lowercase hex.
struct Hex<'a>(&'a [u8]);

impl std::fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// A certificate's fields in the `list --json` contract, in contract order.
struct CertJson<'a> {
    cert: &'a CertInfo,
    path: &'a str,
}

impl Serialize for CertJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let c = self.cert;
        let mut st = s.serialize_struct("CertInfo", 28)?;
        st.serialize_field("subject", &c.subject)?;
        st.serialize_field("common_name", &c.common_name)?;
        st.serialize_field("issuer", &c.issuer)?;
        st.serialize_field("serial", &c.serial)?;
        st.serialize_field("not_before", &InPlace(Rfc3339(c.not_before_unix)))?;
        st.serialize_field("not_after", &InPlace(Rfc3339(c.not_after_unix)))?;
        st.serialize_field("not_after_unix", &c.not_after_unix)?;
        st.serialize_field("not_before_unix", &c.not_before_unix)?;
        st.serialize_field("days_left", &c.days_left)?;
        st.serialize_field("sha256", &c.sha256)?;
        st.serialize_field("sha1", &InPlace(Hex(&c.sha1)))?;
        st.serialize_field("subject_hash", &c.subject_hash)?;
        st.serialize_field("issuer_hash", &c.issuer_hash)?;
        st.serialize_field("sans", &c.sans)?;
        st.serialize_field("is_ca", &c.is_ca)?;
        st.serialize_field("path_len", &c.path_len)?;
        st.serialize_field("key_algorithm", &c.key_algorithm)?;
        st.serialize_field("key_bits", &c.key_bits)?;
        st.serialize_field("signature_algorithm", &c.signature_algorithm)?;
        st.serialize_field("self_signed", &c.self_signed)?;
        st.serialize_field("key_usage", &c.key_usage)?;
        st.serialize_field("extended_key_usage", &c.extended_key_usage)?;
        st.serialize_field("version", &c.version)?;
        st.serialize_field("chain", &c.chain)?;
        st.serialize_field("chain_detail", &*c.chain_detail)?;
        st.serialize_field("chain_path", &c.chain_links(self.path))?;
        st.serialize_field("paired_keys", &c.paired_keys)?;
        st.serialize_field("status", &c.shown_status())?;
        st.end()
    }
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
    #[serde(skip)]
    pub this_update_unix: i64,
    /// DER of the store certificate the signature verified against (set by the analysis).
    #[serde(skip)]
    pub verified_by: Option<std::sync::Arc<[u8]>>,
    /// Date and reason of each serial of `revoked`, in the same order.
    #[serde(skip)]
    pub entries: Vec<super::revocation::RevokedEntry>,
}

impl CrlInfo {
    /// Whether a checker would use this CRL at `now`: thisUpdate passed, nextUpdate not yet.
    pub fn current(&self, now: i64) -> bool {
        self.this_update_unix <= now && self.next_update_unix.is_none_or(|n| n > now)
    }
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

/// The per-kind details; flattened into the item's JSON (see `Item`'s `Serialize`).
#[derive(Debug, Clone, Default)]
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
#[derive(Debug, Clone)]
pub struct Item {
    pub path: String,
    pub index: usize,
    pub kind: ItemKind,
    pub error: Option<String>,
    /// Alias inside a keystore, for items that come from one.
    pub alias: Option<String>,
    /// PEM label or container the item came from (`CERTIFICATE`, `DER`, `PKCS7`, `PKCS12`, ...).
    pub source: std::borrow::Cow<'static, str>,
    /// Other store paths that are symlinks to this file (e.g. `0fb8533c.0` hash links).
    pub links: Vec<String>,
    /// Servers whose config names this file (`--server-config`), e.g.
    /// `nginx: server api.example.com, ssl_certificate`.
    pub used_by: Vec<String>,
    pub detail: Detail,
    /// Exact DER of certificates/CRLs/CSRs (needed for chain checks and export); not serialised.
    pub der: Option<std::sync::Arc<[u8]>>,
}

/// An item in the `list --json` contract: its own fields, then its details flattened in.
impl Serialize for Item {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct ItemJson<'a> {
            path: &'a str,
            index: usize,
            kind: ItemKind,
            #[serde(skip_serializing_if = "Option::is_none")]
            error: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            alias: Option<&'a str>,
            source: &'a str,
            #[serde(skip_serializing_if = "<[String]>::is_empty")]
            links: &'a [String],
            #[serde(skip_serializing_if = "<[String]>::is_empty")]
            used_by: &'a [String],
            #[serde(flatten)]
            detail: DetailJson<'a>,
        }
        #[derive(Serialize)]
        #[serde(untagged)]
        enum DetailJson<'a> {
            Certificate(CertJson<'a>),
            PrivateKey(&'a KeyInfo),
            Csr(&'a CsrInfo),
            Crl(&'a CrlInfo),
            Keystore(&'a KeystoreInfo),
            DhParams(&'a DhInfo),
            None,
        }
        let detail = match &self.detail {
            Detail::Certificate(cert) => DetailJson::Certificate(CertJson {
                cert,
                path: &self.path,
            }),
            Detail::PrivateKey(k) => DetailJson::PrivateKey(k),
            Detail::Csr(c) => DetailJson::Csr(c),
            Detail::Crl(c) => DetailJson::Crl(c),
            Detail::Keystore(k) => DetailJson::Keystore(k),
            Detail::DhParams(d) => DetailJson::DhParams(d),
            Detail::None => DetailJson::None,
        };
        ItemJson {
            path: &self.path,
            index: self.index,
            kind: self.kind,
            error: self.error.as_deref(),
            alias: self.alias.as_deref(),
            source: &self.source,
            links: &self.links,
            used_by: &self.used_by,
            detail,
        }
        .serialize(s)
    }
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

    /// An encrypted key or a keystore no passphrase has opened yet (a wrong one included).
    pub fn locked(&self) -> bool {
        let not_opened = self
            .error
            .as_deref()
            .is_none_or(|e| e.starts_with("locked"));
        not_opened
            && match &self.detail {
                Detail::PrivateKey(k) => k.encrypted && k.public_bits.is_none(),
                Detail::Keystore(k) => k.locked,
                _ => false,
            }
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
            Detail::Certificate(c) => c.shown_status(),
            _ => Status::Ok,
        }
    }
}
