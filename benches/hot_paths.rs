//! Decode and subject-hash hot paths (`cargo bench --bench hot_paths`). Whole-program figures
//! (read floor, pyca, openssl, RSS, bytes per keystroke) come from bench/run.sh.

use certdeck::pki::decode::{decode_file, DecodeOptions};
use certdeck::pki::issue::{self, IssueRequest, KeyType, Profile, SubjectSpec};
use certdeck::pki::subject_hash::subject_hash;

fn main() {
    divan::main();
}

fn sample_pem() -> Vec<u8> {
    let now = time::OffsetDateTime::now_utc();
    let key = issue::generate_key(KeyType::EcP256).expect("key");
    let mut s = SubjectSpec::cn("bench.example.com");
    s.o = Some("Bench Org".into());
    s.c = Some("DE".into());
    issue::issue(
        &IssueRequest {
            profile: Profile::Server,
            subject: s,
            sans: vec!["DNS:bench.example.com".into()],
            not_before: now,
            not_after: now + time::Duration::days(90),
            path_len: None,
        },
        &key,
        None,
    )
    .expect("cert")
    .cert_pem
    .into_bytes()
}

#[divan::bench]
fn decode_one_pem_certificate(b: divan::Bencher) {
    let pem = sample_pem();
    let opts = DecodeOptions {
        now: 1_700_000_000,
        warn_days: 30,
        passphrases: vec![],
    };
    b.bench(|| decode_file(divan::black_box(&pem), "c.pem", &opts));
}

#[divan::bench]
fn openssl_subject_hash(b: divan::Bencher) {
    let pem = sample_pem();
    let opts = DecodeOptions::default();
    let item = decode_file(&pem, "c.pem", &opts).remove(0);
    let cert = item.cert().expect("certificate").clone();
    b.bench(|| subject_hash(divan::black_box(cert.subject_raw())));
}

/// One filter keystroke on a 100,000-item list: the update (incremental search over every
/// item) plus the frame it draws at 80x24. Typing `x` then deleting it: two keystrokes per
/// iteration, each searching all 100,000 items (the worst case; narrowing searches less).
#[divan::bench(sample_count = 20)]
fn filter_two_keystrokes_100k(b: divan::Bencher) {
    filter_keystrokes(b, 'x');
}

/// The same with a hex digit, which is also looked for in every item's fingerprint.
#[divan::bench(sample_count = 20)]
fn filter_two_hex_keystrokes_100k(b: divan::Bencher) {
    filter_keystrokes(b, 'c');
}

fn filter_keystrokes(b: divan::Bencher, ch: char) {
    use certdeck::tui::app::{App, Msg};
    use ratatui::backend::TestBackend;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::Terminal;
    let pem = sample_pem();
    let one = decode_file(&pem, "c.pem", &DecodeOptions::default()).remove(0);
    let items: Vec<_> = (0..100_000)
        .map(|i| {
            let mut it = one.clone();
            it.path = format!("d{:03}/host{i}.bench.example.pem", i / 1000);
            it
        })
        .collect();
    let mut app = App::new("/bench".into(), Default::default(), 1_700_000_000);
    app.update(Msg::Resize(80, 24));
    app.set_items(items);
    let key = |c| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
    app.update(key(KeyCode::Char('/')));
    let mut term = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    b.bench_local(|| {
        for k in [KeyCode::Char(ch), KeyCode::Backspace] {
            app.update(key(k));
            term.draw(|f| certdeck::tui::view::draw(f, &app))
                .expect("draw");
        }
    });
}

/// 100,000 certificates in an app, as `set_now` judges them.
fn app_100k(background: bool) -> certdeck::tui::app::App {
    use certdeck::tui::app::{App, Msg};
    let pem = sample_pem();
    let one = decode_file(&pem, "c.pem", &DecodeOptions::default()).remove(0);
    let items: Vec<_> = (0..100_000)
        .map(|i| {
            let mut it = one.clone();
            it.path = format!("d{:03}/host{i}.bench.example.pem", i / 1000);
            it
        })
        .collect();
    let mut app = App::new("/bench".into(), Default::default(), 1_700_000_000);
    app.findings_state.background = background;
    app.update(Msg::Resize(80, 24));
    app.set_items(items);
    app
}

