//! Where server configs meet the store. `servers` only reads configs and `store` only reads the
//! directory; this module joins them: the files each server reads become scan input, and the
//! checks and comparisons that need both an inventory and the configs live here.

pub mod check;
pub mod probe;

use std::path::Path;

use crate::servers::{expand_use, ServerConfig};
use crate::store::inventory::inventory_path;
use crate::store::scan::{ScanOptions, UsedFile};

/// `opts` plus what the configs name: every file they read (a directory's files, Nano's
/// `client_certs_path`) with who reads it, and their passphrases (Nano `server_key_passphrase`,
/// Spring `key-store-password`) to open the keys and keystores they name.
pub fn scan_options(mut opts: ScanOptions, configs: &[ServerConfig]) -> ScanOptions {
    for cfg in configs {
        for u in &cfg.uses {
            let label = u.label();
            for path in expand_use(&u.path) {
                opts.used_files.push(UsedFile {
                    path,
                    label: label.clone(),
                });
            }
        }
        opts.decode
            .passphrases
            .extend(cfg.secrets.iter().map(|s| s.0.clone()));
    }
    opts
}

/// Servers whose files a change touched (store-relative paths of a plan's ops), each with a
/// short reason: `("nginx", "server api.example.com uses tls/api.pem")`.
pub fn affected(
    servers: &[ServerConfig],
    touched: &[String],
    store: &Path,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![];
    for cfg in servers {
        for u in &cfg.uses {
            // Lexical and canonical store-relative forms (a replaced file may sit in history).
            let lexical = crate::servers::normalize(&u.path)
                .strip_prefix(store)
                .ok()
                .map(|p| p.to_string_lossy().into_owned());
            let canon = inventory_path(store, &u.path);
            let hit = [lexical, canon].into_iter().flatten().find(|rel| {
                !rel.is_empty()
                    && touched
                        .iter()
                        .any(|t| t == rel || t.starts_with(&format!("{rel}/")))
            });
            if let Some(rel) = hit {
                let entry = (
                    cfg.kind.name().to_string(),
                    format!("{} uses {rel}", u.context),
                );
                if !out.iter().any(|(s, _)| *s == entry.0) {
                    out.push(entry);
                }
            }
        }
    }
    out
}
