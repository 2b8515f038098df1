//! `certdeck keystore …`: PKCS#12 keystores as Java services use them (keytool's verbs).

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use zeroize::Zeroizing;

use super::apply::{apply_action, new_passphrase};
use super::args::{Global, KeystoreCmd, WriteArgs};
use crate::{out, scan_options, store_dir, store_rel};

pub(crate) fn keystore_cmd(g: &Global, cmd: KeystoreCmd) -> Result<ExitCode> {
    use certdeck::actions::keystore as ks;
    let optional_new = |w: &WriteArgs| -> Result<Option<Zeroizing<String>>> {
        if w.new_passphrase_file.is_some() || super::apply::env_passphrase_given() {
            Ok(Some(new_passphrase(w)?))
        } else {
            Ok(None)
        }
    };
    match cmd {
        KeystoreCmd::List { file, json } => {
            let file = store_rel(g, &file)?;
            let opts = scan_options(g)?;
            let path = store_dir(g)?.join(&file);
            let data = std::fs::read(&path).with_context(|| format!("cannot read {file}"))?;
            let items = certdeck::pki::decode::decode_file(&data, &file, &opts.decode);
            let ks_item = items
                .iter()
                .find(|i| i.kind == certdeck::pki::ItemKind::Keystore)
                .with_context(|| format!("{file} is not a keystore"))?;
            let certdeck::pki::Detail::Keystore(info) = &ks_item.detail else {
                bail!("{file} is not a keystore");
            };
            if let Some(e) = &ks_item.error {
                bail!("{file}: {e}");
            }
            // A locked PKCS#12 shows nothing; a JKS lists its entries without a password, as
            // keytool does, with keytool's warning.
            if info.locked && info.entries.is_empty() {
                bail!("{file} is locked: give its password with --passphrase-file");
            }
            if opts.decode.passphrases.is_empty() && matches!(info.format.as_str(), "jks" | "jceks")
            {
                eprintln!(
                    "warning: the keystore's integrity has NOT been verified (no password given)"
                );
            }
            if json {
                out(&serde_json::to_string_pretty(info)?);
            } else {
                let mut s = format!(
                    "Keystore type: {}\nYour keystore contains {} entr{}\n",
                    info.format.to_uppercase(),
                    info.entries.len(),
                    if info.entries.len() == 1 { "y" } else { "ies" }
                );
                for e in &info.entries {
                    let kind = match e.entry_type.as_str() {
                        "private_key_entry" => "PrivateKeyEntry",
                        "trusted_cert_entry" => "trustedCertEntry",
                        _ => "SecretKeyEntry",
                    };
                    s.push_str(&format!(
                        "{}, {kind}, chain length {}\n",
                        certdeck::text::escape_control(&e.alias),
                        e.certificates
                    ));
                }
                out(&s);
            }
            Ok(ExitCode::SUCCESS)
        }
        KeystoreCmd::Genkeypair {
            file,
            alias,
            subject,
            key_type,
            sans,
            days,
            write,
        } => {
            let file = store_rel(g, &file)?;
            if subject.cn.trim().is_empty() {
                bail!("a common name (--cn) is required");
            }
            let new = optional_new(&write)?;
            let args = ks::GenKeyPairArgs {
                file,
                alias,
                subject: subject.into_spec(),
                sans,
                key_type,
                days,
            };
            apply_action(g, &write, |ctx| ks::genkeypair(ctx, &args, new.as_ref()))
        }
        KeystoreCmd::Certreq {
            file,
            alias,
            out,
            sans,
            write,
        } => {
            let file = store_rel(g, &file)?;
            let out = store_rel(g, &out)?;
            apply_action(g, &write, |ctx| {
                ks::certreq(ctx, &file, &alias, &out, &sans)
            })
        }
        KeystoreCmd::ImportReply {
            file,
            alias,
            reply,
            write,
        } => {
            let file = store_rel(g, &file)?;
            let bytes = std::fs::read(&reply)
                .with_context(|| format!("cannot read {}", reply.display()))?;
            let name = reply.display().to_string();
            apply_action(g, &write, |ctx| {
                ks::import_reply(ctx, &file, &alias, &bytes, &name)
            })
        }
        KeystoreCmd::AddTrusted {
            file,
            alias,
            cert,
            write,
        } => {
            let file = store_rel(g, &file)?;
            let bytes =
                std::fs::read(&cert).with_context(|| format!("cannot read {}", cert.display()))?;
            let name = cert.display().to_string();
            let new = optional_new(&write)?;
            apply_action(g, &write, |ctx| {
                ks::add_trusted(ctx, &file, &alias, &bytes, &name, new.as_ref())
            })
        }
        KeystoreCmd::Passwd { file, write } => {
            let file = store_rel(g, &file)?;
            let new = new_passphrase(&write)?;
            apply_action(g, &write, |ctx| ks::passwd(ctx, &file, &new))
        }
    }
}
