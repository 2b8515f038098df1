//! Opening PKCS#12 keystores the way Java's `keytool` sees them.
//!
//! `p12-keystore` builds the entries: key bags linked to their certificate chain by localKeyId
//! (`PrivateKeyEntry`), and certificate bags carrying Oracle's trusted-key-usage attribute
//! (2.16.840.1.113894.746875.1.1) as trusted certificates (`trustedCertEntry`). It only counts a
//! bag as trusted when the attribute's (first) value is anyExtendedKeyUsage, but Java writes the
//! certificate's own extendedKeyUsage OIDs there when it has that extension (e.g. a server
//! certificate imported into `cacerts`). Such a bag would silently disappear; here every
//! certificate bag that is neither part of a key's chain nor already an entry, has no localKeyId
//! and has a friendly name (Java always writes the alias as friendly name) is listed as a trusted
//! entry as well. Bags that still fit nowhere are counted in `unrepresented`, so a writer can
//! refuse to rewrite a file it would lose data from.
//!
//! Before that, [`super::p12_read`] verifies the MAC and decrypts everything the way openssl does
//! (empty password in both encodings, PBES2 with HMAC-SHA1, legacy PBE) and hands p12-keystore a
//! plain PFX, so an algorithm p12-keystore lacks is never mistaken for a wrong password.

use p12_keystore::{KeyStore, KeyStoreEntry, Pkcs12Archive, Pkcs12ImportPolicy};
use zeroize::Zeroizing;

use super::p12_read::{self, ReadError};

/// An opened keystore and the password that opened it.
pub struct OpenedP12 {
    pub ks: KeyStore,
    pub password: Zeroizing<String>,
    /// Key, certificate or secret bags that are not part of any entry (a rewrite would drop them).
    pub unrepresented: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum P12Error {
    /// No candidate password opened it; `mac`: a MAC check said so (else decryption failed).
    WrongPassword {
        mac: bool,
    },
    /// An algorithm certdeck does not implement; the text names it.
    Unsupported(String),
    Malformed(String),
}

impl std::fmt::Display for P12Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            P12Error::WrongPassword { mac: true } => {
                f.write_str("wrong password (MAC check failed)")
            }
            P12Error::WrongPassword { mac: false } => {
                f.write_str("wrong password (no MAC; the contents do not decrypt)")
            }
            P12Error::Unsupported(s) => write!(f, "unsupported PKCS#12 algorithm: {s}"),
            P12Error::Malformed(e) => write!(f, "malformed PKCS#12: {e}"),
        }
    }
}

/// Try each password in order, then the empty one (as an empty BMPString and as no password).
pub fn open(der: &[u8], passwords: &[Zeroizing<String>]) -> Result<OpenedP12, P12Error> {
    let plain = p12_read::read(der, passwords).map_err(|e| match e {
        ReadError::WrongPassword { mac } => P12Error::WrongPassword { mac },
        ReadError::Unsupported(s) => P12Error::Unsupported(s),
        ReadError::Malformed(s) => P12Error::Malformed(s),
    })?;
    open_plain(&plain.pfx, &plain.password, plain.secret_bags).map_err(P12Error::Malformed)
}

/// Build the entries of a plain (decrypted, MAC-less) PFX; `pass` still decrypts secret bags.
fn open_plain(der: &[u8], pass: &str, secret_bags: usize) -> Result<OpenedP12, String> {
    let mut ks =
        KeyStore::from_pkcs12(der, pass, Pkcs12ImportPolicy::Relaxed).map_err(|e| e.to_string())?;
    let archive = Pkcs12Archive::from_pkcs12(der, pass).map_err(|e| e.to_string())?;
    let mut in_entries: Vec<Vec<u8>> = vec![];
    let mut key_entries = 0usize;
    let mut secret_entries = 0usize;
    for (_, e) in ks.entries() {
        match e {
            KeyStoreEntry::PrivateKeyChain(c) => {
                key_entries += 1;
                in_entries.extend(c.certs().iter().map(|c| c.as_der().to_vec()));
            }
            KeyStoreEntry::Certificate(c) => in_entries.push(c.as_der().to_vec()),
            KeyStoreEntry::Secret(_) => secret_entries += 1,
        }
    }
    let mut unrepresented =
        archive.keys.len().saturating_sub(key_entries) + secret_bags.saturating_sub(secret_entries);
    for bag in archive.certs {
        if in_entries.iter().any(|d| d == bag.cert.as_der()) {
            continue;
        }
        match (&bag.friendly_name, &bag.local_key_id) {
            (Some(name), None) if ks.entry(name).is_none() => {
                in_entries.push(bag.cert.as_der().to_vec());
                ks.add_entry(name, KeyStoreEntry::Certificate(bag.cert));
            }
            _ => unrepresented += 1,
        }
    }
    Ok(OpenedP12 {
        ks,
        password: Zeroizing::new(pass.to_string()),
        unrepresented,
    })
}

/// keytool's name for an entry type (as `list --json` spells it).
pub fn entry_type(e: &KeyStoreEntry) -> &'static str {
    match e {
        KeyStoreEntry::PrivateKeyChain(_) => "private_key_entry",
        KeyStoreEntry::Certificate(_) => "trusted_cert_entry",
        KeyStoreEntry::Secret(_) => "secret_key_entry",
    }
}

/// The entry under `alias`, compared case-insensitively as Java does for PKCS#12 aliases.
pub fn find_alias<'a>(ks: &'a KeyStore, alias: &str) -> Option<(&'a String, &'a KeyStoreEntry)> {
    ks.entries().find(|(a, _)| a.eq_ignore_ascii_case(alias))
}
