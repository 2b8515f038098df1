//! Certificate issuing with rcgen: key generation and loading, self-signed and CA-signed
//! certificates, CSRs, signing CSRs and CRLs. Pure: bytes in, bytes out, no filesystem.
//!
//! rcgen's defaults are not used where they are wrong for a certificate manager (see
//! DEPENDENCIES.md): every certificate gets real dates and a random serial, a signer certificate is
//! checked to be a CA whose public key matches the signing key, and a CSR's requested extensions
//! (CA:TRUE, key usages) are replaced by the chosen profile.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use anyhow::{anyhow, bail, Context, Result};
use rand::RngCore;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName,
    DnType, DnValue, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    RevokedCertParams, SanType, SerialNumber,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer,
};
use x509_parser::certificate::X509Certificate;
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Name;

/// OID of the PKCS#9 `emailAddress` name attribute.
const OID_EMAIL_ADDRESS: [u64; 7] = [1, 2, 840, 113549, 1, 9, 1];
/// OID of `rsaEncryption` as it appears in a SubjectPublicKeyInfo.
const OID_RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";

// ---------------------------------------------------------------------------------------------
// Key types and profiles
// ---------------------------------------------------------------------------------------------

/// Algorithm and size of a generated key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum KeyType {
    #[default]
    EcP256,
    EcP384,
    Ed25519,
    Rsa2048,
    Rsa3072,
    Rsa4096,
}

impl KeyType {
    pub const ALL: [KeyType; 6] = [
        KeyType::EcP256,
        KeyType::EcP384,
        KeyType::Ed25519,
        KeyType::Rsa2048,
        KeyType::Rsa3072,
        KeyType::Rsa4096,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::EcP256 => "ec-p256",
            KeyType::EcP384 => "ec-p384",
            KeyType::Ed25519 => "ed25519",
            KeyType::Rsa2048 => "rsa-2048",
            KeyType::Rsa3072 => "rsa-3072",
            KeyType::Rsa4096 => "rsa-4096",
        }
    }

    pub fn is_rsa(self) -> bool {
        matches!(self, KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096)
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KeyType {
    type Err = anyhow::Error;

    /// The `Display` names, case-insensitive, `_` accepted for `-`.
    fn from_str(s: &str) -> Result<Self> {
        let norm = s.trim().to_ascii_lowercase().replace('_', "-");
        KeyType::ALL
            .into_iter()
            .find(|k| k.as_str() == norm)
            .ok_or_else(|| {
                let names: Vec<_> = KeyType::ALL.iter().map(|k| k.as_str()).collect();
                anyhow!(
                    "unknown key type {s:?} (expected one of {})",
                    names.join(", ")
                )
            })
    }
}

/// What a certificate is for; decides basicConstraints, keyUsage and extendedKeyUsage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    Ca,
    Server,
    Client,
}

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Ca => "ca",
            Profile::Server => "server",
            Profile::Client => "client",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Profile {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ca" => Ok(Profile::Ca),
            "server" => Ok(Profile::Server),
            "client" => Ok(Profile::Client),
            _ => bail!("unknown profile {s:?} (expected ca, server or client)"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Requests and results
// ---------------------------------------------------------------------------------------------

/// The subject name. Empty optional values count as absent.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SubjectSpec {
    pub cn: String,
    pub o: Option<String>,
    pub ou: Option<String>,
    pub c: Option<String>,
    pub st: Option<String>,
    pub l: Option<String>,
    pub email: Option<String>,
}

impl SubjectSpec {
    /// A subject with only a common name.
    pub fn cn(cn: impl Into<String>) -> Self {
        SubjectSpec {
            cn: cn.into(),
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone)]
pub struct IssueRequest {
    pub profile: Profile,
    pub subject: SubjectSpec,
    /// `DNS:x`, `IP:1.2.3.4`, `email:a@b`, `URI:scheme:...`; a bare value is guessed (IP, email
    /// if it has an `@`, else DNS).
    pub sans: Vec<String>,
    pub not_before: time::OffsetDateTime,
    pub not_after: time::OffsetDateTime,
    /// basicConstraints pathLenConstraint; only for the `ca` profile.
    pub path_len: Option<u8>,
}

/// The CA that signs: its certificate (DER) and its private key.
#[derive(Clone, Copy)]
pub struct Signer<'a> {
    pub cert_der: &'a [u8],
    pub key: &'a KeyPair,
}

impl fmt::Debug for Signer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("cert_der_len", &self.cert_der.len())
            .field("key", &"[elided]")
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub cert_der: Vec<u8>,
    pub cert_pem: String,
}

impl Issued {
    fn from_der(der: Vec<u8>) -> Self {
        let cert_pem = super::pem::encode("CERTIFICATE", &der);
        Issued {
            cert_der: der,
            cert_pem,
        }
    }
}

/// Plain private key encodings `key_from_der` understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFormat {
    /// `PRIVATE KEY`
    Pkcs8,
    /// `RSA PRIVATE KEY`
    Pkcs1,
    /// `EC PRIVATE KEY`
    Sec1,
}

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

/// Generate a new key. RSA 4096 takes seconds: run it off the UI thread.
pub fn generate_key(kt: KeyType) -> Result<KeyPair> {
    let res = match kt {
        KeyType::EcP256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
        KeyType::EcP384 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384),
        KeyType::Ed25519 => KeyPair::generate_for(&rcgen::PKCS_ED25519),
        KeyType::Rsa2048 => {
            KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
        }
        KeyType::Rsa3072 => {
            KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_3072)
        }
        KeyType::Rsa4096 => {
            KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_4096)
        }
    };
    ed25519_pkcs8_v1(res.with_context(|| format!("generating a {kt} key"))?)
}

/// Load an unencrypted PKCS#8 (`PRIVATE KEY`) DER key.
/// Ed25519 keys are kept as PKCS#8 v1 (see `ed25519_pkcs8_v1`).
pub fn key_from_pkcs8_der(der: &[u8]) -> Result<KeyPair> {
    let key = KeyPair::try_from(&PrivatePkcs8KeyDer::from(der))
        .map_err(|e| anyhow!("unsupported or malformed PKCS#8 private key: {e}"))?;
    ed25519_pkcs8_v1(key)
}

