//! A lineage: one name's certificate as ACME keeps renewing it. Its settings and last result
//! live in `acme/NAME/renewal.toml` (like certbot's renewal/NAME.conf); its files are
//! `acme/NAME/{cert,chain,fullchain,privkey}.pem` unless a server config names others.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use super::challenge::Method;

pub const ACME_DIR: &str = "acme";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    pub name: String,
    pub domains: Vec<String>,
    /// ACME directory URL.
    pub server: String,
    /// CA bundle for the ACME server's own TLS (a test CA such as Pebble's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_bundle: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub key_type: String,
    /// Renew this many days before expiry; default a third of the lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renew_before_days: Option<i64>,
    /// Store-relative file with the leaf certificate first (what renew reads).
    pub cert_file: String,
    /// Store-relative private key file.
    pub key_file: String,
    /// The files were named by a server config (`--server-config`) instead of acme/NAME/.
    #[serde(default)]
    pub server_files: bool,
    /// The server configs (`KIND:FILE`, absolute) that named the files: renew writes the same
    /// files without `--server-config`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub server_configs: Vec<String>,
    /// Set when the key and chain go into a PKCS#12 keystore (`key_file`) under this alias;
    /// `cert_file` is then the public copy in acme/NAME/ that renew reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keystore_alias: Option<String>,
    pub challenge: Method,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<LastResult>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LastResult {
    /// RFC 3339, UTC.
    pub at: String,
    /// issued | renewed | failed | revoked
    pub result: String,
    pub message: String,
}

/// A lineage name becomes a directory: keep it to one plain path component.
pub fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && name != "accounts"
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if !ok {
        bail!(
            "lineage name {:?}: use letters, digits, '.', '-', '_' (not 'accounts')",
            name.escape_debug().to_string()
        );
    }
    Ok(())
}

pub fn dir_rel(name: &str) -> String {
    format!("{ACME_DIR}/{name}")
}

pub fn settings_rel(name: &str) -> String {
    format!("{ACME_DIR}/{name}/renewal.toml")
}

/// renewal.toml names a command certdeck runs (the dns-01 hook) and a directory it writes
/// (the webroot), so, like the journal, it is read only when no other account could have
/// written it or replaced the directories holding it (unless the store is opted in with
/// `safe_stores` / `--safe-store`). Reached through held directory handles, never a symlink.
fn read_settings(store: &Path, name: &str) -> std::io::Result<Vec<u8>> {
    read_trusted(
        store,
        &dir_rel(name),
        "renewal.toml",
        "that account could make certdeck run its dns-01 hook command or write into its webroot",
    )
}

/// The file `dir/file` below the store, read only when it and every directory from `acme/`
/// down to it are owned by the running user (or root) and not group/other-writable, or the
/// store is opted in. `why` says what an account that could write it could do.
pub fn read_trusted(store: &Path, dir: &str, file: &str, why: &str) -> std::io::Result<Vec<u8>> {
    use crate::store::fsx;
    use std::io::{Error, ErrorKind, Read};
    let root = fsx::Dir::open_root(store)?;
    let mut dirs = vec![];
    let mut rel = String::new();
    for part in dir.split('/') {
        if !rel.is_empty() {
            rel.push('/');
        }
        rel.push_str(part);
        dirs.push((rel.clone(), root.open_dir(&rel)?));
    }
    let Some((_, holder)) = dirs.last() else {
        return Err(Error::new(ErrorKind::InvalidInput, "no directory"));
    };
    let f = holder.open_read(file)?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(Error::new(ErrorKind::InvalidData, "not a regular file"));
    }
    let canon = std::fs::canonicalize(store).unwrap_or_else(|_| store.to_path_buf());
    if !crate::store::history::foreign_allowed(&canon) {
        use std::os::unix::fs::MetadataExt;
        let me = fsx::euid();
        let mut checks = vec![];
        for (rel, d) in &dirs {
            let st = d.stat()?;
            checks.push((rel.clone(), st.st_uid, st.st_mode));
        }
        checks.push((format!("{dir}/{file}"), meta.uid(), meta.mode()));
        for (what, uid, mode) in checks {
            let problem = if uid != me && uid != 0 {
                format!("is owned by uid {uid} (you are uid {me})")
            } else if mode & 0o022 != 0 {
                format!(
                    "is writable by group or others (mode {:04o})",
                    mode & 0o7777
                )
            } else {
                continue;
            };
            return Err(Error::new(
                ErrorKind::PermissionDenied,
                format!(
                    "{}: {what} {problem}: {why}, so it is not used. If that account is \
                     trusted, add the store to `safe_stores` in the config or pass --safe-store; \
                     otherwise: chown -R {me} {0}/{ACME_DIR} && chmod -R go-w {0}/{ACME_DIR}",
                    store.display(),
                ),
            ));
        }
    }
    let mut buf = Vec::new();
    f.take((1 << 20) + 1).read_to_end(&mut buf)?;
    if buf.len() > 1 << 20 {
        return Err(Error::new(ErrorKind::InvalidData, "larger than 1 MiB"));
    }
    Ok(buf)
}

pub fn to_toml(s: &Settings) -> Result<String> {
    Ok(toml::to_string(s)?)
}

pub fn load(store: &Path, name: &str) -> Result<Settings> {
    check_name(name)?;
    let rel = settings_rel(name);
    let raw = read_settings(store, name).with_context(|| format!("ACME lineage {name} ({rel})"))?;
    let raw = String::from_utf8(raw).with_context(|| format!("{rel}: not UTF-8"))?;
    let s: Settings = toml::from_str(&raw).with_context(|| format!("{rel}: cannot read"))?;
    Ok(s)
}

/// Every lineage of the store, by name; a broken renewal.toml is an error on that item only.
pub fn list(store: &Path) -> Vec<(String, Result<Settings>)> {
    use crate::store::fsx;
    let Ok(dir) = fsx::Dir::open_root(store).and_then(|d| d.open_dir(ACME_DIR)) else {
        return vec![];
    };
    let mut names: Vec<String> = dir
        .entries()
        .unwrap_or_default()
        .into_iter()
        .filter(|n| n != "accounts" && check_name(n).is_ok())
        .filter(|n| {
            dir.lstat(n)
                .ok()
                .flatten()
                .is_some_and(|st| fsx::is_dir(&st))
        })
        .filter(|n| fsx::exists_rel(store, &settings_rel(n)))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let s = load(store, &n);
            (n, s)
        })
        .collect()
}
