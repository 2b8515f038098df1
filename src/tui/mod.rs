//! The terminal front end. `app` holds state and reacts to messages, `view` draws it, `keymap` is
//! the one table of bindings, `run` wires the terminal, the scan channel and the file watcher.

pub mod app;
pub mod children;
pub mod clipboard;
pub mod effects;
pub mod findings;
pub mod fleet;
pub mod flow;
pub mod fmt;
pub mod form;
pub mod history;
pub mod keymap;
pub mod keyring;
pub mod lineage;
pub mod lineedit;
pub mod listing;
pub mod menu;
pub mod mouse;
pub mod pager;
pub mod probe_memory;
pub mod scroll;
pub mod signals;
pub mod terminal;
pub mod textview;
pub mod theme;
pub mod timeline;
pub mod unlock;
pub mod view;
pub mod wire;

use crate::store::scan::ScanEvent;
use app::{App, Effect, Msg};
use crossbeam_channel::{Receiver, Sender, TryRecvError};
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use std::path::PathBuf;
use std::time::Duration;

pub struct TuiOptions {
    /// `--mono`; NO_COLOR (non-empty) also turns it on.
    pub mono: bool,
    /// Audit mode / `--read-only`: the status line shows READ-ONLY.
    pub read_only: bool,
    /// Days before expiry at which a certificate shows as expiring.
    pub warn_days: i64,
    /// What the file watcher saw change in the store: the files are re-read (or the store
    /// rescanned).
    pub changes: Option<Receiver<crate::store::watch::Change>>,
    /// Changed files can be re-read one by one (see `App::file_updates`).
    pub file_updates: bool,
    /// Passphrases for encrypted keys (signing CA keys, imports), from `--passphrase-file`;
    /// the unlock prompt adds to it. The scan factory should decode with the same keyring.
    pub passphrases: keyring::Keyring,
    /// Shown after a change: the store's reload command or a restart hint.
    pub after_apply: Option<String>,
    /// The store's reload command; `l` runs it after a confirm.
    pub reload_command: Option<String>,
    /// How scans are analysed (the scan factory's options; signatures are checked after).
    pub analyze: crate::store::inventory::AnalyzeOptions,
    /// The server configs (`--server-config`), for the findings that compare them with the store.
    pub servers: Vec<crate::servers::ServerConfig>,
    /// Days before expiry at which a finding is critical (`--crit-days`, the config's).
    pub crit_days: i64,
    /// OSC 52 copying (`y`, `Y`); off with `--no-clipboard`.
    pub clipboard: bool,
    /// Mouse capture (click, wheel); off with `--no-mouse`.
    pub mouse: bool,
    /// Global options passed on to the `certdeck acme` commands the TUI runs.
    pub acme_args: Vec<std::ffi::OsString>,
    /// The list is this fleet's (`certdeck fleet`): scans are loads from Prometheus.
    pub fleet: Option<fleet::FleetSource>,
}

impl Default for TuiOptions {
    fn default() -> Self {
        TuiOptions {
            mono: false,
            read_only: false,
            warn_days: 30,
            changes: None,
            file_updates: false,
            passphrases: Default::default(),
            after_apply: None,
            reload_command: None,
            analyze: Default::default(),
            servers: Vec::new(),
            crit_days: crate::pki::lint::LintOptions::default().crit_days,
            clipboard: true,
            mouse: true,
            acme_args: Vec::new(),
            fleet: None,
        }
    }
}

/// How long to wait for a key before looking at the channels again; also bounds input latency
/// for scan results.
const POLL: Duration = Duration::from_millis(50);
/// While a scan streams in: new rows show within a frame or two.
const POLL_SCANNING: Duration = Duration::from_millis(10);

pub fn run(
    store: PathBuf,
    // `None`: scan the whole store; `Some(files)`: re-read these (store-relative) files.
    rx_factory: impl Fn(Option<Vec<String>>) -> Receiver<ScanEvent>,
    opts: TuiOptions,
) -> anyhow::Result<()> {
    let signals = signals::Signals::install()?;
    signals.spawn_watchdog();
    let result = run_ui(store, rx_factory, opts, &signals);
    // A running `certdeck acme` must not outlive us (quit, or a SIGTERM/SIGHUP).
    children::terminate_all();
    // The terminal guard is dropped: the shell has its screen back. A SIGTERM/SIGHUP now ends
    // the process as it would have without us (an I/O error after a hangup included).
    if let Some(sig) = signals.pending() {
        signals::die_of(sig);
    }
    result
}

