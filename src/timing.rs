//! Phase timings on stderr when `CERTDECK_TIMINGS` is set: how the benchmark script and a
//! curious admin see where a slow scan spends its time, without a profiler.

use std::sync::OnceLock;
use std::time::Instant;

fn start() -> Option<&'static Instant> {
    static START: OnceLock<Option<Instant>> = OnceLock::new();
    START
        .get_or_init(|| std::env::var_os("CERTDECK_TIMINGS").map(|_| Instant::now()))
        .as_ref()
}

/// Start the clock (call first thing in `main`).
pub fn init() {
    let _ = start();
}

pub fn enabled() -> bool {
    start().is_some()
}

/// Print the time since start, tagged with the phase that just ended.
pub fn mark(phase: &str) {
    if let Some(t) = start() {
        eprintln!(
            "timing: {phase} done at {:.1} ms",
            t.elapsed().as_secs_f64() * 1e3
        );
    }
}

/// CLOCK_MONOTONIC in seconds: the clock Python's `time.monotonic()` reads on Linux, so the pty
/// benchmark can tell how long after it typed a key the frame showing it was written.
pub fn monotonic_secs() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes only into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}
