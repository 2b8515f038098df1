//! Store I/O relative to held directory descriptors.
//!
//! The store root is opened once. A directory below it is reached from that descriptor without
//! ever following a symlink: one `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)` where the
//! kernel has it (5.6+), else a component-by-component `openat(O_NOFOLLOW | O_DIRECTORY)` walk.
//! Every create, rename, link, unlink, mkdir and chmod is then an `*at()` call on a held
//! descriptor, or `fchmod` on the file's own descriptor. A directory swapped for a symlink at
//! any moment makes the operation fail (ELOOP/ENOTDIR/EXDEV) instead of reaching outside the
//! store: no path is checked and then used.
//!
//! rustix rather than cap-std: cap-std's `Dir` would do the same walk, but certdeck also needs
//! `linkat` without following, `RENAME_NOREPLACE`, `fstat` owner/link-count checks and
//! `fchmod`, which cap-std either hides or reaches through rustix anyway; rustix is already in
//! the tree (tempfile uses it) and maps each call to exactly one syscall we can reason about.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};

use rustix::fs::{self as rfs, AtFlags, Mode, OFlags, RenameFlags, ResolveFlags};
use rustix::io::Errno;

pub use rustix::fs::Stat;

/// A held directory descriptor (opened read-only, so it can be fsynced and listed).
#[derive(Debug)]
pub struct Dir {
    fd: OwnedFd,
}

/// What an entry is, from `lstat`: enough to tell later whether it is still the same entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ident {
    pub dev: u64,
    pub ino: u64,
}

impl Ident {
    pub fn of(st: &Stat) -> Ident {
        Ident {
            dev: st.st_dev,
            ino: st.st_ino,
        }
    }
}

pub fn is_dir(st: &Stat) -> bool {
    st.st_mode & libc::S_IFMT == libc::S_IFDIR
}

pub fn is_file(st: &Stat) -> bool {
    st.st_mode & libc::S_IFMT == libc::S_IFREG
}

pub fn is_symlink(st: &Stat) -> bool {
    st.st_mode & libc::S_IFMT == libc::S_IFLNK
}

/// The effective uid: what owns what we create, and who may own certdeck's bookkeeping.
pub fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

fn errno_msg(e: Errno, what: &str) -> io::Error {
    let err = io::Error::from(e);
    match e {
        Errno::LOOP | Errno::XDEV | Errno::NOTDIR => io::Error::new(
            err.kind(),
            format!("{what}: a symlink or non-directory is on the way; refusing to go through it"),
        ),
        _ => io::Error::new(err.kind(), format!("{what}: {err}")),
    }
}

/// Whether openat2 works here: 0 unknown, 1 yes, 2 no (old kernel or seccomp filter).
static OPENAT2: AtomicU8 = AtomicU8::new(0);

