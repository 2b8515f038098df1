//! One order, start to finish, in memory: new order, answer each authorization's challenge,
//! finalize with a CSR from a fresh key, download the chain. Nothing is written to the store
//! here; a failure at any step leaves only the challenge clean-up behind.

use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use instant_acme::{
    AuthorizationStatus, ChallengeType, Identifier, NewOrder, OrderStatus, RetryPolicy,
};
use zeroize::Zeroizing;

use super::account::Ca;
use super::challenge::{Active, Method, Provision};
use crate::pki::issue::{self, KeyType};

/// What a finished order gives: the new key (PKCS#8 PEM) and the certificate files.
pub struct Issued {
    pub key_pem: Zeroizing<Vec<u8>>,
    pub cert_pem: String,
    /// The intermediates only.
    pub chain_pem: String,
    pub fullchain_pem: String,
}

/// Progress lines for the caller (a terminal, the TUI); never key material.
pub type Progress<'a> = &'a mut dyn FnMut(&str);

/// `replaces`: the DER of the certificate this order renews, sent as RFC 9773's `replaces`
/// when the CA serves renewal information (it then knows the renewal was asked for).
pub async fn obtain(
    ca: &Ca,
    domains: &[String],
    key_type: KeyType,
    method: &Method,
    replaces: Option<&[u8]>,
    progress: Progress<'_>,
) -> Result<Issued> {
    let mut active = Active::start(method).await?;
    let r = run(
        ca,
        domains,
        key_type,
        method,
        replaces,
        &mut active,
        progress,
    )
    .await;
    for note in active.cleanup().await {
        progress(&format!("clean-up: {note}"));
    }
    r
}

async fn run(
    ca: &Ca,
    domains: &[String],
    key_type: KeyType,
    method: &Method,
    replaces: Option<&[u8]>,
    active: &mut Active,
    progress: Progress<'_>,
) -> Result<Issued> {
    let ids: Vec<Identifier> = domains.iter().map(|d| Identifier::Dns(d.clone())).collect();
    let replaced = replaces.map(|d| rustls_pki_types::CertificateDer::from(d.to_vec()));
    let id = replaced
        .as_ref()
        .and_then(|d| instant_acme::CertificateIdentifier::try_from(d).ok());
    let first = match id {
        Some(id) => {
            ca.account
                .new_order(&NewOrder::new(&ids).replaces(id))
                .await
        }
        None => ca.account.new_order(&NewOrder::new(&ids)).await,
    };
    let mut order = match first {
        Ok(o) => o,
        // A CA that refuses `replaces` (alreadyReplaced) or does not echo it (Pebble 2.4)
        // still renews: ask again without it, as certbot and lego do.
        Err(e) if replaced.is_some() => {
            progress(&format!(
                "the CA did not take the order's `replaces` ({}); ordering without it",
                ca.explain(&e)
            ));
            ca.account
                .new_order(&NewOrder::new(&ids))
                .await
                .map_err(|e| anyhow!("new order: {}", ca.explain(&e)))?
        }
        Err(e) => bail!("new order: {}", ca.explain(&e)),
    };
    let ty = method.acme_type();
    let mut urls = vec![];
    {
        let mut authzs = order.authorizations();
        while let Some(a) = authzs.next().await {
            let mut a = a.map_err(|e| anyhow!("authorization: {}", ca.explain(&e)))?;
            let domain = a.identifier().to_string();
            match a.status {
                AuthorizationStatus::Pending => {}
                AuthorizationStatus::Valid => {
                    progress(&format!("{domain}: already authorized"));
                    continue;
                }
                s => bail!("{domain}: authorization is {s:?}"),
            }
            let Some(mut ch) = a.challenge(ty.clone()) else {
                bail!("{domain}: the CA offers no {} challenge", method.label());
            };
            let ka = ch.key_authorization();
            let token = ch.token.clone();
            urls.push((domain.clone(), token.clone()));
            active
                .provision(Provision {
                    domain: domain.clone(),
                    token,
                    key_auth: ka.as_str().to_string(),
                    dns_value: ka.dns_value(),
                })
                .await?;
            ch.set_ready()
                .await
                .map_err(|e| anyhow!("{domain}: {}", ca.explain(&e)))?;
            progress(&format!("{domain}: {} challenge ready", method.label()));
        }
    }
    let policy = RetryPolicy::new()
        .initial_delay(Duration::from_millis(250))
        .timeout(Duration::from_secs(90));
    let status = order
        .poll_ready(&policy)
        .await
        .map_err(|e| anyhow!("validation: {}", ca.explain(&e)))?;
    if status != OrderStatus::Ready {
        bail!("{}", invalid_reason(&mut order, method, &urls).await);
    }
    progress("all names validated; finalizing");
    let key = issue::generate_key(key_type)?;
    let mut params = rcgen::CertificateParams::new(domains.to_vec())?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    let csr = params.serialize_request(&key)?;
    order
        .finalize_csr(csr.der())
        .await
        .map_err(|e| anyhow!("finalize: {}", ca.explain(&e)))?;
    let fullchain = order
        .poll_certificate(&policy)
        .await
        .map_err(|e| anyhow!("certificate download: {}", ca.explain(&e)))?;
    let (cert_pem, chain_pem) = split_chain(&fullchain)?;
    Ok(Issued {
        key_pem: Zeroizing::new(issue::key_to_pkcs8_pem(&key).into_bytes()),
        cert_pem,
        chain_pem,
        fullchain_pem: fullchain,
    })
}

