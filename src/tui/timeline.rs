//! `T`: how many certificates expire in each month of the next twelve, plus the expired and the
//! not yet valid ones, as bars; Enter on a bar filters the list to its certificates (Esc clears).

use super::app::App;
use super::keymap::Action;
use crate::pki::Item;

/// Days a bar covers (a month of the timeline).
pub const MONTH: i64 = 30;
pub const MONTHS: usize = 12;

/// A bar of the timeline: which certificates it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    Expired,
    NotYetValid,
    /// Expiring in days `[30k, 30k+30)` from now.
    Month(usize),
}

impl Bucket {
    pub fn all() -> Vec<Bucket> {
        let mut v = vec![Bucket::Expired, Bucket::NotYetValid];
        v.extend((0..MONTHS).map(Bucket::Month));
        v
    }

    /// Under the bar: three characters at most.
    pub fn short(self) -> String {
        match self {
            Bucket::Expired => "exp".into(),
            Bucket::NotYetValid => "fut".into(),
            Bucket::Month(k) => format!("+{}", k + 1),
        }
    }

    pub fn label(self) -> String {
        match self {
            Bucket::Expired => "expired".into(),
            Bucket::NotYetValid => "not yet valid".into(),
            Bucket::Month(k) => format!(
                "expiring in {}-{} days",
                k as i64 * MONTH,
                (k as i64 + 1) * MONTH - 1
            ),
        }
    }

    /// Whether `item` (a certificate, not a superseded certbot version) is in this bar at `now`.
    pub fn holds(self, item: &Item, now: i64) -> bool {
        let Some(c) = item.cert() else {
            return false;
        };
        if crate::store::certbot::is_superseded(item) {
            return false;
        }
        let days = super::fmt::days_until(c.not_after_unix, now);
        match self {
            Bucket::Expired => days < 0,
            Bucket::NotYetValid => c.not_before_unix > now && days >= 0,
            Bucket::Month(k) => {
                c.not_before_unix <= now
                    && (k as i64 * MONTH..(k as i64 + 1) * MONTH).contains(&days)
            }
        }
    }
}

/// The open timeline: the selected bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timeline {
    pub selected: usize,
}

/// Certificates per bar, in `Bucket::all()` order.
pub fn counts(items: &[Item], now: i64) -> Vec<u64> {
    let buckets = Bucket::all();
    let mut n = vec![0u64; buckets.len()];
    for it in items {
        if let Some(b) = buckets.iter().position(|b| b.holds(it, now)) {
            n[b] += 1;
        }
    }
    n
}

impl App {
    /// `T`: opened on the bar the list is filtered to, if any.
    pub(super) fn open_timeline(&mut self) {
        let at = (self.expiry_filter)
            .and_then(|f| Bucket::all().iter().position(|&b| b == f))
            .unwrap_or(0);
        self.timeline = Some(Timeline { selected: at });
    }

    /// Keys in the timeline: choose a bar, filter the list to it (Enter), close.
    pub(super) fn timeline_act(&mut self, action: Action) {
        let Some(tl) = self.timeline.as_mut() else {
            return;
        };
        let last = Bucket::all().len() - 1;
        match action {
            Action::Up => tl.selected = tl.selected.saturating_sub(1),
            Action::Down => tl.selected = (tl.selected + 1).min(last),
            Action::Top => tl.selected = 0,
            Action::Bottom => tl.selected = last,
            Action::Back => self.timeline = None,
            Action::Open => {
                let b = Bucket::all()[tl.selected];
                self.timeline = None;
                self.set_expiry_filter(Some(b));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_bars_split_at_thirty_days() {
        let now = 1_000_000_000;
        let cert = |days: i64| {
            let mut it = Item::new(crate::pki::ItemKind::Certificate, "CERTIFICATE");
            it.detail = crate::pki::Detail::Certificate(Box::new(crate::pki::CertInfo {
                not_before_unix: now - 86_400,
                not_after_unix: now + days * 86_400 + 3600,
                ..Default::default()
            }));
            it
        };
        let items = [cert(-3), cert(0), cert(29), cert(30), cert(359), cert(400)];
        let n = counts(&items, now);
        assert_eq!(n[0], 1, "expired");
        assert_eq!(n[2], 2, "0-29 days");
        assert_eq!(n[3], 1, "30-59 days");
        assert_eq!(n[13], 1, "330-359 days");
        assert_eq!(n.iter().sum::<u64>(), 5, "after 12 months: no bar");
    }
}
