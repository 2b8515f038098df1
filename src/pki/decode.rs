//! Turn the bytes of one file into items, recognised by content (never by extension).
//!
//! Order of recognition: PEM blocks (any number, any mix), then DER structures (certificate,
//! PKCS#12, PKCS#7, CRL, CSR, keys, DH parameters), then JKS magic. Every failure becomes an
//! item with an `error`; nothing here panics or stops early.

use std::sync::Arc;

use sha2::{Digest, Sha256};
use x509_parser::prelude::FromDer;
use zeroize::Zeroizing;

use super::der::{children, read_tlv};
use super::key::{self, KeyFormat};
use super::model::*;
use super::pem::{self, PemBlock};
use super::{cert, dh, keycrypt};

/// What the decoder needs besides the bytes.
#[derive(Clone, Default)]
pub struct DecodeOptions {
    /// Unix seconds used for days-left and status.
    pub now: i64,
    pub warn_days: i64,
    /// Passphrases to try on encrypted keys and PKCS#12 files, in order.
    pub passphrases: Vec<Zeroizing<String>>,
}

impl std::fmt::Debug for DecodeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodeOptions")
            .field("now", &self.now)
            .field("warn_days", &self.warn_days)
            .field("passphrases", &self.passphrases.len())
            .finish()
    }
}

/// File names that promise certificate material: if nothing decodes, that is an error, not
/// merely an unrelated file.
pub fn has_crypto_extension(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        ".pem",
        ".crt",
        ".cer",
        ".der",
        ".key",
        ".p12",
        ".pfx",
        ".p7b",
        ".p7c",
        ".csr",
        ".crl",
        ".jks",
        ".keystore",
        ".truststore",
    ]
    .iter()
    .any(|e| lower.ends_with(e))
        || is_hash_link_name(&lower)
}

/// `0a1b2c3d.0` / `0a1b2c3d.r1`, OpenSSL CApath names.
pub fn is_hash_link_name(name: &str) -> bool {
    let Some((stem, ext)) = name.split_once('.') else {
        return false;
    };
    stem.len() == 8
        && stem.bytes().all(|b| b.is_ascii_hexdigit())
        && (ext.bytes().all(|b| b.is_ascii_digit())
            || ext
                .strip_prefix('r')
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())))
        && !ext.is_empty()
}

/// Decode a whole file. `name` is only used to decide whether "nothing found" is an error.
pub fn decode_file(data: &[u8], name: &str, opts: &DecodeOptions) -> Vec<Item> {
    let mut items = if pem::looks_like_pem(data) {
        decode_pem(data, opts)
    } else {
        decode_binary(data, opts)
    };
    if items.is_empty() {
        let mut it = Item::new(ItemKind::Unknown, "");
        if has_crypto_extension(name) {
            it.error = Some(if data.is_empty() {
                "empty file".into()
            } else {
                "no certificate, key, CSR, CRL or keystore found (not PEM or DER)".into()
            });
        }
        items.push(it);
    }
    for (i, it) in items.iter_mut().enumerate() {
        it.index = i;
    }
    items
}

fn decode_pem(data: &[u8], opts: &DecodeOptions) -> Vec<Item> {
    let mut items = Vec::new();
    for block in pem::parse_blocks(data) {
        let label = block.label.clone();
        let der = match &block.body {
            Ok(d) => d,
            Err(e) => {
                items.push(Item::error(kind_for_label(&label), label, e.clone()));
                continue;
            }
        };
        match label.as_str() {
            "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => {
                items.push(certificate(der, &label, opts))
            }
            "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => items.push(csr(der, &label)),
            "X509 CRL" => items.push(crl(der, &label)),
            "PKCS7" | "CMS" => items.extend(pkcs7(der, &label, opts)),
            "PRIVATE KEY" => items.push(plain_key(der, KeyFormat::Pkcs8, &label)),
            "RSA PRIVATE KEY" | "EC PRIVATE KEY" => items.push(legacy_pem_key(&block, der, opts)),
            "ENCRYPTED PRIVATE KEY" => items.push(encrypted_pkcs8(der, &label, opts)),
            "DH PARAMETERS" | "X9.42 DH PARAMETERS" => items.push(dh_params(der, &label)),
            // Written by `openssl ecparam -genkey` before the key: not an item of its own.
            "EC PARAMETERS" => {}
            "PKCS12" => items.extend(pkcs12(der, &label, opts)),
            other => {
                let mut it = Item::new(ItemKind::Unknown, other);
                if other.contains("PRIVATE KEY") {
                    it.kind = ItemKind::PrivateKey;
                    it.error = Some(format!("unsupported private key type {other}"));
                }
                items.push(it);
            }
        }
    }
    items
}