impl Dir {
    /// Opens the store root: an admin-chosen path, so symlinks on the way to it are the
    /// admin's; everything below it is reached through this descriptor only.
    pub fn open_root(path: &Path) -> io::Result<Dir> {
        let fd = rfs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| errno_msg(e, &path.display().to_string()))?;
        Ok(Dir { fd })
    }

    /// Opens a directory the admin named outside any store (an export target's parent, the
    /// demo directory): symlinks on the way are the admin's, but the last component must be a
    /// real directory, not a symlink.
    pub fn open_nofollow(path: &Path) -> io::Result<Dir> {
        let fd = rfs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| errno_msg(e, &path.display().to_string()))?;
        Ok(Dir { fd })
    }

    pub fn try_clone(&self) -> io::Result<Dir> {
        Ok(Dir {
            fd: self.fd.try_clone()?,
        })
    }

    /// The directory `rel` below this one (`""` is this one), never through a symlink and
    /// never above this directory.
    pub fn open_dir(&self, rel: &str) -> io::Result<Dir> {
        if rel.is_empty() {
            return self.try_clone();
        }
        for part in rel.split('/') {
            if matches!(part, "" | "." | "..") {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{rel}: empty, `.` or `..` component"),
                ));
            }
        }
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        if OPENAT2.load(Ordering::Relaxed) != 2 {
            let how =
                ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS;
            for _ in 0..8 {
                match rfs::openat2(&self.fd, rel, flags, Mode::empty(), how) {
                    Ok(fd) => {
                        OPENAT2.store(1, Ordering::Relaxed);
                        return Ok(Dir { fd });
                    }
                    // A concurrent rename inside the tree: the kernel asks us to retry.
                    Err(Errno::AGAIN) => continue,
                    Err(Errno::NOSYS | Errno::PERM) if OPENAT2.load(Ordering::Relaxed) == 0 => {
                        OPENAT2.store(2, Ordering::Relaxed);
                        break;
                    }
                    Err(e) => return Err(errno_msg(e, rel)),
                }
            }
            if OPENAT2.load(Ordering::Relaxed) != 2 {
                return Err(io::Error::new(
                    io::ErrorKind::Interrupted,
                    format!("{rel}: the directory kept changing while it was opened"),
                ));
            }
        }
        let mut cur: Option<OwnedFd> = None;
        for part in rel.split('/') {
            let fd = match &cur {
                Some(c) => rfs::openat(c, part, flags, Mode::empty()),
                None => rfs::openat(&self.fd, part, flags, Mode::empty()),
            }
            .map_err(|e| errno_msg(e, rel))?;
            cur = Some(fd);
        }
        Ok(Dir {
            fd: cur.expect("rel is not empty"),
        })
    }

    /// The parent directory of `rel` (opened as `open_dir` does) and its last component.
    pub fn parent<'a>(&self, rel: &'a str) -> io::Result<(Dir, &'a str)> {
        let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        Ok((self.open_dir(dir)?, name))
    }

    /// `lstat` of an entry of this directory; `None` when there is nothing by that name.
    pub fn lstat(&self, name: &str) -> io::Result<Option<Stat>> {
        match rfs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some(st)),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(errno_msg(e, name)),
        }
    }

    /// This directory's own metadata.
    pub fn stat(&self) -> io::Result<Stat> {
        Ok(rfs::fstat(&self.fd)?)
    }

    /// Creates `name` exclusively (never an existing entry, never through a symlink) with
    /// exactly `mode`, set on the descriptor before the first byte is written.
    pub fn create(&self, name: &str, mode: u32) -> io::Result<File> {
        let fd = rfs::openat(
            &self.fd,
            name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(mode),
        )
        .map_err(|e| errno_msg(e, name))?;
        // The umask may have narrowed `mode` (0644 -> 0600 under umask 077); servers need the
        // exact mode. A narrowed secret mode is already within 0600, so nothing leaks meanwhile.
        if rfs::fstat(&fd)?.st_mode & 0o7777 != mode {
            rfs::fchmod(&fd, Mode::from_raw_mode(mode))?;
        }
        Ok(File::from(fd))
    }

    /// Opens `name` for reading without following a symlink and without blocking on a fifo.
    /// The caller checks the type with `File::metadata`.
    pub fn open_read(&self, name: &str) -> io::Result<File> {
        let fd = rfs::openat(
            &self.fd,
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| errno_msg(e, name))?;
        Ok(File::from(fd))
    }

    /// Opens (creating with `mode` if missing) `name` for reading and writing, never through
    /// a symlink, never blocking on a fifo. The caller checks what it got.
    pub fn open_rw_create(&self, name: &str, mode: u32, append: bool) -> io::Result<File> {
        let mut flags =
            OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        if append {
            flags |= OFlags::APPEND;
        }
        let fd = rfs::openat(&self.fd, name, flags, Mode::from_raw_mode(mode))
            .map_err(|e| errno_msg(e, name))?;
        Ok(File::from(fd))
    }

    /// Creates the directory `name` with exactly `mode` and returns it held. The mode is set
    /// through the new directory's own descriptor (opened without following), and only if it
    /// is the directory we made (ours, not a replacement someone slipped in).
    ///
    /// "Ours" is owned by us *and empty*: whoever can write this directory can rename another
    /// of our directories of it (a root-only `private/`) into the new one's place between the
    /// mkdir and the open; a rename within one directory needs no right on the moved one.
    pub fn mkdir(&self, name: &str, mode: u32) -> io::Result<Dir> {
        rfs::mkdirat(&self.fd, name, Mode::from_raw_mode(mode)).map_err(|e| errno_msg(e, name))?;
        let dir = self.open_dir(name)?;
        let st = dir.stat()?;
        if st.st_uid != euid() {
            return Err(io::Error::other(format!(
                "{name}: the new directory was replaced by one owned by uid {}",
                st.st_uid
            )));
        }
        if !dir.entries()?.is_empty() {
            return Err(io::Error::other(format!(
                "{name}: the new directory was replaced by another (it is not empty); \
                 refusing to change its mode or write into it"
            )));
        }
        if st.st_mode & 0o7777 != mode {
            rfs::fchmod(&dir.fd, Mode::from_raw_mode(mode))?;
        }
        Ok(dir)
    }

    pub fn symlink(&self, target: &str, name: &str) -> io::Result<()> {
        rfs::symlinkat(target, &self.fd, name).map_err(|e| errno_msg(e, name))
    }

    pub fn read_link(&self, name: &str) -> io::Result<String> {
        let t = rfs::readlinkat(&self.fd, name, Vec::new()).map_err(|e| errno_msg(e, name))?;
        Ok(t.to_string_lossy().into_owned())
    }

    /// `renameat`: replaces `to` if it exists (a symlink at `to` is replaced, not followed).
    pub fn rename(&self, from: &str, to_dir: &Dir, to: &str) -> io::Result<()> {
        rfs::renameat(&self.fd, from, &to_dir.fd, to).map_err(|e| errno_msg(e, from))
    }

    /// `renameat2(RENAME_NOREPLACE)`: fails if `to` exists.
    pub fn rename_noreplace(&self, from: &str, to_dir: &Dir, to: &str) -> io::Result<()> {
        rfs::renameat_with(&self.fd, from, &to_dir.fd, to, RenameFlags::NOREPLACE)
            .map_err(|e| errno_msg(e, from))
    }

    /// `linkat` without AT_SYMLINK_FOLLOW: a symlink is linked as itself.
    pub fn hard_link(&self, from: &str, to_dir: &Dir, to: &str) -> io::Result<()> {
        rfs::linkat(&self.fd, from, &to_dir.fd, to, AtFlags::empty())
            .map_err(|e| errno_msg(e, from))
    }

    pub fn unlink(&self, name: &str) -> io::Result<()> {
        rfs::unlinkat(&self.fd, name, AtFlags::empty()).map_err(|e| errno_msg(e, name))
    }

    pub fn rmdir(&self, name: &str) -> io::Result<()> {
        rfs::unlinkat(&self.fd, name, AtFlags::REMOVEDIR).map_err(|e| errno_msg(e, name))
    }

    /// The names in this directory (not `.`/`..`), read through the held descriptor.
    pub fn entries(&self) -> io::Result<Vec<String>> {
        let mut out = Vec::new();
        for e in rfs::Dir::read_from(&self.fd)? {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            if name != "." && name != ".." {
                out.push(name);
            }
        }
        Ok(out)
    }

    /// fsync the directory, so creations and renames in it survive a crash.
    pub fn sync(&self) -> io::Result<()> {
        Ok(rfs::fsync(&self.fd)?)
    }

    /// `mkdir -p rel` below this directory: missing components are created with `mode`
    /// (existing ones are kept as they are), each reached without following a symlink.
    pub fn mkdir_all(&self, rel: &str, mode: u32) -> io::Result<Dir> {
        let mut cur = self.try_clone()?;
        if rel.is_empty() {
            return Ok(cur);
        }
        for part in rel.split('/') {
            cur = match cur.open_dir(part) {
                Ok(d) => d,
                Err(e) if e.kind() == io::ErrorKind::NotFound => match cur.mkdir(part, mode) {
                    Ok(d) => {
                        cur.sync()?;
                        d
                    }
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => cur.open_dir(part)?,
                    Err(e) => return Err(e),
                },
                Err(e) => return Err(e),
            };
        }
        Ok(cur)
    }
}