fn run_ui(
    store: PathBuf,
    rx_factory: impl Fn(Option<Vec<String>>) -> Receiver<ScanEvent>,
    opts: TuiOptions,
    signals: &signals::Signals,
) -> anyhow::Result<()> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut app = App::new(store, theme::Theme::from_env(opts.mono), now);
    app.clock = Some(Box::new(|| {
        time::OffsetDateTime::now_utc().unix_timestamp()
    }));
    app.read_only = opts.read_only || opts.fleet.is_some();
    app.fleet = opts.fleet.clone();
    app.warn_days = opts.warn_days;
    app.analyze = opts.analyze.clone();
    app.file_updates = opts.file_updates;
    app.servers = opts.servers.clone();
    app.crit_days = opts.crit_days;
    app.reload_configured = opts.reload_command.is_some();
    app.clipboard.enabled = opts.clipboard;
    app.keyring = opts.passphrases.clone();
    // Remembered outside the store, and only written by a session that may write.
    let probe_file = probe_memory::default_path();
    app.probe_last = (probe_file.as_deref()).and_then(|f| probe_memory::load(f, &app.store));
    // Seconds of checks at 100,000 items: never on this thread.
    app.findings_state.background = true;

    let mut guard = terminal::TerminalGuard::enter(opts.mouse)?;
    let term = &mut guard.terminal;
    let size = term.size()?;
    app.update(Msg::Resize(size.width, size.height));

    // Results of background jobs (plan building, applying) come back as Msgs on this channel,
    // and so does their progress.
    let (job_tx, job_rx) = crossbeam_channel::unbounded::<Msg>();
    let env = std::sync::Arc::new(effects::Env {
        passphrases: opts.passphrases.clone(),
        after_apply: opts.after_apply.clone(),
        reload_command: opts.reload_command.clone(),
        servers: opts.servers.clone(),
        probe_memory: probe_file.filter(|_| !opts.read_only),
        progress: Some(job_tx.clone()),
        acme_args: opts.acme_args.clone(),
        ..effects::Env::new(app.store.clone())
    });

    let mut scan = Some(rx_factory(None));
    // Background signature checks of the last complete scan.
    let mut verify: Option<Receiver<ScanEvent>> = None;
    app.scan_started();
    let mut dirty = true;
    let mut last_frame = scroll::LastFrame::default();
    loop {
        if signals.pending().is_some() {
            return Ok(());
        }
        if signals.stop_requested() {
            // `kill -TSTP` from outside: the terminal goes back first, as with Ctrl-Z.
            suspend_and_resume(term, &mut last_frame, &mut app, signals)?;
            dirty = true;
        }
        if signals.continued() {
            // Stopped and continued by someone else: modes and screen may be gone.
            terminal::resume(term)?;
            last_frame.reset();
            dirty = true;
        }
        if dirty {
            draw(term, &mut last_frame, &app)?;
            dirty = false;
            debug_panic_after_draw();
        }
        let mut msgs = Vec::new();
        let wait = if scan.is_some() { POLL_SCANNING } else { POLL };
        if event::poll(wait)? {
            // Take every queued event so a burst of keys costs one redraw.
            loop {
                match event::read()? {
                    Event::Key(k) if k.kind != KeyEventKind::Release => msgs.push(Msg::Key(k)),
                    Event::Paste(text) => msgs.push(Msg::Paste(text)),
                    // Without capture a terminal still may send reports: ignored, not keys.
                    Event::Mouse(m) if opts.mouse => msgs.push(Msg::Mouse(m)),
                    Event::Resize(w, h) => {
                        term.clear()?;
                        last_frame.reset();
                        msgs.push(Msg::Resize(w, h));
                    }
                    _ => {}
                }
                if !event::poll(Duration::ZERO)? {
                    break;
                }
            }
        }
        let scan_gone = scan.as_ref().is_some_and(|rx| drain_scan(rx, &mut msgs));
        if verify.as_ref().is_some_and(|rx| drain_scan(rx, &mut msgs)) {
            verify = None;
            // A verifier gone without its results (it panicked): nothing may wait for them.
            let answered = (msgs.iter()).any(|m| matches!(m, Msg::Scan(ScanEvent::Verified(_))));
            if app.verifying.is_some() && !answered {
                msgs.push(Msg::Scan(ScanEvent::Verified(Vec::new())));
            }
        }
        if let Some(changes) = &opts.changes {
            if let Some(change) = changes.try_iter().reduce(|a, b| a.merge(b)) {
                msgs.push(Msg::FsChanged(change));
            }
        }
        if scan_gone {
            scan = None;
        }
        msgs.extend(job_rx.try_iter());
        if msgs.is_empty() && !scan_gone {
            if !app.changes_waiting() {
                let waiting = app.chains_waiting();
                let judged = app.now;
                // With no changes waiting a tick's only effect is a findings job (the clock
                // moved on).
                for effect in app.update(Msg::Tick) {
                    if let Effect::Findings(job) = effect {
                        spawn_findings(job, &job_tx);
                    }
                }
                // The spinner moves while a job runs; verified chains may have gone in; the
                // clock may have moved on.
                dirty = app.busy.is_some() || waiting || app.now != judged;
                continue;
            }
            // Re-read files wait for the inventory: the tick that applies them has effects.
            msgs.push(Msg::Tick);
        }
        let keys = msgs.iter().filter(|m| matches!(m, Msg::Key(_))).count();
        let handling = std::time::Instant::now();
        let mut keys_left = keys;
        for msg in msgs {
            // Keys come first: their frame goes out before a batch of scan results is merged
            // and sorted, so typing during a 100,000-file scan does not wait for it.
            if keys > 0 && keys_left == 0 && !matches!(msg, Msg::Key(_)) {
                keys_left = usize::MAX;
                draw(term, &mut last_frame, &app)?;
                key_timing(keys, handling);
            }
            if matches!(msg, Msg::Key(_)) {
                keys_left = keys_left.saturating_sub(1);
            }
            let milestone = match &msg {
                Msg::Scan(ScanEvent::Done { .. } | ScanEvent::Walked { .. }) => {
                    Some("tui: all rows listed")
                }
                Msg::Scan(ScanEvent::Verified(_)) => Some("tui: signatures verified"),
                Msg::Scan(ScanEvent::Changed(_)) => Some("tui: changed files read"),
                _ => None,
            };
            dirty = true;
            for effect in app.update(msg) {
                match effect {
                    Effect::Quit => return Ok(()),
                    Effect::Redraw => {
                        term.clear()?;
                        last_frame.reset();
                    }
                    Effect::Copy(text) => terminal::copy_to_clipboard(&text)?,
                    Effect::Suspend => {
                        suspend_and_resume(term, &mut last_frame, &mut app, signals)?
                    }
                    Effect::Rescan => {
                        // Dropping the old receivers tells a running scanner or verifier to stop.
                        verify = None;
                        scan = Some(rx_factory(None));
                        app.scan_started();
                    }
                    // A running verification goes on: the files go in after its results.
                    Effect::Update(files) => scan = Some(rx_factory(Some(files))),
                    Effect::Verify(job) => {
                        let (inventory, which) = (job.0, job.1);
                        let opts = app.analyze.clone();
                        verify = Some(crate::store::scan::spawn_verify(inventory, opts, which))
                    }
                    Effect::Findings(job) => spawn_findings(job, &job_tx),
                    job @ (Effect::BuildPlan(_)
                    | Effect::ApplyPlan(_)
                    | Effect::Probe(_)
                    | Effect::ReadHistory
                    | Effect::ReadLineages) => spawn_job(job, &env, &app, &job_tx),
                }
            }
            if let Some(m) = milestone {
                crate::timing::mark(m);
            }
        }
        if scan_gone && scan.is_none() {
            // After the last items were applied, so a crashed scanner's partial results show.
            app.scan_stopped();
            dirty = true;
        }
        if keys > 0 && keys_left == 0 {
            draw(term, &mut last_frame, &app)?;
            dirty = false;
            key_timing(keys, handling);
        }
    }
}

