//! Where an export goes. Inside the store it is a store change like any other (a Plan: lock,
//! journal, history, certbot refusal), and a private key of the store is never replaced by
//! it. Outside the store it is a new file (`outfile`: O_EXCL, never through a symlink).

use std::path::{Component, Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use zeroize::Zeroizing;

use crate::pki::ItemKind;
use crate::store::inventory::Inventory;
use crate::store::plan::{Op, Plan};

/// An export's target, decided once from the path the user gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Store-relative path.
    InStore(String),
    /// Absolute path outside the store.
    Outside(PathBuf),
}

impl Target {
    /// The absolute path, as shown to the user before writing.
    pub fn absolute(&self, store_root: &Path) -> PathBuf {
        match self {
            Target::InStore(rel) => store_root.join(rel),
            Target::Outside(p) => p.clone(),
        }
    }
}

/// Make `out` absolute (against `cwd`), then compare its canonical parent directory with the
/// canonical store root (`store_root` must be canonical, as `ReadOnlyStore::root` is).
pub fn resolve(store_root: &Path, cwd: &Path, out: &Path) -> Result<Target> {
    crate::outfile::check_name(out).map_err(|e| anyhow!(e))?;
    let abs = if out.is_absolute() {
        out.to_path_buf()
    } else {
        cwd.join(out)
    };
    let name = abs
        .file_name()
        .filter(|_| !matches!(abs.components().next_back(), Some(Component::ParentDir)))
        .ok_or_else(|| anyhow!("{}: not a file name", out.display()))?
        .to_owned();
    let parent = abs.parent().unwrap_or(Path::new("/"));
    let parent = parent
        .canonicalize()
        .with_context(|| format!("the directory of {} cannot be opened", abs.display()))?;
    let abs = parent.join(&name);
    match parent.strip_prefix(store_root) {
        Ok(rel_dir) => {
            let rel = rel_dir.join(&name);
            let rel = rel
                .to_str()
                .ok_or_else(|| anyhow!("{}: the name is not UTF-8", abs.display()))?;
            Ok(Target::InStore(rel.to_string()))
        }
        Err(_) => Ok(Target::Outside(abs)),
    }
}

/// The plan of an export into the store. An existing file is replaced only with `force`
/// (it moves to history); a file holding a private key never is.
pub fn plan_in_store(
    inv: &Inventory,
    rel: &str,
    what: &str,
    bytes: Zeroizing<Vec<u8>>,
    secret: bool,
    force: bool,
) -> Result<Plan> {
    super::guard_owned(inv, rel)?;
    // By what the scan found there (keys, keystores) and by the bytes (a key the scan could
    // not classify, e.g. one that appeared since).
    let holds_key =
        inv.items.iter().any(|it| {
            it.path == rel && matches!(it.kind, ItemKind::PrivateKey | ItemKind::Keystore)
        }) || looks_like_key(&inv.store.join(rel));
    if holds_key {
        bail!("{rel} holds a private key of the store; an export never replaces it");
    }
    if std::fs::symlink_metadata(inv.store.join(rel)).is_ok() && !force {
        bail!("{rel} already exists in the store; not overwritten (--force moves it to history)");
    }
    let mut plan = Plan::new(format!("export {what} to {rel}"));
    plan.push(if secret {
        Op::write_secret(rel, bytes)
    } else {
        Op::write_public(rel, bytes.to_vec())
    });
    plan.validate().map_err(|e| anyhow!(e))?;
    Ok(plan.with_missing_dirs(&inv.store))
}

/// A regular file (not followed through a symlink; a fifo is not waited on) whose first
/// MiB holds a PEM private key.
fn looks_like_key(path: &Path) -> bool {
    use rustix::fs::{FileType, Mode, OFlags};
    use std::io::Read;
    let Ok(fd) = rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    ) else {
        return false;
    };
    let regular = rustix::fs::fstat(&fd)
        .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::RegularFile);
    let mut buf = Vec::new();
    regular
        && std::fs::File::from(fd)
            .take(1 << 20)
            .read_to_end(&mut buf)
            .is_ok()
        && memchr::memmem::find(&buf, b"PRIVATE KEY-----").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_inside_and_outside() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().canonicalize().unwrap();
        let store = root.join("store");
        std::fs::create_dir_all(store.join("sub")).unwrap();
        assert_eq!(
            resolve(&store, &store, Path::new("sub/x.pem")).unwrap(),
            Target::InStore("sub/x.pem".into())
        );
        assert_eq!(
            resolve(&store, &root, Path::new("store/sub/../x.pem")).unwrap(),
            Target::InStore("x.pem".into())
        );
        // A symlink to a store directory is the store.
        std::os::unix::fs::symlink(store.join("sub"), root.join("alias")).unwrap();
        assert_eq!(
            resolve(&store, &root, Path::new("alias/y.pem")).unwrap(),
            Target::InStore("sub/y.pem".into())
        );
        assert_eq!(
            resolve(&store, &store, Path::new("../out.pem")).unwrap(),
            Target::Outside(root.join("out.pem"))
        );
        assert!(resolve(&store, &store, Path::new("a\nb.pem")).is_err());
    }
}
