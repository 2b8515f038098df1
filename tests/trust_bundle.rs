//! A CA bundle kept in step with the trust dir (Harper's `tls.certificateAuthority` style file).

use std::path::Path;
use std::process::Command;

fn certdeck(store: &Path, args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_certdeck"))
        .args(args)
        .arg("--store")
        .arg(store)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn subjects(bundle: &Path) -> Vec<String> {
    let data = std::fs::read_to_string(bundle).unwrap();
    let mut out = vec![];
    for block in data.split_inclusive("-----END CERTIFICATE-----\n") {
        if !block.contains("BEGIN CERTIFICATE") {
            continue;
        }
        let mut c = Command::new("openssl")
            .args(["x509", "-noout", "-subject", "-nameopt", "RFC2253"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        c.stdin.take().unwrap().write_all(block.as_bytes()).unwrap();
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "openssl cannot read a bundle block");
        out.push(String::from_utf8_lossy(&o.stdout).trim().to_string());
    }
    out
}

#[test]
fn bundle_follows_trust_and_revoke_and_openssl_reads_it() {
    let tmp = tempfile::tempdir().unwrap();
    let s = tmp.path();
    certdeck(s, &["generate", "ca", "--cn", "Bundle CA"]);
    certdeck(
        s,
        &["generate", "client", "--cn", "alice", "--ca", "Bundle CA"],
    );
    certdeck(s, &["generate", "client", "--cn", "pinned"]);
    let b = "trusted/ca-bundle.pem";
    certdeck(s, &["trust", "Bundle CA", "--bundle", b]);
    certdeck(s, &["trust", "pinned", "--bundle", b]);
    let bundle = s.join(b);
    let subs = subjects(&bundle);
    assert_eq!(subs.len(), 2, "{subs:?}");
    assert!(subs.iter().any(|x| x.contains("CN=Bundle CA")));
    assert!(subs.iter().any(|x| x.contains("CN=pinned")));
    // openssl verifies alice against the bundle as a CAfile.
    let v = Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(&bundle)
        .arg(s.join("alice.pem"))
        .output()
        .unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    // Revoking the pinned client takes it out of the bundle; the old bundle is in history.
    certdeck(s, &["revoke", "pinned", "--bundle", b]);
    let subs = subjects(&bundle);
    assert_eq!(subs.len(), 1, "{subs:?}");
    assert!(subs[0].contains("CN=Bundle CA"));
    let journal = std::fs::read_to_string(s.join("history/journal.jsonl")).unwrap();
    assert!(journal.contains("ca-bundle.pem"));
    // A rehash with nothing to change leaves the bundle alone (no new plan op for it).
    let out = certdeck(s, &["rehash", "--bundle", b, "--dry-run"]);
    assert!(!out.contains("ca-bundle.pem"), "{out}");
}
