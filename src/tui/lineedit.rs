//! Readline-style editing of a one-line text (the filter, a form field): a cursor, moves and
//! kills. The cursor is a byte offset that always sits on a char boundary.

use unicode_width::UnicodeWidthStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Left,
    Right,
    Home,
    End,
    /// Backspace.
    DeleteBack,
    /// Delete: the character under the cursor.
    DeleteForward,
    /// Ctrl-U: everything before the cursor.
    KillToStart,
    /// Ctrl-K: everything from the cursor on.
    KillToEnd,
    /// Ctrl-W: the word before the cursor (and the blanks after it).
    KillWord,
}

/// Apply `edit`; true when the text changed (a filter then searches again).
pub fn apply(text: &mut String, cursor: &mut usize, edit: Edit) -> bool {
    let at = clamp(text, *cursor);
    let before = text[..at].chars().next_back().map_or(0, char::len_utf8);
    let after = text[at..].chars().next().map_or(0, char::len_utf8);
    let (new_cursor, removed) = match edit {
        Edit::Left => (at - before, None),
        Edit::Right => (at + after, None),
        Edit::Home => (0, None),
        Edit::End => (text.len(), None),
        Edit::DeleteBack => (at - before, Some(at - before..at)),
        Edit::DeleteForward => (at, Some(at..at + after)),
        Edit::KillToStart => (0, Some(0..at)),
        Edit::KillToEnd => (at, Some(at..text.len())),
        Edit::KillWord => {
            let head = &text[..at];
            let word_end = head.trim_end().len();
            let start = head[..word_end].rfind(char::is_whitespace).map_or(0, |i| {
                i + head[i..].chars().next().map_or(1, char::len_utf8)
            });
            (start, Some(start..at))
        }
    };
    *cursor = new_cursor;
    match removed {
        Some(r) if !r.is_empty() => {
            text.replace_range(r, "");
            true
        }
        _ => false,
    }
}

/// Insert `s` at the cursor, without line breaks or other control characters: a paste into a
/// one-line field is text, and a newline in it must not act as Enter.
pub fn insert(text: &mut String, cursor: &mut usize, s: &str) -> bool {
    let clean: String = s.chars().filter(|c| !c.is_control()).collect();
    if clean.is_empty() {
        return false;
    }
    let at = clamp(text, *cursor);
    text.insert_str(at, &clean);
    *cursor = at + clean.len();
    true
}

/// The cursor's column in the text as drawn (escaped, as the view shows store text).
pub fn column(text: &str, cursor: usize) -> usize {
    let at = clamp(text, cursor);
    crate::text::escape_control(&text[..at]).width()
}

/// The cursor moved onto a char boundary inside the text (the text may have been replaced).
fn clamp(text: &str, cursor: usize) -> usize {
    let mut at = cursor.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(start: &str, cursor: usize, edits: &[Edit]) -> (String, usize) {
        let (mut t, mut c) = (start.to_string(), cursor);
        for &e in edits {
            apply(&mut t, &mut c, e);
        }
        (t, c)
    }

    #[test]
    fn moves_stop_at_the_ends_and_respect_multibyte_chars() {
        assert_eq!(run("aé", 3, &[Edit::Left]), ("aé".into(), 1));
        assert_eq!(run("aé", 1, &[Edit::Right, Edit::Right]), ("aé".into(), 3));
        assert_eq!(run("abc", 0, &[Edit::Left]), ("abc".into(), 0));
        assert_eq!(run("abc", 1, &[Edit::End]), ("abc".into(), 3));
        assert_eq!(run("abc", 2, &[Edit::Home]), ("abc".into(), 0));
    }

    #[test]
    fn deletes_and_kills() {
        assert_eq!(run("abc", 1, &[Edit::DeleteBack]), ("bc".into(), 0));
        assert_eq!(run("abc", 1, &[Edit::DeleteForward]), ("ac".into(), 1));
        assert_eq!(run("abc", 3, &[Edit::DeleteForward]), ("abc".into(), 3));
        assert_eq!(run("abcdef", 2, &[Edit::KillToStart]), ("cdef".into(), 0));
        assert_eq!(run("abcdef", 2, &[Edit::KillToEnd]), ("ab".into(), 2));
        assert_eq!(
            run("cn=www example.org  ", 20, &[Edit::KillWord]),
            ("cn=www ".into(), 7)
        );
        assert_eq!(run("one two", 5, &[Edit::KillWord]), ("one wo".into(), 4));
        assert_eq!(run("word", 4, &[Edit::KillWord]), ("".into(), 0));
    }

    #[test]
    fn insert_drops_line_breaks_and_controls() {
        let (mut t, mut c) = ("ab".to_string(), 1);
        assert!(insert(&mut t, &mut c, "x\r\ny\u{1b}"));
        assert_eq!((t.as_str(), c), ("axyb", 3));
        assert!(!insert(&mut t, &mut c, "\n"));
    }

    #[test]
    fn column_counts_what_is_drawn() {
        assert_eq!(column("日本x", 6), 4);
        // A control character shows escaped, wider than one column.
        assert!(column("a\u{7}b", 2) > 2);
    }
}