fn kind_for_label(label: &str) -> ItemKind {
    match label {
        l if l.contains("CERTIFICATE REQUEST") => ItemKind::Csr,
        l if l.contains("CERTIFICATE") => ItemKind::Certificate,
        l if l.contains("CRL") => ItemKind::Crl,
        l if l.contains("PRIVATE KEY") => ItemKind::PrivateKey,
        l if l.contains("DH PARAMETERS") => ItemKind::DhParams,
        "PKCS7" | "CMS" => ItemKind::Certificate,
        _ => ItemKind::Unknown,
    }
}

/// Try every DER structure we know, most common first.
fn decode_binary(data: &[u8], opts: &DecodeOptions) -> Vec<Item> {
    if super::jks::is_keystore(data) {
        return jks(data, opts);
    }
    if data.first() != Some(&0x30) {
        return vec![];
    }
    let (outer, _) = match read_tlv(data) {
        Ok(t) => t,
        Err(e) => {
            return vec![Item::error(
                ItemKind::Unknown,
                "DER",
                format!("truncated or malformed DER: {e}"),
            )]
        }
    };
    let parts = children(outer.content).unwrap_or_default();
    // Certificate: SEQUENCE { tbs SEQUENCE, alg SEQUENCE, BIT STRING }; a CRL has the same
    // shape, so decide by parsing.
    if let [a, b, c] = parts.as_slice() {
        if a.tag == 0x30 && b.tag == 0x30 && c.tag == 0x03 {
            if x509_parser::prelude::X509Certificate::from_der(data).is_ok() {
                return vec![certificate(data, "DER", opts)];
            }
            if x509_parser::revocation_list::CertificateRevocationList::from_der(data).is_ok() {
                return vec![crl(data, "DER")];
            }
            if x509_parser::certification_request::X509CertificationRequest::from_der(data).is_ok()
            {
                return vec![csr(data, "DER")];
            }
            return vec![certificate(data, "DER", opts)];
        }
    }
    match parts.as_slice() {
        // PFX: version 3, ContentInfo, MacData
        [v, ci, ..] if v.tag == 0x02 && v.content == [3] && ci.tag == 0x30 => {
            return pkcs12(data, "DER", opts)
        }
        // ContentInfo { OID, [0] content }
        [oid, c] if oid.tag == 0x06 && c.tag == 0xa0 => return pkcs7(data, "DER", opts),
        // EncryptedPrivateKeyInfo { AlgorithmIdentifier, OCTET STRING }
        [alg, enc] if alg.tag == 0x30 && enc.tag == 0x04 => {
            return vec![encrypted_pkcs8(data, "DER", opts)]
        }
        // DHParameter { p, g [, privateValueLength] }
        [p, g] | [p, g, _] if p.tag == 0x02 && g.tag == 0x02 && p.content.len() > 32 => {
            return vec![dh_params(data, "DER")]
        }
        _ => {}
    }
    if let Some(fmt) = key::sniff_format(data) {
        return vec![plain_key(data, fmt, "DER")];
    }
    vec![Item::error(
        ItemKind::Unknown,
        "DER",
        "DER structure not recognised (not a certificate, key, CSR, CRL, PKCS#7 or PKCS#12)",
    )]
}

pub fn certificate(der: &[u8], source: &str, opts: &DecodeOptions) -> Item {
    match cert::summarize(der, opts.now, opts.warn_days) {
        Ok(info) => {
            let mut it = Item::new(ItemKind::Certificate, source);
            // The certificate alone (a TRUSTED CERTIFICATE's aux data after it is not kept),
            // one copy shared with the summary.
            it.der = Some(info.der().clone());
            it.detail = Detail::Certificate(Box::new(info));
            it
        }
        Err(e) => Item::error(ItemKind::Certificate, source, e),
    }
}

