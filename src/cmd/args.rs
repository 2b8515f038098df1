//! The command line: every subcommand, its flags and their help text (clap).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "certdeck",
    version,
    about = "Keyboard-driven terminal manager for the TLS certificates, keys, CRLs and keystores servers read",
    long_about = None
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

#[derive(Args, Debug, Clone)]
pub(crate) struct Global {
    /// Store directory to open, or the name of a store in the config file (default: the
    /// config's default_store, else the current directory).
    #[arg(long, short = 's', global = true, env = "CERTDECK_STORE")]
    pub(crate) store: Option<PathBuf>,
    /// Config file with named stores (default: ~/.config/certdeck/config.toml when it exists).
    #[arg(long, global = true, env = "CERTDECK_CONFIG", value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// A server's config file naming the files it uses: nginx.conf, harperdb-config.yaml,
    /// config-rpc.toml (Nano RPC), application.properties (Spring Boot); the kind is guessed from
    /// the name, or say KIND:FILE (nginx, harper, nano, spring). Repeatable.
    #[arg(long = "server-config", global = true, value_name = "FILE")]
    pub(crate) server_config: Vec<String>,
    /// Never write anything (TUI actions disabled).
    #[arg(long, global = true)]
    pub(crate) read_only: bool,
    /// Trust this store's history/ and journal even when another account owns them or can
    /// write them (like git's safe.directory; also `safe_stores` in the config). Paths in the
    /// journal are still checked and never followed out of the store.
    #[arg(long, global = true)]
    pub(crate) safe_store: bool,
    /// File whose first line is a passphrase for encrypted keys / PKCS#12 files.
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) passphrase_file: Option<PathBuf>,
    /// Days before expiry at which a certificate counts as expiring [default: 30, or the config's].
    #[arg(long, global = true)]
    pub(crate) warn_days: Option<i64>,
    /// Also use the system trust store (/etc/ssl/certs) to build chains.
    #[arg(long, global = true)]
    pub(crate) system_trust: bool,
    /// No colours (also when NO_COLOR is set).
    #[arg(long, global = true)]
    pub(crate) mono: bool,
    /// From the config file's store: days that are CRITICAL in an audit.
    #[arg(skip)]
    pub(crate) crit_days: Option<i64>,
    /// From the config file's store: its trust dir.
    #[arg(skip)]
    pub(crate) trust_dir: Option<String>,
    /// From the config file's store: how to make the server pick up a change.
    #[arg(skip)]
    pub(crate) reload_command: Option<String>,
    /// From the config file's store: the CA bundle kept in step with the trust dir.
    #[arg(skip)]
    pub(crate) trust_bundle: Option<String>,
}

impl Global {
    pub(crate) fn warn(&self) -> i64 {
        self.warn_days.unwrap_or(30)
    }

