//! Spring Boot (`application.properties` or `application.yml`): `server.ssl.key-store`, `key-store-type`,
//! `key-alias`, `key-store-password`, plus `trust-store` (+ password), `client-auth`, and the PEM
//! forms `server.ssl.certificate` / `certificate-private-key` / `trust-certificate`.
//!
//! The properties format: `key=value`, `key: value` or `key value`; `#`/`!` comments; a trailing
//! backslash continues the line; `\t \n \uXXXX` escapes. `${name}` and `${name:default}` are
//! resolved from the same file, then the environment. Relative paths (and `file:` URLs) are
//! relative to the directory of the config file; `classpath:` resources are not files.

use std::collections::HashMap;
use std::path::Path;

use zeroize::Zeroizing;

use super::{
    config_dir, read_text, resolve_path, ConfigError, Role, Secret, ServerConfig, ServerKind,
};

/// One property and the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    pub key: String,
    pub value: String,
    pub line: usize,
}

/// Parse the Java properties format.
pub fn parse_properties(text: &str, file: &Path) -> Result<Vec<Property>, ConfigError> {
    let mut out = vec![];
    let lines: Vec<&str> = text.split('\n').collect();
    let mut i = 0;
    while i < lines.len() {
        let start_line = i + 1;
        let first = lines[i].trim_end_matches('\r').trim_start();
        i += 1;
        if first.is_empty() || first.starts_with('#') || first.starts_with('!') {
            continue;
        }
        // Join continuation lines (an odd number of trailing backslashes).
        let mut logical = first.to_string();
        while ends_with_continuation(&logical) && i < lines.len() {
            logical.pop();
            logical.push_str(lines[i].trim_end_matches('\r').trim_start());
            i += 1;
        }
        if ends_with_continuation(&logical) {
            logical.pop();
        }
        // Key ends at the first unescaped '=', ':' or whitespace.
        let chars: Vec<char> = logical.chars().collect();
        let mut k = 0;
        while k < chars.len() {
            match chars[k] {
                '\\' => k += 2,
                '=' | ':' => break,
                c if c.is_whitespace() => break,
                _ => k += 1,
            }
        }
        let k = k.min(chars.len());
        let raw_key: String = chars[..k].iter().collect();
        let mut v = k;
        while v < chars.len() && chars[v].is_whitespace() {
            v += 1;
        }
        if v < chars.len() && (chars[v] == '=' || chars[v] == ':') {
            v += 1;
        }
        while v < chars.len() && chars[v].is_whitespace() {
            v += 1;
        }
        let raw_value: String = chars[v..].iter().collect();
        out.push(Property {
            key: unescape(&raw_key, file, start_line)?,
            value: unescape(&raw_value, file, start_line)?,
            line: start_line,
        });
    }
    Ok(out)
}

fn ends_with_continuation(s: &str) -> bool {
    s.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
}

fn unescape(s: &str, file: &Path, line: usize) -> Result<String, ConfigError> {
    let mut out = String::new();
    let mut it = s.chars().enumerate().peekable();
    while let Some((i, c)) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some((_, 't')) => out.push('\t'),
            Some((_, 'n')) => out.push('\n'),
            Some((_, 'r')) => out.push('\r'),
            Some((_, 'f')) => out.push('\u{c}'),
            Some((_, 'u')) => {
                let hex: String = (0..4).filter_map(|_| it.next().map(|(_, c)| c)).collect();
                let ch = u32::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 4)
                    .and_then(char::from_u32);
                match ch {
                    Some(ch) => out.push(ch),
                    None => {
                        return Err(ConfigError::new(
                            file,
                            line,
                            i + 1,
                            format!("malformed \\u escape \"\\u{hex}\""),
                        ))
                    }
                }
            }
            Some((_, other)) => out.push(other),
            None => {}
        }
    }
    Ok(out)
}

