//! Answering challenges: an http-01 responder of our own (standalone), files in a web server's
//! webroot, or a dns-01 hook command. Every method is undone after the order, success or not.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::store::fsx;
use std::io::Write;
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Where http-01 tokens go below a webroot (RFC 8555 section 8.3).
const CHALLENGE_DIR: &str = ".well-known/acme-challenge";

/// How the names of a lineage are proven; stored in renewal.toml as is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum Method {
    /// Listen on ADDR:PORT for the CA's http-01 requests.
    Http01Standalone(String),
    /// Write `.well-known/acme-challenge/TOKEN` under this directory (a web server serves it).
    Http01Webroot(PathBuf),
    /// Run this shell command to set and clear `_acme-challenge` TXT records.
    Dns01Hook(String),
}

impl Method {
    pub fn acme_type(&self) -> instant_acme::ChallengeType {
        match self {
            Method::Dns01Hook(_) => instant_acme::ChallengeType::Dns01,
            _ => instant_acme::ChallengeType::Http01,
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Method::Http01Standalone(_) => "http-01 standalone",
            Method::Http01Webroot(_) => "http-01 webroot",
            Method::Dns01Hook(_) => "dns-01 hook",
        }
    }

    /// What answering `domain`'s challenge does, for `--dry-run`.
    pub fn describe(&self, domain: &str) -> String {
        match self {
            Method::Http01Standalone(a) => format!(
                "{domain}: http-01, answered by certdeck listening on {a} while the CA validates"
            ),
            Method::Http01Webroot(w) => format!(
                "{domain}: http-01, {}/{CHALLENGE_DIR}/TOKEN written (created new, no symlink \
                 followed) and removed after",
                w.display()
            ),
            Method::Dns01Hook(h) => format!(
                "{domain}: dns-01, sh -c {h:?} with CERTDECK_ACME_ACTION=set then clear for TXT \
                 _acme-challenge.{domain}."
            ),
        }
    }
}

/// One challenge to answer: the name, the http-01 token, and the key authorization (http-01
/// body) or its digest (dns-01 TXT value).
pub struct Provision {
    pub domain: String,
    pub token: String,
    pub key_auth: String,
    pub dns_value: String,
}

/// What is set up and must be cleared.
pub struct Active {
    method: Method,
    tokens: Arc<Mutex<HashMap<String, String>>>,
    server: Option<tokio::task::JoinHandle<()>>,
    done: Vec<Provision>,
}

impl Active {
    /// Start what the method needs before any challenge (the standalone listener).
    pub async fn start(method: &Method) -> Result<Active> {
        let tokens = Arc::new(Mutex::new(HashMap::new()));
        let server = match method {
            Method::Http01Standalone(addr) => {
                let l = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("--http-01-standalone {addr}: cannot listen"))?;
                Some(tokio::spawn(serve(l, tokens.clone())))
            }
            _ => None,
        };
        Ok(Active {
            method: method.clone(),
            tokens,
            server,
            done: vec![],
        })
    }

    pub async fn provision(&mut self, p: Provision) -> Result<()> {
        match &self.method {
            Method::Http01Standalone(_) => {
                lock(&self.tokens).insert(p.token.clone(), p.key_auth.clone());
            }
            Method::Http01Webroot(dir) => {
                check_token(&p.token)?;
                // The webroot is often the web application's to write: below the directory
                // the admin named, nothing is followed through a symlink, and the token file
                // is created new, so a planted link cannot send this write elsewhere.
                let d = dir.join(CHALLENGE_DIR);
                let written = fsx::Dir::open_root(dir)
                    .and_then(|root| root.mkdir_all(CHALLENGE_DIR, 0o755))
                    .and_then(|cd| {
                        let mut f = cd.create(&p.token, 0o644)?;
                        f.write_all(p.key_auth.as_bytes())?;
                        f.sync_all()
                    });
                written.with_context(|| {
                    format!("--http-01-webroot: cannot write in {}", d.display())
                })?;
            }
            Method::Dns01Hook(cmd) => hook(cmd, "set", &p).await?,
        }
        self.done.push(p);
        Ok(())
    }

    /// Undo everything; errors are reported, not fatal (the order's outcome matters more).
    pub async fn cleanup(mut self) -> Vec<String> {
        let mut notes = vec![];
        if let Some(s) = self.server.take() {
            s.abort();
        }
        for p in std::mem::take(&mut self.done) {
            match &self.method {
                Method::Http01Webroot(dir) => {
                    let f = dir.join(CHALLENGE_DIR).join(&p.token);
                    let removed = fsx::Dir::open_root(dir)
                        .and_then(|root| root.open_dir(CHALLENGE_DIR))
                        .and_then(|cd| cd.unlink(&p.token));
                    if let Err(e) = removed {
                        notes.push(format!("cannot remove {}: {e}", f.display()));
                    }
                }
                Method::Dns01Hook(cmd) => {
                    if let Err(e) = hook(cmd, "clear", &p).await {
                        notes.push(format!("{e:#}"));
                    }
                }
                Method::Http01Standalone(_) => {}
            }
        }
        notes
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Tokens are base64url (RFC 8555 §8.1); anything else could name a path outside the webroot.
fn check_token(t: &str) -> Result<()> {
    if t.is_empty()
        || !t
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        bail!("the CA sent a challenge token that is not base64url; refused");
    }
    Ok(())
}

/// The hook gets what it needs in the environment: CERTDECK_ACME_ACTION (set | clear),
/// CERTDECK_ACME_DOMAIN, CERTDECK_ACME_RECORD (`_acme-challenge.D.`), CERTDECK_ACME_VALUE.
async fn hook(cmd: &str, action: &str, p: &Provision) -> Result<()> {
    let out = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .env("CERTDECK_ACME_ACTION", action)
        .env("CERTDECK_ACME_DOMAIN", &p.domain)
        .env(
            "CERTDECK_ACME_RECORD",
            format!("_acme-challenge.{}.", p.domain.trim_start_matches("*.")),
        )
        .env("CERTDECK_ACME_VALUE", &p.dns_value)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .with_context(|| format!("dns-01 hook: cannot run {cmd}"))?;
    if !out.status.success() {
        bail!(
            "dns-01 hook ({action} {}) failed ({}): {}",
            p.domain,
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// A minimal HTTP/1.x responder for `/.well-known/acme-challenge/TOKEN`; everything else 404.
async fn serve(l: tokio::net::TcpListener, tokens: Arc<Mutex<HashMap<String, String>>>) {
    loop {
        let Ok((mut s, _)) = l.accept().await else {
            continue;
        };
        let tokens = tokens.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            let mut n = 0;
            // Bounded: a request line and headers fit in 4 KiB; more is not a validator.
            while n < buf.len() {
                match s.read(&mut buf[n..]).await {
                    Ok(0) | Err(_) => break,
                    Ok(k) => n += k,
                }
                if buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            let req = String::from_utf8_lossy(&buf[..n]);
            let path = req.split_whitespace().nth(1).unwrap_or("");
            let body = path
                .strip_prefix("/.well-known/acme-challenge/")
                .and_then(|t| lock(&tokens).get(t).cloned());
            let rsp = match body {
                Some(b) => format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{b}",
                    b.len()
                ),
                None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into(),
            };
            let _ = s.write_all(rsp.as_bytes()).await;
            let _ = s.shutdown().await;
        });
    }
}
