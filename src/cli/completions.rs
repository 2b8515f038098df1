//! `certdeck completions SHELL`: the completion script, generated from the clap definition.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap_complete::Shell;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// bash, zsh, fish, elvish or powershell.
    pub shell: Shell,
}

pub fn run(a: &Args) -> Result<ExitCode> {
    let mut cmd = super::command();
    let mut script = vec![];
    clap_complete::generate(a.shell, &mut cmd, "certdeck", &mut script);
    // A closed pipe (`| head`) is not an error.
    let _ = std::io::stdout().lock().write_all(&script);
    Ok(ExitCode::SUCCESS)
}
