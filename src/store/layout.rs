//! Recognised layouts. For now: certbot's `/etc/letsencrypt` tree.
//!
//! certbot keeps every version of a certificate in `archive/<name>/{cert,chain,fullchain,privkey}N.pem`
//! and points `live/<name>/*.pem` at the current one with symlinks; `renewal/<name>.conf` says how
//! to renew it. The scanner lists a symlink into the store under its target, with the symlink's
//! path in `links`, so `live/x/cert.pem` shows as `archive/x/cert3.pem` linked from
//! `live/x/cert.pem`. Those trees belong to certbot: certdeck reads them and refuses to write there.

use std::path::Path;

use serde::Serialize;

use super::inventory::Inventory;
use super::plan::Plan;
use crate::pki::Detail;

/// The refusal every action gives for a path inside a certbot-owned tree.
pub const CERTBOT_OWNED: &str =
    "owned by certbot: use certbot renew / certbot certonly; certdeck does not write here";

/// certbot's own subdirectories of a letsencrypt directory: all of its tree.
const OWNED_DIRS: [&str; 7] = [
    "live",
    "archive",
    "renewal",
    "keys",
    "csr",
    "accounts",
    "renewal-hooks",
];

/// Default `renew_before_expiry` of certbot.
pub const RENEW_BEFORE_DAYS: i64 = 30;

/// `dir` (absolute) looks like a letsencrypt directory: `live/` plus `archive/` or `renewal/`.
fn is_letsencrypt_dir(dir: &Path) -> bool {
    let is_dir = |n: &str| {
        std::fs::symlink_metadata(dir.join(n))
            .map(|m| m.is_dir())
            .unwrap_or(false)
    };
    is_dir("live") && (is_dir("archive") || is_dir("renewal"))
}

/// Is the store-relative path `rel` inside (or equal to) a certbot-owned directory?
pub fn certbot_owned(store: &Path, rel: &str) -> bool {
    let parts: Vec<&str> = rel
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    (0..parts.len()).any(|i| {
        OWNED_DIRS.contains(&parts[i]) && is_letsencrypt_dir(&store.join(parts[..i].join("/")))
    })
}

/// Refuse a plan that touches a certbot-owned tree; the error names the first such path.
pub fn check_plan(store: &Path, plan: &Plan) -> Result<(), String> {
    for op in &plan.ops {
        if certbot_owned(store, op.path()) {
            return Err(format!("{}: {CERTBOT_OWNED}", op.path()));
        }
    }
    Ok(())
}

/// One certbot certificate lineage.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Lineage {
    /// `<name>` of `live/<name>`.
    pub name: String,
    /// Store-relative letsencrypt directory ("" when the store is /etc/letsencrypt itself).
    pub dir: String,
    /// DNS names of the current certificate (SANs; the renewal conf's domains when it has none).
    pub domains: Vec<String>,
    /// N of the `archive/<name>/certN.pem` that `live/<name>/cert.pem` points to.
    pub version: u32,
    /// Store path of the current certificate (in `archive/`).
    pub cert: String,
    pub not_after: String,
    pub days_left: i64,
    /// certbot would renew now: fewer than `renew_before_days` days left.
    pub renewal_due: bool,
    pub renew_before_days: i64,
    /// Store path of `renewal/<name>.conf`, when present.
    pub renewal_conf: Option<String>,
    /// `renew_before_expiry` as written in the renewal conf, when set.
    pub renew_before_expiry: Option<String>,
    /// Why `renew_before_expiry` could not be read (then `renew_before_days` is certbot's default).
    pub renew_before_error: Option<String>,
    /// Serial (lowercase hex) of the current certificate.
    pub serial: String,
    /// Key of the current certificate: `RSA 2048`, `EC P-256`, ...
    pub key_type: String,
    /// `[renewalparams] authenticator` (webroot, nginx, standalone, dns-...).
    pub authenticator: Option<String>,
    /// `[renewalparams] server`: the ACME directory URL.
    pub server: Option<String>,
    /// `staging` (a Let's Encrypt staging or other test URL) or `production`; null without a server.
    pub environment: Option<&'static str>,
    /// `autorenew` (certbot's default: true).
    pub autorenew: bool,
    pub hooks: Hooks,
}

/// The renewal hooks a lineage's conf sets (`renew_hook` is certbot's name for the deploy hook).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Hooks {
    pub deploy_hook: Option<String>,
    pub pre_hook: Option<String>,
    pub post_hook: Option<String>,
}

/// What a renewal conf says.
#[derive(Debug, Default)]
struct RenewalConf {
    renew_before_expiry: Option<String>,
    domains: Vec<String>,
    authenticator: Option<String>,
    server: Option<String>,
    autorenew: Option<bool>,
    hooks: Hooks,
}

/// Split `<dir>/archive/<name>/certN.pem` (or the `live/` form) into (dir, name, file).
fn split_lineage_path<'a>(path: &'a str, top: &str) -> Option<(&'a str, &'a str, &'a str)> {
    let mut it = path.rsplitn(4, '/');
    let file = it.next()?;
    let name = it.next()?;
    let t = it.next()?;
    let dir = it.next().unwrap_or("");
    (t == top).then_some((dir, name, file))
}

fn cert_version(file: &str) -> Option<u32> {
    file.strip_prefix("cert")?
        .strip_suffix(".pem")?
        .parse()
        .ok()
}

