//! Generate a big store for benchmarks: N one-certificate PEM files signed by one CA.
//! `cargo run --release --example genstore -- DIR N [--per-dir 1000]`

use certdeck::pki::issue::{self, IssueRequest, KeyType, Profile, Signer, SubjectSpec};
use time::{Duration, OffsetDateTime};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(args.get(1).expect("usage: genstore DIR N"));
    let n: usize = args
        .get(2)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10_000);
    let per_dir = 1000;
    std::fs::create_dir_all(&dir)?;
    let now = OffsetDateTime::now_utc();
    let ca_key = issue::generate_key(KeyType::EcP256)?;
    let ca = issue::issue(
        &IssueRequest {
            profile: Profile::Ca,
            subject: SubjectSpec::cn("Bench CA"),
            sans: vec![],
            not_before: now - Duration::days(1),
            not_after: now + Duration::days(3650),
            path_len: None,
        },
        &ca_key,
        None,
    )?;
    std::fs::write(dir.join("ca.pem"), &ca.cert_pem)?;
    // One leaf key for all: parsing cost per file is what we measure, not keygen.
    let leaf_key = issue::generate_key(KeyType::EcP256)?;
    for i in 0..n {
        let sub = dir.join(format!("d{:03}", i / per_dir));
        if i % per_dir == 0 {
            std::fs::create_dir_all(&sub)?;
        }
        let cn = format!("host{i}.bench.example");
        let leaf = issue::issue(
            &IssueRequest {
                profile: Profile::Server,
                subject: SubjectSpec::cn(&cn),
                sans: vec![format!("DNS:{cn}")],
                not_before: now - Duration::days(1),
                not_after: now + Duration::days(1 + (i % 400) as i64),
                path_len: None,
            },
            &leaf_key,
            Some(Signer {
                cert_der: &ca.cert_der,
                key: &ca_key,
            }),
        )?;
        std::fs::write(sub.join(format!("{cn}.pem")), leaf.cert_pem)?;
    }
    println!("{}", dir.display());
    Ok(())
}
