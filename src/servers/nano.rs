//! Nano node RPC (`config-rpc.toml`), section `[secure]`: `server_cert_path`,
//! `server_key_path`, `server_key_passphrase`, `server_dh_path`, `client_certs_path` (a directory
//! of trusted client certificates named `<subject_hash>.0`). Relative paths are relative to the
//! node's data directory, where the config file lives.

use std::path::Path;

use zeroize::Zeroizing;

use super::{
    config_dir, line_col, read_text, resolve_path, ConfigError, Role, Secret, ServerConfig,
    ServerKind,
};

const FIELDS: &[(&str, Role)] = &[
    ("server_cert_path", Role::Certificate),
    ("server_key_path", Role::PrivateKey),
    ("server_dh_path", Role::DhParams),
    ("client_certs_path", Role::ClientCertDir),
];

fn toml_error(text: &str, file: &Path, e: &toml::de::Error) -> ConfigError {
    let (l, c) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
    ConfigError::new(file, l, c, e.message().trim().to_string())
}

pub fn parse(file: &Path) -> Result<ServerConfig, ConfigError> {
    let text = read_text(file)?;
    parse_str(&text, file)
}

pub fn parse_str(text: &str, file: &Path) -> Result<ServerConfig, ConfigError> {
    let doc: toml::Table = toml::from_str(text).map_err(|e| toml_error(text, file, &e))?;
    let base = config_dir(file);
    let mut cfg = ServerConfig::new(ServerKind::NanoRpc, file);
    let Some(secure) = doc.get("secure") else {
        cfg.notes.push(format!(
            "{}: no [secure] section: TLS is off",
            file.display()
        ));
        return Ok(cfg);
    };
    let pos = |key: &str| -> (usize, usize) {
        text.find(key).map(|p| line_col(text, p)).unwrap_or((0, 0))
    };
    let Some(secure) = secure.as_table() else {
        let (l, c) = pos("secure");
        return Err(ConfigError::new(file, l, c, "secure must be a table"));
    };
    let enabled = match secure.get("enable") {
        None => false,
        Some(toml::Value::Boolean(b)) => *b,
        Some(_) => {
            let (l, c) = pos("enable");
            return Err(ConfigError::new(
                file,
                l,
                c,
                "secure.enable must be true or false",
            ));
        }
    };
    let site = cfg.site(if enabled {
        "[secure]"
    } else {
        "[secure] (enable=false)"
    });
    let string = |key: &str| -> Result<Option<String>, ConfigError> {
        match secure.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) if s.is_empty() => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => {
                let (l, c) = pos(key);
                Err(ConfigError::new(
                    file,
                    l,
                    c,
                    format!("secure.{key} must be a string"),
                ))
            }
        }
    };
    for (key, role) in FIELDS {
        if let Some(v) = string(key)? {
            let (l, _) = pos(key);
            cfg.add_use(
                site,
                key,
                resolve_path(&base, &v),
                *role,
                format!("{}:{l}", file.display()),
            );
            if *role == Role::ClientCertDir {
                cfg.sites[site].verify_client = true;
            }
        }
    }
    if let Some(p) = string("server_key_passphrase")? {
        cfg.secrets.push(Secret(Zeroizing::new(p)));
    }
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn seed_section() {
        let f = Path::new("/var/nano/config-rpc.toml");
        let text = "address = \"::1\"\n\n[secure]\nenable=true\nverbose_logging=true\nserver_cert_path=\"tls/server.cert.pem\"\nserver_key_path=\"tls/server.key.pem\"\nserver_key_passphrase=\"test\"\nserver_dh_path=\"tls/dh1024.pem\"\nclient_certs_path=\"tls/clients\"\n";
        let cfg = parse_str(text, f).unwrap();
        let u: Vec<_> = cfg
            .uses
            .iter()
            .map(|u| (u.directive.as_str(), u.path.clone(), u.role))
            .collect();
        assert_eq!(
            u,
            vec![
                (
                    "server_cert_path",
                    PathBuf::from("/var/nano/tls/server.cert.pem"),
                    Role::Certificate
                ),
                (
                    "server_key_path",
                    PathBuf::from("/var/nano/tls/server.key.pem"),
                    Role::PrivateKey
                ),
                (
                    "server_dh_path",
                    PathBuf::from("/var/nano/tls/dh1024.pem"),
                    Role::DhParams
                ),
                (
                    "client_certs_path",
                    PathBuf::from("/var/nano/tls/clients"),
                    Role::ClientCertDir
                ),
            ]
        );
        assert!(cfg.sites[0].verify_client);
        assert_eq!(cfg.sites[0].context, "[secure]");
        assert_eq!(cfg.secrets.len(), 1);
        assert_eq!(cfg.secrets[0].0.as_str(), "test");
        // The passphrase never shows in debug output.
        assert!(!format!("{cfg:?}").contains("\"test\""));
        assert_eq!(cfg.uses[0].origin, "/var/nano/config-rpc.toml:6");
    }

    #[test]
    fn no_secure_section_and_errors() {
        let f = Path::new("/n/config-rpc.toml");
        assert!(parse_str("enable_control = true\n", f)
            .unwrap()
            .uses
            .is_empty());
        let e = parse_str("[secure]\nenable = true\nserver_cert_path = \"a\n", f).unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.column > 1, "{e}");
        let e = parse_str("[secure]\nserver_key_path = 5\n", f).unwrap_err();
        assert_eq!((e.line, e.column), (2, 1), "{e}");
        let e = parse_str("[secure]\nenable = \"yes\"\n", f).unwrap_err();
        assert!(e.msg.contains("true or false"), "{e}");
    }
}
