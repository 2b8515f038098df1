//! The config file (`~/.config/certdeck/config.toml`, or `--config FILE` / `CERTDECK_CONFIG`):
//! named stores with their path, layout, server configs, trust dir, reload command and expiry
//! thresholds. `certdeck --store NAME` opens one.
//!
//! ```toml
//! default_store = "web"      # opened when --store is not given
//! warn_days = 30             # defaults for every store
//! crit_days = 7
//!
//! [stores.web]
//! path = "/etc/nginx/tls"    # relative paths are relative to this file; ~ is $HOME
//! layout = "plain"           # plain | capath | certbot | keystore | harper | nginx | nano-rpc
//! server_configs = ["/etc/nginx/nginx.conf"]
//! trust_dir = "trusted"
//! reload_command = "systemctl reload nginx"
//! warn_days = 21
//! crit_days = 5
//! ```
//!
//! A missing default file means "no config"; a file named with `--config` must exist. A
//! malformed file is an error with line and column, never a crash.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::servers::{config_dir, line_col, read_text, resolve_path, ConfigError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// Nothing implied.
    Plain,
    Capath,
    Certbot,
    Keystore,
    Harper,
    Nginx,
    NanoRpc,
}

impl Layout {
    /// The trust dir this layout implies when the store entry names none: a CApath store is
    /// its own trust dir (e.g. /etc/ssl/certs, Nano's `tls/clients`).
    pub fn default_trust_dir(self) -> Option<&'static str> {
        match self {
            Layout::Capath => Some(""),
            _ => None,
        }
    }

    /// Server config files this layout implies next to the store when none are named:
    /// Harper keeps `harperdb-config.yaml` in its root, above `keys/`.
    pub fn implied_server_configs(self, store: &std::path::Path) -> Vec<String> {
        let candidate = match self {
            Layout::Harper => store.parent().map(|p| p.join("harperdb-config.yaml")),
            _ => None,
        };
        candidate
            .filter(|p| p.is_file())
            .map(|p| format!("harper:{}", p.display()))
            .into_iter()
            .collect()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub default_store: Option<String>,
    #[serde(default)]
    pub warn_days: Option<i64>,
    #[serde(default)]
    pub crit_days: Option<i64>,
    #[serde(default)]
    pub stores: BTreeMap<String, StoreConfig>,
    /// Stores whose history/ and journal may be owned or writable by another account (see
    /// `--safe-store`): certdeck refuses to replay such a journal otherwise.
    #[serde(default)]
    pub safe_stores: Vec<PathBuf>,
    /// The file this was read from (set after parsing).
    #[serde(skip)]
    pub file: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    pub path: PathBuf,
    #[serde(default)]
    pub layout: Option<Layout>,
    /// Server config files (`--server-config` values: `FILE` or `KIND:FILE`).
    #[serde(default)]
    pub server_configs: Vec<String>,
    #[serde(default)]
    pub trust_dir: Option<String>,
    /// A CA bundle file (store-relative, e.g. `trusted/ca-bundle.pem`) that trust, revoke and
    /// rehash keep in step with the trust dir.
    #[serde(default)]
    pub trust_bundle: Option<String>,
    /// Run after a change to make the server pick it up (`certdeck ... --reload`).
    #[serde(default)]
    pub reload_command: Option<String>,
    #[serde(default)]
    pub warn_days: Option<i64>,
    #[serde(default)]
    pub crit_days: Option<i64>,
}

/// `$XDG_CONFIG_HOME/certdeck/config.toml` (usually `~/.config/certdeck/config.toml`).
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "certdeck").map(|d| d.config_dir().join("config.toml"))
}

/// Parse config text; paths in it are made absolute against the file's directory.
pub fn parse_str(text: &str, file: &Path) -> Result<Config, ConfigError> {
    let mut cfg: Config = toml::from_str(text).map_err(|e| {
        let (l, c) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
        ConfigError::new(file, l, c, e.message().trim().to_string())
    })?;
    let base = config_dir(file);
    let pos_of = |needle: &str| {
        text.find(needle)
            .map(|p| line_col(text, p))
            .unwrap_or((0, 0))
    };
    for (name, s) in cfg.stores.iter_mut() {
        if s.path.as_os_str().is_empty() {
            let (l, c) = pos_of(&format!("[stores.{name}]"));
            return Err(ConfigError::new(
                file,
                l,
                c,
                format!("stores.{name}.path is empty"),
            ));
        }
        s.path = resolve_path(&base, &s.path.to_string_lossy());
        for sc in &mut s.server_configs {
            let (kind, f) = match sc.split_once(':') {
                Some((k, f)) if !k.contains('/') && k.len() < 12 => (Some(k.to_string()), f),
                _ => (None, sc.as_str()),
            };
            let abs = resolve_path(&base, f).to_string_lossy().into_owned();
            *sc = match kind {
                Some(k) => format!("{k}:{abs}"),
                None => abs,
            };
        }
        for (what, v) in [("warn_days", s.warn_days), ("crit_days", s.crit_days)] {
            if v.is_some_and(|d| d < 0) {
                let (l, c) = pos_of(what);
                return Err(ConfigError::new(
                    file,
                    l,
                    c,
                    format!("stores.{name}.{what} must not be negative"),
                ));
            }
        }
    }
    if let Some(d) = &cfg.default_store {
        if !cfg.stores.contains_key(d) {
            let (l, c) = pos_of("default_store");
            return Err(ConfigError::new(
                file,
                l,
                c,
                format!("default_store \"{d}\" is not one of the [stores.NAME] tables"),
            ));
        }
    }
    cfg.file = Some(file.to_path_buf());
    Ok(cfg)
}

