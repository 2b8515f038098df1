//! Signals the TUI handles itself. SIGTERM, SIGHUP (an SSH hangup), SIGINT and SIGQUIT end the
//! run loop, so the terminal is restored before the process dies of the signal (`die_of`); a
//! second one while the first is handled dies at once. SIGTSTP from outside (`kill -TSTP`, as
//! Ctrl-Z is a key in raw mode) asks the run loop to give the terminal back before it stops;
//! SIGCONT (after someone else stopped us, even with SIGSTOP) asks for the terminal modes and a
//! full repaint again. The handlers only store to atomics:
//! nothing to open, so they work the same inside the read-only Landlock sandbox.

use signal_hook::consts::{SIGCONT, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTSTP};
use signal_hook::flag;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

const TERMINATING: [i32; 4] = [SIGTERM, SIGHUP, SIGINT, SIGQUIT];

pub struct Signals {
    terminating: Arc<AtomicBool>,
    which: Arc<AtomicUsize>,
    continued: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    ids: Vec<signal_hook::SigId>,
}

impl Signals {
    pub fn install() -> std::io::Result<Signals> {
        let terminating = Arc::new(AtomicBool::new(false));
        let which = Arc::new(AtomicUsize::new(0));
        let continued = Arc::new(AtomicBool::new(false));
        let mut ids = Vec::new();
        for sig in TERMINATING {
            // Registered first, so it sees the flag as the previous signal left it.
            ids.push(flag::register_conditional_default(
                sig,
                terminating.clone(),
            )?);
            ids.push(flag::register_usize(sig, which.clone(), sig as usize)?);
            ids.push(flag::register(sig, terminating.clone())?);
        }
        ids.push(flag::register(SIGCONT, continued.clone())?);
        let stop = Arc::new(AtomicBool::new(false));
        ids.push(flag::register(SIGTSTP, stop.clone())?);
        Ok(Signals {
            terminating,
            which,
            continued,
            stop,
            ids,
        })
    }

    /// A thread that ends the process when the run loop cannot: the terminal was hung up (SSH
    /// dropped, tmux killed) and crossterm then retries reads of end-of-file without ever
    /// returning, so neither the SIGHUP flag nor anything else is looked at again. With
    /// nobody left to restore the terminal for, die of the signal as an uncaught one would.
    pub fn spawn_watchdog(&self) {
        let terminating = self.terminating.clone();
        let which = self.which.clone();
        std::thread::spawn(move || {
            let mut since: Option<std::time::Instant> = None;
            loop {
                std::thread::sleep(std::time::Duration::from_millis(250));
                if terminal_hung_up() {
                    super::children::terminate_all();
                    die_of(SIGHUP);
                }
                if terminating.load(Ordering::SeqCst) {
                    // The run loop normally restores and exits within one poll.
                    let t = *since.get_or_insert_with(std::time::Instant::now);
                    if t.elapsed() > std::time::Duration::from_secs(3) {
                        super::children::terminate_all();
                        die_of(which.load(Ordering::SeqCst) as i32);
                    }
                }
            }
        });
    }

    /// The terminating signal that arrived, if one did.
    pub fn pending(&self) -> Option<i32> {
        if !self.terminating.load(Ordering::SeqCst) {
            return None;
        }
        Some(self.which.load(Ordering::SeqCst) as i32)
    }

    /// A SIGCONT arrived since the last call.
    pub fn continued(&self) -> bool {
        self.continued.swap(false, Ordering::SeqCst)
    }

    /// A SIGTSTP arrived since the last call: restore the terminal, then `stop_now`.
    pub fn stop_requested(&self) -> bool {
        self.stop.swap(false, Ordering::SeqCst)
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

/// Whether our terminal was hung up: tty requests on it then fail with EIO.
pub fn terminal_hung_up() -> bool {
    let tty = std::io::stdin();
    matches!(rustix::termios::tcgetattr(&tty), Err(e) if e == rustix::io::Errno::IO)
}

/// Stop as SIGTSTP's default action would (our handler only sets a flag): by SIGSTOP, which
/// nothing can catch; the process goes on here when it is continued.
pub fn stop_now() -> std::io::Result<()> {
    signal_hook::low_level::emulate_default_handler(SIGTSTP)
}

/// Die of `sig` as if it had not been caught (the shell sees 128+sig), now that the terminal
/// is back.
pub fn die_of(sig: i32) -> ! {
    let _ = signal_hook::low_level::emulate_default_handler(sig);
    // Only reached for a signal whose default is not to terminate.
    std::process::exit(128 + sig)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_continue_is_seen_once() {
        let s = Signals::install().unwrap();
        assert_eq!(s.pending(), None);
        signal_hook::low_level::raise(SIGCONT).unwrap();
        assert!(s.continued());
        assert!(!s.continued());
    }

    #[test]
    fn a_terminal_stop_is_a_request_not_a_stop() {
        let s = Signals::install().unwrap();
        assert!(!s.stop_requested());
        // Caught: this test process goes on (the default action would stop it).
        signal_hook::low_level::raise(SIGTSTP).unwrap();
        assert!(s.stop_requested());
        assert!(!s.stop_requested());
    }
}
