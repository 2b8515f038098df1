//! Server configurations: which files a server reads, parsed from its own config file.
//!
//! Each parser is a pure function of the config text (plus, for nginx, the files it includes):
//! it yields `ServerUse`s (this server, in this context, reads this path through this directive)
//! grouped into `Site`s (one TLS endpoint: an nginx `server {}`, Harper's `tls`, Nano's
//! `[secure]`, Spring Boot's `server.ssl`). The scan marks the items at those paths with
//! `used_by`; `check` audits the pairs a site names. Relative paths are made absolute the way the
//! server itself resolves them, so the rest of certdeck only sees absolute paths.

pub mod harper;
pub mod nano;
pub mod nginx;
pub mod probe;
pub mod reload;
pub mod spring;

use serde::Serialize;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// What a server does with a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Certificate (or chain file, leaf first) the server presents.
    Certificate,
    /// The private key of the certificate at the same position.
    PrivateKey,
    /// CA certificates that client certificates must chain to.
    ClientCa,
    /// CA certificates used for OCSP stapling / sent nowhere, only for building chains.
    TrustedCa,
    Crl,
    DhParams,
    /// A directory of trusted client certificates with `<hash>.N` names.
    ClientCertDir,
    /// A PKCS#12 / JKS keystore holding key and chain.
    Keystore,
    /// A keystore of trusted certificates (Java trust store).
    TrustStore,
}

/// One file (or directory) a server reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerUse {
    /// `nginx`, `harper`, `nano-rpc`, `spring-boot`.
    pub server: String,
    /// Where in the config: `server api.example.com`, `tls`, `[secure]`, `server.ssl`.
    pub context: String,
    /// The directive or key naming the file: `ssl_certificate`, `tls.privateKey`, ...
    pub directive: String,
    /// Absolute path as the server resolves it (not canonicalised).
    pub path: PathBuf,
    pub role: Role,
    /// Index into `ServerConfig::sites`.
    #[serde(skip)]
    pub site: usize,
    /// Config file and line that named it (for messages).
    pub origin: String,
}

impl ServerUse {
    /// The `used_by` text: `nginx: server api.example.com, ssl_certificate`.
    pub fn label(&self) -> String {
        format!("{}: {}, {}", self.server, self.context, self.directive)
    }
}

/// One TLS endpoint of a server and the settings that change what its files must satisfy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Site {
    pub server: String,
    pub context: String,
    /// Client certificates are requested/required (nginx `ssl_verify_client on|optional`,
    /// Harper `http.mtls`, Nano `client_certs_path`, Spring `client-auth`).
    pub verify_client: bool,
    /// CRLs are checked (nginx `ssl_crl`): OpenSSL then needs a CRL for every CA in the path.
    pub crl_check: bool,
    /// Keystore alias the server uses (Spring `key-alias`).
    pub key_alias: Option<String>,
    /// Keystore type named by the config (`PKCS12`, `JKS`).
    pub keystore_type: Option<String>,
}

/// A passphrase read from a server config (Nano `server_key_passphrase`, Spring
/// `key-store-password`). Never printed, never passed on a command line.
#[derive(Clone)]
pub struct Secret(pub Zeroizing<String>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Which parser reads a config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServerKind {
    Nginx,
    Harper,
    NanoRpc,
    SpringBoot,
}

impl ServerKind {
    pub fn name(self) -> &'static str {
        match self {
            ServerKind::Nginx => "nginx",
            ServerKind::Harper => "harper",
            ServerKind::NanoRpc => "nano-rpc",
            ServerKind::SpringBoot => "spring-boot",
        }
    }

    fn from_prefix(s: &str) -> Option<ServerKind> {
        Some(match s {
            "nginx" => ServerKind::Nginx,
            "harper" | "harperdb" => ServerKind::Harper,
            "nano" | "nano-rpc" => ServerKind::NanoRpc,
            "spring" | "spring-boot" => ServerKind::SpringBoot,
            _ => return None,
        })
    }

    /// Guess from the file name: `application*.yml` and `*.properties` Spring Boot, other
    /// `*.yaml`/`*.yml` Harper, `*.toml` Nano RPC, anything else nginx (`KIND:FILE` overrides).
    pub fn detect(path: &Path) -> ServerKind {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if name.starts_with("application") && (name.ends_with(".yml") || name.ends_with(".yaml")) {
            ServerKind::SpringBoot
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            ServerKind::Harper
        } else if name.ends_with(".toml") {
            ServerKind::NanoRpc
        } else if name.ends_with(".properties") {
            ServerKind::SpringBoot
        } else {
            ServerKind::Nginx
        }
    }
}

/// A parsed server configuration.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub kind: ServerKind,
    /// The config file as given.
    pub file: PathBuf,
    pub sites: Vec<Site>,
    pub uses: Vec<ServerUse>,
    /// Passphrases the config holds for its keys / keystores.
    pub secrets: Vec<Secret>,
    /// Things the parser skipped (paths with variables, `classpath:` resources, ...).
    pub notes: Vec<String>,
}

impl ServerConfig {
    fn new(kind: ServerKind, file: &Path) -> Self {
        ServerConfig {
            kind,
            file: file.to_path_buf(),
            sites: vec![],
            uses: vec![],
            secrets: vec![],
            notes: vec![],
        }
    }

    /// Add a site and return its index.
    fn site(&mut self, context: impl Into<String>) -> usize {
        self.sites.push(Site {
            server: self.kind.name().to_string(),
            context: context.into(),
            ..Default::default()
        });
        self.sites.len() - 1
    }

