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
