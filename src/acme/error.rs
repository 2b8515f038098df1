//! ACME failures as sentences: what the CA said, and what to do about it. badNonce is retried
//! by instant-acme itself; what reaches here is final.

use std::time::SystemTime;

use instant_acme::{Error, Problem};

use super::http::RetryAfter;

/// One line (or a few) for a person; never holds key material (instant-acme's errors do not).
pub fn explain(e: &Error) -> String {
    explain_with(e, None, SystemTime::now())
}

/// `explain`, with the Retry-After of the response the error came from (`http::Client`
/// records it): a rate limit or a 503 then says when to come back.
pub fn explain_with(e: &Error, retry: Option<RetryAfter>, now: SystemTime) -> String {
    match (e, retry) {
        (Error::Api(p), Some(r)) if kind(p) == "rateLimited" => {
            let detail = p.detail.as_deref().unwrap_or("no detail given");
            format!("rate limited by the CA: {detail} ({})", when(r.at, now))
        }
        (Error::Api(p), Some(r)) if r.status == 503 || p.status == Some(503) => format!(
            "the CA is unavailable for now (HTTP 503): {}; {}",
            explain_problem(p),
            when(r.at, now)
        ),
        // A 503 or 429 from a proxy in front of the CA rarely has a problem document.
        (_, Some(r)) if r.status == 503 => format!(
            "the CA is unavailable for now (HTTP 503; {}); {}",
            explain_with(e, None, now),
            when(r.at, now)
        ),
        (_, Some(r)) if r.status == 429 => format!(
            "rate limited (HTTP 429; {}); {}",
            explain_with(e, None, now),
            when(r.at, now)
        ),
        _ => explain_plain(e),
    }
}

/// "retry after 2026-12-03 07:12 UTC (in 14 min)": rounded up to the minute, so following
/// it is never early.
pub fn when(at: SystemTime, now: SystemTime) -> String {
    let secs = match at.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_secs() + u64::from(d.subsec_nanos() > 0),
        Err(_) => 0,
    };
    let secs = secs.div_ceil(60) * 60;
    let stamp = i64::try_from(secs)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute] UTC"
            ))
            .ok()
        });
    let Some(stamp) = stamp else {
        return "retry much later (the CA gave a time out of range)".into();
    };
    let now_s = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mins = secs.saturating_sub(now_s).div_ceil(60);
    let rel = match mins {
        0 => "now".to_string(),
        1..=90 => format!("in {mins} min"),
        91..=2879 if mins % 60 == 0 => format!("in {} h", mins / 60),
        91..=2879 => format!("in {} h {} min", mins / 60, mins % 60),
        _ => format!("in {} days", mins.div_ceil(1440)),
    };
    format!("retry after {stamp} ({rel})")
}

fn explain_plain(e: &Error) -> String {
    match e {
        Error::Api(p) => explain_problem(p),
        Error::Timeout(_) => {
            "the CA did not finish the order in time (it may still be validating; retry later)"
                .into()
        }
        Error::Hyper(h) => format!("cannot reach the ACME server: {h}{}", source_chain(h)),
        Error::Other(o) => format!("{o}{}", source_chain(o.as_ref())),
        other => format!("{other}{}", source_chain(other)),
    }
}

