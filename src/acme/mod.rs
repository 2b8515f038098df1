//! ACME (RFC 8555) client: accounts, orders, challenges, lineages and the renewal policy.
//! The protocol runs on instant-acme inside a current-thread tokio runtime that only the
//! `acme` commands create; everything an order produces stays in memory until the whole order
//! has succeeded, and is then written by one Plan (`actions::acme_deploy`).

pub mod account;
pub mod challenge;
pub mod error;
pub mod http;
pub mod lineage;
pub mod order;
pub mod renew;

/// Let's Encrypt's public directories, accepted by name for `--server`.
pub fn directory_url(server: &str) -> String {
    match server {
        "letsencrypt" => instant_acme::LetsEncrypt::Production.url().to_string(),
        "letsencrypt-staging" => instant_acme::LetsEncrypt::Staging.url().to_string(),
        other => other.to_string(),
    }
}

/// A current-thread runtime: the rest of certdeck stays synchronous.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn lets_encrypt_names_map_to_their_directories() {
        assert_eq!(
            super::directory_url("letsencrypt"),
            "https://acme-v02.api.letsencrypt.org/directory"
        );
        assert_eq!(
            super::directory_url("letsencrypt-staging"),
            "https://acme-staging-v02.api.letsencrypt.org/directory"
        );
        assert_eq!(
            super::directory_url("https://127.0.0.1:14000/dir"),
            "https://127.0.0.1:14000/dir"
        );
    }
}
