//! A store writer who puts terminal escapes, newlines and bidi overrides into a certificate's
//! CN and a file name cannot reach the admin's terminal: every human-readable output shows them
//! as visible `\x1b`-style text; JSON keeps the exact value.

use std::path::Path;
use std::process::Command;

use rcgen::{CertificateParams, DistinguishedName, DnType, DnValue, KeyPair};

/// What the attacker writes: set the title, ring, clear the screen, start a forged line,
/// and flip the rest right-to-left.
const EVIL_CN: &str = "\x1b]0;pwned\x07\x1b[2J\nFORGED line \u{202e}mep.yek";
const EVIL_FILE: &str = "evil\x1b[2J\n\u{202e}.pem";

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_certdeck")
}

fn evil_store() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut params = CertificateParams::new(vec!["evil.example".to_string()]).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, DnValue::Utf8String(EVIL_CN.to_string()));
    params.distinguished_name = dn;
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    std::fs::write(dir.path().join(EVIL_FILE), cert.pem()).unwrap();
    dir
}

struct Out {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

fn run(store: &Path, args: &[&str]) -> Out {
    let o = Command::new(bin())
        .args(args)
        .arg("--store")
        .arg(store)
        .env("CERTDECK_NEW_PASSPHRASE", "unused")
        .output()
        .unwrap();
    Out {
        code: o.status.code(),
        stdout: o.stdout,
        stderr: o.stderr,
    }
}

/// No byte a terminal acts on, no bidi override, no line that starts with the forged text;
/// and the visible escapes are there.
fn assert_escaped(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for bad in [0x1bu8, 0x07] {
        assert!(
            !bytes.contains(&bad),
            "{what}: raw byte {bad:#04x} in:\n{text}"
        );
    }
    assert!(
        !text.contains('\u{202e}'),
        "{what}: raw bidi override in:\n{text}"
    );
    assert!(
        !text.lines().any(|l| l.starts_with("FORGED")),
        "{what}: a forged line:\n{text}"
    );
    assert!(text.contains("\\x1b"), "{what}: escape not shown:\n{text}");
    assert!(
        text.contains("\\u{202e}"),
        "{what}: bidi not shown:\n{text}"
    );
}

#[test]
fn list_show_and_audit_show_store_text_escaped() {
    let store = evil_store();
    let list = run(store.path(), &["list"]);
    assert_eq!(list.code, Some(0));
    assert_escaped("list", &list.stdout);
    let text = String::from_utf8_lossy(&list.stdout);
    // The file name is shown too, on the same row as the name.
    let row = text.lines().find(|l| l.contains("evil\\x1b[2J")).unwrap();
    assert!(row.contains("\\n\\u{202e}.pem"), "{row}");

    let show = run(store.path(), &["show", EVIL_FILE]);
    assert_eq!(
        show.code,
        Some(0),
        "{}",
        String::from_utf8_lossy(&show.stderr)
    );
    assert_escaped("show", &show.stdout);
    let text = String::from_utf8_lossy(&show.stdout);
    let cn = text.lines().find(|l| l.starts_with("common name")).unwrap();
    assert!(
        cn.ends_with("\\x1b]0;pwned\\x07\\x1b[2J\\nFORGED line \\u{202e}mep.yek"),
        "{cn}"
    );

    let audit = run(store.path(), &["audit"]);
    assert_escaped("audit", &audit.stdout);
}

/// The Prometheus text stays one sample per line (label values escaped per the exposition
/// format), and JSON carries the exact CN.
#[test]
fn prometheus_lines_hold_and_json_keeps_the_exact_value() {
    let store = evil_store();
    let prom = run(store.path(), &["audit", "--prometheus"]);
    let text = String::from_utf8(prom.stdout).unwrap();
    for l in text.lines() {
        assert!(
            l.starts_with("# ") || (l.starts_with("certdeck_") && l.contains("} ")),
            "broken exposition line {l:?} in:\n{text}"
        );
    }
    assert!(text.contains("FORGED line"), "{text}");

    let json = run(store.path(), &["list", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let items = v["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .any(|it| it["common_name"] == EVIL_CN && it["path"] == EVIL_FILE),
        "exact CN and path not in the JSON: {v}"
    );
    let raw = serde_json::to_string(&v).unwrap();
    assert!(
        raw.contains("\\u001b]0;pwned\\u0007"),
        "JSON escapes: {raw}"
    );
}

/// The plan an admin reads before confirming: a dry run and the real apply of `trust`, which
/// names the file in its preview, show it escaped.
#[test]
fn plans_show_store_text_escaped() {
    let store = evil_store();
    let dry = run(store.path(), &["trust", EVIL_FILE, "--dry-run"]);
    assert_eq!(
        dry.code,
        Some(0),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    assert_escaped("trust --dry-run", &dry.stdout);
    let real = run(store.path(), &["trust", EVIL_FILE]);
    assert_eq!(
        real.code,
        Some(0),
        "{}",
        String::from_utf8_lossy(&real.stderr)
    );
    assert_escaped("trust", &real.stdout);
    // The apply really happened, with the raw name on disk.
    assert!(std::fs::read_dir(store.path().join("trusted")).is_ok());
}

/// An error that quotes store text (a selector, a path) is one escaped line on stderr.
#[test]
fn errors_quote_store_text_escaped() {
    let store = evil_store();
    let missing = format!("{EVIL_FILE}.missing");
    let r = run(store.path(), &["show", &missing]);
    assert_ne!(r.code, Some(0));
    assert_escaped("show error", &r.stderr);
    assert_eq!(
        String::from_utf8_lossy(&r.stderr)
            .trim_end()
            .lines()
            .count(),
        1,
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let bad = store.path().join(EVIL_FILE).join("x");
    let r = Command::new(bin())
        .arg("list")
        .arg("--store")
        .arg(&bad)
        .output()
        .unwrap();
    assert_ne!(r.status.code(), Some(0));
    assert_escaped("--store error", &r.stderr);
}

#[path = "tui_support/mod.rs"]
mod tui_support;

/// The TUI shows the same visible escapes in the list row and the details pane (ratatui alone
/// would drop C0 controls silently and pass the bidi override to the terminal).
#[test]
fn tui_row_and_details_show_store_text_escaped() {
    let mut evil = tui_support::cert(EVIL_FILE, EVIL_CN, 30, "Some CA");
    evil.path = EVIL_FILE.into();
    let app = tui_support::app_with(vec![evil], 140, 30);
    let buf = tui_support::render(&app);
    for cell in buf.content() {
        assert!(
            !cell
                .symbol()
                .chars()
                .any(|c| c != '\\' && certdeck::text::needs_escape(c)),
            "cell {:?} reaches the terminal",
            cell.symbol()
        );
    }
    let screen = tui_support::text(&buf);
    let row = screen
        .lines()
        .find(|l| l.contains('›'))
        .unwrap_or_else(|| panic!("no selected row:\n{screen}"));
    assert!(row.contains("\\x1b]0;pwned\\x07"), "{row}");
    assert!(screen.contains("\\u{202e}mep.yek"), "{screen}");
    assert!(screen.contains("evil\\x1b[2J\\n\\u{202e}.pem"), "{screen}");
}

/// The TUI's confirm dialog shows the plan the way the CLI does: the title and every line with
/// the store text escaped (the same `describe` lines as `--dry-run`).
#[test]
fn tui_confirm_dialog_shows_the_plan_escaped() {
    use certdeck::store::plan::{Op, Plan};
    use certdeck::tui::app::Msg;
    use certdeck::tui::effects::{Prepared, Work};
    let mut plan = Plan::new(format!("trust {EVIL_CN}"));
    plan.push(Op::Symlink {
        path: "trusted/0b472368.0".into(),
        target: format!("../{EVIL_FILE}"),
    });
    let store = std::path::Path::new("/nonexistent/certdeck-store");
    let prepared = Prepared {
        title: plan.action.clone(),
        lines: plan.preview(store).into_iter().map(|l| l.text).collect(),
        work: Work::Plan(plan),
    };
    let mut app = tui_support::app_with(vec![], 120, 30);
    app.update(Msg::PlanReady(Ok(prepared)));
    let buf = tui_support::render(&app);
    assert!(buf.content().iter().all(|c| !c
        .symbol()
        .chars()
        .any(|ch| ch != '\\' && certdeck::text::needs_escape(ch))));
    let screen = tui_support::text(&buf);
    let title = screen.lines().find(|l| l.contains("Apply?")).unwrap();
    assert!(
        title.contains("trust \\x1b]0;pwned\\x07\\x1b[2J\\nFORGED"),
        "{title}"
    );
    assert!(
        screen.contains("link    trusted/0b472368.0 -> ../evil\\x1b[2J\\n\\u{202e}.pem"),
        "{screen}"
    );
}
