//! Printing: stdout that tolerates a closed pipe, and errors as one escaped line.

use crate::store::select;
use crate::text::escape_control as esc;

/// Errors quote store names and paths: shown escaped, as one line, nothing a terminal acts on.
/// A selector's candidate list is the one message meant as several lines.
pub fn error_text(e: &anyhow::Error) -> String {
    match e.downcast_ref::<select::SelectError>() {
        Some(s) if e.chain().count() == 1 => s.escaped(),
        _ => esc(&format!("{e:#}")).into_owned(),
    }
}

/// Print to stdout; a closed pipe (`certdeck list | head`) is not an error.
pub fn out(s: &str) {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(s.as_bytes());
    if !s.ends_with('\n') {
        let _ = o.write_all(b"\n");
    }
    let _ = o.flush();
}
