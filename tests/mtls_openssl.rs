//! End to end mutual TLS with the real `openssl s_server` / `s_client`: the trust dir certdeck
//! builds (`trust`, `revoke`) is what the server reads as `-CApath`, exactly as the Nano RPC
//! "client_certs_path" (self-signed clients, hashed links) and Harper/OpenHIM mTLS (a local CA)
//! setups do. Only 127.0.0.1; every process is bounded by a timeout and servers are killed by
//! a Drop guard.

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// A running `openssl s_server`; killed (and reaped) when dropped, even on panic.
struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// s_server on a free 127.0.0.1 port with the store's server cert and `-CApath trusted`,
    /// requiring a client certificate and failing the handshake when it does not verify.
    fn start(store: &Path, crl_check: bool) -> Server {
        for attempt in 0..5 {
            let port = {
                let l = TcpListener::bind("127.0.0.1:0").unwrap();
                l.local_addr().unwrap().port()
            };
            let log = store
                .parent()
                .unwrap()
                .join(format!("s_server-{port}-{attempt}.log"));
            let logf = std::fs::File::create(&log).unwrap();
            let accept = format!("127.0.0.1:{port}");
            let mut args = vec![
                "s_server",
                "-accept",
                &accept,
                "-cert",
                "localhost.pem",
                "-key",
                "private/localhost.key",
                "-CApath",
                "trusted",
                "-Verify",
                "2",
                "-verify_return_error",
                "-www",
            ];
            if crl_check {
                args.push("-crl_check");
            }
            let child = Command::new(OPENSSL)
                .args(&args)
                .current_dir(store)
                .stdin(Stdio::null())
                .stdout(logf.try_clone().unwrap())
                .stderr(logf)
                .spawn()
                .expect("spawn openssl s_server");
            let mut srv = Server { child, port, log };
            let start = Instant::now();
            loop {
                let mut s = String::new();
                let _ = std::fs::File::open(&srv.log).and_then(|mut f| f.read_to_string(&mut s));
                if s.contains("ACCEPT") {
                    return srv;
                }
                if srv.child.try_wait().unwrap().is_some()
                    || start.elapsed() > Duration::from_secs(15)
                {
                    eprintln!("s_server on {port} did not start:\n{s}");
                    break; // dropped: killed; try another port
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            drop(srv);
        }
        panic!("could not start openssl s_server");
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// One HTTPS request with a client certificate. Returns (accepted, transcript).
    /// Accepted = the server answered the request (`-www` status page), which it only does
    /// after the client certificate verified.
    fn request(&self, store: &Path, cert: &str, key: &str) -> (bool, String) {
        let connect = format!("127.0.0.1:{}", self.port);
        let (code, out, err) = run_with_timeout(
            OPENSSL,
            &[
                "s_client",
                "-connect",
                &connect,
                "-cert",
                cert,
                "-key",
                key,
                "-CAfile",
                "local-ca.pem",
                "-verify_return_error",
                "-verify_hostname",
                "localhost",
                "-verify_ip",
                "127.0.0.1",
                "-ign_eof",
            ],
            store,
            Some(b"GET / HTTP/1.0\r\n\r\n"),
            Duration::from_secs(20),
        );
        let transcript = format!("exit {code:?}\n--- stdout\n{out}\n--- stderr\n{err}");
        let accepted = code == Some(0) && out.contains("HTTP/1.0 200 ok");
        if accepted {
            // The server verified our certificate: it says so on its status page.
            assert!(
                out.contains("Verify return code: 0 (ok)"),
                "200 without a verified chain?\n{transcript}"
            );
        }
        (accepted, transcript)
    }
}

fn assert_accepted(srv: &Server, store: &Path, who: &str) {
    let (ok, t) = srv.request(store, &format!("{who}.pem"), &format!("private/{who}.key"));
    assert!(
        ok,
        "{who} should be accepted\n{t}\n--- server log\n{}",
        srv.log()
    );
}

fn assert_rejected(srv: &Server, store: &Path, who: &str) -> String {
    let (ok, t) = srv.request(store, &format!("{who}.pem"), &format!("private/{who}.key"));
    assert!(
        !ok,
        "{who} should be rejected\n{t}\n--- server log\n{}",
        srv.log()
    );
    t
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn mtls_trust_and_revoke_with_openssl_s_server() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    std::fs::create_dir(&store).unwrap();
    let st = store.as_path();

    cd(st, &["generate", "ca", "--cn", "Local CA"]).ok();
    cd(
        st,
        &[
            "generate",
            "server",
            "--cn",
            "localhost",
            "--san",
            "DNS:localhost",
            "--san",
            "IP:127.0.0.1",
            "--ca",
            "Local CA",
        ],
    )
    .ok();
    for who in ["alice", "mallory"] {
        cd(st, &["generate", "client", "--cn", who, "--ca", "Local CA"]).ok();
    }
    // Self-signed clients: eve is never trusted; rpcuser1 is pinned like a Nano RPC client.
    cd(st, &["generate", "client", "--cn", "eve"]).ok();
    cd(st, &["generate", "client", "--cn", "rpcuser1"]).ok();

    cd(st, &["trust", "Local CA"]).ok();
    cd(st, &["trust", "alice"]).ok();
    let trusted = st.join("trusted");
    let names = file_names(&trusted);
    assert!(names.contains(&"local-ca.crl.pem".to_string()), "{names:?}");

    // Phase 1: plain CApath, no CRL checking.
    {
        let srv = Server::start(st, false);
        assert_accepted(&srv, st, "alice");
        let t = assert_rejected(&srv, st, "eve");
        assert!(
            srv.log().contains("self-signed certificate") || t.contains("alert"),
            "eve's rejection should be a verify failure\n{t}\n{}",
            srv.log()
        );
        assert_rejected(&srv, st, "rpcuser1");
    }

    // Trusting a pinned self-signed client makes it acceptable; so is mallory (CA-signed:
    // accepted via the CA anyway, trusting her adds her own link).
    cd(st, &["trust", "rpcuser1"]).ok();
    cd(st, &["trust", "mallory"]).ok();
    {
        let srv = Server::start(st, false);
        assert_accepted(&srv, st, "rpcuser1");
        assert_accepted(&srv, st, "mallory");
        assert_accepted(&srv, st, "alice");
    }
    {
        let srv = Server::start(st, true);
        // A pinned self-signed client has no CRL (it is no CA), so a -crl_check server refuses
        // it with "unable to get certificate CRL": pinning and CRL checking do not mix.
        assert_rejected(&srv, st, "rpcuser1");
        assert!(
            srv.log().contains("unable to get certificate CRL"),
            "{}",
            srv.log()
        );
        assert_accepted(&srv, st, "mallory");
        assert_accepted(&srv, st, "alice");
        assert_rejected(&srv, st, "eve");
    }

    // Revoke the pinned client: its file and link leave the trust dir, so even a server
    // without CRL checking refuses it (the Nano RPC "remove the client certificate" model).
    let rpc_hash = x509_field(st, "rpcuser1.pem", "-subject_hash");
    assert!(links_in(&trusted).contains_key(&format!("{rpc_hash}.0")));
    cd(st, &["revoke", "rpcuser1"]).ok();
    let names = file_names(&trusted);
    assert!(
        !names.iter().any(|n| n.starts_with("rpcuser1")),
        "rpcuser1 still in trusted: {names:?}"
    );
    assert!(
        !links_in(&trusted).contains_key(&format!("{rpc_hash}.0")),
        "link of rpcuser1 left behind: {:?}",
        links_in(&trusted)
    );
    // Nothing deleted: the copy is in history.
    let hist = snapshot(&st.join("history"), &[]);
    assert!(
        hist.keys().any(|k| k.ends_with("/trusted/rpcuser1.pem")),
        "{hist:#?}"
    );
    {
        let srv = Server::start(st, false);
        assert_rejected(&srv, st, "rpcuser1");
        assert_accepted(&srv, st, "alice");
    }

    // Revoke CA-signed mallory: without CRL checking the trusted CA still vouches for her
    // (OpenSSL behaviour, documented here); with -crl_check the CRL certdeck re-signed stops her.
    let serial = x509_field(st, "mallory.pem", "-serial");
    cd(st, &["revoke", "mallory"]).ok();
    assert!(!file_names(&trusted).contains(&"mallory.pem".to_string()));
    let crl_text = stdout_of(&openssl(
        st,
        &["crl", "-in", "trusted/local-ca.crl.pem", "-noout", "-text"],
    ));
    let serial_hex = serial.split_once('=').unwrap().1;
    assert!(
        crl_text.contains(serial_hex),
        "CRL does not list {serial_hex}:\n{crl_text}"
    );
    let (code, out, err) = run_with_timeout(
        OPENSSL,
        &["verify", "-crl_check", "-CApath", "trusted", "mallory.pem"],
        st,
        None,
        Duration::from_secs(20),
    );
    assert_ne!(code, Some(0), "{out}{err}");
    assert!(
        format!("{out}{err}").contains("certificate revoked"),
        "{out}{err}"
    );
    let v = openssl(
        st,
        &["verify", "-crl_check", "-CApath", "trusted", "alice.pem"],
    );
    assert!(stdout_of(&v).contains("alice.pem: OK"));
    {
        let srv = Server::start(st, false);
        assert_accepted(&srv, st, "mallory");
    }
    {
        let srv = Server::start(st, true);
        assert_rejected(&srv, st, "mallory");
        assert!(
            srv.log().contains("certificate revoked"),
            "server log:\n{}",
            srv.log()
        );
        assert_accepted(&srv, st, "alice");
        assert_rejected(&srv, st, "eve");
        assert_rejected(&srv, st, "rpcuser1");
    }

    // The store is still healthy for audit after all of that; its one CRITICAL is the truth
    // about mallory: revoked by the CRL in the trust dir.
    let a = cd(st, &["audit", "--no-system-trust"]);
    let critical: Vec<&str> = a
        .stdout
        .lines()
        .filter(|l| l.starts_with("CRITICAL "))
        .collect();
    assert!(
        a.code == Some(2)
            && critical.len() == 1
            && critical[0].contains("revoked")
            && critical[0].contains("mallory.pem"),
        "audit: {:?}\n{}",
        a.code,
        a.stdout
    );
    assert!(!a.stdout.contains("dangling-link"), "{}", a.stdout);
    assert!(!a.stdout.contains("link-gap"), "{}", a.stdout);
}
