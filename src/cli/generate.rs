//! `certdeck generate ca|server|client|csr|dhparam`.

use std::process::ExitCode;

use anyhow::Result;

use super::global::Global;
use super::subject::SubjectArgs;
use super::write::{apply_action, new_passphrase, WriteArgs};
use crate::actions::{self, GenKind, GenerateArgs};
use crate::pki::issue::KeyType;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// ca | server | client | csr | dhparam
    pub kind: GenKind,
    /// ec-p256 (default), ec-p384, ed25519, rsa-2048, rsa-3072, rsa-4096.
    #[arg(long = "key-type", default_value = "ec-p256", help_heading = "Key")]
    pub key_type: KeyType,
    /// Encrypt the new key with the passphrase in --new-passphrase-file (or CERTDECK_NEW_PASSPHRASE).
    #[arg(long, help_heading = "Key")]
    pub encrypt_key: bool,
    /// Validity in days (default 398 for leaves, 3650 for CAs).
    #[arg(long)]
    pub days: Option<i64>,
    /// Sign with this CA of the store (its key must be in the store); default self-signed.
    #[arg(long)]
    pub ca: Option<String>,
    /// pathlen for a CA.
    #[arg(long)]
    pub path_len: Option<u8>,
    /// dhparam: size of the RFC 7919 ffdhe group (2048, 3072, 4096).
    #[arg(long, default_value_t = 2048)]
    pub bits: u32,
    /// Directory inside the store for the files (default: the store root).
    #[arg(long, default_value = "", help_heading = "Output")]
    pub dir: String,
    /// dhparam: store-relative output file (default ffdhe<bits>.pem).
    #[arg(long, help_heading = "Output")]
    pub out: Option<String>,
    /// Replace existing files of the same name (old ones go to history).
    #[arg(long, help_heading = "Output")]
    pub replace: bool,
    // After the plain options: a flattened struct's heading carries over to what follows.
    #[command(flatten)]
    pub subject: SubjectArgs,
    /// Subject alternative name: DNS:x, IP:y, email:z, URI:u (repeatable).
    #[arg(long = "san", help_heading = "Subject")]
    pub sans: Vec<String>,
    #[command(flatten)]
    pub write: WriteArgs,
}

pub fn run(g: &Global, a: Args) -> Result<ExitCode> {
    if a.kind == GenKind::Dhparam {
        return apply_action(g, &a.write, |ctx| {
            actions::dhparam(ctx, a.bits, a.out.as_deref())
        });
    }
    let encrypt_key = if a.encrypt_key {
        Some(new_passphrase(&a.write)?)
    } else {
        None
    };
    let args = GenerateArgs {
        kind: a.kind,
        key_type: a.key_type,
        subject: a.subject.into_spec(),
        sans: a.sans,
        days: a.days,
        ca: a.ca,
        dir: a.dir,
        encrypt_key,
        path_len: a.path_len,
        replace: a.replace,
    };
    apply_action(g, &a.write, |ctx| actions::generate(ctx, &args))
}
