//! The inventory: every item of a store plus the cross-item facts (key pairing, chains, status).

use crate::pki::chain::{ChainIndex, ChainResult, Node};
use crate::pki::Item;
use std::path::{Path, PathBuf};

/// Options that change what the analysis concludes.
#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    /// Days before expiry at which a certificate becomes `expiring`.
    pub warn_days: i64,
    /// Also use the system trust store (`/etc/ssl/certs`) as chain anchors/intermediates.
    pub system_trust: bool,
    /// "Now" in Unix seconds (tests pin it).
    pub now: i64,
    /// Check every signature of every chain (the default). Off, chains are built by names and
    /// key identifiers only and end as `unverified`: `list --no-verify`, and the TUI's first
    /// pass (it verifies in the background afterwards).
    pub verify_signatures: bool,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            warn_days: 30,
            system_trust: false,
            now: time::OffsetDateTime::now_utc().unix_timestamp(),
            verify_signatures: true,
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
        use rayon::prelude::*;
        // Unstable: (path, index) is unique, and a stable sort would allocate a copy of every
        // item (~20 MB at 100,000) just as the analysis needs memory the most.
        self.items
            .par_sort_unstable_by(|a, b| a.path.cmp(&b.path).then(a.index.cmp(&b.index)));
        self.pair_keys();
        // Chains. Always complete here: `progress` never cancels.
        if let Some(results) = self.chain_results(opts, opts.verify_signatures, None, &|_, _| true)
        {
            self.apply_chains(results);
        }
        self.check_crls(opts.now);
    }

    /// Key pairing by raw public key bits, from scratch. Keys are few and certificates many:
    /// index the keys, then look each certificate up once.
    pub(crate) fn pair_keys(&mut self) {
        use crate::pki::Detail;
        use std::collections::HashMap;
        for it in &mut self.items {
            match &mut it.detail {
                Detail::Certificate(c) => c.paired_keys.clear(),
                Detail::PrivateKey(k) => k.pairs_with.clear(),
                _ => {}
            }
        }
        let mut keys_by_bits: HashMap<&[u8], Vec<usize>> = HashMap::new();
        for (i, it) in self.items.iter().enumerate() {
            if let Some(bits) = it.key().and_then(|k| k.public_bits.as_deref()) {
                keys_by_bits.entry(bits).or_default().push(i);
            }
        }
        let mut pairs: Vec<(usize, usize)> = vec![];
        for (ci, it) in self.items.iter().enumerate() {
            let Some(c) = it.cert().filter(|c| !c.spki_bits().is_empty()) else {
                continue;
            };
            for &ki in keys_by_bits.get(c.spki_bits()).into_iter().flatten() {
                pairs.push((ki, ci));
            }
        }
        drop(keys_by_bits);
        for (ki, ci) in pairs {
            let key_item = &self.items[ki];
            let label = match &key_item.alias {
                Some(a) => format!("{} [{a}]", key_item.path),
                None => key_item.path.clone(),
            };
            if let Some(c) = self.items[ci].cert_mut() {
                if !c.paired_keys.contains(&label) {
                    c.paired_keys.push(label);
                }
                let sha = c.sha256.clone();
                if let Detail::PrivateKey(k) = &mut self.items[ki].detail {
                    if !k.pairs_with.contains(&sha) {
                        k.pairs_with.push(sha);
                    }
                }
            }
        }
    }

    /// CRL signatures against an issuer in the store, then which certificates they revoke.
    pub(crate) fn check_crls(&mut self, now: i64) {
        use crate::pki::chain::SigCheck;
        use crate::pki::Detail;
        if !self
            .items
            .iter()
            .any(|it| matches!(it.detail, Detail::Crl(_)))
        {
            // A rescan may have taken the last CRL away.
            for it in &mut self.items {
                if let Some(c) = it.cert_mut() {
                    c.revocation = None;
                }
            }
            return;
        }
        let issuers: Vec<crate::pki::CertDer> = self
            .items
            .iter()
            .filter_map(|it| Some(it.cert()?.raw.clone()))
            .collect();
        for it in &mut self.items {
            let Detail::Crl(crl) = &mut it.detail else {
                continue;
            };
            let Some(crl_der) = it.der.as_ref() else {
                continue;
            };
            let mut verdict = "issuer not in store".to_string();
            crl.verified_by = None;
            for issuer in issuers.iter().filter(|c| c.subject() == crl.issuer_raw) {
                match verify_crl(crl_der, issuer.der()) {
                    SigCheck::Verified => {
                        verdict = "verified".into();
                        crl.verified_by = Some(issuer.der().clone());
                        break;
                    }
                    SigCheck::NotChecked(w) => verdict = format!("not checked: {w}"),
                    SigCheck::Bad(w) => verdict = format!("bad signature: {w}"),
                }
            }
            crl.signature = verdict;
        }
        self.mark_revoked(now);
    }

    /// A certificate is revoked when a CRL of its issuer lists its serial, that CRL's signature
    /// verified against a certificate of that name in the store, and `now` is within the CRL's
    /// validity (an expired CRL is its own finding, `crl-expired`, and revokes nothing here).
    fn mark_revoked(&mut self, now: i64) {
        use crate::pki::revocation::Revocation;
        use crate::pki::Detail;
        use std::collections::HashMap;
        // serial -> (issuer certificate DER the CRL verified against, the first CRL in path
        // order listing it) per issuer.
        type ByIssuer = Vec<(std::sync::Arc<[u8]>, Revocation)>;
        let mut revoked: HashMap<String, ByIssuer> = HashMap::new();
        for it in &self.items {
            let Detail::Crl(crl) = &it.detail else {
                continue;
            };
            let Some(by) = crl.verified_by.as_ref().filter(|_| crl.current(now)) else {
                continue;
            };
            for (i, serial) in crl.revoked.iter().enumerate() {
                let by_issuer = revoked.entry(serial.clone()).or_default();
                if !by_issuer.iter().any(|(d, _)| d == by) {
                    by_issuer.push((
                        by.clone(),
                        Revocation {
                            crl_path: it.path.clone(),
                            entry: crl.entries.get(i).copied().unwrap_or_default(),
                        },
                    ));
                }
            }
        }
        for it in &mut self.items {
            if let Some(c) = it.cert_mut() {
                c.revocation = if revoked.is_empty() {
                    None
                } else {
                    // Same name is not enough: a certificate planted with the CA's name could
                    // sign a CRL; the certificate must be signed by the key that signed the CRL.
                    revoked
                        .get(c.serial.as_str())
                        .and_then(|v| {
                            v.iter().find(|(issuer, _)| {
                                crate::pki::chain::verify_signed_by(c.der(), issuer)
                                    == crate::pki::chain::SigCheck::Verified
                            })
                        })
                        .map(|(_, r)| Box::new(r.clone()))
                };
            }
        }
    }

    /// Build the chains of the certificates among `which` (sorted item indices; `None`: all;
    /// every certificate of the store can be an issuer either way); with `verify`, check every signature. Work goes in slices of
    /// 1,024 certificates; `progress(done, total)` after each may return false to cancel (the
    /// TUI's background verification stops when a rescan replaces it). System trust
    /// certificates take part as anchors/intermediates when `opts` asks.
    pub fn chain_results(
        &self,
        opts: &AnalyzeOptions,
        verify: bool,
        which: Option<&[usize]>,
        progress: &(dyn Fn(usize, usize) -> bool + Sync),
    ) -> Option<Vec<(usize, ChainResult)>> {
        use rayon::prelude::*;
        let system = if opts.system_trust {
            load_system_trust(opts)
        } else {
            vec![]
        };
        // Certificates without DER (hand-made test items) cannot take part.
        fn usable(it: &crate::pki::Item) -> Option<&crate::pki::CertInfo> {
            it.cert().filter(|c| !c.der().is_empty())
        }
        let mut nodes = vec![];
        // (item, its node) for the chains to build.
        let mut owners = vec![];
        for (i, it) in self.items.iter().enumerate() {
            if let Some(c) = usable(it) {
                if which.is_none_or(|w| w.binary_search(&i).is_ok()) {
                    owners.push((i, nodes.len()));
                }
                nodes.push(Node {
                    info: c,
                    path: it.path.as_str(),
                });
            }
        }
        for it in &system {
            if let Some(c) = usable(it) {
                nodes.push(Node {
                    info: c,
                    path: it.path.as_str(),
                });
            }
        }
        let index = ChainIndex::new(nodes, verify);
        let mut out = Vec::with_capacity(owners.len());
        for slice in owners.chunks(1024) {
            out.par_extend(
                slice
                    .par_iter()
                    .map(|&(item, node)| (item, index.build(node))),
            );
            if !progress(out.len(), owners.len()) {
                return None;
            }
        }
        Some(out)
    }

    /// Store chain results (from `chain_results`) into the certificates they belong to.
    pub fn apply_chains(&mut self, results: Vec<(usize, ChainResult)>) {
        for (i, r) in results {
            if let Some(c) = self.items.get_mut(i).and_then(|it| it.cert_mut()) {
                c.chain = r.status;
                c.chain_detail = r.detail;
                c.chain_note = Some(r.note);
                c.chain_issuers = r.issuers;
            }
        }
    }

    pub fn certificates(&self) -> impl Iterator<Item = &crate::pki::Item> {
        self.items.iter().filter(|i| i.cert().is_some())
    }
}

/// A CRL's signature checked against one issuer certificate (both DER).
pub fn verify_crl(crl_der: &[u8], issuer_der: &[u8]) -> crate::pki::chain::SigCheck {
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

/// The inventory path of a file outside the walk (one a server config names): store-relative when it is inside the (canonical)
/// store, else absolute. `None` when it does not exist.
pub fn inventory_path(store: &Path, path: &Path) -> Option<String> {
    let canon = std::fs::canonicalize(path).ok()?;
    Some(match canon.strip_prefix(store) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.to_string_lossy().into_owned(),
        Ok(_) => String::new(),
        Err(_) => canon.to_string_lossy().into_owned(),
    })
}
