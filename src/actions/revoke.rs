//! revoke: out of the trust dir, onto its CA's CRL (every earlier revocation kept).

use anyhow::{anyhow, bail, Result};
use time::{Duration, OffsetDateTime};

use super::rehash::{relink_ops, trust_dir_items};
use super::{guard_owned, join, load_ca, resolve_cert, slug, CaMaterial, Ctx, CRL_DAYS};
use crate::pki::issue::{self, Signer};
use crate::pki::{pem, Detail, Item};
use crate::store::plan::{Op, Plan};
use crate::store::trustdir;

/// A fresh CRL for `ca` listing every serial revoked by that CA's CRLs in the store (those
/// whose signature verifies against `ca`, wherever they are: a server checking the trust dir
/// must not start accepting what `crl/` revoked), each with its original date and reason, plus
/// `extra_serial` (hex) revoked now. Its number is above every CRL number seen for the CA's
/// name. Returns (file name, PEM, issuer hash).
pub(super) fn crl_for(
    ctx: &Ctx,
    ca: &CaMaterial,
    dir: &str,
    extra_serial: Option<&str>,
) -> Result<(String, Vec<u8>, String)> {
    let cert = ca
        .item
        .cert()
        .ok_or_else(|| anyhow!("CA is not a certificate"))?;
    let name = format!("{}.crl.pem", slug(&ca.item.display_name()));
    let mut entries: Vec<issue::CrlEntry> = vec![];
    let mut seen: std::collections::HashSet<String> = Default::default();
    let mut highest: Option<Vec<u8>> = None;
    // Certdeck's own CRL for this CA first, so its entries win over copies elsewhere.
    let target = join(dir, &name);
    let mut crls: Vec<&Item> = ctx
        .inv
        .items
        .iter()
        .filter(|it| matches!(&it.detail, Detail::Crl(c) if c.issuer_raw == cert.subject_raw()))
        .collect();
    crls.sort_by_key(|it| it.path != target);
    for it in crls {
        let (Detail::Crl(c), Some(der)) = (&it.detail, it.der.as_ref()) else {
            continue;
        };
        if let Some(n) = c.crl_number.as_deref().and_then(crl_number_bytes) {
            if highest.as_ref().is_none_or(|h| number_gt(&n, h)) {
                highest = Some(n);
            }
        }
        if crate::store::inventory::verify_crl(der, &ca.cert_der)
            != crate::pki::chain::SigCheck::Verified
        {
            continue;
        }
        for (serial, e) in crate::pki::revocation::entries_of_der(der) {
            if seen.insert(crate::pki::cert::serial_hex(&serial)) {
                entries.push(issue::CrlEntry {
                    serial,
                    when: OffsetDateTime::from_unix_timestamp(e.date_unix).unwrap_or(ctx.now),
                    reason: e.reason,
                });
            }
        }
    }
    if let Some(s) = extra_serial {
        if seen.insert(s.to_string()) {
            let b = hex::decode(s).map_err(|_| anyhow!("serial {s} is not hex"))?;
            // Keep the INTEGER positive: re-add the sign byte the hex form dropped.
            let serial = if b.first().is_some_and(|x| x & 0x80 != 0) {
                [vec![0u8], b].concat()
            } else {
                b
            };
            entries.push(issue::CrlEntry {
                serial,
                when: ctx.now,
                reason: None,
            });
        }
    }
    let number = next_crl_number(highest.as_deref())?;
    let der = issue::make_crl_entries(
        Signer {
            cert_der: &ca.cert_der,
            key: &ca.key,
        },
        &entries,
        ctx.now - Duration::minutes(5),
        ctx.now + Duration::days(CRL_DAYS),
        &number,
    )?;
    Ok((
        name,
        pem::encode("X509 CRL", &der).into_bytes(),
        cert.subject_hash.to_string(),
    ))
}

/// A CRL number in lowercase hex (as `CrlInfo::crl_number`) as big-endian octets without
/// leading zeros (zero is one 0 octet).
fn crl_number_bytes(hex_text: &str) -> Option<Vec<u8>> {
    let padded = if hex_text.len() % 2 == 1 {
        format!("0{hex_text}")
    } else {
        hex_text.to_string()
    };
    let b = hex::decode(padded).ok()?;
    let first = b
        .iter()
        .position(|x| *x != 0)
        .unwrap_or(b.len().saturating_sub(1));
    Some(b.get(first..).unwrap_or_default().to_vec())
}

