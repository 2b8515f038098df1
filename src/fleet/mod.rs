//! The fleet as Prometheus knows it from certdeck exporters: instant queries on its HTTP API
//! (`/api/v1/query`) over a small blocking HTTP/1.0 client (plain http; no TLS to Prometheus).
//! A host whose exporter is down (`up == 0`) keeps its last known certificates, marked stale.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::Serialize;
use serde_json::Value;

/// How far back a down exporter's certificates are still shown (as stale).
const LOOKBACK: &str = "1d";

#[derive(Debug, Clone)]
pub struct Prometheus {
    /// host:port
    addr: String,
    /// Path prefix, e.g. `/prometheus` behind a proxy ("" for none).
    prefix: String,
    timeout: Duration,
}

impl Prometheus {
    /// `http://HOST:PORT[/PREFIX]`.
    pub fn new(url: &str) -> Result<Prometheus> {
        let Some(rest) = url.strip_prefix("http://") else {
            bail!("{url}: only http:// Prometheus URLs are supported");
        };
        let (addr, prefix) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
            None => (rest, ""),
        };
        if addr.is_empty() {
            bail!("{url}: no host");
        }
        let addr = if addr
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            addr.to_string()
        } else {
            format!("{addr}:80")
        };
        Ok(Prometheus {
            addr,
            prefix: prefix.to_string(),
            timeout: Duration::from_secs(10),
        })
    }

    /// An instant query's result vector.
    pub fn query(&self, q: &str) -> Result<Vec<Value>> {
        let target = format!("{}/api/v1/query?query={}", self.prefix, encode(q));
        let body = self
            .get(&target)
            .with_context(|| format!("cannot query Prometheus at {}", self.addr))?;
        let v: Value = serde_json::from_str(&body).with_context(|| {
            format!(
                "Prometheus at {} answered something that is not JSON",
                self.addr
            )
        })?;
        if v["status"] != "success" {
            bail!(
                "Prometheus query {q:?} failed: {}",
                v["error"].as_str().unwrap_or("no error message")
            );
        }
        Ok(v["data"]["result"].as_array().cloned().unwrap_or_default())
    }

    fn get(&self, target: &str) -> Result<String> {
        let addr = (self.addr.to_socket_addrs()?)
            .next()
            .context("the host name has no address")?;
        let mut s = TcpStream::connect_timeout(&addr, self.timeout)?;
        s.set_read_timeout(Some(self.timeout))?;
        s.set_write_timeout(Some(self.timeout))?;
        write!(
            s,
            "GET {target} HTTP/1.0\r\nHost: {}\r\nAccept: application/json\r\n\r\n",
            self.addr
        )?;
        let mut raw = Vec::new();
        s.take(256 << 20).read_to_end(&mut raw)?;
        let raw = String::from_utf8_lossy(&raw);
        let (head, body) = raw.split_once("\r\n\r\n").context("no HTTP answer")?;
        let status = head.split(' ').nth(1).unwrap_or("");
        // Prometheus answers bad queries with 400 and a JSON error: let the caller read it.
        if !matches!(status, "200" | "400" | "422") {
            bail!("HTTP {}", head.lines().next().unwrap_or(""));
        }
        Ok(body.to_string())
    }
}

