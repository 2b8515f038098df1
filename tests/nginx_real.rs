//! A real nginx on loopback, serving a store certdeck built: mTLS with a CRL, DH params from a
//! glob-included snippet. certdeck reads the nginx config (`--server-config`), marks the files
//! it uses, audits the pairs, replaces the server certificate, and `probe` tells a renewed but
//! not reloaded certificate from a reloaded one. Skips (with a message) only when nginx is not
//! installed; scripts/test.sh installs nginx-light.

mod common;

use common::*;
use serde_json::Value;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn nginx_bin() -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    let found = path
        .split(':')
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"])
        .map(|d| Path::new(d).join("nginx"))
        .find(|p| p.is_file());
    found
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Stops the nginx master (and so its workers) however the test ends.
struct Nginx {
    bin: PathBuf,
    conf: PathBuf,
    errlog: PathBuf,
    pid_file: PathBuf,
}

impl Nginx {
    fn cmd(&self, extra: &[&str]) -> std::process::Output {
        let mut c = Command::new(&self.bin);
        c.arg("-c").arg(&self.conf).arg("-e").arg(&self.errlog);
        c.args(extra);
        run_bounded(c, Duration::from_secs(20))
    }

    fn pid(&self) -> Option<String> {
        std::fs::read_to_string(&self.pid_file)
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        if let Some(pid) = self.pid() {
            let _ = Command::new("kill").arg("-TERM").arg(&pid).status();
            let start = Instant::now();
            while Path::new(&format!("/proc/{pid}")).exists()
                && start.elapsed() < Duration::from_secs(5)
            {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = Command::new("kill").arg("-KILL").arg(&pid).status();
        }
    }
}

/// Run a command with a time limit; panics when it is exceeded.
fn run_bounded(mut c: Command, limit: Duration) -> std::process::Output {
    c.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("{c:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn wait_for_port(port: u16) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if TcpStream::connect_timeout(
            &format!("127.0.0.1:{port}").parse().unwrap(),
            Duration::from_millis(200),
        )
        .is_ok()
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nginx did not listen on 127.0.0.1:{port}");
}

/// curl over loopback with a client certificate; returns (http code, body).
fn curl(store: &Path, port: u16, client: &str) -> (String, String) {
    let mut c = Command::new("curl");
    c.args(["-sS", "--max-time", "10", "--resolve"])
        .arg(format!("localhost:{port}:127.0.0.1"))
        .arg("--cacert")
        .arg(store.join("test-ca.pem"))
        .arg("--cert")
        .arg(store.join(format!("{client}.pem")))
        .arg("--key")
        .arg(store.join(format!("private/{client}.key")))
        .args(["-w", "\n%{http_code}"])
        .arg(format!("https://localhost:{port}/"));
    let o = run_bounded(c, Duration::from_secs(20));
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    (
        code.to_string(),
        format!("{body}{}", String::from_utf8_lossy(&o.stderr)),
    )
}

fn item<'a>(list: &'a Value, path: &str) -> &'a Value {
    items(list)
        .iter()
        .find(|i| i["path"] == path)
        .unwrap_or_else(|| panic!("no item {path} in {list:#}"))
}

fn used_by(list: &Value, path: &str) -> Vec<String> {
    item(list, path)["used_by"]
        .as_array()
        .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

fn probe_json(port: u16, extra: &[&str]) -> (Option<i32>, Value) {
    let target = format!("127.0.0.1:{port}");
    let mut args = vec!["probe", target.as_str(), "--json", "--timeout", "5"];
    args.extend_from_slice(extra);
    let r = certdeck_timeout(&args, Duration::from_secs(30));
    let v: Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("probe output is not JSON ({e}): {r:?}"));
    (r.code, v)
}