fn read_renewal_conf(path: &Path) -> RenewalConf {
    let mut conf = RenewalConf::default();
    let Ok(text) = std::fs::read_to_string(path) else {
        return conf;
    };
    let mut in_webroot_map = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') {
            in_webroot_map = line == "[[webroot_map]]";
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim().trim_matches('"').to_string());
        let set = |v: String| (!v.is_empty()).then_some(v);
        match k {
            _ if in_webroot_map && !k.is_empty() => conf.domains.push(k.to_string()),
            _ if in_webroot_map => {}
            "renew_before_expiry" => conf.renew_before_expiry = Some(v),
            "authenticator" => conf.authenticator = set(v),
            "server" => conf.server = set(v),
            "autorenew" => conf.autorenew = Some(!v.eq_ignore_ascii_case("false")),
            "renew_hook" | "deploy_hook" => conf.hooks.deploy_hook = set(v),
            "pre_hook" => conf.hooks.pre_hook = set(v),
            "post_hook" => conf.hooks.post_hook = set(v),
            _ => {}
        }
    }
    conf
}

/// certbot's `util.is_staging` ("staging" in the URL), plus the local test servers (Pebble).
fn environment(server: &str) -> &'static str {
    if server.contains("staging")
        || server.contains("pebble")
        || server.contains("localhost")
        || server.contains("127.0.0.1")
    {
        "staging"
    } else {
        "production"
    }
}

/// Every certbot lineage of the store: one per `live/<name>/cert.pem` link into `archive/`.
pub fn certbot_lineages(inv: &Inventory) -> Vec<Lineage> {
    let mut out: Vec<Lineage> = vec![];
    for it in &inv.items {
        let Detail::Certificate(c) = &it.detail else {
            continue;
        };
        if it.index != 0 {
            continue;
        }
        let Some((adir, aname, afile)) = split_lineage_path(&it.path, "archive") else {
            continue;
        };
        let Some(version) = cert_version(afile) else {
            continue;
        };
        // The live link naming this file decides which version is current.
        let live = it.links.iter().find_map(|l| {
            split_lineage_path(l, "live")
                .filter(|(d, n, f)| *d == adir && *n == aname && *f == "cert.pem")
        });
        if live.is_none() {
            continue;
        }
        let dir_abs = inv.store.join(adir);
        if !is_letsencrypt_dir(&dir_abs) {
            continue;
        }
        let conf_rel = if adir.is_empty() {
            format!("renewal/{aname}.conf")
        } else {
            format!("{adir}/renewal/{aname}.conf")
        };
        let conf_abs = inv.store.join(&conf_rel);
        let has_conf = conf_abs.is_file();
        let conf = if has_conf {
            read_renewal_conf(&conf_abs)
        } else {
            RenewalConf::default()
        };
        let conf_domains = conf.domains.clone();
        let mut domains: Vec<String> = c
            .sans
            .iter()
            .filter_map(|s| s.strip_prefix("DNS:").map(str::to_string))
            .collect();
        if domains.is_empty() {
            domains = conf_domains;
        }
        if domains.is_empty() {
            domains.extend(c.common_name.clone());
        }
        // As certbot's add_time_interval reads it; a value it cannot read is said, not guessed.
        let now = time::OffsetDateTime::now_utc();
        let (interval, renew_before_error) = match conf.renew_before_expiry.as_deref() {
            Some(v) => match super::certbot::parse_interval(v) {
                Ok(i) => (Some(i), None),
                Err(e) => (None, Some(e)),
            },
            None => (None, None),
        };
        let renew_at = interval
            .and_then(|i| i.add_to(now))
            .unwrap_or(now + time::Duration::days(RENEW_BEFORE_DAYS));
        let renew_before_days = (renew_at - now).whole_days();
        let renewal_due = c.not_after_unix < renew_at.unix_timestamp();
        out.push(Lineage {
            name: aname.to_string(),
            dir: adir.to_string(),
            domains,
            version,
            cert: it.path.clone(),
            not_after: c.not_after(),
            days_left: c.days_left,
            renewal_due,
            renew_before_days,
            renewal_conf: has_conf.then_some(conf_rel),
            renew_before_expiry: conf.renew_before_expiry,
            renew_before_error,
            serial: c.serial.clone(),
            key_type: match c.key_bits {
                Some(b) if c.key_algorithm == "RSA" => format!("RSA {b}"),
                _ => c.key_algorithm.to_string(),
            },
            environment: conf.server.as_deref().map(environment),
            authenticator: conf.authenticator,
            server: conf.server,
            autorenew: conf.autorenew.unwrap_or(true),
            hooks: conf.hooks,
        });
    }
    out.sort_by(|a, b| (&a.dir, &a.name).cmp(&(&b.dir, &b.name)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_paths() {
        assert_eq!(
            split_lineage_path("etc/le/archive/x/cert3.pem", "archive"),
            Some(("etc/le", "x", "cert3.pem"))
        );
        assert_eq!(
            split_lineage_path("archive/x/cert3.pem", "archive"),
            Some(("", "x", "cert3.pem"))
        );
        assert_eq!(split_lineage_path("x/cert3.pem", "archive"), None);
        assert_eq!(cert_version("cert12.pem"), Some(12));
        assert_eq!(cert_version("chain2.pem"), None);
    }

    #[test]
    fn owned_paths() {
        let d = tempfile::tempdir().unwrap();
        for sub in ["le/live/x", "le/archive/x", "le/renewal", "other/live"] {
            std::fs::create_dir_all(d.path().join(sub)).unwrap();
        }
        assert!(certbot_owned(d.path(), "le/live/x/cert.pem"));
        assert!(certbot_owned(d.path(), "le/archive"));
        assert!(certbot_owned(d.path(), "le/renewal/x.conf"));
        assert!(!certbot_owned(d.path(), "le/trusted/a.pem"));
        // A lone live/ without archive/ or renewal/ is not certbot's.
        assert!(!certbot_owned(d.path(), "other/live/a.pem"));
    }
}
