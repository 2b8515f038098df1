//! Terminal setup, and putting it back on every way out: the guard's drop (quit, an error), a
//! panic (the hook below, installed before the terminal is touched), a terminating signal (the
//! run loop ends, see `signals`) and Ctrl-Z (`suspend`, which takes the terminal again on `fg`).

use super::wire::WireBackend;
use ratatui::crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use ratatui::crossterm::{cursor, execute, queue, terminal};
use ratatui::Terminal;
use std::cell::Cell;
use std::io::{self, Stdout, Write};

pub type Term = Terminal<WireBackend<Stdout>>;

/// Owns the terminal in raw mode on the alternate screen; `Drop` puts it back.
pub struct TerminalGuard {
    pub terminal: Term,
}

thread_local! {
    /// This thread set the terminal up and has not put it back: its panic restores it. A
    /// panicking worker thread does not (the UI goes on and reports the lost job).
    static OWNS_TERMINAL: Cell<bool> = const { Cell::new(false) };
}

/// Mouse capture asked for (not `--no-mouse`): taken again on every resume.
static MOUSE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// What undoes `take`'s modes (and a mouse mode, should anything have turned one on): leave
/// the alternate screen, show the cursor, stop bracketed paste.
pub fn write_restore(w: &mut impl Write) -> io::Result<()> {
    queue!(
        w,
        DisableBracketedPaste,
        DisableMouseCapture,
        terminal::LeaveAlternateScreen,
        cursor::Show
    )?;
    w.flush()
}

/// Best effort: we may be mid-panic or the terminal may be gone (SIGHUP), so errors are
/// ignored.
fn restore() {
    // Once: leaving the alternate screen twice would move the cursor back over what was
    // printed in between (a panic's message).
    if !OWNS_TERMINAL.with(|o| o.replace(false)) {
        return;
    }
    let _ = terminal::disable_raw_mode();
    let _ = write_restore(&mut io::stdout());
}

/// Raw mode, the alternate screen, bracketed paste (a paste arrives as text, not keys).
fn take() -> io::Result<()> {
    terminal::enable_raw_mode()?;
    OWNS_TERMINAL.with(|o| o.set(true));
    // Raw mode delivers Ctrl-C and Ctrl-Z as keys: the app quits through Drop, suspends
    // through `suspend`.
    execute!(
        io::stdout(),
        terminal::EnterAlternateScreen,
        EnableBracketedPaste,
        cursor::Hide
    )?;
    if MOUSE.load(std::sync::atomic::Ordering::Relaxed) {
        execute!(io::stdout(), EnableMouseCapture)?;
    }
    Ok(())
}

fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // A panic must leave a usable shell: restore first, then let the previous hook print
        // (on the normal screen, where the message stays readable).
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if OWNS_TERMINAL.with(Cell::get) {
                restore();
            }
            previous(info);
        }));
    });
}

impl TerminalGuard {
    /// `mouse`: report clicks and the wheel (off: the terminal keeps its own selection).
    pub fn enter(mouse: bool) -> anyhow::Result<TerminalGuard> {
        MOUSE.store(mouse, std::sync::atomic::Ordering::Relaxed);
        install_panic_hook();
        if let Err(e) = take() {
            restore();
            return Err(e.into());
        }
        let terminal = match Terminal::new(WireBackend::new(io::stdout())) {
            Ok(t) => t,
            Err(e) => {
                restore();
                return Err(e.into());
            }
        };
        Ok(TerminalGuard { terminal })
    }
}

/// Ctrl-Z or `kill -TSTP`: give the terminal back to the shell, stop as any job does (SIGTSTP's
/// default action; the signal itself is caught, see `signals`), and on `fg` or `kill -CONT`
/// take it again and clear it, so the next draw repaints everything.
pub fn suspend(term: &mut Term) -> io::Result<()> {
    restore();
    super::signals::stop_now()?;
    resume(term)
}

/// After a stop (ours or someone's `kill -STOP`): the shell may have reset the modes.
pub fn resume(term: &mut Term) -> io::Result<()> {
    // Back to the saved cooked mode first, or enabling raw mode again would be a no-op.
    let _ = terminal::disable_raw_mode();
    take()?;
    term.clear()
}

/// OSC 52 between frames: the terminal (or tmux, `set-clipboard on`) sets its clipboard.
pub fn copy_to_clipboard(text: &str) -> io::Result<()> {
    let mut out = io::stdout();
    out.write_all(super::clipboard::osc52(text).as_bytes())?;
    out.flush()
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_leaves_the_alternate_screen_shows_the_cursor_and_stops_paste_and_mouse() {
        let mut out = Vec::new();
        write_restore(&mut out).unwrap();
        let s = String::from_utf8(out).unwrap();
        for (seq, what) in [
            ("\x1b[?1049l", "alternate screen left"),
            ("\x1b[?25h", "cursor shown"),
            ("\x1b[?2004l", "bracketed paste off"),
            ("\x1b[?1000l", "mouse reporting off"),
        ] {
            assert!(s.contains(seq), "{what}: {s:?}");
        }
    }

    #[test]
    fn a_panic_on_the_terminal_thread_restores_first() {
        install_panic_hook();
        // Stand in for an entered terminal without touching the test's own tty: the hook must
        // clear the flag (restore ran) before the panic unwinds.
        let result = std::thread::spawn(|| {
            OWNS_TERMINAL.with(|o| o.set(true));
            let caught = std::panic::catch_unwind(|| panic!("boom"));
            (caught.is_err(), OWNS_TERMINAL.with(Cell::get))
        })
        .join()
        .unwrap();
        assert_eq!(result, (true, false));
    }
}
