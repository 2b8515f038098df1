//! Starting the TUI: read-only sandbox when asked, the file watcher, the scan factory.

use std::process::ExitCode;

use anyhow::Result;

use super::global::{passphrases, scan_options, store_dir, Global};

/// `certdeck` without a subcommand (and `certdeck demo`).
pub fn run(g: &Global) -> Result<ExitCode> {
    let (opts, servers) = scan_options(g)?;
    let dir = store_dir(g)?;
    let read_only = g.read_only;
    if read_only {
        // Kernel-enforced on top of the read-only handle; the terminal stays writable.
        crate::sandbox::restrict_to_read_only(true);
    }
    let store = crate::store::handle::ReadOnlyStore::open(&dir)?;
    // Watching a 100,000-file tree means one inotify watch per directory: set it up off the
    // UI's path so the first rows are not delayed; changes are forwarded once it is ready.
    let (fwd_tx, changes) = crossbeam_channel::unbounded();
    let watch_root = store.root().to_path_buf();
    std::thread::spawn(move || {
        let Ok(rx) = crate::store::watch::watch(&watch_root, std::time::Duration::from_millis(300))
        else {
            return;
        };
        // Lives as long as the UI: the thread ends when the UI drops its receiver.
        for change in rx {
            if fwd_tx.send(change).is_err() {
                break;
            }
        }
    });
    let changes = Some(changes);
    // Shared with the UI: a passphrase typed into its unlock prompt opens files in every scan.
    let keyring = crate::tui::keyring::Keyring::new(passphrases(g)?);
    let tui_opts = crate::tui::TuiOptions {
        mono: g.mono,
        clipboard: !g.no_clipboard,
        mouse: !g.no_mouse,
        read_only,
        warn_days: g.warn(),
        changes,
        passphrases: keyring.clone(),
        analyze: opts.analyze.clone(),
        servers: servers.clone(),
        crit_days: g.crit_days.unwrap_or(7),
        // After a change the TUI says what the server needs; `l` runs the reload command, after
        // a confirm like any other change.
        after_apply: match (&g.reload_command, servers.first()) {
            (Some(cmd), _) => Some(format!("press l to run: {cmd}")),
            (None, Some(s)) => Some(format!("restart {} for this to take effect", s.kind.name())),
            (None, None) => None,
        },
        reload_command: g.reload_command.clone(),
        // With server configs a scan also attaches what they name: only a full one does.
        file_updates: servers.is_empty(),
        acme_args: acme_args(g),
        fleet: None,
    };
    let root = store.root().to_path_buf();
    let scans = move |files: Option<Vec<String>>| {
        // Each scan judges dates at its own time, not at the launch's.
        let mut opts = opts.clone();
        opts.decode.now = time::OffsetDateTime::now_utc().unix_timestamp();
        opts.analyze.now = opts.decode.now;
        opts.decode.passphrases = keyring.snapshot();
        match files {
            Some(files) => store.spawn_update(opts, files),
            None => store.spawn_scan(opts),
        }
    };
    crate::tui::run(root, scans, tui_opts)?;
    Ok(ExitCode::SUCCESS)
}

/// The global options a `certdeck acme` child started by the TUI must see as this process
/// did: the config, the server configs (the files a lineage writes), the store opt-in, the
/// passphrase file.
fn acme_args(g: &Global) -> Vec<std::ffi::OsString> {
    let mut v: Vec<std::ffi::OsString> = Vec::new();
    if let Some(c) = &g.config {
        v.extend(["--config".into(), c.clone().into_os_string()]);
    }
    for s in &g.server_config {
        v.extend(["--server-config".into(), s.into()]);
    }
    if g.safe_store {
        v.push("--safe-store".into());
    }
    if let Some(p) = &g.passphrase_file {
        v.extend(["--passphrase-file".into(), p.clone().into_os_string()]);
    }
    v
}
