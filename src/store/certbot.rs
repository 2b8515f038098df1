//! certbot lineages judged by what `live/` points to: superseded archive versions are history,
//! `renew_before_expiry` is read as certbot reads it, and a lineage nobody reloads after a
//! renewal is a finding.

use std::collections::HashSet;

use time::OffsetDateTime;

use super::inventory::Inventory;
use super::layout::{certbot_lineages, Lineage};
use crate::pki::lint::{Finding, Severity};
use crate::pki::Item;

/// A `renew_before_expiry` value: calendar months (years are 12) plus seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub months: i64,
    pub seconds: i64,
}

/// Unit words parsedatetime (what certbot's `add_time_interval` hands the text to) knows, from
/// its `pdt_locales/base.py` `units` table, with their length in seconds (0: months).
const UNITS: &[(&[&str], i64, i64)] = &[
    (&["second", "seconds", "sec", "secs", "s"], 0, 1),
    (&["minute", "minutes", "min", "mins", "m"], 0, 60),
    (&["hour", "hours", "hr", "h"], 0, 3600),
    (&["day", "days", "dy", "d"], 0, 86_400),
    (&["week", "weeks", "wk", "w"], 0, 7 * 86_400),
    (&["month", "months", "mth"], 1, 0),
    (&["year", "years", "yr", "y"], 12, 0),
];

/// Parse as certbot does: a bare number is days ("95"); otherwise a sequence of `N unit`
/// ("6 months 1 week", "1 year-1 day", "3 days 12 hours"); months and years are calendar
/// ones, added to the date (certbot's own test: 1 month from Nov 20 is 30 days, from Oct 18
/// it is 31). Anything else is an error naming the value, never a silent default.
pub fn parse_interval(text: &str) -> Result<Interval, String> {
    let t = text.trim();
    let bad = || {
        format!("renew_before_expiry = {text:?}: not an interval certbot understands (e.g. \"30 days\", \"4 months\", \"6 months 1 week\")")
    };
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        let days: i64 = t.parse().map_err(|_| bad())?;
        return Ok(Interval {
            months: 0,
            seconds: days.checked_mul(86_400).ok_or_else(bad)?,
        });
    }
    let mut out = Interval {
        months: 0,
        seconds: 0,
    };
    let mut rest = t;
    let mut any = false;
    while !rest.trim_start().is_empty() {
        rest = rest.trim_start();
        let neg = rest.starts_with('-');
        rest = rest.trim_start_matches(['-', '+']).trim_start();
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let n: i64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = rest[digits..].trim_start();
        let word_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let word = rest[..word_len].to_ascii_lowercase();
        rest = &rest[word_len..];
        let (_, months, secs) = UNITS
            .iter()
            .find(|(names, _, _)| names.contains(&word.as_str()))
            .ok_or_else(bad)?;
        let sign = if neg { -1 } else { 1 };
        out.months = n
            .checked_mul(*months)
            .and_then(|m| out.months.checked_add(sign * m))
            .ok_or_else(bad)?;
        out.seconds = n
            .checked_mul(*secs)
            .and_then(|s| out.seconds.checked_add(sign * s))
            .ok_or_else(bad)?;
        any = true;
    }
    if !any {
        return Err(bad());
    }
    Ok(out)
}

impl Interval {
    /// `base` plus the interval: calendar months first (the day clamped to the month's end),
    /// then seconds.
    pub fn add_to(self, base: OffsetDateTime) -> Option<OffsetDateTime> {
        let total = i64::from(base.year()) * 12 + i64::from(u8::from(base.month())) - 1;
        let target = total.checked_add(self.months)?;
        let year = i32::try_from(target.div_euclid(12)).ok()?;
        let month = time::Month::try_from(u8::try_from(target.rem_euclid(12) + 1).ok()?).ok()?;
        let day = base.day().min(month.length(year));
        let date = time::Date::from_calendar_date(year, month, day).ok()?;
        base.replace_date(date)
            .checked_add(time::Duration::seconds(self.seconds))
    }
}

