//! Parallel, streaming directory scan. Errors are items too; the scan never stops early.
//!
//! Rules: files are recognised by content; symlinks to files inside the store are recorded as
//! `links` of their target (hash links, certbot `live/`) instead of being listed twice; directory
//! symlinks are followed only inside the store and loops are detected by (device, inode); fifos,
//! devices and oversized files become error items without ever being opened for reading.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use rayon::prelude::*;

use super::inventory::{inventory_path, AnalyzeOptions, Inventory};
use crate::pki::decode::{decode_file, DecodeOptions};
use crate::pki::{Detail, Item, ItemKind};

/// What the background scan reports, in order: batches of items, progress, then `Done`.
#[derive(Debug)]
pub enum ScanEvent {
    /// Decoded items of one or more files (not yet cross-analysed: no chain/pairing).
    Items(Vec<Item>),
    Progress {
        files_done: usize,
        files_total: usize,
    },
    /// Every file is decoded (items streamed as `Items`): finish them with `finish_walk`.
    Walked {
        store: PathBuf,
        links: HashMap<String, Vec<String>>,
        /// A directory symlink inside the store was followed (its files are listed under the
        /// link's path: a watcher's paths would not match them).
        dir_links: bool,
        elapsed: Duration,
    },
    /// Every file is decoded and cross-analysed (the scan with server configs). From
    /// `spawn_scan` the chains are not yet verified: see `spawn_verify`.
    Done {
        inventory: std::sync::Arc<super::inventory::Inventory>,
        elapsed: Duration,
    },
    /// Background signature checks (`spawn_verify`): certificates done of total.
    Verifying { done: usize, total: usize },
    /// Every chain with its signatures checked, by item index into the verified inventory.
    Verified(Vec<(usize, crate::pki::chain::ChainResult)>),
    /// Changed files re-read (`spawn_update`); `None`: only a full scan can tell.
    Changed(Option<super::update::FileChanges>),
}

/// Directories at the store root that are certdeck's own bookkeeping, never inventory.
pub const RESERVED_DIRS: &[&str] = &["history"];
/// Files certdeck creates at the store root.
pub const RESERVED_FILES: &[&str] = &[".certdeck.lock", ".certdeck.toml"];

/// certdeck's ACME bookkeeping inside `acme/`: account keys (`acme/accounts/`) and each
/// lineage's `renewal.toml`. Not inventory (`acme list` shows lineages); the certificates and
/// keys beside them are.
pub fn is_acme_bookkeeping(rel: &str) -> bool {
    let mut parts = rel.split('/');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("acme"), Some("accounts"), _, _)
            | (Some("acme"), Some(_), Some("renewal.toml"), None)
    )
}

#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub decode: DecodeOptions,
    pub analyze: AnalyzeOptions,
    /// Files larger than this become error items (default 16 MiB).
    pub max_file_size: u64,
    /// Files servers read (from `--server-config`, see `serving::scan_options`): they get
    /// `used_by`, and those outside the store are scanned too (listed by absolute path).
    pub used_files: Vec<UsedFile>,
}

/// A file a server reads, as the scanner needs it: where it is and who reads it how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsedFile {
    pub path: PathBuf,
    /// The `used_by` text: `nginx: server api.example.com, ssl_certificate`.
    pub label: String,
}

impl Default for ScanOptions {
    fn default() -> Self {
        let analyze = AnalyzeOptions::default();
        ScanOptions {
            decode: DecodeOptions {
                now: analyze.now,
                warn_days: analyze.warn_days,
                passphrases: vec![],
            },
            analyze,
            max_file_size: 16 * 1024 * 1024,
            used_files: vec![],
        }
    }
}

/// A file to decode, or a problem found while walking.
#[derive(Debug)]
struct Entry {
    rel: String,
    /// Path to read (the symlink's resolved target for file links).
    read_path: PathBuf,
    problem: Option<(ItemKind, String)>,
}

