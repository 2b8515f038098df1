//! The TUI's streaming scan (walk and decode at once, items handed over, signatures checked
//! afterwards in the background) ends with exactly the inventory the synchronous scan gives,
//! links and chains included, and its batches add up to every item.

use certdeck::store::scan::{finish_walk, scan, spawn_scan, spawn_verify, ScanEvent, ScanOptions};

#[test]
fn streaming_scan_matches_the_synchronous_one() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("demo");
    certdeck::demo::create_demo_store(&store, time::OffsetDateTime::now_utc()).unwrap();
    // Enough files for many chunks.
    for i in 0..300 {
        std::fs::copy(
            store.join("clients/alice.pem"),
            store.join(format!("clients/copy-{i:03}.pem")),
        )
        .unwrap();
    }
    let opts = ScanOptions::default();
    let sync = scan(&store, &opts);
    let rx = spawn_scan(store.clone(), opts.clone());
    let mut items = vec![];
    let mut walked = None;
    for ev in rx {
        match ev {
            ScanEvent::Items(b) => items.extend(b),
            ScanEvent::Progress {
                files_done,
                files_total,
            } => assert!(files_done <= files_total),
            ScanEvent::Walked { store, links, .. } => walked = Some((store, links)),
            other => panic!("unexpected event from a scan without server configs: {other:?}"),
        }
    }
    let (root, links) = walked.expect("Walked event");
    assert_eq!(items.len(), sync.items.len(), "every item streamed once");
    let unverified = certdeck::store::inventory::AnalyzeOptions {
        verify_signatures: false,
        ..opts.analyze.clone()
    };
    let done = finish_walk(root, items, &links, &unverified);
    let key = |inv: &certdeck::store::inventory::Inventory| {
        inv.items
            .iter()
            .map(|i| (i.path.clone(), i.index, i.links.clone(), i.kind))
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&done), key(&sync));
    assert!(
        done.items.iter().any(|i| !i.links.is_empty()),
        "hash link recorded"
    );
    // Before verification every chain that reached a root is `unverified`, never `valid`.
    let chains = |inv: &certdeck::store::inventory::Inventory| {
        inv.items
            .iter()
            .filter_map(|i| Some((i.path.clone(), i.index, i.cert()?.chain)))
            .collect::<Vec<_>>()
    };
    assert!(chains(&done)
        .iter()
        .all(|c| c.2 != certdeck::pki::ChainStatus::Valid));
    assert!(chains(&done)
        .iter()
        .any(|c| c.2 == certdeck::pki::ChainStatus::Unverified));
    // The background verification turns it into exactly the synchronous scan's chains.
    let done = std::sync::Arc::new(done);
    let mut verified = None;
    for ev in spawn_verify(done.clone(), opts.analyze.clone(), None) {
        match ev {
            ScanEvent::Verifying { done, total } => assert!(done <= total),
            ScanEvent::Verified(r) => verified = Some(r),
            other => panic!("unexpected event from verification: {other:?}"),
        }
    }
    let mut done = std::sync::Arc::try_unwrap(done).expect("verifier let go of the inventory");
    done.apply_chains(verified.expect("Verified event"));
    assert_eq!(chains(&done), chains(&sync));
}

/// Files changed under a scanned store (added, replaced, deleted, links added and removed),
/// re-read one by one and spliced into the inventory in place, give what a full rescan gives
/// once the chains are verified again; vectors kept beside the items follow the splice.
#[test]
fn changed_files_applied_in_place_match_a_full_rescan() {
    use certdeck::store::scan::read_changes;
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("demo");
    certdeck::demo::create_demo_store(&store, time::OffsetDateTime::now_utc()).unwrap();
    let opts = ScanOptions::default();
    let mut inv = scan(&store, &opts);
    let before: Vec<String> = inv.items.iter().map(|i| i.path.clone()).collect();

    let at = |rel: &str| store.join(rel);
    // A new client certificate, an old one replaced by another, a key deleted, a hash link
    // added for the new file and the existing one removed, a file that is not a certificate.
    std::fs::copy(at("clients/alice.pem"), at("clients/bob.pem")).unwrap();
    std::fs::copy(at("clients/mallory.pem"), at("servers/old.example.com.pem")).unwrap();
    std::fs::remove_file(at("clients/private/alice.key")).unwrap();
    std::os::unix::fs::symlink("../clients/bob.pem", at("trusted/0000bob0.0")).unwrap();
    std::fs::remove_file(at("trusted/c0801d29.0")).unwrap();
    std::fs::write(at("notes.txt"), "not a certificate").unwrap();
    // A CA certificate gone: the chains through it must be checked again.
    std::fs::remove_file(at("ca/intermediate-ca.pem")).unwrap();
    let changed: Vec<String> = [
        "clients/bob.pem",
        "servers/old.example.com.pem",
        "clients/private/alice.key",
        "trusted/0000bob0.0",
        "trusted/c0801d29.0",
        "notes.txt",
        "ca/intermediate-ca.pem",
        "history/ignored.pem",
    ]
    .map(String::from)
    .to_vec();
    let changes = read_changes(&store, &changed, &opts).expect("per-file changes");
    let splice = inv.apply_changes(changes, &opts.analyze).expect("applied");
    // Only the chains the change can touch are verified again, as the TUI does.
    let verified = inv
        .chain_results(&opts.analyze, true, Some(&splice.reverify), &|_, _| true)
        .unwrap();
    inv.apply_chains(verified);
    assert!(splice.reverify.len() < inv.certificates().count());

    let full = scan(&store, &opts);
    assert_eq!(
        certdeck::cli::list::to_json(&inv),
        certdeck::cli::list::to_json(&full)
    );
    let bob = inv
        .items
        .iter()
        .find(|i| i.path == "clients/bob.pem")
        .unwrap();
    assert_eq!(bob.links, ["trusted/0000bob0.0"]);
    assert!(inv
        .items
        .iter()
        .all(|i| i.path != "clients/private/alice.key"));

    // An aligned vector (the TUI's per-item facts) follows: old paths, minus the gone, plus the
    // new at their places, equal the updated inventory's paths.
    let new_paths: Vec<String> = splice
        .inserted
        .iter()
        .map(|&i| inv.items[i].path.clone())
        .collect();
    let spliced = splice.apply(before, new_paths).unwrap();
    let now: Vec<String> = inv.items.iter().map(|i| i.path.clone()).collect();
    assert_eq!(spliced, now);
}

