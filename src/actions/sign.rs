//! sign: a certificate for a CSR from a CA of the store.

use anyhow::{anyhow, Result};
use time::Duration;

use super::{check_store_arg, guard_new, load_ca, slug, Ctx};
use crate::pki::issue::{self, Profile, Signer};
use crate::pki::pem;
use crate::store::plan::{Op, Plan};

/// sign CSR --ca SELECTOR: issue a certificate for a CSR (its key stays where it was made).
pub fn sign_csr(
    ctx: &Ctx,
    csr_bytes: &[u8],
    ca_sel: &str,
    profile: Profile,
    days: i64,
    out_rel: Option<&str>,
) -> Result<Plan> {
    let der = if pem::looks_like_pem(csr_bytes) {
        pem::parse_blocks(csr_bytes)
            .into_iter()
            .find(|b| b.label.contains("CERTIFICATE REQUEST"))
            .and_then(|b| b.body.ok())
            .ok_or_else(|| anyhow!("no CERTIFICATE REQUEST block found"))?
    } else {
        csr_bytes.to_vec()
    };
    let ca = load_ca(ctx, ca_sel)?;
    let issued = issue::sign_csr(
        &der,
        profile,
        ctx.now - Duration::minutes(5),
        ctx.now + Duration::days(days),
        Signer {
            cert_der: &ca.cert_der,
            key: &ca.key,
        },
    )?;
    let cn = crate::pki::cert::summarize(&issued.cert_der, ctx.now.unix_timestamp(), 30)
        .ok()
        .and_then(|c| c.common_name)
        .unwrap_or_else(|| "signed".into());
    let out = out_rel
        .map(str::to_string)
        .unwrap_or_else(|| format!("{}.pem", slug(&cn)));
    check_store_arg("--out", &out)?;
    guard_new(ctx.inv, &out, false)?;
    let mut plan = Plan::new(format!("sign CSR {cn} with {}", ca.item.display_name()));
    plan.push(Op::write_public(out, issued.cert_pem.into_bytes()));
    Ok(plan.with_missing_dirs(&ctx.inv.store))
}
