//! import: certificates and keys from PEM, DER, PKCS#7 and PKCS#12 files into the store.

use anyhow::{anyhow, bail, Context, Result};
use zeroize::Zeroizing;

use super::{check_store_arg, guard_new, guard_owned, join, keyout, slug, Ctx, PRIVATE_DIR_MODE};
use crate::pki::issue::{self};
use crate::pki::keyload;
use crate::pki::{pem, Item, ItemKind};
use crate::store::plan::{Op, Plan};

/// import FILE...: certificates and keys from PEM/DER/PKCS#7/PKCS#12 into `dir`.
pub struct ImportArgs<'a> {
    pub files: &'a [(String, Vec<u8>)],
    pub dir: String,
    pub allow_orphan_key: bool,
    /// Encrypted keys stay encrypted unless this says `decrypt`.
    pub keys: keyout::KeyPolicy,
}

pub fn import(ctx: &Ctx, args: &ImportArgs) -> Result<Plan> {
    import_noted(ctx, args).map(|(p, _)| p)
}

/// `import`, and what it did to encrypted keys (the plan's action says it too; warnings go to
/// stderr).
pub fn import_noted(ctx: &Ctx, args: &ImportArgs) -> Result<(Plan, keyout::Notes)> {
    check_store_arg("--dir", &args.dir)?;
    guard_owned(ctx.inv, &args.dir)?;
    use crate::pki::decode::{decode_file, DecodeOptions};
    let opts = DecodeOptions {
        now: ctx.now.unix_timestamp(),
        warn_days: 30,
        passphrases: ctx.passphrases.to_vec(),
    };
    let mut certs: Vec<Item> = vec![];
    let mut keys: Vec<(Item, keyload::LoadedKey, String)> = vec![];
    // Keystores that did not open: with nothing else, the passphrase is what is missing.
    let mut locked: Vec<&str> = vec![];
    for (name, data) in args.files {
        let items = decode_file(data, name, &opts);
        for it in items {
            if let Some(e) = &it.error {
                bail!("{name}: {e}");
            }
            match it.kind {
                ItemKind::Certificate => certs.push(it),
                ItemKind::PrivateKey => {
                    let key = if it.source == "PKCS12" {
                        // p12 keys: re-open the keystore to get the key bytes.
                        p12_key(data, it.alias.as_deref(), ctx.passphrases)?
                    } else {
                        keyload::load(data, ctx.passphrases).with_context(|| name.to_string())?
                    };
                    keys.push((it, key, name.clone()));
                }
                ItemKind::Keystore => locked.push(name),
                other => bail!("{name}: cannot import a {}", other.label()),
            }
        }
    }
    if certs.is_empty() && keys.is_empty() {
        if !locked.is_empty() {
            bail!(
                "nothing to import: {} did not open; give its passphrase",
                locked.join(", ")
            );
        }
        bail!("nothing to import");
    }
    let in_store = |sha: &str| {
        ctx.inv
            .items
            .iter()
            .any(|it| it.cert().is_some_and(|c| c.sha256 == sha))
    };
    let mut plan = Plan::new(format!(
        "import {}",
        args.files
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    // Leaves first; a bundle's non-leaf certs become its chain file.
    let leaf = certs
        .iter()
        .find(|c| c.cert().is_some_and(|c| !c.is_ca))
        .or(certs.first());
    let leaf_sha = leaf.and_then(|l| l.cert()).map(|c| c.sha256.clone());
    let mut wrote_any = false;
    if let Some(leaf) = leaf {
        let lc = leaf.cert().expect("certificate item");
        let name = slug(&leaf.display_name());
        if !in_store(&lc.sha256) {
            // Same key as an existing certificate: the new (CA-signed) one replaces it.
            let replaced = ctx.inv.items.iter().find(|it| {
                it.cert()
                    .is_some_and(|c| c.spki_bits() == lc.spki_bits() && c.sha256 != lc.sha256)
            });
            let target = match replaced {
                Some(old) => old.path.clone(),
                None => join(&args.dir, &format!("{name}.pem")),
            };
            if replaced.is_none() {
                guard_new(ctx.inv, &target, false)?;
            }
            let mut body = pem::encode("CERTIFICATE", leaf.der.as_deref().unwrap_or_default());
            let chain: Vec<&Item> = certs
                .iter()
                .filter(|c| c.cert().map(|x| &x.sha256) != Some(&lc.sha256))
                .collect();
            if replaced.is_some() {
                // Keep the file layout the server reads: leaf then chain in one file.
                for c in &chain {
                    body.push_str(&pem::encode(
                        "CERTIFICATE",
                        c.der.as_deref().unwrap_or_default(),
                    ));
                }
            } else if !chain.is_empty() {
                let mut cbody = String::new();
                for c in &chain {
                    cbody.push_str(&pem::encode(
                        "CERTIFICATE",
                        c.der.as_deref().unwrap_or_default(),
                    ));
                }
                let chain_rel = join(&args.dir, &format!("{name}.chain.pem"));
                guard_new(ctx.inv, &chain_rel, false)?;
                plan.push(Op::write_public(chain_rel, cbody.into_bytes()));
            }
            plan.push(Op::write_public(target, body.into_bytes()));
            wrote_any = true;
        }
    }
    let mut notes = keyout::Notes::default();
    for (kitem, loaded, from) in keys {
        let Some(k) = kitem.key() else { continue };
        let bits = k.public_bits.clone().unwrap_or_default();
        let pairs_import = certs
            .iter()
            .any(|c| c.cert().is_some_and(|c| c.spki_bits() == bits));
        let pairs_store = ctx
            .inv
            .items
            .iter()
            .any(|it| it.cert().is_some_and(|c| c.spki_bits() == bits));
        let key_in_store = ctx
            .inv
            .items
            .iter()
            .any(|it| it.key().and_then(|k| k.public_bits.as_ref()) == Some(&bits));
        if key_in_store {
            continue;
        }
        if !pairs_import && !pairs_store && !args.allow_orphan_key {
            bail!(
                "the private key in the import matches no certificate (in the import or the store); refusing (--allow-orphan-key to import it anyway)"
            );
        }
        let name = leaf
            .filter(|_| pairs_import)
            .map(|l| slug(&l.display_name()))
            .unwrap_or_else(|| {
                format!("imported-{}", &hex::encode(&bits)[..12.min(bits.len() * 2)])
            });
        let key_rel = join(&join(&args.dir, "private"), &format!("{name}.key"));
        guard_new(ctx.inv, &key_rel, false)?;
        let pem_bytes = keyout::key_pem(&loaded, &args.keys, &from, &mut notes)?;
        plan.push(Op::MkDir {
            path: join(&args.dir, "private"),
            mode: PRIVATE_DIR_MODE,
        });
        plan.push(Op::write_secret(key_rel, pem_bytes));
        wrote_any = true;
    }
    for n in notes.info.iter().chain(&notes.warnings) {
        plan.action.push_str("; ");
        plan.action.push_str(n);
    }
    if !wrote_any {
        bail!(
            "everything in the import is already in the store{}",
            leaf_sha
                .map(|s| format!(" (sha256 {})", &s[..16]))
                .unwrap_or_default()
        );
    }
    Ok((plan.with_missing_dirs(&ctx.inv.store), notes))
}

/// The key of a PKCS#12 entry; a non-empty password that opened it protects it further.
fn p12_key(
    data: &[u8],
    alias: Option<&str>,
    passphrases: &[Zeroizing<String>],
) -> Result<keyload::LoadedKey> {
    use p12_keystore::KeyStoreEntry;
    let opened = crate::pki::p12::open(data, passphrases)
        .map_err(|e| anyhow!("cannot open the PKCS#12 key: {e}"))?;
    for (a, e) in opened.ks.entries() {
        if let KeyStoreEntry::PrivateKeyChain(c) = e {
            if alias.is_none_or(|x| x == a) {
                let key = issue::key_from_der(c.key().as_der(), Some(issue::KeyFormat::Pkcs8))?;
                let protection = if opened.password.is_empty() {
                    keyload::Protection::Plain
                } else {
                    keyload::Protection::Passphrase(opened.password.clone())
                };
                return Ok(keyload::LoadedKey { key, protection });
            }
        }
    }
    bail!(
        "the PKCS#12 file holds no private key{}",
        alias
            .map(|a| format!(" under alias {a}"))
            .unwrap_or_default()
    )
}
