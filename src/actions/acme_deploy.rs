//! Install what an ACME order produced: the new key, then the certificate files, then the
//! lineage's renewal.toml, as one Plan (old files to history). Into `acme/NAME/` by default, or
//! into exactly the files a server config names for these domains (after replace-cert's pair
//! check).

use anyhow::Result;

use super::replace_cert::{replace_server_cert, ReplaceArgs};
use super::{guard_owned, Ctx};
use crate::acme::lineage::{self, Settings};
use crate::acme::order::Issued;
use crate::servers::ServerConfig;
use crate::store::plan::{Op, Plan};

/// `settings` gets the file names chosen here and is written as the lineage's renewal.toml.
pub fn deploy(
    ctx: &Ctx,
    servers: &[ServerConfig],
    issued: &Issued,
    settings: &mut Settings,
    action: &str,
) -> Result<Plan> {
    let dir = lineage::dir_rel(&settings.name);
    guard_owned(ctx.inv, &dir)?;
    let mut plan = if servers.is_empty() {
        let mut p = Plan::new(String::new());
        p.push(Op::write_secret(
            format!("{dir}/privkey.pem"),
            issued.key_pem.clone(),
        ));
        p.push(Op::write_public(
            format!("{dir}/cert.pem"),
            issued.cert_pem.clone().into_bytes(),
        ));
        p.push(Op::write_public(
            format!("{dir}/chain.pem"),
            issued.chain_pem.clone().into_bytes(),
        ));
        p.push(Op::write_public(
            format!("{dir}/fullchain.pem"),
            issued.fullchain_pem.clone().into_bytes(),
        ));
        settings.cert_file = format!("{dir}/cert.pem");
        settings.key_file = format!("{dir}/privkey.pem");
        settings.server_files = false;
        p
    } else {
        let replace = |site: Option<&str>| {
            replace_server_cert(
                ctx,
                &ReplaceArgs {
                    servers,
                    site,
                    cert: issued.fullchain_pem.as_bytes(),
                    key: issued.key_pem.clone(),
                },
            )
        };
        // The site named for the first domain when the configs have several, else the only one.
        let p = match settings.domains.first().map(|d| replace(Some(d))) {
            Some(Ok(p)) => p,
            _ => replace(None)?,
        };
        for op in &p.ops {
            if let Op::Write { path, secret, .. } = op {
                if *secret {
                    settings.key_file = path.clone();
                } else {
                    settings.cert_file = path.clone();
                }
            }
        }
        settings.server_files = true;
        p
    };
    plan.action = format!("acme {action} {}", settings.name);
    plan.push(Op::write_public(
        lineage::settings_rel(&settings.name),
        lineage::to_toml(settings)?.into_bytes(),
    ));
    Ok(plan.with_missing_dirs(&ctx.inv.store))
}

/// Only the lineage's renewal.toml (a failed renewal's result, a revocation).
pub fn record(ctx: &Ctx, settings: &Settings, action: &str) -> Result<Plan> {
    let mut plan = Plan::new(format!("acme {action} {}", settings.name));
    plan.push(Op::write_public(
        lineage::settings_rel(&settings.name),
        lineage::to_toml(settings)?.into_bytes(),
    ));
    Ok(plan.with_missing_dirs(&ctx.inv.store))
}