fn csr(der: &[u8], source: &str) -> Item {
    use x509_parser::certification_request::X509CertificationRequest;
    let parsed = match X509CertificationRequest::from_der(der) {
        Ok((_, c)) => c,
        Err(e) => return Item::error(ItemKind::Csr, source, format!("not a valid CSR: {e}")),
    };
    let info = &parsed.certification_request_info;
    let (key_algorithm, key_bits, spki_bits) =
        key::spki_summary(info.subject_pki.raw).unwrap_or(("unknown", None, &[]));
    let mut sans = Vec::new();
    if let Some(exts) = parsed.requested_extensions() {
        for ext in exts {
            if let x509_parser::extensions::ParsedExtension::SubjectAlternativeName(san) = ext {
                sans.extend(san.general_names.iter().map(cert::general_name));
            }
        }
    }
    let mut it = Item::new(ItemKind::Csr, source);
    it.der = Some(Arc::from(der));
    it.detail = Detail::Csr(Box::new(CsrInfo {
        subject: cert::rfc4514(&info.subject),
        common_name: cert::common_name(&info.subject),
        sans,
        key_algorithm: key_algorithm.into(),
        key_bits,
        signature_algorithm: cert::signature_name(&parsed.signature_algorithm.algorithm)
            .into_owned(),
        signature_valid: parsed.verify_signature().is_ok(),
        sha256: hex::encode(Sha256::digest(der)),
        spki_bits: spki_bits.to_vec(),
    }));
    it
}

fn crl(der: &[u8], source: &str) -> Item {
    use x509_parser::revocation_list::CertificateRevocationList;
    let (_, parsed) = match CertificateRevocationList::from_der(der) {
        Ok(c) => c,
        Err(e) => return Item::error(ItemKind::Crl, source, format!("not a valid CRL: {e}")),
    };
    let next = parsed.next_update().map(|t| t.to_datetime());
    let mut it = Item::new(ItemKind::Crl, source);
    it.der = Some(Arc::from(der));
    it.detail = Detail::Crl(Box::new(CrlInfo {
        issuer: cert::rfc4514(parsed.issuer()),
        issuer_hash: super::subject_hash::subject_hash_hex(parsed.issuer().as_raw())
            .unwrap_or_default(),
        this_update: cert::rfc3339(parsed.last_update().to_datetime()),
        next_update: next.map(cert::rfc3339),
        next_update_unix: next.map(|t| t.unix_timestamp()),
        crl_number: parsed.crl_number().map(|n| n.to_str_radix(16)),
        revoked: parsed
            .iter_revoked_certificates()
            .map(|r| cert::serial_hex(r.raw_serial()))
            .collect(),
        entries: super::revocation::entries(&parsed)
            .into_iter()
            .map(|(_, e)| e)
            .collect(),
        this_update_unix: parsed.last_update().timestamp(),
        verified_by: None,
        signature_algorithm: cert::signature_name(&parsed.signature_algorithm.algorithm)
            .into_owned(),
        signature: "not checked".into(),
        sha256: hex::encode(Sha256::digest(der)),
        issuer_raw: parsed.issuer().as_raw().to_vec(),
    }));
    it
}

