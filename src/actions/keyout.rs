//! Private keys as certdeck reads and writes them: an encrypted key stays encrypted when it is
//! imported or exported (in the same form, or re-encrypted with a new passphrase), and is
//! written in the clear only when the user says `--decrypt`, with a warning.

use anyhow::Result;
use zeroize::Zeroizing;

use crate::pki::issue;
use crate::pki::keyload::{encrypted_pem, legacy_pem, LoadedKey, Protection};
use crate::pki::pem;

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
