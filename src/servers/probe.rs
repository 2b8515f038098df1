//! `certdeck probe HOST:PORT`: connect with rustls, take the chain the server really serves and
//! compare its leaf with the files on disk. The verifier accepts any certificate — we inspect,
//! we do not trust — but handshake signatures are still verified, so the server proved it holds
//! the key of the leaf it sent.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde::Serialize;

use crate::pki::CertInfo;

#[derive(Debug)]
struct InspectOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for InspectOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// One certificate as served.
#[derive(Debug, Clone, Serialize)]
pub struct Served {
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    pub days_left: i64,
    pub sha256: String,
    pub sans: Vec<String>,
    #[serde(skip)]
    pub info: Option<CertInfo>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProbeResult {
    pub address: String,
    /// SNI sent (none for an IP address without --servername).
    pub servername: Option<String>,
    pub protocol: String,
    pub cipher_suite: String,
    /// Leaf first, as the server sent it.
    pub chain: Vec<Served>,
}

/// Connect, handshake, return the served chain. Bounded by `timeout` for connect and each I/O.
pub fn probe(target: &str, servername: Option<&str>, timeout: Duration) -> Result<ProbeResult> {
    let (host, _port) = split_host_port(target)?;
    let addrs: Vec<_> = target
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve {target}"))?
        .collect();
    let mut last = None;
    let mut sock = None;
    for a in &addrs {
        match TcpStream::connect_timeout(a, timeout) {
            Ok(s) => {
                sock = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let mut sock = match sock {
        Some(s) => s,
        None => match last {
            Some(e) => return Err(e).with_context(|| format!("cannot connect to {target}")),
            None => bail!("{target} resolves to no address"),
        },
    };
    sock.set_read_timeout(Some(timeout))?;
    sock.set_write_timeout(Some(timeout))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| anyhow!("TLS setup: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(InspectOnly(provider)))
        .with_no_client_auth();
    let sni = servername.unwrap_or(host).to_string();
    let name =
        ServerName::try_from(sni.clone()).map_err(|e| anyhow!("bad server name {sni}: {e}"))?;
    let sent_sni = matches!(name, ServerName::DnsName(_)).then(|| sni.clone());
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name)
        .map_err(|e| anyhow!("TLS setup: {e}"))?;
    while conn.is_handshaking() {
        conn.complete_io(&mut sock)
            .with_context(|| format!("TLS handshake with {target} failed"))?;
    }
    let certs: Vec<CertificateDer<'static>> = conn
        .peer_certificates()
        .map(|c| c.iter().map(|d| d.clone().into_owned()).collect())
        .unwrap_or_default();
    let protocol = conn
        .protocol_version()
        .map(|v| format!("{v:?}"))
        .unwrap_or_default();
    let cipher_suite = conn
        .negotiated_cipher_suite()
        .map(|c| format!("{:?}", c.suite()))
        .unwrap_or_default();
    // Say goodbye politely; errors here do not matter.
    conn.send_close_notify();
    let _ = conn.complete_io(&mut sock);
    let _ = sock.flush();
    let mut sink = [0u8; 1];
    let _ = sock.set_read_timeout(Some(Duration::from_millis(50)));
    let _ = sock.read(&mut sink);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let chain = certs
        .iter()
        .map(|d| match crate::pki::cert::summarize(d.as_ref(), now, 30) {
            Ok(c) => Served {
                subject: c.subject.clone(),
                issuer: c.issuer.clone(),
                serial: c.serial.clone(),
                not_before: c.not_before(),
                not_after: c.not_after(),
                days_left: c.days_left,
                sha256: c.sha256.clone(),
                sans: c.sans.to_vec(),
                info: Some(c),
            },
            Err(e) => Served {
                subject: format!("(unparseable: {e})"),
                issuer: String::new(),
                serial: String::new(),
                not_before: String::new(),
                not_after: String::new(),
                days_left: 0,
                sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(d.as_ref())),
                sans: vec![],
                info: None,
            },
        })
        .collect();
    Ok(ProbeResult {
        address: sock
            .peer_addr()
            .map(|a| a.to_string())
            .unwrap_or_else(|_| target.to_string()),
        servername: sent_sni,
        protocol,
        cipher_suite,
        chain,
    })
}

/// `host:port`, `[v6]:port`.
pub fn split_host_port(s: &str) -> Result<(&str, u16)> {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (h, p) = rest
            .split_once("]:")
            .ok_or_else(|| anyhow!("expected [ADDRESS]:PORT, got {s}"))?;
        (h, p)
    } else {
        s.rsplit_once(':')
            .ok_or_else(|| anyhow!("expected HOST:PORT, got {s}"))?
    };
    let port = port
        .parse()
        .map_err(|_| anyhow!("bad port in {s}: {port}"))?;
    if host.is_empty() {
        bail!("expected HOST:PORT, got {s}");
    }
    Ok((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port() {
        assert_eq!(
            split_host_port("127.0.0.1:443").unwrap(),
            ("127.0.0.1", 443)
        );
        assert_eq!(split_host_port("[::1]:8443").unwrap(), ("::1", 8443));
        assert!(split_host_port("example.com").is_err());
        assert!(split_host_port(":1").is_err());
        assert!(split_host_port("a:x").is_err());
    }

    #[test]
    fn refused_connection_is_an_error_not_a_hang() {
        // Bind then drop to get a port nothing listens on. Tests run in parallel and another
        // one may take that port in between (seen in CI: a reset instead of a refusal), so
        // try a few ports; every attempt must fail fast, one must be a refusal.
        let mut last = String::new();
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let started = std::time::Instant::now();
            let e = probe(&format!("127.0.0.1:{port}"), None, Duration::from_secs(2)).unwrap_err();
            assert!(started.elapsed() < Duration::from_secs(5), "{e:#}");
            last = format!("{e:#}");
            if last.contains("cannot connect") {
                return;
            }
        }
        panic!("no refused connection in 5 tries; last: {last}");
    }
}
