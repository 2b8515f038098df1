//! ACME accounts: one per server and email, kept as instant-acme's credentials (account URL,
//! PKCS#8 key, directory) under `acme/accounts/<server host>/<email>.json`, mode 0600.

use anyhow::{anyhow, Context, Result};
use instant_acme::{Account, AccountCredentials, ExternalAccountKey, NewAccount};
use zeroize::Zeroizing;

use super::error::explain_with;
use super::http::{Client, LastRetryAfter};
use crate::actions::slug;
use crate::store::plan::Op;

/// Store-relative file of the account for `directory` and `email`.
pub fn account_rel(directory: &str, email: Option<&str>) -> String {
    let host = directory
        .split("://")
        .nth(1)
        .unwrap_or(directory)
        .split('/')
        .next()
        .unwrap_or("server");
    format!(
        "acme/accounts/{}/{}.json",
        slug(host),
        slug(email.unwrap_or("default"))
    )
}

/// How to talk to the server: its directory URL and an optional CA bundle for its TLS.
#[derive(Debug, Clone)]
pub struct Server {
    pub directory: String,
    pub ca_bundle: Option<std::path::PathBuf>,
}

/// An account and the client it talks through: errors are explained with the Retry-After
/// of the response they came from.
#[derive(Clone)]
pub struct Ca {
    pub account: Account,
    retry: LastRetryAfter,
}

impl Ca {
    pub fn explain(&self, e: &instant_acme::Error) -> String {
        explain_with(e, self.retry.take(), std::time::SystemTime::now())
    }
}

fn builder(server: &Server) -> Result<(instant_acme::AccountBuilder, LastRetryAfter)> {
    let retry = LastRetryAfter::default();
    let http = Client::new(server.ca_bundle.as_deref(), retry.clone())?;
    Ok((Account::builder_with_http(Box::new(http)), retry))
}

/// The account stored at `rel`, or a new one registered now. A new account comes back with
/// the Op that stores it (the caller applies it at once: the CA already knows the account).
pub async fn load_or_create(
    store: &std::path::Path,
    server: &Server,
    email: Option<&str>,
    eab: Option<(&str, &[u8])>,
) -> Result<(Ca, Option<Op>)> {
    let rel = account_rel(&server.directory, email);
    let (builder, retry) = builder(server)?;
    let why = |e: &instant_acme::Error| explain_with(e, retry.take(), std::time::SystemTime::now());
    if let Some(raw) = read_account(store, &rel)? {
        let creds: AccountCredentials = serde_json::from_slice(&raw)
            .with_context(|| format!("{rel}: not an ACME account file"))?;
        let account = builder
            .from_credentials(creds)
            .await
            .map_err(|e| anyhow!("{}: {}", server.directory, why(&e)))?;
        return Ok((Ca { account, retry }, None));
    }
    let contact: Vec<String> = email.map(|e| format!("mailto:{e}")).into_iter().collect();
    let contact: Vec<&str> = contact.iter().map(String::as_str).collect();
    let eab_key = eab.map(|(kid, hmac)| ExternalAccountKey::new(kid.to_string(), hmac));
    let (account, creds) = builder
        .create(
            &NewAccount {
                contact: &contact,
                terms_of_service_agreed: true,
                only_return_existing: false,
            },
            server.directory.clone(),
            eab_key.as_ref(),
        )
        .await
        .map_err(|e| {
            anyhow!(
                "cannot register an account at {}: {}",
                server.directory,
                why(&e)
            )
        })?;
    let json = Zeroizing::new(serde_json::to_vec_pretty(&creds)?);
    Ok((Ca { account, retry }, Some(Op::write_secret(rel, json))))
}

/// The stored account file, None when there is none. The key in it signs every order and
/// revocation, so a file (or a directory above it) another account could have written is
/// refused, not replaced: that account could otherwise hand certdeck a key it also holds.
fn read_account(store: &std::path::Path, rel: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
    let (dir, file) = rel.rsplit_once('/').unwrap_or(("", rel));
    match super::lineage::read_trusted(
        store,
        dir,
        file,
        "that account could have planted an ACME account key it also holds (and use it to \
         revoke or deactivate what certdeck orders)",
    ) {
        Ok(raw) => Ok(Some(Zeroizing::new(raw))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow!("ACME account {rel}: {e}")),
    }
}

/// The EAB HMAC key from the file given to `--eab-hmac-key-file`: base64url as CAs
/// hand it out (padding, standard base64 and surrounding whitespace accepted).
pub fn eab_hmac_key(text: &str) -> Result<Zeroizing<Vec<u8>>> {
    use base64::Engine;
    let t = text.trim().trim_end_matches('=');
    if t.is_empty() {
        anyhow::bail!("--eab-hmac-key-file is empty");
    }
    let t: String = t
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    let key = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(t.as_bytes())
        .map_err(|_| anyhow!("--eab-hmac-key-file: not a base64url key"))?;
    Ok(Zeroizing::new(key))
}

/// The account of a lineage, which must exist (renew, revoke). Local problems (no account, a
/// file another account could have written) come before any network access.
pub async fn load(store: &std::path::Path, server: &Server, email: Option<&str>) -> Result<Ca> {
    check_stored(store, server, email)?;
    Ok(load_or_create(store, server, email, None).await?.0)
}

/// The lineage's account file exists and may be used; no network.
pub fn check_stored(store: &std::path::Path, server: &Server, email: Option<&str>) -> Result<()> {
    let rel = account_rel(&server.directory, email);
    match read_account(store, &rel)? {
        Some(_) => Ok(()),
        None => {
            anyhow::bail!("{rel}: no ACME account for this lineage (issue again to register one)")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eab_key_is_base64url_with_or_without_padding() {
        // The key Pebble's example config ships, as base64url.
        let k = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W";
        let raw = eab_hmac_key(&format!("{k}\n")).unwrap();
        assert_eq!(raw.len(), 48);
        assert_eq!(raw[0], 0xcd);
        // Standard alphabet and padding decode to the same bytes.
        let std = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &raw[..]);
        assert_eq!(&eab_hmac_key(&std).unwrap()[..], &raw[..]);
        assert!(eab_hmac_key("  \n").is_err());
        assert!(eab_hmac_key("not*base64").is_err());
    }

    #[test]
    fn account_file_per_server_host_and_email() {
        assert_eq!(
            account_rel("https://127.0.0.1:14000/dir", Some("admin@a.test")),
            format!(
                "acme/accounts/{}/{}.json",
                slug("127.0.0.1:14000"),
                slug("admin@a.test")
            )
        );
        assert!(
            account_rel("https://acme-v02.api.letsencrypt.org/directory", None)
                .starts_with("acme/accounts/acme-v02.api.letsencrypt.org")
        );
    }
}
