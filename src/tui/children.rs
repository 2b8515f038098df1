//! The child processes the TUI runs (`certdeck acme …`). Each runs in a process group of its
//! own (its hooks with it) and is registered while it runs, so quitting — `q`, SIGTERM, SIGHUP —
//! terminates the groups and waits until their job threads have reaped them: no child
//! outlives the TUI. The job thread that spawned a child is the one that reaps it.

use rustix::process::{kill_process_group, Pid, Signal};
use std::process::{Child, Command};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// Process group ids of the children still running.
static RUNNING: Mutex<Vec<i32>> = Mutex::new(Vec::new());
static REAPED: Condvar = Condvar::new();

/// How long a terminated child has to exit before it is killed.
pub const GRACE: Duration = Duration::from_secs(3);

/// A registered child; dropping it (after the child was reaped) unregisters it.
pub struct Running {
    pub child: Child,
    pgid: i32,
}

/// Start `cmd` as the leader of a new process group and register it. With a parent-death
/// signal as well: should the TUI be killed outright (SIGKILL), the child still gets SIGTERM.
pub fn spawn(cmd: &mut Command) -> std::io::Result<Running> {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0);
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            rustix::process::set_parent_process_death_signal(Some(Signal::TERM))
                .map_err(std::io::Error::from)
        });
    }
    // Registered under the lock so a quit in between cannot miss it.
    let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
    let child = cmd.spawn()?;
    let pgid = child.id() as i32;
    running.push(pgid);
    Ok(Running { child, pgid })
}

impl Running {
    /// Wait for the child until `deadline` has passed; then SIGTERM its group, and SIGKILL
    /// after `GRACE`. `Ok(None)`: it had to be stopped (and was reaped).
    pub fn wait_until(
        &mut self,
        deadline: Instant,
    ) -> std::io::Result<Option<std::process::ExitStatus>> {
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(Some(status));
            }
            if Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        signal(self.pgid, Signal::TERM);
        let stop = Instant::now() + GRACE;
        while self.child.try_wait()?.is_none() {
            if Instant::now() >= stop {
                signal(self.pgid, Signal::KILL);
                self.child.wait()?;
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(None)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // Reaped by now unless the wait itself failed: never leave a zombie behind.
        if matches!(self.child.try_wait(), Ok(None)) {
            signal(self.pgid, Signal::KILL);
            let _ = self.child.wait();
        }
        let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
        running.retain(|&p| p != self.pgid);
        REAPED.notify_all();
    }
}

fn signal(pgid: i32, sig: Signal) {
    if let Some(pid) = Pid::from_raw(pgid) {
        // Gone already (ESRCH) is what we wanted.
        let _ = kill_process_group(pid, sig);
    }
}

/// Quitting: SIGTERM every running child's group, wait up to `GRACE` for their job threads to
/// reap them, SIGKILL what is left and wait a little more for that. Returns how many were
/// running.
pub fn terminate_all() -> usize {
    let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
    let n = running.len();
    for &p in running.iter() {
        signal(p, Signal::TERM);
    }
    let mut killed = false;
    let mut until = Instant::now() + GRACE;
    while !running.is_empty() {
        let now = Instant::now();
        if now >= until {
            if killed {
                break;
            }
            for &p in running.iter() {
                signal(p, Signal::KILL);
            }
            killed = true;
            until = now + Duration::from_secs(1);
            continue;
        }
        running = REAPED
            .wait_timeout(running, until - now)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
    n
}

/// How many children are running now.
pub fn running() -> usize {
    RUNNING.lock().map_or(0, |r| r.len())
}
