//! Writes outside the store: export targets and the demo directory. The store has its own
//! writer (Plans through `WritableStore`); this is for the few files certdeck creates where the
//! user pointed it. Every file is created through a held directory descriptor with
//! `O_CREAT | O_EXCL | O_NOFOLLOW` and gets its mode by `fchmod` on that descriptor, so a
//! symlink or a file planted at the name is refused, never followed or overwritten, and no one
//! can change the mode of another file by swapping names.

use std::ffi::OsStr;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::store::fsx;

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

/// A directory held open (`O_DIRECTORY | O_NOFOLLOW` on its last component), with the path
/// it was opened as (for messages). The descriptor work is `store::fsx`'s, the one home of
/// directory-handle I/O.
pub struct Dir {
    dir: fsx::Dir,
    path: PathBuf,
}

fn utf8(name: &OsStr) -> io::Result<&str> {
    name.to_str().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{}: the name is not UTF-8", name.to_string_lossy()),
        )
    })
}

impl Dir {
    /// Open `path`; its last component must be a real directory, not a symlink.
    pub fn open(path: &Path) -> io::Result<Dir> {
        Ok(Dir {
            dir: fsx::Dir::open_nofollow(path)?,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// fstat of the held directory (owner checks are made on what is open, not on the name).
    pub fn stat(&self) -> io::Result<rustix::fs::Stat> {
        self.dir.stat()
    }

    /// Whether the directory has no names other than `.` and `..`.
    pub fn is_empty(&self) -> io::Result<bool> {
        Ok(self.dir.entries()?.is_empty())
    }

    /// Open the subdirectory path `rel` below this one, following no symlink.
    pub fn sub(&self, rel: &str) -> io::Result<Dir> {
        let rel = rel.trim_matches('/');
        Ok(Dir {
            dir: self.dir.open_dir(rel)?,
            path: self.path.join(rel),
        })
    }

    /// Make the subdirectory `name` with exactly `m` (fchmod on the opened directory, so the
    /// umask does not narrow it and a swapped name cannot redirect the chmod).
    pub fn mkdir(&self, name: &str, m: u32) -> io::Result<Dir> {
        Ok(Dir {
            dir: self.dir.mkdir(name, m & 0o777)?,
            path: self.path.join(name),
        })
    }

    /// Create the new file `name` holding `data` with mode `m` from the first byte.
    pub fn create(&self, name: &OsStr, data: &[u8], m: u32) -> io::Result<()> {
        let mut f = self.dir.create(utf8(name)?, m & 0o777)?;
        f.write_all(data)?;
        f.sync_all()?;
        self.dir.sync()
    }

    /// Replace the file `name` (`--force`): a temp file created O_EXCL in the same directory,
    /// then renamed over it. Refused when `name` is a symlink or not a regular file.
    pub fn replace(&self, name: &OsStr, data: &[u8], m: u32) -> io::Result<()> {
        let name_s = utf8(name)?;
        match self.dir.lstat(name_s)? {
            None => return self.create(name, data, m),
            Some(st) if !fsx::is_file(&st) => {
                return Err(io::Error::other(format!(
                    "{} is a {}, not a regular file; refusing to replace it",
                    self.path.join(name).display(),
                    if fsx::is_symlink(&st) {
                        "symlink"
                    } else {
                        "special file or directory"
                    }
                )));
            }
            Some(_) => {}
        }
        let tmp = format!(
            ".certdeck-export-{}-{:016x}",
            std::process::id(),
            rand_u64()
        );
        self.create(OsStr::new(&tmp), data, m)?;
        if let Err(e) = self.dir.rename(&tmp, &self.dir, name_s) {
            let _ = self.dir.unlink(&tmp);
            return Err(e);
        }
        self.dir.sync()
    }

    /// A symlink `name -> target` in this directory.
    pub fn symlink(&self, name: &str, target: &str) -> io::Result<()> {
        self.dir.symlink(target, name)
    }
}

fn rand_u64() -> u64 {
    use rand::RngCore;
    rand::thread_rng().next_u64()
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
