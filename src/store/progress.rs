//! How far long work is (reading a big store, verifying its chains), for a front end that wants
//! to show it. The store draws nothing: the CLI turns reports into a bar on a terminal.

use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Files read and decoded, of those found so far.
    Reading,
    /// Certificates whose chain signatures are checked.
    Verifying,
}

type Report = dyn Fn(Stage, usize, usize) + Send + Sync + std::panic::RefUnwindSafe;

/// A reporter; the default reports nowhere.
#[derive(Clone, Default)]
pub struct Progress(Option<Arc<Report>>);

impl Progress {
    pub fn new(
        f: impl Fn(Stage, usize, usize) + Send + Sync + std::panic::RefUnwindSafe + 'static,
    ) -> Self {
        Progress(Some(Arc::new(f)))
    }

    pub fn report(&self, stage: Stage, done: usize, total: usize) {
        if let Some(f) = &self.0 {
            f(stage, done, total);
        }
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Progress(reporting)"
        } else {
            "Progress(none)"
        })
    }
}