/// PKCS#7 / CMS SignedData "certs-only" bundles (`.p7b`): one item per certificate (and CRL).
fn pkcs7(der: &[u8], source: &str, opts: &DecodeOptions) -> Vec<Item> {
    const SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
    let walk = || -> Result<Vec<Item>, String> {
        let (ci, _) = read_tlv(der)?;
        let parts = children(ci.content)?;
        let [oid, explicit] = parts.as_slice() else {
            return Err("malformed ContentInfo".into());
        };
        if oid.content != SIGNED_DATA {
            return Err("PKCS#7 content is not SignedData".into());
        }
        let (sd, _) = read_tlv(explicit.content)?;
        let mut out = Vec::new();
        for field in children(sd.content)? {
            match field.tag {
                0xa0 => {
                    for c in children(field.content)? {
                        out.push(certificate(c.raw, "PKCS7", opts));
                    }
                }
                0xa1 => {
                    for c in children(field.content)? {
                        out.push(crl(c.raw, "PKCS7"));
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    };
    let _ = source;
    match walk() {
        Ok(v) if !v.is_empty() => v,
        Ok(_) => vec![Item::error(
            ItemKind::Certificate,
            "PKCS7",
            "PKCS#7 bundle holds no certificates",
        )],
        Err(e) => vec![Item::error(
            ItemKind::Certificate,
            "PKCS7",
            format!("malformed PKCS#7: {e}"),
        )],
    }
}

fn plain_key(der: &[u8], fmt: KeyFormat, source: &str) -> Item {
    match key::summarize(der, fmt) {
        Ok(info) => {
            let mut it = Item::new(ItemKind::PrivateKey, source);
            it.detail = Detail::PrivateKey(Box::new(info));
            it
        }
        Err(e) => Item::error(
            ItemKind::PrivateKey,
            source,
            format!("malformed private key: {e}"),
        ),
    }
}

/// A key we could not open: shown as locked, not as an error.
fn locked_key(source: &str, format: &str, algorithm: &str, note: Option<String>) -> Item {
    let mut it = Item::new(ItemKind::PrivateKey, source);
    it.detail = Detail::PrivateKey(Box::new(KeyInfo {
        key_algorithm: algorithm.into(),
        encrypted: true,
        format: format.into(),
        ..Default::default()
    }));
    it.error = note;
    it
}

fn legacy_pem_key(block: &PemBlock, der: &[u8], opts: &DecodeOptions) -> Item {
    let label = block.label.as_str();
    let fmt = if label.starts_with("RSA") {
        KeyFormat::Pkcs1
    } else {
        KeyFormat::Sec1
    };
    let encrypted = block
        .header("Proc-Type")
        .is_some_and(|v| v.contains("ENCRYPTED"));
    if !encrypted {
        return plain_key(der, fmt, label);
    }
    let alg = if fmt == KeyFormat::Pkcs1 { "RSA" } else { "EC" };
    let Some(dek) = block.header("DEK-Info") else {
        return locked_key(
            label,
            "legacy-encrypted-pem",
            alg,
            Some("encrypted PEM key without DEK-Info header".into()),
        );
    };
    try_passphrases(
        opts,
        label,
        "legacy-encrypted-pem",
        alg,
        |pass| keycrypt::decrypt_legacy_pem(dek, der, pass),
        fmt,
    )
}

fn encrypted_pkcs8(der: &[u8], source: &str, opts: &DecodeOptions) -> Item {
    try_passphrases(
        opts,
        source,
        "encrypted-pkcs8",
        "locked",
        |pass| keycrypt::decrypt_pkcs8(der, pass),
        KeyFormat::Pkcs8,
    )
}

fn try_passphrases(
    opts: &DecodeOptions,
    source: &str,
    format: &str,
    alg: &str,
    decrypt: impl Fn(&[u8]) -> Result<Zeroizing<Vec<u8>>, keycrypt::KeyCryptError>,
    fmt: KeyFormat,
) -> Item {
    if opts.passphrases.is_empty() {
        return locked_key(source, format, alg, None);
    }
    let mut last_err = None;
    for pass in &opts.passphrases {
        match decrypt(pass.as_bytes()) {
            Ok(plain) => {
                let mut it = plain_key(&plain, fmt, source);
                if let Detail::PrivateKey(k) = &mut it.detail {
                    k.encrypted = true;
                    k.format = format.into();
                }
                return it;
            }
            Err(e) => last_err = Some(e),
        }
    }
    let msg = match last_err {
        Some(keycrypt::KeyCryptError::WrongPassphrase) => "locked: wrong passphrase".to_string(),
        Some(e) => format!("cannot open encrypted key: {e}"),
        None => "locked".into(),
    };
    locked_key(source, format, alg, Some(msg))
}

fn dh_params(der: &[u8], source: &str) -> Item {
    match dh::summarize(der) {
        Ok(info) => {
            let mut it = Item::new(ItemKind::DhParams, source);
            it.detail = Detail::DhParams(Box::new(info));
            it
        }
        Err(e) => Item::error(ItemKind::DhParams, source, e),
    }
}

/// JKS / JCEKS: a keystore item, plus one item per certificate (stored in the clear) and per
/// private key, opened when a passphrase is its password and listed locked otherwise.
fn jks(data: &[u8], opts: &DecodeOptions) -> Vec<Item> {
    use super::jks::{EntryKind, Integrity};
    let label = if data.starts_with(&[0xce, 0xce]) {
        "JCEKS"
    } else {
        "JKS"
    };
    let mut ks_item = Item::new(ItemKind::Keystore, label);
    let mut info = KeystoreInfo {
        format: label.to_ascii_lowercase(),
        locked: false,
        entries: vec![],
    };
    let ks = match super::jks::parse(data, &opts.passphrases) {
        Ok(ks) => ks,
        Err(e) => {
            ks_item.error = Some(format!("malformed {label}: {e}"));
            info.locked = true;
            ks_item.detail = Detail::Keystore(Box::new(info));
            return vec![ks_item];
        }
    };
    let mut notes = Vec::new();
    if ks.integrity == Integrity::WrongPassword {
        notes.push("integrity check failed: wrong passphrase, or the file was altered".into());
    }
    notes.extend(ks.incomplete);
    let mut items = vec![];
    for entry in ks.entries {
        let alias = entry.alias;
        let (entry_type, certificates) = match entry.kind {
            EntryKind::PrivateKey { protected, chain } => {
                let opened = opts
                    .passphrases
                    .iter()
                    .find_map(|p| super::jks::open_key(&protected, p));
                let mut k = match opened {
                    Some(pkcs8) => plain_key(&pkcs8, KeyFormat::Pkcs8, label),
                    None => {
                        info.locked = true;
                        let why = if !super::jks::can_open(&protected) {
                            "locked: this key protection (JCEKS) is not read by certdeck; \
                             convert with keytool -importkeystore -deststoretype pkcs12"
                        } else if opts.passphrases.is_empty() {
                            "locked: give the key's password with --passphrase-file"
                        } else {
                            "locked: no passphrase given opens this key"
                        };
                        locked_key(label, "jks", "unknown", Some(why.into()))
                    }
                };
                k.alias = Some(alias.clone());
                items.push(k);
                for der in &chain {
                    let mut it = certificate(der, label, opts);
                    it.alias = Some(alias.clone());
                    items.push(it);
                }
                ("private_key_entry", chain.len())
            }
            EntryKind::TrustedCert(der) => {
                let mut it = certificate(&der, label, opts);
                it.alias = Some(alias.clone());
                items.push(it);
                ("trusted_cert_entry", 1)
            }
            EntryKind::SecretKey => ("secret_key_entry", 0),
        };
        info.entries.push(KeystoreEntry {
            alias,
            entry_type: entry_type.into(),
            certificates,
        });
    }
    if !notes.is_empty() {
        ks_item.error = Some(notes.join("; "));
    }
    ks_item.detail = Detail::Keystore(Box::new(info));
    let mut out = vec![ks_item];
    out.extend(items);
    out
}

/// PKCS#12: a keystore item, plus one item per entry certificate/key once opened.
fn pkcs12(der: &[u8], source: &str, opts: &DecodeOptions) -> Vec<Item> {
    use p12_keystore::KeyStoreEntry;
    let _ = source;
    let mut ks_item = Item::new(ItemKind::Keystore, "PKCS12");
    let mut info = KeystoreInfo {
        format: "pkcs12".into(),
        locked: true,
        entries: vec![],
    };
    // p12::open tries the empty password (both encodings) after the given ones, as openssl does.
    let ks = match super::p12::open(der, &opts.passphrases) {
        Ok(o) => o.ks,
        Err(e) => {
            use super::p12::P12Error;
            ks_item.error = match e {
                // Without a passphrase a locked keystore is no error: it only needs one.
                P12Error::WrongPassword { .. } if opts.passphrases.is_empty() => None,
                P12Error::WrongPassword { mac: true } => {
                    Some("locked: wrong passphrase (MAC check failed)".into())
                }
                P12Error::WrongPassword { mac: false } => {
                    Some("locked: wrong passphrase (no MAC; the contents do not decrypt)".into())
                }
                P12Error::Unsupported(m) => Some(format!("unsupported PKCS#12 algorithm: {m}")),
                P12Error::Malformed(m) => Some(if opts.passphrases.is_empty() {
                    format!("malformed PKCS#12: {m}")
                } else {
                    format!("cannot open PKCS#12: {m}")
                }),
            };
            ks_item.detail = Detail::Keystore(Box::new(info));
            return vec![ks_item];
        }
    };
    info.locked = false;
    let mut items = vec![];
    for (alias, entry) in ks.entries() {
        match entry {
            KeyStoreEntry::PrivateKeyChain(chain) => {
                info.entries.push(KeystoreEntry {
                    alias: alias.clone(),
                    entry_type: "private_key_entry".into(),
                    certificates: chain.certs().len(),
                });
                let mut k = plain_key(chain.key().as_der(), KeyFormat::Pkcs8, "PKCS12");
                k.alias = Some(alias.clone());
                items.push(k);
                for c in chain.certs() {
                    let mut it = certificate(c.as_der(), "PKCS12", opts);
                    it.alias = Some(alias.clone());
                    items.push(it);
                }
            }
            KeyStoreEntry::Certificate(c) => {
                info.entries.push(KeystoreEntry {
                    alias: alias.clone(),
                    entry_type: "trusted_cert_entry".into(),
                    certificates: 1,
                });
                let mut it = certificate(c.as_der(), "PKCS12", opts);
                it.alias = Some(alias.clone());
                items.push(it);
            }
            KeyStoreEntry::Secret(_) => info.entries.push(KeystoreEntry {
                alias: alias.clone(),
                entry_type: "secret_key_entry".into(),
                certificates: 0,
            }),
        }
    }
    ks_item.detail = Detail::Keystore(Box::new(info));
    let mut out = vec![ks_item];
    out.extend(items);
    out
}
