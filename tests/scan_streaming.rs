//! The TUI's streaming scan (walk and decode at once, signatures checked after `Done`) ends
//! with exactly the inventory the synchronous scan gives, links and chains included, and its
//! batches add up to every item.

use certdeck::store::scan::{scan, spawn_scan, ScanEvent, ScanOptions};

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
    let rx = spawn_scan(store.clone(), opts);
    let mut streamed = 0;
    let mut done = None;
    let mut verified = None;
    for ev in rx {
        match ev {
            ScanEvent::Items(b) => streamed += b.len(),
            ScanEvent::Progress {
                files_done,
                files_total,
            } => assert!(files_done <= files_total),
            ScanEvent::Done { inventory, .. } => {
                assert!(verified.is_none(), "Done comes before verification");
                done = Some(inventory)
            }
            ScanEvent::Verifying { done, total } => assert!(done <= total),
            ScanEvent::Verified(r) => verified = Some(r),
        }
    }
    let done = done.expect("Done event");
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
    let mut done = std::sync::Arc::try_unwrap(done).expect("scanner let go of the inventory");
    done.apply_chains(verified.expect("Verified event"));
    assert_eq!(chains(&done), chains(&sync));
    assert_eq!(streamed, sync.items.len());
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
}
