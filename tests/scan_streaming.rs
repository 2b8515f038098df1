//! The TUI's streaming scan (walk and decode at once) ends with exactly the inventory the
//! synchronous scan gives, links included, and its batches add up to every item.

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
    for ev in rx {
        match ev {
            ScanEvent::Items(b) => streamed += b.len(),
            ScanEvent::Progress {
                files_done,
                files_total,
            } => assert!(files_done <= files_total),
            ScanEvent::Done { inventory, .. } => done = Some(inventory),
        }
    }
    let done = done.expect("Done event");
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