/// Reads the regular file `rel` below the store `root` (reached as `open_dir` does: no symlink,
/// never above the store), at most `max` bytes. For the few store files read outside a scan
/// (ACME accounts and lineage settings), so they get the same treatment as the write path.
pub fn read_rel(root: &Path, rel: &str, max: u64) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let (dir, name) = Dir::open_root(root)?.parent(rel)?;
    let f = dir.open_read(name)?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{rel}: not a regular file"),
        ));
    }
    let mut buf = Vec::new();
    f.take(max + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{rel}: larger than {max} bytes"),
        ));
    }
    Ok(buf)
}

/// Whether `rel` below `root` exists (as `lstat`, not following a symlink at the end).
pub fn exists_rel(root: &Path, rel: &str) -> bool {
    Dir::open_root(root)
        .and_then(|d| lstat_rel(&d, rel))
        .is_ok_and(|st| st.is_some())
}

impl AsFd for Dir {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// `lstat` of the store-relative `rel` below `root`. `None` when it, or a parent directory,
/// does not exist (yet); an error when a parent is a symlink or not a directory.
pub fn lstat_rel(root: &Dir, rel: &str) -> io::Result<Option<Stat>> {
    let (dir, name) = match root.parent(rel) {
        Ok(p) => p,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    dir.lstat(name)
}

/// The first entry on the way to `path` (the store root) that another account could swap: one
/// in a directory that is not ours or root's, or that others may write (in a sticky directory
/// such as /tmp, only entries of others). Every hop is checked, symlinks on the way included,
/// and the store directory itself (it may be another account's, but its name may not).
///
/// The store root is opened by path, once; only a path no one else can change makes that one
/// open land where the admin meant. A store in `/home/svc/ssl` with `/home/svc` owned by `svc`
/// is `svc`'s to point anywhere: `ssl -> /etc/nginx/ssl` and certdeck, as root, writes there.
pub fn untrusted_on_the_way(path: &Path) -> io::Result<Option<(std::path::PathBuf, String)>> {
    use std::ffi::OsString;
    use std::os::unix::fs::MetadataExt;
    use std::path::{Component, PathBuf};
    let me = euid();
    let ok = |uid: u32| uid == 0 || uid == me;
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    let push = |todo: &mut Vec<OsString>, p: &Path| {
        for c in p.components().rev() {
            match c {
                Component::Normal(n) => todo.push(n.to_os_string()),
                Component::ParentDir => todo.push("..".into()),
                _ => {}
            }
        }
    };
    let mut todo = Vec::new();
    push(&mut todo, &abs);
    let mut cur = PathBuf::from("/");
    let mut cur_meta = std::fs::symlink_metadata(&cur)?;
    if !ok(cur_meta.uid()) || cur_meta.mode() & 0o022 != 0 {
        return Ok(Some((cur, format!("is owned by uid {}", cur_meta.uid()))));
    }
    let mut hops = 0;
    while let Some(c) = todo.pop() {
        if c == ".." {
            // `cur` has no symlink in it, so its parent is the physical one.
            cur.pop();
            cur_meta = std::fs::symlink_metadata(&cur)?;
            continue;
        }
        let next = cur.join(&c);
        let meta = std::fs::symlink_metadata(&next)?;
        let dir_mode = cur_meta.mode();
        let why = if !ok(cur_meta.uid()) {
            Some(format!(
                "is in {}, owned by uid {}",
                cur.display(),
                cur_meta.uid()
            ))
        } else if dir_mode & 0o022 != 0 && (dir_mode & 0o1000 == 0 || !ok(meta.uid())) {
            Some(format!(
                "is in {}, which others may write (mode {:04o}), and is owned by uid {}",
                cur.display(),
                dir_mode & 0o7777,
                meta.uid()
            ))
        } else {
            None
        };
        if let Some(why) = why {
            return Ok(Some((next, why)));
        }
        if meta.file_type().is_symlink() {
            hops += 1;
            if hops > 40 {
                return Err(io::Error::other(format!(
                    "{}: too many symlinks",
                    path.display()
                )));
            }
            let t = std::fs::read_link(&next)?;
            if t.is_absolute() {
                cur = PathBuf::from("/");
                cur_meta = std::fs::symlink_metadata(&cur)?;
            }
            push(&mut todo, &t);
            continue;
        }
        cur = next;
        cur_meta = meta;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};

    #[test]
    fn open_dir_never_follows_a_symlink() {
        let d = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("a/b")).unwrap();
        symlink(out.path(), d.path().join("a/evil")).unwrap();
        symlink("..", d.path().join("a/up")).unwrap();
        let root = Dir::open_root(d.path()).unwrap();
        assert!(root.open_dir("a/b").is_ok());
        assert!(root.open_dir("a/evil").is_err());
        assert!(root.open_dir("a/up/a").is_err());
        assert!(root.open_dir("a/../a").is_err());
        // The walk fallback refuses the same.
        OPENAT2.store(2, Ordering::Relaxed);
        assert!(root.open_dir("a/evil").is_err());
        assert!(root.open_dir("a/b").is_ok());
        OPENAT2.store(0, Ordering::Relaxed);
    }

    #[test]
    fn create_sets_the_exact_mode_and_refuses_links() {
        let d = tempfile::tempdir().unwrap();
        let root = Dir::open_root(d.path()).unwrap();
        drop(root.create("k", 0o600).unwrap());
        drop(root.create("c", 0o644).unwrap());
        assert_eq!(
            std::fs::metadata(d.path().join("k")).unwrap().mode() & 0o7777,
            0o600
        );
        assert_eq!(
            std::fs::metadata(d.path().join("c")).unwrap().mode() & 0o7777,
            0o644
        );
        assert!(root.create("k", 0o600).is_err());
        symlink(d.path().join("nowhere"), d.path().join("l")).unwrap();
        assert!(root.create("l", 0o600).is_err());
        assert!(!d.path().join("nowhere").exists());
    }

    #[test]
    fn a_path_through_another_accounts_directory_is_untrusted() {
        let d = tempfile::tempdir().unwrap();
        let home = d.path().join("home");
        std::fs::create_dir_all(home.join("ssl")).unwrap();
        assert!(untrusted_on_the_way(&home.join("ssl")).unwrap().is_none());
        symlink(home.join("ssl"), d.path().join("link")).unwrap();
        assert!(untrusted_on_the_way(&d.path().join("link"))
            .unwrap()
            .is_none());
        std::os::unix::fs::chown(&home, Some(12345), None).unwrap_or_else(|_| {
            // Not root: another account's directory cannot be made here; a group-writable
            // one stands for it.
            std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o775)).unwrap()
        });
        let bad = untrusted_on_the_way(&home.join("ssl")).unwrap().unwrap();
        assert_eq!(bad.0, home.join("ssl"), "{bad:?}");
        // Reached through a symlink of a trusted directory: still the same untrusted hop.
        assert!(untrusted_on_the_way(&d.path().join("link"))
            .unwrap()
            .is_some());
    }

    #[test]
    fn mkdir_all_keeps_existing_and_makes_missing() {
        let d = tempfile::tempdir().unwrap();
        let root = Dir::open_root(d.path()).unwrap();
        root.mkdir_all("x/y/z", 0o700).unwrap();
        assert_eq!(
            std::fs::metadata(d.path().join("x/y")).unwrap().mode() & 0o7777,
            0o700
        );
        let out = tempfile::tempdir().unwrap();
        symlink(out.path(), d.path().join("x/l")).unwrap();
        assert!(root.mkdir_all("x/l/q", 0o700).is_err());
        assert!(!out.path().join("q").exists());
    }
}
