//! Text from the store on its way to a terminal. A certificate's CN, a file name, an alias or
//! a server config are written by whoever can write the store: raw, an ESC sequence in them
//! sets the title or clears the screen, a newline forges a line in the plan an admin confirms,
//! a bidi override shows `key.pem` for `mep.yek`. Every human-readable field goes through
//! [`escape_control`]; JSON is left to serde (its escaping is already exact).

use std::borrow::Cow;
use std::fmt::Write as _;

/// `s` with every character a terminal would act on shown as visible text: C0 controls
/// (`\n`, `\r`, `\t`, `\x1b`, ...), DEL (`\x7f`), C1 controls (`\u{9b}`), Unicode bidi
/// overrides, isolates and marks and line/paragraph separators (`\u{202e}`). A backslash is
/// doubled, so `\x1b` in the output always means the byte was there, never that the text
/// spelled it. Borrowed when nothing needs escaping (almost always).
pub fn escape_control(s: &str) -> Cow<'_, str> {
    let Some(first) = s.find(needs_escape) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x20 || c == '\x7f' => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if needs_escape(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// True for the characters [`escape_control`] rewrites.
pub fn needs_escape(c: char) -> bool {
    matches!(c,
        '\\'
        | '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        // Arabic letter mark; left-to-right / right-to-left marks.
        | '\u{61c}' | '\u{200e}' | '\u{200f}'
        // Line and paragraph separators: a line break to some terminals and viewers.
        | '\u{2028}' | '\u{2029}'
        // Embeddings and overrides (LRE RLE PDF LRO RLO), isolates (LRI RLI FSI PDI).
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        for s in [
            "",
            "CN=www.example.com",
            "ключ.pem",
            "日本語 ✓ …",
            "a/b c#1",
        ] {
            assert!(
                matches!(escape_control(s), Cow::Borrowed(b) if b == s),
                "{s}"
            );
        }
    }

    #[test]
    fn c0_del_and_c1_are_visible() {
        assert_eq!(
            escape_control("\x1b]0;pwned\x07\x1b[2J\nFORGED"),
            "\\x1b]0;pwned\\x07\\x1b[2J\\nFORGED"
        );
        assert_eq!(escape_control("a\tb\rc\0d\x7f"), "a\\tb\\rc\\x00d\\x7f");
        assert_eq!(escape_control("x\u{9b}2Jy\u{85}"), "x\\u{9b}2Jy\\u{85}");
    }

    #[test]
    fn bidi_controls_are_visible() {
        assert_eq!(escape_control("\u{202e}mep.yek"), "\\u{202e}mep.yek");
        for c in [
            '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{2066}', '\u{2067}', '\u{2068}',
            '\u{2069}', '\u{200e}', '\u{200f}', '\u{61c}', '\u{2028}', '\u{2029}',
        ] {
            let e = escape_control(&c.to_string()).into_owned();
            assert_eq!(e, format!("\\u{{{:x}}}", c as u32));
        }
    }

    #[test]
    fn backslash_is_doubled_so_an_escape_cannot_be_forged() {
        // A name that spells `\x1b` must not read like one that holds the byte.
        assert_eq!(escape_control("\\x1b"), "\\\\x1b");
        assert_ne!(escape_control("\\x1b"), escape_control("\x1b"));
    }

    #[test]
    fn output_never_holds_a_character_that_needs_escaping_except_backslash() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        let e = escape_control(&all);
        assert!(e.chars().all(|c| c == '\\' || !needs_escape(c)));
        assert!(!e.contains('\n') && !e.contains('\x1b') && !e.contains('\u{202e}'));
    }
}
