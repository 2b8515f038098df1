//! `certdeck keystore …`: PKCS#12 keystores as Java services use them (keytool's verbs).

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use zeroize::Zeroizing;

use std::path::PathBuf;

use super::global::{scan_options, store_dir, store_rel, Global};
use super::output::out;
use super::subject::SubjectArgs;
use super::write::{apply_action, env_passphrase_given, new_passphrase, WriteArgs};
use crate::pki::issue::KeyType;

#[derive(clap::Subcommand, Debug)]
pub enum Cmd {
    /// List the aliases and entry types of a keystore (password: --passphrase-file).
    List(ListArgs),
    /// New key pair with a self-signed certificate under ALIAS (creates the keystore if needed;
    /// a new keystore's password comes from --new-passphrase-file, else --passphrase-file).
    Genkeypair(GenkeypairArgs),
    /// Certificate signing request from ALIAS's key and certificate subject.
    Certreq(CertreqArgs),
    /// Import the CA reply into ALIAS, replacing its self-signed certificate (the reply's key
    /// must be the entry's).
    ImportReply(ImportReplyArgs),
    /// Add a trusted certificate entry (trustedCertEntry), truststore / cacerts style.
    AddTrusted(AddTrustedArgs),
    /// Change the keystore password (old: --passphrase-file, new: --new-passphrase-file).
    Passwd(PasswdArgs),
}

#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// The keystore file (store-relative).
    pub file: String,
    /// Print the entries as JSON.
    #[arg(long, help_heading = "Output")]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct GenkeypairArgs {
    /// The keystore file (store-relative; created when missing).
    pub file: String,
    /// Alias of the new entry.
    #[arg(long)]
    pub alias: String,
    /// Validity of the self-signed certificate in days.
    #[arg(long, default_value_t = 365)]
    pub days: i64,
    /// rsa-2048 (default, what Java servers expect), rsa-3072, rsa-4096, ec-p256, ec-p384.
    #[arg(long = "key-type", default_value = "rsa-2048", help_heading = "Key")]
    pub key_type: KeyType,
    // After the plain options: a flattened struct's heading carries over to what follows.
    #[command(flatten)]
    pub subject: SubjectArgs,
    /// Subject alternative name: DNS:x, IP:y, email:z, URI:u (repeatable).
    #[arg(long = "san", help_heading = "Subject")]
    pub sans: Vec<String>,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(clap::Args, Debug)]
pub struct CertreqArgs {
    /// The keystore file (store-relative).
    pub file: String,
    /// Alias of the key entry.
    #[arg(long)]
    pub alias: String,
    /// Store-relative output file.
    #[arg(long, help_heading = "Output")]
    pub out: String,
    /// Extra subject alternative names.
    #[arg(long = "san", help_heading = "Subject")]
    pub sans: Vec<String>,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(clap::Args, Debug)]
pub struct ImportReplyArgs {
    /// The keystore file (store-relative).
    pub file: String,
    /// Alias of the key entry the reply is for.
    #[arg(long)]
    pub alias: String,
    /// The CA's reply: the signed certificate, with its chain.
    pub reply: PathBuf,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(clap::Args, Debug)]
pub struct AddTrustedArgs {
    /// The keystore file (store-relative; created when missing).
    pub file: String,
    /// Alias of the new entry.
    #[arg(long)]
    pub alias: String,
    /// The certificate to trust.
    pub cert: PathBuf,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(clap::Args, Debug)]
pub struct PasswdArgs {
    /// The keystore file (store-relative).
    pub file: String,
    #[command(flatten)]
    pub write: WriteArgs,
}

pub fn run(g: &Global, cmd: Cmd) -> Result<ExitCode> {
    use crate::actions::keystore as ks;
    let optional_new = |w: &WriteArgs| -> Result<Option<Zeroizing<String>>> {
        if w.new_passphrase_file.is_some() || env_passphrase_given() {
            Ok(Some(new_passphrase(w)?))
        } else {
            Ok(None)
        }
    };
    match cmd {
        Cmd::List(ListArgs { file, json }) => {
            let file = store_rel(g, &file)?;
            let (opts, _) = scan_options(g)?;
            let path = store_dir(g)?.join(&file);
            let data = std::fs::read(&path).with_context(|| format!("cannot read {file}"))?;
            let items = crate::pki::decode::decode_file(&data, &file, &opts.decode);
            let ks_item = items
                .iter()
                .find(|i| i.kind == crate::pki::ItemKind::Keystore)
                .with_context(|| format!("{file} is not a keystore"))?;
            let crate::pki::Detail::Keystore(info) = &ks_item.detail else {
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
                        crate::text::escape_control(&e.alias),
                        e.certificates
                    ));
                }
                out(&s);
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Genkeypair(GenkeypairArgs {
            file,
            alias,
            subject,
            key_type,
            sans,
            days,
            write,
        }) => {
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
        Cmd::Certreq(CertreqArgs {
            file,
            alias,
            out,
            sans,
            write,
        }) => {
            let file = store_rel(g, &file)?;
            let out = store_rel(g, &out)?;
            apply_action(g, &write, |ctx| {
                ks::certreq(ctx, &file, &alias, &out, &sans)
            })
        }
        Cmd::ImportReply(ImportReplyArgs {
            file,
            alias,
            reply,
            write,
        }) => {
            let file = store_rel(g, &file)?;
            let bytes = std::fs::read(&reply)
                .with_context(|| format!("cannot read {}", reply.display()))?;
            let name = reply.display().to_string();
            apply_action(g, &write, |ctx| {
                ks::import_reply(ctx, &file, &alias, &bytes, &name)
            })
        }
        Cmd::AddTrusted(AddTrustedArgs {
            file,
            alias,
            cert,
            write,
        }) => {
            let file = store_rel(g, &file)?;
            let bytes =
                std::fs::read(&cert).with_context(|| format!("cannot read {}", cert.display()))?;
            let name = cert.display().to_string();
            let new = optional_new(&write)?;
            apply_action(g, &write, |ctx| {
                ks::add_trusted(ctx, &file, &alias, &bytes, &name, new.as_ref())
            })
        }
        Cmd::Passwd(PasswdArgs { file, write }) => {
            let file = store_rel(g, &file)?;
            let new = new_passphrase(&write)?;
            apply_action(g, &write, |ctx| ks::passwd(ctx, &file, &new))
        }
    }
}