/// Ctrl-Z or SIGTSTP: stop with the terminal given back; on resume a full repaint at the
/// terminal's size now.
fn suspend_and_resume(
    term: &mut terminal::Term,
    last_frame: &mut scroll::LastFrame,
    app: &mut App,
    signals: &signals::Signals,
) -> std::io::Result<()> {
    terminal::suspend(term)?;
    // The SIGCONT that woke us asks for what `suspend` just did.
    signals.continued();
    last_frame.reset();
    // The terminal may have been resized while we were stopped.
    let size = term.size()?;
    app.update(Msg::Resize(size.width, size.height));
    Ok(())
}

/// Debug builds only (tests): `CERTDECK_DEBUG_PANIC=1` panics after the first frame, so the
/// panic hook's restore can be seen end to end. Release builds have no such trigger.
fn debug_panic_after_draw() {
    #[cfg(debug_assertions)]
    if std::env::var_os("CERTDECK_DEBUG_PANIC").is_some_and(|v| v == "1") {
        panic!("CERTDECK_DEBUG_PANIC: panicking after the first frame as asked");
    }
}

/// Update plus the draw it causes: the cost of a keystroke (filter typing at 100k), and when the
/// frame went out (the pty benchmark compares it with when it typed).
fn key_timing(keys: usize, handling: std::time::Instant) {
    if crate::timing::enabled() {
        eprintln!(
            "timing: {keys} key(s) handled and drawn in {:.2} ms (drawn at monotonic {:.6} s)",
            handling.elapsed().as_secs_f64() * 1e3,
            crate::timing::monotonic_secs()
        );
    }
}

