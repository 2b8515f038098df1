//! User intents -> Plans. Shared by the TUI and the CLI: each action reads the inventory, checks
//! everything it can up front (key matches, CA has its key, no silent overwrite) and returns
//! the exact file operations; nothing is written here.

use anyhow::{anyhow, bail, Result};
use rcgen::KeyPair;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::pki::Item;
use crate::store::inventory::Inventory;
use crate::store::select;

pub mod acme_deploy;
mod bundle;
pub mod export;
pub mod export_to;
mod generate;
mod import;
pub mod key;
pub mod keyout;
pub mod keystore;
mod rehash;
pub mod renew;
pub mod replace_cert;
mod revoke;
mod sign;
mod trust;

pub use crate::pki::keyload::{key_from_bytes, load_private_key};
pub use bundle::with_bundle;
pub use export::{export, ExportFormat, Exported};
pub use generate::{dhparam, generate, GenKind, GenerateArgs};
pub use import::{import, import_noted, ImportArgs};
pub use rehash::rehash;
pub use revoke::revoke;
pub use sign::sign_csr;
pub use trust::{revoked_warning, trust, trust_opts};

/// Default trust directory inside a store (OpenSSL CApath style).
pub const DEFAULT_TRUST_DIR: &str = "trusted";
pub const PRIVATE_DIR_MODE: u32 = 0o700;
/// Validity of the CRLs certdeck signs. Longer than the default `--warn-days` (30), so a CRL
/// that was just signed does not make `audit` warn "crl-expiring" at once.
pub const CRL_DAYS: i64 = 90;

/// What every action needs besides its own arguments.
pub struct Ctx<'a> {
    pub inv: &'a Inventory,
    /// Tried in order on encrypted keys (CA keys, imports).
    pub passphrases: &'a [Zeroizing<String>],
    pub now: OffsetDateTime,
}

/// A file-name-safe form of a common name.
pub fn slug(cn: &str) -> String {
    let s: String = cn
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches(|c| c == '-' || c == '.').to_string();
    if s.is_empty() {
        "unnamed".into()
    } else {
        s
    }
}

fn join(dir: &str, name: &str) -> String {
    let dir = dir.trim_matches('/');
    if dir.is_empty() || dir == "." {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// A `--dir`/`--out` argument that names a place in the store: store-relative, without `..`
/// or control characters. `/abs/path` is refused rather than quietly read as `abs/path`.
pub fn check_store_arg(flag: &str, v: &str) -> Result<()> {
    if v.starts_with('/') {
        bail!("{flag} {v}: must be relative to the store root (an absolute path is not accepted)");
    }
    if v.split('/').any(|p| p == "..") {
        bail!("{flag} {v}: `..` would leave the store");
    }
    if let Some(c) = v.chars().find(|c| c.is_control()) {
        bail!(
            "{flag} {}: holds the control character {c:?}",
            v.escape_debug()
        );
    }
    Ok(())
}

fn exists(inv: &Inventory, rel: &str) -> bool {
    std::fs::symlink_metadata(inv.store.join(rel)).is_ok()
}

/// Refuse up front when `rel` (a file or directory an action will write) is inside a
/// certbot-owned tree; `WritableStore::apply` checks every op of the plan again.
pub fn guard_owned(inv: &Inventory, rel: &str) -> Result<()> {
    if crate::store::layout::certbot_owned(&inv.store, rel) {
        bail!("{rel}: {}", crate::store::layout::CERTBOT_OWNED);
    }
    Ok(())
}

fn guard_new(inv: &Inventory, rel: &str, replace: bool) -> Result<()> {
    guard_owned(inv, rel)?;
    if exists(inv, rel) && !replace {
        bail!("{rel} already exists (use --replace; the old file goes to history)");
    }
    Ok(())
}

/// A CA certificate of the store and its private key, ready to sign.
pub struct CaMaterial {
    pub item: Item,
    pub key: KeyPair,
    pub cert_der: Vec<u8>,
}

/// Resolve `sel` to one certificate. Unlike `select::resolve_one`, several files holding the
/// *same* certificate (a CA and its copy in the trust dir, a leaf and its fullchain) are not
/// ambiguous here: actions act on the certificate, so the copy with its key in the store (else
/// the first) stands for all of them. Different certificates still need a precise selector.
pub fn resolve_cert<'a>(inv: &'a Inventory, sel: &str) -> Result<&'a Item> {
    let m = select::matches(inv, sel);
    if m.len() > 1 {
        let sha = m[0].cert().map(|c| c.sha256.as_str());
        if sha.is_some()
            && m.iter()
                .all(|it| it.cert().map(|c| c.sha256.as_str()) == sha)
        {
            let pick = m
                .iter()
                .find(|it| it.cert().is_some_and(|c| !c.paired_keys.is_empty()))
                .unwrap_or(&m[0]);
            return Ok(pick);
        }
    }
    Ok(select::resolve_one(inv, sel)?)
}

/// Resolve `sel` to a CA certificate whose key is in the store.
pub fn load_ca(ctx: &Ctx, sel: &str) -> Result<CaMaterial> {
    let item = resolve_cert(ctx.inv, sel)?;
    let cert = item
        .cert()
        .ok_or_else(|| anyhow!("{} is not a certificate", item.path))?;
    if !cert.is_ca {
        bail!(
            "{} ({}) is not a CA (basicConstraints CA:FALSE)",
            item.display_name(),
            item.path
        );
    }
    let key_path = cert
        .paired_keys
        .iter()
        .find(|p| !p.contains(" ["))
        .ok_or_else(|| {
            anyhow!(
                "the private key of CA {} is not in the store; cannot sign",
                item.display_name()
            )
        })?;
    let key = load_private_key(&ctx.inv.store, key_path, ctx.passphrases)?;
    let cert_der = item
        .der
        .as_ref()
        .map(|d| d.to_vec())
        .ok_or_else(|| anyhow!("no DER for {}", item.path))?;
    Ok(CaMaterial {
        item: item.clone(),
        key,
        cert_der,
    })
}
