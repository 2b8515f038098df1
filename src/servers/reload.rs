//! Run a store's `reload_command` (from the config file) after a change and capture its output.
//! The command comes from the user's own config file and runs through `sh -c`; nothing secret is
//! put on its command line.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

#[derive(Debug, Clone)]
pub struct ReloadResult {
    pub success: bool,
    /// `exit status: 0`, `killed after 120s`, ...
    pub status: String,
    /// stdout then stderr.
    pub output: String,
}

/// Run `cmd` with `sh -c`, stdin closed; kill it when it outlives `timeout`.
pub fn run(cmd: &str, timeout: Duration) -> Result<ReloadResult> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        // A passphrase given through the environment must not reach the reload command.
        .env_remove("CERTDECK_NEW_PASSPHRASE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run reload command {cmd:?}"))?;
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut b = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut b);
            }
            b
        })
    };
    let t_out = drain(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let t_err = drain(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let start = Instant::now();
    let (success, status) = loop {
        if let Some(st) = child.try_wait()? {
            break (st.success(), st.to_string());
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break (false, format!("killed after {}s", timeout.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut output = String::from_utf8_lossy(&t_out.join().unwrap_or_default()).into_owned();
    output.push_str(&String::from_utf8_lossy(&t_err.join().unwrap_or_default()));
    Ok(ReloadResult {
        success,
        status,
        output,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_output_and_status() {
        let r = run("echo reloaded; echo warn >&2", Duration::from_secs(10)).unwrap();
        assert!(r.success);
        assert_eq!(r.output, "reloaded\nwarn\n");
        let r = run("exit 3", Duration::from_secs(10)).unwrap();
        assert!(!r.success);
        assert!(r.status.contains('3'), "{}", r.status);
        let r = run("sleep 5", Duration::from_millis(200)).unwrap();
        assert!(!r.success && r.status.contains("killed"));
    }
}
