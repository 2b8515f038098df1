//! `certdeck exporter` under a real Prometheus: two exporters over two demo stores, scraped
//! every second on loopback; the HTTP API sees both instances' certificates, a file added to a
//! store after the next scrape, and the x509-certificate-exporter series with its label names.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_certdeck")
}

/// A child killed (by its PID) and reaped when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn demo_store(dir: &Path) {
    let st = Command::new(bin())
        .args(["demo", "--no-tui"])
        .arg(dir)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
}

/// Start an exporter on a free port; its address from the line it prints on start.
fn exporter(store: &Path, extra: &[&str]) -> (Killed, String) {
    let mut child = Command::new(bin())
        .args(["exporter", "--listen", "127.0.0.1:0", "--store"])
        .arg(store)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let child = Killed(child);
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    (child, addr)
}

/// A raw HTTP exchange: the whole answer (head and body).
fn http(addr: &str, request: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn encode(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An instant query's result vector (empty while Prometheus is not listening yet).
fn query(prom: &str, q: &str) -> Vec<Value> {
    if TcpStream::connect(prom).is_err() {
        return vec![];
    }
    let answer = http(
        prom,
        &format!("GET /api/v1/query?query={} HTTP/1.0\r\n\r\n", encode(q)),
    );
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or("");
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    v["data"]["result"].as_array().cloned().unwrap_or_default()
}

/// Poll `q` until `ok` holds of its result (Prometheus scrapes every second).
fn until(prom: &str, q: &str, ok: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let r = query(prom, q);
        if ok(&r) {
            return r;
        }
        assert!(
            Instant::now() < deadline,
            "{q}: never satisfied; last {r:?}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn label<'a>(v: &'a Value, name: &str) -> &'a str {
    v["metric"][name].as_str().unwrap_or("")
}

#[test]
fn prometheus_scrapes_two_exporters_and_sees_changes() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    demo_store(&a);
    demo_store(&b);
    let (_ea, addr_a) = exporter(&a, &[]);
    let (eb, addr_b) = exporter(&b, &["--compat", "x509-exporter"]);

    // The exporter's own answers to what is not a scrape.
    assert!(http(&addr_a, "GET /healthz HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 200"));
    assert!(http(&addr_a, "GET /nothing HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404"));
    assert!(http(&addr_a, "BLAH\r\n\r\n").starts_with("HTTP/1.1 400"));
    let om = http(
        &addr_a,
        "GET /metrics HTTP/1.1\r\nAccept: application/openmetrics-text; version=1.0.0\r\n\r\n",
    );
    assert!(om.contains("Content-Type: application/openmetrics-text"));
    assert!(om.ends_with("# EOF\n"));

    let port = free_port();
    let prom_addr = format!("127.0.0.1:{port}");
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: certdeck\n    static_configs:\n      - targets: ['{addr_a}', '{addr_b}']\n"
        ),
    )
    .unwrap();
    let _prom = Killed(
        Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("tsdb").display()
            ))
            .arg(format!("--web.listen-address={prom_addr}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus (apt install prometheus)"),
    );

    // Both instances' certificates, as many as each store holds.
    let certs_in = |store: &Path| {
        let out = Command::new(bin())
            .args(["list", "--json", "--store"])
            .arg(store)
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        (v["items"].as_array().unwrap().iter())
            .filter(|i| i["kind"] == "certificate")
            .count()
    };
    let want_a = certs_in(&a).to_string();
    let want_b = certs_in(&b).to_string();
    let counts = until(
        &prom_addr,
        "count by (instance) (certdeck_certificate_expiry_timestamp_seconds)",
        |r| r.len() == 2,
    );
    for r in &counts {
        let want = if label(r, "instance") == addr_a {
            &want_a
        } else {
            &want_b
        };
        assert_eq!(r["value"][1].as_str(), Some(want.as_str()), "{r}");
    }
    let expired = until(
        &prom_addr,
        "certdeck_findings{severity=\"critical\",code=\"expired\"}",
        |r| r.len() == 2,
    );
    assert!(expired
        .iter()
        .all(|r| label(r, "path") == "servers/old.example.com.pem"));

    // The x509-exporter series, from the exporter that was asked for them only.
    let x509 = until(&prom_addr, "x509_cert_not_after", |r| !r.is_empty());
    assert!(x509.iter().all(|r| label(r, "instance") == addr_b));
    let api = x509
        .iter()
        .find(|r| label(r, "subject_CN") == "api.example.com")
        .expect("api.example.com");
    assert!(label(api, "filepath").ends_with("/servers/api.example.com/cert.pem"));
    assert_eq!(label(api, "issuer_CN"), "certdeck Demo Intermediate CA");
    assert!(!label(api, "serial_number").is_empty());
    until(
        &prom_addr,
        "x509_cert_expired{subject_CN=\"old.example.com\"} == 1",
        |r| r.len() == 1,
    );

    // A certificate added to store a shows up after the next scrape, on a's instance only.
    std::fs::copy(a.join("clients/alice.pem"), a.join("added-later.pem")).unwrap();
    let added = until(
        &prom_addr,
        "certdeck_certificate_expiry_timestamp_seconds{path=\"added-later.pem\"}",
        |r| !r.is_empty(),
    );
    assert_eq!(added.len(), 1);
    assert_eq!(label(&added[0], "instance"), addr_a);
    assert_eq!(label(&added[0], "cn"), "alice");

    // `fleet list`: both hosts, each certificate with its days left as the store's own list says.
    let url = format!("http://{prom_addr}");
    let fleet = |args: &[&str]| {
        let out = Command::new(bin())
            .args(["fleet", "list", "--prometheus"])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            out.stdout,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, stdout, err) = fleet(&[&url, "--json"]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_slice(&stdout).unwrap();
    let hosts: Vec<&str> = (v["hosts"].as_array().unwrap().iter())
        .map(|h| h["instance"].as_str().unwrap())
        .collect();
    assert_eq!(hosts.len(), 2, "{v}");
    assert!(hosts.contains(&addr_a.as_str()) && hosts.contains(&addr_b.as_str()));
    assert!(v["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["up"] == true && h["stale"] == false));
    let listed: Value = serde_json::from_slice(
        &Command::new(bin())
            .args(["list", "--json", "--store"])
            .arg(&a)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let expiring = (listed["items"].as_array().unwrap().iter())
        .find(|i| i["path"] == "servers/expiring.example.com.pem")
        .unwrap();
    let cert = (v["certificates"].as_array().unwrap().iter())
        .find(|c| {
            c["instance"] == addr_a.as_str() && c["path"] == "servers/expiring.example.com.pem"
        })
        .expect("a's expiring certificate");
    assert_eq!(cert["days_left"], expiring["days_left"], "{cert}");
    assert_eq!(cert["status"], "expiring");
    assert_eq!(cert["common_name"], "expiring.example.com");
    assert!(!cert["store"].as_str().unwrap().is_empty());
    let old = (v["certificates"].as_array().unwrap().iter())
        .find(|c| c["instance"] == addr_b.as_str() && c["path"] == "servers/old.example.com.pem")
        .unwrap();
    assert_eq!(old["status"], "expired");
    let b_host = (v["hosts"].as_array().unwrap().iter())
        .find(|h| h["instance"] == addr_b.as_str())
        .unwrap();
    assert!(b_host["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == "expired"));

    // An exporter stopped: its host and its certificates are stale, the other host is not.
    drop(eb);
    until(
        &prom_addr,
        &format!("up{{instance=\"{addr_b}\"}} == 0"),
        |r| r.len() == 1,
    );
    let (ok, stdout, err) = fleet(&[&url, "--json"]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_slice(&stdout).unwrap();
    for h in v["hosts"].as_array().unwrap() {
        assert_eq!(h["stale"], h["instance"] == addr_b.as_str(), "{h}");
    }
    let certs = v["certificates"].as_array().unwrap();
    assert!(
        certs.iter().any(|c| c["instance"] == addr_b.as_str()),
        "b's last known certificates"
    );
    for c in certs {
        assert_eq!(
            c["status"] == "stale",
            c["instance"] == addr_b.as_str(),
            "{c}"
        );
    }
    let (ok, stdout, _) = fleet(&[&url]);
    assert!(ok);
    assert!(String::from_utf8_lossy(&stdout).contains(&format!("{addr_b}: STALE (exporter down)")));

    // A Prometheus that is not there, and a query error, are clear messages.
    let gone = format!("http://127.0.0.1:{}", free_port());
    let (ok, _, err) = fleet(&[&gone]);
    assert!(
        !ok && err.contains("cannot query Prometheus at 127.0.0.1:"),
        "{err}"
    );
    let (ok, _, err) = fleet(&["https://x"]);
    assert!(!ok && err.contains("only http://"), "{err}");
}
