//! Harper (`harperdb-config.yaml`): `tls.certificate`, `tls.privateKey`,
//! `tls.certificateAuthority`, `operationsApi.tls.*`, `http.mtls`, `http.securePort`.
//!
//! Harper's defaults: the files are `<ROOTPATH>/keys/certificate.pem`, `privateKey.pem` and
//! `ca.pem`, where ROOTPATH is `rootPath` or else the directory holding the config file.
//! `operationsApi.tls` falls back to `tls` field by field. `tls` may also be a list (one entry per
//! certificate, e.g. for SNI).

use std::path::{Path, PathBuf};

use serde_yaml_ng::Value;

use super::{
    config_dir, line_col, read_text, resolve_path, ConfigError, Role, ServerConfig, ServerKind,
};

const FIELDS: &[(&str, Role, &str)] = &[
    ("certificate", Role::Certificate, "certificate.pem"),
    ("privateKey", Role::PrivateKey, "privateKey.pem"),
    ("certificateAuthority", Role::ClientCa, "ca.pem"),
];

/// 1-based position of the first `key:` in the text, for errors about a value's type.
fn locate(text: &str, key: &str) -> (usize, usize) {
    let pat = format!("{key}:");
    for (pos, _) in text.match_indices(&pat) {
        let before = text[..pos].chars().last();
        if before.is_none_or(|c| c.is_whitespace() || c == '{' || c == ',') {
            return line_col(text, pos);
        }
    }
    (0, 0)
}

fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for k in path {
        cur = cur.as_mapping()?.get(*k)?;
    }
    Some(cur)
}

/// A string (or number) setting; other types are a config error at the key.
fn string_at(
    text: &str,
    file: &Path,
    v: Option<&Value>,
    key: &str,
) -> Result<Option<String>, ConfigError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => {
            let (l, c) = locate(text, key.rsplit('.').next().unwrap_or(key));
            Err(ConfigError::new(
                file,
                l,
                c,
                format!("{key} must be a file name"),
            ))
        }
    }
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        // `mtls: { user: ..., required: true }` enables mTLS too.
        Some(Value::Mapping(_)) => true,
        _ => false,
    }
}

pub fn parse(file: &Path) -> Result<ServerConfig, ConfigError> {
    let text = read_text(file)?;
    parse_str(&text, file)
}

pub fn parse_str(text: &str, file: &Path) -> Result<ServerConfig, ConfigError> {
    let doc: Value = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_yaml_ng::from_str(text).map_err(|e| {
            let (l, c) = e
                .location()
                .map(|loc| (loc.line(), loc.column()))
                .unwrap_or((0, 0));
            let msg = e.to_string();
            // serde_yaml_ng appends " at line L column C"; we print that ourselves.
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            ConfigError::new(file, l, c, msg)
        })?
    };
    if !matches!(doc, Value::Mapping(_) | Value::Null) {
        return Err(ConfigError::new(
            file,
            1,
            1,
            "harperdb-config.yaml must be a mapping of settings",
        ));
    }
    let base = config_dir(file);
    let root = match string_at(text, file, get(&doc, &["rootPath"]), "rootPath")? {
        Some(r) => resolve_path(&base, &r),
        None => base.clone(),
    };
    let keys = root.join("keys");
    let mut cfg = ServerConfig::new(ServerKind::Harper, file);
    let mtls = truthy(get(&doc, &["http", "mtls"]));
    let secure_port = string_at(
        text,
        file,
        get(&doc, &["http", "securePort"]),
        "http.securePort",
    )?;
    let http_ctx = match &secure_port {
        Some(p) => format!("tls (http.securePort {p})"),
        None => "tls (http.securePort not set: HTTPS off)".to_string(),
    };
    // `tls` as one mapping or a list of them.
    let tls_entries: Vec<Option<&Value>> = match get(&doc, &["tls"]) {
        Some(Value::Sequence(seq)) => seq.iter().map(Some).collect(),
        Some(v @ Value::Mapping(_)) => vec![Some(v)],
        None | Some(Value::Null) => vec![None],
        Some(_) => {
            let (l, c) = locate(text, "tls");
            return Err(ConfigError::new(
                file,
                l,
                c,
                "tls must be a mapping (certificate, privateKey, certificateAuthority) or a list of them",
            ));
        }
    };
    let mut defaults: Vec<Option<PathBuf>> = vec![None; FIELDS.len()];
    for (n, entry) in tls_entries.iter().enumerate() {
        let ctx = if tls_entries.len() > 1 {
            format!("{http_ctx} #{}", n + 1)
        } else {
            http_ctx.clone()
        };
        let site = cfg.site(ctx);
        cfg.sites[site].verify_client = mtls;
        for (i, (field, role, default)) in FIELDS.iter().enumerate() {
            let key = format!("tls.{field}");
            let set = string_at(text, file, entry.and_then(|e| get(e, &[field])), &key)?;
            let path = match &set {
                Some(v) => resolve_path(&base, v),
                None => keys.join(default),
            };
            if n == 0 {
                defaults[i] = Some(path.clone());
            }
            // The CA matters when clients are verified, or when it is named / present.
            if *role == Role::ClientCa && set.is_none() && !mtls && !path.exists() {
                continue;
            }
            let directive = if set.is_some() {
                key
            } else {
                format!("{key} (default)")
            };
            cfg.add_use(site, &directive, path, *role, origin(text, file, field));
        }
    }
    // operationsApi.tls: its own files where set, else the tls ones (not listed twice).
    if let Some(ops) = get(&doc, &["operationsApi", "tls"]).filter(|v| v.is_mapping()) {
        let port = string_at(
            text,
            file,
            get(&doc, &["operationsApi", "network", "securePort"]),
            "operationsApi.network.securePort",
        )?;
        let ctx = match port {
            Some(p) => format!("operationsApi.tls (securePort {p})"),
            None => "operationsApi.tls".to_string(),
        };
        let site = cfg.site(ctx);
        cfg.sites[site].verify_client = truthy(get(&doc, &["operationsApi", "network", "mtls"]));
        for (i, (field, role, _)) in FIELDS.iter().enumerate() {
            let key = format!("operationsApi.tls.{field}");
            let path = match string_at(text, file, ops.get(*field), &key)? {
                Some(v) => (resolve_path(&base, &v), key),
                None => match &defaults[i] {
                    Some(d) if *role != Role::ClientCa => (d.clone(), format!("{key} (from tls)")),
                    _ => continue,
                },
            };
            cfg.add_use(site, &path.1, path.0, *role, origin(text, file, field));
        }
    }
    Ok(cfg)
}