/// `a > b` for big-endian unsigned octets without leading zeros.
fn number_gt(a: &[u8], b: &[u8]) -> bool {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b)) == std::cmp::Ordering::Greater
}

/// One above `highest` (1 when there is none), as octets for the CRL's INTEGER (with a sign
/// octet when the top bit is set). RFC 5280 caps CRL numbers at 20 octets.
fn next_crl_number(highest: Option<&[u8]>) -> Result<Vec<u8>> {
    let mut n = highest.map(<[u8]>::to_vec).unwrap_or_default();
    let mut carry = true;
    for b in n.iter_mut().rev() {
        let (v, c) = b.overflowing_add(1);
        *b = v;
        carry = c;
        if !carry {
            break;
        }
    }
    if carry {
        n.insert(0, 1);
    }
    if n.first().is_some_and(|x| x & 0x80 != 0) {
        n.insert(0, 0);
    }
    if n.len() > 20 {
        bail!("the CA's CRL number is at its limit (20 octets): sign no further CRLs with it");
    }
    Ok(n)
}

/// The CRL a plan is about to write, as a rehash source (its content is new, so its name is
/// its identity).
pub(super) fn crl_source(name: String, issuer_hash: String) -> trustdir::Source {
    trustdir::Source {
        fingerprint: format!("crl:{name}"),
        name,
        hash: issuer_hash,
        crl: true,
    }
}

/// revoke SELECTOR: take the certificate out of the trust dir (to history) and, when its CA's
/// key is in the store, add it to that CA's CRL in the trust dir.
pub fn revoke(ctx: &Ctx, sel: &str, dir: &str) -> Result<Plan> {
    let dir = dir.trim_matches('/');
    guard_owned(ctx.inv, dir)?;
    let item = resolve_cert(ctx.inv, sel)?;
    let cert = item
        .cert()
        .ok_or_else(|| anyhow!("{} is not a certificate", item.path))?
        .clone();
    let mut plan = Plan::new(format!("revoke {}", item.display_name()));
    // Every copy of this certificate in the trust dir, and the links to them.
    let copies: Vec<&Item> = trust_dir_items(ctx.inv, dir)
        .into_iter()
        .filter(|it| it.cert().is_some_and(|c| c.sha256 == cert.sha256))
        .collect();
    let mut removed_names = vec![];
    for c in &copies {
        let (d, name) = c.path.rsplit_once('/').unwrap_or(("", c.path.as_str()));
        if d == dir {
            plan.push(Op::MoveToHistory {
                path: c.path.clone(),
            });
            removed_names.push(name.to_string());
        }
    }
    let mut srcs: Vec<_> = trustdir::sources(ctx.inv, dir)
        .into_iter()
        .filter(|s| !removed_names.contains(&s.name))
        .collect();
    // The issuing CA, if its key is here: re-sign its CRL with this serial added.
    let issuer = ctx.inv.items.iter().find(|it| {
        it.cert().is_some_and(|c| {
            c.is_ca
                && c.subject_raw() == cert.issuer_raw()
                && !c.paired_keys.is_empty()
                && it.der.as_ref().is_some_and(|d| {
                    item.der.as_ref().is_some_and(|leaf| {
                        crate::pki::chain::verify_signed_by(leaf, d)
                            == crate::pki::chain::SigCheck::Verified
                    })
                })
        })
    });
    let mut crl_written = false;
    if let Some(ca_item) = issuer {
        // By path: the CA may also sit in the trust dir (same fingerprint, two files).
        let ca = load_ca(ctx, &format!("{}#{}", ca_item.path, ca_item.index))?;
        let (crl_name, crl_pem, hash) = crl_for(ctx, &ca, dir, Some(&cert.serial))?;
        plan.push(Op::write_public(join(dir, &crl_name), crl_pem));
        srcs.retain(|s| s.name != crl_name);
        srcs.push(crl_source(crl_name, hash));
        crl_written = true;
    }
    if copies.is_empty() && !crl_written {
        bail!(
            "{} is not in trust dir {dir} and its CA's key is not in the store: nothing to revoke",
            item.display_name()
        );
    }
    let link_ops = relink_ops(ctx.inv, dir, &srcs);
    for op in link_ops {
        plan.push(op);
    }
    Ok(plan.with_missing_dirs(&ctx.inv.store))
}
