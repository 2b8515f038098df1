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
    /// Store directory to open (default: current directory).
    #[arg(long, short = 's', global = true, env = "CERTDECK_STORE")]
    store: Option<PathBuf>,
    /// Never write anything (TUI actions disabled).
    #[arg(long, global = true)]
    read_only: bool,
    /// File whose first line is a passphrase for encrypted keys / PKCS#12 files.
    #[arg(long, global = true, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    /// Days before expiry at which a certificate counts as expiring.
    #[arg(long, global = true, default_value_t = 30)]
    warn_days: i64,
    /// Also use the system trust store (/etc/ssl/certs) to build chains.
    #[arg(long, global = true)]
    system_trust: bool,
    /// No colours (also when NO_COLOR is set).
    #[arg(long, global = true)]
    mono: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List every item of the store.
    List {
        /// Print the JSON contract documented in README.md.
        #[arg(long)]
        json: bool,
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
        /// Days before expiry that are CRITICAL.
        #[arg(long, default_value_t = 7)]
        crit_days: i64,
        /// Do not use the system trust store as chain anchors.
        #[arg(long)]
        no_system_trust: bool,
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

fn main() -> ExitCode {
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
    opts.analyze.warn_days = g.warn_days;
    opts.analyze.system_trust = g.system_trust;
    opts.decode.warn_days = g.warn_days;
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
    let dir = store_dir(g)?;
    Ok(scan(&dir, &scan_options(g)?))
}

fn run(cli: Cli) -> Result<ExitCode> {
    let g = cli.global;
    match cli.command {
        Some(Command::List { json }) => {
            let inv = load(&g)?;
            if json {
                out(&cli::list::to_json(&inv));
            } else {
                out(&cli::list::to_table(&inv));
            }
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
        }) => return Ok(audit(&g, json, prometheus, crit_days, no_system_trust)),
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
        warn_days: g.warn_days,
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
    let watcher =
        certdeck::store::watch::watch(store.root(), std::time::Duration::from_millis(300)).ok();
    let (changes, _keep_alive) = match watcher {
        Some((w, rx)) => (Some(rx), Some(w)),
        None => (None, None),
    };
    let tui_opts = certdeck::tui::TuiOptions {
        mono: g.mono,
        read_only,
        warn_days: g.warn_days,
        changes,
    };
    let root = store.root().to_path_buf();
    certdeck::tui::run(root, move || store.spawn_scan(opts.clone()), tui_opts)?;
    Ok(ExitCode::SUCCESS)
}
