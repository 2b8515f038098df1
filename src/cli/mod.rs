//! The command line: one module per subcommand, each holding its arguments (clap), its
//! dispatch and its output; the logic is in `actions`, `store`, `audit` and `pki`. The binary
//! only parses and calls `run`.

pub mod acme;
pub mod audit;
pub mod completions;
pub mod demo;
pub mod export;
pub mod exporter;
pub mod fleet;
pub mod generate;
pub mod global;
pub mod history;
pub mod import;
pub mod key;
pub mod keystore;
pub mod list;
pub mod man;
pub mod output;
pub mod probe;
pub mod progress;
pub mod prompt;
pub mod read_only;
pub mod recover;
pub mod rehash;
pub mod renew;
pub mod replace_cert;
pub mod revoke;
pub mod show;
pub mod sign;
pub mod subject;
pub mod trust;
pub mod tui;
pub mod undo;
pub mod write;

use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{CommandFactory, Parser, Subcommand};

use global::Global;
use output::error_text;

#[derive(Parser, Debug)]
#[command(
    name = "certdeck",
    version,
    about = "Keyboard-driven terminal manager for the TLS certificates, keys, CRLs and keystores servers read",
    long_about = None
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    /// No colours in the TUI (also when NO_COLOR is set).
    #[arg(long, help_heading = "Global")]
    pub mono: bool,
    /// TUI: never write OSC 52 (`y`/`Y` copy to the terminal's clipboard otherwise).
    #[arg(long, help_heading = "Global")]
    pub no_clipboard: bool,
    /// TUI: leave the mouse to the terminal (no click or wheel handling).
    #[arg(long, help_heading = "Global")]
    pub no_mouse: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List every item of the store.
    List(list::Args),
    /// Show every detail of one item (path[#index], common name, or SHA-256 prefix).
    Show(show::Args),
    /// Read-only audit with a Nagios exit code (0 ok, 1 warning, 2 critical, 3 unknown).
    /// Never writes a byte: the store is opened read-only and the process sandboxed (Landlock).
    Audit(audit::Args),
    /// Generate a key and a CA, server or client certificate, a CSR, or RFC 7919 DH parameters.
    Generate(generate::Args),
    /// Issue a certificate from a CSR with a CA of the store (the key stays where it was made).
    Sign(sign::Args),
    /// Issue a certificate again with the same key, names and signer and a new validity (the
    /// old file goes to history).
    Renew(renew::Args),
    /// Import certificates and keys (PEM, DER, PKCS#7, PKCS#12, encrypted keys).
    Import(import::Args),
    /// Replace a server's certificate and key under the exact file names its config names
    /// (--server-config), after checking the new key matches the new certificate.
    ReplaceCert(replace_cert::Args),
    /// Trust a certificate: copy it into the trust dir and create its <hash>.N link.
    Trust(trust::Args),
    /// Revoke: move the certificate out of the trust dir and add it to its CA's CRL.
    Revoke(revoke::Args),
    /// Rebuild a trust dir's <hash>.N links as `openssl rehash` would, dropping stale ones.
    Rehash(rehash::Args),
    /// Export a certificate: pem, der, fullchain, cert+key, p12.
    Export(export::Args),
    /// Finish or roll back a change interrupted by a crash (any write command does this first).
    Recover(recover::Args),
    /// Reverse the last applied change (from the journal).
    Undo(undo::Args),
    /// ACME (Let's Encrypt and other CAs): issue, renew, revoke and list lineages whose files
    /// certdeck writes (acme/NAME/ or the files a server config names).
    #[command(subcommand)]
    Acme(acme::Cmd),
    /// Java PKCS#12 keystores, keytool style (FILE is store-relative).
    #[command(subcommand)]
    Keystore(keystore::Cmd),
    /// Passphrases of private key files (the file keeps its name; the old one goes to history).
    #[command(subcommand)]
    Key(key::Cmd),
    /// Connect to a TLS port (HOST:PORT), show the chain it serves, and compare its leaf with the
    /// certificate files the server configs name (or the store's): flags a certificate renewed
    /// on disk but not reloaded. Exit 1 when the server serves an outdated certificate.
    Probe(probe::Args),
    /// certdeck's own history/ (what plans replaced or removed).
    #[command(subcommand)]
    History(history::Cmd),
    /// Create a demo store (generated now, no committed keys) and open it.
    Demo(demo::Args),
    /// Serve the stores' certificates, CRLs, keystores and findings to Prometheus over HTTP
    /// (/metrics, /healthz); read-only and sandboxed, kept current by watching the files.
    Exporter(exporter::Args),
    /// The fleet's certificates as Prometheus knows them from certdeck exporters (read-only).
    Fleet(fleet::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    Completions(completions::Args),
    /// Print the manual page (roff, for `man -l -` or /usr/share/man/man1/certdeck.1).
    Man(man::Args),
}

