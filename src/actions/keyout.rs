//! Private keys as certdeck reads and writes them: an encrypted key stays encrypted when it is
//! imported or exported (in the same form, or re-encrypted with a new passphrase), and is
//! written in the clear only when the user says `--decrypt`, with a warning.

use anyhow::{anyhow, bail, Result};
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

/// What to do with an encrypted key being written.
#[derive(Default, Clone)]
pub struct KeyPolicy {
    /// Write it unencrypted (warned).
    pub decrypt: bool,
    /// Encrypt what is written with this passphrase instead of keeping the old protection.
    pub new_passphrase: Option<Zeroizing<String>>,
}

/// What writing keys did, for the plan and stderr.
#[derive(Default, Debug, Clone)]
pub struct Notes {
    /// Keys written in the clear that were encrypted ("writing the private key of X
    /// unencrypted").
    pub warnings: Vec<String>,
    /// How keys were kept encrypted.
    pub info: Vec<String>,
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

pub(crate) fn encrypted_pem(key: &KeyPair, pass: &str) -> Result<Zeroizing<Vec<u8>>> {
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

/// The PEM to write for `k` (the private key of `what`), following `policy`.
pub fn key_pem(
    k: &LoadedKey,
    policy: &KeyPolicy,
    what: &str,
    notes: &mut Notes,
) -> Result<Zeroizing<Vec<u8>>> {
    if policy.decrypt {
        if k.protection.is_encrypted() {
            notes
                .warnings
                .push(format!("writing the private key of {what} unencrypted"));
        }
        return Ok(Zeroizing::new(issue::key_to_pkcs8_pem(&k.key).into_bytes()));
    }
    if let Some(new) = &policy.new_passphrase {
        notes.info.push(format!(
            "the private key of {what} is written encrypted with the new passphrase"
        ));
        return encrypted_pem(&k.key, new);
    }
    match &k.protection {
        Protection::Plain => Ok(Zeroizing::new(issue::key_to_pkcs8_pem(&k.key).into_bytes())),
        Protection::Pkcs8 { der } => {
            notes.info.push(format!(
                "the private key of {what} stays encrypted (as it was)"
            ));
            Ok(Zeroizing::new(
                pem::encode("ENCRYPTED PRIVATE KEY", der).into_bytes(),
            ))
        }
        Protection::LegacyPem {
            label,
            dek_info,
            body,
        } => {
            notes.info.push(format!(
                "the private key of {what} stays encrypted (as it was)"
            ));
            Ok(Zeroizing::new(
                legacy_pem(label, dek_info, body).into_bytes(),
            ))
        }
        Protection::Passphrase(p) => {
            notes.info.push(format!(
                "the private key of {what} stays encrypted (encrypted PKCS#8, same passphrase)"
            ));
            encrypted_pem(&k.key, p)
        }
    }
}

/// A legacy encrypted PEM block with its RFC 1421 headers, as OpenSSL writes it.
fn legacy_pem(label: &str, dek_info: &str, body: &[u8]) -> String {
    let plain = pem::encode(label, body);
    let (begin, rest) = plain.split_once('\n').unwrap_or((&plain, ""));
    format!("{begin}\nProc-Type: 4,ENCRYPTED\nDEK-Info: {dek_info}\n\n{rest}")
}