/// The findings of a 100,000-item store recomputed, as after a scan, a verification or the
/// minute tick: counts and every audit check, all on the calling thread. This was the UI
/// thread's cost of `App::set_now` before the checks moved to a worker; it is the worker's
/// job now (`FindingsJob::run`, plus the counts).
#[divan::bench(sample_count = 5)]
fn findings_recompute_100k(b: divan::Bencher) {
    let mut app = app_100k(false);
    let mut t = 1_700_000_000;
    b.bench_local(|| {
        t += 60;
        app.set_now(t);
    });
}

/// What the UI thread pays for the minute tick at 100,000 items now: the counts, and a
/// request for the findings (the worker's job is `findings_recompute_100k`). The first
/// request's job is taken and never answered, as if a worker still ran it; later requests
/// only mark the findings wanted.
///
/// Measured on the 2-core dev box (release, divan medians): `findings_recompute_100k` 1.756 s
/// (what each minute tick, scan and verification cost the UI thread before), this 14.92 ms.
#[divan::bench(sample_count = 20)]
fn set_now_ui_thread_100k(b: divan::Bencher) {
    let mut app = app_100k(true);
    let mut t = 1_700_000_000;
    b.bench_local(|| {
        t += 60;
        app.set_now(t);
        app.findings_job()
    });
}

/// 100,000 certificates as the exporter holds them (synthetic details; rendering reads fields only).
fn exporter_items_100k() -> Vec<certdeck::pki::Item> {
    use certdeck::pki::{CertInfo, Detail, Item, ItemKind};
    (0..100_000)
        .map(|i| Item {
            path: format!("issued/{:03}/leaf-{i}.pem", i % 1000),
            index: 0,
            kind: ItemKind::Certificate,
            error: None,
            alias: None,
            source: "CERTIFICATE".into(),
            links: vec![],
            used_by: vec![],
            detail: Detail::Certificate(Box::new(CertInfo {
                common_name: Some(format!("host-{i}.example.com")),
                issuer: "CN=Bench Issuing CA,O=certdeck bench".into(),
                serial: format!("{i:032x}"),
                sha256: format!("{:064x}", i as u128 * 0x9e37_79b9_7f4a_7c15),
                not_after_unix: 1_900_000_000 + i,
                ..Default::default()
            })),
            der: None,
        })
        .collect()
}

fn exporter_render(
    items: &[certdeck::pki::Item],
    format: certdeck::exporter::metrics::Format,
) -> String {
    use certdeck::exporter::metrics::{render, Options, StoreView};
    let view = StoreView {
        store: std::path::Path::new("/srv/bench"),
        items,
        findings: &[],
        status: 0,
        scan_seconds: 1.0,
        scanned_at: 0,
    };
    render(
        &[view],
        &Options {
            x509_compat: false,
            now: 0,
        },
        format,
    )
}

/// What a change costs the exporter: rendering 100,000 certificates (done once per change).
#[divan::bench(sample_count = 10)]
fn exporter_render_100k(b: divan::Bencher) {
    let items = exporter_items_100k();
    b.bench(|| exporter_render(&items, certdeck::exporter::metrics::Format::Text).len());
}

/// What a scrape costs: a whole GET /metrics of 100,000 certificates over loopback, from the
/// cached snapshot (target < 200 ms).
#[divan::bench(sample_count = 20)]
fn exporter_scrape_100k(b: divan::Bencher) {
    use std::io::{Read, Write};
    let items = exporter_items_100k();
    let text: std::sync::Arc<str> =
        exporter_render(&items, certdeck::exporter::metrics::Format::Text).into();
    drop(items);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        certdeck::exporter::http::serve(
            listener,
            Default::default(),
            std::sync::Arc::new(move |_| text.clone()),
        )
    });
    b.bench(|| {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(b"GET /metrics HTTP/1.1\r\n\r\n").unwrap();
        let mut out = Vec::with_capacity(32 << 20);
        s.read_to_end(&mut out).unwrap();
        out.len()
    });
}