fn origin(text: &str, file: &Path, key: &str) -> String {
    match locate(text, key) {
        (0, _) => format!("{} (default)", file.display()),
        (l, _) => format!("{}:{l}", file.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uses(cfg: &ServerConfig) -> Vec<(String, String, PathBuf)> {
        cfg.uses
            .iter()
            .map(|u| (u.context.clone(), u.directive.clone(), u.path.clone()))
            .collect()
    }

    #[test]
    fn defaults_to_rootpath_keys() {
        let f = Path::new("/srv/hdb/harperdb-config.yaml");
        let cfg = parse_str("http:\n  securePort: 9927\n", f).unwrap();
        let u = uses(&cfg);
        assert_eq!(u.len(), 2, "{u:?}");
        assert_eq!(
            u[0],
            (
                "tls (http.securePort 9927)".into(),
                "tls.certificate (default)".into(),
                PathBuf::from("/srv/hdb/keys/certificate.pem")
            )
        );
        assert_eq!(u[1].2, PathBuf::from("/srv/hdb/keys/privateKey.pem"));
        assert!(!cfg.sites[0].verify_client);
    }

    #[test]
    fn explicit_paths_mtls_and_operations_api() {
        let f = Path::new("/srv/hdb/harperdb-config.yaml");
        let text = "rootPath: /data/hdb\nhttp:\n  mtls: true\n  securePort: 9926\ntls:\n  certificate: keys/certificate.pem\n  privateKey: /etc/hdb/privateKey.pem\n  certificateAuthority: ~/hdb/keys/ca.pem\noperationsApi:\n  network:\n    securePort: 9925\n  tls:\n    certificate: ops/cert.pem\n";
        let cfg = parse_str(text, f).unwrap();
        let u = uses(&cfg);
        assert!(cfg.sites[0].verify_client);
        assert_eq!(u[0].2, PathBuf::from("/srv/hdb/keys/certificate.pem"));
        assert_eq!(u[1].2, PathBuf::from("/etc/hdb/privateKey.pem"));
        assert_eq!(u[2].1, "tls.certificateAuthority");
        assert!(u[2].2.ends_with("hdb/keys/ca.pem"));
        assert_eq!(cfg.uses[2].role, Role::ClientCa);
        // operationsApi: own certificate, key from tls.
        assert_eq!(u[3].0, "operationsApi.tls (securePort 9925)");
        assert_eq!(u[3].2, PathBuf::from("/srv/hdb/ops/cert.pem"));
        assert_eq!(u[4].1, "operationsApi.tls.privateKey (from tls)");
        assert_eq!(u[4].2, PathBuf::from("/etc/hdb/privateKey.pem"));
        assert_eq!(cfg.uses[0].origin, "/srv/hdb/harperdb-config.yaml:6");
        assert_eq!(
            cfg.uses[0].label(),
            "harper: tls (http.securePort 9926), tls.certificate"
        );
    }

    #[test]
    fn mtls_object_and_tls_list() {
        let f = Path::new("/h/harperdb-config.yaml");
        let text = "http:\n  mtls:\n    required: true\ntls:\n  - certificate: a.pem\n    privateKey: a.key\n  - certificate: b.pem\n    privateKey: b.key\n";
        let cfg = parse_str(text, f).unwrap();
        assert_eq!(cfg.sites.len(), 2);
        assert!(cfg.sites[1].verify_client);
        assert!(cfg
            .uses
            .iter()
            .any(|u| u.site == 1 && u.path == Path::new("/h/b.key")));
        // mTLS on: the default CA is named even when absent, so the audit can say it is missing.
        assert!(cfg
            .uses
            .iter()
            .any(|u| u.site == 0 && u.path == Path::new("/h/keys/ca.pem")));
    }

    #[test]
    fn malformed_yaml_has_line_and_column() {
        let f = Path::new("/h/harperdb-config.yaml");
        let e = parse_str("tls:\n  certificate: a.pem\n privateKey: [b\n", f).unwrap_err();
        assert!(e.line >= 3, "{e}");
        assert!(e.column >= 1, "{e}");
        let e = parse_str("http:\n  port: 1\ntls:\n  certificate: [1, 2]\n", f).unwrap_err();
        assert_eq!((e.line, e.column), (4, 3), "{e}");
        assert!(e.msg.contains("tls.certificate"), "{e}");
        let e = parse_str("- a\n- b\n", f).unwrap_err();
        assert_eq!(e.line, 1);
    }
}
