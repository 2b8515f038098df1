//! Terminal setup and a guard that restores it on drop and on panic.

use super::wire::WireBackend;
use ratatui::crossterm::{cursor, execute, terminal};
use ratatui::Terminal;
use std::io::{self, Stdout};

pub type Term = Terminal<WireBackend<Stdout>>;

/// Owns the terminal in raw mode on the alternate screen; `Drop` puts it back.
pub struct TerminalGuard {
    pub terminal: Term,
}

fn restore() {
    // Best effort: we may be mid-panic, so ignore errors.
    let _ = terminal::disable_raw_mode();
    let _ = execute!(io::stdout(), terminal::LeaveAlternateScreen, cursor::Show);
}

impl TerminalGuard {
    pub fn enter() -> anyhow::Result<TerminalGuard> {
        // A panic must leave a usable shell: restore first, then let the previous hook print.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
        terminal::enable_raw_mode()?;
        // Raw mode delivers Ctrl-C as a key, so the app quits through Drop, not SIGINT.
        if let Err(e) = execute!(io::stdout(), terminal::EnterAlternateScreen, cursor::Hide) {
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

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}
