//! "Replace the server certificate": write a new certificate and key under exactly the file
//! names a server config names, after checking that the new key is the new certificate's.

use anyhow::{anyhow, bail, Context, Result};
use zeroize::Zeroizing;

use super::{guard_owned, key_from_bytes, Ctx};
use crate::pki::decode::{decode_file, DecodeOptions};
use crate::servers::{Role, ServerConfig};
use crate::store::inventory::inventory_path;
use crate::store::plan::{Op, Plan};

pub struct ReplaceArgs<'a> {
    pub servers: &'a [ServerConfig],
    /// Part of the site's context (`server api.example.com`); needed when several sites exist.
    pub site: Option<&'a str>,
    /// New certificate file (leaf first, chain after, as the server wants it).
    pub cert: &'a [u8],
    /// New private key file, written as given (an encrypted key stays encrypted).
    pub key: Zeroizing<Vec<u8>>,
}

/// One site's certificate and key paths, store-relative.
struct Target {
    label: String,
    cert_rel: String,
    key_rel: String,
}

fn targets(ctx: &Ctx, servers: &[ServerConfig]) -> Vec<Result<Target, String>> {
    let mut out = vec![];
    for cfg in servers {
        for (i, site) in cfg.sites.iter().enumerate() {
            let cert = cfg.site_uses(i).find(|u| u.role == Role::Certificate);
            let key = cfg.site_uses(i).find(|u| u.role == Role::PrivateKey);
            let (Some(cert), Some(key)) = (cert, key) else {
                continue;
            };
            let label = format!("{}: {}", site.server, site.context);
            let rel = |p: &std::path::Path| -> Result<String, String> {
                match inventory_path(&ctx.inv.store, p) {
                    Some(r) if !r.starts_with('/') => Ok(r),
                    _ => Err(format!(
                        "{label}: {} is outside the store {} (certdeck writes only inside its store)",
                        p.display(),
                        ctx.inv.store.display()
                    )),
                }
            };
            out.push(match (rel(&cert.path), rel(&key.path)) {
                (Ok(c), Ok(k)) => Ok(Target {
                    label,
                    cert_rel: c,
                    key_rel: k,
                }),
                (Err(e), _) | (_, Err(e)) => Err(e),
            });
        }
    }
    out
}

pub fn replace_server_cert(ctx: &Ctx, args: &ReplaceArgs) -> Result<Plan> {
    if args.servers.is_empty() {
        bail!("name the server config whose certificate to replace (--server-config FILE)");
    }
    let all = targets(ctx, args.servers);
    // A site named exactly (the TUI passes the label it listed) is that site, even when its
    // label is part of another's (`server a.example` and `server a.example.org`).
    let exact =
        |t: &Result<Target, String>| matches!((t, args.site), (Ok(t), Some(s)) if t.label == s);
    let all: Vec<_> = if all.iter().any(exact) {
        all.into_iter().filter(exact).collect()
    } else {
        all
    };
    let chosen: Vec<_> = all
        .into_iter()
        .filter(|t| match (t, args.site) {
            (Ok(t), Some(s)) => t.label.contains(s),
            (Err(e), Some(s)) => e.contains(s),
            (_, None) => true,
        })
        .collect();
    let target = match chosen.as_slice() {
        [] => bail!("no site with a certificate and key matches in the server configs"),
        [one] => one.as_ref().map_err(|e| anyhow!("{e}"))?,
        many => bail!(
            "several sites match; pick one with --site:\n  {}",
            many.iter()
                .map(|t| match t {
                    Ok(t) => t.label.clone(),
                    Err(e) => e.clone(),
                })
                .collect::<Vec<_>>()
                .join("\n  ")
        ),
    };
    guard_owned(ctx.inv, &target.cert_rel)?;
    guard_owned(ctx.inv, &target.key_rel)?;
    // The pair must match before anything is written (a server with a mismatched pair does
    // not start).
    let opts = DecodeOptions {
        now: ctx.now.unix_timestamp(),
        warn_days: 30,
        passphrases: ctx.passphrases.to_vec(),
    };
    let leaf = decode_file(args.cert, "new.pem", &opts)
        .into_iter()
        .find(|i| i.cert().is_some())
        .ok_or_else(|| anyhow!("the new certificate file holds no certificate"))?;
    let key = key_from_bytes(&args.key, ctx.passphrases).context("the new key")?;
    let leaf_info = leaf.cert().expect("certificate");
    if key.public_key_raw() != leaf_info.spki_bits() {
        bail!(
            "the new key does not match the new certificate ({}); nothing written",
            leaf.display_name()
        );
    }
    let mut plan = Plan::new(format!(
        "replace the certificate of {} with {}",
        target.label,
        leaf.display_name()
    ));
    plan.push(Op::write_secret(target.key_rel.clone(), args.key.clone()));
    plan.push(Op::write_public(
        target.cert_rel.clone(),
        args.cert.to_vec(),
    ));
    Ok(plan.with_missing_dirs(&ctx.inv.store))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::issue::{self, IssueRequest, KeyType, Profile, SubjectSpec};

    /// Two sites whose labels contain one another: the exact label picks its own site (the
    /// TUI passes the label it listed); a part of both is still refused as ambiguous.
    #[test]
    fn an_exact_site_label_is_that_site() {
        let tmp = tempfile::tempdir().unwrap();
        let store = std::fs::canonicalize(tmp.path()).unwrap();
        let s = store.display();
        let conf = store.join("nginx.conf");
        std::fs::write(
            &conf,
            format!(
                "http {{\n server {{ server_name a.example; ssl_certificate {s}/a.pem; ssl_certificate_key {s}/a.key; }}\n \
                 server {{ server_name a.example.org; ssl_certificate {s}/b.pem; ssl_certificate_key {s}/b.key; }}\n}}\n"
            ),
        )
        .unwrap();
        let now = time::OffsetDateTime::now_utc();
        let key = issue::generate_key(KeyType::EcP256).unwrap();
        let req = IssueRequest {
            profile: Profile::Server,
            subject: SubjectSpec::cn("a.example"),
            sans: vec!["DNS:a.example".into()],
            not_before: now,
            not_after: now + time::Duration::days(30),
            path_len: None,
        };
        let cert = issue::issue(&req, &key, None).unwrap().cert_pem;
        let key_pem = issue::key_to_pkcs8_pem(&key);
        // What the sites use now (inventory paths need existing files).
        for f in ["a", "b"] {
            std::fs::write(store.join(format!("{f}.pem")), &cert).unwrap();
            std::fs::write(store.join(format!("{f}.key")), &key_pem).unwrap();
        }
        let servers = vec![crate::servers::nginx::parse(&conf).unwrap()];
        let inv = crate::store::scan::scan(&store, &Default::default());
        let ctx = Ctx {
            inv: &inv,
            passphrases: &[],
            now,
        };
        let args = |site| ReplaceArgs {
            servers: &servers,
            site: Some(site),
            cert: cert.as_bytes(),
            key: Zeroizing::new(key_pem.as_bytes().to_vec()),
        };
        let plan = replace_server_cert(&ctx, &args("nginx: server a.example")).unwrap();
        let written: Vec<&str> = plan
            .ops
            .iter()
            .filter_map(|op| match op {
                Op::Write { path, .. } => Some(path.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(written, vec!["a.key", "a.pem"]);
        let err = replace_server_cert(&ctx, &args("a.example")).unwrap_err();
        assert!(err.to_string().contains("several sites match"), "{err}");
    }
}
