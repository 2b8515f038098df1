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
    for ev in spawn_verify(done.clone(), opts.analyze.clone()) {
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
