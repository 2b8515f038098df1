//! `certdeck demo [DIR]`: a demo store made now, opened in the TUI.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use super::global::Global;
use crate::text::escape_control as esc;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Directory to create (default: a new directory under the system temp dir).
    pub dir: Option<PathBuf>,
    /// Only create the store and print its path.
    #[arg(long)]
    pub no_tui: bool,
    /// No colours in the TUI (also when NO_COLOR is set).
    #[arg(long, help_heading = "Global")]
    pub mono: bool,
}

pub fn run(g: Global, a: Args) -> Result<ExitCode> {
    let dir = crate::demo::create_demo_dir(a.dir.as_deref(), time::OffsetDateTime::now_utc())?;
    if a.no_tui {
        println!("{}", esc(&dir.display().to_string()));
        return Ok(ExitCode::SUCCESS);
    }
    super::tui::run(&Global {
        store: Some(dir),
        ..g
    })
}
