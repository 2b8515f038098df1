//! End to end, what the TUI shows (issue #15's content items): the real binary in tmux at
//! 80x24 and 120x40, one run of each test with --read-only.

mod tmux_support;

use certdeck::pki::issue::{generate_key, issue, key_to_pkcs8_pem, IssueRequest, KeyType, Profile};
use certdeck::pki::issue::{Signer, SubjectSpec};
use std::path::Path;
use std::time::Duration;
use time::OffsetDateTime;
use tmux_support::*;

fn request(profile: Profile, cn: &str, from: OffsetDateTime, days: i64) -> IssueRequest {
    IssueRequest {
        profile,
        subject: SubjectSpec::cn(cn),
        sans: if profile == Profile::Ca {
            vec![]
        } else {
            vec![cn.to_string()]
        },
        not_before: from,
        not_after: from + time::Duration::days(days),
        path_len: None,
    }
}

/// `--read-only` on the second size: read-only must show the same content.
fn flags(store: &Path, n: usize) -> String {
    let ro = if n == 1 { "--read-only " } else { "" };
    format!("{ro}--store {}", store.display())
}

/// A certificate that becomes valid 40 s after the start shows "not yet valid"; once that time
/// has passed, `r` shows it valid (the dates are judged against the current time, not the
/// launch's).
fn clock_case(n: usize) {
    let (w, h) = SIZES[n];
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("s");
    let from = OffsetDateTime::now_utc() + time::Duration::seconds(40);
    let key = generate_key(KeyType::EcP256).unwrap();
    let cert = issue(&request(Profile::Ca, "later.example", from, 90), &key, None).unwrap();
    put(&store, "later.pem", cert.cert_pem.as_bytes(), 0o644);
    let t = Tmux::certdeck(&flags(&store, n), w, h);
    let s = t.wait_for("later.example");
    // The row (selected: the only one); the details say it in words.
    assert!(
        line_with(&s, "›later.example").contains("future"),
        "row not marked as not yet valid:\n{s}"
    );
    let s = t.wait_for("not yet");
    t.assert_fits(&s);
    let wait = from - OffsetDateTime::now_utc() + time::Duration::seconds(2);
    std::thread::sleep(Duration::try_from(wait).unwrap_or_default());
    t.keys(&["r"]);
    let s = t.wait_until("the certificate valid after r", |s| {
        !s.contains("not yet") && !line_with(s, "›later.example").contains("future")
    });
    assert!(
        line_with(&s, "›later.example").contains(" ok"),
        "row not ok after the rescan:\n{s}"
    );
    t.keys(&["q"]);
    t.wait_for("CERTDECK-EXITED-0");
}

#[test]
fn clock_80x24() {
    clock_case(0);
}

#[test]
fn clock_120x40_read_only() {
    clock_case(1);
}

/// A store with one certificate and a config naming it with `reload_command`; returns the
/// `--config … --store web` flags.
fn store_with_reload(dir: &Path, script: &str) -> String {
    let store = dir.join("s");
    let key = generate_key(KeyType::EcP256).unwrap();
    let now = OffsetDateTime::now_utc();
    let cert = issue(&request(Profile::Ca, "web.example", now, 90), &key, None).unwrap();
    put(&store, "web.pem", cert.cert_pem.as_bytes(), 0o644);
    let sh = dir.join("reload.sh");
    std::fs::write(&sh, script).unwrap();
    let cfg = dir.join("config.toml");
    let toml = format!(
        "[stores.web]\npath = {:?}\nreload_command = \"sh {}\"\n",
        store.display().to_string(),
        sh.display()
    );
    std::fs::write(&cfg, toml).unwrap();
    format!("--config {} --store web", cfg.display())
}

/// What a failed nginx reload prints: 30 lines, the `[emerg]` one first.
const FAILED_RELOAD: &str = r#"echo 'nginx: [emerg] cannot load certificate "/etc/nginx/tls/web.pem": PEM_read_bio_X509_AUX() failed (SSL: error:0480006C:PEM routines::no start line)'
i=1; while [ $i -le 28 ]; do echo "detail line $i of the reload"; i=$((i+1)); done
echo 'nginx: configuration file /etc/nginx/nginx.conf test failed'
exit 1
"#;

