//! `certdeck exporter` under a real Prometheus: two exporters over two demo stores, scraped
//! every second on loopback; the HTTP API sees both instances' certificates, a file added to a
//! store after the next scrape, and the x509-certificate-exporter series with its label names.

mod prometheus_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use prometheus_support::*;
use serde_json::Value;

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

    let (_prom, prom_addr) = prometheus(dir.path(), &[&addr_a, &addr_b]);

    // Both instances' certificates, as many as each store holds.
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

/// The body of a GET /metrics.
fn scrape(addr: &str) -> String {
    let answer = http(addr, "GET /metrics HTTP/1.1\r\n\r\n");
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "{}",
        &answer[..answer.len().min(200)]
    );
    answer.split_once("\r\n\r\n").unwrap().1.to_string()
}

#[test]
fn one_exporter_serves_repeated_stores_each_labelled() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    demo_store(&a);
    demo_store(&b);
    std::fs::copy(b.join("clients/alice.pem"), b.join("only-in-b.pem")).unwrap();
    let b_arg = b.to_str().unwrap();
    let (_e, addr) = exporter(&a, &["--store", b_arg]);
    let body = scrape(&addr);
    for (store, want) in [(&a, certs_in(&a)), (&b, certs_in(&b))] {
        let label = format!(
            "certdeck_certificate_expiry_timestamp_seconds{{store=\"{}\",",
            std::fs::canonicalize(store).unwrap().display()
        );
        let n = body.lines().filter(|l| l.starts_with(&label)).count();
        assert_eq!(n, want, "{label} in\n{body}");
    }
    assert!(body.lines().any(|l| l.contains("path=\"only-in-b.pem\"")
        && l.contains(&format!(
            "store=\"{}\"",
            std::fs::canonicalize(&b).unwrap().display()
        ))));
    let series = |needle: &str| {
        (body.lines())
            .filter(|l| l.starts_with("certdeck_certificate_expiry_timestamp_seconds{"))
            .filter(|l| l.contains(needle))
            .count()
    };
    assert_eq!(series("path=\"only-in-b.pem\""), 1, "in b only");

    // The same store twice would be duplicate series: refused. Other commands take one store.
    let twice = Command::new(bin())
        .args(["exporter", "--listen", "127.0.0.1:0", "--store"])
        .args([&a, &a])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&twice.stderr);
    assert!(
        !twice.status.success() && err.contains("is given twice"),
        "{err}"
    );
    let list = Command::new(bin())
        .args(["list", "--store"])
        .arg(&a)
        .arg("--store")
        .arg(&b)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&list.stderr);
    assert!(
        !list.status.success() && err.contains("only `exporter` serves several stores"),
        "{err}"
    );
}

/// Read what the server says on a connection that sent nothing (or too little), within `limit`.
fn answer_within(mut s: TcpStream, limit: Duration) -> (String, Duration) {
    let t = Instant::now();
    s.set_read_timeout(Some(limit)).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    (String::from_utf8_lossy(&out).into_owned(), t.elapsed())
}

#[test]
fn silent_and_trickling_clients_do_not_hold_up_scrapes() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    demo_store(&a);
    let (_e, addr) = exporter(&a, &["--client-timeout", "1.5"]);
    let silent: Vec<TcpStream> = (0..8).map(|_| TcpStream::connect(&addr).unwrap()).collect();
    // A client that keeps sending a header a byte at a time, never ending it.
    let mut trickler = TcpStream::connect(&addr).unwrap();
    trickler
        .write_all(b"GET /metrics HTTP/1.1\r\nX-Slow: ")
        .unwrap();
    let trickling = std::thread::spawn({
        let mut s = trickler.try_clone().unwrap();
        move || {
            let t = Instant::now();
            while t.elapsed() < Duration::from_secs(4) && s.write_all(b"a").is_ok() {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    });
    // Meanwhile scrapes are answered at once.
    for _ in 0..5 {
        let t = Instant::now();
        assert!(scrape(&addr).contains("certdeck_certificate_expiry_timestamp_seconds"));
        assert!(
            t.elapsed() < Duration::from_millis(800),
            "{:?}",
            t.elapsed()
        );
    }
    // The silent ones are told 408 at their deadline and closed; so is the trickler, though
    // it kept sending (one deadline for the whole head, not one per byte).
    for s in silent {
        let (answer, _) = answer_within(s, Duration::from_secs(5));
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    }
    let (answer, took) = answer_within(trickler, Duration::from_secs(5));
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    trickling.join().unwrap();

    // A full house: the next scrape is told 503 at once; when the silent clients' time is
    // up, scrapes are served again.
    let (_e2, addr2) = exporter(&a, &["--client-timeout", "1", "--max-connections", "2"]);
    let hold: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(&addr2).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let t = Instant::now();
    assert!(http(&addr2, "GET /metrics HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 503"));
    assert!(t.elapsed() < Duration::from_millis(800));
    std::thread::sleep(Duration::from_millis(1500));
    assert!(scrape(&addr2).contains("certdeck_certificate_expiry_timestamp_seconds"));
    drop(hold);
}
