//! `certdeck key passwd|encrypt|decrypt SELECTOR`.

use std::process::ExitCode;

use anyhow::Result;

use super::global::Global;
use super::write::{apply_action, new_passphrase, WriteArgs};
use crate::actions::key::{key_passphrase, KeyPassOp};

#[derive(clap::Subcommand, Debug)]
pub enum Cmd {
    /// Change an encrypted key's passphrase (old: --passphrase-file, new: --new-passphrase-file
    /// or CERTDECK_NEW_PASSPHRASE).
    Passwd(KeyArgs),
    /// Encrypt a plain key (PKCS#8, PBKDF2-SHA256 + AES-256-CBC).
    Encrypt(KeyArgs),
    /// Store an encrypted key unencrypted (old passphrase: --passphrase-file).
    Decrypt(KeyArgs),
}

#[derive(clap::Args, Debug)]
pub struct KeyArgs {
    /// The key file: a store path, or the common name of its certificate.
    pub selector: String,
    #[command(flatten)]
    pub write: WriteArgs,
}

pub fn run(g: &Global, cmd: Cmd) -> Result<ExitCode> {
    let (a, op) = match cmd {
        Cmd::Passwd(a) => (a, KeyPassOp::Passwd),
        Cmd::Encrypt(a) => (a, KeyPassOp::Encrypt),
        Cmd::Decrypt(a) => (a, KeyPassOp::Decrypt),
    };
    let new = if op == KeyPassOp::Decrypt {
        None
    } else {
        Some(new_passphrase(&a.write)?)
    };
    if op == KeyPassOp::Encrypt && !a.write.dry_run {
        eprintln!(
            "certdeck: note: the unencrypted key is kept in history/ (undo needs it); \
             remove it for good with `certdeck history prune --plaintext-keys`"
        );
    }
    if op == KeyPassOp::Decrypt && !a.write.dry_run {
        eprintln!(
            "certdeck: warning: the key will be stored unencrypted (mode 0600); anyone who can read the file has the key"
        );
    }
    apply_action(g, &a.write, |ctx| {
        key_passphrase(ctx, &a.selector, op, new.as_ref())
    })
}
