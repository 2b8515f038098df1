//! Chain building over the certificates of a store, with every signature really verified.
//!
//! Issuers are found by subject hash + canonical name (as OpenSSL matches them), preferring the
//! candidate whose SKI equals the child's AKI and whose signature verifies.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use super::model::{CertInfo, ChainLink, ChainStatus, NameHash};
use super::subject_hash::canonical_name;
use x509_parser::error::X509Error;
use x509_parser::prelude::{FromDer, X509Certificate};

/// A certificate the chain builder can use: its summary (with its DER) and where it lives.
pub struct Node<'a> {
    pub info: &'a CertInfo,
    pub path: &'a str,
}

/// The outcome for one certificate.
#[derive(Debug, Clone)]
pub struct ChainResult {
    pub status: ChainStatus,
    pub detail: Arc<str>,
    /// The certificate's own note (`verified`, `issuer missing`, ...).
    pub note: Arc<str>,
    /// The links above it, its issuer first.
    pub issuers: Vec<Arc<ChainLink>>,
}

/// Outcome of checking `child`'s signature with `issuer`'s key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigCheck {
    Verified,
    /// The verifier cannot check this algorithm (P-521, Ed448, DSA, tiny RSA): not "broken".
    NotChecked(String),
    Bad(String),
}

pub fn verify_signed_by(child_der: &[u8], issuer_der: &[u8]) -> SigCheck {
    let (Ok((_, child)), Ok((_, issuer))) = (
        X509Certificate::from_der(child_der),
        X509Certificate::from_der(issuer_der),
    ) else {
        return SigCheck::Bad("certificate does not parse".into());
    };
    match child.verify_signature(Some(issuer.public_key())) {
        Ok(()) => SigCheck::Verified,
        Err(X509Error::SignatureUnsupportedAlgorithm) => {
            SigCheck::NotChecked("signature algorithm not supported by the verifier".into())
        }
        Err(e) => {
            // aws-lc refuses RSA keys under 1024 bits; that is a weak key, not a bad signature.
            if let Ok(x509_parser::public_key::PublicKey::RSA(rsa)) = issuer.public_key().parsed() {
                if super::key::integer_bits(rsa.modulus) < 1024 {
                    return SigCheck::NotChecked("RSA key too small for the verifier".into());
                }
            }
            SigCheck::Bad(format!("signature does not verify ({e})"))
        }
    }
}

/// Index of all certificates by subject hash, for issuer lookups.
pub struct ChainIndex<'a> {
    nodes: Vec<Node<'a>>,
    /// (subject hash, node) sorted: issuers are looked up by the child's issuer hash. Flat,
    /// not a map of vectors: 100,000 leaves have 100,000 different subjects.
    by_subject_hash: Vec<(NameHash, u32)>,
    max_depth: usize,
    /// Off: issuers are chosen by name and key identifier only and chains end `Unverified`.
    verify: bool,
    /// Signatures of CA certificates, checked once: 100,000 leaves under one intermediate
    /// verify the intermediate's signature once, not 100,000 times.
    ca_sigs: Mutex<HashMap<(usize, usize), SigCheck>>,
    /// Each node's link as it appears above the certificates it issued, built once.
    links: Vec<OnceLock<Arc<ChainLink>>>,
    /// Explanations and notes repeat ("ends in trusted root X" under every leaf of X,
    /// "verified"): one copy each.
    texts: Mutex<std::collections::HashSet<Arc<str>>>,
}