/// Walk result: files to read, and symlink aliases (target rel path -> link rel paths).
struct Walk {
    entries: Vec<Entry>,
    links: HashMap<String, Vec<String>>,
    /// A directory symlink inside the store was followed: its files are listed under the link's
    /// path, while a watcher sees them under the real one.
    followed_dir_link: bool,
    /// When streaming: full chunks go here as soon as they are found, so decoding (and the
    /// TUI's first rows) start before the walk of a 100,000-file tree ends.
    sink: Option<Sender<Vec<Entry>>>,
    found: usize,
}

impl Walk {
    fn new(sink: Option<Sender<Vec<Entry>>>) -> Walk {
        Walk {
            entries: vec![],
            links: HashMap::new(),
            followed_dir_link: false,
            sink,
            found: 0,
        }
    }

    fn push(&mut self, e: Entry) {
        self.entries.push(e);
        self.found += 1;
        if self.entries.len() >= 64 {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if let Some(s) = &self.sink {
            if !self.entries.is_empty() {
                let _ = s.send(std::mem::take(&mut self.entries));
            }
        }
    }
}

fn rel_of(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .into_owned()
}

fn walk(root: &Path) -> Walk {
    walk_into(root, Walk::new(None))
}

fn walk_into(root: &Path, mut w: Walk) -> Walk {
    let mut visited = HashSet::new();
    if let Ok(m) = fs::metadata(root) {
        visited.insert((m.dev(), m.ino()));
    }
    let canon_root = fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    walk_dir(root, root, &canon_root, &mut visited, &mut w);
    w
}

fn walk_dir(
    root: &Path,
    dir: &Path,
    canon_root: &Path,
    visited: &mut HashSet<(u64, u64)>,
    w: &mut Walk,
) {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            w.push(problem(
                rel_of(root, dir),
                format!("cannot read directory: {e}"),
            ));
            return;
        }
    };
    let mut names: Vec<_> = rd.filter_map(|e| e.ok()).collect();
    names.sort_by_key(|e| e.file_name());
    for de in names {
        let path = de.path();
        let rel = rel_of(root, &path);
        let at_root = dir == root;
        let name = de.file_name();
        let name = name.to_string_lossy();
        if at_root
            && (RESERVED_DIRS.contains(&name.as_ref()) || RESERVED_FILES.contains(&name.as_ref()))
        {
            continue;
        }
        // `.git` is never inventory; `.certdeck-tmp-*` are half-written files of a plan.
        if name == ".git" || name.starts_with(super::write::TMP_PREFIX) || is_acme_bookkeeping(&rel)
        {
            continue;
        }
        // d_type from the directory listing: no stat per file (one lstat when the filesystem
        // does not report types).
        let Ok(ft) = de.file_type() else {
            w.push(problem(rel, "cannot stat".into()));
            continue;
        };
        if ft.is_symlink() {
            match classify_link(root, &path, rel) {
                Link::Problem(e) => w.entries.push(e),
                Link::File(e) => w.push(e),
                Link::Alias { link, target } => w.links.entry(target).or_default().push(link),
                Link::Dir { rel, meta, target } => {
                    let inside = fs::canonicalize(&path).is_ok_and(|c| c.starts_with(canon_root));
                    if !inside {
                        w.push(problem(
                            rel,
                            format!(
                                "directory symlink leaves the store (-> {target}); not followed"
                            ),
                        ));
                    } else if visited.insert((meta.dev(), meta.ino())) {
                        w.followed_dir_link = true;
                        walk_dir(root, &path, canon_root, visited, w);
                    } else {
                        w.push(problem(
                            rel,
                            format!("directory symlink loop (-> {target}); not followed"),
                        ));
                    }
                }
            }
        } else if ft.is_dir() {
            let Ok(lmeta) = fs::symlink_metadata(&path) else {
                w.push(problem(rel, "cannot stat".into()));
                continue;
            };
            if visited.insert((lmeta.dev(), lmeta.ino())) {
                walk_dir(root, &path, canon_root, visited, w);
            }
        } else if ft.is_file() {
            w.push(Entry {
                rel,
                read_path: path,
                problem: None,
            });
        } else {
            w.push(problem(rel, special_file(&ft, "")));
        }
    }
}

