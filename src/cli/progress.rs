//! A one-line progress bar on stderr for long work — only on a terminal, never for JSON or
//! pipes, and only once the work has taken long enough to be worth a line (no flash on a
//! small store).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::store::progress::{Progress, Stage};

/// Work shorter than this shows no bar.
const SHOW_AFTER: Duration = Duration::from_millis(400);

/// A bar, drawn on stderr when it is a terminal and `wanted`; cleared when dropped.
pub struct Bar(Option<ProgressBar>);

impl Bar {
    pub fn new(wanted: bool) -> Bar {
        if !wanted || !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = ProgressBar::hidden();
        bar.set_style(
            ProgressStyle::with_template("{msg:10} [{bar:30}] {pos}/{len} {per_sec} {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        Bar(Some(bar))
    }

    /// The reporter that moves this bar (nothing when there is no bar).
    pub fn progress(&self) -> Progress {
        let Some(bar) = self.0.clone() else {
            return Progress::default();
        };
        let start = Instant::now();
        let shown = std::sync::atomic::AtomicBool::new(false);
        Progress::new(move |stage, done, total| {
            if start.elapsed() < SHOW_AFTER {
                return;
            }
            if !shown.swap(true, std::sync::atomic::Ordering::Relaxed) {
                bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
            bar.set_message(match stage {
                Stage::Reading => "reading",
                Stage::Verifying => "verifying",
            });
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        })
    }

    /// A spinner with `msg` for work that cannot count (generating an RSA-4096 key).
    pub fn spinner(wanted: bool, msg: &'static str) -> Bar {
        if !wanted || !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = ProgressBar::new_spinner().with_message(msg);
        bar.enable_steady_tick(Duration::from_millis(120));
        Bar(Some(bar))
    }
}

impl Bar {
    /// Clear the line (also done on drop).
    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.finish();
    }
}
