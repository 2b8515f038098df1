//! Passphrase prompt on the controlling terminal with echo off (never argv, never stdin data).

use std::io::{BufRead, Write};
use std::os::unix::io::AsRawFd;

use anyhow::{bail, Context, Result};
use zeroize::Zeroizing;

/// Ask on /dev/tty; with `confirm`, ask twice and require the same answer.
pub fn passphrase(prompt: &str, confirm: bool) -> Result<Zeroizing<String>> {
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .context("no terminal to ask for a passphrase (use --new-passphrase-file)")?;
    let first = ask(&tty, prompt)?;
    if confirm {
        let again = ask(&tty, "again: ")?;
        if *again != *first {
            bail!("the passphrases do not match");
        }
    }
    if first.is_empty() {
        bail!("empty passphrase");
    }
    Ok(first)
}

/// A yes/no question on /dev/tty (echo on); anything but y/yes is no.
pub fn confirm(question: &str) -> Result<bool> {
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .context("no terminal to ask on (pass --yes to confirm)")?;
    let mut w = &tty;
    write!(w, "{question} [y/N] ")?;
    w.flush()?;
    let mut line = String::new();
    std::io::BufReader::new(&tty).read_line(&mut line)?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

fn ask(tty: &std::fs::File, prompt: &str) -> Result<Zeroizing<String>> {
    let fd = tty.as_raw_fd();
    // SAFETY: termios is plain data; tcgetattr fills it for a valid fd.
    let mut old: libc::termios = unsafe { std::mem::zeroed() };
    if unsafe { libc::tcgetattr(fd, &mut old) } != 0 {
        bail!("cannot read terminal settings");
    }
    let mut quiet = old;
    quiet.c_lflag &= !libc::ECHO;
    quiet.c_lflag |= libc::ECHONL;
    unsafe { libc::tcsetattr(fd, libc::TCSANOW, &quiet) };
    let mut w = tty;
    let _ = write!(w, "{prompt}");
    let _ = w.flush();
    let mut line = Zeroizing::new(String::new());
    let r = std::io::BufReader::new(tty).read_line(&mut line);
    // Restore echo whatever happened.
    unsafe { libc::tcsetattr(fd, libc::TCSANOW, &old) };
    r.context("cannot read the passphrase")?;
    let trimmed = Zeroizing::new(line.trim_end_matches(['\n', '\r']).to_string());
    Ok(trimmed)
}