/// What a symlink at store path `rel` is to the inventory.
enum Link {
    /// Dangling, a loop, or a special file: an error item at the link's path.
    Problem(Entry),
    /// Ends at a regular file inside the store: `link` is one of that file's `links`.
    Alias { link: String, target: String },
    /// Ends at a file outside the store (or one reached by leaving it): listed at `rel`.
    File(Entry),
    /// Names a directory: the walk decides whether to follow it.
    Dir {
        rel: String,
        meta: fs::Metadata,
        target: String,
    },
}

/// One rule for the walk and for re-reading a changed link (`read_changes`).
fn classify_link(root: &Path, path: &Path, rel: String) -> Link {
    let target = fs::read_link(path)
        .map(|t| t.to_string_lossy().into_owned())
        .unwrap_or_default();
    let canon = match fs::canonicalize(path) {
        Ok(c) => c,
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Link::Problem(problem(rel, format!("symlink loop ({target})")));
        }
        Err(_) => return Link::Problem(problem(rel, format!("dangling symlink -> {target}"))),
    };
    let Ok(meta) = fs::metadata(&canon) else {
        return Link::Problem(problem(rel, format!("dangling symlink -> {target}")));
    };
    if meta.is_dir() {
        return Link::Dir { rel, meta, target };
    }
    if !meta.is_file() {
        return Link::Problem(problem(rel, special_file(&meta.file_type(), &target)));
    }
    // Follow the link one hop at a time while it stays inside the store: the file it finally
    // names is listed, this path becomes one of its `links`.
    if let Some(target_rel) = in_store_target(root, path) {
        let target_reserved = target_rel
            .split('/')
            .next()
            .is_some_and(|first| RESERVED_DIRS.contains(&first));
        if !target_reserved {
            return Link::Alias {
                link: rel,
                target: target_rel,
            };
        }
    }
    Link::File(Entry {
        rel,
        read_path: canon,
        problem: None,
    })
}

/// Lexically resolve `p` (relative to the store root) without touching the filesystem.
fn normalize(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The store-relative path of the regular file a symlink chain ends at, if every hop stays
/// inside the store; `None` when it leaves the store (then the link itself is listed).
fn in_store_target(root: &Path, link: &Path) -> Option<String> {
    let mut cur = link.to_path_buf();
    for _ in 0..40 {
        let meta = fs::symlink_metadata(&cur).ok()?;
        if !meta.file_type().is_symlink() {
            return (cur != link && meta.is_file()).then(|| rel_of(root, &cur));
        }
        let t = fs::read_link(&cur).ok()?;
        let next = normalize(&cur.parent()?.join(t));
        if !next.starts_with(root) {
            // The previous hop is an in-store link that leaves the store: it gets listed.
            return (cur != link).then(|| rel_of(root, &cur));
        }
        cur = next;
    }
    None
}

fn special_file(ft: &fs::FileType, target: &str) -> String {
    let what = if ft.is_fifo() {
        "a fifo"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    };
    if target.is_empty() {
        format!("{what}; not read")
    } else {
        format!("symlink to {what} ({target}); not read")
    }
}

fn problem(rel: String, msg: String) -> Entry {
    Entry {
        rel,
        read_path: PathBuf::new(),
        problem: Some((ItemKind::Unknown, msg)),
    }
}

/// Read at most `limit` bytes; refuse anything that is not a regular file once opened (the
/// path may have been swapped for a fifo after we looked).
/// Read a whole regular file of at most `limit` bytes; also returns its permission bits.
fn read_limited(path: &Path, limit: u64) -> Result<(Vec<u8>, u32), String> {
    let f = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => format!("cannot open: {e}"),
        })?;
    let meta = f.metadata().map_err(|e| format!("cannot stat: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file; not read".into());
    }
    if meta.len() > limit {
        return Err(format!(
            "file too large ({} bytes, limit {} bytes); not read",
            meta.len(),
            limit
        ));
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    f.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("read error: {e}"))?;
    if buf.len() as u64 > limit {
        return Err(format!(
            "file grew beyond the {limit} byte limit while reading"
        ));
    }
    Ok((buf, meta.mode() & 0o7777))
}

