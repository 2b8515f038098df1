//! Which commands write. `--read-only` is checked once, here, before any command runs; the
//! match is exhaustive so a new subcommand must say whether it writes.

use super::args::{Command, HistoryCmd, KeyCmd, KeystoreCmd};

/// The name of the command when running it would write something (to the store or, for
/// `export` and `demo`, anywhere); `None` for commands that only read (and dry runs).
pub(crate) fn writes(cmd: &Command) -> Option<&'static str> {
    let unless_dry = |dry: bool, name| (!dry).then_some(name);
    match cmd {
        Command::List { .. }
        | Command::Show { .. }
        | Command::Audit { .. }
        | Command::Probe { .. } => None,
        Command::Generate { write, .. } => unless_dry(write.dry_run, "generate"),
        Command::Sign { write, .. } => unless_dry(write.dry_run, "sign"),
        Command::Import { write, .. } => unless_dry(write.dry_run, "import"),
        Command::ReplaceCert { write, .. } => unless_dry(write.dry_run, "replace-cert"),
        Command::Trust { write, .. } => unless_dry(write.dry_run, "trust"),
        Command::Revoke { write, .. } => unless_dry(write.dry_run, "revoke"),
        Command::Rehash { write, .. } => unless_dry(write.dry_run, "rehash"),
        Command::Export { dry_run, .. } => unless_dry(*dry_run, "export"),
        // Recovery rolls back an interrupted plan: a write.
        Command::Recover { .. } => Some("recover"),
        Command::Undo { .. } => Some("undo"),
        Command::Demo { .. } => Some("demo"),
        Command::History {
            cmd: HistoryCmd::Prune { dry_run, .. },
        } => unless_dry(*dry_run, "history prune"),
        Command::Keystore { cmd } => match cmd {
            KeystoreCmd::List { .. } => None,
            KeystoreCmd::Genkeypair { write, .. } => {
                unless_dry(write.dry_run, "keystore genkeypair")
            }
            KeystoreCmd::Certreq { write, .. } => unless_dry(write.dry_run, "keystore certreq"),
            KeystoreCmd::ImportReply { write, .. } => {
                unless_dry(write.dry_run, "keystore import-reply")
            }
            KeystoreCmd::AddTrusted { write, .. } => {
                unless_dry(write.dry_run, "keystore add-trusted")
            }
            KeystoreCmd::Passwd { write, .. } => unless_dry(write.dry_run, "keystore passwd"),
        },
        Command::Key { cmd } => match cmd {
            KeyCmd::Passwd { write, .. } => unless_dry(write.dry_run, "key passwd"),
            KeyCmd::Encrypt { write, .. } => unless_dry(write.dry_run, "key encrypt"),
            KeyCmd::Decrypt { write, .. } => unless_dry(write.dry_run, "key decrypt"),
        },
    }
}