/// A stand-in for an order's result (a self-signed certificate for the domains and its key),
/// so the Plan an issuance will apply can be built and checked before the CA is asked.
pub fn stand_in(domains: &[String]) -> Result<Issued> {
    let key = issue::generate_key(KeyType::EcP256)?;
    let cert = rcgen::CertificateParams::new(domains.to_vec())?.self_signed(&key)?;
    let pem = cert.pem();
    Ok(Issued {
        key_pem: Zeroizing::new(issue::key_to_pkcs8_pem(&key).into_bytes()),
        cert_pem: pem.clone(),
        chain_pem: String::new(),
        fullchain_pem: pem,
    })
}

/// Why an order went invalid: each failed challenge's error, with the URL the CA tried.
async fn invalid_reason(
    order: &mut instant_acme::Order,
    method: &Method,
    urls: &[(String, String)],
) -> String {
    let mut lines = vec![];
    let mut authzs = order.authorizations();
    while let Some(Ok(mut a)) = authzs.next().await {
        let Ok(state) = a.refresh().await else {
            continue;
        };
        let domain = state.identifier().to_string();
        for c in &state.challenges {
            let Some(p) = &c.error else { continue };
            let tried = match c.r#type {
                ChallengeType::Http01 => urls
                    .iter()
                    .find(|(d, _)| *d == domain)
                    .map(|(d, t)| {
                        format!(" (the CA fetched http://{d}/.well-known/acme-challenge/{t})")
                    })
                    .unwrap_or_default(),
                ChallengeType::Dns01 => format!(" (the CA looked up TXT _acme-challenge.{domain})"),
                _ => String::new(),
            };
            lines.push(format!(
                "{domain}: {}{tried}",
                super::error::explain_problem(p)
            ));
        }
    }
    if lines.is_empty() {
        format!("the order became invalid ({} challenge)", method.label())
    } else {
        lines.join("\n")
    }
}

/// Leaf first, then the intermediates, as RFC 8555 §7.4.2 delivers them.
pub fn split_chain(fullchain: &str) -> Result<(String, String)> {
    let mut blocks = vec![];
    let mut cur = String::new();
    for line in fullchain.lines() {
        cur.push_str(line.trim_end());
        cur.push('\n');
        if line.starts_with("-----END ") {
            blocks.push(std::mem::take(&mut cur));
        }
    }
    let Some((leaf, rest)) = blocks.split_first() else {
        bail!("the CA sent no certificate");
    };
    Ok((leaf.clone(), rest.concat()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn split_leaf_from_intermediates() {
        let pem = "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n\n-----BEGIN CERTIFICATE-----\nBB==\n-----END CERTIFICATE-----\n";
        let (leaf, chain) = super::split_chain(pem).unwrap();
        assert!(leaf.contains("AA==") && !leaf.contains("BB=="));
        assert!(chain.contains("BB==") && !chain.contains("AA=="));
        assert!(super::split_chain("garbage").is_err());
    }
}