fn decode_entry(e: &Entry, opts: &ScanOptions) -> Vec<Item> {
    let mut items = match &e.problem {
        Some((kind, msg)) => vec![Item::error(*kind, "", msg.clone())],
        None => {
            let name = e.rel.rsplit('/').next().unwrap_or(&e.rel);
            match read_limited(&e.read_path, opts.max_file_size) {
                Ok((data, mode)) => {
                    let mut items = decode_file(&data, name, &opts.decode);
                    for it in &mut items {
                        if let Detail::PrivateKey(k) = &mut it.detail {
                            k.mode = Some(format!("{mode:04o}"));
                        }
                    }
                    items
                }
                Err(msg) => vec![Item::error(ItemKind::Unknown, "", msg)],
            }
        }
    };
    for it in &mut items {
        it.path = e.rel.clone();
    }
    items
}

/// What the store paths `rels` are now, for `Inventory::apply_changes`: regular files are
/// decoded as a scan would, links that end at a file inside the store become its aliases,
/// vanished paths just go. `None` for what only a full scan can tell (a directory, a link that
/// dangles, loops or leaves the store, a special file).
pub fn read_changes(
    root: &Path,
    rels: &[String],
    opts: &ScanOptions,
) -> Option<super::update::FileChanges> {
    let mut out = super::update::FileChanges::default();
    for rel in rels {
        let first = rel.split('/').next().unwrap_or_default();
        let name = rel.rsplit('/').next().unwrap_or_default();
        let at_root = !rel.contains('/');
        if RESERVED_DIRS.contains(&first)
            || (at_root && RESERVED_FILES.contains(&name))
            || rel.split('/').any(|c| c == ".git")
            || name.starts_with(super::write::TMP_PREFIX)
            || is_acme_bookkeeping(rel)
        {
            continue;
        }
        let path = root.join(rel);
        out.gone.push(rel.clone());
        let meta = match fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(_) => return None,
        };
        if meta.file_type().is_symlink() {
            match classify_link(root, &path, rel.clone()) {
                Link::Problem(e) | Link::File(e) => out.items.extend(decode_entry(&e, opts)),
                Link::Alias { link, target } => out.links.push((link, target)),
                // Followed or not, with its subtree: the walk's business.
                Link::Dir { .. } => return None,
            }
        } else if meta.is_file() {
            let entry = Entry {
                rel: rel.clone(),
                read_path: path,
                problem: None,
            };
            out.items.extend(decode_entry(&entry, opts));
        } else {
            return None;
        }
    }
    Some(out)
}

/// Re-read changed files in the background for the TUI: one `Changed` event, then the channel
/// closes.
pub fn spawn_update(
    root: PathBuf,
    opts: ScanOptions,
    rels: Vec<String>,
) -> crossbeam_channel::Receiver<ScanEvent> {
    let (tx, rx) = crossbeam_channel::bounded(1);
    std::thread::spawn(move || {
        let root = fs::canonicalize(&root).unwrap_or(root);
        // Decoding never panics on hostile files (fuzzed); if it did, a full scan answers.
        let read = std::panic::catch_unwind(|| read_changes(&root, &rels, &opts));
        let _ = tx.send(ScanEvent::Changed(read.unwrap_or(None)));
    });
    rx
}

/// Scan synchronously and return the analysed inventory.
pub fn scan(root: &Path, opts: &ScanOptions) -> Inventory {
    scan_inner(root, opts)
}