/// A directory is left to a full scan; links are read as the walk reads them (a link out of the
/// store is an item at the link's path, a dangling one an error item there).
#[test]
fn a_changed_directory_needs_a_full_scan_and_links_read_as_the_walk_reads_them() {
    use certdeck::store::scan::read_changes;
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("s");
    std::fs::create_dir_all(store.join("sub")).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", store.join("out.pem")).unwrap();
    std::os::unix::fs::symlink("missing.pem", store.join("dangling.pem")).unwrap();
    let opts = ScanOptions::default();
    let read = |p: &str| read_changes(&store, &[p.to_string()], &opts);
    assert!(read("sub").is_none());
    let out = read("out.pem").unwrap();
    assert_eq!(out.items.len(), 1);
    assert_eq!(out.items[0].path, "out.pem");
    let dangling = read("dangling.pem").unwrap();
    let err = dangling.items[0].error.as_deref().unwrap_or_default();
    assert!(err.starts_with("dangling symlink"), "{err}");
    let gone = read("gone.pem").unwrap();
    assert_eq!(gone.gone, ["gone.pem"]);
    assert!(gone.items.is_empty());
    // The same as a full scan says about them.
    let full = scan(&store, &opts);
    let of = |p: &str| {
        full.items
            .iter()
            .find(|i| i.path == p)
            .map(|i| i.error.clone())
    };
    assert_eq!(of("dangling.pem"), Some(Some(err.to_string())));
    assert!(of("out.pem").is_some());
}

/// A dangling link whose file appears becomes that file's alias (the TUI re-reads dangling
/// links with every update); a file that links name going away is left to a full scan (its
/// links now dangle).
#[test]
fn links_follow_their_files_or_ask_for_a_full_scan() {
    use certdeck::store::scan::read_changes;
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("demo");
    certdeck::demo::create_demo_store(&store, time::OffsetDateTime::now_utc()).unwrap();
    std::os::unix::fs::symlink("later.pem", store.join("trusted/1234abcd.0")).unwrap();
    let opts = ScanOptions::default();
    let mut inv = scan(&store, &opts);
    let dangling = inv.items.iter().find(|i| i.path == "trusted/1234abcd.0");
    assert!(dangling.unwrap().error.is_some());

    std::fs::copy(
        store.join("trusted/rpc.user.1.pem"),
        store.join("trusted/later.pem"),
    )
    .unwrap();
    let changed = ["trusted/later.pem", "trusted/1234abcd.0"].map(String::from);
    let changes = read_changes(&store, &changed, &opts).unwrap();
    let splice = inv.apply_changes(changes, &opts.analyze).unwrap();
    let verified = inv
        .chain_results(&opts.analyze, true, Some(&splice.reverify), &|_, _| true)
        .unwrap();
    inv.apply_chains(verified);
    assert_eq!(
        certdeck::cli::list::to_json(&inv),
        certdeck::cli::list::to_json(&scan(&store, &opts))
    );

    std::fs::remove_file(store.join("trusted/rpc.user.1.pem")).unwrap();
    let changes = read_changes(&store, &["trusted/rpc.user.1.pem".into()], &opts).unwrap();
    assert!(
        inv.apply_changes(changes, &opts.analyze).is_none(),
        "its hash link dangles now"
    );
    assert_eq!(
        certdeck::cli::list::to_json(&inv),
        certdeck::cli::list::to_json(&{
            std::fs::copy(
                store.join("trusted/later.pem"),
                store.join("trusted/rpc.user.1.pem"),
            )
            .unwrap();
            scan(&store, &opts)
        }),
        "nothing changed when it declined"
    );
}
