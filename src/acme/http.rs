//! The HTTPS client instant-acme talks through, wrapped to keep one thing it drops: the CA's
//! Retry-After on an error response (instant-acme 0.8 reads it only for orders and ARI, never
//! into `Error::Api`). The wrapper records the header's time and the status, nothing else: no
//! bodies, no URLs, no keys.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::RETRY_AFTER;
use http::Request;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::TokioExecutor;
use instant_acme::{BodyWrapper, BytesResponse, Error, HttpClient};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

/// When an error response said to come back, and its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter {
    pub status: u16,
    pub at: SystemTime,
}

/// The Retry-After of the latest response when it was an error with the header; None after
/// any other response or while a request is under way, so it never outlives its error.
#[derive(Debug, Clone, Default)]
pub struct LastRetryAfter(Arc<Mutex<Option<RetryAfter>>>);

impl LastRetryAfter {
    fn set(&self, v: Option<RetryAfter>) {
        // A poisoned lock only means a panic elsewhere; the value is still a plain Copy.
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = v;
    }

    /// The recorded value, cleared (it explains one error).
    pub fn take(&self) -> Option<RetryAfter> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

type Inner = HyperClient<HttpsConnector<HttpConnector>, BodyWrapper<Bytes>>;

pub struct Client {
    inner: Inner,
    last: LastRetryAfter,
}

impl Client {
    /// The platform's trust store, or only the certificates in `ca_bundle` (a test CA such as
    /// Pebble's), as instant-acme's own `builder_with_root`.
    pub fn new(ca_bundle: Option<&Path>, last: LastRetryAfter) -> anyhow::Result<Self> {
        let tls = match ca_bundle {
            None => HttpsConnectorBuilder::new()
                .try_with_platform_verifier()
                .map_err(|e| anyhow::anyhow!("the platform's trust store: {e}"))?,
            Some(p) => {
                let mut roots = rustls::RootCertStore::empty();
                let certs = CertificateDer::pem_file_iter(p)
                    .map_err(|e| anyhow::anyhow!("--ca-bundle {}: {e}", p.display()))?;
                for c in certs {
                    let c = c.map_err(|e| anyhow::anyhow!("--ca-bundle {}: {e}", p.display()))?;
                    roots
                        .add(c)
                        .map_err(|e| anyhow::anyhow!("--ca-bundle {}: {e}", p.display()))?;
                }
                if roots.is_empty() {
                    anyhow::bail!("--ca-bundle {}: no certificate in it", p.display());
                }
                HttpsConnectorBuilder::new().with_tls_config(
                    rustls::ClientConfig::builder()
                        .with_root_certificates(roots)
                        .with_no_client_auth(),
                )
            }
        };
        let inner = HyperClient::builder(TokioExecutor::new())
            .build(tls.https_only().enable_http1().enable_http2().build());
        Ok(Client { inner, last })
    }
}

impl HttpClient for Client {
    fn request(
        &self,
        req: Request<BodyWrapper<Bytes>>,
    ) -> Pin<Box<dyn Future<Output = Result<BytesResponse, Error>> + Send>> {
        self.last.set(None);
        let fut = self.inner.request(req);
        let last = self.last.clone();
        Box::pin(async move {
            let rsp = fut.await.map_err(|e| Error::Other(Box::new(e)))?;
            let status = rsp.status().as_u16();
            if status >= 400 {
                let at = rsp
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse(v, SystemTime::now()));
                last.set(at.map(|at| RetryAfter { status, at }));
            }
            Ok(BytesResponse::from(rsp))
        })
    }
}

/// RFC 9110's `Retry-After = HTTP-date / delay-seconds`; None for anything else (or a delay
/// past what SystemTime holds).
pub fn parse(v: &str, now: SystemTime) -> Option<SystemTime> {
    let v = v.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        return now.checked_add(Duration::from_secs(v.parse().ok()?));
    }
    httpdate::parse_http_date(v).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_281_920);
        assert_eq!(parse("840", now), Some(now + Duration::from_secs(840)));
        assert_eq!(parse(" 0 ", now), Some(now));
        // IMF-fixdate and the two obsolete forms RFC 9110 says to accept.
        let d = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(parse("Sun, 06 Nov 1994 08:49:37 GMT", now), Some(d));
        assert_eq!(parse("Sunday, 06-Nov-94 08:49:37 GMT", now), Some(d));
        assert_eq!(parse("Sun Nov  6 08:49:37 1994", now), Some(d));
        for bad in [
            "",
            "-5",
            "1.5",
            "soon",
            "99999999999999999999999",
            "Sun, 06 Nov",
        ] {
            assert_eq!(parse(bad, now), None, "{bad:?}");
        }
    }

    #[test]
    fn take_clears() {
        let l = LastRetryAfter::default();
        let v = RetryAfter {
            status: 429,
            at: SystemTime::UNIX_EPOCH,
        };
        l.set(Some(v));
        assert_eq!(l.clone().take(), Some(v));
        assert_eq!(l.take(), None);
    }
}