/// aws-lc-rs writes Ed25519 keys as PKCS#8 v2 (OneAsymmetricKey with the public key), which
/// OpenSSL 3.0 refuses to read ("unsupported"). Re-encode such keys as v1.
fn ed25519_pkcs8_v1(key: KeyPair) -> Result<KeyPair> {
    if key.algorithm() != &rcgen::PKCS_ED25519 || pkcs8_version(key.serialized_der()) != Some(1) {
        return Ok(key);
    }
    let ed = aws_lc_rs::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(key.serialized_der())
        .map_err(|e| anyhow!("malformed Ed25519 key: {e}"))?;
    let v1 = ed
        .to_pkcs8v1()
        .map_err(|_| anyhow!("cannot re-encode Ed25519 key as PKCS#8 v1"))?;
    KeyPair::try_from(&PrivatePkcs8KeyDer::from(v1.as_ref()))
        .map_err(|e| anyhow!("re-encoded Ed25519 key does not load: {e}"))
}

/// The version INTEGER of a PKCS#8 structure (0 = v1, 1 = v2).
fn pkcs8_version(der: &[u8]) -> Option<u8> {
    let (outer, _) = super::der::read_tlv(der).ok()?;
    let (version, _) = super::der::read_tlv(outer.content).ok()?;
    match (version.tag, version.content) {
        (0x02, [v]) => Some(*v),
        _ => None,
    }
}

/// Load an unencrypted private key in PKCS#8, PKCS#1 (RSA) or SEC1 (EC) DER. Without a hint the
/// format is recognised from the structure. The result always holds PKCS#8, so
/// `KeyPair::serialize_pem()` writes a `PRIVATE KEY` whatever the input was.
pub fn key_from_der(der: &[u8], hint: Option<KeyFormat>) -> Result<KeyPair> {
    let key = match hint {
        Some(KeyFormat::Pkcs8) => PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der)),
        Some(KeyFormat::Pkcs1) => PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(der)),
        Some(KeyFormat::Sec1) => PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(der)),
        None => PrivateKeyDer::try_from(der)
            .map_err(|e| anyhow!("not a PKCS#8, PKCS#1 or SEC1 private key: {e}"))?,
    };
    key_from_private_key_der(&key)
}

/// Load the first private key (`PRIVATE KEY`, `RSA PRIVATE KEY`, `EC PRIVATE KEY`) in PEM text.
/// Encrypted keys are not handled here (see `keycrypt`).
pub fn key_from_pem(pem: &str) -> Result<KeyPair> {
    let key = PrivateKeyDer::from_pem_slice(pem.as_bytes())
        .map_err(|e| anyhow!("no unencrypted private key in PEM: {e}"))?;
    key_from_private_key_der(&key)
}

fn key_from_private_key_der(key: &PrivateKeyDer<'_>) -> Result<KeyPair> {
    use aws_lc_rs::encoding::AsDer;
    let pkcs8: Vec<u8> = match key {
        PrivateKeyDer::Pkcs8(k) => return key_from_pkcs8_der(k.secret_pkcs8_der()),
        PrivateKeyDer::Pkcs1(k) => {
            let rsa = aws_lc_rs::rsa::KeyPair::from_der(k.secret_pkcs1_der())
                .map_err(|e| anyhow!("malformed PKCS#1 RSA private key: {e}"))?;
            let doc = rsa
                .as_der()
                .map_err(|_| anyhow!("cannot re-encode RSA key as PKCS#8"))?;
            doc.as_ref().to_vec()
        }
        PrivateKeyDer::Sec1(k) => {
            use aws_lc_rs::signature as sig;
            let algs: [&'static sig::EcdsaSigningAlgorithm; 3] = [
                &sig::ECDSA_P256_SHA256_ASN1_SIGNING,
                &sig::ECDSA_P384_SHA384_ASN1_SIGNING,
                &sig::ECDSA_P521_SHA512_ASN1_SIGNING,
            ];
            let ec = algs
                .iter()
                .find_map(|alg| {
                    sig::EcdsaKeyPair::from_private_key_der(alg, k.secret_sec1_der()).ok()
                })
                .ok_or_else(|| anyhow!("unsupported or malformed SEC1 EC private key"))?;
            let doc = ec
                .to_pkcs8v1()
                .map_err(|_| anyhow!("cannot re-encode EC key as PKCS#8"))?;
            doc.as_ref().to_vec()
        }
        _ => bail!("unsupported private key encoding"),
    };
    key_from_pkcs8_der(&pkcs8)
}

/// The key as unencrypted PKCS#8 PEM (`PRIVATE KEY`), OpenSSL style.
pub fn key_to_pkcs8_pem(key: &KeyPair) -> String {
    super::pem::encode("PRIVATE KEY", key.serialized_der())
}

/// True if the key is RSA (keyEncipherment makes sense for it).
pub fn key_is_rsa(key: &KeyPair) -> bool {
    [
        &rcgen::PKCS_RSA_SHA256,
        &rcgen::PKCS_RSA_SHA384,
        &rcgen::PKCS_RSA_SHA512,
    ]
    .contains(&key.algorithm())
}

/// 16 random bytes, positive (top bit clear) with a non-zero first byte, so the DER INTEGER is
/// exactly these 16 bytes.
pub fn random_serial() -> Vec<u8> {
    let mut b = vec![0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    b[0] &= 0x7f;
    if b[0] == 0 {
        b[0] = 0x01;
    }
    b
}

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Build the subject in the conventional OpenSSL order C, ST, L, O, OU, CN, emailAddress.
fn subject_dn(s: &SubjectSpec) -> Result<DistinguishedName> {
    let mut dn = DistinguishedName::new();
    if let Some(c) = non_empty(&s.c) {
        if c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_alphabetic()) {
            bail!("country {c:?} must be a two-letter ISO 3166 code");
        }
        let p = rcgen::string::PrintableString::try_from(c.to_ascii_uppercase())
            .map_err(|e| anyhow!("country: {e}"))?;
        dn.push(DnType::CountryName, DnValue::PrintableString(p));
    }
    if let Some(v) = non_empty(&s.st) {
        dn.push(DnType::StateOrProvinceName, v);
    }
    if let Some(v) = non_empty(&s.l) {
        dn.push(DnType::LocalityName, v);
    }
    if let Some(v) = non_empty(&s.o) {
        dn.push(DnType::OrganizationName, v);
    }
    if let Some(v) = non_empty(&s.ou) {
        dn.push(DnType::OrganizationalUnitName, v);
    }
    let cn = s.cn.trim();
    if !cn.is_empty() {
        if cn.chars().count() > 64 {
            bail!("common name is longer than 64 characters");
        }
        dn.push(DnType::CommonName, cn);
    }
    if let Some(v) = non_empty(&s.email) {
        if !v.contains('@') {
            bail!("email {v:?} has no @");
        }
        let ia5 = rcgen::string::Ia5String::try_from(v).map_err(|e| anyhow!("email {v:?}: {e}"))?;
        dn.push(
            DnType::CustomDnType(OID_EMAIL_ADDRESS.to_vec()),
            DnValue::Ia5String(ia5),
        );
    }
    Ok(dn)
}

