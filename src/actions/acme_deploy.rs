//! Install what an ACME order produced: the new key, then the certificate files, then the
//! lineage's renewal.toml, as one Plan (old files to history). Into `acme/NAME/` by default, or
//! into exactly the files a server config names for these domains (after replace-cert's pair
//! check).

use anyhow::{anyhow, bail, Result};
use zeroize::Zeroizing;

use super::replace_cert::{replace_server_cert, ReplaceArgs};
use super::{guard_owned, Ctx};
use crate::acme::lineage::{self, Settings};
use crate::acme::order::Issued;
use crate::servers::{Role, ServerConfig};
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
    settings.server_configs = servers.iter().map(config_spec).collect();
    settings.keystore_alias = None;
    let mut plan = if servers.is_empty() {
        let p = lineage_files(&dir, issued, true);
        settings.cert_file = format!("{dir}/cert.pem");
        settings.key_file = format!("{dir}/privkey.pem");
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
        // The site named for the first domain when the configs have several, else the only
        // one; a keystore site (Spring) when no site names a certificate and key file.
        let replaced = match settings.domains.first().map(|d| replace(Some(d))) {
            Some(Ok(p)) => Ok(p),
            _ => replace(None),
        };
        let keystores = keystore_sites(servers);
        match (replaced, keystores.as_slice()) {
            (Ok(p), _) => {
                for op in &p.ops {
                    if let Op::Write { path, secret, .. } = op {
                        if *secret {
                            settings.key_file = path.clone();
                        } else {
                            settings.cert_file = path.clone();
                        }
                    }
                }
                p
            }
            (Err(e), []) => return Err(e),
            (Err(_), [one]) => {
                let (mut p, file, alias) = keystore_plan(ctx, one, issued)?;
                // The keystore needs its password to be read; renew, list and revoke read the
                // public copy of the certificate instead.
                p.ops.extend(lineage_files(&dir, issued, false).ops);
                settings.cert_file = format!("{dir}/cert.pem");
                settings.key_file = file;
                settings.keystore_alias = Some(alias);
                p
            }
            (Err(_), many) => bail!(
                "several keystores in the server configs: {}; name one with --server-config",
                many.iter()
                    .map(|k| k.label.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    };
    settings.server_files = !servers.is_empty();
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

/// `acme/NAME/{cert,chain,fullchain}.pem`, and `privkey.pem` when `with_key`.
fn lineage_files(dir: &str, issued: &Issued, with_key: bool) -> Plan {
    let mut p = Plan::new(String::new());
    if with_key {
        p.push(Op::write_secret(
            format!("{dir}/privkey.pem"),
            issued.key_pem.clone(),
        ));
    }
    for (name, text) in [
        ("cert.pem", &issued.cert_pem),
        ("chain.pem", &issued.chain_pem),
        ("fullchain.pem", &issued.fullchain_pem),
    ] {
        p.push(Op::write_public(
            format!("{dir}/{name}"),
            text.clone().into_bytes(),
        ));
    }
    p
}

/// How a server config is named again at renewal: `KIND:/absolute/file`.
fn config_spec(c: &ServerConfig) -> String {
    let file = std::path::absolute(&c.file).unwrap_or_else(|_| c.file.clone());
    format!("{}:{}", c.kind.name(), file.display())
}

/// A site that reads its key and chain from a keystore (Spring's `server.ssl.key-store`).
pub struct KeystoreSite {
    pub label: String,
    pub path: std::path::PathBuf,
    pub alias: Option<String>,
    pub store_type: Option<String>,
    /// The passwords the config holds (key-store-password first).
    pub passwords: Vec<Zeroizing<String>>,
}

/// Sites with a keystore and no certificate file of their own.
pub fn keystore_sites(servers: &[ServerConfig]) -> Vec<KeystoreSite> {
    let mut out = vec![];
    for cfg in servers {
        for (i, site) in cfg.sites.iter().enumerate() {
            let mut uses = cfg.site_uses(i);
            let Some(ks) = cfg.site_uses(i).find(|u| u.role == Role::Keystore) else {
                continue;
            };
            if uses.any(|u| u.role == Role::Certificate) {
                continue;
            }
            out.push(KeystoreSite {
                label: format!("{}: {}", site.server, site.context),
                path: ks.path.clone(),
                alias: site.key_alias.clone(),
                store_type: site.keystore_type.clone(),
                passwords: cfg.secrets.iter().map(|s| s.0.clone()).collect(),
            });
        }
    }
    out
}

/// The keystore file store-relative (it may not exist yet: its directory must).
fn keystore_rel(ctx: &Ctx, path: &std::path::Path) -> Result<String> {
    let outside = || {
        anyhow!(
            "{} is outside the store {} (certdeck writes only inside its store)",
            path.display(),
            ctx.inv.store.display()
        )
    };
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(outside());
    };
    let parent = std::fs::canonicalize(parent).map_err(|_| outside())?;
    let store = std::fs::canonicalize(&ctx.inv.store).unwrap_or_else(|_| ctx.inv.store.clone());
    let rel = parent
        .strip_prefix(&store)
        .map_err(|_| outside())?
        .join(name);
    Ok(rel.to_string_lossy().into_owned())
}

/// The new key and chain under the site's alias, after the same pair check replace-cert does.
fn keystore_plan(
    ctx: &Ctx,
    site: &KeystoreSite,
    issued: &Issued,
) -> Result<(Plan, String, String)> {
    if let Some(t) = &site.store_type {
        if !t.eq_ignore_ascii_case("pkcs12") {
            bail!(
                "{}: key-store-type {t}: certdeck writes PKCS#12 keystores only (convert it: \
                 keytool -importkeystore -deststoretype pkcs12)",
                site.label
            );
        }
    }
    let file = keystore_rel(ctx, &site.path).map_err(|e| anyhow!("{}: {e}", site.label))?;
    guard_owned(ctx.inv, &file)?;
    let key_der = Zeroizing::new(
        crate::pki::pem::parse_blocks(&issued.key_pem)
            .into_iter()
            .find(|b| b.label == "PRIVATE KEY")
            .and_then(|b| b.body.ok())
            .ok_or_else(|| anyhow!("the new key is not PKCS#8"))?,
    );
    let chain: Vec<Vec<u8>> = crate::pki::pem::parse_blocks(issued.fullchain_pem.as_bytes())
        .into_iter()
        .filter(|b| b.label == "CERTIFICATE")
        .filter_map(|b| b.body.ok())
        .collect();
    let key = crate::pki::keyload::key_from_bytes(&issued.key_pem, &[])?;
    let leaf = chain
        .first()
        .and_then(|d| crate::pki::cert::summarize(d, ctx.now.unix_timestamp(), 30).ok())
        .ok_or_else(|| anyhow!("the CA sent no certificate"))?;
    if key.public_key_raw() != leaf.spki_bits() {
        bail!("the new key does not match the new certificate; nothing written");
    }
    let mut passwords = site.passwords.clone();
    passwords.extend(ctx.passphrases.iter().cloned());
    let ks_ctx = Ctx {
        inv: ctx.inv,
        passphrases: &passwords,
        now: ctx.now,
    };
    let alias = match &site.alias {
        Some(a) => a.clone(),
        None => bail!(
            "{}: the config names no key alias (server.ssl.key-alias); certdeck does not guess \
             which entry the server uses",
            site.label
        ),
    };
    let p = super::keystore::set_key_chain(&ks_ctx, &file, &alias, &key_der, &chain, None)?;
    Ok((p, file, alias.to_lowercase()))
}