impl<'a> ChainIndex<'a> {
    pub fn new(nodes: Vec<Node<'a>>, verify: bool) -> Self {
        let n = nodes.len();
        let mut by_subject_hash: Vec<(NameHash, u32)> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.info.subject_hash, i as u32))
            .collect();
        by_subject_hash.sort_unstable();
        ChainIndex {
            nodes,
            by_subject_hash,
            max_depth: 12,
            verify,
            ca_sigs: Mutex::new(HashMap::new()),
            links: (0..n).map(|_| OnceLock::new()).collect(),
            texts: Mutex::default(),
        }
    }

    /// One shared copy of `text`.
    fn shared_text(&self, text: &str) -> Arc<str> {
        match self.texts.lock() {
            Ok(mut set) => match set.get(text) {
                Some(d) => d.clone(),
                None => {
                    let d: Arc<str> = text.into();
                    set.insert(d.clone());
                    d
                }
            },
            // A poisoned lock only loses the sharing.
            Err(_) => text.into(),
        }
    }

    fn result(&self, status: ChainStatus, detail: String, path: Path) -> ChainResult {
        ChainResult {
            status,
            detail: self.shared_text(&detail),
            note: path.note.unwrap_or_else(|| self.shared_text("")),
            issuers: path.issuers,
        }
    }

    /// Node `i`'s link with `note` as it appears above a certificate it issued: the shared one
    /// unless this path needs a different note.
    fn link(&self, i: usize, note: &str) -> Arc<ChainLink> {
        let fresh = || Arc::new(link(&self.nodes[i], note));
        let shared = self.links[i].get_or_init(fresh);
        if shared.note == note {
            shared.clone()
        } else {
            fresh()
        }
    }

    fn check_signature(&self, child: usize, issuer: usize) -> SigCheck {
        if !self.verify {
            return SigCheck::NotChecked("signatures not verified".into());
        }
        let der = |i: usize| &**self.nodes[i].info.der();
        let check = || verify_signed_by(der(child), der(issuer));
        if !self.nodes[child].info.is_ca {
            return check();
        }
        // A poisoned lock only loses the cache, never the answer.
        if let Some(hit) = self
            .ca_sigs
            .lock()
            .ok()
            .and_then(|m| m.get(&(child, issuer)).cloned())
        {
            return hit;
        }
        let r = check();
        if let Ok(mut m) = self.ca_sigs.lock() {
            m.insert((child, issuer), r.clone());
        }
        r
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    fn issuer_candidates(&self, child: &Node) -> Vec<usize> {
        let issuer_raw = &child.info.issuer_raw();
        // Same hash and byte-identical DER is the common case; only differing encodings of
        // what may be the same name are canonicalised (OpenSSL compares canonical forms).
        let mut want = None;
        let mut same_name = |i: usize| {
            let subject_raw = &self.nodes[i].info.subject_raw();
            if subject_raw == issuer_raw {
                return true;
            }
            let want = want.get_or_insert_with(|| canonical_name(issuer_raw).ok());
            want.is_some() && canonical_name(subject_raw).ok() == *want
        };
        let want_hash = child.info.issuer_hash;
        let first = self
            .by_subject_hash
            .partition_point(|(h, _)| *h < want_hash);
        let mut c: Vec<usize> = self.by_subject_hash[first..]
            .iter()
            .take_while(|(h, _)| *h == want_hash)
            .map(|&(_, i)| i as usize)
            .filter(|&i| self.nodes[i].info.sha256 != child.info.sha256)
            .filter(|&i| same_name(i))
            .collect();
        // Matching key identifiers first, then CAs, then the longest-lived.
        c.sort_by_key(|&i| {
            let n = &self.nodes[i];
            let aki_match = child.info.aki().is_some() && child.info.aki() == n.info.ski();
            (!aki_match, !n.info.is_ca, -n.info.not_after_unix)
        });
        c
    }

    /// Build and verify the chain of node `start`.
    pub fn build(&self, start: usize) -> ChainResult {
        let mut path = Path::default();
        let mut seen = vec![start];
        let mut cur = start;
        loop {
            let n = &self.nodes[cur];
            if n.info.self_signed {
                path.push(self, cur, start, "self-signed root");
                let (status, detail) = if n.info.is_ca {
                    (
                        ChainStatus::Valid,
                        format!("ends in trusted root {}", short(n.info)),
                    )
                } else if cur == start {
                    (
                        ChainStatus::UntrustedRoot,
                        "self-signed certificate that is not a CA".to_string(),
                    )
                } else {
                    (
                        ChainStatus::UntrustedRoot,
                        format!("root {} is self-signed but not a CA", short(n.info)),
                    )
                };
                if !self.verify {
                    let detail = format!("{detail}; signatures not verified");
                    return self.result(ChainStatus::Unverified, detail, path);
                }
                return self.result(status, detail, path);
            }
            if seen.len() > self.max_depth {
                path.push(self, cur, start, "chain too long");
                let detail = "chain longer than 12 certificates (loop?)".to_string();
                return self.result(ChainStatus::Broken, detail, path);
            }
            let candidates = self.issuer_candidates(n);
            if candidates.is_empty() {
                path.push(self, cur, start, "issuer missing");
                let detail = format!("issuer {} is not in the store", n.info.issuer);
                return self.result(ChainStatus::Incomplete, detail, path);
            }
            let mut chosen = None;
            let mut first_bad = None;
            for &cand in &candidates {
                if seen.contains(&cand) {
                    continue;
                }
                match self.check_signature(cur, cand) {
                    SigCheck::Verified => {
                        chosen = Some((cand, "verified".to_string()));
                        break;
                    }
                    SigCheck::NotChecked(why) => {
                        chosen = Some((cand, format!("not checked: {why}")));
                        break;
                    }
                    SigCheck::Bad(why) => {
                        first_bad.get_or_insert((cand, why));
                    }
                }
            }
            let Some((issuer, note)) = chosen else {
                return match first_bad {
                    Some((cand, why)) => {
                        path.push(self, cur, start, &format!("bad signature: {why}"));
                        let msg = format!(
                            "{} is not validly signed by {} ({}): {why}",
                            short(n.info),
                            short(self.nodes[cand].info),
                            self.nodes[cand].path
                        );
                        self.result(ChainStatus::Broken, msg, path)
                    }
                    None => {
                        path.push(self, cur, start, "issuer loop");
                        self.result(ChainStatus::Broken, "issuer loop".into(), path)
                    }
                };
            };
            path.push(self, cur, start, &note);
            let iss = &self.nodes[issuer];
            if !iss.info.is_ca {
                path.push(self, issuer, start, "not a CA");
                let detail = format!(
                    "issuer {} ({}) is not a CA (basicConstraints CA:FALSE or missing)",
                    short(iss.info),
                    iss.path
                );
                return self.result(ChainStatus::Broken, detail, path);
            }
            seen.push(issuer);
            cur = issuer;
        }
    }
}

/// A chain being built: the certificate's own note, then the links above it.
#[derive(Default)]
struct Path {
    note: Option<Arc<str>>,
    issuers: Vec<Arc<ChainLink>>,
}

impl Path {
    fn push(&mut self, index: &ChainIndex, i: usize, start: usize, note: &str) {
        if i == start {
            self.note = Some(index.shared_text(note));
        } else {
            self.issuers.push(index.link(i, note));
        }
    }
}

fn short(info: &CertInfo) -> String {
    info.common_name
        .clone()
        .unwrap_or_else(|| info.subject.clone())
}

fn link(n: &Node, note: &str) -> ChainLink {
    ChainLink {
        subject: n.info.subject.as_str().into(),
        sha256: n.info.sha256.clone(),
        path: n.path.to_string(),
        note: note.to_string(),
    }
}