/// A CSR's subject as an rcgen name. rcgen keeps one value per attribute type and one attribute
/// per RDN, so names it cannot represent are refused rather than silently changed.
fn dn_from_x509(name: &X509Name<'_>) -> Result<DistinguishedName> {
    let mut dn = DistinguishedName::new();
    let mut seen: Vec<DnType> = Vec::new();
    for rdn in name.iter() {
        let attrs: Vec<_> = rdn.iter().collect();
        let [attr] = attrs.as_slice() else {
            bail!("multi-valued RDNs in the subject are not supported");
        };
        let oid: Vec<u64> = attr
            .attr_type()
            .iter()
            .ok_or_else(|| anyhow!("subject attribute OID too large"))?
            .collect();
        let ty = DnType::from_oid(&oid);
        if seen.contains(&ty) {
            bail!("subject repeats the attribute {}", attr.attr_type());
        }
        seen.push(ty.clone());
        let value = attr.attr_value();
        let data = value.data;
        let text =
            || std::str::from_utf8(data).map_err(|_| anyhow!("subject value is not valid text"));
        let v = match value.header.tag() {
            Tag::Utf8String => DnValue::Utf8String(text()?.to_owned()),
            Tag::PrintableString => DnValue::PrintableString(
                text()?
                    .try_into()
                    .map_err(|e| anyhow!("subject PrintableString: {e}"))?,
            ),
            Tag::Ia5String => DnValue::Ia5String(
                text()?
                    .try_into()
                    .map_err(|e| anyhow!("subject IA5String: {e}"))?,
            ),
            Tag::T61String => DnValue::TeletexString(
                text()?
                    .try_into()
                    .map_err(|e| anyhow!("subject T61String: {e}"))?,
            ),
            Tag::BmpString => DnValue::BmpString(
                rcgen::string::BmpString::from_utf16be(data.to_vec())
                    .map_err(|e| anyhow!("subject BMPString: {e}"))?,
            ),
            Tag::UniversalString => DnValue::UniversalString(
                rcgen::string::UniversalString::from_utf32be(data.to_vec())
                    .map_err(|e| anyhow!("subject UniversalString: {e}"))?,
            ),
            t => bail!("unsupported string type {t:?} in the subject"),
        };
        dn.push(ty, v);
    }
    Ok(dn)
}

