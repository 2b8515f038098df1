//! End to end, the expiry timeline (`T`, issue #16): bars per 30 days with the expired and the
//! not yet valid; Enter on a bar filters the list to it, Esc shows everything again.

mod tmux_support;

use certdeck::pki::issue::{generate_key, issue, IssueRequest, KeyType, Profile, SubjectSpec};
use time::{Duration, OffsetDateTime};
use tmux_support::*;

fn timeline_case(n: usize) {
    let (w, h) = SIZES[n];
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("s");
    let now = OffsetDateTime::now_utc();
    let key = generate_key(KeyType::EcP256).unwrap();
    // (name, valid from, days left)
    let certs = [
        ("soon-a", -10, 10),
        ("soon-b", -10, 12),
        ("later", -10, 45),
        ("far", -10, 200),
        ("gone", -100, -5),
        ("future", 3, 90),
    ];
    for (name, from, left) in certs {
        let cn = format!("{name}.example");
        let req = IssueRequest {
            profile: Profile::Server,
            subject: SubjectSpec::cn(&cn),
            sans: vec![cn.clone()],
            not_before: now + Duration::days(from),
            not_after: now + Duration::days(left) + Duration::hours(1),
            path_len: None,
        };
        let cert = issue(&req, &key, None).unwrap();
        put(
            &store,
            &format!("{name}.pem"),
            cert.cert_pem.as_bytes(),
            0o644,
        );
    }
    let ro = if n == 1 { "--read-only " } else { "" };
    let t = Tmux::certdeck(&format!("{ro}--store {}", store.display()), w, h);
    t.wait_for("Items 6/6");
    t.keys(&["T"]);
    let s = t.wait_for("Expiry timeline");
    t.assert_fits(&s);
    assert!(s.contains("›exp"), "the first bar selected:\n{s}");
    assert!(s.contains("expired: 1 certificate "), "{s}");
    // Two bars right: the next 30 days, two certificates.
    t.keys(&["l", "l"]);
    let s = t.wait_for("›+1");
    assert!(s.contains("expiring in 0-29 days: 2 certificates"), "{s}");
    t.keys(&["Enter"]);
    let s = t.wait_for("Items 2/6");
    assert!(
        s.contains("soon-a.example") && s.contains("soon-b.example"),
        "{s}"
    );
    assert!(
        !s.contains("far.example") && !s.contains("gone.example"),
        "{s}"
    );
    assert!(
        s.contains("expiring in 0-29 days"),
        "the filter in the title:\n{s}"
    );
    t.assert_fits(&s);
    // The not-yet-valid bar.
    t.keys(&["T", "h", "Enter"]);
    let s = t.wait_for("Items 1/6");
    assert!(s.contains("future.example"), "{s}");
    t.keys(&["Escape"]);
    t.wait_for("Items 6/6");
    t.keys(&["q"]);
    t.wait_for("CERTDECK-EXITED-0");
}

#[test]
fn timeline_80x24() {
    timeline_case(0);
}

#[test]
fn timeline_120x40_read_only() {
    timeline_case(1);
}