/// Scan in the background for the TUI; events arrive on the returned receiver, and dropping
/// it cancels. Decoded items are handed over, not copied (the receiver owns the only copy of
/// a 100,000-item store) and end with `Walked`; the receiver finishes them with `finish_walk`.
/// With server configs the scan is the synchronous one and ends with `Done`. Either way
/// chains are not verified yet: see `spawn_verify`.
pub fn spawn_scan(root: PathBuf, opts: ScanOptions) -> crossbeam_channel::Receiver<ScanEvent> {
    let (tx, rx) = crossbeam_channel::unbounded();
    std::thread::spawn(move || {
        in_own_pool("scan", || {
            let start = Instant::now();
            let store = fs::canonicalize(&root).unwrap_or(root);
            if opts.used_files.is_empty() {
                let (links, dir_links) =
                    walk_and_decode(&store, &opts, |batch, files_done, files_total| {
                        let _ = tx.send(ScanEvent::Items(batch));
                        let _ = tx.send(ScanEvent::Progress {
                            files_done,
                            files_total,
                        });
                    });
                let elapsed = start.elapsed();
                let _ = tx.send(ScanEvent::Walked {
                    store,
                    links,
                    dir_links,
                    elapsed,
                });
            } else {
                let mut first = opts.clone();
                first.analyze.verify_signatures = false;
                let inventory = std::sync::Arc::new(scan_inner(&store, &first));
                let elapsed = start.elapsed();
                let _ = tx.send(ScanEvent::Done { inventory, elapsed });
            }
        })
    });
    rx
}

/// Run `f` with its parallel work on a thread pool of its own. The UI sorts and filters on
/// the global pool; a background scan or verification there would make a keystroke wait until
/// the pool is free (rayon runs injected jobs only between its own), i.e. until the end.
fn in_own_pool(name: &'static str, f: impl FnOnce() + Send) {
    match rayon::ThreadPoolBuilder::new()
        .thread_name(move |i| format!("{name}-{i}"))
        .build()
    {
        Ok(pool) => pool.install(f),
        // No threads to spare: the global pool still does the work.
        Err(_) => f(),
    }
}

/// Check every chain's signatures of an inventory in the background: `Verifying` progress,
/// then `Verified` with the results, sent after this side let go of the inventory so the
/// receiver can apply them in place. Signature checks cost tens of microseconds each, the
/// bulk of a big CA directory's analysis, so the list is browsable while they run.
/// `which`: the certificates (item indices) to check, `None` for all. Dropping the receiver
/// cancels.
pub fn spawn_verify(
    inventory: std::sync::Arc<Inventory>,
    opts: AnalyzeOptions,
    which: Option<Vec<usize>>,
) -> crossbeam_channel::Receiver<ScanEvent> {
    let (tx, rx) = crossbeam_channel::unbounded();
    std::thread::spawn(move || {
        in_own_pool("verify", || {
            let progress = |done, total| tx.send(ScanEvent::Verifying { done, total }).is_ok();
            let results = inventory.chain_results(&opts, true, which.as_deref(), &progress);
            drop(inventory);
            if let Some(results) = results {
                let _ = tx.send(ScanEvent::Verified(results));
            }
        })
    });
    rx
}

fn scan_inner(root: &Path, opts: &ScanOptions) -> Inventory {
    let store = fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    if opts.used_files.is_empty() {
        return scan_streaming(store, opts);
    }
    let Walk {
        mut entries, links, ..
    } = walk(&store);
    let used = attach_servers(&store, &opts.used_files, &mut entries, &links);
    let mut items: Vec<Item> = entries
        .par_chunks(64)
        .flat_map_iter(|chunk| chunk.iter().flat_map(|e| decode_entry(e, opts)))
        .collect();
    for it in &mut items {
        if let Some(u) = used.get(&it.path) {
            it.used_by = u.clone();
        }
    }
    finish_walk(store, items, &links, &opts.analyze)
}

