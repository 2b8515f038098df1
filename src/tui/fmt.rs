//! Small text formatters shared by the list, details and filter (dates, days left, fingerprints).

/// `YYYY-MM-DD` (UTC) of a Unix timestamp; `?` when out of range.
pub fn date(unix: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(unix) {
        Ok(t) => {
            let d = t.date();
            format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
        }
        Err(_) => "?".to_string(),
    }
}

/// Whole days from `now` until `unix`, rounded towards the past so "expires in 3h" is 0 days.
pub fn days_until(unix: i64, now: i64) -> i64 {
    (unix - now).div_euclid(86_400)
}

/// How urgent a days-left value is; drives both the colour and the text marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    Expired,
    Soon,
    Fine,
}

pub fn urgency(days: i64, warn_days: i64) -> Urgency {
    if days < 0 {
        Urgency::Expired
    } else if days < warn_days {
        Urgency::Soon
    } else {
        Urgency::Fine
    }
}

/// Width of the days-left cell.
pub const DAYS_WIDTH: usize = 7;

/// Days left with a marker that reads without colour, always `DAYS_WIDTH` wide: `!! -20d`,
/// `!   12d`, `   200d`; a long count loses marker room first (`!-1370d`), then becomes years.
pub fn days_cell(days: i64, warn_days: i64) -> String {
    let marker = match urgency(days, warn_days) {
        Urgency::Expired => "!!",
        Urgency::Soon => "! ",
        Urgency::Fine => "  ",
    };
    let text = format!("{days}d");
    let cell = format!("{marker}{text:>5}");
    if cell.chars().count() <= DAYS_WIDTH {
        return cell;
    }
    let short = format!("{}{text}", marker.trim_end().get(..1).unwrap_or(""));
    if short.chars().count() <= DAYS_WIDTH {
        return format!("{short:>DAYS_WIDTH$}");
    }
    let years = format!(
        "{}{}y",
        marker.trim_end().get(..1).unwrap_or(""),
        days / 365
    );
    format!("{years:>DAYS_WIDTH$}")
}

/// `n thing` or `n things`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `s` cut to `width` characters from the left, `…` first when anything was cut (a path's
/// end tells most).
pub fn cut_left(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n <= width || width == 0 {
        return s.chars().skip(n.saturating_sub(width)).collect();
    }
    let tail: String = s.chars().skip(n - (width - 1)).collect();
    format!("…{tail}")
}

/// `s` cut to `width` characters, the last one `…` when anything was cut.
pub fn cut(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Fingerprints as colon hex (`AB:CD:..`), whether the model holds plain or colon hex.
pub fn colon_hex(s: &str) -> String {
    if s.contains(':') || s.is_empty() {
        return s.to_uppercase();
    }
    let up = s.to_uppercase();
    let bytes = up.as_bytes();
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for (i, pair) in bytes.chunks(2).enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push_str(std::str::from_utf8(pair).unwrap_or("?"));
    }
    out
}

/// The CN of a distinguished name string (`C=US, O=X, CN=R3` -> `R3`), else the whole name.
pub fn cn_of(dn: &str) -> &str {
    dn.split([',', '/'])
        .map(str::trim)
        .find_map(|part| {
            part.strip_prefix("CN=")
                .or_else(|| part.strip_prefix("CN ="))
        })
        .map(str::trim)
        .unwrap_or(dn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_markers_read_without_colour() {
        assert_eq!(days_cell(-20, 30), "!! -20d");
        assert_eq!(days_cell(12, 30), "!   12d");
        assert_eq!(days_cell(200, 30), "   200d");
        // Never wider than the cell, whatever the count.
        assert_eq!(days_cell(-1370, 30), "!-1370d");
        assert_eq!(days_cell(-12345, 30), "  !-33y");
        assert_eq!(days_cell(99_999, 30), " 99999d");
        assert_eq!(days_cell(3_650_000, 30), " 10000y");
        for d in [-1_000_000, -99_999, -1370, -1, 0, 5, 29, 30, 1094, 99_999] {
            assert!(days_cell(d, 30).chars().count() <= DAYS_WIDTH, "{d}");
        }
        assert_eq!(count(1, "error", "errors"), "1 error");
        assert_eq!(count(2, "error", "errors"), "2 errors");
        assert_eq!(cut("www.example.com", 8), "www.exa…");
        assert_eq!(cut_left("servers/api/cert.pem", 10), "…/cert.pem");
        assert_eq!(cut_left("a.pem", 10), "a.pem");
    }

    #[test]
    fn formats() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(days_until(86_400 * 2 - 1, 0), 1);
        assert_eq!(days_until(-1, 0), -1);
        assert_eq!(colon_hex("ab01ff"), "AB:01:FF");
        assert_eq!(cn_of("C=US, O=Let's Encrypt, CN=R3"), "R3");
        assert_eq!(cn_of("O=Only"), "O=Only");
    }
}