fn dn_common_name(dn: &DistinguishedName) -> Option<String> {
    match dn.get(&DnType::CommonName)? {
        DnValue::Utf8String(s) => Some(s.clone()),
        DnValue::PrintableString(s) => Some(s.as_str().to_owned()),
        DnValue::Ia5String(s) => Some(s.as_str().to_owned()),
        DnValue::TeletexString(s) => Some(s.as_str().to_owned()),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Subject alternative names
// ---------------------------------------------------------------------------------------------

/// A DNS name as it may appear in a certificate: LDH labels (underscore tolerated), 1..=63 chars
/// each, at most 253 in all, optionally a leading `*.` wildcard label; not an IP address.
pub fn looks_like_hostname(s: &str) -> bool {
    if s.is_empty() || s.len() > 253 || s.parse::<IpAddr>().is_ok() {
        return false;
    }
    let rest = s.strip_prefix("*.").unwrap_or(s);
    !rest.is_empty()
        && rest.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// Parse `DNS:x`, `IP:addr`, `email:a@b`, `URI:u` (prefix case-insensitive); a bare value is an
/// IP if it parses as one, an email if it has an `@`, else a DNS name.
pub fn parse_san(s: &str) -> Result<SanType> {
    let s = s.trim();
    let (kind, value) = match s.split_once(':') {
        Some((k, v))
            if ["dns", "ip", "email", "uri"]
                .iter()
                .any(|p| k.eq_ignore_ascii_case(p)) =>
        {
            (k.to_ascii_lowercase(), v.trim())
        }
        _ => {
            let guess = if s.parse::<IpAddr>().is_ok() {
                "ip"
            } else if s.contains('@') {
                "email"
            } else {
                "dns"
            };
            (guess.to_string(), s)
        }
    };
    let ia5 =
        |v: &str| rcgen::string::Ia5String::try_from(v).map_err(|e| anyhow!("SAN {s:?}: {e}"));
    Ok(match kind.as_str() {
        "dns" => {
            if !looks_like_hostname(value) {
                bail!("SAN {s:?}: {value:?} is not a valid DNS name");
            }
            SanType::DnsName(ia5(value)?)
        }
        "ip" => SanType::IpAddress(
            value
                .parse::<IpAddr>()
                .map_err(|_| anyhow!("SAN {s:?}: {value:?} is not an IP address"))?,
        ),
        "email" => {
            if !value.contains('@') || value.starts_with('@') || value.ends_with('@') {
                bail!("SAN {s:?}: {value:?} is not an email address");
            }
            SanType::Rfc822Name(ia5(value)?)
        }
        _ => {
            if !value.contains(':') {
                bail!("SAN {s:?}: {value:?} is not a URI (no scheme)");
            }
            SanType::URI(ia5(value)?)
        }
    })
}

/// `DNS:x` / `IP:x` / `email:x` / `URI:x`, the inverse of `parse_san`.
pub fn san_to_string(san: &SanType) -> String {
    match san {
        SanType::DnsName(n) => format!("DNS:{}", n.as_str()),
        SanType::IpAddress(ip) => format!("IP:{ip}"),
        SanType::Rfc822Name(n) => format!("email:{}", n.as_str()),
        SanType::URI(n) => format!("URI:{}", n.as_str()),
        other => format!("{other:?}"),
    }
}

fn parse_sans(sans: &[String]) -> Result<Vec<SanType>> {
    let mut out: Vec<SanType> = Vec::new();
    for s in sans {
        if s.trim().is_empty() {
            continue;
        }
        let san = parse_san(s)?;
        if !out.iter().any(|o| same_san(o, &san)) {
            out.push(san);
        }
    }
    Ok(out)
}

fn same_san(a: &SanType, b: &SanType) -> bool {
    match (a, b) {
        (SanType::DnsName(x), SanType::DnsName(y)) => x.as_str().eq_ignore_ascii_case(y.as_str()),
        _ => a == b,
    }
}

/// Server profile: a CN that names a host (or an IP address) must also be a SAN, since clients
/// ignore the CN.
fn add_cn_san(cn: Option<&str>, sans: &mut Vec<SanType>) -> Result<()> {
    let Some(cn) = cn.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(());
    };
    let san = if let Ok(ip) = cn.parse::<IpAddr>() {
        SanType::IpAddress(ip)
    } else if looks_like_hostname(cn) {
        SanType::DnsName(
            rcgen::string::Ia5String::try_from(cn).map_err(|e| anyhow!("CN as SAN: {e}"))?,
        )
    } else {
        return Ok(());
    };
    if !sans.iter().any(|s| same_san(s, &san)) {
        sans.insert(0, san);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Certificates
// ---------------------------------------------------------------------------------------------

/// Parameters for one certificate: dates, random serial, the profile's extensions.
fn profile_params(
    profile: Profile,
    dn: DistinguishedName,
    mut sans: Vec<SanType>,
    not_before: time::OffsetDateTime,
    not_after: time::OffsetDateTime,
    path_len: Option<u8>,
    subject_key_is_rsa: bool,
) -> Result<CertificateParams> {
    if not_after <= not_before {
        bail!("not_after ({not_after}) must be later than not_before ({not_before})");
    }
    if path_len.is_some() && profile != Profile::Ca {
        bail!("a path length only applies to the ca profile");
    }
    let mut p = CertificateParams::default();
    p.not_before = not_before;
    p.not_after = not_after;
    p.serial_number = Some(SerialNumber::from_slice(&random_serial()));
    p.key_identifier_method = KeyIdMethod::Sha256;
    match profile {
        Profile::Ca => {
            if dn.iter().next().is_none() {
                bail!("a CA needs a subject (at least a CN)");
            }
            p.is_ca = IsCa::Ca(match path_len {
                Some(n) => BasicConstraints::Constrained(n),
                None => BasicConstraints::Unconstrained,
            });
            p.key_usages = vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyCertSign,
                KeyUsagePurpose::CrlSign,
            ];
        }
        Profile::Server => {
            add_cn_san(dn_common_name(&dn).as_deref(), &mut sans)?;
            if sans.is_empty() {
                bail!("a server certificate needs a SAN (or a CN that is a host name)");
            }
            p.is_ca = IsCa::ExplicitNoCa;
            p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            if subject_key_is_rsa {
                p.key_usages.push(KeyUsagePurpose::KeyEncipherment);
            }
            p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        }
        Profile::Client => {
            p.is_ca = IsCa::ExplicitNoCa;
            p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        }
    }
    if dn.iter().next().is_none() && sans.is_empty() {
        bail!("the certificate needs a subject or a SAN");
    }
    p.distinguished_name = dn;
    p.subject_alt_names = sans;
    Ok(p)
}

/// A checked signer: the rcgen issuer plus what we need to compare against afterwards.
struct CheckedSigner<'k> {
    issuer: Issuer<'static, &'k KeyPair>,
    subject_raw: Vec<u8>,
    ski: Option<Vec<u8>>,
}

/// Parse the signer certificate, check it is a CA allowed to sign certificates and that the key
/// is its key, and build the rcgen issuer from it.
fn check_signer<'k>(signer: &Signer<'k>) -> Result<CheckedSigner<'k>> {
    let (rest, x509) = X509Certificate::from_der(signer.cert_der)
        .map_err(|e| anyhow!("signer certificate does not parse: {e}"))?;
    if !rest.is_empty() {
        bail!("signer certificate has trailing data");
    }
    let subject = x509.subject().to_string();
    let bc = x509
        .basic_constraints()
        .map_err(|e| anyhow!("signer basicConstraints: {e}"))?;
    if !bc.is_some_and(|b| b.value.ca) {
        bail!("signer {subject:?} is not a CA (no basicConstraints CA:TRUE)");
    }
    if let Some(ku) = x509
        .key_usage()
        .map_err(|e| anyhow!("signer keyUsage: {e}"))?
    {
        if !ku.value.key_cert_sign() {
            bail!("signer {subject:?} may not sign certificates (keyUsage lacks keyCertSign)");
        }
    }
    if x509.public_key().subject_public_key.data.as_ref() != signer.key.public_key_raw() {
        bail!("the signing key is not the key of {subject:?}");
    }
    let ski = x509
        .iter_extensions()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
            _ => None,
        });
    let subject_raw = x509.subject().as_raw().to_vec();
    let issuer = Issuer::from_ca_cert_der(&CertificateDer::from(signer.cert_der), signer.key)
        .map_err(|e| anyhow!("cannot use {subject:?} as issuer: {e}"))?;
    Ok(CheckedSigner {
        issuer,
        subject_raw,
        ski,
    })
}

/// rcgen re-encodes the issuer name; make sure it still names the CA the way OpenSSL compares.
fn check_issuer_name(cert_der: &[u8], ca_subject_raw: &[u8]) -> Result<()> {
    let (_, cert) = X509Certificate::from_der(cert_der)
        .map_err(|e| anyhow!("issued certificate does not parse: {e}"))?;
    let issuer_raw = cert.issuer().as_raw();
    if issuer_raw == ca_subject_raw {
        return Ok(());
    }
    let canon = super::subject_hash::canonical_name;
    match (canon(issuer_raw), canon(ca_subject_raw)) {
        (Ok(a), Ok(b)) if a == b => Ok(()),
        _ => bail!("the CA subject cannot be reproduced as the issuer name"),
    }
}

/// Issue a certificate for `key`: self-signed when `signer` is `None`, else signed by the CA.
pub fn issue(req: &IssueRequest, key: &KeyPair, signer: Option<Signer>) -> Result<Issued> {
    let dn = subject_dn(&req.subject)?;
    let sans = parse_sans(&req.sans)?;
    let params = profile_params(
        req.profile,
        dn,
        sans,
        req.not_before,
        req.not_after,
        req.path_len,
        key_is_rsa(key),
    )?;
    sign_params(params, key, signer)
}