fn source_chain(e: &dyn std::error::Error) -> String {
    let mut s = String::new();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// The short ACME error name (`rateLimited`) of a problem type URN.
pub fn kind(p: &Problem) -> &str {
    p.r#type
        .as_deref()
        .map(|t| t.rsplit(':').next().unwrap_or(t))
        .unwrap_or("")
}

pub fn explain_problem(p: &Problem) -> String {
    let detail = p.detail.as_deref().unwrap_or("no detail given");
    let mut s = match kind(p) {
        "rateLimited" => format!(
            "rate limited by the CA: {detail} (wait before retrying; Let's Encrypt's limits reset over hours to a week)"
        ),
        "rejectedIdentifier" => format!(
            "the CA refuses to issue for this name: {detail} (public CAs do not issue for internal names or IPs)"
        ),
        "unauthorized" => format!("the CA could not confirm control of the name: {detail}"),
        "dns" => format!("DNS lookup by the CA failed: {detail} (check the name's A/AAAA/TXT/CAA records)"),
        "connection" => format!("the CA could not connect to the challenge responder: {detail} (is port 80 reachable from the internet?)"),
        "incorrectResponse" => format!("the CA got a wrong challenge response: {detail}"),
        "caa" => format!("a CAA record forbids this CA: {detail}"),
        "externalAccountRequired" => format!("{detail} (this CA needs --eab-kid and --eab-hmac-key-file)"),
        "userActionRequired" => format!("{detail} (the CA's terms changed; agree to them again)"),
        "badNonce" => format!("the CA kept rejecting nonces: {detail}"),
        "" => detail.to_string(),
        k => format!("{detail} ({k})"),
    };
    for sp in &p.subproblems {
        s.push_str("\n  ");
        if let Some(id) = &sp.identifier {
            s.push_str(&format!("{}: ", id.authorized(false)));
        }
        s.push_str(sp.detail.as_deref().unwrap_or(""));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn problem(json: &str) -> Error {
        Error::Api(serde_json::from_str(json).unwrap())
    }

    /// 2026-12-03 06:58:00 UTC.
    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_281_080)
    }

    const LIMITED: &str = r#"{"type": "urn:ietf:params:acme:error:rateLimited",
        "detail": "too many new orders recently", "status": 429}"#;

    #[test]
    fn rate_limit_says_when_to_come_back() {
        let r = RetryAfter {
            status: 429,
            at: now() + Duration::from_secs(840),
        };
        assert_eq!(
            explain_with(&problem(LIMITED), Some(r), now()),
            "rate limited by the CA: too many new orders recently \
             (retry after 2026-12-03 07:12 UTC (in 14 min))"
        );
        // Without the header: the general advice, as before.
        let plain = explain_with(&problem(LIMITED), None, now());
        assert!(plain.starts_with("rate limited by the CA: too many new orders recently (wait"));
        assert_eq!(plain, explain(&problem(LIMITED)));
    }

    #[test]
    fn a_503_with_retry_after_says_when() {
        let r = RetryAfter {
            status: 503,
            at: now() + Duration::from_secs(2 * 3600 + 5 * 60),
        };
        let e = problem(
            r#"{"type": "urn:ietf:params:acme:error:serverInternal", "detail": "maintenance", "status": 503}"#,
        );
        assert_eq!(
            explain_with(&e, Some(r), now()),
            "the CA is unavailable for now (HTTP 503): maintenance (serverInternal); \
             retry after 2026-12-03 09:03 UTC (in 2 h 5 min)"
        );
        // A 503 page that is no problem document.
        let e = Error::Json(serde_json::from_str::<Problem>("<html>").unwrap_err());
        let s = explain_with(&e, Some(r), now());
        assert!(
            s.starts_with("the CA is unavailable for now (HTTP 503; "),
            "{s}"
        );
        assert!(
            s.ends_with("retry after 2026-12-03 09:03 UTC (in 2 h 5 min)"),
            "{s}"
        );
        let r429 = RetryAfter { status: 429, ..r };
        let s = explain_with(&e, Some(r429), now());
        assert!(s.starts_with("rate limited (HTTP 429; "), "{s}");
        assert!(
            s.ends_with("; retry after 2026-12-03 09:03 UTC (in 2 h 5 min)"),
            "{s}"
        );
        // Another error with a Retry-After (a 400 say) is explained as it is.
        let e = problem(r#"{"type": "urn:ietf:params:acme:error:malformed", "detail": "bad"}"#);
        let r400 = RetryAfter { status: 400, ..r };
        assert_eq!(explain_with(&e, Some(r400), now()), "bad (malformed)");
    }

    #[test]
    fn when_rounds_up_to_the_minute() {
        let at = |s: u64| now() + Duration::from_secs(s);
        assert_eq!(when(at(0), now()), "retry after 2026-12-03 06:58 UTC (now)");
        assert_eq!(
            when(at(1), now()),
            "retry after 2026-12-03 06:59 UTC (in 1 min)"
        );
        assert_eq!(
            when(at(60) + Duration::from_millis(1), now()),
            "retry after 2026-12-03 07:00 UTC (in 2 min)"
        );
        assert_eq!(
            when(at(3 * 86_400), now()),
            "retry after 2026-12-06 06:58 UTC (in 3 days)"
        );
        assert_eq!(
            when(at(5 * 3600), now()),
            "retry after 2026-12-03 11:58 UTC (in 5 h)"
        );
        // A time already past: come back now.
        assert_eq!(
            when(now() - Duration::from_secs(600), now()),
            "retry after 2026-12-03 06:48 UTC (now)"
        );
    }
}
