//! `certdeck man`: one roff page for certdeck and every subcommand, generated from the clap
//! definition (what `man certdeck` shows once installed).

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap_mangen::Man;

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_: &Args) -> Result<ExitCode> {
    let page = page()?;
    // A closed pipe (`| head`) is not an error.
    let _ = std::io::stdout().lock().write_all(&page);
    Ok(ExitCode::SUCCESS)
}

/// The page: clap_mangen's sections for the top level, then a SUBCOMMAND section per
/// subcommand (and nested ones, `keystore genkeypair`) with its synopsis and options.
pub fn page() -> Result<Vec<u8>> {
    let cmd = super::command();
    let mut buf = vec![];
    let man = Man::new(cmd.clone());
    man.render_title(&mut buf)?;
    man.render_name_section(&mut buf)?;
    man.render_synopsis_section(&mut buf)?;
    man.render_description_section(&mut buf)?;
    man.render_options_section(&mut buf)?;
    // clap_mangen's own list points at certdeck-list(1) and the like, pages that do not
    // exist: list them here, each described below under COMMANDS IN DETAIL.
    buf.extend_from_slice(b".SH SUBCOMMANDS\n");
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        buf.extend_from_slice(
            format!(
                ".TP\n\\fBcertdeck {}\\fR\n{}\n",
                sub.get_name(),
                roff_text(&about)
            )
            .as_bytes(),
        );
    }
    buf.extend_from_slice(b".SH \"COMMANDS IN DETAIL\"\n");
    for sub in cmd.get_subcommands() {
        detail(&mut buf, &format!("certdeck {}", sub.get_name()), sub)?;
    }
    man.render_version_section(&mut buf)?;
    Ok(buf)
}

fn detail(buf: &mut Vec<u8>, full: &str, sub: &clap::Command) -> Result<()> {
    if sub.get_name() == "help" {
        return Ok(());
    }
    buf.extend_from_slice(format!(".SS \"{full}\"\n").as_bytes());
    // Global options are described once, at the top; each subcommand lists its own.
    let globals: Vec<String> = super::command()
        .get_arguments()
        .filter(|a| a.is_global_set())
        .map(|a| a.get_id().to_string())
        .collect();
    let mut named = sub.clone().bin_name(full);
    for id in &globals {
        if named.get_arguments().any(|a| a.get_id() == id.as_str()) {
            named = named.mut_arg(id, |a| a.hide(true));
        }
    }
    let m = Man::new(named);
    // Each part renders its own .SH header: a paragraph break inside a subsection instead.
    let mut part = vec![];
    m.render_synopsis_section(&mut part)?;
    m.render_description_section(&mut part)?;
    m.render_options_section(&mut part)?;
    for line in String::from_utf8_lossy(&part).lines() {
        let line = if line.starts_with(".SH ") {
            ".PP"
        } else {
            line
        };
        buf.extend_from_slice(line.as_bytes());
        buf.push(b'\n');
    }
    for nested in sub.get_subcommands() {
        detail(buf, &format!("{full} {}", nested.get_name()), nested)?;
    }
    Ok(())
}

/// Text as a roff line: backslashes and hyphens escaped, no leading control character.
fn roff_text(s: &str) -> String {
    let t = s.replace('\\', "\\e").replace('-', "\\-");
    if t.starts_with('.') || t.starts_with('\'') {
        format!("\\&{t}")
    } else {
        t
    }
}