/// The clap definition, as completions and the man page are generated from it.
pub fn command() -> clap::Command {
    Cli::command()
}

/// Parse the command line and run it; errors are printed here, on one escaped line.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("certdeck: {}", error_text(&e));
            ExitCode::from(2)
        }
    }
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    let mut g = cli.global;
    g.mono = cli.mono || matches!(&cli.command, Some(Command::Demo(d)) if d.mono);
    g.no_clipboard = cli.no_clipboard;
    g.no_mouse = cli.no_mouse;
    if g.stores.len() > 1 && !matches!(cli.command, Some(Command::Exporter(_))) {
        bail!(
            "--store is given {} times; only `exporter` serves several stores",
            g.stores.len()
        );
    }
    if g.read_only {
        if let Some(what) = cli.command.as_ref().and_then(read_only::writes) {
            bail!("read-only: `{what}` writes; refused (without --read-only it would write)");
        }
    }
    // Generated from the definition alone: no store, no config.
    match &cli.command {
        Some(Command::Completions(a)) => return completions::run(a),
        Some(Command::Man(a)) => return man::run(a),
        _ => {}
    }
    if let Err(e) = global::resolve_config(&mut g) {
        if let Some(Command::Audit(a)) = &cli.command {
            return Ok(audit::unknown(a, &format!("{e:#}")));
        }
        return Err(e);
    }
    match cli.command {
        None => tui::run(&g),
        Some(c) => match c {
            Command::List(a) => list::run(&g, a),
            Command::Show(a) => show::run(&g, a),
            Command::Audit(a) => Ok(audit::run(&g, a)),
            Command::Generate(a) => generate::run(&g, a),
            Command::Sign(a) => sign::run(&g, a),
            Command::Import(a) => import::run(&g, a),
            Command::ReplaceCert(a) => replace_cert::run(&g, a),
            Command::Trust(a) => trust::run(&g, a),
            Command::Revoke(a) => revoke::run(&g, a),
            Command::Rehash(a) => rehash::run(&g, a),
            Command::Renew(a) => renew::run(&g, a),
            Command::Export(a) => export::run(&g, a),
            Command::Recover(a) => recover::run(&g, a),
            Command::Undo(a) => undo::run(&g, a),
            Command::Acme(c) => acme::run(&g, c),
            Command::Keystore(c) => keystore::run(&g, c),
            Command::Key(c) => key::run(&g, c),
            Command::Probe(a) => probe::run(&g, a),
            Command::History(c) => history::run(&g, c),
            Command::Demo(a) => demo::run(g, a),
            Command::Exporter(a) => exporter::run(&g, a),
            Command::Fleet(c) => fleet::run(&g, c),
            Command::Completions(_) | Command::Man(_) => unreachable!("handled above"),
        },
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn definition_is_consistent() {
        // clap's own checks (duplicate flags, bad defaults, conflicting names).
        super::command().debug_assert();
    }

    #[test]
    fn every_subcommand_has_help() {
        let cmd = super::command();
        for sub in cmd.get_subcommands() {
            assert!(sub.get_about().is_some(), "{} has no help", sub.get_name());
            for arg in sub.get_arguments() {
                if arg.is_hide_set() || arg.get_id() == "help" || arg.get_id() == "version" {
                    continue;
                }
                assert!(
                    arg.get_help().is_some(),
                    "{} {} has no help",
                    sub.get_name(),
                    arg.get_id()
                );
            }
        }
    }
}