    fn add_use(&mut self, site: usize, directive: &str, path: PathBuf, role: Role, origin: String) {
        let s = &self.sites[site];
        self.uses.push(ServerUse {
            server: s.server.clone(),
            context: s.context.clone(),
            directive: directive.to_string(),
            path,
            role,
            site,
            origin,
        });
    }

    /// The uses of one site, in config order.
    pub fn site_uses(&self, site: usize) -> impl Iterator<Item = &ServerUse> {
        self.uses.iter().filter(move |u| u.site == site)
    }
}

/// A config file that cannot be read or parsed: where and why. Line and column are 1-based
/// (0 when the problem is the file as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub msg: String,
}

impl ConfigError {
    pub fn new(file: &Path, line: usize, column: usize, msg: impl Into<String>) -> Self {
        ConfigError {
            file: file.to_path_buf(),
            line,
            column,
            msg: msg.into(),
        }
    }

    pub fn whole(file: &Path, msg: impl Into<String>) -> Self {
        Self::new(file, 0, 0, msg)
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.msg)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file.display(),
                self.line,
                self.column,
                self.msg
            )
        }
    }
}

impl std::error::Error for ConfigError {}

/// 1-based line and column of byte offset `pos` in `text`.
pub fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let pos = pos.min(text.len());
    let before = &text.as_bytes()[..pos];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map(|i| i + 1)
        .unwrap_or(0);
    let column = String::from_utf8_lossy(&before[col_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// Read a config file, as a clear error when it cannot be.
pub fn read_text(path: &Path) -> Result<String, ConfigError> {
    let bytes = std::fs::read(path).map_err(|e| {
        ConfigError::whole(
            path,
            match e.kind() {
                std::io::ErrorKind::NotFound => "no such file".to_string(),
                _ => format!("cannot read: {e}"),
            },
        )
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
        let (line, column) = line_col(&text, valid);
        ConfigError::new(path, line, column, "not UTF-8 text")
    })
}

/// `~/x` -> `$HOME/x`; relative paths are joined to `base`.
pub fn resolve_path(base: &Path, value: &str) -> PathBuf {
    let p = if let Some(rest) = value.strip_prefix("~/") {
        match std::env::var_os("HOME") {
            Some(h) => PathBuf::from(h).join(rest),
            None => PathBuf::from(value),
        }
    } else {
        PathBuf::from(value)
    };
    normalize(&if p.is_absolute() { p } else { base.join(p) })
}

/// The directory a config's relative paths start from.
pub fn config_dir(file: &Path) -> PathBuf {
    let abs = if file.is_absolute() {
        file.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(file))
            .unwrap_or_else(|_| file.to_path_buf())
    };
    abs.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Parse one `--server-config` value: `FILE` (kind from the name) or `KIND:FILE` with KIND one of
/// nginx, harper, nano, spring.
pub fn load(spec: &str) -> Result<ServerConfig, ConfigError> {
    let (kind, file) = match spec.split_once(':') {
        Some((k, f)) if ServerKind::from_prefix(k).is_some() => {
            (ServerKind::from_prefix(k).unwrap_or(ServerKind::Nginx), f)
        }
        _ => (ServerKind::detect(Path::new(spec)), spec),
    };
    let file = Path::new(file);
    match kind {
        ServerKind::Nginx => nginx::parse(file),
        ServerKind::Harper => harper::parse(file),
        ServerKind::NanoRpc => nano::parse(file),
        ServerKind::SpringBoot => spring::parse(file),
    }
}

/// Parse every config; the first error stops (a config we cannot read is never half-applied).
pub fn load_all<S: AsRef<str>>(specs: &[S]) -> Result<Vec<ServerConfig>, ConfigError> {
    specs.iter().map(|s| load(s.as_ref())).collect()
}

/// Lexically clean `p` (`.`/`..`) without touching the filesystem.
pub fn normalize(p: &Path) -> PathBuf {
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

/// The files behind a used path: the file itself, or the regular files directly in a directory
/// (Nano's `client_certs_path`), sorted. Missing paths give nothing.
pub fn expand_use(path: &Path) -> Vec<PathBuf> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map(|rd| {
                    rd.flatten()
                        .map(|e| e.path())
                        .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file()))
                        .collect()
                })
                .unwrap_or_default();
            files.sort();
            files
        }
        Ok(_) => vec![path.to_path_buf()],
        Err(_) => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_lines_and_chars() {
        let t = "ab\ncdé\nf";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 3), (2, 1));
        assert_eq!(line_col(t, t.find('f').unwrap()), (3, 1));
        assert_eq!(line_col(t, t.find('\u{e9}').unwrap() + 2), (2, 4));
    }

    #[test]
    fn kind_detection_and_prefix() {
        assert_eq!(
            ServerKind::detect(Path::new("/x/harperdb-config.yaml")),
            ServerKind::Harper
        );
        assert_eq!(
            ServerKind::detect(Path::new("config-rpc.toml")),
            ServerKind::NanoRpc
        );
        assert_eq!(
            ServerKind::detect(Path::new("application.properties")),
            ServerKind::SpringBoot
        );
        assert_eq!(
            ServerKind::detect(Path::new("/etc/nginx/nginx.conf")),
            ServerKind::Nginx
        );
        let e = load("nginx:/nonexistent/certdeck/x.yaml").unwrap_err();
        assert!(e.to_string().contains("no such file"), "{e}");
    }

    #[test]
    fn config_error_display() {
        let e = ConfigError::new(Path::new("a.conf"), 3, 7, "unexpected \"}\"");
        assert_eq!(e.to_string(), "a.conf:3:7: unexpected \"}\"");
        assert_eq!(
            ConfigError::whole(Path::new("a.conf"), "no such file").to_string(),
            "a.conf: no such file"
        );
    }
}
