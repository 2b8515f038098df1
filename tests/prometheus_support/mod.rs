//! A real Prometheus (Debian `prometheus`) on loopback scraping certdeck exporters, for the
//! exporter and fleet tests: exporters and Prometheus are children killed by PID when the
//! test ends; queries go to its HTTP API.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_certdeck")
}

/// A child killed (by its PID) and reaped when the test ends, however it ends.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn demo_store(dir: &Path) {
    let st = Command::new(bin())
        .args(["demo", "--no-tui"])
        .arg(dir)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
}

/// Start an exporter on a free port; its address from the line it prints on start.
pub fn exporter(store: &Path, extra: &[&str]) -> (Killed, String) {
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
pub fn http(addr: &str, request: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

pub fn encode(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An instant query's result vector (empty while Prometheus is not listening yet).
pub fn query(prom: &str, q: &str) -> Vec<Value> {
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
pub fn until(prom: &str, q: &str, ok: impl Fn(&[Value]) -> bool) -> Vec<Value> {
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

pub fn label<'a>(v: &'a Value, name: &str) -> &'a str {
    v["metric"][name].as_str().unwrap_or("")
}

/// Prometheus on a free loopback port scraping `targets` every second, its data under `dir`;
/// its address.
pub fn prometheus(dir: &Path, targets: &[&str]) -> (Killed, String) {
    let prom_addr = format!("127.0.0.1:{}", free_port());
    let config = dir.join("prometheus.yml");
    let targets: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: certdeck\n    static_configs:\n      - targets: [{}]\n",
            targets.join(", ")
        ),
    )
    .unwrap();
    let child = Killed(
        Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("tsdb").display()
            ))
            .arg(format!("--web.listen-address={prom_addr}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus (apt install prometheus)"),
    );
    (child, prom_addr)
}

/// Certificates the store's own `list --json` counts.
pub fn certs_in(store: &Path) -> usize {
    let out = Command::new(bin())
        .args(["list", "--json", "--store"])
        .arg(store)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    (v["items"].as_array().unwrap().iter())
        .filter(|i| i["kind"] == "certificate")
        .count()
}
