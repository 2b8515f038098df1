//! Writes outside the store: export targets and the demo directory. The store has its own
//! writer (Plans through `WritableStore`); this is for the few files certdeck creates where the
//! user pointed it. Every file is created through a held directory descriptor with
//! `O_CREAT | O_EXCL | O_NOFOLLOW` and gets its mode by `fchmod` on that descriptor, so a
//! symlink or a file planted at the name is refused, never followed or overwritten, and no one
//! can change the mode of another file by swapping names.

use std::ffi::OsStr;
use std::io::{self, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};

/// A name certdeck will create: no control characters (a newline in a file name forges lines
/// in every listing that prints it), not empty, not `.`/`..`.
pub fn check_name(path: &Path) -> Result<(), String> {
    let s = path.as_os_str().as_bytes();
    if let Some(c) = String::from_utf8_lossy(s).chars().find(|c| c.is_control()) {
        return Err(format!(
            "{}: the name holds the control character {:?}; refusing",
            path.display().to_string().escape_debug(),
            c
        ));
    }
    match path.file_name() {
        None => Err(format!("{}: not a file name", path.display())),
        Some(_) => Ok(()),
    }
}

/// A directory held open (`O_DIRECTORY | O_NOFOLLOW` on its last component).
pub struct Dir {
    fd: OwnedFd,
    path: PathBuf,
}

fn mode(m: u32) -> Mode {
    Mode::from_raw_mode(m & 0o777)
}

