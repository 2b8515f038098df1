//! Messages: every notice goes into a log (the last 100, with their time), and one too long
//! or with several lines (a reload's output, a probe verdict, a long error) opens a scrollable
//! pager over the screen instead of being cut at the screen's width.

use super::flow::{Notice, Overlay};
use super::keymap::Action;
use std::collections::VecDeque;

/// How many messages the log keeps.
pub const LOG_SIZE: usize = 100;

/// A scrollable text over the main screen: a long message, or the message log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pager {
    pub title: String,
    /// In order; `true` marks an error line.
    pub lines: Vec<(String, bool)>,
    /// First line shown (the view clamps it to the last page).
    pub scroll: usize,
}

impl Pager {
    /// One message, every line of it in order.
    pub fn message(n: &Notice) -> Pager {
        Pager {
            title: if n.error { "Error" } else { "Message" }.into(),
            lines: n.text.lines().map(|l| (l.to_string(), n.error)).collect(),
            scroll: 0,
        }
    }

    /// The log, oldest first, opened at its end (the newest message).
    pub fn log(log: &MessageLog) -> Pager {
        let mut lines = Vec::new();
        for (at, n) in &log.entries {
            let stamp = clock_time(*at);
            for (i, l) in n.text.lines().enumerate() {
                let lead = if i == 0 { stamp.as_str() } else { "        " };
                lines.push((format!("{lead}  {l}"), n.error));
            }
        }
        if lines.is_empty() {
            lines.push(("no messages yet".into(), false));
        }
        Pager {
            title: format!("Messages ({} of the last {LOG_SIZE}, times UTC)", log.len()),
            lines,
            scroll: usize::MAX,
        }
    }
}

/// Whether a notice needs the pager: more than one line, or wider than the hint line.
pub fn is_long(text: &str, width: u16) -> bool {
    text.contains('\n') || text.chars().count() > width as usize
}

/// The last `LOG_SIZE` messages with the Unix time they were shown at.
#[derive(Debug, Default, Clone)]
pub struct MessageLog {
    entries: VecDeque<(i64, Notice)>,
}

impl MessageLog {
    pub fn push(&mut self, at: i64, n: Notice) {
        if self.entries.len() == LOG_SIZE {
            self.entries.pop_front();
        }
        self.entries.push_back((at, n));
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(_, n)| n.text.as_str())
    }
}

impl super::app::App {
    /// Keys while the pager is open: scroll, or close it.
    pub(super) fn pager_act(&mut self, action: Action) {
        let Overlay::Pager(p) = &self.overlay else {
            return;
        };
        let (total, shown) = super::view::pager_page(self, p);
        let last = total.saturating_sub(shown);
        let page = shown.max(1);
        let Overlay::Pager(p) = &mut self.overlay else {
            return;
        };
        let cur = p.scroll.min(last);
        p.scroll = match action {
            Action::Back => {
                self.overlay = Overlay::None;
                return;
            }
            Action::Down => (cur + 1).min(last),
            Action::Up => cur.saturating_sub(1),
            Action::PageDown => (cur + page).min(last),
            Action::PageUp => cur.saturating_sub(page),
            Action::Top => 0,
            Action::Bottom => last,
            _ => cur,
        };
    }
}

/// `HH:MM:SS` (UTC) of a Unix time.
fn clock_time(unix: i64) -> String {
    let s = unix.rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_the_last_hundred_in_order() {
        let mut log = MessageLog::default();
        for i in 0..130 {
            log.push(i, Notice::info(format!("m{i}")));
        }
        let texts: Vec<&str> = log.texts().collect();
        assert_eq!(texts.len(), LOG_SIZE);
        assert_eq!(texts[0], "m30");
        assert_eq!(texts[99], "m129");
        let p = Pager::log(&log);
        assert_eq!(p.lines[0].0, "00:00:30  m30");
        assert_eq!(p.lines.last().unwrap().0, "00:02:09  m129");
    }

    #[test]
    fn a_message_keeps_every_line_in_order() {
        let p = Pager::message(&Notice::error("first\nsecond\nthird"));
        let lines: Vec<&str> = p.lines.iter().map(|l| l.0.as_str()).collect();
        assert_eq!(lines, ["first", "second", "third"]);
        assert!(is_long("a\nb", 80));
        assert!(is_long(&"x".repeat(81), 80));
        assert!(!is_long("short", 80));
    }
}
