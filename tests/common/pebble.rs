//! A real Pebble (Let's Encrypt's test ACME server) and pebble-challtestsrv (its DNS) on
//! random loopback ports, killed by PID when dropped. See ../shared/ACME-TESTING.md.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn free_udp_port() -> u16 {
    // challtestsrv's DNS listens on UDP and TCP: take a port free for both.
    loop {
        let p = free_port();
        if std::net::UdpSocket::bind(("127.0.0.1", p)).is_ok() {
            return p;
        }
    }
}

pub struct Pebble {
    pub dir: PathBuf,
    /// The CA of Pebble's own HTTPS API (pass as --ca-bundle).
    pub api_ca: PathBuf,
    pub directory: String,
    pub mgmt: String,
    /// Where Pebble's validator connects for http-01.
    pub http_port: u16,
    pub chall_mgmt: String,
    pebble: Option<Child>,
    chall: Option<Child>,
}

fn run(dir: &Path, prog: &str, args: &[&str]) {
    let o = Command::new(prog)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{prog} {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// How to run Pebble.
pub struct Opts {
    /// Pebble's share (percent) of good nonces rejected as bad.
    pub nonce_reject: u32,
    /// Lifetime of the certificates it issues, in seconds.
    pub validity_secs: u64,
    /// Require external account binding with this key id and base64url HMAC key.
    pub eab: Option<(&'static str, &'static str)>,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            nonce_reject: 0,
            validity_secs: 7_776_000,
            eab: None,
        }
    }
}

impl Pebble {
    /// `nonce_reject`: Pebble's share (percent) of good nonces rejected as bad.
    pub fn start(dir: &Path, nonce_reject: u32) -> Pebble {
        Pebble::start_with(
            dir,
            Opts {
                nonce_reject,
                ..Opts::default()
            },
        )
    }

    pub fn start_with(dir: &Path, opts: Opts) -> Pebble {
        let nonce_reject = opts.nonce_reject;
        let dir = dir.join("pebble");
        std::fs::create_dir_all(&dir).unwrap();
        let ssl = "/usr/bin/openssl";
        run(
            &dir,
            ssl,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=pebble api test ca",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign",
            ],
        );
        run(
            &dir,
            ssl,
            &[
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "api.key",
                "-out",
                "api.csr",
                "-subj",
                "/CN=localhost",
            ],
        );
        std::fs::write(
            dir.join("ext.cnf"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
        )
        .unwrap();
        run(
            &dir,
            ssl,
            &[
                "x509",
                "-req",
                "-in",
                "api.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "api.pem",
                "-days",
                "2",
                "-extfile",
                "ext.cnf",
            ],
        );
        let (api, mgmt, http, tls) = (free_port(), free_port(), free_port(), free_port());
        let (dns, chall_mgmt) = (free_udp_port(), free_port());
        let mut cfg = serde_json::json!({"pebble": {
            "listenAddress": format!("127.0.0.1:{api}"),
            "managementListenAddress": format!("127.0.0.1:{mgmt}"),
            "certificate": "api.pem", "privateKey": "api.key",
            "httpPort": http, "tlsPort": tls, "ocspResponderURL": "",
            "externalAccountBindingRequired": opts.eab.is_some(),
            "certificateValidityPeriod": opts.validity_secs,
        }});
        if let Some((kid, key)) = opts.eab {
            cfg["pebble"]["externalAccountMACKeys"] = serde_json::json!({ kid: key });
        }
        std::fs::write(dir.join("cfg.json"), cfg.to_string()).unwrap();
        let chall = Command::new("pebble-challtestsrv")
            .args([
                "-defaultIPv4",
                "127.0.0.1",
                "-defaultIPv6",
                "",
                "-dns01",
                &format!("127.0.0.1:{dns}"),
                "-http01",
                "",
                "-https01",
                "",
                "-tlsalpn01",
                "",
                "-management",
                &format!("127.0.0.1:{chall_mgmt}"),
            ])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pebble-challtestsrv (apt install pebble)");
        let mut p = Pebble {
            api_ca: dir.join("ca.pem"),
            directory: format!("https://127.0.0.1:{api}/dir"),
            mgmt: format!("https://127.0.0.1:{mgmt}"),
            http_port: http,
            chall_mgmt: format!("http://127.0.0.1:{chall_mgmt}"),
            dir,
            pebble: None,
            chall: Some(chall),
        };
        let pebble = Command::new("pebble")
            .args([
                "-config",
                "cfg.json",
                "-dnsserver",
                &format!("127.0.0.1:{dns}"),
                "-strict=false",
            ])
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_WFE_NONCEREJECT", nonce_reject.to_string())
            .current_dir(&p.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pebble (apt install pebble)");
        p.pebble = Some(pebble);
        let t = Instant::now();
        while p.get(&p.directory).is_none() {
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "pebble did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        p
    }

    /// GET over Pebble's HTTPS (API or management port); None on any failure.
    pub fn get(&self, url: &str) -> Option<String> {
        let o = Command::new("curl")
            .args(["-sf", "--max-time", "5", "--cacert"])
            .arg(&self.api_ca)
            .arg(url)
            .output()
            .ok()?;
        o.status
            .success()
            .then(|| String::from_utf8_lossy(&o.stdout).into_owned())
    }

    /// Pebble's issuing root and intermediate (PEM), from the management port.
    pub fn root_and_intermediate(&self) -> (String, String) {
        (
            self.get(&format!("{}/roots/0", self.mgmt))
                .expect("roots/0"),
            self.get(&format!("{}/intermediates/0", self.mgmt))
                .expect("intermediates/0"),
        )
    }

    /// The dns-01 hook that sets and clears TXT records through challtestsrv.
    pub fn dns_hook(&self) -> String {
        format!(
            r#"if [ "$CERTDECK_ACME_ACTION" = set ]; then curl -sf -X POST -d "{{\"host\":\"$CERTDECK_ACME_RECORD\",\"value\":\"$CERTDECK_ACME_VALUE\"}}" {m}/set-txt; else curl -sf -X POST -d "{{\"host\":\"$CERTDECK_ACME_RECORD\"}}" {m}/clear-txt; fi"#,
            m = self.chall_mgmt
        )
    }

    pub fn stop(&mut self) {
        for c in [self.pebble.take(), self.chall.take()]
            .into_iter()
            .flatten()
        {
            let mut c = c;
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Pebble {
    fn drop(&mut self) {
        self.stop();
    }
}
