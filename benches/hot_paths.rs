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
    b.bench(|| subject_hash(divan::black_box(&cert.subject_raw)));
}