/// Resolve `${name}` / `${name:default}` from `props`, then the environment; unknown names stay.
pub fn resolve(value: &str, props: &HashMap<String, String>, depth: usize) -> String {
    if depth > 8 || !value.contains("${") {
        return value.to_string();
    }
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let inner = &after[..end];
        let (name, default) = match inner.split_once(':') {
            Some((n, d)) => (n, Some(d)),
            None => (inner, None),
        };
        let found = props
            .get(name)
            .cloned()
            .or_else(|| std::env::var(name).ok())
            .or_else(|| {
                // Spring's relaxed binding: SERVER_SSL_KEY_STORE for server.ssl.key-store.
                std::env::var(name.replace(['.', '-'], "_").to_ascii_uppercase()).ok()
            })
            .or(default.map(str::to_string));
        match found {
            Some(v) => out.push_str(&resolve(&v, props, depth + 1)),
            None => out.push_str(&rest[start..start + 2 + end + 1]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

pub fn parse(file: &Path) -> Result<ServerConfig, ConfigError> {
    let text = read_text(file)?;
    parse_str(&text, file)
}

/// `application.yml`: nested maps flattened to the same dotted keys as the properties file
/// (`server: {ssl: {key-store: x}}` is `server.ssl.key-store=x`).
pub fn parse_yaml_properties(text: &str, file: &Path) -> Result<Vec<Property>, ConfigError> {
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).map_err(|e| {
        let (line, col) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((1, 1));
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        ConfigError::new(file, line, col, msg)
    })?;
    let mut out = vec![];
    flatten(&doc, String::new(), &mut out);
    Ok(out)
}

fn flatten(v: &serde_yaml_ng::Value, prefix: String, out: &mut Vec<Property>) {
    use serde_yaml_ng::Value as V;
    let scalar = |s: String, out: &mut Vec<Property>| {
        out.push(Property {
            key: prefix.clone(),
            value: s,
            line: 0,
        })
    };
    match v {
        V::Mapping(m) => {
            for (k, v) in m {
                let k = match k {
                    V::String(s) => s.clone(),
                    V::Bool(b) => b.to_string(),
                    V::Number(n) => n.to_string(),
                    _ => continue,
                };
                let key = if prefix.is_empty() {
                    k
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(v, key, out);
            }
        }
        V::String(s) => scalar(s.clone(), out),
        V::Bool(b) => scalar(b.to_string(), out),
        V::Number(n) => scalar(n.to_string(), out),
        V::Tagged(t) => flatten(&t.value, prefix, out),
        V::Sequence(_) | V::Null => {}
    }
}

fn is_yaml(file: &Path) -> bool {
    matches!(
        file.extension().and_then(|e| e.to_str()),
        Some("yml" | "yaml")
    )
}

pub fn parse_str(text: &str, file: &Path) -> Result<ServerConfig, ConfigError> {
    let list = if is_yaml(file) {
        parse_yaml_properties(text, file)?
    } else {
        parse_properties(text, file)?
    };
    // Later definitions win, as in java.util.Properties.
    let mut props: HashMap<String, String> = HashMap::new();
    let mut lines: HashMap<String, usize> = HashMap::new();
    for p in &list {
        props.insert(p.key.clone(), p.value.clone());
        lines.insert(p.key.clone(), p.line);
    }
    let get = |k: &str| {
        props
            .get(k)
            .map(|v| resolve(v, &props, 0))
            .filter(|v| !v.is_empty())
    };
    let base = config_dir(file);
    let mut cfg = ServerConfig::new(ServerKind::SpringBoot, file);
    let enabled = get("server.ssl.enabled").is_none_or(|v| v != "false");
    let port = get("server.port");
    let ctx = match (&port, enabled) {
        (_, false) => "server.ssl (enabled=false)".to_string(),
        (Some(p), true) => format!("server.ssl (port {p})"),
        (None, true) => "server.ssl".to_string(),
    };
    let client_auth = get("server.ssl.client-auth")
        .is_some_and(|v| v.eq_ignore_ascii_case("need") || v.eq_ignore_ascii_case("want"));
    let files: &[(&str, Role)] = &[
        ("server.ssl.key-store", Role::Keystore),
        ("server.ssl.certificate", Role::Certificate),
        ("server.ssl.certificate-private-key", Role::PrivateKey),
        ("server.ssl.trust-store", Role::TrustStore),
        ("server.ssl.trust-certificate", Role::ClientCa),
    ];
    if !files.iter().any(|(k, _)| get(k).is_some()) {
        return Ok(cfg);
    }
    let site = cfg.site(ctx);
    {
        let s = &mut cfg.sites[site];
        s.verify_client = client_auth;
        s.key_alias = get("server.ssl.key-alias");
        s.keystore_type = get("server.ssl.key-store-type");
    }
    for (key, role) in files {
        let Some(v) = get(key) else { continue };
        let origin = format!(
            "{}:{}",
            file.display(),
            lines.get(*key).copied().unwrap_or(0)
        );
        if v.starts_with("classpath:") {
            cfg.notes.push(format!(
                "{origin}: {key}={v} is inside the application's jar; not a file"
            ));
            continue;
        }
        if v.contains("${") {
            cfg.notes
                .push(format!("{origin}: {key}={v} has an unresolved placeholder"));
        }
        let path = v
            .strip_prefix("file://")
            .or(v.strip_prefix("file:"))
            .unwrap_or(&v);
        cfg.add_use(site, key, resolve_path(&base, path), *role, origin);
    }
    for key in [
        "server.ssl.key-store-password",
        "server.ssl.key-password",
        "server.ssl.trust-store-password",
    ] {
        if let Some(p) = get(key) {
            cfg.secrets.push(Secret(Zeroizing::new(p)));
        }
    }
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn properties_format() {
        let text = "# c\n! c2\na=1\nb : two words\nc   3\nd=long\\\n   value\\\\\ne=\\u0041\\tx\nkey\\ with\\=eq = v\nempty=\n";
        let p = parse_properties(text, Path::new("a.properties")).unwrap();
        let kv: Vec<(&str, &str, usize)> = p
            .iter()
            .map(|p| (p.key.as_str(), p.value.as_str(), p.line))
            .collect();
        assert_eq!(
            kv,
            vec![
                ("a", "1", 3),
                ("b", "two words", 4),
                ("c", "3", 5),
                ("d", "longvalue\\", 6),
                ("e", "A\tx", 8),
                ("key with=eq", "v", 9),
                ("empty", "", 10),
            ]
        );
        let e = parse_properties("\nx=\\u12", Path::new("a.properties")).unwrap_err();
        assert_eq!((e.line, e.column), (2, 1), "{e}");
    }

    #[test]
    fn seed_properties() {
        let f = Path::new("/opt/im/conf/application.properties");
        let text = "security.require-ssl=true\nserver.port=443\nsharedDataPath=/srv/im\nserver.ssl.key-alias=integration-manager\nserver.ssl.key-store=${sharedDataPath}/conf/ssl/keystore.p12\nserver.ssl.key-store-password=D0N0tU5eTh1sP@ssW0rd!\nserver.ssl.key-store-type=PKCS12\nim.base-url=https://IM_SERVER_HOSTNAME:${server.port}\n";
        let cfg = parse_str(text, f).unwrap();
        assert_eq!(cfg.sites[0].context, "server.ssl (port 443)");
        assert_eq!(
            cfg.sites[0].key_alias.as_deref(),
            Some("integration-manager")
        );
        assert_eq!(cfg.sites[0].keystore_type.as_deref(), Some("PKCS12"));
        assert_eq!(cfg.uses.len(), 1);
        assert_eq!(cfg.uses[0].directive, "server.ssl.key-store");
        assert_eq!(
            cfg.uses[0].path,
            PathBuf::from("/srv/im/conf/ssl/keystore.p12")
        );
        assert_eq!(cfg.uses[0].role, Role::Keystore);
        assert_eq!(cfg.uses[0].origin, "/opt/im/conf/application.properties:5");
        assert_eq!(cfg.secrets[0].0.as_str(), "D0N0tU5eTh1sP@ssW0rd!");
    }

    #[test]
    fn relative_file_url_classpath_and_defaults() {
        let f = Path::new("/app/application.properties");
        let text = "server.ssl.key-store=file:conf/ks.jks\nserver.ssl.trust-store=classpath:trust.p12\nserver.ssl.client-auth=need\nserver.ssl.certificate=${CERTDECK_TEST_UNSET_VAR:pem/cert.pem}\n";
        let cfg = parse_str(text, f).unwrap();
        let u: Vec<_> = cfg.uses.iter().map(|u| u.path.clone()).collect();
        assert_eq!(
            u,
            vec![
                PathBuf::from("/app/conf/ks.jks"),
                PathBuf::from("/app/pem/cert.pem")
            ]
        );
        assert!(cfg.sites[0].verify_client);
        assert!(cfg.notes.iter().any(|n| n.contains("classpath:trust.p12")));
        assert!(parse_str("server.port=80\n", f).unwrap().sites.is_empty());
    }
}

#[cfg(test)]
mod yaml_tests {
    use super::*;

    #[test]
    fn application_yml_is_read_like_properties() {
        let text = "server:\n  port: 8443\n  ssl:\n    key-store: keystore.p12\n    key-store-type: PKCS12\n    key-alias: tomcat\n    key-store-password: changeit\n";
        let file = Path::new("/srv/app/application.yml");
        let cfg = parse_str(text, file).unwrap();
        assert!(
            cfg.uses
                .iter()
                .any(|u| u.path == Path::new("/srv/app/keystore.p12") && u.role == Role::Keystore),
            "{:?}",
            cfg.uses
        );
        assert_eq!(cfg.sites[0].key_alias.as_deref(), Some("tomcat"));
        assert_eq!(cfg.secrets.len(), 1);
    }

    #[test]
    fn bad_yaml_has_line_and_column() {
        let e = parse_str("server:\n  ssl: [unclosed\n", Path::new("a.yml")).unwrap_err();
        assert!(e.line >= 1, "{e:?}");
    }
}
