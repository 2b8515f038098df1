//! The `<hash>.N` / `<hash>.rN` links certdeck makes in a trust dir are exactly the ones
//! `openssl rehash` makes from the same files, and `certdeck rehash` repairs a damaged dir
//! (dangling link, gap in the sequence) back to that state.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use common::*;

/// Copy the regular files of `trusted` (no links) into a fresh dir, run `openssl rehash` on
/// it and return its links.
fn openssl_rehash_links(trusted: &Path, scratch: &Path) -> BTreeMap<String, String> {
    if scratch.exists() {
        std::fs::remove_dir_all(scratch).unwrap();
    }
    std::fs::create_dir(scratch).unwrap();
    for e in std::fs::read_dir(trusted).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), scratch.join(e.file_name())).unwrap();
        }
    }
    let (code, out, err) = run_with_timeout(
        OPENSSL,
        &["rehash", scratch.to_str().unwrap()],
        scratch,
        None,
        Duration::from_secs(30),
    );
    assert_eq!(code, Some(0), "openssl rehash failed:\n{out}\n{err}");
    links_in(scratch)
}

fn audit_codes(store: &Path) -> String {
    let r = cd(store, &["audit", "--no-system-trust"]);
    assert!(
        matches!(r.code, Some(0..=2)),
        "audit exit {:?}\n{}\n{}",
        r.code,
        r.stdout,
        r.stderr
    );
    r.stdout
}

#[test]
fn trust_links_match_openssl_rehash_and_rehash_repairs() {
    let tmp = tempfile::tempdir().unwrap();
    let st = tmp.path().join("store");
    std::fs::create_dir(&st).unwrap();
    let st = st.as_path();

    cd(st, &["generate", "ca", "--cn", "Rehash CA"]).ok();
    cd(
        st,
        &["generate", "client", "--cn", "alice", "--ca", "Rehash CA"],
    )
    .ok();
    // Two different certificates with the same subject: same hash, .0 and .1.
    cd(st, &["generate", "client", "--cn", "twin", "--dir", "a"]).ok();
    cd(
        st,
        &[
            "generate",
            "client",
            "--cn",
            "twin",
            "--dir",
            "b",
            "--key-type",
            "ed25519",
        ],
    )
    .ok();
    cd(
        st,
        &[
            "generate",
            "server",
            "--cn",
            "srv.example",
            "--san",
            "DNS:srv.example",
            "--key-type",
            "rsa-2048",
        ],
    )
    .ok();
    for sel in [
        "Rehash CA",
        "alice",
        "a/twin.pem",
        "b/twin.pem",
        "srv.example",
    ] {
        cd(st, &["trust", sel]).ok();
    }
    let trusted = st.join("trusted");
    let ours = links_in(&trusted);
    let twin_hash = x509_field(st, "a/twin.pem", "-subject_hash");
    assert_eq!(twin_hash, x509_field(st, "b/twin.pem", "-subject_hash"));
    assert!(ours.contains_key(&format!("{twin_hash}.0")), "{ours:#?}");
    assert!(ours.contains_key(&format!("{twin_hash}.1")), "{ours:#?}");
    let ca_hash = x509_field(st, "rehash-ca.pem", "-subject_hash");
    assert_eq!(
        ours.get(&format!("{ca_hash}.r0")).map(String::as_str),
        Some("rehash-ca.crl.pem"),
        "{ours:#?}"
    );
    let theirs = openssl_rehash_links(&trusted, &tmp.path().join("scratch"));
    assert_eq!(ours, theirs, "certdeck links differ from openssl rehash");
    assert_eq!(ours.len(), 6, "{ours:#?}"); // CA, CRL, alice, twin x2, srv

    // A revoke re-links without gaps (twin .1 becomes .0 when the .0 one goes).
    let first_twin = ours[&format!("{twin_hash}.0")].clone();
    cd(st, &["revoke", &format!("trusted/{first_twin}")]).ok();
    let after = links_in(&trusted);
    assert!(after.contains_key(&format!("{twin_hash}.0")), "{after:#?}");
    assert!(!after.contains_key(&format!("{twin_hash}.1")), "{after:#?}");
    assert_eq!(
        after,
        openssl_rehash_links(&trusted, &tmp.path().join("scratch"))
    );

    // Damage: a dangling link and a gap (.0 renamed to .2 for alice's hash).
    let before_damage = snapshot(st, &[".certdeck.lock"]);
    std::os::unix::fs::symlink("gone.pem", trusted.join("deadbeef.0")).unwrap();
    let alice_hash = x509_field(st, "alice.pem", "-subject_hash");
    std::fs::rename(
        trusted.join(format!("{alice_hash}.0")),
        trusted.join(format!("{alice_hash}.2")),
    )
    .unwrap();
    let report = audit_codes(st);
    assert!(report.contains("dangling-link"), "{report}");
    assert!(report.contains("link-gap"), "{report}");

    // Dry run first: says what it would do, changes nothing.
    let damaged = snapshot(st, &[".certdeck.lock"]);
    let dry = cd(st, &["rehash", "--dry-run"]);
    dry.ok();
    assert!(dry.stdout.contains("deadbeef.0"), "{}", dry.stdout);
    assert_eq!(damaged, snapshot(st, &[".certdeck.lock"]));

    let r = cd(st, &["rehash"]);
    r.ok();
    let fixed = links_in(&trusted);
    assert_eq!(
        fixed,
        openssl_rehash_links(&trusted, &tmp.path().join("scratch")),
        "after certdeck rehash:\n{}",
        r.stdout
    );
    assert!(!fixed.contains_key("deadbeef.0"));
    assert!(!fixed.contains_key(&format!("{alice_hash}.2")));
    // Same links as before the damage (history and journal aside).
    let strip = |m: BTreeMap<String, String>| -> BTreeMap<String, String> {
        m.into_iter()
            .filter(|(k, _)| !k.starts_with("history"))
            .collect()
    };
    assert_eq!(
        strip(before_damage),
        strip(snapshot(st, &[".certdeck.lock"]))
    );
    // The stale links were moved to history, not deleted.
    let hist = snapshot(&st.join("history"), &[]);
    assert!(
        hist.iter()
            .any(|(k, v)| k.ends_with("trusted/deadbeef.0") && v == "link -> gone.pem"),
        "{hist:#?}"
    );
    let report = audit_codes(st);
    assert!(!report.contains("dangling-link"), "{report}");
    assert!(!report.contains("link-gap"), "{report}");

    // Idempotent: a second rehash has nothing to do.
    let again = cd(st, &["rehash", "--json"]);
    again.ok();
    assert_eq!(
        fixed,
        links_in(&trusted),
        "second rehash changed links:\n{}",
        again.stdout
    );
}
