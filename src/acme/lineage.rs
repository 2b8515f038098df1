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

pub fn to_toml(s: &Settings) -> Result<String> {
    Ok(toml::to_string(s)?)
}

pub fn load(store: &Path, name: &str) -> Result<Settings> {
    check_name(name)?;
    let rel = settings_rel(name);
    let raw = std::fs::read_to_string(store.join(&rel))
        .with_context(|| format!("no ACME lineage {name} ({rel})"))?;
    let s: Settings = toml::from_str(&raw).with_context(|| format!("{rel}: cannot read"))?;
    Ok(s)
}

/// Every lineage of the store, by name; a broken renewal.toml is an error on that item only.
pub fn list(store: &Path) -> Vec<(String, Result<Settings>)> {
    let Ok(rd) = std::fs::read_dir(store.join(ACME_DIR)) else {
        return vec![];
    };
    let mut names: Vec<String> = rd
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| n != "accounts" && check_name(n).is_ok())
        .filter(|n| store.join(settings_rel(n)).exists())
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
