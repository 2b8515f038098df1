//! trust: a certificate into the trust dir, linked by subject hash.

use anyhow::{anyhow, bail, Result};

use super::rehash::{relink_ops, trust_dir_items};
use super::revoke::{crl_for, crl_source};
use super::{exists, guard_owned, join, load_ca, resolve_cert, slug, Ctx};
use crate::pki::{pem, Item};
use crate::store::inventory::Inventory;
use crate::store::plan::{Op, Plan};
use crate::store::trustdir;

/// trust SELECTOR [--dir trusted]: copy the certificate into the trust dir and link it.
/// Refuses a revoked certificate (see `trust_opts`).
pub fn trust(ctx: &Ctx, sel: &str, dir: &str) -> Result<Plan> {
    trust_opts(ctx, sel, dir, false)
}

/// Why trusting `sel` is a mistake, when a CRL in the store revokes it ("mallory is revoked by
/// crl/root-ca.crl on ..."); `None` when it is not revoked or does not resolve.
pub fn revoked_warning(inv: &Inventory, sel: &str) -> Option<String> {
    let item = resolve_cert(inv, sel).ok()?;
    let r = item.cert()?.revocation.as_ref()?;
    Some(format!(
        "{} is {}: peers checking that CRL reject it",
        item.display_name(),
        r.describe()
    ))
}

/// `trust`; with `force`, a revoked certificate is trusted too (the caller showed the warning).
pub fn trust_opts(ctx: &Ctx, sel: &str, dir: &str, force: bool) -> Result<Plan> {
    let dir = dir.trim_matches('/');
    guard_owned(ctx.inv, dir)?;
    let item = resolve_cert(ctx.inv, sel)?;
    let cert = item
        .cert()
        .ok_or_else(|| anyhow!("{} is not a certificate", item.path))?;
    if !force {
        if let Some(w) = revoked_warning(ctx.inv, sel) {
            bail!("{w}; pass --force to trust it anyway");
        }
    }
    let der = item.der.as_ref().ok_or_else(|| anyhow!("no DER"))?;
    let existing = trust_dir_items(ctx.inv, dir);
    let copies: Vec<&&Item> = existing
        .iter()
        .filter(|it| it.cert().is_some_and(|c| c.sha256 == cert.sha256))
        .collect();
    if !copies.is_empty() {
        let linked = copies.iter().any(|it| {
            it.links.iter().any(|l| {
                let (d, n) = l.rsplit_once('/').unwrap_or(("", l.as_str()));
                d == dir && crate::pki::decode::is_hash_link_name(n)
            })
        });
        if !linked {
            // The file is already in the trust dir (a CApath store, or a cert dropped in by
            // hand) but OpenSSL cannot find it yet: only the link is missing.
            let mut plan = Plan::new(format!("trust {} (link only)", item.display_name()));
            for op in relink_ops(ctx.inv, dir, &trustdir::sources(ctx.inv, dir)) {
                plan.push(op);
            }
            if !plan.ops.is_empty() {
                return Ok(plan);
            }
        }
        bail!(
            "{} is already trusted in {}",
            item.display_name(),
            if dir.is_empty() { "." } else { dir }
        );
    }
    let file = format!("{}.pem", slug(&item.display_name()));
    let mut file_rel = join(dir, &file);
    if exists(ctx.inv, &file_rel) {
        file_rel = join(
            dir,
            &format!("{}-{}.pem", slug(&item.display_name()), &cert.sha256[..8]),
        );
    }
    let file_name = file_rel.rsplit('/').next().unwrap_or(&file_rel).to_string();
    let mut plan = Plan::new(format!("trust {}", item.display_name()));
    plan.push(Op::write_public(
        file_rel.clone(),
        pem::encode("CERTIFICATE", der).into_bytes(),
    ));
    let mut srcs = trustdir::sources(ctx.inv, dir);
    srcs.push(trustdir::Source {
        name: file_name,
        hash: cert.subject_hash.to_string(),
        fingerprint: hex::encode(cert.sha1),
        crl: false,
    });
    // A local CA whose key we hold gets its (empty) CRL next to it, so -crl_check works.
    if cert.is_ca && !cert.paired_keys.is_empty() {
        if let Ok(ca) = load_ca(ctx, &cert.sha256) {
            let (crl_name, crl_pem, hash) = crl_for(ctx, &ca, dir, None)?;
            plan.push(Op::write_public(join(dir, &crl_name), crl_pem));
            srcs.retain(|s| s.name != crl_name);
            srcs.push(crl_source(crl_name, hash));
        }
    }
    for op in relink_ops(ctx.inv, dir, &srcs) {
        plan.push(op);
    }
    Ok(plan.with_missing_dirs(&ctx.inv.store))
}