/// Map every file a server config names onto inventory paths (store-relative inside the store,
/// absolute outside it) and add entries for the files the walk did not see (outside the store).
/// Returns inventory path -> `used_by` labels (sorted, deduplicated).
/// Walk and decode at the same time: one thread walks, the pool decodes what it found so far,
/// and every decoded batch goes to `sink(batch, files_done, files_found)`. Returns the symlink
/// aliases (target -> links) and whether a directory symlink was followed. (With server configs the plain path is used: files they name
/// outside the store are only known once the walk is complete.)
fn walk_and_decode(
    store: &Path,
    opts: &ScanOptions,
    sink: impl Fn(Vec<Item>, usize, usize) + Sync,
) -> (HashMap<String, Vec<String>>, bool) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let (etx, erx) = crossbeam_channel::bounded::<Vec<Entry>>(256);
    let found = std::sync::Arc::new(AtomicUsize::new(0));
    let walker = {
        let store = store.to_path_buf();
        std::thread::spawn(move || {
            let mut w = walk_into(&store, Walk::new(Some(etx)));
            w.flush();
            (w.links, w.followed_dir_link)
        })
    };
    let done = AtomicUsize::new(0);
    erx.into_iter()
        .inspect(|chunk| {
            found.fetch_add(chunk.len(), Ordering::Relaxed);
        })
        .par_bridge()
        .for_each(|chunk| {
            let batch: Vec<Item> = chunk.iter().flat_map(|e| decode_entry(e, opts)).collect();
            let n = done.fetch_add(chunk.len(), Ordering::Relaxed) + chunk.len();
            sink(batch, n, found.load(Ordering::Relaxed).max(n));
        });
    crate::timing::mark("walk+decode");
    // A walker that panicked leaves no links; the items are still listed.
    walker.join().unwrap_or_default()
}

fn scan_streaming(store: PathBuf, opts: &ScanOptions) -> Inventory {
    let parts = std::sync::Mutex::new(Vec::new());
    let (links, _) = walk_and_decode(&store, opts, |batch, done, found| {
        if let Ok(mut p) = parts.lock() {
            p.push(batch);
        }
        opts.analyze
            .progress
            .report(super::progress::Stage::Reading, done, found);
    });
    let parts = parts.into_inner().unwrap_or_default();
    // Each part is freed as it is moved: the items exist once, plus one part.
    let mut items = Vec::with_capacity(parts.iter().map(Vec::len).sum());
    for part in parts {
        items.extend(part);
    }
    finish_walk(store, items, &links, &opts.analyze)
}

/// The items of a streamed scan become the analysed inventory: symlink aliases attached,
/// sorted, keys paired, chains built (verified when `opts` says so).
pub fn finish_walk(
    store: PathBuf,
    mut items: Vec<Item>,
    links: &HashMap<String, Vec<String>>,
    opts: &AnalyzeOptions,
) -> Inventory {
    for it in &mut items {
        if let Some(l) = links.get(&it.path) {
            it.links = l.clone();
        }
    }
    let mut inv = Inventory { store, items };
    inv.analyze(opts);
    crate::timing::mark("analyze");
    inv
}

fn attach_servers(
    store: &Path,
    used_files: &[UsedFile],
    entries: &mut Vec<Entry>,
    links: &HashMap<String, Vec<String>>,
) -> HashMap<String, Vec<String>> {
    let mut used: HashMap<String, Vec<String>> = HashMap::new();
    let mut known: HashSet<String> = entries.iter().map(|e| e.rel.clone()).collect();
    for u in used_files {
        let Some(rel) = inventory_path(store, &u.path) else {
            continue;
        };
        if rel.is_empty() {
            continue;
        }
        if !known.contains(&rel) && !links.contains_key(&rel) {
            if let Ok(canon) = fs::canonicalize(&u.path) {
                entries.push(Entry {
                    rel: rel.clone(),
                    read_path: canon,
                    problem: None,
                });
                known.insert(rel.clone());
            }
        }
        let v = used.entry(rel).or_default();
        if !v.contains(&u.label) {
            v.push(u.label.clone());
        }
    }
    for v in used.values_mut() {
        v.sort();
    }
    used
}

#[cfg(test)]
mod tests {
    #[test]
    fn acme_bookkeeping_is_not_inventory_but_its_certificates_are() {
        use super::is_acme_bookkeeping as b;
        assert!(b("acme/accounts/127.0.0.1-14000/admin@a.test.json"));
        assert!(b("acme/accounts"));
        assert!(b("acme/web/renewal.toml"));
        assert!(!b("acme/web/cert.pem"));
        assert!(!b("acme/web/privkey.pem"));
        assert!(!b("acme/web/sub/renewal.toml"));
        assert!(!b("other/web/renewal.toml"));
    }
}
