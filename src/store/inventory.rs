//! The inventory: every item of a store plus the cross-item facts (key pairing, chains, status).

use crate::pki::Item;
use std::path::PathBuf;

/// Options that change what the analysis concludes.
#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    /// Days before expiry at which a certificate becomes `expiring`.
    pub warn_days: i64,
    /// Also use the system trust store (`/etc/ssl/certs`) as chain anchors/intermediates.
    pub system_trust: bool,
    /// "Now" in Unix seconds (tests pin it).
    pub now: i64,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            warn_days: 30,
            system_trust: false,
            now: time::OffsetDateTime::now_utc().unix_timestamp(),
        }
    }
}

/// Everything found in a store, in path order, with cross-item analysis applied.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    /// Absolute path of the store directory.
    pub store: PathBuf,
    pub items: Vec<Item>,
}

impl Inventory {
    /// Cross-item analysis: key pairing, chains (with signatures verified), CRL signatures.
    /// Runs after every scan; deterministic for a given `now`.
    pub fn analyze(&mut self, opts: &AnalyzeOptions) {
        use crate::pki::chain::{ChainIndex, Node, SigCheck};
        use crate::pki::Detail;
        use rayon::prelude::*;
        use std::collections::HashMap;

        self.items
            .sort_by(|a, b| a.path.cmp(&b.path).then(a.index.cmp(&b.index)));

        // Key pairing by raw public key bits.
        let mut certs_by_key: HashMap<&[u8], Vec<(String, String)>> = HashMap::new();
        for it in &self.items {
            if let Some(c) = it.cert() {
                if !c.spki_bits.is_empty() {
                    certs_by_key
                        .entry(c.spki_bits.as_slice())
                        .or_default()
                        .push((c.sha256.clone(), it.path.clone()));
                }
            }
        }
        let mut keys_by_cert: HashMap<String, Vec<String>> = HashMap::new();
        let mut pairs: Vec<Vec<String>> = Vec::with_capacity(self.items.len());
        for it in &self.items {
            let mut p = vec![];
            if let Some(bits) = it.key().and_then(|k| k.public_bits.as_deref()) {
                if let Some(certs) = certs_by_key.get(bits) {
                    for (sha, _) in certs {
                        if !p.contains(sha) {
                            p.push(sha.clone());
                        }
                        let label = match &it.alias {
                            Some(a) => format!("{} [{a}]", it.path),
                            None => it.path.clone(),
                        };
                        let e = keys_by_cert.entry(sha.clone()).or_default();
                        if !e.contains(&label) {
                            e.push(label);
                        }
                    }
                }
            }
            pairs.push(p);
        }
        drop(certs_by_key);
        for (it, p) in self.items.iter_mut().zip(pairs) {
            if let Detail::PrivateKey(k) = &mut it.detail {
                k.pairs_with = p;
            }
        }

        // Chains. System trust certificates take part as anchors/intermediates when asked.
        let system = if opts.system_trust {
            load_system_trust(opts)
        } else {
            vec![]
        };
        let results: Vec<(usize, crate::pki::chain::ChainResult)> = {
            let mut nodes = vec![];
            let mut owners = vec![];
            for (i, it) in self.items.iter().enumerate() {
                if let (Some(c), Some(der)) = (it.cert(), it.der.as_ref()) {
                    nodes.push(Node {
                        info: c,
                        der: der.as_slice(),
                        path: it.path.as_str(),
                    });
                    owners.push(i);
                }
            }
            for it in &system {
                if let (Some(c), Some(der)) = (it.cert(), it.der.as_ref()) {
                    nodes.push(Node {
                        info: c,
                        der: der.as_slice(),
                        path: it.path.as_str(),
                    });
                }
            }
            let index = ChainIndex::new(nodes);
            owners
                .par_iter()
                .enumerate()
                .map(|(node, &item)| (item, index.build(node)))
                .collect()
        };
        for (i, r) in results {
            let keys = self.items[i]
                .cert()
                .and_then(|c| keys_by_cert.get(&c.sha256).cloned())
                .unwrap_or_default();
            if let Some(c) = self.items[i].cert_mut() {
                c.chain = r.status;
                c.chain_detail = r.detail;
                c.chain_path = r.path;
                c.paired_keys = keys;
            }
        }

        // CRL signatures against an issuer in the store.
        let issuers: Vec<(Vec<u8>, std::sync::Arc<Vec<u8>>)> = self
            .items
            .iter()
            .filter_map(|it| Some((it.cert()?.subject_raw.clone(), it.der.clone()?)))
            .collect();
        for it in &mut self.items {
            let Detail::Crl(crl) = &mut it.detail else {
                continue;
            };
            let Some(crl_der) = it.der.as_ref() else {
                continue;
            };
            let mut verdict = "issuer not in store".to_string();
            for (subj, der) in issuers.iter().filter(|(s, _)| *s == crl.issuer_raw) {
                let _ = subj;
                match verify_crl(crl_der, der) {
                    SigCheck::Verified => {
                        verdict = "verified".into();
                        break;
                    }
                    SigCheck::NotChecked(w) => verdict = format!("not checked: {w}"),
                    SigCheck::Bad(w) => verdict = format!("bad signature: {w}"),
                }
            }
            crl.signature = verdict;
        }
    }

    pub fn certificates(&self) -> impl Iterator<Item = &crate::pki::Item> {
        self.items.iter().filter(|i| i.cert().is_some())
    }
}

fn verify_crl(crl_der: &[u8], issuer_der: &[u8]) -> crate::pki::chain::SigCheck {
    use crate::pki::chain::SigCheck;
    use x509_parser::prelude::{FromDer, X509Certificate};
    use x509_parser::revocation_list::CertificateRevocationList;
    let (Ok((_, crl)), Ok((_, iss))) = (
        CertificateRevocationList::from_der(crl_der),
        X509Certificate::from_der(issuer_der),
    ) else {
        return SigCheck::Bad("does not parse".into());
    };
    match crl.verify_signature(iss.public_key()) {
        Ok(()) => SigCheck::Verified,
        Err(x509_parser::error::X509Error::SignatureUnsupportedAlgorithm) => {
            SigCheck::NotChecked("unsupported algorithm".into())
        }
        Err(e) => SigCheck::Bad(e.to_string()),
    }
}

/// Where the system trust store lives (Debian/Ubuntu, then RHEL-style bundle).
pub const SYSTEM_TRUST_DIR: &str = "/etc/ssl/certs";

fn load_system_trust(opts: &AnalyzeOptions) -> Vec<crate::pki::Item> {
    let decode = crate::pki::decode::DecodeOptions {
        now: opts.now,
        warn_days: opts.warn_days,
        passphrases: vec![],
    };
    let mut out = vec![];
    let bundle = std::path::Path::new(SYSTEM_TRUST_DIR).join("ca-certificates.crt");
    if let Ok(data) = std::fs::read(&bundle) {
        for mut it in crate::pki::decode::decode_file(&data, "ca-certificates.crt", &decode) {
            it.path = format!("system:{}", bundle.display());
            out.push(it);
        }
    }
    out
}
