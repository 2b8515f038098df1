//! Heap held per item of a scanned store, as mimalloc sizes it (each block's usable size, so
//! size-class rounding counts): what 100,000 certificates cost in memory, and where.
//!
//! usage: cargo run --release --example heap_profile -- STORE
use certdeck::pki::{CertInfo, Item};
use certdeck::store::inventory::AnalyzeOptions;
use certdeck::store::scan::{scan, ScanOptions};
use certdeck::tui::listing::Meta;
use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);
static BLOCKS: AtomicIsize = AtomicIsize::new(0);
static INNER: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn usable(p: *mut u8) -> isize {
    unsafe { libmimalloc_sys::mi_usable_size(p as *const _) as isize }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = INNER.alloc(l);
        if !p.is_null() {
            LIVE.fetch_add(usable(p), Relaxed);
            BLOCKS.fetch_add(1, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(usable(p), Relaxed);
        BLOCKS.fetch_sub(1, Relaxed);
        INNER.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        let before = usable(p);
        let q = INNER.realloc(p, l, n);
        if !q.is_null() {
            LIVE.fetch_add(usable(q) - before, Relaxed);
        }
        q
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> (isize, isize) {
    (LIVE.load(Relaxed), BLOCKS.load(Relaxed))
}

fn report(what: &str, before: (isize, isize), n: usize) {
    let (b, k) = live();
    let n = n.max(1) as isize;
    println!(
        "{what:<44} {:>8.1} MB  {:>6} B/item  {:>5.1} blocks/item",
        (b - before.0) as f64 / 1e6,
        (b - before.0) / n,
        (k - before.1) as f64 / n as f64
    );
}

fn main() {
    let store = std::env::args().nth(1).expect("usage: heap_profile STORE");
    println!(
        "size_of: Item {} B, CertInfo {} B (boxed), Meta {} B",
        std::mem::size_of::<Item>(),
        std::mem::size_of::<CertInfo>(),
        std::mem::size_of::<Meta>()
    );
    for verify in [false, true] {
        let start = live();
        let opts = ScanOptions {
            analyze: AnalyzeOptions {
                verify_signatures: verify,
                ..Default::default()
            },
            ..Default::default()
        };
        let inv = scan(std::path::Path::new(&store), &opts);
        let n = inv.items.len();
        let label = if verify { "verified" } else { "no-verify" };
        report(&format!("inventory ({label}, {n} items)"), start, n);
        if !verify {
            let der: usize = inv
                .items
                .iter()
                .filter_map(|i| i.der.as_ref())
                .map(|d| d.len())
                .sum();
            println!(
                "  of which DER bytes (requested)            {:>8.1} MB  {:>6} B/item",
                der as f64 / 1e6,
                der / n.max(1)
            );
            let m0 = live();
            let metas: Vec<Meta> = inv.items.iter().map(Meta::of).collect();
            report("TUI metas (sort/search facts)", m0, n);
            drop(metas);
        }
    }
}
