//! ACME accounts: one per server and email, kept as instant-acme's credentials (account URL,
//! PKCS#8 key, directory) under `acme/accounts/<server host>/<email>.json`, mode 0600.

use anyhow::{anyhow, Context, Result};
use instant_acme::{Account, AccountCredentials, ExternalAccountKey, NewAccount};
use zeroize::Zeroizing;

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

fn builder(server: &Server) -> Result<instant_acme::AccountBuilder> {
    Ok(match &server.ca_bundle {
        Some(p) => Account::builder_with_root(p)
            .map_err(|e| anyhow!("--ca-bundle {}: {}", p.display(), super::error::explain(&e)))?,
        None => Account::builder().map_err(|e| anyhow!(super::error::explain(&e)))?,
    })
}

/// The account stored at `rel`, or a new one registered now. A new account comes back with
/// the Op that stores it (the caller applies it at once: the CA already knows the account).
pub async fn load_or_create(
    store: &std::path::Path,
    server: &Server,
    email: Option<&str>,
    eab: Option<(&str, &[u8])>,
) -> Result<(Account, Option<Op>)> {
    let rel = account_rel(&server.directory, email);
    if let Ok(raw) = crate::store::fsx::read_rel(store, &rel, 1 << 20) {
        let raw = Zeroizing::new(raw);
        let creds: AccountCredentials = serde_json::from_slice(&raw)
            .with_context(|| format!("{rel}: not an ACME account file"))?;
        let acct = builder(server)?
            .from_credentials(creds)
            .await
            .map_err(|e| anyhow!("{}: {}", server.directory, super::error::explain(&e)))?;
        return Ok((acct, None));
    }
    let contact: Vec<String> = email.map(|e| format!("mailto:{e}")).into_iter().collect();
    let contact: Vec<&str> = contact.iter().map(String::as_str).collect();
    let eab_key = eab.map(|(kid, hmac)| ExternalAccountKey::new(kid.to_string(), hmac));
    let (acct, creds) = builder(server)?
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
                super::error::explain(&e)
            )
        })?;
    let json = Zeroizing::new(serde_json::to_vec_pretty(&creds)?);
    Ok((acct, Some(Op::write_secret(rel, json))))
}

/// The account of a lineage, which must exist (renew, revoke).
pub async fn load(
    store: &std::path::Path,
    server: &Server,
    email: Option<&str>,
) -> Result<Account> {
    let rel = account_rel(&server.directory, email);
    if !crate::store::fsx::exists_rel(store, &rel) {
        anyhow::bail!("{rel}: no ACME account for this lineage (issue again to register one)");
    }
    Ok(load_or_create(store, server, email, None).await?.0)
}
