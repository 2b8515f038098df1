//! Passphrases of private key files (`key passwd|encrypt|decrypt SEL`).
//!
//! A key file keeps its name (servers are configured with it); the old file moves to history and
//! the new one is written 0600. An encrypted key is written as PKCS#8 PBES2 (PBKDF2-SHA256,
//! AES-256-CBC), which OpenSSL reads with `-passin`; a decrypted one as plain PKCS#8. Other PEM
//! blocks of the file (a certificate next to the key) are kept, in order. A DER key file stays DER.

use anyhow::{anyhow, bail, Context, Result};
use zeroize::Zeroizing;

use super::{guard_owned, key_from_bytes, Ctx};
use crate::pki::{keycrypt, pem, Detail, ItemKind};
use crate::store::plan::{Op, Plan};
use crate::store::select;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPassOp {
    /// Change the passphrase of an encrypted key.
    Passwd,
    /// Encrypt a plain key.
    Encrypt,
    /// Store an encrypted key unencrypted.
    Decrypt,
}

impl KeyPassOp {
    fn name(self) -> &'static str {
        match self {
            KeyPassOp::Passwd => "passwd",
            KeyPassOp::Encrypt => "encrypt",
            KeyPassOp::Decrypt => "decrypt",
        }
    }
}

fn is_key_label(l: &str) -> bool {
    matches!(
        l,
        "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" | "ENCRYPTED PRIVATE KEY"
    )
}

/// `key passwd|encrypt|decrypt SEL`.
pub fn key_passphrase(
    ctx: &Ctx,
    sel: &str,
    op: KeyPassOp,
    new_pass: Option<&Zeroizing<String>>,
) -> Result<Plan> {
    let item = select::resolve_one(ctx.inv, sel)?;
    guard_owned(ctx.inv, &item.path)?;
    if item.kind != ItemKind::PrivateKey {
        bail!("{} is not a private key", item.path);
    }
    if item.alias.is_some() || item.source == "PKCS12" {
        bail!(
            "{} is a key inside a keystore; use `certdeck keystore passwd`",
            item.path
        );
    }
    let encrypted = match &item.detail {
        Detail::PrivateKey(k) => k.encrypted,
        _ => false,
    };
    match op {
        KeyPassOp::Encrypt if encrypted => {
            bail!("{} is already encrypted (use `key passwd`)", item.path)
        }
        KeyPassOp::Passwd | KeyPassOp::Decrypt if !encrypted => {
            bail!("{} is not encrypted", item.path)
        }
        _ => {}
    }
    if op != KeyPassOp::Encrypt && ctx.passphrases.is_empty() {
        bail!("give the current passphrase with --passphrase-file");
    }
    let new_pass = match op {
        KeyPassOp::Decrypt => None,
        _ => {
            let p = new_pass.ok_or_else(|| {
                anyhow!("a new passphrase is needed: --new-passphrase-file FILE or CERTDECK_NEW_PASSPHRASE")
            })?;
            if p.is_empty() {
                bail!("empty passphrase");
            }
            if op == KeyPassOp::Passwd && ctx.passphrases.iter().any(|o| o.as_str() == p.as_str()) {
                bail!("the new passphrase is the current one");
            }
            Some(p)
        }
    };
    let rel = item.path.clone();
    let data = Zeroizing::new(
        std::fs::read(ctx.inv.store.join(&rel)).with_context(|| format!("cannot read {rel}"))?,
    );
    let key = key_from_bytes(&data, ctx.passphrases).with_context(|| format!("key {rel}"))?;
    let plain = Zeroizing::new(key.serialize_der());
    let new_der = match new_pass {
        Some(p) => Zeroizing::new(
            keycrypt::encrypt_pkcs8(&plain, p.as_bytes())
                .map_err(|e| anyhow!("cannot encrypt the key: {e}"))?,
        ),
        None => plain,
    };
    let label = if new_pass.is_some() {
        "ENCRYPTED PRIVATE KEY"
    } else {
        "PRIVATE KEY"
    };
    let contents = if pem::looks_like_pem(&data) {
        let mut out = String::new();
        let mut keys = 0;
        for b in pem::parse_blocks(&data) {
            if is_key_label(&b.label) {
                keys += 1;
                out.push_str(&pem::encode(label, &new_der));
            } else {
                let body = b
                    .body
                    .map_err(|e| anyhow!("{rel}: a {} block does not decode: {e}", b.label))?;
                out.push_str(&pem::encode(&b.label, &body));
            }
        }
        if keys != 1 {
            bail!("{rel} holds {keys} private keys; certdeck changes files with exactly one");
        }
        Zeroizing::new(out.into_bytes())
    } else {
        new_der
    };
    let mut plan = Plan::new(format!("key {} {rel}", op.name()));
    plan.push(Op::write_secret(rel, contents));
    Ok(plan)
}