    pub(crate) fn trust_dir(&self, given: Option<String>) -> String {
        given
            .or_else(|| self.trust_dir.clone())
            .unwrap_or_else(|| certdeck::actions::DEFAULT_TRUST_DIR.to_string())
    }
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// List every item of the store.
    List {
        /// Print the JSON contract documented in README.md.
        #[arg(long)]
        json: bool,
        /// Build chains by names and key identifiers without checking signatures (`chain` is
        /// `unverified`): an expiry inventory of 100,000 CA-issued certificates in a fraction
        /// of the time, since each signature check costs tens of microseconds.
        #[arg(long)]
        no_verify: bool,
    },
    /// Show every detail of one item (path[#index], common name, or SHA-256 prefix).
    Show {
        selector: String,
        #[arg(long)]
        json: bool,
    },
    /// Read-only audit with a Nagios exit code (0 ok, 1 warning, 2 critical, 3 unknown).
    /// Never writes a byte: the store is opened read-only and the process sandboxed (Landlock).
    Audit {
        #[arg(long, conflicts_with = "prometheus")]
        json: bool,
        /// Prometheus text format for node_exporter's textfile collector.
        #[arg(long)]
        prometheus: bool,
        /// Days before expiry that are CRITICAL [default: 7, or the config's].
        #[arg(long)]
        crit_days: Option<i64>,
        /// Do not use the system trust store as chain anchors.
        #[arg(long)]
        no_system_trust: bool,
    },
    /// Generate a key and a CA, server or client certificate, a CSR, or RFC 7919 DH parameters.
    Generate {
        /// ca | server | client | csr | dhparam
        kind: certdeck::actions::GenKind,
        /// dhparam: size of the RFC 7919 ffdhe group (2048, 3072, 4096).
        #[arg(long, default_value_t = 2048)]
        bits: u32,
        /// dhparam: store-relative output file (default ffdhe<bits>.pem).
        #[arg(long)]
        out: Option<String>,
        #[command(flatten)]
        subject: SubjectArgs,
        /// ec-p256 (default), ec-p384, ed25519, rsa-2048, rsa-3072, rsa-4096.
        #[arg(long = "key-type", default_value = "ec-p256")]
        key_type: certdeck::pki::issue::KeyType,
        /// Subject alternative name: DNS:x, IP:y, email:z, URI:u (repeatable).
        #[arg(long = "san")]
        sans: Vec<String>,
        /// Validity in days (default 398 for leaves, 3650 for CAs).
        #[arg(long)]
        days: Option<i64>,
        /// Sign with this CA of the store (its key must be in the store); default self-signed.
        #[arg(long)]
        ca: Option<String>,
        /// Directory inside the store for the files (default: the store root).
        #[arg(long, default_value = "")]
        dir: String,
        /// Encrypt the new key with the passphrase in --new-passphrase-file (or CERTDECK_NEW_PASSPHRASE).
        #[arg(long)]
        encrypt_key: bool,
        /// pathlen for a CA.
        #[arg(long)]
        path_len: Option<u8>,
        /// Replace existing files of the same name (old ones go to history).
        #[arg(long)]
        replace: bool,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Issue a certificate from a CSR with a CA of the store (the key stays where it was made).
    Sign {
        csr: PathBuf,
        #[arg(long)]
        ca: String,
        /// server (default) or client.
        #[arg(long, default_value = "server")]
        profile: certdeck::pki::issue::Profile,
        #[arg(long, default_value_t = 398)]
        days: i64,
        /// Store-relative output path (default: <cn>.pem).
        #[arg(long)]
        out: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Import certificates and keys (PEM, DER, PKCS#7, PKCS#12, encrypted keys).
    Import {
        files: Vec<PathBuf>,
        #[arg(long, default_value = "")]
        dir: String,
        /// Import a private key that matches no certificate.
        #[arg(long)]
        allow_orphan_key: bool,
        /// Store encrypted keys (and PKCS#12 keys) unencrypted; without it they stay
        /// encrypted (or take --new-passphrase-file's passphrase).
        #[arg(long)]
        decrypt: bool,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Replace a server's certificate and key under the exact file names its config names
    /// (--server-config), after checking the new key matches the new certificate.
    ReplaceCert {
        /// New certificate file (leaf first, then chain).
        #[arg(long)]
        cert: PathBuf,
        /// New private key file.
        #[arg(long)]
        key: PathBuf,
        /// Part of the site name when the configs name several (e.g. api.example.com).
        #[arg(long)]
        site: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Trust a certificate: copy it into the trust dir and create its <hash>.N link.
    Trust {
        selector: String,
        /// Trust dir [default: the config's trust_dir, else trusted].
        #[arg(long)]
        dir: Option<String>,
        /// Trust it even when a CRL in the store revokes it.
        #[arg(long)]
        force: bool,
        /// CA bundle file (store-relative) to keep in step with the trust dir.
        #[arg(long)]
        bundle: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Revoke: move the certificate out of the trust dir and add it to its CA's CRL.
    Revoke {
        selector: String,
        /// Trust dir [default: the config's trust_dir, else trusted].
        #[arg(long)]
        dir: Option<String>,
        /// CA bundle file (store-relative) to keep in step with the trust dir.
        #[arg(long)]
        bundle: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Rebuild a trust dir's <hash>.N links as `openssl rehash` would, dropping stale ones.
    Rehash {
        /// Trust dir [default: the config's trust_dir, else trusted].
        dir: Option<String>,
        /// CA bundle file (store-relative) to keep in step with the trust dir.
        #[arg(long)]
        bundle: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Export a certificate: pem, der, fullchain, cert+key, p12.
    Export {
        selector: String,
        #[arg(long)]
        format: certdeck::actions::ExportFormat,
        /// Output file: a new file (inside the store, a store change with history; outside,
        /// never an existing file unless --force).
        #[arg(long)]
        out: PathBuf,
        /// PKCS#12 with RC2/3DES + SHA-1 MAC for old consumers.
        #[arg(long)]
        legacy: bool,
        /// Replace an existing file (outside the store: by rename, never through a symlink;
        /// inside: the old one goes to history). A private key of the store is never replaced.
        #[arg(long)]
        force: bool,
        /// cert+key: write an encrypted key unencrypted (warned); without it it stays encrypted.
        #[arg(long)]
        decrypt: bool,
        /// Passphrase for the written key (cert+key) or PKCS#12 [p12 default: --passphrase-file].
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
        /// Inside the store: print the plan and change nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// Finish or roll back a change interrupted by a crash (any write command does this first).
    Recover {
        #[arg(long)]
        json: bool,
    },
    /// Reverse the last applied change (from the journal).
    Undo {
        #[arg(long)]
        json: bool,
    },
    /// Java PKCS#12 keystores, keytool style (FILE is store-relative).
    Keystore {
        #[command(subcommand)]
        cmd: KeystoreCmd,
    },
    /// Passphrases of private key files (the file keeps its name; the old one goes to history).
    Key {
        #[command(subcommand)]
        cmd: KeyCmd,
    },
    /// Connect to a TLS port (HOST:PORT), show the chain it serves, and compare its leaf with the
    /// certificate files the server configs name (or the store's): flags a certificate renewed
    /// on disk but not reloaded. Exit 1 when the server serves an outdated certificate.
    Probe {
        target: String,
        /// SNI name to send (default: HOST when it is a name).
        #[arg(long)]
        servername: Option<String>,
        #[arg(long)]
        json: bool,
        /// Seconds for connecting and for each read/write.
        #[arg(long, default_value_t = 10)]
        timeout: u64,
    },
    /// certdeck's own history/ (what plans replaced or removed).
    History {
        #[command(subcommand)]
        cmd: HistoryCmd,
    },
    /// Create a demo store (generated now, no committed keys) and open it.
    Demo {
        /// Directory to create (default: a new directory under the system temp dir).
        dir: Option<PathBuf>,
        /// Only create the store and print its path.
        #[arg(long)]
        no_tui: bool,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum KeystoreCmd {
    /// List the aliases and entry types of a keystore (password: --passphrase-file).
    List {
        file: String,
        #[arg(long)]
        json: bool,
    },
    /// New key pair with a self-signed certificate under ALIAS (creates the keystore if needed;
    /// a new keystore's password comes from --new-passphrase-file, else --passphrase-file).
    Genkeypair {
        file: String,
        #[arg(long)]
        alias: String,
        #[command(flatten)]
        subject: SubjectArgs,
        /// rsa-2048 (default, what Java servers expect), rsa-3072, rsa-4096, ec-p256, ec-p384.
        #[arg(long = "key-type", default_value = "rsa-2048")]
        key_type: certdeck::pki::issue::KeyType,
        #[arg(long = "san")]
        sans: Vec<String>,
        #[arg(long, default_value_t = 365)]
        days: i64,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Certificate signing request from ALIAS's key and certificate subject.
    Certreq {
        file: String,
        #[arg(long)]
        alias: String,
        /// Store-relative output file.
        #[arg(long)]
        out: String,
        /// Extra subject alternative names.
        #[arg(long = "san")]
        sans: Vec<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Import the CA reply into ALIAS, replacing its self-signed certificate (the reply's key
    /// must be the entry's).
    ImportReply {
        file: String,
        #[arg(long)]
        alias: String,
        reply: PathBuf,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Add a trusted certificate entry (trustedCertEntry), truststore / cacerts style.
    AddTrusted {
        file: String,
        #[arg(long)]
        alias: String,
        cert: PathBuf,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Change the keystore password (old: --passphrase-file, new: --new-passphrase-file).
    Passwd {
        file: String,
        #[command(flatten)]
        write: WriteArgs,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum HistoryCmd {
    /// Remove unencrypted private keys kept in history/ for good (what `key encrypt` and
    /// replaced keys leave behind). Lists them and asks first; undo of those plans then stops
    /// working. The only command that deletes.
    Prune {
        /// Required: what to remove (plaintext private keys).
        #[arg(long, required = true)]
        plaintext_keys: bool,
        /// Do not ask (for scripts).
        #[arg(long)]
        yes: bool,
        /// Only list what would be removed.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum KeyCmd {
    /// Change an encrypted key's passphrase (old: --passphrase-file, new: --new-passphrase-file
    /// or CERTDECK_NEW_PASSPHRASE).
    Passwd {
        selector: String,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Encrypt a plain key (PKCS#8, PBKDF2-SHA256 + AES-256-CBC).
    Encrypt {
        selector: String,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Store an encrypted key unencrypted (old passphrase: --passphrase-file).
    Decrypt {
        selector: String,
        #[command(flatten)]
        write: WriteArgs,
    },
}

#[derive(Args, Debug, Clone)]
pub(crate) struct SubjectArgs {
    /// Common name (required for certificates and CSRs).
    #[arg(long, default_value = "")]
    pub(crate) cn: String,
    #[arg(long)]
    pub(crate) o: Option<String>,
    #[arg(long)]
    pub(crate) ou: Option<String>,
    #[arg(long)]
    pub(crate) c: Option<String>,
    #[arg(long)]
    pub(crate) st: Option<String>,
    #[arg(long)]
    pub(crate) l: Option<String>,
    #[arg(long)]
    pub(crate) email: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub(crate) struct WriteArgs {
    /// Print the plan and change nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Print what was done (or planned) as JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// Seconds to wait for another certdeck holding the store lock.
    #[arg(long, default_value_t = 10)]
    pub(crate) wait: u64,
    /// File with the passphrase for what is written (encrypted keys, PKCS#12 export).
    #[arg(long, value_name = "FILE")]
    pub(crate) new_passphrase_file: Option<PathBuf>,
    /// After applying, run the store's reload_command (from the config file) and show its output.
    #[arg(long)]
    pub(crate) reload: bool,
}

impl SubjectArgs {
    pub(crate) fn into_spec(self) -> certdeck::pki::issue::SubjectSpec {
        certdeck::pki::issue::SubjectSpec {
            cn: self.cn,
            o: self.o,
            ou: self.ou,
            c: self.c,
            st: self.st,
            l: self.l,
            email: self.email,
        }
    }
}