#[test]
fn nginx_serves_what_certdeck_built_and_probe_sees_reloads() {
    let Some(bin) = nginx_bin() else {
        eprintln!("SKIPPED nginx_real: no nginx binary (apt-get install nginx-light; it lives in /usr/sbin)");
        return;
    };
    if Command::new("curl").arg("--version").output().is_err() {
        eprintln!("SKIPPED nginx_real: no curl");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    std::fs::create_dir(&store).unwrap();
    let st = store.to_str().unwrap();
    let cd = |args: &[&str]| {
        let mut a = vec!["--store", st];
        a.extend_from_slice(args);
        certdeck_timeout(&a, Duration::from_secs(60))
    };
    cd(&["generate", "ca", "--cn", "Test CA"]).ok();
    let server_args = [
        "generate",
        "server",
        "--cn",
        "localhost",
        "--san",
        "DNS:localhost",
        "--san",
        "IP:127.0.0.1",
        "--ca",
        "test-ca.pem",
    ];
    cd(&server_args).ok();
    cd(&["generate", "client", "--cn", "alice", "--ca", "Test CA"]).ok();
    cd(&["generate", "client", "--cn", "bob", "--ca", "Test CA"]).ok();
    cd(&["trust", "Test CA"]).ok();
    cd(&["revoke", "bob"]).ok();
    assert!(store.join("trusted/test-ca.crl.pem").is_file());

    // Config dir outside the store: nginx.conf, a glob-included snippet, DH params.
    let conf_dir = tmp.path().join("conf");
    std::fs::create_dir_all(conf_dir.join("snippets")).unwrap();
    let o = openssl(
        &conf_dir,
        &[
            "genpkey",
            "-genparam",
            "-algorithm",
            "DH",
            "-pkeyopt",
            "group:ffdhe2048",
            "-out",
            "dh-raw.pem",
        ],
    );
    assert!(o.status.success(), "{o:?}");
    let o = openssl(
        &conf_dir,
        &["pkeyparam", "-in", "dh-raw.pem", "-out", "dhparam.pem"],
    );
    assert!(o.status.success(), "{o:?}");
    assert!(std::fs::read_to_string(conf_dir.join("dhparam.pem"))
        .unwrap()
        .contains("BEGIN DH PARAMETERS"));
    std::fs::write(
        conf_dir.join("snippets/tls.conf"),
        "# shared TLS settings\nssl_dhparam dhparam.pem;\nssl_protocols TLSv1.2 TLSv1.3;\n",
    )
    .unwrap();
    let port = free_port();
    let t = tmp.path().display();
    let conf = conf_dir.join("nginx.conf");
    let nginx_conf = format!(
        r#"daemon on;
worker_processes 1;
pid {t}/nginx.pid;
error_log {t}/error.log;
events {{ worker_connections 32; }}
http {{
    access_log {t}/access.log;
    client_body_temp_path {t}/body;
    proxy_temp_path {t}/proxy;
    fastcgi_temp_path {t}/fastcgi;
    uwsgi_temp_path {t}/uwsgi;
    scgi_temp_path {t}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name localhost;
        ssl_certificate     "{st}/localhost.pem";
        ssl_certificate_key {st}/private/localhost.key;
        ssl_client_certificate {st}/trusted/test-ca.pem;
        ssl_verify_client on;
        ssl_crl {st}/trusted/test-ca.crl.pem;
        include snippets/*.conf;
        location / {{ return 200 "ok\n"; }}
    }}
}}
"#
    );
    std::fs::write(&conf, &nginx_conf).unwrap();
    let nginx = Nginx {
        bin,
        conf: conf.clone(),
        errlog: tmp.path().join("error.log"),
        pid_file: tmp.path().join("nginx.pid"),
    };
    let o = nginx.cmd(&["-t"]);
    assert!(
        o.status.success(),
        "nginx -t: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = nginx.cmd(&[]);
    assert!(
        o.status.success(),
        "nginx start: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    wait_for_port(port);

    // mTLS works for alice, and the CRL keeps revoked bob out.
    let (code, body) = curl(&store, port, "alice");
    assert_eq!(code, "200", "alice: {body}");
    assert!(body.starts_with("ok"), "{body}");
    let (code, body) = curl(&store, port, "bob");
    assert_eq!(code, "400", "revoked bob must be refused: {body}");

    // certdeck reads the config: used_by marks, files outside the store listed by absolute path.
    let conf_s = conf.to_str().unwrap();
    let list = list_json(&store, &["--server-config", conf_s]);
    let ctx = "nginx: server localhost";
    assert_eq!(
        used_by(&list, "localhost.pem"),
        vec![format!("{ctx}, ssl_certificate")]
    );
    assert_eq!(
        used_by(&list, "private/localhost.key"),
        vec![format!("{ctx}, ssl_certificate_key")]
    );
    assert_eq!(
        used_by(&list, "trusted/test-ca.pem"),
        vec![format!("{ctx}, ssl_client_certificate")]
    );
    assert_eq!(
        used_by(&list, "trusted/test-ca.crl.pem"),
        vec![format!("{ctx}, ssl_crl")]
    );
    let dh_path = std::fs::canonicalize(conf_dir.join("dhparam.pem")).unwrap();
    let dh = item(&list, dh_path.to_str().unwrap());
    assert_eq!(dh["kind"], "dh_params");
    assert_eq!(
        used_by(&list, dh_path.to_str().unwrap()),
        vec![format!("{ctx}, ssl_dhparam")]
    );
    assert!(used_by(&list, "alice.pem").is_empty());
    // Without --server-config, no used_by and no outside files.
    let plain = list_json(&store, &[]);
    assert!(items(&plain).iter().all(|i| i.get("used_by").is_none()));

    // The audit finds nothing wrong with what the config pairs.
    let audit = certdeck_timeout(
        &["--store", st, "--server-config", conf_s, "audit", "--json"],
        Duration::from_secs(60),
    );
    let report: Value = serde_json::from_str(&audit.stdout).expect("audit json");
    let config_findings: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"].as_str().unwrap().starts_with("config-"))
        .collect();
    assert!(config_findings.is_empty(), "{config_findings:#?}");

    // A config pairing the certificate with the wrong key is flagged (nginx -t agrees).
    let bad_conf = conf_dir.join("bad.conf");
    std::fs::write(
        &bad_conf,
        nginx_conf.replace("private/localhost.key", "private/alice.key"),
    )
    .unwrap();
    let o = run_bounded(
        {
            let mut c = Command::new(&nginx.bin);
            c.arg("-t")
                .arg("-c")
                .arg(&bad_conf)
                .arg("-e")
                .arg(tmp.path().join("bad.log"));
            c
        },
        Duration::from_secs(20),
    );
    assert!(!o.status.success(), "nginx -t accepts a mismatched key?");
    let audit = certdeck_timeout(
        &[
            "--store",
            st,
            "--server-config",
            bad_conf.to_str().unwrap(),
            "audit",
            "--json",
        ],
        Duration::from_secs(60),
    );
    assert_eq!(audit.code, Some(2), "{}", audit.stdout);
    let report: Value = serde_json::from_str(&audit.stdout).unwrap();
    let mismatch = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "config-key-mismatch")
        .unwrap_or_else(|| panic!("no config-key-mismatch in {report:#}"));
    assert_eq!(mismatch["path"], "localhost.pem");
    assert_eq!(mismatch["severity"], "critical");

    // probe: the served leaf is the file on disk.
    let serial = |l: &Value| {
        item(l, "localhost.pem")["serial"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let old_serial = serial(&list);
    let (code, p) = probe_json(port, &["--store", st, "--server-config", conf_s]);
    assert_eq!(code, Some(0), "{p:#}");
    assert_eq!(p["chain"][0]["serial"], old_serial.as_str());
    assert_eq!(p["comparison"]["verdict"], "matches", "{p:#}");

    // Replace the server certificate through a named store in a config file; without --reload
    // certdeck says how to reload, and probe sees the server still serving the old one.
    let cfg_file = tmp.path().join("certdeck.toml");
    let reload_cmd = format!(
        "{} -s reload -c {} -e {}",
        nginx.bin.display(),
        conf.display(),
        nginx.errlog.display()
    );
    std::fs::write(
        &cfg_file,
        format!(
            "[stores.web]\npath = {st:?}\nlayout = \"nginx\"\nserver_configs = [{conf_s:?}]\nreload_command = {reload_cmd:?}\n"
        ),
    )
    .unwrap();
    let cfg_s = cfg_file.to_str().unwrap();
    let mut replace = vec!["--config", cfg_s, "--store", "web"];
    replace.extend_from_slice(&server_args);
    replace.push("--replace");
    let r = certdeck_timeout(&replace, Duration::from_secs(60));
    r.ok();
    assert!(
        r.stdout.contains(&format!("reload with: {reload_cmd}")),
        "{}",
        r.stdout
    );
    let list2 = list_json(&store, &["--server-config", conf_s]);
    let new_serial = serial(&list2);
    assert_ne!(new_serial, old_serial);
    let (code, p) = probe_json(port, &["--config", cfg_s, "--store", "web"]);
    assert_eq!(p["chain"][0]["serial"], old_serial.as_str());
    assert_eq!(p["comparison"]["verdict"], "not_reloaded", "{p:#}");
    assert!(p["comparison"]["message"]
        .as_str()
        .unwrap()
        .contains("renewed on disk but not reloaded"));
    assert_eq!(code, Some(1));
    let text = certdeck_timeout(
        &[
            "--config",
            cfg_s,
            "--store",
            "web",
            "probe",
            &format!("127.0.0.1:{port}"),
        ],
        Duration::from_secs(30),
    );
    assert!(
        text.stdout
            .contains("WARNING: renewed on disk but not reloaded"),
        "{}",
        text.stdout
    );

    // nginx -s reload: probe now sees the new serial.
    let o = nginx.cmd(&["-s", "reload"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let served = wait_for_serial(port, &new_serial);
    assert_eq!(served, new_serial);
    let (code, p) = probe_json(port, &["--config", cfg_s, "--store", "web"]);
    assert_eq!(p["comparison"]["verdict"], "matches", "{p:#}");
    assert_eq!(code, Some(0));

    // Replace again with --reload: certdeck runs the store's reload command itself.
    replace.push("--reload");
    let r = certdeck_timeout(&replace, Duration::from_secs(60));
    r.ok();
    assert!(
        r.stdout.contains(&format!("reload: {reload_cmd}")),
        "{}",
        r.stdout
    );
    let third = serial(&list_json(&store, &[]));
    assert_ne!(third, new_serial);
    assert_eq!(wait_for_serial(port, &third), third);
    // Still mTLS-good after all that.
    let (code, body) = curl(&store, port, "alice");
    assert_eq!(code, "200", "alice after reload: {body}");
}

/// Probe until the server serves `serial` three times in a row (nginx replaces its workers
/// gracefully, so an old worker may still answer for a moment) or 10 s pass.
fn wait_for_serial(port: u16, serial: &str) -> String {
    let start = Instant::now();
    let mut streak = 0;
    loop {
        let (_, p) = probe_json(port, &[]);
        let got = p["chain"][0]["serial"].as_str().unwrap_or("").to_string();
        streak = if got == serial { streak + 1 } else { 0 };
        if streak >= 3 || start.elapsed() > Duration::from_secs(10) {
            return got;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