fn encode(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct FleetCert {
    pub instance: String,
    pub store: String,
    pub path: String,
    pub index: String,
    pub common_name: String,
    pub issuer: String,
    pub serial: String,
    /// The first 16 hex digits of the SHA-256 fingerprint (as the exporter labels it).
    pub sha256: String,
    /// The certbot / ACME lineage, when the exporter named one.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub lineage: String,
    pub not_after: String,
    pub not_after_unix: i64,
    pub days_left: i64,
    /// valid, expiring, expired; `stale` when the host's exporter is down.
    pub status: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct FleetFinding {
    pub store: String,
    pub severity: String,
    pub code: String,
    pub path: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Host {
    pub instance: String,
    /// The exporter answered its last scrape.
    pub up: bool,
    pub stale: bool,
    pub certificates: usize,
    pub findings: Vec<FleetFinding>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Fleet {
    pub prometheus: String,
    pub hosts: Vec<Host>,
    pub certificates: Vec<FleetCert>,
}

fn lbl(v: &Value, name: &str) -> String {
    v["metric"][name].as_str().unwrap_or("").to_string()
}

fn value(v: &Value) -> Option<f64> {
    v["value"][1].as_str()?.parse().ok()
}

/// Every certificate certdeck exporters reported, with each host's findings and health.
pub fn load(prom: &Prometheus, url: &str, now: i64, warn_days: i64) -> Result<Fleet> {
    let up: BTreeMap<String, bool> = prom
        .query("up and on (instance) last_over_time(certdeck_exporter_build_info[1d])")?
        .iter()
        .map(|r| (lbl(r, "instance"), value(r) == Some(1.0)))
        .collect();
    let mut hosts: BTreeMap<String, Host> = BTreeMap::new();
    let host = |hosts: &mut BTreeMap<String, Host>, instance: &str| {
        let up = up.get(instance).copied().unwrap_or(false);
        hosts.entry(instance.to_string()).or_insert_with(|| Host {
            instance: instance.to_string(),
            up,
            stale: !up,
            certificates: 0,
            findings: vec![],
        });
    };
    for instance in up.keys() {
        host(&mut hosts, instance);
    }
    let mut certificates = vec![];
    let q = format!("last_over_time(certdeck_certificate_expiry_timestamp_seconds[{LOOKBACK}])");
    for r in prom.query(&q)? {
        let instance = lbl(&r, "instance");
        host(&mut hosts, &instance);
        let h = hosts.get_mut(&instance).expect("just added");
        h.certificates += 1;
        let not_after = value(&r).unwrap_or(0.0) as i64;
        let days_left = (not_after - now).div_euclid(86_400);
        let status = if h.stale {
            "stale"
        } else if not_after <= now {
            "expired"
        } else if days_left < warn_days {
            "expiring"
        } else {
            "valid"
        };
        certificates.push(FleetCert {
            instance,
            store: lbl(&r, "store"),
            path: lbl(&r, "path"),
            index: lbl(&r, "index"),
            common_name: lbl(&r, "cn"),
            issuer: lbl(&r, "issuer"),
            serial: lbl(&r, "serial"),
            sha256: lbl(&r, "sha256"),
            lineage: lbl(&r, "lineage"),
            not_after: crate::pki::cert::Rfc3339(not_after).to_string(),
            not_after_unix: not_after,
            days_left,
            status,
        });
    }
    let q = format!("last_over_time(certdeck_findings[{LOOKBACK}]) > 0");
    for r in prom.query(&q)? {
        let instance = lbl(&r, "instance");
        host(&mut hosts, &instance);
        hosts
            .get_mut(&instance)
            .expect("just added")
            .findings
            .push(FleetFinding {
                store: lbl(&r, "store"),
                severity: lbl(&r, "severity"),
                code: lbl(&r, "code"),
                path: lbl(&r, "path"),
                count: value(&r).unwrap_or(0.0) as i64,
            });
    }
    certificates.sort_by(|a, b| {
        (a.instance.as_str(), a.not_after_unix, a.path.as_str()).cmp(&(
            b.instance.as_str(),
            b.not_after_unix,
            b.path.as_str(),
        ))
    });
    Ok(Fleet {
        prometheus: url.to_string(),
        hosts: hosts.into_values().collect(),
        certificates,
    })
}

pub mod items;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_query_encoding() {
        let p = Prometheus::new("http://prom.example:9090/prometheus/").unwrap();
        assert_eq!(
            (p.addr.as_str(), p.prefix.as_str()),
            ("prom.example:9090", "/prometheus")
        );
        assert_eq!(Prometheus::new("http://prom").unwrap().addr, "prom:80");
        assert!(Prometheus::new("https://prom").is_err());
        assert!(Prometheus::new("http://").is_err());
        assert_eq!(encode("up{a=\"b c\"}"), "up%7Ba%3D%22b%20c%22%7D");
    }

    #[test]
    fn unreachable_prometheus_is_a_clear_error() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let p = Prometheus::new(&format!("http://127.0.0.1:{port}")).unwrap();
        let e = format!("{:#}", p.query("up").unwrap_err());
        assert!(e.contains("cannot query Prometheus at 127.0.0.1:"), "{e}");
    }
}