/// Split `<dir>/archive/<name>/<file>` into (dir, name, file).
fn archive_parts(path: &str) -> Option<(&str, &str, &str)> {
    let mut it = path.rsplitn(4, '/');
    let file = it.next()?;
    let name = it.next()?;
    let top = it.next()?;
    let dir = it.next().unwrap_or("");
    (top == "archive").then_some((dir, name, file))
}

/// `certN.pem`, `chainN.pem`, `fullchainN.pem`, `privkeyN.pem`.
fn is_version_file(file: &str) -> bool {
    ["cert", "chain", "fullchain", "privkey"].iter().any(|p| {
        file.strip_prefix(p)
            .and_then(|r| r.strip_suffix(".pem"))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// A version file under certbot's `archive/NAME/` that no `live/NAME/` link points to: a
/// superseded version, kept by certbot forever, served by nothing that follows `live/`. Pure
/// (paths and links only), so the TUI can ask while drawing.
pub fn is_superseded(item: &Item) -> bool {
    let Some((dir, name, file)) = archive_parts(&item.path) else {
        return false;
    };
    if !is_version_file(file) {
        return false;
    }
    let live = if dir.is_empty() {
        format!("live/{name}/")
    } else {
        format!("{dir}/live/{name}/")
    };
    !item.links.iter().any(|l| l.starts_with(&live))
}

/// Findings that make no sense for a superseded version (it is history).
const HISTORY_MUTES: &[&str] = &[
    "expired",
    "expires-soon",
    "expiring",
    "not-yet-valid",
    "incomplete-chain",
    "broken-chain",
    "long-validity",
];

/// Paths of the superseded versions in a real letsencrypt directory of the store.
pub fn superseded_paths(inv: &Inventory) -> HashSet<&str> {
    let lineage_dirs: HashSet<String> = certbot_lineages(inv)
        .into_iter()
        .map(|l| format!("{}archive/{}/", prefix(&l.dir), l.name))
        .collect();
    inv.items
        .iter()
        .filter(|it| is_superseded(it))
        .filter(|it| lineage_dirs.iter().any(|d| it.path.starts_with(d)))
        .map(|it| it.path.as_str())
        .collect()
}

fn prefix(dir: &str) -> String {
    if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    }
}

/// Drop expiry and chain findings of superseded versions; say once per lineage that history
/// is there (INFO `superseded`).
pub fn mute_history(inv: &Inventory, findings: &mut Vec<Finding>) {
    let old = superseded_paths(inv);
    if old.is_empty() {
        return;
    }
    findings.retain(|f| !(old.contains(f.path.as_str()) && HISTORY_MUTES.contains(&f.code)));
    let mut per_lineage: std::collections::BTreeMap<String, usize> = Default::default();
    for p in &old {
        if let Some((d, n, f)) = archive_parts(p) {
            if f.starts_with("cert") {
                *per_lineage
                    .entry(format!("{}archive/{n}", prefix(d)))
                    .or_default() += 1;
            }
        }
    }
    for (dir, n) in per_lineage {
        findings.push(Finding {
            severity: Severity::Info,
            code: "superseded",
            path: dir.clone(),
            index: 0,
            message: format!(
                "{n} superseded certificate version(s) under {dir}/ that live/ no longer points to (certbot keeps them; not audited for expiry)"
            ),
            fix: "nothing to do; `certbot delete` or removing old versions by hand is optional".into(),
        });
    }
}

/// Lineage findings: an unparseable `renew_before_expiry`, and `no-reload-after-renewal` for a
/// lineage (used by a server config, or any when there is none) with no deploy/renew hook in
/// its renewal conf, no hook in `renewal-hooks/deploy/`, and no reload command in certdeck.
pub fn lineage_findings(
    inv: &Inventory,
    has_server_configs: bool,
    reload_configured: bool,
) -> Vec<Finding> {
    let mut out = vec![];
    for l in certbot_lineages(inv) {
        let at = l.renewal_conf.clone().unwrap_or_else(|| l.cert.clone());
        if let Some(e) = &l.renew_before_error {
            out.push(Finding {
                severity: Severity::Warning,
                code: "renewal-conf-unparsed",
                path: at.clone(),
                index: 0,
                message: format!(
                    "{e}; certdeck assumes certbot's default of {} days",
                    l.renew_before_days
                ),
                fix: "write it as certbot documents: \"30 days\", \"4 weeks\", \"2 months\"".into(),
            });
        }
        if reload_configured || has_reload_hook(inv, &l) {
            continue;
        }
        if has_server_configs && !used_by_server(inv, &l) {
            continue;
        }
        out.push(Finding {
            severity: Severity::Warning,
            code: "no-reload-after-renewal",
            path: at,
            index: 0,
            message: format!(
                "lineage {}: no deploy/renew hook and no reload command: certbot will renew but the server keeps serving the old certificate",
                l.name
            ),
            fix: format!(
                "certbot reconfigure --cert-name {} --deploy-hook 'systemctl reload nginx' (or set reload_command in certdeck's config)",
                l.name
            ),
        });
    }
    out
}

fn has_reload_hook(inv: &Inventory, l: &Lineage) -> bool {
    if l.hooks.deploy_hook.is_some() {
        return true;
    }
    // Hooks in renewal-hooks/deploy/ run for every lineage.
    let dir = inv
        .store
        .join(format!("{}renewal-hooks/deploy", prefix(&l.dir)));
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .any(|e| e.file_type().is_ok_and(|t| !t.is_dir()))
        })
        .unwrap_or(false)
}