pub fn load(file: &Path) -> Result<Config, ConfigError> {
    let text = read_text(file)?;
    parse_str(&text, file)
}

/// The explicit file (which must exist), else the default file when it exists, else no config.
pub fn load_optional(explicit: Option<&Path>) -> Result<Config, ConfigError> {
    match explicit {
        Some(f) => load(f),
        None => match default_path() {
            Some(p) if p.exists() => load(&p),
            _ => Ok(Config::default()),
        },
    }
}

/// What `--store VALUE` (or no --store) opens.
#[derive(Debug, Clone)]
pub struct Selected {
    pub name: Option<String>,
    pub dir: Option<PathBuf>,
    pub store: Option<StoreConfig>,
}

impl Config {
    /// A value without `/` that names a configured store selects it; otherwise it is a path.
    /// Without a value, `default_store` (if any).
    pub fn select(&self, value: Option<&Path>) -> Selected {
        let named = |n: &str| {
            self.stores.get(n).map(|s| Selected {
                name: Some(n.to_string()),
                dir: Some(s.path.clone()),
                store: Some(s.clone()),
            })
        };
        match value {
            Some(v) => {
                let s = v.to_string_lossy();
                if !s.contains('/') {
                    if let Some(sel) = named(&s) {
                        return sel;
                    }
                }
                Selected {
                    name: None,
                    dir: Some(v.to_path_buf()),
                    store: None,
                }
            }
            None => self
                .default_store
                .as_deref()
                .and_then(named)
                .unwrap_or(Selected {
                    name: None,
                    dir: None,
                    store: None,
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
default_store = "web"
warn_days = 40

[stores.web]
path = "tls"
layout = "nginx"
server_configs = ["/etc/nginx/nginx.conf", "nginx:conf/site.conf"]
trust_dir = "clients"
reload_command = "systemctl reload nginx"
crit_days = 5

[stores.hdb]
path = "~/hdb/keys"
"#;

    #[test]
    fn parses_and_resolves_paths() {
        let c = parse_str(GOOD, Path::new("/home/u/.config/certdeck/config.toml")).unwrap();
        let web = &c.stores["web"];
        assert_eq!(web.path, PathBuf::from("/home/u/.config/certdeck/tls"));
        assert_eq!(web.layout, Some(Layout::Nginx));
        assert_eq!(
            web.server_configs,
            vec![
                "/etc/nginx/nginx.conf".to_string(),
                "nginx:/home/u/.config/certdeck/conf/site.conf".to_string()
            ]
        );
        assert_eq!(
            web.reload_command.as_deref(),
            Some("systemctl reload nginx")
        );
        assert_eq!(c.warn_days, Some(40));
        let sel = c.select(None);
        assert_eq!(sel.name.as_deref(), Some("web"));
        let sel = c.select(Some(Path::new("hdb")));
        assert!(sel.dir.unwrap().ends_with("hdb/keys"));
        let sel = c.select(Some(Path::new("./hdb")));
        assert_eq!(sel.dir.unwrap(), PathBuf::from("./hdb"));
        assert!(sel.store.is_none());
    }

    #[test]
    fn errors_have_line_and_column() {
        let f = Path::new("/c/config.toml");
        let e = parse_str("[stores.web]\npath = \"x\"\nreload_comand = \"x\"\n", f).unwrap_err();
        assert_eq!((e.line, e.column), (3, 1), "{e}");
        assert!(e.msg.contains("reload_comand"), "{e}");
        let e = parse_str("[stores.web]\npath = \"x\"\nlayout = \"apache\"\n", f).unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.msg.contains("apache"), "{e}");
        let e = parse_str("[stores.web\npath = 1\n", f).unwrap_err();
        assert_eq!(e.line, 1, "{e}");
        let e = parse_str("[stores.web]\nlayout = \"plain\"\n", f).unwrap_err();
        assert!(e.msg.contains("path"), "{e}");
        let e = parse_str("default_store = \"nope\"\n", f).unwrap_err();
        assert_eq!((e.line, e.column), (1, 1), "{e}");
        let e = parse_str("warn_days = \"x\"\n", f).unwrap_err();
        assert_eq!((e.line, e.column), (1, 13), "{e}");
        assert!(e.to_string().starts_with("/c/config.toml:1:13: "), "{e}");
    }

    #[test]
    fn missing_files() {
        let e = load_optional(Some(Path::new("/nonexistent/certdeck.toml"))).unwrap_err();
        assert!(e.to_string().contains("no such file"), "{e}");
    }
}
