//! certdeck: argument parsing and dispatch. All logic lives in the library.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use zeroize::Zeroizing;

use certdeck::cli;
use certdeck::store::inventory::Inventory;
use certdeck::store::scan::{scan, ScanOptions};
use certdeck::store::select;

#[derive(Parser, Debug)]
#[command(
    name = "certdeck",
    version,
    about = "Keyboard-driven terminal manager for the TLS certificates, keys, CRLs and keystores servers read",
    long_about = None
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args, Debug, Clone)]
struct Global {
    /// Store directory to open, or the name of a store in the config file (default: the
    /// config's default_store, else the current directory).
    #[arg(long, short = 's', global = true, env = "CERTDECK_STORE")]
    store: Option<PathBuf>,
    /// Config file with named stores (default: ~/.config/certdeck/config.toml when it exists).
    #[arg(long, global = true, env = "CERTDECK_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// A server's config file naming the files it uses: nginx.conf, harperdb-config.yaml,
    /// config-rpc.toml (Nano RPC), application.properties (Spring Boot); the kind is guessed from
    /// the name, or say KIND:FILE (nginx, harper, nano, spring). Repeatable.
    #[arg(long = "server-config", global = true, value_name = "FILE")]
    server_config: Vec<String>,
    /// Never write anything (TUI actions disabled).
    #[arg(long, global = true)]
    read_only: bool,
    /// File whose first line is a passphrase for encrypted keys / PKCS#12 files.
    #[arg(long, global = true, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    /// Days before expiry at which a certificate counts as expiring [default: 30, or the config's].
    #[arg(long, global = true)]
    warn_days: Option<i64>,
    /// Also use the system trust store (/etc/ssl/certs) to build chains.
    #[arg(long, global = true)]
    system_trust: bool,
    /// No colours (also when NO_COLOR is set).
    #[arg(long, global = true)]
    mono: bool,
    /// From the config file's store: days that are CRITICAL in an audit.
    #[arg(skip)]
    crit_days: Option<i64>,
    /// From the config file's store: its trust dir.
    #[arg(skip)]
    trust_dir: Option<String>,
    /// From the config file's store: how to make the server pick up a change.
    #[arg(skip)]
    reload_command: Option<String>,
    /// From the config file's store: the CA bundle kept in step with the trust dir.
    #[arg(skip)]
    trust_bundle: Option<String>,
}

impl Global {
    fn warn(&self) -> i64 {
        self.warn_days.unwrap_or(30)
    }

    fn trust_dir(&self, given: Option<String>) -> String {
        given
            .or_else(|| self.trust_dir.clone())
            .unwrap_or_else(|| certdeck::actions::DEFAULT_TRUST_DIR.to_string())
    }
}