fn used_by_server(inv: &Inventory, l: &Lineage) -> bool {
    let archive = format!("{}archive/{}/", prefix(&l.dir), l.name);
    inv.items
        .iter()
        .any(|it| it.path.starts_with(&archive) && !it.used_by.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn days(i: Interval, base: OffsetDateTime) -> i64 {
        (i.add_to(base).unwrap() - base).whole_days()
    }

    #[test]
    fn intervals_as_certbot_reads_them() {
        // certbot's own storage_test cases for add_time_interval.
        let t1 = datetime!(2003-11-20 11:59:21 UTC);
        let t2 = datetime!(2012-10-18 21:31:16 UTC);
        let p = |s: &str| parse_interval(s).unwrap();
        assert_eq!(days(p("17 days"), t1), 17);
        assert_eq!(days(p("30"), t1), 30);
        assert_eq!(days(p("95"), t2), 95);
        assert_eq!(days(p("7 weeks"), t1), 49);
        assert_eq!(days(p("1 month"), t1), 30);
        assert_eq!(days(p("1 month"), t2), 31);
        assert_eq!(days(p("1 year"), t1), 366);
        assert_eq!(days(p("1 year"), t2), 365);
        assert_eq!(days(p("1 year 1 day"), t1), 367);
        assert_eq!(days(p("1 year-1 day"), t2), 364);
        assert_eq!(days(p("4 years"), t1), 1461);
        assert_eq!(days(p("6 months 1 week"), t2), 182 + 7);
        assert_eq!(days(p("4 months"), t2), 123);
        assert_eq!(days(p("3 weeks"), t2), 21);
        assert_eq!(p("12 hours").seconds, 43_200);
        assert_eq!(p("3 days 12 hours").seconds, 3 * 86_400 + 43_200);
        assert_eq!(
            p("2 mth 1 wk 1d 1hr 1min 1s"),
            Interval {
                months: 2,
                seconds: 8 * 86_400 + 3600 + 60 + 1
            }
        );
        for bad in ["", "soon", "30 fortnights", "days 30", "1.5 days"] {
            let e = parse_interval(bad).unwrap_err();
            assert!(e.contains("renew_before_expiry"), "{e}");
        }
    }

    #[test]
    fn superseded_by_path_and_links() {
        let mut it = Item::new(crate::pki::ItemKind::Certificate, "CERTIFICATE");
        it.path = "le/archive/a.test/cert1.pem".into();
        assert!(is_superseded(&it));
        it.links = vec!["le/live/a.test/cert.pem".into()];
        assert!(!is_superseded(&it));
        it.path = "le/archive/a.test/README".into();
        it.links.clear();
        assert!(!is_superseded(&it));
    }
}