/// Signs `params` for `key`: self-signed without a `signer`, else by the checked signer (its
/// AKI added, the issuer name checked against the signer's subject).
fn sign_params(
    mut params: CertificateParams,
    key: &KeyPair,
    signer: Option<Signer>,
) -> Result<Issued> {
    let der = match signer {
        None => params
            .self_signed(key)
            .map_err(|e| anyhow!("self-signing failed: {e}"))?
            .der()
            .to_vec(),
        Some(signer) => {
            let checked = check_signer(&signer)?;
            params.use_authority_key_identifier_extension = true;
            let der = params
                .signed_by(key, &checked.issuer)
                .map_err(|e| anyhow!("signing failed: {e}"))?
                .der()
                .to_vec();
            check_issuer_name(&der, &checked.subject_raw)?;
            der
        }
    };
    Ok(Issued::from_der(der))
}

/// Issue `cert_der` again for the same `key`: its subject and SANs copied, a new validity and
/// serial, usages from `profile` (what renewing a certificate means); self-signed when
/// `signer` is `None`.
pub fn reissue(
    cert_der: &[u8],
    key: &KeyPair,
    profile: Profile,
    not_before: time::OffsetDateTime,
    not_after: time::OffsetDateTime,
    signer: Option<Signer>,
) -> Result<Issued> {
    let (_, cert) = X509Certificate::from_der(cert_der)
        .map_err(|e| anyhow!("certificate does not parse: {e}"))?;
    let mut sans = Vec::new();
    for ext in cert.iter_extensions() {
        if let ParsedExtension::SubjectAlternativeName(san) = ext.parsed_extension() {
            for g in &san.general_names {
                sans.push(general_name_to_string(g)?);
            }
        }
    }
    let path_len = (profile == Profile::Ca)
        .then(|| cert.basic_constraints().ok().flatten())
        .flatten()
        .and_then(|b| b.value.path_len_constraint)
        .and_then(|n| u8::try_from(n).ok());
    let dn = dn_from_x509(cert.subject())?;
    let params = profile_params(
        profile,
        dn,
        parse_sans(&sans)?,
        not_before,
        not_after,
        path_len,
        key_is_rsa(key),
    )?;
    sign_params(params, key, signer)
}

/// A PKCS#10 request (DER) for `subject` and `sans`, signed with `key`. Carries only the subject
/// and SANs: the CA decides usages.
pub fn make_csr(subject: &SubjectSpec, sans: &[String], key: &KeyPair) -> Result<Vec<u8>> {
    let mut params = CertificateParams::default();
    params.distinguished_name = subject_dn(subject)?;
    params.subject_alt_names = parse_sans(sans)?;
    if params.distinguished_name.iter().next().is_none() && params.subject_alt_names.is_empty() {
        bail!("the request needs a subject or a SAN");
    }
    let csr = params
        .serialize_request(key)
        .map_err(|e| anyhow!("creating the CSR failed: {e}"))?;
    Ok(csr.der().to_vec())
}

fn general_name_to_string(g: &GeneralName<'_>) -> Result<String> {
    Ok(match g {
        GeneralName::DNSName(n) => format!("DNS:{n}"),
        GeneralName::RFC822Name(n) => format!("email:{n}"),
        GeneralName::URI(n) => format!("URI:{n}"),
        GeneralName::IPAddress(b) => match b.len() {
            4 => format!("IP:{}", IpAddr::from(<[u8; 4]>::try_from(*b)?)),
            16 => format!("IP:{}", IpAddr::from(<[u8; 16]>::try_from(*b)?)),
            _ => bail!("CSR has an IP SAN of {} bytes", b.len()),
        },
        other => bail!("CSR has an unsupported SAN type: {other}"),
    })
}

/// Sign a PKCS#10 request (DER) with the CA. The request's signature is verified; its subject
/// and SANs are kept, everything else it asks for (CA:TRUE, key usages, other extensions) is
/// dropped and replaced by `profile`.
pub fn sign_csr(
    csr_der: &[u8],
    profile: Profile,
    not_before: time::OffsetDateTime,
    not_after: time::OffsetDateTime,
    signer: Signer,
) -> Result<Issued> {
    let (rest, csr) = X509CertificationRequest::from_der(csr_der)
        .map_err(|e| anyhow!("CSR does not parse: {e}"))?;
    if !rest.is_empty() {
        bail!("CSR has trailing data");
    }
    csr.verify_signature()
        .map_err(|e| anyhow!("CSR signature does not verify: {e}"))?;
    let info = &csr.certification_request_info;
    let dn = dn_from_x509(&info.subject)?;
    let mut sans = Vec::new();
    if let Some(exts) = csr.requested_extensions() {
        for ext in exts {
            if let ParsedExtension::SubjectAlternativeName(san) = ext {
                for g in &san.general_names {
                    sans.push(general_name_to_string(g)?);
                }
            }
        }
    }
    let sans = parse_sans(&sans)?;
    let spki = rcgen::SubjectPublicKeyInfo::from_der(info.subject_pki.raw)
        .map_err(|e| anyhow!("unsupported public key in the CSR: {e}"))?;
    let is_rsa = info.subject_pki.algorithm.algorithm.to_id_string() == OID_RSA_ENCRYPTION;
    let mut params = profile_params(profile, dn, sans, not_before, not_after, None, is_rsa)?;
    let checked = check_signer(&signer)?;
    params.use_authority_key_identifier_extension = true;
    let der = params
        .signed_by(&spki, &checked.issuer)
        .map_err(|e| anyhow!("signing failed: {e}"))?
        .der()
        .to_vec();
    check_issuer_name(&der, &checked.subject_raw)?;
    Ok(Issued::from_der(der))
}

/// A CRL (DER) signed by the CA listing `revoked` (serial bytes, revocation time).
pub fn make_crl(
    signer: Signer,
    revoked: &[(Vec<u8>, time::OffsetDateTime)],
    this_update: time::OffsetDateTime,
    next_update: time::OffsetDateTime,
    crl_number: u64,
) -> Result<Vec<u8>> {
    let entries: Vec<CrlEntry> = revoked
        .iter()
        .map(|(serial, when)| CrlEntry {
            serial: serial.clone(),
            when: *when,
            reason: None,
        })
        .collect();
    let number = crl_number.to_be_bytes();
    let first = number.iter().position(|b| *b != 0).unwrap_or(7);
    make_crl_entries(signer, &entries, this_update, next_update, &number[first..])
}

/// One revoked certificate of a CRL to sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlEntry {
    /// The serial's INTEGER content octets, as in the certificate.
    pub serial: Vec<u8>,
    pub when: time::OffsetDateTime,
    /// CRLReason code (RFC 5280 5.3.1); unknown codes are dropped.
    pub reason: Option<u8>,
}

