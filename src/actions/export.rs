//! export: a certificate as pem, der, fullchain, cert+key or PKCS#12 bytes.

use anyhow::{anyhow, Context, Result};
use zeroize::Zeroizing;

use super::{keyout, resolve_cert, slug, Ctx};
use crate::pki::keyload;
use crate::pki::pem;

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Pem,
    Der,
    Fullchain,
    CertKey,
    P12,
}

impl std::str::FromStr for ExportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "pem" => Ok(Self::Pem),
            "der" => Ok(Self::Der),
            "fullchain" => Ok(Self::Fullchain),
            "cert+key" => Ok(Self::CertKey),
            "p12" => Ok(Self::P12),
            _ => Err(format!(
                "unknown format '{s}' (pem, der, fullchain, cert+key, p12)"
            )),
        }
    }
}

impl ExportFormat {
    /// Does an export in this format hold the private key (mode 0600)?
    pub fn holds_key(self) -> bool {
        matches!(self, ExportFormat::CertKey | ExportFormat::P12)
    }
}

/// The bytes of an export, whether they hold a secret (file mode 0600), and what happened to
/// an encrypted key.
pub struct Exported {
    pub bytes: Zeroizing<Vec<u8>>,
    pub secret: bool,
    pub notes: keyout::Notes,
    /// The certificate's display name.
    pub name: String,
}

/// Export `sel`. An encrypted key stays encrypted in `cert+key` unless `keys.decrypt`.
pub fn export(
    ctx: &Ctx,
    sel: &str,
    format: ExportFormat,
    p12_password: Option<&Zeroizing<String>>,
    legacy_p12: bool,
    keys: &keyout::KeyPolicy,
) -> Result<Exported> {
    let mut notes = keyout::Notes::default();
    let (bytes, secret) =
        export_bytes(ctx, sel, format, p12_password, legacy_p12, keys, &mut notes)?;
    let name = resolve_cert(ctx.inv, sel)?.display_name();
    Ok(Exported {
        bytes,
        secret,
        notes,
        name,
    })
}

fn export_bytes(
    ctx: &Ctx,
    sel: &str,
    format: ExportFormat,
    p12_password: Option<&Zeroizing<String>>,
    legacy_p12: bool,
    keys: &keyout::KeyPolicy,
    notes: &mut keyout::Notes,
) -> Result<(Zeroizing<Vec<u8>>, bool)> {
    let item = resolve_cert(ctx.inv, sel)?;
    let cert = item
        .cert()
        .ok_or_else(|| anyhow!("{} is not a certificate", item.path))?;
    let der = item.der.as_ref().ok_or_else(|| anyhow!("no DER"))?;
    let chain_ders = || -> Vec<Vec<u8>> {
        cert.chain_issuers
            .iter()
            .filter(|l| !l.note.contains("self-signed root"))
            .filter_map(|l| {
                ctx.inv
                    .items
                    .iter()
                    .find(|it| it.cert().is_some_and(|c| c.sha256 == l.sha256))
                    .and_then(|it| it.der.as_ref().map(|d| d.to_vec()))
            })
            .collect()
    };
    let key = || -> Result<keyload::LoadedKey> {
        let kp = cert
            .paired_keys
            .iter()
            .find(|p| !p.contains(" ["))
            .ok_or_else(|| {
                anyhow!(
                    "the private key of {} is not in the store",
                    item.display_name()
                )
            })?;
        let data = Zeroizing::new(
            std::fs::read(ctx.inv.store.join(kp))
                .with_context(|| format!("cannot read key {kp}"))?,
        );
        keyload::load(&data, ctx.passphrases).with_context(|| format!("key {kp}"))
    };
    Ok(match format {
        ExportFormat::Pem => (
            Zeroizing::new(pem::encode("CERTIFICATE", der).into_bytes()),
            false,
        ),
        ExportFormat::Der => (Zeroizing::new(der.to_vec()), false),
        ExportFormat::Fullchain => {
            let mut s = pem::encode("CERTIFICATE", der);
            for c in chain_ders() {
                s.push_str(&pem::encode("CERTIFICATE", &c));
            }
            (Zeroizing::new(s.into_bytes()), false)
        }
        ExportFormat::CertKey => {
            let k = key()?;
            let kpem = keyout::key_pem(&k, keys, &item.display_name(), notes)?;
            let mut s = Zeroizing::new(pem::encode("CERTIFICATE", der).into_bytes());
            s.extend_from_slice(&kpem);
            (s, true)
        }
        ExportFormat::P12 => {
            use p12_keystore::{
                Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm,
                PrivateKey, PrivateKeyChain,
            };
            let pass = p12_password
                .ok_or_else(|| anyhow!("a PKCS#12 export needs a password (--passphrase-file)"))?;
            let k = key()?.key;
            let mut certs = vec![Certificate::from_der(der).map_err(|e| anyhow!("{e}"))?];
            for c in chain_ders() {
                certs.push(Certificate::from_der(&c).map_err(|e| anyhow!("{e}"))?);
            }
            let pk = PrivateKey::from_der(&k.serialize_der()).map_err(|e| anyhow!("{e}"))?;
            let local_id = cert.sha1.to_vec();
            let mut ks = KeyStore::new();
            let alias = slug(&item.display_name());
            ks.add_entry(
                &alias,
                KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(local_id, pk, certs)),
            );
            let mut w = ks.writer(pass);
            if legacy_p12 {
                w = w
                    .encryption_algorithm(EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc)
                    .mac_algorithm(MacAlgorithm::HmacSha1);
            }
            (Zeroizing::new(w.write().map_err(|e| anyhow!("{e}"))?), true)
        }
    })
}