/// One frame: let the terminal scroll the list when that is cheaper, then draw the diff.
fn draw(term: &mut terminal::Term, last: &mut scroll::LastFrame, app: &App) -> std::io::Result<()> {
    scroll::scroll_if_cheaper(term, last, app)?;
    let frame = term.draw(|f| view::draw(f, app))?;
    last.record(app, frame.buffer);
    Ok(())
}

/// Run a writing effect off the UI thread; the UI keeps drawing (spinner) meanwhile.
fn spawn_job(job: Effect, env: &std::sync::Arc<effects::Env>, app: &App, tx: &Sender<Msg>) {
    let env = env.clone();
    let inv = app.inventory.clone();
    let tx = tx.clone();
    std::thread::spawn(move || {
        let msg = effects::execute(&job, &env, &inv)
            .unwrap_or_else(|| Msg::Applied(Err("internal: not a background effect".into())));
        // The receiver is gone only when the UI has quit; nothing left to tell.
        let _ = tx.send(msg);
    });
}

/// The findings on a worker thread (one at a time, see `findings`); the UI keeps going.
fn spawn_findings(job: findings::FindingsJob, tx: &Sender<Msg>) {
    let tx = tx.clone();
    std::thread::spawn(move || {
        let (generation, found) = job.run();
        // The receiver is gone only when the UI has quit.
        let _ = tx.send(Msg::Findings(generation, Box::new(found)));
    });
}

/// Move every waiting scan event into `msgs`, merging item batches so the list is rebuilt once
/// per loop turn. Returns true when the scanner went away without `Done`.
fn drain_scan(rx: &Receiver<ScanEvent>, msgs: &mut Vec<Msg>) -> bool {
    let mut batch = Vec::new();
    let mut gone = false;
    loop {
        match rx.try_recv() {
            Ok(ScanEvent::Items(items)) => batch.extend(items),
            Ok(other) => {
                let done = matches!(other, ScanEvent::Done { .. } | ScanEvent::Walked { .. });
                if !batch.is_empty() {
                    msgs.push(Msg::Scan(ScanEvent::Items(std::mem::take(&mut batch))));
                }
                msgs.push(Msg::Scan(other));
                if done {
                    break;
                }
            }
            Err(TryRecvError::Empty) => break,
            Err(TryRecvError::Disconnected) => {
                gone = true;
                break;
            }
        }
    }
    if !batch.is_empty() {
        msgs.push(Msg::Scan(ScanEvent::Items(batch)));
    }
    gone
}