fn revocation_reason(code: u8) -> Option<rcgen::RevocationReason> {
    use rcgen::RevocationReason::*;
    Some(match code {
        0 => Unspecified,
        1 => KeyCompromise,
        2 => CaCompromise,
        3 => AffiliationChanged,
        4 => Superseded,
        5 => CessationOfOperation,
        6 => CertificateHold,
        8 => RemoveFromCrl,
        9 => PrivilegeWithdrawn,
        10 => AaCompromise,
        _ => return None,
    })
}

/// A CRL (DER) signed by the CA listing `revoked` with their dates and reasons; `crl_number`
/// is the number's big-endian octets (RFC 5280 allows up to 20).
pub fn make_crl_entries(
    signer: Signer,
    revoked: &[CrlEntry],
    this_update: time::OffsetDateTime,
    next_update: time::OffsetDateTime,
    crl_number: &[u8],
) -> Result<Vec<u8>> {
    if next_update <= this_update {
        bail!("next_update must be later than this_update");
    }
    if crl_number.is_empty() || crl_number.len() > 20 {
        bail!("CRL number must be 1 to 20 octets");
    }
    let checked = check_signer(&signer)?;
    let revoked_certs = revoked
        .iter()
        .map(|e| {
            if e.serial.is_empty() {
                bail!("empty serial in the revocation list");
            }
            Ok(RevokedCertParams {
                serial_number: SerialNumber::from_slice(&e.serial),
                revocation_time: e.when,
                reason_code: e.reason.and_then(revocation_reason),
                invalidity_date: None,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let params = CertificateRevocationListParams {
        this_update,
        next_update,
        crl_number: SerialNumber::from_slice(crl_number),
        issuing_distribution_point: None,
        revoked_certs,
        // The CRL's authorityKeyIdentifier must equal the CA's subjectKeyIdentifier, whatever
        // method made that one.
        key_identifier_method: match checked.ski {
            Some(ski) => KeyIdMethod::PreSpecified(ski),
            None => KeyIdMethod::Sha256,
        },
    };
    let crl = params
        .signed_by(&checked.issuer)
        .map_err(|e| anyhow!("signing the CRL failed: {e}"))?;
    Ok(crl.der().to_vec())
}

/// A PKCS#10 request (DER) signed with `key` whose subject and SANs are copied from the
/// certificate `cert_der` (what `keytool -certreq` does for an entry's self-signed certificate).
/// `extra_sans` are added to the copied ones.
pub fn make_csr_like_cert(
    cert_der: &[u8],
    extra_sans: &[String],
    key: &KeyPair,
) -> Result<Vec<u8>> {
    let (_, cert) = X509Certificate::from_der(cert_der)
        .map_err(|e| anyhow!("certificate does not parse: {e}"))?;
    let mut sans = Vec::new();
    for ext in cert.iter_extensions() {
        if let ParsedExtension::SubjectAlternativeName(san) = ext.parsed_extension() {
            for g in &san.general_names {
                if let Ok(s) = general_name_to_string(g) {
                    sans.push(s);
                }
            }
        }
    }
    sans.extend(extra_sans.iter().cloned());
    let mut params = CertificateParams::default();
    params.distinguished_name = dn_from_x509(cert.subject())?;
    params.subject_alt_names = parse_sans(&sans)?;
    if params.distinguished_name.iter().next().is_none() && params.subject_alt_names.is_empty() {
        bail!("the request needs a subject or a SAN");
    }
    let csr = params
        .serialize_request(key)
        .map_err(|e| anyhow!("creating the CSR failed: {e}"))?;
    Ok(csr.der().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::time::{Duration, OffsetDateTime};
    use x509_parser::revocation_list::CertificateRevocationList;

    fn now() -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    fn req(profile: Profile, cn: &str, sans: &[&str]) -> IssueRequest {
        IssueRequest {
            profile,
            subject: SubjectSpec::cn(cn),
            sans: sans.iter().map(|s| s.to_string()).collect(),
            not_before: now() - Duration::hours(1),
            not_after: now() + Duration::days(90),
            path_len: None,
        }
    }

    fn ca(kt: KeyType) -> (KeyPair, Issued) {
        let key = generate_key(kt).unwrap();
        let mut r = req(Profile::Ca, "Test CA", &[]);
        r.subject.o = Some("certdeck".into());
        r.subject.c = Some("de".into());
        r.path_len = Some(0);
        let cert = issue(&r, &key, None).unwrap();
        (key, cert)
    }

    fn parse(der: &[u8]) -> X509Certificate<'_> {
        X509Certificate::from_der(der).unwrap().1
    }

    fn sans_of(c: &X509Certificate<'_>) -> Vec<String> {
        c.subject_alternative_name()
            .unwrap()
            .map(|s| {
                s.value
                    .general_names
                    .iter()
                    .map(|g| general_name_to_string(g).unwrap())
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn key_type_and_profile_names_round_trip() {
        for kt in KeyType::ALL {
            assert_eq!(kt.to_string().parse::<KeyType>().unwrap(), kt);
        }
        assert_eq!("RSA_2048".parse::<KeyType>().unwrap(), KeyType::Rsa2048);
        assert!("rsa-1024".parse::<KeyType>().is_err());
        assert_eq!(KeyType::default(), KeyType::EcP256);
        for p in [Profile::Ca, Profile::Server, Profile::Client] {
            assert_eq!(p.to_string().parse::<Profile>().unwrap(), p);
        }
        assert!("leaf".parse::<Profile>().is_err());
    }

    #[test]
    fn serials_are_positive_16_bytes_and_differ() {
        let a = random_serial();
        let b = random_serial();
        assert_eq!(a.len(), 16);
        assert!(a[0] != 0 && a[0] & 0x80 == 0);
        assert_ne!(a, b);
    }

    #[test]
    fn self_signed_ca_has_ca_extensions_dates_and_serial() {
        let (_key, cert) = ca(KeyType::EcP256);
        let c = parse(&cert.cert_der);
        let bc = c.basic_constraints().unwrap().unwrap().value;
        assert!(bc.ca);
        assert_eq!(bc.path_len_constraint, Some(0));
        let ku = c.key_usage().unwrap().unwrap().value;
        assert!(ku.key_cert_sign() && ku.crl_sign() && ku.digital_signature());
        assert_eq!(c.raw_serial().len(), 16);
        let nb = c.validity().not_before.timestamp();
        assert!((nb - (now() - Duration::hours(1)).unix_timestamp()).abs() < 60);
        assert!(c.subject().to_string().contains("CN=Test CA"));
        assert!(c.subject().to_string().contains("C=DE"));
        assert!(cert.cert_pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
        // Two certificates for the same key do not share a serial (rcgen's default would).
        let key = generate_key(KeyType::EcP256).unwrap();
        let a = issue(&req(Profile::Client, "x", &[]), &key, None).unwrap();
        let b = issue(&req(Profile::Client, "x", &[]), &key, None).unwrap();
        assert_ne!(
            parse(&a.cert_der).raw_serial(),
            parse(&b.cert_der).raw_serial()
        );
    }

    #[test]
    fn server_leaf_signed_by_ca_has_profile_and_key_ids() {
        let (ca_key, ca_cert) = ca(KeyType::EcP384);
        let key = generate_key(KeyType::Rsa2048).unwrap();
        let signer = Signer {
            cert_der: &ca_cert.cert_der,
            key: &ca_key,
        };
        let leaf = issue(
            &req(
                Profile::Server,
                "www.example.com",
                &["DNS:example.com", "IP:10.0.0.1"],
            ),
            &key,
            Some(signer),
        )
        .unwrap();
        let c = parse(&leaf.cert_der);
        let ca = parse(&ca_cert.cert_der);
        assert_eq!(c.issuer().as_raw(), ca.subject().as_raw());
        assert!(!c.basic_constraints().unwrap().unwrap().value.ca);
        let ku = c.key_usage().unwrap().unwrap().value;
        assert!(ku.digital_signature() && ku.key_encipherment() && !ku.key_cert_sign());
        let eku = c.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.server_auth && !eku.client_auth);
        assert_eq!(
            sans_of(&c),
            ["DNS:www.example.com", "DNS:example.com", "IP:10.0.0.1"]
        );
        let ski = |x: &X509Certificate<'_>| {
            x.iter_extensions()
                .find_map(|e| match e.parsed_extension() {
                    ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
                    _ => None,
                })
        };
        let aki = c
            .iter_extensions()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::AuthorityKeyIdentifier(a) => {
                    a.key_identifier.as_ref().map(|k| k.0.to_vec())
                }
                _ => None,
            })
            .unwrap();
        assert!(ski(&c).is_some());
        assert_eq!(Some(aki), ski(&ca));
        c.verify_signature(Some(ca.public_key())).unwrap();
    }

    #[test]
    fn server_cn_is_added_as_san_only_when_missing_and_hostlike() {
        let key = generate_key(KeyType::Ed25519).unwrap();
        let one = issue(
            &req(Profile::Server, "API.example.com", &["api.example.com"]),
            &key,
            None,
        )
        .unwrap();
        assert_eq!(sans_of(&parse(&one.cert_der)), ["DNS:api.example.com"]);
        let ip = issue(&req(Profile::Server, "192.0.2.7", &[]), &key, None).unwrap();
        assert_eq!(sans_of(&parse(&ip.cert_der)), ["IP:192.0.2.7"]);
        let named = issue(
            &req(Profile::Server, "My Server", &["DNS:a.test"]),
            &key,
            None,
        )
        .unwrap();
        assert_eq!(sans_of(&parse(&named.cert_der)), ["DNS:a.test"]);
        assert!(issue(&req(Profile::Server, "My Server", &[]), &key, None).is_err());
        // Client certificates never get the CN as a SAN, and EC keys no keyEncipherment.
        let client = issue(&req(Profile::Client, "alice.example", &[]), &key, None).unwrap();
        let c = parse(&client.cert_der);
        assert!(sans_of(&c).is_empty());
        assert!(c.extended_key_usage().unwrap().unwrap().value.client_auth);
        assert!(!c.key_usage().unwrap().unwrap().value.key_encipherment());
    }

    #[test]
    fn san_parsing() {
        assert_eq!(
            san_to_string(&parse_san("dns:a.example").unwrap()),
            "DNS:a.example"
        );
        assert_eq!(san_to_string(&parse_san("IP:::1").unwrap()), "IP:::1");
        assert_eq!(
            san_to_string(&parse_san("2001:db8::1").unwrap()),
            "IP:2001:db8::1"
        );
        assert_eq!(san_to_string(&parse_san("a@b.c").unwrap()), "email:a@b.c");
        assert_eq!(
            san_to_string(&parse_san("URI:spiffe://x/y").unwrap()),
            "URI:spiffe://x/y"
        );
        assert_eq!(
            san_to_string(&parse_san("*.example.com").unwrap()),
            "DNS:*.example.com"
        );
        assert!(parse_san("DNS:not a host").is_err());
        assert!(parse_san("IP:300.1.1.1").is_err());
        assert!(parse_san("URI:noscheme").is_err());
        assert!(parse_san("email:nobody").is_err());
        assert!(looks_like_hostname("localhost"));
        assert!(!looks_like_hostname("-bad.example"));
        assert!(!looks_like_hostname("a..b"));
    }

    #[test]
    fn bad_requests_are_errors() {
        let key = generate_key(KeyType::EcP256).unwrap();
        let mut r = req(Profile::Client, "x", &[]);
        r.not_after = r.not_before;
        assert!(issue(&r, &key, None).is_err());
        let mut r = req(Profile::Client, "x", &[]);
        r.path_len = Some(1);
        assert!(issue(&r, &key, None).is_err());
        let mut r = req(Profile::Client, "x", &[]);
        r.subject.c = Some("Germany".into());
        assert!(issue(&r, &key, None).is_err());
        assert!(issue(&req(Profile::Ca, "", &[]), &key, None).is_err());
    }

    #[test]
    fn signer_must_be_a_ca_with_the_matching_key() {
        let key = generate_key(KeyType::EcP256).unwrap();
        let leaf = issue(&req(Profile::Client, "not a ca", &[]), &key, None).unwrap();
        let signer = Signer {
            cert_der: &leaf.cert_der,
            key: &key,
        };
        let err = issue(&req(Profile::Client, "x", &[]), &key, Some(signer)).unwrap_err();
        assert!(err.to_string().contains("not a CA"), "{err}");
        let (_ca_key, ca_cert) = ca(KeyType::EcP256);
        let wrong = Signer {
            cert_der: &ca_cert.cert_der,
            key: &key,
        };
        let err = issue(&req(Profile::Client, "x", &[]), &key, Some(wrong)).unwrap_err();
        assert!(err.to_string().contains("not the key"), "{err}");
        assert!(make_crl(wrong, &[], now(), now() + Duration::days(1), 1).is_err());
        let garbage = Signer {
            cert_der: b"nope",
            key: &key,
        };
        assert!(issue(&req(Profile::Client, "x", &[]), &key, Some(garbage)).is_err());
    }

    #[test]
    fn csr_signing_drops_requested_ca_and_keeps_names() {
        let (ca_key, ca_cert) = ca(KeyType::EcP256);
        let key = generate_key(KeyType::EcP256).unwrap();
        // A request asking for CA:TRUE and keyCertSign, built directly with rcgen.
        let mut p = CertificateParams::new(vec!["svc.example".to_string()]).unwrap();
        p.distinguished_name = subject_dn(&SubjectSpec::cn("svc.example")).unwrap();
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        let csr = p.serialize_request(&key).unwrap().der().to_vec();
        let signer = Signer {
            cert_der: &ca_cert.cert_der,
            key: &ca_key,
        };
        let t = now();
        let out = sign_csr(&csr, Profile::Server, t, t + Duration::days(30), signer).unwrap();
        let c = parse(&out.cert_der);
        assert!(!c.basic_constraints().unwrap().unwrap().value.ca);
        assert!(!c.key_usage().unwrap().unwrap().value.key_cert_sign());
        assert_eq!(sans_of(&c), ["DNS:svc.example"]);
        assert_eq!(
            c.public_key().subject_public_key.data.as_ref(),
            key.public_key_raw()
        );
        c.verify_signature(Some(parse(&ca_cert.cert_der).public_key()))
            .unwrap();

        // Our own CSR round-trips too, and a tampered CSR is refused.
        let mut subject = SubjectSpec::cn("new-service.example");
        subject.o = Some("Example".into());
        subject.email = Some("ops@example.com".into());
        let mine = make_csr(&subject, &["DNS:new-service.example".into()], &key).unwrap();
        let out = sign_csr(&mine, Profile::Client, t, t + Duration::days(30), signer).unwrap();
        let c = parse(&out.cert_der);
        assert!(c.subject().to_string().contains("new-service.example"));
        let mut bad = mine.clone();
        let n = bad.len();
        bad[n - 3] ^= 0x55;
        assert!(sign_csr(&bad, Profile::Client, t, t + Duration::days(1), signer).is_err());
    }

    #[test]
    fn crl_lists_serials_and_matches_the_ca() {
        let (ca_key, ca_cert) = ca(KeyType::EcP256);
        let signer = Signer {
            cert_der: &ca_cert.cert_der,
            key: &ca_key,
        };
        let serial = random_serial();
        let t = now();
        let der = make_crl(
            signer,
            &[(serial.clone(), t - Duration::days(1))],
            t,
            t + Duration::days(7),
            300,
        )
        .unwrap();
        let (_, crl) = CertificateRevocationList::from_der(&der).unwrap();
        let ca = parse(&ca_cert.cert_der);
        assert_eq!(crl.issuer().as_raw(), ca.subject().as_raw());
        let listed: Vec<_> = crl
            .iter_revoked_certificates()
            .map(|r| r.raw_serial().to_vec())
            .collect();
        assert_eq!(listed, vec![serial]);
        assert_eq!(
            crl.crl_number().map(|n| n.to_string()),
            Some("300".to_string())
        );
        crl.verify_signature(ca.public_key()).unwrap();
        assert!(make_crl(signer, &[], t, t, 1).is_err());
    }

    #[test]
    fn keys_load_from_pkcs8_pkcs1_and_sec1() {
        for kt in [
            KeyType::EcP256,
            KeyType::EcP384,
            KeyType::Ed25519,
            KeyType::Rsa2048,
        ] {
            let key = generate_key(kt).unwrap();
            assert_eq!(pkcs8_version(key.serialized_der()), Some(0), "{kt}");
            let again = key_from_pkcs8_der(key.serialized_der()).unwrap();
            assert_eq!(again.public_key_raw(), key.public_key_raw(), "{kt}");
            let pem = key_to_pkcs8_pem(&key);
            assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
            assert_eq!(
                key_from_pem(&pem).unwrap().public_key_raw(),
                key.public_key_raw()
            );
            assert_eq!(
                key_from_der(key.serialized_der(), None)
                    .unwrap()
                    .public_key_raw(),
                key.public_key_raw()
            );
        }
        // PKCS#1 and SEC1 from aws-lc-rs directly.
        use aws_lc_rs::encoding::AsDer;
        let rsa = generate_key(KeyType::Rsa2048).unwrap();
        // PKCS#8 = SEQUENCE { version, algorithm, OCTET STRING { PKCS#1 } }.
        let (outer, _) = crate::pki::der::read_tlv(rsa.serialized_der()).unwrap();
        let parts = crate::pki::der::children(outer.content).unwrap();
        let pkcs1 = parts[2].content;
        for hint in [None, Some(KeyFormat::Pkcs1)] {
            let k = key_from_der(pkcs1, hint).unwrap();
            assert!(key_is_rsa(&k));
            assert_eq!(k.public_key_raw(), rsa.public_key_raw());
            assert_eq!(k.serialized_der(), rsa.serialized_der());
        }
        let ec = aws_lc_rs::signature::EcdsaKeyPair::generate(
            &aws_lc_rs::signature::ECDSA_P384_SHA384_ASN1_SIGNING,
        )
        .unwrap();
        let sec1: aws_lc_rs::encoding::EcPrivateKeyRfc5915Der = ec.private_key().as_der().unwrap();
        let k = key_from_der(sec1.as_ref(), Some(KeyFormat::Sec1)).unwrap();
        assert_eq!(k.algorithm(), &rcgen::PKCS_ECDSA_P384_SHA384);
        // Re-encoded as PKCS#8 for writing.
        assert!(key_from_pkcs8_der(k.serialized_der()).is_ok());
        // An Ed25519 PKCS#8 v2 key (what aws-lc-rs makes) is re-encoded as v1 for OpenSSL 3.0.
        let v2 = aws_lc_rs::signature::Ed25519KeyPair::generate_pkcs8(
            &aws_lc_rs::rand::SystemRandom::new(),
        )
        .unwrap();
        assert_eq!(pkcs8_version(v2.as_ref()), Some(1));
        let k = key_from_pkcs8_der(v2.as_ref()).unwrap();
        assert_eq!(pkcs8_version(k.serialized_der()), Some(0));
        assert!(key_from_der(b"\x30\x03\x02\x01\x00", None).is_err());
        assert!(key_from_pem("nothing here").is_err());
    }
}
