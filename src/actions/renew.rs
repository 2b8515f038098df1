//! renew: issue the selected certificate again with the same key, names and signer and a new
//! validity; the old file goes to history (the plan replaces it in place, so servers and hash
//! links that name the file keep working).

use anyhow::{anyhow, bail, Result};
use time::Duration;

use super::{guard_owned, load_ca, load_private_key, resolve_cert, Ctx};
use crate::pki::issue::{self, Profile, Signer};
use crate::store::plan::{Op, Plan};

/// What a renewal will be, for the confirm dialog.
pub struct Renewal {
    pub plan: Plan,
    /// "self-signed" or the CA's name and path.
    pub issuer: String,
    pub days: i64,
    /// The key file reused.
    pub key_path: String,
}

/// The usages to keep: a CA stays a CA, a client-only certificate stays a client one.
fn profile_of(c: &crate::pki::CertInfo) -> Profile {
    let has = |u: &str| c.extended_key_usage.iter().any(|e| e == u);
    if c.is_ca {
        Profile::Ca
    } else if has("clientAuth") && !has("serverAuth") {
        Profile::Client
    } else {
        Profile::Server
    }
}

/// Renew `sel`. `days`: the new validity; by default as long as the old one.
pub fn renew(ctx: &Ctx, sel: &str, days: Option<i64>) -> Result<Renewal> {
    let item = resolve_cert(ctx.inv, sel)?;
    let c = item
        .cert()
        .ok_or_else(|| anyhow!("{} is not a certificate", item.path))?;
    guard_owned(ctx.inv, &item.path)?;
    let blocks = (ctx.inv.items.iter())
        .filter(|it| it.path == item.path)
        .count();
    if blocks != 1 || item.alias.is_some() {
        bail!(
            "{} holds {blocks} items; renew replaces files holding one certificate (renew the leaf and rebuild the bundle)",
            item.path
        );
    }
    let key_path = (c.paired_keys.iter())
        .find(|p| !p.contains(" ["))
        .ok_or_else(|| {
            anyhow!(
                "the private key of {} is not in the store; cannot renew with the same key",
                item.display_name()
            )
        })?
        .clone();
    let key = load_private_key(&ctx.inv.store, &key_path, ctx.passphrases)?;
    let days = days.unwrap_or_else(|| ((c.not_after_unix - c.not_before_unix) / 86_400).max(1));
    if days <= 0 {
        bail!("days must be positive");
    }
    let der = item
        .der
        .as_ref()
        .ok_or_else(|| anyhow!("no DER for {}", item.path))?;
    let ca = if c.self_signed {
        None
    } else {
        let issuer = c.chain_issuers.first().ok_or_else(|| {
            anyhow!(
                "the issuer of {} is not in the store; cannot sign the renewal",
                item.display_name()
            )
        })?;
        Some(load_ca(ctx, &issuer.sha256)?)
    };
    let issued = issue::reissue(
        der,
        &key,
        profile_of(c),
        ctx.now - Duration::minutes(5),
        ctx.now + Duration::days(days),
        ca.as_ref().map(|ca| Signer {
            cert_der: &ca.cert_der,
            key: &ca.key,
        }),
    )?;
    let issuer = match &ca {
        None => "self-signed".to_string(),
        Some(ca) => format!("{} ({})", ca.item.display_name(), ca.item.path),
    };
    let mut plan = Plan::new(format!("renew {}", item.display_name()));
    plan.push(Op::write_public(
        item.path.clone(),
        issued.cert_pem.into_bytes(),
    ));
    Ok(Renewal {
        plan,
        issuer,
        days,
        key_path,
    })
}