impl Dir {
    /// Open `path`; its last component must be a real directory, not a symlink.
    pub fn open(path: &Path) -> io::Result<Dir> {
        let fd = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| io::Error::from_raw_os_error(e.raw_os_error()))?;
        Ok(Dir {
            fd,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// fstat of the held directory (owner checks are made on what is open, not on the name).
    pub fn stat(&self) -> io::Result<rustix::fs::Stat> {
        Ok(rustix::fs::fstat(&self.fd)?)
    }

    /// Names in the directory other than `.` and `..`.
    pub fn is_empty(&self) -> io::Result<bool> {
        let dup = rustix::fs::openat(
            &self.fd,
            ".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let mut d = rustix::fs::Dir::read_from(dup)?;
        for e in d.by_ref() {
            let e = e?;
            let n = e.file_name().to_bytes();
            if n != b"." && n != b".." {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Open the subdirectory path `rel` component by component, following no symlink.
    pub fn sub(&self, rel: &str) -> io::Result<Dir> {
        let mut fd = rustix::fs::openat(
            &self.fd,
            ".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        for part in rel.split('/').filter(|p| !p.is_empty() && *p != ".") {
            if part == ".." {
                return Err(io::Error::other(format!("{rel}: `..` not allowed")));
            }
            fd = rustix::fs::openat(
                &fd,
                part,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )?;
        }
        Ok(Dir {
            fd,
            path: self.path.join(rel),
        })
    }

    /// Make the subdirectory `name` with exactly `m` (fchmod on the opened directory, so the
    /// umask does not narrow it and a swapped name cannot redirect the chmod).
    pub fn mkdir(&self, name: &str, m: u32) -> io::Result<Dir> {
        rustix::fs::mkdirat(&self.fd, name, mode(0o700))?;
        let fd = rustix::fs::openat(
            &self.fd,
            name,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        rustix::fs::fchmod(&fd, mode(m))?;
        Ok(Dir {
            fd,
            path: self.path.join(name),
        })
    }

    /// Create the new file `name` holding `data` with mode `m` from the first byte (created at
    /// `m` narrowed by the umask, then fchmod to exactly `m` before anything is written).
    pub fn create(&self, name: &OsStr, data: &[u8], m: u32) -> io::Result<()> {
        let fd = rustix::fs::openat(
            &self.fd,
            name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            mode(m),
        )?;
        fill(fd, data, m)
    }

    /// Replace the file `name` (`--force`): a temp file created O_EXCL in the same directory,
    /// then renamed over it. Refused when `name` is a symlink or not a regular file.
    pub fn replace(&self, name: &OsStr, data: &[u8], m: u32) -> io::Result<()> {
        match rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => {
                let ft = FileType::from_raw_mode(st.st_mode);
                if ft != FileType::RegularFile {
                    return Err(io::Error::other(format!(
                        "{} is a {}, not a regular file; refusing to replace it",
                        self.path.join(name).display(),
                        if ft == FileType::Symlink {
                            "symlink"
                        } else {
                            "special file or directory"
                        }
                    )));
                }
            }
            Err(rustix::io::Errno::NOENT) => return self.create(name, data, m),
            Err(e) => return Err(e.into()),
        }
        let tmp = format!(
            ".certdeck-export-{}-{:016x}",
            std::process::id(),
            rand_u64()
        );
        self.create(OsStr::new(&tmp), data, m)?;
        if let Err(e) = rustix::fs::renameat(&self.fd, tmp.as_str(), &self.fd, name) {
            let _ = rustix::fs::unlinkat(&self.fd, tmp.as_str(), AtFlags::empty());
            return Err(e.into());
        }
        rustix::fs::fsync(&self.fd)?;
        Ok(())
    }

    /// A symlink `name -> target` in this directory.
    pub fn symlink(&self, name: &str, target: &str) -> io::Result<()> {
        Ok(rustix::fs::symlinkat(target, &self.fd, name)?)
    }
}

fn rand_u64() -> u64 {
    use rand::RngCore;
    rand::thread_rng().next_u64()
}

fn fill(fd: OwnedFd, data: &[u8], m: u32) -> io::Result<()> {
    rustix::fs::fchmod(fd.as_fd(), mode(m))?;
    let mut f = std::fs::File::from(fd);
    f.write_all(data)?;
    f.sync_all()
}

/// Write a new file at `path` outside the store: refused if anything exists there, unless
/// `force` (then replaced by rename, never through a symlink).
pub fn write_file(path: &Path, data: &[u8], m: u32, force: bool) -> io::Result<()> {
    check_name(path).map_err(io::Error::other)?;
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::other("not a file name"))?;
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = Dir::open(parent)?;
    if force {
        dir.replace(name, data, m)
    } else {
        dir.create(name, data, m).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                io::Error::new(
                    e.kind(),
                    format!(
                        "{} already exists; not overwritten (choose another name, or --force)",
                        path.display()
                    ),
                )
            } else if e.raw_os_error() == Some(libc::ELOOP) {
                io::Error::new(
                    e.kind(),
                    format!("{} is a symlink; not followed", path.display()),
                )
            } else {
                e
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn never_overwrites_or_follows() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.pem");
        write_file(&p, b"one", 0o600, false).unwrap();
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let e = write_file(&p, b"two", 0o644, false).unwrap_err();
        assert!(e.to_string().contains("already exists"), "{e}");
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        write_file(&p, b"two", 0o644, true).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let victim = d.path().join("victim");
        std::fs::write(&victim, b"v").unwrap();
        let l = d.path().join("l");
        std::os::unix::fs::symlink(&victim, &l).unwrap();
        assert!(write_file(&l, b"x", 0o644, false).is_err());
        let e = write_file(&l, b"x", 0o644, true).unwrap_err();
        assert!(e.to_string().contains("symlink"), "{e}");
        assert_eq!(std::fs::read(&victim).unwrap(), b"v");
        assert!(std::fs::symlink_metadata(&l)
            .unwrap()
            .file_type()
            .is_symlink());
    }

    #[test]
    fn control_characters_refused() {
        assert!(check_name(Path::new("/tmp/a\nb.pem")).is_err());
        assert!(check_name(Path::new("/tmp/a\x1b[2Jb.pem")).is_err());
        assert!(check_name(Path::new("/tmp/ab.pem")).is_ok());
    }
}