/// A reload's 30 lines of output open in a pager, in order, first line kept, every line
/// reachable by scrolling; the message log keeps earlier messages with their time.
fn reload_output_case(n: usize) {
    let (w, h) = SIZES[n];
    let tmp = tempfile::tempdir().unwrap();
    let args = store_with_reload(tmp.path(), FAILED_RELOAD);
    let t = Tmux::certdeck(&args, w, h);
    t.wait_for("web.example");
    // An earlier message: a cancelled reload.
    t.keys(&["l"]);
    t.wait_for("Apply?");
    t.keys(&["n"]);
    t.wait_for("cancelled: nothing changed");
    t.keys(&["l"]);
    t.wait_for("Apply?");
    t.keys(&["y"]);
    let s = t.wait_for("[emerg]");
    t.assert_fits(&s);
    assert!(
        s.contains("exit status: 1"),
        "status line of the output:\n{s}"
    );
    // Scroll to the end, collecting every line seen, and check the order on the way.
    let mut seen = Vec::<String>::new();
    for _ in 0..40 {
        let s = t.settled();
        for l in s.lines() {
            if let Some(p) = l.find("detail line ") {
                let rest = &l[p..];
                let line = rest.split(" of the reload").next().unwrap().to_string();
                if !seen.contains(&line) {
                    seen.push(line);
                }
            }
        }
        if s.contains("test failed") {
            break;
        }
        t.keys(&["j"]);
    }
    let want: Vec<String> = (1..=28).map(|i| format!("detail line {i}")).collect();
    assert_eq!(seen, want, "every line, in order");
    let s = t.screen();
    assert!(s.contains("test failed"), "last line reachable:\n{s}");
    // Back at the top the first line is still there.
    t.keys(&["g"]);
    t.wait_for("[emerg]");
    t.keys(&["Escape"]);
    let s = t.wait_until("the pager closed", |s| !s.contains("[emerg]"));
    assert!(s.contains("web.example"), "{s}");
    // The log: the earlier message first, then the reload's, with times.
    // It opens at the newest; the oldest is at the top.
    t.keys(&["M"]);
    t.wait_for("Messages (2 of");
    t.keys(&["g"]);
    let s = t.wait_for("cancelled: nothing changed");
    let cancelled = s.find("cancelled: nothing changed");
    let reload = s.find("reload (exit status: 1)");
    assert!(
        cancelled.is_some() && reload.is_some() && cancelled < reload,
        "log in order, oldest first:\n{s}"
    );
    let stamp = line_with(&s, "cancelled: nothing changed");
    assert!(
        stamp.chars().filter(|&c| c == ':').count() >= 2,
        "a time on every message: {stamp:?}"
    );
    t.keys(&["q"]);
    t.wait_until("the log closed", |s| !s.contains("Messages ("));
    t.keys(&["q"]);
    t.wait_for("CERTDECK-EXITED-0");
}

#[test]
fn reload_output_80x24() {
    reload_output_case(0);
}

#[test]
fn reload_output_120x40() {
    reload_output_case(1);
}

/// Read-only: the reload is refused (a short message, in the status line), a probe's long
/// error opens the pager at 80 columns; the log has both.
#[test]
fn read_only_messages_80x24_and_120x40() {
    for (w, h) in SIZES {
        let tmp = tempfile::tempdir().unwrap();
        let args = store_with_reload(tmp.path(), FAILED_RELOAD);
        let t = Tmux::certdeck(&format!("--read-only {args}"), w, h);
        t.wait_for("web.example");
        t.keys(&["l"]);
        let s = t.wait_for("read-only: reload is disabled");
        assert!(
            !s.contains("Message "),
            "a short message needs no pager:\n{s}"
        );
        t.keys(&["p"]);
        t.wait_for("Probe");
        t.keys(&["127.0.0.1:1", "Enter"]);
        let s = t.wait_for("network connections are denied");
        t.assert_fits(&s);
        // The end of the message: cut at the screen's width today.
        let error = "127.0.0.1:1`";
        if w < 110 {
            // Wider than the screen: the pager shows all of it.
            assert!(s.contains(" Error "), "{s}");
            assert!(s.contains(error), "{s}");
            t.keys(&["Escape"]);
            t.wait_until("the pager closed", |s| !s.contains(" Error "));
        } else {
            assert!(
                line_with(&s, "denied").contains(error),
                "one line at {w}:\n{s}"
            );
        }
        t.keys(&["M"]);
        let s = t.wait_for("Messages (");
        assert!(s.contains("read-only: reload is disabled"), "{s}");
        assert!(s.contains("network connections are denied"), "{s}");
        t.keys(&["q", "q"]);
        t.wait_for("CERTDECK-EXITED-0");
    }
}

/// A store with three problems audit reports: a key readable by others (key-permissions), a
/// certificate next to a key that is not its own (key-mismatch), and a certificate whose
/// issuer is missing (incomplete-chain).
fn store_with_findings(store: &Path) {
    let now = OffsetDateTime::now_utc() - time::Duration::hours(1);
    let ca_key = generate_key(KeyType::EcP256).unwrap();
    let ca = issue(&request(Profile::Ca, "Gone CA", now, 900), &ca_key, None).unwrap();
    let leaf_key = generate_key(KeyType::EcP256).unwrap();
    let signer = Signer {
        cert_der: &ca.cert_der,
        key: &ca_key,
    };
    let shop = issue(
        &request(Profile::Server, "shop.example", now, 90),
        &leaf_key,
        Some(signer),
    )
    .unwrap();
    put(store, "shop/cert.pem", shop.cert_pem.as_bytes(), 0o644);
    let other = generate_key(KeyType::EcP256).unwrap();
    put(
        store,
        "shop/privkey.pem",
        key_to_pkcs8_pem(&other).as_bytes(),
        0o600,
    );
    let api_key = generate_key(KeyType::EcP256).unwrap();
    let api = issue(
        &request(Profile::Server, "api.example", now, 90),
        &api_key,
        None,
    )
    .unwrap();
    put(store, "loose/api.pem", api.cert_pem.as_bytes(), 0o644);
    put(
        store,
        "loose/api.key",
        key_to_pkcs8_pem(&api_key).as_bytes(),
        0o644,
    );
}

