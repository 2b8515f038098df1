//! Reading private keys: PEM (PKCS#8, PKCS#1, SEC1, encrypted PKCS#8, legacy encrypted PEM) or
//! DER, decrypted with the first passphrase that opens them, remembering how each was protected
//! so a write can keep it that way (`actions::keyout`).

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use rcgen::KeyPair;
use zeroize::Zeroizing;

use crate::pki::issue::{self, KeyFormat as F};
use crate::pki::{keycrypt, pem};

/// How a key was protected where it was read.
pub enum Protection {
    Plain,
    /// An `ENCRYPTED PRIVATE KEY` (PKCS#8): its DER, written back unchanged.
    Pkcs8 {
        der: Vec<u8>,
    },
    /// A legacy OpenSSL PEM key (`Proc-Type: 4,ENCRYPTED`): written back as it was.
    LegacyPem {
        label: String,
        dek_info: String,
        body: Vec<u8>,
    },
    /// A PKCS#12 password opened it: re-encrypted as PKCS#8 with it.
    Passphrase(Zeroizing<String>),
}

impl Protection {
    pub fn is_encrypted(&self) -> bool {
        !matches!(self, Protection::Plain)
    }
}

pub struct LoadedKey {
    pub key: KeyPair,
    pub protection: Protection,
}

/// The first private key in `data` (PEM blocks or DER), and how it was protected.
pub fn load(data: &[u8], passphrases: &[Zeroizing<String>]) -> Result<LoadedKey> {
    let plain = |key| LoadedKey {
        key,
        protection: Protection::Plain,
    };
    if !pem::looks_like_pem(data) {
        return issue::key_from_der(data, None).map(plain);
    }
    for block in pem::parse_blocks(data) {
        let Ok(body) = &block.body else { continue };
        let body = Zeroizing::new(body.clone());
        let fmt = match block.label.as_str() {
            "PRIVATE KEY" => F::Pkcs8,
            "RSA PRIVATE KEY" => F::Pkcs1,
            "EC PRIVATE KEY" => F::Sec1,
            "ENCRYPTED PRIVATE KEY" => {
                let (der, _) = try_decrypt(passphrases, |p| keycrypt::decrypt_pkcs8(&body, p))?;
                return Ok(LoadedKey {
                    key: issue::key_from_der(&der, Some(F::Pkcs8))?,
                    protection: Protection::Pkcs8 { der: body.to_vec() },
                });
            }
            _ => continue,
        };
        if block
            .header("Proc-Type")
            .is_some_and(|v| v.contains("ENCRYPTED"))
        {
            let dek = block.header("DEK-Info").unwrap_or_default().to_string();
            let (der, _) = try_decrypt(passphrases, |p| {
                keycrypt::decrypt_legacy_pem(&dek, &body, p)
            })?;
            return Ok(LoadedKey {
                key: issue::key_from_der(&der, Some(fmt))?,
                protection: Protection::LegacyPem {
                    label: block.label.clone(),
                    dek_info: dek,
                    body: body.to_vec(),
                },
            });
        }
        return issue::key_from_der(&body, Some(fmt)).map(plain);
    }
    bail!("no private key found")
}

/// The passphrase that opened the key, and its plaintext.
fn try_decrypt(
    passphrases: &[Zeroizing<String>],
    f: impl Fn(&[u8]) -> Result<Zeroizing<Vec<u8>>, keycrypt::KeyCryptError>,
) -> Result<(Zeroizing<Vec<u8>>, Zeroizing<String>)> {
    if passphrases.is_empty() {
        bail!("the key is encrypted: give its passphrase (--passphrase-file)");
    }
    let mut last = None;
    for p in passphrases {
        match f(p.as_bytes()) {
            Ok(v) => return Ok((v, p.clone())),
            Err(e) => last = Some(e),
        }
    }
    Err(anyhow!(
        "cannot decrypt key: {}",
        last.map(|e| e.to_string()).unwrap_or_default()
    ))
}

pub fn encrypted_pem(key: &KeyPair, pass: &str) -> Result<Zeroizing<Vec<u8>>> {
    if pass.is_empty() {
        bail!("empty passphrase");
    }
    let der = Zeroizing::new(key.serialize_der());
    let enc = keycrypt::encrypt_pkcs8(&der, pass.as_bytes())
        .map_err(|e| anyhow!("cannot encrypt key: {e}"))?;
    Ok(Zeroizing::new(
        pem::encode("ENCRYPTED PRIVATE KEY", &enc).into_bytes(),
    ))
}

/// A legacy encrypted PEM block with its RFC 1421 headers, as OpenSSL writes it.
pub fn legacy_pem(label: &str, dek_info: &str, body: &[u8]) -> String {
    let plain = pem::encode(label, body);
    let (begin, rest) = plain.split_once('\n').unwrap_or((&plain, ""));
    format!("{begin}\nProc-Type: 4,ENCRYPTED\nDEK-Info: {dek_info}\n\n{rest}")
}

/// Read a private key file of the store (PEM or DER, decrypting with the passphrases).
pub fn load_private_key(
    store: &Path,
    rel: &str,
    passphrases: &[Zeroizing<String>],
) -> Result<KeyPair> {
    let data = Zeroizing::new(
        std::fs::read(store.join(rel)).with_context(|| format!("cannot read key {rel}"))?,
    );
    key_from_bytes(&data, passphrases).with_context(|| format!("key {rel}"))
}

/// The first private key in `data` (PEM blocks or DER).
pub fn key_from_bytes(data: &[u8], passphrases: &[Zeroizing<String>]) -> Result<KeyPair> {
    load(data, passphrases).map(|l| l.key)
}
