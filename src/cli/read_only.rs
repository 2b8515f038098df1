//! Which commands write. `--read-only` is checked once, here, before any command runs; the
//! match is exhaustive so a new subcommand must say whether it writes.

use super::{acme, history, key, keystore, Command};

/// The name of the command when running it would write something (to the store or, for
/// `export` and `demo`, anywhere); `None` for commands that only read (and dry runs).
pub fn writes(cmd: &Command) -> Option<&'static str> {
    let unless_dry = |dry: bool, name| (!dry).then_some(name);
    match cmd {
        Command::List(_)
        | Command::Show(_)
        | Command::Audit(_)
        | Command::Probe(_)
        // Read-only and sandboxed; its one socket listens, it never connects.
        | Command::Exporter(_)
        // Asks Prometheus; never touches a store.
        | Command::Fleet(_)
        | Command::Completions(_)
        | Command::Man(_) => None,
        Command::Generate(a) => unless_dry(a.write.dry_run, "generate"),
        Command::Sign(a) => unless_dry(a.write.dry_run, "sign"),
        Command::Renew(a) => unless_dry(a.write.dry_run, "renew"),
        Command::Import(a) => unless_dry(a.write.dry_run, "import"),
        Command::ReplaceCert(a) => unless_dry(a.write.dry_run, "replace-cert"),
        Command::Trust(a) => unless_dry(a.write.dry_run, "trust"),
        Command::Revoke(a) => unless_dry(a.write.dry_run, "revoke"),
        Command::Rehash(a) => unless_dry(a.write.dry_run, "rehash"),
        Command::Export(a) => unless_dry(a.dry_run, "export"),
        // Recovery rolls back an interrupted plan: a write.
        Command::Recover(_) => Some("recover"),
        Command::Undo(_) => Some("undo"),
        Command::Demo(_) => Some("demo"),
        Command::History(history::Cmd::Prune(a)) => unless_dry(a.dry_run, "history prune"),
        // acme list and renew --dry-run read; issue, renew, revoke write.
        Command::Acme(cmd) => acme::writes(cmd),
        Command::Keystore(cmd) => match cmd {
            keystore::Cmd::List(_) => None,
            keystore::Cmd::Genkeypair(a) => unless_dry(a.write.dry_run, "keystore genkeypair"),
            keystore::Cmd::Certreq(a) => unless_dry(a.write.dry_run, "keystore certreq"),
            keystore::Cmd::ImportReply(a) => unless_dry(a.write.dry_run, "keystore import-reply"),
            keystore::Cmd::AddTrusted(a) => unless_dry(a.write.dry_run, "keystore add-trusted"),
            keystore::Cmd::Passwd(a) => unless_dry(a.write.dry_run, "keystore passwd"),
        },
        Command::Key(cmd) => match cmd {
            key::Cmd::Passwd(a) => unless_dry(a.write.dry_run, "key passwd"),
            key::Cmd::Encrypt(a) => unless_dry(a.write.dry_run, "key encrypt"),
            key::Cmd::Decrypt(a) => unless_dry(a.write.dry_run, "key decrypt"),
        },
    }
}