/// The selected row (the one with the selection marker).
fn selected_row(s: &str) -> &str {
    line_with(s, "›")
}

fn findings_case(n: usize) {
    let (w, h) = SIZES[n];
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("s");
    store_with_findings(&store);
    let t = Tmux::certdeck(&flags(&store, n), w, h);
    // Signatures are verified in the background: the chain finding follows.
    let s = t.wait_until("a critical marker on the shop row", |s| {
        let row = line_with(s, "shop.example");
        row.starts_with("┃C") || row.starts_with("│C")
    });
    t.assert_fits(&s);
    // The key's row is marked too.
    t.keys(&["/", "a", "p", "i", ".", "k", "Enter"]);
    let s = t.wait_until("the key row selected", |s| {
        selected_row(s).contains("api") && selected_row(s).contains("key")
    });
    assert!(
        selected_row(&s).contains("C ›") || selected_row(&s).contains("C›"),
        "marker on the key's row: {:?}\n{s}",
        selected_row(&s)
    );
    let s = t.wait_for("key-permissions");
    assert!(s.contains("fix"), "the fix text in the details:\n{s}");
    // The findings view: all three, most severe first.
    t.keys(&["f"]);
    let s = t.wait_for("Findings:");
    for code in ["key-permissions", "key-mismatch", "incomplete-chain"] {
        assert!(s.contains(code), "{code} in the findings view:\n{s}");
    }
    t.assert_fits(&s);
    // Down to the chain finding, Enter: its certificate is selected (the filter hid it).
    for _ in 0..10 {
        // The view's selected line (inside the popup's border).
        if line_with(&t.settled(), "│› ").contains("incomplete-chain") {
            break;
        }
        t.keys(&["j"]);
    }
    t.keys(&["Enter"]);
    let s = t.wait_until("the findings view closed", |s| !s.contains("Findings:"));
    let s = if s.contains("shop.example") {
        s
    } else {
        t.wait_for("shop.example")
    };
    assert!(
        selected_row(&s).contains("shop.example"),
        "the chain finding's item is selected:\n{s}"
    );
    t.wait_for("incomplete-chain");
    t.keys(&["q"]);
    t.wait_for("CERTDECK-EXITED-0");
}

#[test]
fn findings_80x24() {
    findings_case(0);
}

#[test]
fn findings_120x40_read_only() {
    findings_case(1);
}

/// Rows: a certificate expired 1370 days ago fits its days cell, a long name is cut with `…`,
/// and at 100+ columns a Path column tells two same-named rows apart; "1 error", not "1 errors".
fn rows_case(n: usize) {
    let (w, h) = SIZES[n];
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("s");
    let from = OffsetDateTime::now_utc() - time::Duration::days(1370 + 90);
    let key = generate_key(KeyType::EcP256).unwrap();
    let cn = "legacy-backend-api.internal.example.com";
    let old = issue(&request(Profile::Server, cn, from, 90), &key, None).unwrap();
    put(&store, "a/legacy.pem", old.cert_pem.as_bytes(), 0o644);
    put(&store, "b/legacy.pem", old.cert_pem.as_bytes(), 0o644);
    put(
        &store,
        "broken.pem",
        b"-----BEGIN CERTIFICATE-----\n!!\n",
        0o644,
    );
    let t = Tmux::certdeck(&flags(&store, n), w, h);
    let s = t.wait_for("legacy-backend");
    t.assert_fits(&s);
    let list_rows: Vec<&str> = s.lines().filter(|l| l.contains("EXPIRED")).collect();
    assert_eq!(list_rows.len(), 2, "{s}");
    for row in &list_rows {
        // 1370 or 1371 days, by the time of day.
        assert!(
            row.contains("!-137") && row.contains("d "),
            "days cell cut: {row:?}"
        );
        assert!(!row.contains("!!-137"), "days cell overflows: {row:?}");
        assert!(
            row.contains("legacy-backend-") && row.contains('…'),
            "{row:?}"
        );
    }
    if w >= 100 {
        assert!(list_rows[0].contains("a/legacy.pem") || list_rows[1].contains("a/legacy.pem"));
        assert!(list_rows[0].contains("b/legacy.pem") || list_rows[1].contains("b/legacy.pem"));
    } else {
        // At 80 columns the path is in the details of the selected row (the unreadable
        // file is listed first: one down).
        t.keys(&["j"]);
        t.wait_for("legacy.pem #0");
    }
    let s = t.wait_for("1 error ");
    assert!(!s.contains("1 errors"), "{s}");
    t.keys(&["q"]);
    t.wait_for("CERTDECK-EXITED-0");
}

#[test]
fn rows_80x24() {
    rows_case(0);
}

#[test]
fn rows_120x40_read_only() {
    rows_case(1);
}