#[derive(Subcommand, Debug)]
enum Command {
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
        #[arg(long)]
        out: PathBuf,
        /// PKCS#12 with RC2/3DES + SHA-1 MAC for old consumers.
        #[arg(long)]
        legacy: bool,
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
enum KeystoreCmd {
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
enum KeyCmd {
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
struct SubjectArgs {
    /// Common name (required for certificates and CSRs).
    #[arg(long, default_value = "")]
    cn: String,
    #[arg(long)]
    o: Option<String>,
    #[arg(long)]
    ou: Option<String>,
    #[arg(long)]
    c: Option<String>,
    #[arg(long)]
    st: Option<String>,
    #[arg(long)]
    l: Option<String>,
    #[arg(long)]
    email: Option<String>,
}

#[derive(Args, Debug, Clone)]
struct WriteArgs {
    /// Print the plan and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print what was done (or planned) as JSON.
    #[arg(long)]
    json: bool,
    /// Seconds to wait for another certdeck holding the store lock.
    #[arg(long, default_value_t = 10)]
    wait: u64,
    /// File with the passphrase for what is written (encrypted keys, PKCS#12 export).
    #[arg(long, value_name = "FILE")]
    new_passphrase_file: Option<PathBuf>,
    /// After applying, run the store's reload_command (from the config file) and show its output.
    #[arg(long)]
    reload: bool,
}

impl SubjectArgs {
    fn into_spec(self) -> certdeck::pki::issue::SubjectSpec {
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

/// mimalloc: a scan makes millions of small allocations from several threads; glibc's malloc
/// spent a tenth of a 10,000-file `list` in malloc/free and kept freed memory mapped.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Arenas committed on use, not eagerly: a few MB less peak RSS at no measurable cost.
/// (Purging freed memory at once, `mi_option_purge_delay` 0, saves ~15 MB more on 100,000
/// items but made a 10,000-file `list` ~20 % slower in an A/B of 40 runs: not taken.)
fn tune_allocator() {
    // Option number from the bundled mimalloc v2 `mimalloc.h` (`mi_option_e`); the Rust
    // bindings do not name it.
    const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
    // SAFETY: setting a documented option of the allocator in use; no memory is touched.
    unsafe {
        libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0);
    }
}

fn main() -> ExitCode {
    tune_allocator();
    certdeck::timing::init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("certdeck: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Print to stdout; a closed pipe (`certdeck list | head`) is not an error.
fn out(s: &str) {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(s.as_bytes());
    if !s.ends_with('\n') {
        let _ = o.write_all(b"\n");
    }
    let _ = o.flush();
}

fn scan_options(g: &Global) -> Result<ScanOptions> {
    let mut opts = ScanOptions::default();
    opts.analyze.warn_days = g.warn();
    opts.analyze.system_trust = g.system_trust;
    opts.decode.warn_days = g.warn();
    opts.servers =
        certdeck::servers::load_all(&g.server_config).context("cannot read server config")?;
    if let Some(f) = &g.passphrase_file {
        let raw = Zeroizing::new(
            std::fs::read_to_string(f)
                .with_context(|| format!("cannot read passphrase file {}", f.display()))?,
        );
        let line = Zeroizing::new(raw.lines().next().unwrap_or("").to_string());
        opts.decode.passphrases.push(line);
    }
    Ok(opts)
}

fn store_dir(g: &Global) -> Result<PathBuf> {
    let dir = match &g.store {
        Some(s) => s.clone(),
        None => std::env::current_dir()?,
    };
    if !dir.is_dir() {
        bail!("store {} is not a directory", dir.display());
    }
    Ok(dir)
}

fn load(g: &Global) -> Result<Inventory> {
    load_with(g, |_| {})
}

/// Scan with the global options, adjusted by the subcommand.
fn load_with(g: &Global, adjust: impl FnOnce(&mut ScanOptions)) -> Result<Inventory> {
    let dir = store_dir(g)?;
    let mut opts = scan_options(g)?;
    adjust(&mut opts);
    Ok(scan(&dir, &opts))
}

/// Apply the config file: `--store NAME`, default store, and the store's settings where the
/// command line does not set them.
fn resolve_config(g: &mut Global) -> Result<()> {
    let cfg = certdeck::config::load_optional(g.config.as_deref()).context("config file")?;
    let sel = cfg.select(g.store.as_deref());
    if let Some(dir) = sel.dir {
        g.store = Some(dir);
    }
    if let Some(s) = sel.store {
        g.server_config.extend(s.server_configs.iter().cloned());
        if let Some(layout) = s.layout {
            if s.server_configs.is_empty() {
                g.server_config
                    .extend(layout.implied_server_configs(&s.path));
            }
            if s.trust_dir.is_none() {
                g.trust_dir = layout.default_trust_dir().map(str::to_string);
            }
        }
        g.warn_days = g.warn_days.or(s.warn_days);
        g.crit_days = s.crit_days;
        if s.trust_dir.is_some() {
            g.trust_dir = s.trust_dir;
        }
        g.trust_bundle = s.trust_bundle;
        g.reload_command = s.reload_command;
    }
    g.warn_days = g.warn_days.or(cfg.warn_days);
    g.crit_days = g.crit_days.or(cfg.crit_days);
    Ok(())
}

fn run(cli: Cli) -> Result<ExitCode> {
    let mut g = cli.global;
    if let Err(e) = resolve_config(&mut g) {
        if let Some(Command::Audit { json, .. }) = &cli.command {
            // Monitoring reads exit 3 as UNKNOWN.
            if *json {
                out(&serde_json::json!({"status": "UNKNOWN", "exit_code": 3, "error": format!("{e:#}")}).to_string());
            } else {
                out(&format!("CERTDECK UNKNOWN - {e:#}"));
            }
            return Ok(ExitCode::from(3));
        }
        return Err(e);
    }
    match cli.command {
        Some(Command::List { json, no_verify }) => {
            let inv = load_with(&g, |o| o.analyze.verify_signatures = !no_verify)?;
            if json {
                // A closed pipe (`| head`) is not an error.
                use std::io::IsTerminal;
                let stdout = std::io::stdout();
                let pretty = stdout.is_terminal();
                let _ = cli::list::write_json(&inv, stdout.lock(), pretty);
                certdeck::timing::mark("json");
            } else {
                out(&cli::list::to_table(&inv));
            }
            // 100,000 items hold millions of small allocations; the process exit returns them
            // all at once, freeing them one by one first would only delay the prompt.
            std::mem::forget(inv);
        }
        Some(Command::Show { selector, json }) => {
            let inv = load(&g)?;
            let it = select::resolve_one(&inv, &selector)?;
            if json {
                out(&cli::show::to_json(&inv.store, it));
            } else {
                out(&cli::show::to_text(it));
            }
        }
        Some(Command::Audit {
            json,
            prometheus,
            crit_days,
            no_system_trust,
        }) => {
            let crit = crit_days.or(g.crit_days).unwrap_or(7);
            return Ok(audit(&g, json, prometheus, crit, no_system_trust));
        }
        Some(Command::Probe {
            target,
            servername,
            json,
            timeout,
        }) => return probe(&g, &target, servername.as_deref(), json, timeout),
        Some(Command::Generate {
            kind: certdeck::actions::GenKind::Dhparam,
            bits,
            out,
            write,
            ..
        }) => {
            return apply_action(&g, &write, |ctx| {
                certdeck::actions::keyfile::dhparam(ctx, bits, out.as_deref())
            });
        }
        Some(Command::Generate {
            kind,
            subject,
            key_type,
            sans,
            days,
            ca,
            dir,
            encrypt_key,
            path_len,
            replace,
            write,
            ..
        }) => {
            let encrypt = if encrypt_key {
                Some(new_passphrase(&write)?)
            } else {
                None
            };
            let args = certdeck::actions::GenerateArgs {
                kind,
                key_type,
                subject: subject.into_spec(),
                sans,
                days,
                ca,
                dir,
                encrypt_key: encrypt,
                path_len,
                replace,
            };
            return apply_action(&g, &write, |ctx| certdeck::actions::generate(ctx, &args));
        }
        Some(Command::Sign {
            csr,
            ca,
            profile,
            days,
            out,
            write,
        }) => {
            let bytes =
                std::fs::read(&csr).with_context(|| format!("cannot read {}", csr.display()))?;
            return apply_action(&g, &write, |ctx| {
                certdeck::actions::sign_csr(ctx, &bytes, &ca, profile, days, out.as_deref())
            });
        }
        Some(Command::Import {
            files,
            dir,
            allow_orphan_key,
            write,
        }) => {
            let mut data = vec![];
            for f in &files {
                let bytes =
                    std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
                let name = f
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                data.push((name, bytes));
            }
            let args = certdeck::actions::ImportArgs {
                files: &data,
                dir,
                allow_orphan_key,
            };
            return apply_action(&g, &write, |ctx| certdeck::actions::import(ctx, &args));
        }
        Some(Command::ReplaceCert {
            cert,
            key,
            site,
            write,
        }) => {
            let cert_bytes =
                std::fs::read(&cert).with_context(|| format!("cannot read {}", cert.display()))?;
            let key_bytes = Zeroizing::new(
                std::fs::read(&key).with_context(|| format!("cannot read {}", key.display()))?,
            );
            let servers = scan_options(&g)?.servers;
            return apply_action(&g, &write, |ctx| {
                certdeck::actions::servercert::replace_server_cert(
                    ctx,
                    &certdeck::actions::servercert::ReplaceArgs {
                        servers: &servers,
                        site: site.as_deref(),
                        cert: &cert_bytes,
                        key: key_bytes.clone(),
                    },
                )
            });
        }
        Some(Command::Trust {
            selector,
            dir,
            bundle,
            write,
        }) => {
            return trust_dir_action(&g, &write, dir, bundle, |ctx, dir| {
                certdeck::actions::trust(ctx, &selector, dir)
            })
        }
        Some(Command::Revoke {
            selector,
            dir,
            bundle,
            write,
        }) => {
            return trust_dir_action(&g, &write, dir, bundle, |ctx, dir| {
                certdeck::actions::revoke(ctx, &selector, dir)
            })
        }
        Some(Command::Rehash { dir, bundle, write }) => {
            return trust_dir_action(&g, &write, dir, bundle, certdeck::actions::rehash)
        }
        Some(Command::Export {
            selector,
            format,
            out: out_path,
            legacy,
            json,
        }) => {
            let opts = scan_options(&g)?;
            let store = certdeck::store::handle::ReadOnlyStore::open(&store_dir(&g)?)?;
            let inv = store.scan(&opts);
            let ctx = certdeck::actions::Ctx {
                inv: &inv,
                passphrases: &opts.decode.passphrases,
                now: time::OffsetDateTime::now_utc(),
            };
            let p12_pass = if format == certdeck::actions::ExportFormat::P12 {
                Some(new_passphrase(&WriteArgs {
                    dry_run: false,
                    json,
                    wait: 0,
                    new_passphrase_file: g.passphrase_file.clone(),
                    reload: false,
                })?)
            } else {
                None
            };
            let (bytes, secret) =
                certdeck::actions::export(&ctx, &selector, format, p12_pass.as_ref(), legacy)?;
            write_export(&out_path, &bytes, secret)?;
            let msg = serde_json::json!({"exported": selector, "out": out_path.display().to_string(), "bytes": bytes.len(), "mode": if secret {"0600"} else {"0644"}});
            out(&if json {
                msg.to_string()
            } else {
                format!(
                    "wrote {} ({} bytes, mode {})",
                    out_path.display(),
                    bytes.len(),
                    if secret { "0600" } else { "0644" }
                )
            });
        }
        Some(Command::Recover { json }) => {
            if g.read_only {
                bail!("read-only: recover may change the store");
            }
            let store = certdeck::store::handle::WritableStore::open_wait(
                &store_dir(&g)?,
                std::time::Duration::from_secs(10),
            )?;
            let r = store.recovered();
            out(&if json {
                serde_json::to_string_pretty(r)?
            } else if r.rolled_back.is_empty() {
                "nothing to recover".to_string()
            } else {
                format!(
                    "rolled back interrupted change(s): {}",
                    r.rolled_back.join(", ")
                )
            });
        }
        Some(Command::Undo { json }) => {
            if g.read_only {
                bail!("read-only: undo changes the store");
            }
            let store = certdeck::store::handle::WritableStore::open_wait(
                &store_dir(&g)?,
                std::time::Duration::from_secs(10),
            )?;
            let r = store.undo()?;
            out(&if json {
                serde_json::to_string_pretty(&r)?
            } else {
                format!("undone: {} ({})", r.undone_action, r.undone_id)
            });
        }
        Some(Command::Keystore { cmd }) => return keystore_cmd(&g, cmd),
        Some(Command::Key { cmd }) => {
            use certdeck::actions::keyfile::{key_passphrase, KeyPassOp};
            let (selector, write, op) = match cmd {
                KeyCmd::Passwd { selector, write } => (selector, write, KeyPassOp::Passwd),
                KeyCmd::Encrypt { selector, write } => (selector, write, KeyPassOp::Encrypt),
                KeyCmd::Decrypt { selector, write } => (selector, write, KeyPassOp::Decrypt),
            };
            let new = if op == KeyPassOp::Decrypt {
                None
            } else {
                Some(new_passphrase(&write)?)
            };
            if op == KeyPassOp::Decrypt && !write.dry_run {
                eprintln!(
                    "certdeck: warning: the key will be stored unencrypted (mode 0600); anyone who can read the file has the key"
                );
            }
            return apply_action(&g, &write, |ctx| {
                key_passphrase(ctx, &selector, op, new.as_ref())
            });
        }
        Some(Command::Demo { dir, no_tui }) => {
            let dir = match dir {
                Some(d) => d,
                None => std::env::temp_dir().join(format!(
                    "certdeck-demo-{}",
                    time::OffsetDateTime::now_utc().unix_timestamp()
                )),
            };
            certdeck::demo::create_demo_store(&dir, time::OffsetDateTime::now_utc())
                .with_context(|| format!("cannot create demo store in {}", dir.display()))?;
            if no_tui {
                println!("{}", dir.display());
            } else {
                let g = Global {
                    store: Some(dir),
                    ..g
                };
                return run_tui(&g);
            }
        }
        None => return run_tui(&g),
    }
    Ok(ExitCode::SUCCESS)
}

/// A FILE argument as a store-relative path (absolute paths must be inside the store).
fn store_rel(g: &Global, file: &str) -> Result<String> {
    let p = std::path::Path::new(file);
    if p.is_absolute() {
        let dir = store_dir(g)?;
        let dir = dir.canonicalize().unwrap_or(dir);
        let rel = p
            .strip_prefix(&dir)
            .with_context(|| format!("{file} is not inside the store {}", dir.display()))?;
        return Ok(rel.to_string_lossy().into_owned());
    }
    Ok(file.trim_start_matches("./").to_string())
}

fn keystore_cmd(g: &Global, cmd: KeystoreCmd) -> Result<ExitCode> {
    use certdeck::actions::keystore as ks;
    let optional_new = |w: &WriteArgs| -> Result<Option<Zeroizing<String>>> {
        if w.new_passphrase_file.is_some() || std::env::var_os("CERTDECK_NEW_PASSPHRASE").is_some()
        {
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
            if info.locked {
                bail!("{file} is locked: give its password with --passphrase-file");
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
                        e.alias, e.certificates
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

/// The passphrase protecting something we write: a file, or CERTDECK_NEW_PASSPHRASE.
fn new_passphrase(w: &WriteArgs) -> Result<Zeroizing<String>> {
    if let Some(f) = &w.new_passphrase_file {
        let raw = Zeroizing::new(
            std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?,
        );
        return Ok(Zeroizing::new(raw.lines().next().unwrap_or("").to_string()));
    }
    if let Ok(p) = std::env::var("CERTDECK_NEW_PASSPHRASE") {
        return Ok(Zeroizing::new(p));
    }
    // Interactive: ask on the terminal, twice, echo off.
    cli::prompt::passphrase("new passphrase: ", true).context(
        "a passphrase is needed: --new-passphrase-file FILE, CERTDECK_NEW_PASSPHRASE, or a terminal to ask on",
    )
}

/// Build a plan from a fresh inventory, then print it (--dry-run, read-only handle) or apply it
/// under the store lock.
fn apply_action(
    g: &Global,
    w: &WriteArgs,
    build: impl FnOnce(&certdeck::actions::Ctx) -> Result<certdeck::store::plan::Plan>,
) -> Result<ExitCode> {
    let opts = scan_options(g)?;
    let dir = store_dir(g)?;
    let now = time::OffsetDateTime::now_utc();
    if w.dry_run {
        let store = certdeck::store::handle::ReadOnlyStore::open(&dir)?;
        let inv = store.scan(&opts);
        let ctx = certdeck::actions::Ctx {
            inv: &inv,
            passphrases: &opts.decode.passphrases,
            now,
        };
        let plan = build(&ctx)?;
        certdeck::store::layout::check_plan(&dir, &plan).map_err(|e| anyhow::anyhow!(e))?;
        out(&if w.json {
            serde_json::to_string_pretty(
                &serde_json::json!({"dry_run": true, "action": plan.action, "ops": plan.preview(store.root())}),
            )?
        } else {
            format!(
                "dry run, nothing changed:\n{}",
                plan.preview_text(store.root())
            )
        });
        return Ok(ExitCode::SUCCESS);
    }
    if g.read_only {
        bail!("read-only: this command changes the store (use --dry-run to see the plan)");
    }
    let store = certdeck::store::handle::WritableStore::open_wait(
        &dir,
        std::time::Duration::from_secs(w.wait),
    )?;
    if !store.waited().is_zero() && store.waited() > std::time::Duration::from_millis(100) {
        eprintln!(
            "certdeck: waited {:.1}s for another certdeck to release the store",
            store.waited().as_secs_f64()
        );
    }
    let inv = store.scan(&opts);
    let ctx = certdeck::actions::Ctx {
        inv: &inv,
        passphrases: &opts.decode.passphrases,
        now,
    };
    let plan = build(&ctx)?;
    certdeck::store::layout::check_plan(&dir, &plan).map_err(|e| anyhow::anyhow!(e))?;
    // Describe the plan against the store as it was, not as it is after applying.
    let preview = plan.preview_text(store.root());
    let report = store.apply(&plan)?;
    out(&if w.json {
        serde_json::to_string_pretty(&report)?
    } else {
        preview
    });
    let touched: Vec<String> = plan
        .ordered()
        .iter()
        .map(|op| op.path().to_string())
        .collect();
    after_apply(g, w, &opts.servers, &touched, store.root())
}

/// After a change: run the reload command (--reload), or say how to make the server see it.
fn after_apply(
    g: &Global,
    w: &WriteArgs,
    servers: &[certdeck::servers::ServerConfig],
    touched: &[String],
    root: &std::path::Path,
) -> Result<ExitCode> {
    let affected = certdeck::servers::affected(servers, touched, root);
    let say = |s: &str| {
        if w.json {
            eprintln!("{s}");
        } else {
            out(s);
        }
    };
    match &g.reload_command {
        Some(cmd) if w.reload => {
            say(&format!("reload: {cmd}"));
            let r = certdeck::servers::reload::run(cmd, std::time::Duration::from_secs(120))?;
            if !r.output.is_empty() {
                say(r.output.trim_end());
            }
            if !r.success {
                bail!(
                    "the change is applied, but the reload command failed ({})",
                    r.status
                );
            }
        }
        Some(cmd) => say(&format!("reload with: {cmd}   (or pass --reload)")),
        None => {
            if w.reload {
                eprintln!(
                    "certdeck: --reload: this store has no reload_command in the config file"
                );
            }
            for (server, why) in &affected {
                say(&format!("restart {server} for this to take effect ({why})"));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `certdeck probe HOST:PORT`.
fn probe(
    g: &Global,
    target: &str,
    servername: Option<&str>,
    json: bool,
    timeout: u64,
) -> Result<ExitCode> {
    use certdeck::servers::probe::{compare, probe as connect, Verdict};
    let result = connect(
        target,
        servername,
        std::time::Duration::from_secs(timeout.max(1)),
    )?;
    let compare_with = g.store.is_some() || !g.server_config.is_empty();
    let comparison = match (compare_with, result.chain.first()) {
        (true, Some(leaf)) => {
            let opts = scan_options(g)?;
            let inv = scan(&store_dir(g)?, &opts);
            Some(compare(leaf, &inv, &opts.servers))
        }
        _ => None,
    };
    let code = match &comparison {
        Some(c) if c.verdict == Verdict::NotReloaded => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    };
    if json {
        out(&serde_json::to_string_pretty(&serde_json::json!({
            "address": result.address,
            "servername": result.servername,
            "protocol": result.protocol,
            "cipher_suite": result.cipher_suite,
            "chain": result.chain,
            "comparison": comparison,
        }))?);
        return Ok(code);
    }
    let mut s = format!(
        "{} ({}, {}){}\n",
        result.address,
        result.protocol,
        result.cipher_suite,
        result
            .servername
            .as_deref()
            .map(|n| format!(", SNI {n}"))
            .unwrap_or_default()
    );
    for (i, c) in result.chain.iter().enumerate() {
        s.push_str(&format!(
            "  {i} {}\n    issuer  {}\n    serial  {}\n    expires {} ({} days)\n    sha256  {}\n",
            c.subject,
            c.issuer,
            c.serial,
            c.not_after,
            c.days_left,
            certdeck::pki::cert::colon_hex(&c.sha256)
        ));
        if !c.sans.is_empty() {
            s.push_str(&format!("    SANs    {}\n", c.sans.join(", ")));
        }
    }
    if let Some(c) = &comparison {
        let tag = match c.verdict {
            Verdict::Matches => "OK",
            Verdict::NotReloaded => "WARNING",
            Verdict::NotOnDisk => "NOTE",
        };
        s.push_str(&format!("{tag}: {}\n", c.message));
    }
    out(&s);
    Ok(code)
}

/// trust / revoke / rehash: resolve the trust dir and bundle (flag, then config), build the plan
/// and keep the bundle in step.
fn trust_dir_action(
    g: &Global,
    w: &WriteArgs,
    dir: Option<String>,
    bundle: Option<String>,
    build: impl FnOnce(&certdeck::actions::Ctx, &str) -> Result<certdeck::store::plan::Plan>,
) -> Result<ExitCode> {
    let dir = g.trust_dir(dir);
    let bundle = bundle.or(g.trust_bundle.clone());
    apply_action(g, w, |ctx| {
        let plan = build(ctx, &dir)?;
        certdeck::actions::with_bundle(ctx, plan, &dir, bundle.as_deref())
    })
}

/// Exports go outside the store: still atomic, and 0600 from the first byte when secret.
fn write_export(path: &std::path::Path, bytes: &[u8], secret: bool) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let tmp = dir.join(format!(".certdeck-tmp-export-{}", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(if secret { 0o600 } else { 0o644 })
        .custom_flags(libc::O_NOFOLLOW)
        .open(&tmp)
        .with_context(|| format!("cannot create {}", tmp.display()))?;
    let r = f
        .write_all(bytes)
        .and_then(|_| f.sync_all())
        .and_then(|_| std::fs::rename(&tmp, path));
    if let Err(e) = r {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", path.display()));
    }
    Ok(())
}

/// Exit 3 (UNKNOWN) when the store cannot be read at all, as monitoring expects.
fn audit(
    g: &Global,
    json: bool,
    prometheus: bool,
    crit_days: i64,
    no_system_trust: bool,
) -> ExitCode {
    let sandbox = certdeck::sandbox::restrict_to_read_only(false);
    let dir = g
        .store
        .clone()
        .unwrap_or_else(|| std::env::current_dir().unwrap_or_default());
    let store = match certdeck::store::handle::ReadOnlyStore::open(&dir) {
        Ok(s) => s,
        Err(e) => {
            if json {
                out(&serde_json::json!({"store": dir.display().to_string(), "status": "UNKNOWN", "exit_code": 3, "error": e.to_string()}).to_string());
            } else {
                out(&format!("CERTDECK UNKNOWN - {e}"));
            }
            return ExitCode::from(3);
        }
    };
    let mut scan_opts = match scan_options(g) {
        Ok(o) => o,
        Err(e) => {
            out(&format!("CERTDECK UNKNOWN - {e:#}"));
            return ExitCode::from(3);
        }
    };
    scan_opts.analyze.system_trust = !no_system_trust;
    let lint = certdeck::pki::lint::LintOptions {
        now: scan_opts.analyze.now,
        warn_days: g.warn(),
        crit_days,
    };
    let report = certdeck::audit::run(&store, &scan_opts, &lint);
    if json {
        out(&report.to_json());
    } else if prometheus {
        out(&report.to_prometheus());
    } else {
        out(&report.to_table());
        if std::env::var_os("CERTDECK_DEBUG").is_some() {
            eprintln!("{}", sandbox.label());
        }
    }
    ExitCode::from(report.exit_code)
}

fn run_tui(g: &Global) -> Result<ExitCode> {
    let opts = scan_options(g)?;
    let dir = store_dir(g)?;
    let read_only = g.read_only;
    if read_only {
        // Kernel-enforced on top of the read-only handle; the terminal stays writable.
        certdeck::sandbox::restrict_to_read_only(true);
    }
    let store = certdeck::store::handle::ReadOnlyStore::open(&dir)?;
    // Watching a 100,000-file tree means one inotify watch per directory: set it up off the
    // UI's path so the first rows are not delayed; changes are forwarded once it is ready.
    let (fwd_tx, changes) = crossbeam_channel::bounded::<()>(1);
    let watch_root = store.root().to_path_buf();
    std::thread::spawn(move || {
        let Ok(rx) =
            certdeck::store::watch::watch(&watch_root, std::time::Duration::from_millis(300))
        else {
            return;
        };
        // Lives as long as the UI: the thread ends when the UI drops its receiver.
        while rx.recv().is_ok() {
            if let Err(crossbeam_channel::TrySendError::Disconnected(_)) = fwd_tx.try_send(()) {
                break;
            }
        }
    });
    let changes = Some(changes);
    let tui_opts = certdeck::tui::TuiOptions {
        mono: g.mono,
        read_only,
        warn_days: g.warn(),
        changes,
        passphrases: opts.decode.passphrases.clone(),
        analyze: opts.analyze.clone(),
        // After a change the TUI says what the server needs; `l` runs the reload command, after
        // a confirm like any other change.
        after_apply: match (&g.reload_command, opts.servers.first()) {
            (Some(cmd), _) => Some(format!("press l to run: {cmd}")),
            (None, Some(s)) => Some(format!("restart {} for this to take effect", s.kind.name())),
            (None, None) => None,
        },
        reload_command: g.reload_command.clone(),
    };
    let root = store.root().to_path_buf();
    certdeck::tui::run(root, move || store.spawn_scan(opts.clone()), tui_opts)?;
    Ok(ExitCode::SUCCESS)
}
