//! `certdeck acme` against a real Pebble on loopback: issue (http-01 standalone, dns-01 hook
//! through challtestsrv), the chain verified by `openssl verify` against Pebble's root, renew
//! (not due, --force, CA gone), revoke checked on Pebble's management API.

mod common;
#[path = "common/hostile.rs"]
mod hostile;
#[path = "common/pebble.rs"]
mod pebble;

use std::path::Path;

use common::{cd, mode_of, openssl, snapshot, stdout_of};
use pebble::Pebble;

fn issue_args<'a>(p: &'a Pebble, name: &'a str, extra: &[&'a str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "acme",
        "issue",
        name,
        "--server",
        &p.directory,
        "--agree-tos",
        "--email",
        "admin@a.test",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.extend(["--ca-bundle".to_string(), p.api_ca.display().to_string()]);
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn run(store: &Path, args: &[String]) -> common::Run {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    cd(store, &a)
}

/// `openssl verify` of the lineage's cert with Pebble's root as the only trust anchor and
/// the lineage's own chain.pem as the untrusted intermediates.
fn verify(p: &Pebble, store: &Path, name: &str) {
    let (root, inter) = p.root_and_intermediate();
    std::fs::write(store.join("../root.pem"), root).unwrap();
    let lin = store.join("acme").join(name);
    let chain = std::fs::read_to_string(lin.join("chain.pem")).unwrap();
    // The intermediate we were given is the one Pebble's management API reports.
    assert!(
        chain
            .replace('\n', "")
            .contains(&inter.trim().lines().nth(1).unwrap().to_string()),
        "chain.pem is not Pebble's intermediate"
    );
    let o = openssl(
        store,
        &[
            "verify",
            "-CAfile",
            "../root.pem",
            "-untrusted",
            &format!("acme/{name}/chain.pem"),
            &format!("acme/{name}/cert.pem"),
        ],
    );
    assert!(
        o.status.success(),
        "openssl verify: {}{}",
        stdout_of(&o),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn serial_of(store: &Path, rel: &str) -> String {
    let o = openssl(store, &["x509", "-noout", "-serial", "-in", rel]);
    stdout_of(&o)
        .trim()
        .trim_start_matches("serial=")
        .to_ascii_lowercase()
}

fn lineage_files(store: &Path, name: &str) -> Vec<(String, Vec<u8>)> {
    ["cert.pem", "chain.pem", "fullchain.pem", "privkey.pem"]
        .iter()
        .map(|f| {
            (
                f.to_string(),
                std::fs::read(store.join("acme").join(name).join(f)).unwrap(),
            )
        })
        .collect()
}

#[test]
fn http01_standalone_two_names_then_renew_not_due_and_forced() {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    std::fs::create_dir(&store).unwrap();
    let p = Pebble::start(t.path(), 0);
    let addr = format!("127.0.0.1:{}", p.http_port);
    let r = run(
        &store,
        &issue_args(
            &p,
            "web",
            &[
                "--domain",
                "a.test",
                "--domain",
                "www.a.test",
                "--http-01-standalone",
                &addr,
            ],
        ),
    );
    r.ok();
    assert!(!r.stdout.contains("PRIVATE KEY") && !r.stderr.contains("PRIVATE KEY"));
    // The inventory lists the lineage's certificate and key, not its bookkeeping.
    let l = cd(&store, &["list", "--json"]);
    l.ok();
    let paths: Vec<String> = serde_json::from_str::<serde_json::Value>(&l.stdout).unwrap()["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|it| it["path"].as_str().map(str::to_string))
        .collect();
    assert!(paths.iter().any(|p| p == "acme/web/cert.pem"), "{paths:?}");
    assert!(
        paths.iter().any(|p| p == "acme/web/privkey.pem"),
        "{paths:?}"
    );
    assert!(
        !paths
            .iter()
            .any(|p| p.ends_with("renewal.toml") || p.starts_with("acme/accounts")),
        "{paths:?}"
    );
    verify(&p, &store, "web");
    let lin = store.join("acme/web");
    assert_eq!(mode_of(&lin.join("privkey.pem")), 0o600);
    let acct = std::fs::read_dir(store.join("acme/accounts/127.0.0.1-")).ok();
    // The account key lives under acme/accounts/<host>/, 0600.
    let acct_file = walk_files(&store.join("acme/accounts"));
    assert_eq!(acct_file.len(), 1, "{acct_file:?} {acct:?}");
    assert_eq!(mode_of(&acct_file[0]), 0o600);
    // Both names are in the certificate.
    let o = openssl(
        &store,
        &[
            "x509",
            "-noout",
            "-ext",
            "subjectAltName",
            "-in",
            "acme/web/cert.pem",
        ],
    );
    let sans = stdout_of(&o);
    assert!(
        sans.contains("DNS:a.test") && sans.contains("DNS:www.a.test"),
        "{sans}"
    );

    // list shows the lineage with its due date and last result, and writes nothing.
    let before_list = snapshot(&store, &[]);
    let l = cd(&store, &["acme", "list", "--json"]);
    l.ok();
    assert_eq!(snapshot(&store, &[]), before_list);
    let v: serde_json::Value = serde_json::from_str(&l.stdout).unwrap();
    assert_eq!(v[0]["name"], "web");
    assert_eq!(v[0]["domains"], serde_json::json!(["a.test", "www.a.test"]));
    assert_eq!(v[0]["due_now"], false);
    assert_eq!(v[0]["last"]["result"], "issued");

    // The store's reload command (the deploy hook) leaves a mark outside the store.
    let marker = t.path().join("reloaded");
    let cfg = t.path().join("certdeck.toml");
    std::fs::write(
        &cfg,
        format!(
            "[stores.web]\npath = {:?}\nreload_command = \"echo x >> {}\"\n",
            store.display().to_string(),
            marker.display()
        ),
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap();
    let renew = |extra: &[&str]| {
        let mut a = vec![
            "--config", cfg, "--store", "web", "acme", "renew", "--reload", "--json",
        ];
        a.extend(extra);
        common::certdeck(&a)
    };

    // Not due: nothing written at all, no reload.
    let before = snapshot(&store, &[]);
    let r = renew(&[]);
    r.ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v[0]["result"], "not-due", "{v}");
    assert_eq!(
        snapshot(&store, &[]),
        before,
        "renew of a lineage not due wrote something"
    );

    // --force: a new serial, the old certificate kept in history.
    let old_serial = serial_of(&store, "acme/web/cert.pem");
    let old_cert = std::fs::read(lin.join("cert.pem")).unwrap();
    assert!(!marker.exists(), "reload ran though nothing was renewed");
    let r = renew(&["web", "--force"]);
    r.ok();
    assert_eq!(
        std::fs::read_to_string(&marker).unwrap(),
        "x\n",
        "reload did not run once"
    );
    let new_serial = serial_of(&store, "acme/web/cert.pem");
    assert_ne!(old_serial, new_serial);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v[0]["result"], "renewed");
    assert_eq!(v[0]["serial"].as_str().unwrap(), new_serial);
    verify(&p, &store, "web");
    let in_history = walk_files(&store.join("history"))
        .into_iter()
        .any(|f| std::fs::read(&f).ok().as_deref() == Some(&old_cert[..]));
    assert!(in_history, "the replaced certificate is not in history/");
}

fn walk_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk_files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn dns01_hook_through_challtestsrv_then_revoke() {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    std::fs::create_dir(&store).unwrap();
    // Pebble's default: 5 % of good nonces rejected; instant-acme retries badNonce.
    let p = Pebble::start(t.path(), 5);
    let hook = p.dns_hook();
    run(
        &store,
        &issue_args(
            &p,
            "dns",
            &[
                "--domain",
                "b.test",
                "--domain",
                "c.b.test",
                "--dns-01-hook",
                &hook,
                "--key-type",
                "rsa-2048",
            ],
        ),
    )
    .ok();
    verify(&p, &store, "dns");
    let o = openssl(
        &store,
        &["x509", "-noout", "-text", "-in", "acme/dns/cert.pem"],
    );
    assert!(stdout_of(&o).contains("rsaEncryption"));

    let serial = serial_of(&store, "acme/dns/cert.pem");
    let status = |p: &Pebble| {
        p.get(&format!(
            "{}/cert-status-by-serial/{}",
            p.mgmt,
            serial.trim_start_matches('0')
        ))
        .unwrap_or_default()
    };
    assert!(status(&p).contains("Valid"), "{}", status(&p));
    let r = cd(&store, &["acme", "revoke", "dns", "--reason", "superseded"]);
    r.ok();
    let s = status(&p);
    assert!(
        s.contains("Revoked"),
        "Pebble does not report {serial} revoked: {s}"
    );
    let l = cd(&store, &["acme", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&l.stdout).unwrap();
    assert_eq!(v[0]["last"]["result"], "revoked");
}

#[test]
fn renewal_with_the_ca_gone_leaves_every_file_as_it_was() {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    std::fs::create_dir(&store).unwrap();
    let mut p = Pebble::start(t.path(), 0);
    let addr = format!("127.0.0.1:{}", p.http_port);
    run(
        &store,
        &issue_args(
            &p,
            "web",
            &["--domain", "a.test", "--http-01-standalone", &addr],
        ),
    )
    .ok();
    let before = lineage_files(&store, "web");
    p.stop();
    let r = cd(&store, &["acme", "renew", "web", "--force", "--json"]);
    // The certificate has 90 days left: a failure, not critical.
    assert_eq!(r.code, Some(1), "{}\n{}", r.stdout, r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v[0]["result"], "failed");
    assert_eq!(
        lineage_files(&store, "web"),
        before,
        "a failed renewal changed the lineage's files"
    );
    let l = cd(&store, &["acme", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&l.stdout).unwrap();
    assert_eq!(v[0]["last"]["result"], "failed");
}

#[test]
fn acme_list_is_read_only_and_issue_is_refused_read_only() {
    let t = tempfile::tempdir().unwrap();
    let r = cd(t.path(), &["--read-only", "acme", "list"]);
    r.ok();
    let r = cd(
        t.path(),
        &[
            "--read-only",
            "acme",
            "issue",
            "x",
            "--domain",
            "a.test",
            "--server",
            "https://127.0.0.1:1/dir",
            "--agree-tos",
            "--dns-01-hook",
            "true",
        ],
    );
    assert_ne!(r.code, Some(0));
    assert!(r.stderr.contains("read-only"), "{}", r.stderr);
}

/// nginx in the foreground, one process (`master_process off`), killed by PID on drop.
struct Nginx(std::process::Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM first: a master process stops its workers (SIGKILL would orphan them).
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let t = std::time::Instant::now();
        while t.elapsed() < std::time::Duration::from_secs(5) {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn nginx(dir: &Path, conf: &str) -> Nginx {
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let bin = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("nginx (apt install nginx-light)");
    let child = std::process::Command::new(bin)
        .arg("-p")
        .arg(dir)
        .args(["-c", "nginx.conf", "-e", "error.log"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    Nginx(child)
}

fn wait_port(port: u16) {
    let t = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t.elapsed() < std::time::Duration::from_secs(10),
            "nothing listens on {port}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn http01_webroot_served_by_nginx_then_nginx_serves_the_certificate() {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    let webroot = t.path().join("www");
    let ngx = t.path().join("nginx");
    for d in [&store, &webroot, &ngx] {
        std::fs::create_dir(d).unwrap();
    }
    std::fs::write(webroot.join("index.html"), "hello\n").unwrap();
    let p = Pebble::start(t.path(), 0);
    let common = "daemon off; master_process off; pid nginx.pid; events {} http { access_log off; \
        client_body_temp_path tmp; proxy_temp_path tmp; fastcgi_temp_path tmp; uwsgi_temp_path tmp; scgi_temp_path tmp;";
    std::fs::create_dir(ngx.join("tmp")).unwrap();
    let http = nginx(
        &ngx,
        &format!(
            "{common} server {{ listen 127.0.0.1:{}; root {}; }} }}\n",
            p.http_port,
            webroot.display()
        ),
    );
    wait_port(p.http_port);
    run(
        &store,
        &issue_args(
            &p,
            "web",
            &[
                "--domain",
                "a.test",
                "--domain",
                "www.a.test",
                "--http-01-webroot",
                webroot.to_str().unwrap(),
            ],
        ),
    )
    .ok();
    verify(&p, &store, "web");
    // The challenge files are gone again.
    let left = walk_files(&webroot.join(".well-known/acme-challenge"));
    assert!(left.is_empty(), "{left:?}");
    drop(http);

    // nginx serves the issued certificate; curl trusts only Pebble's root.
    let port = pebble::free_port();
    let lin = store.join("acme/web");
    let ngx2 = t.path().join("nginx2");
    std::fs::create_dir_all(ngx2.join("tmp")).unwrap();
    let _https = nginx(
        &ngx2,
        &format!(
            "{common} server {{ listen 127.0.0.1:{port} ssl; server_name a.test; ssl_certificate {}; ssl_certificate_key {}; root {}; }} }}\n",
            lin.join("fullchain.pem").display(),
            lin.join("privkey.pem").display(),
            webroot.display()
        ),
    );
    wait_port(port);
    let o = std::process::Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            "5",
            "--cacert",
        ])
        .arg(store.join("../root.pem"))
        .args([
            "--resolve",
            &format!("www.a.test:{port}:127.0.0.1"),
            &format!("https://www.a.test:{port}/"),
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "200",
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// renewal.toml names a command certdeck runs as root (the dns-01 hook) and a directory it
/// writes (the webroot). One that another account wrote, or could write, is refused before
/// anything runs, as the journal is; `--safe-store` opts a trusted store in.
#[test]
fn a_renewal_toml_another_account_could_write_is_not_run() {
    use std::os::unix::fs::{chown, PermissionsExt};
    let Some(a) = hostile::attacker() else {
        panic!("needs root and useradd (scripts/test.sh runs as root)")
    };
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    std::fs::create_dir(&store).unwrap();
    let p = Pebble::start(t.path(), 0);
    let addr = format!("127.0.0.1:{}", p.http_port);
    run(
        &store,
        &issue_args(
            &p,
            "web",
            &["--domain", "a.test", "--http-01-standalone", &addr],
        ),
    )
    .ok();
    let before = lineage_files(&store, "web");
    // What the account plants: a dns-01 "hook" that would run as root.
    let marker = t.path().join("ran-as-root");
    let f = store.join("acme/web/renewal.toml");
    let mut v: toml::Table = std::fs::read_to_string(&f).unwrap().parse().unwrap();
    let mut ch = toml::Table::new();
    ch.insert("kind".into(), "dns01-hook".into());
    ch.insert("value".into(), format!("touch {}", marker.display()).into());
    v.insert("challenge".into(), toml::Value::Table(ch));
    std::fs::write(&f, toml::to_string(&v).unwrap()).unwrap();
    let s = store.display().to_string();
    let renew = |extra: &[&str]| {
        let mut args = vec!["--store", s.as_str()];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["acme", "renew", "web", "--force"]);
        let r = cd(&store, &args);
        // Renew reports each lineage's outcome on stdout, errors included.
        let all = format!("{}{}", r.stdout, r.stderr);
        (r.code, all)
    };

    chown(&f, Some(a.uid), Some(a.gid)).unwrap();
    let (code, out) = renew(&[]);
    assert_ne!(code, Some(0), "{out}");
    assert!(out.contains("renewal.toml is owned by uid"), "{out}");
    assert!(!marker.exists(), "the planted hook ran");

    // Root's file, but the account could rewrite it: refused too.
    chown(&f, Some(0), Some(0)).unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o664)).unwrap();
    let (_, out) = renew(&[]);
    assert!(out.contains("writable by group or others"), "{out}");
    assert!(!marker.exists(), "the planted hook ran");
    // The account's own lineage directory is refused the same way.
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
    chown(store.join("acme/web"), Some(a.uid), Some(a.gid)).unwrap();
    let (_, out) = renew(&[]);
    assert!(out.contains("acme/web is owned by uid"), "{out}");
    assert!(!marker.exists(), "the planted hook ran");
    assert_eq!(lineage_files(&store, "web"), before);

    // Opted in, the same file is used: the check is what stopped it. Either the planted
    // hook ran (a fresh authorization) or Pebble reused the name's authorization and renewed
    // without a challenge.
    let (_, out) = renew(&["--safe-store"]);
    assert!(marker.exists() || out.contains("web: renewed"), "{out}");
}

/// Pebble issuing one-hour certificates: a renewal that fails is critical (exit 2, the
/// certificate expires before the next twice-daily attempt); a CA that is down while nothing
/// is due is no failure at all; Pebble 2.4 serves no ARI and renew says so.
#[test]
fn renew_exit_two_when_the_certificate_expires_before_the_next_try() {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    std::fs::create_dir(&store).unwrap();
    let mut p = Pebble::start_with(
        t.path(),
        pebble::Opts {
            validity_secs: 3600,
            ..Default::default()
        },
    );
    let addr = format!("127.0.0.1:{}", p.http_port);
    run(
        &store,
        &issue_args(
            &p,
            "short",
            &["--domain", "a.test", "--http-01-standalone", &addr],
        ),
    )
    .ok();
    let before = lineage_files(&store, "short");
    let json = |r: &common::Run| -> serde_json::Value {
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", r.stdout, r.stderr))
    };
    // Due 20 minutes before expiry (a third of the hour): not yet. The reason names the ARI
    // the CA does (not) serve.
    let r = cd(&store, &["acme", "renew", "--dry-run", "--json"]);
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    let v = json(&r);
    assert_eq!(v[0]["result"], "not-due", "{v}");
    let msg = v[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("not due until") && msg.contains("serves no renewal information (ARI)"),
        "{msg}"
    );
    // With the CA gone and nothing due, renew is fine (a cron job must not cry wolf).
    p.stop();
    let r = cd(&store, &["acme", "renew", "--json"]);
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    let v = json(&r);
    assert_eq!(v[0]["result"], "not-due", "{v}");
    assert!(
        v[0]["message"]
            .as_str()
            .unwrap()
            .contains("CA was not reached"),
        "{v}"
    );
    // Forced with the CA gone: failed, and the certificate has under 12 h left: exit 2.
    let r = cd(&store, &["acme", "renew", "short", "--force", "--json"]);
    assert_eq!(r.code, Some(2), "{}{}", r.stdout, r.stderr);
    assert_eq!(json(&r)[0]["result"], "failed");
    assert_eq!(lineage_files(&store, "short"), before);
}

#[test]
fn issue_dry_run_prints_the_steps_and_plan_and_touches_nothing() {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    std::fs::create_dir(&store).unwrap();
    let before = snapshot(&store, &[]);
    // Nothing listens on port 1: a dry run contacts no CA. --read-only allows it.
    let args = [
        "--read-only",
        "acme",
        "issue",
        "web",
        "--domain",
        "a.test",
        "--domain",
        "www.a.test",
        "--server",
        "https://127.0.0.1:1/dir",
        "--agree-tos",
        "--email",
        "admin@a.test",
        "--http-01-standalone",
        "127.0.0.1:5002",
        "--dry-run",
    ];
    let r = cd(&store, &args);
    r.ok();
    for want in [
        "register an ACME account at https://127.0.0.1:1/dir (contact admin@a.test)",
        "new order for a.test, www.a.test",
        "a.test: http-01, answered by certdeck listening on 127.0.0.1:5002",
        "www.a.test: http-01",
        "new ec-p256 key",
        "acme/web/privkey.pem",
        "acme/web/fullchain.pem",
        "acme/web/renewal.toml",
    ] {
        assert!(r.stdout.contains(want), "no {want:?} in:\n{}", r.stdout);
    }
    assert!(!r.stdout.contains("PRIVATE KEY"), "{}", r.stdout);
    assert_eq!(snapshot(&store, &[]), before, "a dry run wrote something");
    let mut j = args.to_vec();
    j.push("--json");
    let r = cd(&store, &j);
    r.ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["dry_run"], true);
    let ops = v["ops"].to_string();
    assert!(ops.contains("acme/web/cert.pem"), "{ops}");
    assert_eq!(snapshot(&store, &[]), before, "a dry run wrote something");
    // A target the server config cannot take is refused before any CA is asked.
    let conf = t.path().join("nginx.conf");
    std::fs::write(
        &conf,
        "events {} http { server { listen 443 ssl; server_name a.test; ssl_certificate /elsewhere/c.pem; ssl_certificate_key /elsewhere/k.pem; } }\n",
    )
    .unwrap();
    let mut s = vec!["--server-config", conf.to_str().unwrap()];
    s.extend(&args);
    let r = cd(&store, &s);
    assert_ne!(r.code, Some(0), "{}", r.stdout);
    assert!(r.stderr.contains("outside the store"), "{}", r.stderr);
}

/// A CA that requires external account binding (Pebble with externalAccountMACKeys): without
/// --eab-kid the error says what is missing; with the key id and HMAC key it issues.
#[test]
fn external_account_binding_is_sent_when_the_ca_requires_it() {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    std::fs::create_dir(&store).unwrap();
    let key = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W";
    let p = Pebble::start_with(
        t.path(),
        pebble::Opts {
            eab: Some(("kid-1", key)),
            ..Default::default()
        },
    );
    let addr = format!("127.0.0.1:{}", p.http_port);
    let base = ["--domain", "a.test", "--http-01-standalone", addr.as_str()];
    let r = run(&store, &issue_args(&p, "web", &base));
    assert_ne!(r.code, Some(0));
    assert!(r.stderr.contains("--eab-kid"), "{}", r.stderr);
    assert!(!store.join("acme/web").exists());
    let hmac = t.path().join("eab.key");
    std::fs::write(&hmac, format!("{key}\n")).unwrap();
    let mut with = base.to_vec();
    with.extend([
        "--eab-kid",
        "kid-1",
        "--eab-hmac-key-file",
        hmac.to_str().unwrap(),
    ]);
    let r = run(&store, &issue_args(&p, "web", &with));
    r.ok();
    verify(&p, &store, "web");
    assert!(!r.stdout.contains(key) && !r.stderr.contains(key));
}

/// The account key signs every order and revocation: a file another account owns (or could
/// rewrite) is refused with the fix, never used and never replaced by a new registration.
#[test]
fn an_account_file_another_account_could_write_is_refused() {
    use std::os::unix::fs::{chown, PermissionsExt};
    let Some(a) = hostile::attacker() else {
        panic!("needs root and useradd (scripts/test.sh runs as root)")
    };
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    std::fs::create_dir(&store).unwrap();
    let p = Pebble::start(t.path(), 0);
    let addr = format!("127.0.0.1:{}", p.http_port);
    let one = |name: &'static str| {
        run(
            &store,
            &issue_args(
                &p,
                name,
                &["--domain", "a.test", "--http-01-standalone", &addr],
            ),
        )
    };
    one("web").ok();
    let files = walk_files(&store.join("acme/accounts"));
    assert_eq!(files.len(), 1, "{files:?}");
    let acct = files[0].clone();
    let original = std::fs::read(&acct).unwrap();
    chown(&acct, Some(a.uid), Some(a.gid)).unwrap();
    let r = cd(&store, &["acme", "renew", "web", "--force"]);
    assert_ne!(r.code, Some(0));
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(all.contains(".json is owned by uid"), "{all}");
    assert!(all.contains("ACME account key"), "{all}");
    // A new issuance for the same server and email does not register over it either.
    let r = one("other");
    assert_ne!(r.code, Some(0), "{}", r.stdout);
    assert!(r.stderr.contains("is owned by uid"), "{}", r.stderr);
    assert_eq!(std::fs::read(&acct).unwrap(), original);
    // Root's file that the group can write: refused too.
    chown(&acct, Some(0), Some(0)).unwrap();
    std::fs::set_permissions(&acct, std::fs::Permissions::from_mode(0o660)).unwrap();
    let r = cd(&store, &["acme", "renew", "web", "--force"]);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(all.contains("writable by group or others"), "{all}");
    std::fs::set_permissions(&acct, std::fs::Permissions::from_mode(0o600)).unwrap();
    cd(&store, &["acme", "renew", "web", "--force"]).ok();
}

/// A self-signed placeholder pair in `dir` (what a server has before its first ACME cert).
fn placeholder(dir: &Path, cert: &str, key: &str, cn: &str) {
    let o = openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            key,
            "-out",
            cert,
            "-days",
            "30",
            "-subj",
            &format!("/CN={cn}"),
            "-addext",
            &format!("subjectAltName=DNS:{cn}"),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Serial as hex without separators or leading zeros, lowercase (openssl, keytool and the
/// probe print it differently).
fn norm_serial(s: &str) -> String {
    let s: String = s
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect::<String>()
        .to_ascii_lowercase();
    s.trim_start_matches('0').to_string()
}

/// The public key of a certificate and of a key file, as openssl prints them.
fn pair_matches(dir: &Path, cert: &str, key: &str) -> bool {
    let a = stdout_of(&openssl(dir, &["x509", "-noout", "-pubkey", "-in", cert]));
    let b = stdout_of(&openssl(dir, &["pkey", "-pubout", "-in", key]));
    !a.is_empty() && a == b
}

fn curl_status(root: &Path, name: &str, port: u16) -> String {
    let o = std::process::Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            "5",
            "--cacert",
        ])
        .arg(root)
        .args([
            "--resolve",
            &format!("{name}:{port}:127.0.0.1"),
            &format!("https://{name}:{port}/"),
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// --server-config nginx.conf: the order goes into exactly the files nginx names (after the
/// pair check), renewal.toml remembers the config, so `renew --force --reload` without it
/// writes the same files and reloads nginx; `certdeck probe` then sees the new serial and a
/// real nginx serves it (curl trusting only Pebble's root: 200).
#[test]
fn into_the_files_an_nginx_config_names_then_renew_reload_and_probe() {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    let site = store.join("site");
    let ngx = t.path().join("nginx");
    let www = t.path().join("www");
    for d in [&site, &ngx.join("tmp"), &www] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(www.join("index.html"), "hello\n").unwrap();
    placeholder(&site, "fullchain.pem", "privkey.pem", "a.test");
    let p = Pebble::start(t.path(), 0);
    let port = pebble::free_port();
    let conf = format!(
        // A master process: `nginx -s reload` of a single-process nginx breaks its TLS.
        "daemon off; master_process on; worker_processes 1; user root; pid nginx.pid; events {{}} http {{ access_log off; \
         client_body_temp_path tmp; proxy_temp_path tmp; fastcgi_temp_path tmp; uwsgi_temp_path tmp; scgi_temp_path tmp; \
         server {{ listen 127.0.0.1:{port} ssl; server_name a.test; ssl_certificate {s}/fullchain.pem; \
         ssl_certificate_key {s}/privkey.pem; root {w}; }} }}\n",
        s = site.display(),
        w = www.display()
    );
    let _nginx = nginx(&ngx, &conf);
    wait_port(port);
    let conf_path = ngx.join("nginx.conf");
    let conf_s = conf_path.to_str().unwrap();
    let addr = format!("127.0.0.1:{}", p.http_port);
    let mut args = vec!["--server-config".to_string(), conf_s.to_string()];
    args.extend(issue_args(
        &p,
        "web",
        &["--domain", "a.test", "--http-01-standalone", &addr],
    ));
    run(&store, &args).ok();
    // The nginx files hold Pebble's chain and the new key; nothing went to acme/web/*.pem.
    let (root, _) = p.root_and_intermediate();
    let root_pem = t.path().join("root.pem");
    std::fs::write(&root_pem, root).unwrap();
    let o = openssl(
        &site,
        &[
            "verify",
            "-CAfile",
            root_pem.to_str().unwrap(),
            "-untrusted",
            "fullchain.pem",
            "fullchain.pem",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(pair_matches(&site, "fullchain.pem", "privkey.pem"));
    assert_eq!(mode_of(&site.join("privkey.pem")), 0o600);
    assert!(!store.join("acme/web/cert.pem").exists());
    let toml = std::fs::read_to_string(store.join("acme/web/renewal.toml")).unwrap();
    assert!(toml.contains(&format!("nginx:{conf_s}")), "{toml}");
    let issued = serial_of(&site, "fullchain.pem");

    // nginx still serves the placeholder: the probe says it was not reloaded (exit 1).
    let target = format!("127.0.0.1:{port}");
    let probe = |store: &Path| {
        let r = cd(
            store,
            &[
                "--server-config",
                conf_s,
                "probe",
                &target,
                "--servername",
                "a.test",
                "--json",
            ],
        );
        let v: serde_json::Value = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", r.stdout, r.stderr));
        (r.code, v)
    };
    let (code, v) = probe(&store);
    assert_eq!(code, Some(1), "{v:#}");
    assert_eq!(v["comparison"]["verdict"], "not_reloaded", "{v:#}");

    // renew --force --reload, no --server-config: the same files, then nginx reloaded.
    let cfg = t.path().join("certdeck.toml");
    let bin = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .unwrap();
    std::fs::write(
        &cfg,
        format!(
            "[stores.web]\npath = {:?}\nreload_command = \"{bin} -p {} -c nginx.conf -e error.log -s reload\"\n",
            store.display().to_string(),
            ngx.display()
        ),
    )
    .unwrap();
    let cfg_s = cfg.to_str().unwrap();
    let history_before = walk_files(&store.join("history")).len();
    let r = common::certdeck(&[
        "--config", cfg_s, "--store", "web", "acme", "renew", "web", "--force", "--reload",
        "--json",
    ]);
    r.ok();
    let renewed = serial_of(&site, "fullchain.pem");
    assert_ne!(renewed, issued);
    assert!(pair_matches(&site, "fullchain.pem", "privkey.pem"));
    assert!(!store.join("acme/web/cert.pem").exists());
    assert!(walk_files(&store.join("history")).len() > history_before);
    // The probe sees the new serial (nginx reloads asynchronously: give it a moment).
    let t0 = std::time::Instant::now();
    let v = loop {
        let (code, v) = probe(&store);
        if code == Some(0) || t0.elapsed() > std::time::Duration::from_secs(10) {
            break v;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(v["comparison"]["verdict"], "matches", "{v:#}");
    assert_eq!(
        norm_serial(v["chain"][0]["serial"].as_str().unwrap()),
        norm_serial(&renewed),
        "{v:#}"
    );
    assert_eq!(curl_status(&root_pem, "a.test", port), "200");
}

/// --server-config harperdb-config.yaml: Harper's keys/certificate.pem and privateKey.pem
/// (the seed's layout) get Pebble's chain and the new key; ca.pem (client CAs) is untouched,
/// the old pair goes to history, the audit of the config is clean.
#[test]
fn into_a_harper_layout() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("hdb");
    let keys = root.join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    placeholder(&keys, "certificate.pem", "privateKey.pem", "hdb.test");
    placeholder(&keys, "ca.pem", "ca.key", "client-ca");
    std::fs::remove_file(keys.join("ca.key")).unwrap();
    let ca_before = std::fs::read(keys.join("ca.pem")).unwrap();
    let old_cert = std::fs::read(keys.join("certificate.pem")).unwrap();
    let cfg = root.join("harperdb-config.yaml");
    std::fs::write(
        &cfg,
        format!(
            "rootPath: {r}\nhttp:\n  securePort: 9926\ntls:\n  certificate: {k}/certificate.pem\n  privateKey: {k}/privateKey.pem\n  certificateAuthority: {k}/ca.pem\n",
            r = root.display(),
            k = keys.display()
        ),
    )
    .unwrap();
    let cfg_s = cfg.to_str().unwrap();
    let p = Pebble::start(t.path(), 0);
    let addr = format!("127.0.0.1:{}", p.http_port);
    let mut args = vec!["--server-config".to_string(), cfg_s.to_string()];
    args.extend(issue_args(
        &p,
        "hdb",
        &["--domain", "hdb.test", "--http-01-standalone", &addr],
    ));
    run(&keys, &args).ok();
    let (pebble_root, _) = p.root_and_intermediate();
    std::fs::write(t.path().join("root.pem"), pebble_root).unwrap();
    let o = openssl(
        &keys,
        &[
            "verify",
            "-CAfile",
            "../../root.pem",
            "-untrusted",
            "certificate.pem",
            "certificate.pem",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(pair_matches(&keys, "certificate.pem", "privateKey.pem"));
    assert_eq!(mode_of(&keys.join("privateKey.pem")), 0o600);
    assert_eq!(std::fs::read(keys.join("ca.pem")).unwrap(), ca_before);
    let in_history = walk_files(&keys.join("history"))
        .into_iter()
        .any(|f| std::fs::read(&f).ok().as_deref() == Some(&old_cert[..]));
    assert!(in_history, "the replaced certificate is not in history/");
    let audit = cd(&keys, &["--server-config", cfg_s, "audit", "--json"]);
    assert!(
        !audit.stdout.contains("config-key-mismatch"),
        "{}",
        audit.stdout
    );
    let l = cd(&keys, &["acme", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&l.stdout).unwrap();
    assert_eq!(v[0]["cert_file"], "certificate.pem", "{v:#}");
}

/// --server-config application.properties (Spring Boot, the integration-manager seed): the
/// key and chain go into the PKCS#12 keystore under the configured alias, opened with the
/// config's password; keytool -list sees Pebble's chain there, renewals replace it again.
#[test]
fn into_a_pkcs12_keystore_under_its_alias() {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    std::fs::create_dir(&store).unwrap();
    common::keytool_ok(
        &store,
        &[
            "-genkeypair",
            "-alias",
            "tomcat",
            "-keyalg",
            "RSA",
            "-keysize",
            "2048",
            "-keystore",
            "keystore.p12",
            "-storetype",
            "PKCS12",
            "-storepass",
            "changeit",
            "-dname",
            "CN=placeholder",
            "-validity",
            "30",
        ],
    );
    let props = t.path().join("application.properties");
    std::fs::write(
        &props,
        format!(
            "server.port=8443\nserver.ssl.key-store={}/keystore.p12\nserver.ssl.key-store-type=PKCS12\nserver.ssl.key-store-password=changeit\nserver.ssl.key-alias=tomcat\n",
            store.display()
        ),
    )
    .unwrap();
    let props_s = props.to_str().unwrap();
    let p = Pebble::start(t.path(), 0);
    let addr = format!("127.0.0.1:{}", p.http_port);
    let mut args = vec!["--server-config".to_string(), props_s.to_string()];
    args.extend(issue_args(
        &p,
        "app",
        &["--domain", "app.test", "--http-01-standalone", &addr],
    ));
    run(&store, &args).ok();
    let list = |store: &Path| {
        common::keytool_ok(
            store,
            &[
                "-list",
                "-v",
                "-keystore",
                "keystore.p12",
                "-storetype",
                "PKCS12",
                "-storepass",
                "changeit",
                "-alias",
                "tomcat",
            ],
        )
    };
    let out = list(&store);
    assert!(out.contains("PrivateKeyEntry"), "{out}");
    assert!(out.contains("Certificate chain length: 2"), "{out}");
    assert!(out.contains("Pebble Intermediate CA"), "{out}");
    assert!(out.contains("DNSName: app.test"), "{out}");
    let serial = serial_of(&store, "acme/app/cert.pem");
    let keytool_serial = |out: &str| {
        out.lines()
            .find_map(|l| l.trim().strip_prefix("Serial number: "))
            .map(norm_serial)
            .unwrap_or_default()
    };
    assert_eq!(keytool_serial(&out), norm_serial(&serial), "{out}");
    // Only the public copies beside renewal.toml; the key lives in the keystore alone.
    assert!(!store.join("acme/app/privkey.pem").exists());
    assert_eq!(mode_of(&store.join("keystore.p12")), 0o600);
    // Renewed without --server-config: the same alias gets the new chain.
    cd(&store, &["acme", "renew", "app", "--force"]).ok();
    let out = list(&store);
    let renewed = serial_of(&store, "acme/app/cert.pem");
    assert_ne!(renewed, serial);
    assert_eq!(keytool_serial(&out), norm_serial(&renewed), "{out}");
    assert!(out.contains("Certificate chain length: 2"), "{out}");
}

/// Debian's Pebble (2.4) serves no ARI, so a small HTTPS front (Python, Pebble's API
/// certificate) serves Pebble's directory with `renewalInfo` added and answers it with the
/// window the test writes; every other ACME request goes to Pebble itself (the directory's
/// URLs are Pebble's). renew then decides "due" from that window and says so. While the file
/// `limit` holds a Retry-After value, the directory's newOrder is the front's, which answers
/// 429 with a rateLimited problem and that Retry-After, as Let's Encrypt does.
const ARI_FRONT: &str = r#"
import http.server, json, os, ssl, sys, urllib.request
port_file, pebble_dir, cert, key, ca, window_file, seen, limit = sys.argv[1:]
client = ssl.create_default_context(cafile=ca)
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def reply(self, body, extra=()):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra: self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        if self.path == "/dir":
            d = json.load(urllib.request.urlopen(pebble_dir, context=client))
            d["renewalInfo"] = "https://127.0.0.1:%d/renewalInfo" % self.server.server_port
            if os.path.exists(limit):
                d["newOrder"] = "https://127.0.0.1:%d/newOrder" % self.server.server_port
            self.reply(json.dumps(d).encode())
        elif self.path.startswith("/renewalInfo/"):
            open(seen, "a").write(self.path.split("/")[-1] + "\n")
            w = json.load(open(window_file))
            self.reply(json.dumps({"suggestedWindow": w}).encode(), [("Retry-After", "3600")])
        else:
            self.send_error(404)
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path != "/newOrder":
            return self.send_error(404)
        body = json.dumps({"type": "urn:ietf:params:acme:error:rateLimited", "status": 429,
            "detail": "too many new orders (5) from this account in the last 3h"}).encode()
        self.send_response(429)
        self.send_header("Content-Type", "application/problem+json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Retry-After", open(limit).read().strip())
        self.end_headers()
        self.wfile.write(body)
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
tls.load_cert_chain(cert, key)
srv.socket = tls.wrap_socket(srv.socket, server_side=True)
open(port_file + ".tmp", "w").write(str(srv.server_port))
os.rename(port_file + ".tmp", port_file)
srv.serve_forever()
"#;

/// The front, killed by PID when the test ends, passed or not.
struct Front(std::process::Child);

impl Front {
    /// Started in `w` (front.py, its port file, `seen`, `limit`); its directory URL.
    fn start(p: &Pebble, w: &Path, window: &Path) -> (Front, String) {
        std::fs::write(w.join("front.py"), ARI_FRONT).unwrap();
        let port_file = w.join("port");
        let front = Front(
            std::process::Command::new("python3")
                .arg(w.join("front.py"))
                .arg(&port_file)
                .arg(&p.directory)
                .arg(p.dir.join("api.pem"))
                .arg(p.dir.join("api.key"))
                .arg(&p.api_ca)
                .arg(window)
                .arg(w.join("seen"))
                .arg(w.join("limit"))
                .spawn()
                .unwrap(),
        );
        let t0 = std::time::Instant::now();
        while !port_file.exists() {
            assert!(
                t0.elapsed() < std::time::Duration::from_secs(10),
                "front did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let url = format!(
            "https://127.0.0.1:{}/dir",
            std::fs::read_to_string(&port_file).unwrap().trim()
        );
        (front, url)
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn renew_is_due_when_the_ari_window_has_begun() {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    std::fs::create_dir(&store).unwrap();
    let p = Pebble::start(t.path(), 0);
    let w = t.path().join("ari");
    std::fs::create_dir(&w).unwrap();
    let window = w.join("window.json");
    let rfc = |secs: i64| {
        time::OffsetDateTime::from_unix_timestamp(secs)
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let set_window = |start: i64, end: i64| {
        std::fs::write(
            &window,
            serde_json::json!({"start": rfc(start), "end": rfc(end)}).to_string(),
        )
        .unwrap()
    };
    // Ten days from now first: not due (the 90-day certificate's own policy says day 60).
    set_window(now + 10 * 86_400, now + 11 * 86_400);
    let (_front, dir_url) = Front::start(&p, &w, &window);
    let seen = w.join("seen");
    let addr = format!("127.0.0.1:{}", p.http_port);
    let r = cd(
        &store,
        &[
            "acme",
            "issue",
            "web",
            "--domain",
            "a.test",
            "--server",
            &dir_url,
            "--ca-bundle",
            p.api_ca.to_str().unwrap(),
            "--agree-tos",
            "--http-01-standalone",
            &addr,
        ],
    );
    r.ok();
    {
        let renew = |extra: &[&str]| {
            let mut a = vec!["acme", "renew", "--json"];
            a.extend(extra);
            let r = cd(&store, &a);
            let v: serde_json::Value = serde_json::from_str(&r.stdout)
                .unwrap_or_else(|e| panic!("{e}: {}{}", r.stdout, r.stderr));
            (r.code, v)
        };
        let (code, v) = renew(&["--dry-run"]);
        assert_eq!(code, Some(0));
        assert_eq!(v[0]["result"], "not-due", "{v:#}");
        assert_eq!(v[0]["due_at"], rfc(now + 10 * 86_400), "{v:#}");
        assert!(
            v[0]["message"].as_str().unwrap().contains("ARI window"),
            "{v:#}"
        );
        // The identifier asked for is RFC 9773's: base64url(AKI keyIdentifier).base64url(serial).
        let asked = std::fs::read_to_string(&seen).unwrap();
        let serial = serial_of(&store, "acme/web/cert.pem");
        let serial_b64 = {
            use base64::Engine;
            let hex = if serial.len() % 2 == 1 {
                format!("0{serial}")
            } else {
                serial.clone()
            };
            let mut raw: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            // The DER INTEGER's bytes: a leading 0 keeps a high first bit positive.
            if raw[0] & 0x80 != 0 {
                raw.insert(0, 0);
            }
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
        };
        assert!(
            asked
                .lines()
                .any(|l| l.ends_with(&format!(".{serial_b64}"))),
            "{asked} vs serial {serial}"
        );
        // The window has begun: due now, and renew renews (the order goes to Pebble).
        set_window(now - 3600, now + 3600);
        let (_, v) = renew(&["--dry-run"]);
        assert_eq!(v[0]["result"], "would-renew", "{v:#}");
        assert!(
            v[0]["message"]
                .as_str()
                .unwrap()
                .contains("renewal window (ARI) has begun"),
            "{v:#}"
        );
        let (code, v) = renew(&[]);
        assert_eq!(code, Some(0), "{v:#}");
        assert_eq!(v[0]["result"], "renewed", "{v:#}");
        assert_ne!(serial_of(&store, "acme/web/cert.pem"), serial);
    }
}

/// A CA that rate-limits new orders (the front answers newOrder 429 + Retry-After): issue
/// fails with the time to come back, in both of the header's forms, and renew records it as
/// the lineage's last result while the certificate files stay as they were.
#[test]
fn a_rate_limited_order_says_when_to_retry() {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    std::fs::create_dir(&store).unwrap();
    let p = Pebble::start(t.path(), 0);
    let w = t.path().join("front");
    std::fs::create_dir(&w).unwrap();
    let (_front, dir_url) = Front::start(&p, &w, &w.join("no-window.json"));
    let addr = format!("127.0.0.1:{}", p.http_port);
    let issue = |name: &str, domain: &str| {
        cd(
            &store,
            &[
                "acme",
                "issue",
                name,
                "--domain",
                domain,
                "--server",
                &dir_url,
                "--ca-bundle",
                p.api_ca.to_str().unwrap(),
                "--agree-tos",
                "--http-01-standalone",
                &addr,
            ],
        )
    };
    issue("web", "a.test").ok();
    let before = lineage_files(&store, "web");

    // delay-seconds: 14 minutes (15 when the second turns between the two clocks).
    std::fs::write(w.join("limit"), "840").unwrap();
    let r = issue("other", "b.test");
    assert_ne!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(
            "rate limited by the CA: too many new orders (5) from this account in the last 3h (retry after 20"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(" UTC (in 14 min))") || r.stderr.contains(" UTC (in 15 min))"),
        "{}",
        r.stderr
    );
    assert!(!store.join("acme/other").exists());

    // HTTP-date, on a whole minute two hours ahead: that minute is the one shown.
    let at = (time::OffsetDateTime::now_utc().unix_timestamp() / 60 + 120) * 60;
    let at = time::OffsetDateTime::from_unix_timestamp(at).unwrap();
    let http_date = at
        .format(time::macros::format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        ))
        .unwrap();
    let shown = at
        .format(time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute] UTC"
        ))
        .unwrap();
    std::fs::write(w.join("limit"), &http_date).unwrap();
    let r = cd(&store, &["acme", "renew", "web", "--force"]);
    // 1: the renewal failed but the certificate has weeks left.
    assert_eq!(r.code, Some(1), "{}{}", r.stdout, r.stderr);
    let want = format!("(retry after {shown} (in 2 h))");
    assert!(
        r.stdout.contains(&want) || r.stderr.contains(&want),
        "{want} not in {}{}",
        r.stdout,
        r.stderr
    );
    let list = cd(&store, &["acme", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    let last = &v[0]["last"];
    assert_eq!(last["result"], "failed", "{v:#}");
    let msg = last["message"].as_str().unwrap();
    assert!(
        msg.contains("new order: rate limited by the CA") && msg.contains(&want),
        "{msg}"
    );
    assert_eq!(lineage_files(&store, "web"), before);
}
