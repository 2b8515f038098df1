//! The probe form's last values, per store: `$XDG_STATE_HOME/certdeck/probe.toml` (else
//! `~/.local/state/certdeck/probe.toml`), one table per canonical store path. Never inside the
//! store (a probe changes nothing there) and never written in read-only mode (the run loop
//! passes no path then). A missing or unreadable file just means no remembered values.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What the probe form asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeFields {
    /// HOST:PORT.
    pub target: String,
    /// SNI to send; empty: the host when it is a name.
    #[serde(default)]
    pub sni: String,
    /// Seconds for connecting and each read/write.
    pub timeout: u64,
}

/// The default timeout of `certdeck probe` too.
pub const DEFAULT_TIMEOUT: u64 = 10;

/// A state file bigger than this was not written by certdeck: ignored.
const MAX_FILE: u64 = 256 * 1024;
/// Stores remembered; the oldest entries (by path order) go first when there are more.
const MAX_STORES: usize = 200;

/// Where the state file lives, if a home for it can be named.
pub fn default_path() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => {
            PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?).join(".local/state")
        }
    };
    // XDG: a relative value is invalid and must be ignored.
    base.is_absolute()
        .then(|| base.join("certdeck").join("probe.toml"))
}

/// The key of `store`: its canonical path (the same store by another path is the same entry).
fn key(store: &Path) -> String {
    store
        .canonicalize()
        .unwrap_or_else(|_| store.to_path_buf())
        .to_string_lossy()
        .into_owned()
}

fn read_all(file: &Path) -> BTreeMap<String, ProbeFields> {
    let Ok(meta) = std::fs::metadata(file) else {
        return BTreeMap::new();
    };
    if !meta.is_file() || meta.len() > MAX_FILE {
        return BTreeMap::new();
    }
    std::fs::read_to_string(file)
        .ok()
        .and_then(|s| toml::from_str(&s).ok())
        .unwrap_or_default()
}

/// The values last probed from `store`, if any.
pub fn load(file: &Path, store: &Path) -> Option<ProbeFields> {
    read_all(file).remove(&key(store))
}

/// Remember `fields` for `store` (temp file + rename; the directory 0700, the file 0600).
pub fn save(file: &Path, store: &Path, fields: &ProbeFields) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let dir = file
        .parent()
        .ok_or_else(|| std::io::Error::other("state file has no directory"))?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let mut all = read_all(file);
    all.insert(key(store), fields.clone());
    while all.len() > MAX_STORES {
        all.pop_first();
    }
    let text = toml::to_string(&all).map_err(std::io::Error::other)?;
    let tmp = dir.join(format!(".probe.toml.{}", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_per_store_and_by_canonical_path() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("state/certdeck/probe.toml");
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        assert_eq!(load(&file, &a), None);
        let fa = ProbeFields {
            target: "127.0.0.1:443".into(),
            sni: "api.example".into(),
            timeout: 3,
        };
        save(&file, &a, &fa).unwrap();
        let fb = ProbeFields {
            target: "[::1]:8443".into(),
            sni: String::new(),
            timeout: 10,
        };
        save(&file, &b, &fb).unwrap();
        assert_eq!(load(&file, &a.join("../a")), Some(fa));
        assert_eq!(load(&file, &b), Some(fb));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // Not TOML: nothing remembered, no panic.
        std::fs::write(&file, "\u{1b}[31m not toml").unwrap();
        assert_eq!(load(&file, &a), None);
    }
}
