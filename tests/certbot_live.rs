//! certbot directories judged by what `live/` points to (issue 14 part 2): a letsencrypt tree
//! built with openssl (`openssl ca` for explicit dates, so a superseded version can be long
//! expired), audited, listed, probed against a stale `openssl s_server`, and written to.

mod common;

use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

fn sh_openssl(dir: &Path, args: &[&str]) {
    let o = Command::new(OPENSSL)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `openssl ca` signing a fresh P-256 key for `cn` from `start` to `end` (YYYYMMDDHHMMSSZ).
fn issue(work: &Path, out: &str, cn: &str, start: &str, end: &str) {
    sh_openssl(
        work,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{out}.key"),
            "-out",
            &format!("{out}.csr"),
            "-subj",
            &format!("/CN={cn}"),
            "-addext",
            &format!("subjectAltName=DNS:{cn}"),
        ],
    );
    sh_openssl(
        work,
        &[
            "ca",
            "-batch",
            "-config",
            "ca.cnf",
            "-notext",
            "-in",
            &format!("{out}.csr"),
            "-out",
            &format!("{out}.pem"),
            "-startdate",
            start,
            "-enddate",
            end,
        ],
    );
}

fn ymd(t: time::OffsetDateTime) -> String {
    format!(
        "{:04}{:02}{:02}000000Z",
        t.year(),
        u8::from(t.month()),
        t.day()
    )
}

/// (name, [(start, end)] per version, renewal conf extra lines).
type LineageSpec<'a> = (&'a str, Vec<(String, String)>, &'a str);

/// A letsencrypt dir `le` with `lineages`.
fn build(work: &Path, le: &Path, lineages: &[LineageSpec]) {
    std::fs::create_dir_all(work.join("newcerts")).unwrap();
    write(work, "index.txt", "");
    write(work, "serial", "1000\n");
    write(
        work,
        "ca.cnf",
        "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=newcerts\nserial=serial\n\
         certificate=ca.pem\nprivate_key=ca.key\ndefault_md=sha256\npolicy=p\n\
         copy_extensions=copy\nunique_subject=no\n[p]\ncommonName=supplied\n",
    );
    sh_openssl(
        work,
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
            "3650",
            "-subj",
            "/CN=Fake LE E5",
        ],
    );
    let ca = std::fs::read(work.join("ca.pem")).unwrap();
    for (name, versions, extra) in lineages {
        let archive = le.join("archive").join(name);
        let live = le.join("live").join(name);
        std::fs::create_dir_all(&archive).unwrap();
        std::fs::create_dir_all(&live).unwrap();
        std::fs::create_dir_all(le.join("renewal")).unwrap();
        for (i, (start, end)) in versions.iter().enumerate() {
            let n = i + 1;
            let p = format!("{name}-{n}");
            issue(work, &p, name, start, end);
            let cert = std::fs::read(work.join(format!("{p}.pem"))).unwrap();
            write(&archive, &format!("cert{n}.pem"), &cert);
            write(&archive, &format!("chain{n}.pem"), &ca);
            write(
                &archive,
                &format!("fullchain{n}.pem"),
                [cert, ca.clone()].concat(),
            );
            let key = write(
                &archive,
                &format!("privkey{n}.pem"),
                std::fs::read(work.join(format!("{p}.key"))).unwrap(),
            );
            // As certbot writes them.
            std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600))
                .unwrap();
        }
        for f in ["cert", "chain", "fullchain", "privkey"] {
            symlink(
                format!("../../archive/{name}/{f}{}.pem", versions.len()),
                live.join(format!("{f}.pem")),
            )
            .unwrap();
        }
        write(
            &le.join("renewal"),
            &format!("{name}.conf"),
            format!(
                "version = 2.1.0\narchive_dir = /etc/letsencrypt/archive/{name}\n\
                 cert = /etc/letsencrypt/live/{name}/cert.pem\n{extra}\n\
                 [renewalparams]\nauthenticator = webroot\naccount = 0123\n\
                 server = https://acme-staging-v02.api.letsencrypt.org/directory\n\
                 key_type = ecdsa\n[[webroot_map]]\n{name} = /var/www/html\n"
            ),
        );
    }
    // certbot's other directories.
    for d in ["keys", "csr", "accounts", "renewal-hooks/deploy"] {
        std::fs::create_dir_all(le.join(d)).unwrap();
    }
}

fn tree(tmp: &Path) -> std::path::PathBuf {
    let now = time::OffsetDateTime::now_utc();
    let d = |n: i64| ymd(now + time::Duration::days(n));
    let work = tmp.join("work");
    let le = tmp.join("le");
    std::fs::create_dir_all(&work).unwrap();
    build(
        &work,
        &le,
        &[
            // v1 expired 200 days ago; v2 current with 60 days left.
            (
                "a.test",
                vec![(d(-300), d(-200)), (d(-30), d(60))],
                "renew_before_expiry = 4 months",
            ),
            // Both valid; the server below still serves v1.
            (
                "b.test",
                vec![(d(-40), d(50)), (d(-2), d(88))],
                "renew_before_expiry = 95\nrenew_hook = systemctl reload nginx",
            ),
            ("c.test", vec![(d(-2), d(88))], "renew_before_expiry = soon"),
            (
                "d.test",
                vec![(d(-2), d(88))],
                "renew_before_expiry = 6 months 1 week",
            ),
        ],
    );
    le
}

fn lineage<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["lineages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == name)
        .unwrap_or_else(|| panic!("no lineage {name}: {v:#}"))
}

fn audit(le: &Path) -> (Value, Option<i32>) {
    let r = certdeck(&["audit", "--store", le.to_str().unwrap(), "--json"]);
    (serde_json::from_str(&r.stdout).unwrap(), r.code)
}

fn codes_at<'a>(a: &'a Value, path: &str) -> Vec<&'a str> {
    a["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == path)
        .map(|f| f["code"].as_str().unwrap())
        .collect()
}

#[test]
fn superseded_versions_are_history_and_lineages_say_what_certbot_does() {
    let tmp = tempfile::tempdir().unwrap();
    let le = tree(tmp.path());
    let (a, code) = audit(&le);
    // cert1 of a.test expired long ago: not CRITICAL, only INFO superseded for its lineage.
    for f in ["cert1.pem", "fullchain1.pem"] {
        let c = codes_at(&a, &format!("archive/a.test/{f}"));
        assert!(!c.contains(&"expired"), "{f}: {c:?}\n{a:#}");
    }
    assert_eq!(codes_at(&a, "archive/a.test"), vec!["superseded"]);
    assert!(
        !a["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["severity"] == "critical"),
        "{a:#}"
    );
    // Nothing reloads a.test (no hook, no reload_command): WARNING; b.test has a renew_hook.
    assert!(codes_at(&a, "renewal/a.test.conf").contains(&"no-reload-after-renewal"));
    assert!(!codes_at(&a, "renewal/b.test.conf").contains(&"no-reload-after-renewal"));
    // An unreadable renew_before_expiry is said, with the value.
    let c = a["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "renewal-conf-unparsed")
        .expect("renewal-conf-unparsed");
    assert_eq!(c["path"], "renewal/c.test.conf");
    assert!(c["message"].as_str().unwrap().contains("\"soon\""), "{c}");
    assert_eq!(code, Some(1));

    let v = list_json(&le, &[]);
    let l = lineage(&v, "a.test");
    assert_eq!(l["version"], 2);
    // 4 calendar months from today: 120..=123 days; 60 days left: due.
    let days = l["renew_before_days"].as_i64().unwrap();
    assert!((120..=123).contains(&days), "{l:#}");
    assert_eq!(l["renewal_due"], true);
    assert_eq!(l["authenticator"], "webroot");
    assert_eq!(l["environment"], "staging");
    assert_eq!(l["autorenew"], true);
    assert_eq!(l["key_type"], "EC P-256");
    let serial = x509_field(&le, "archive/a.test/cert2.pem", "-serial");
    assert_eq!(
        l["serial"].as_str().unwrap(),
        serial.trim_start_matches("serial=").to_lowercase()
    );
    let l = lineage(&v, "b.test");
    assert_eq!(l["renew_before_days"], 95, "a bare number is days");
    assert_eq!(l["renewal_due"], true);
    assert_eq!(l["hooks"]["deploy_hook"], "systemctl reload nginx");
    let l = lineage(&v, "d.test");
    let days = l["renew_before_days"].as_i64().unwrap();
    assert!((188..=191).contains(&days), "{l:#}");
    let l = lineage(&v, "c.test");
    assert_eq!(l["renew_before_days"], 30);
    assert!(l["renew_before_error"].as_str().unwrap().contains("soon"));

    // A deploy hook in renewal-hooks/deploy/ covers every lineage.
    write(
        &le.join("renewal-hooks/deploy"),
        "reload.sh",
        "#!/bin/sh\nsystemctl reload nginx\n",
    );
    let (a, _) = audit(&le);
    assert!(!a["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == "no-reload-after-renewal"));
}

/// `openssl s_server` on a free loopback port, stopped by PID when dropped.
struct Server(std::process::Child, u16);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(cert: &Path, key: &Path) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(OPENSSL)
        .args(["s_server", "-quiet", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(cert)
        .arg("-key")
        .arg(key)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "s_server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Server(child, port)
}

#[test]
fn probe_of_a_server_still_serving_the_old_version_says_not_reloaded() {
    let tmp = tempfile::tempdir().unwrap();
    let le = tree(tmp.path());
    let st = le.to_str().unwrap();
    let old = serve(
        &le.join("archive/b.test/cert1.pem"),
        &le.join("archive/b.test/privkey1.pem"),
    );
    let target = format!("127.0.0.1:{}", old.1);
    let r = certdeck(&[
        "probe",
        &target,
        "--servername",
        "b.test",
        "--store",
        st,
        "--json",
    ]);
    assert_eq!(r.code, Some(1), "{}\n{}", r.stdout, r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["comparison"]["verdict"], "not_reloaded", "{v:#}");
    let msg = v["comparison"]["message"].as_str().unwrap();
    assert!(msg.contains("live/b.test/cert.pem"), "{msg}");
    drop(old);

    let cur = serve(
        &le.join("live/b.test/cert.pem"),
        &le.join("live/b.test/privkey.pem"),
    );
    let target = format!("127.0.0.1:{}", cur.1);
    let r = certdeck(&[
        "probe",
        &target,
        "--servername",
        "b.test",
        "--store",
        st,
        "--json",
    ]);
    assert_eq!(r.code, Some(0), "{}\n{}", r.stdout, r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["comparison"]["verdict"], "matches", "{v:#}");
}

#[test]
fn refused_writes_into_certbot_dirs_leave_no_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let le = tree(tmp.path());
    let st = le.to_str().unwrap();
    for dir in [
        "keys",
        "csr",
        "accounts",
        "renewal-hooks/deploy",
        "live/a.test",
    ] {
        let r = certdeck(&[
            "--store", st, "generate", "server", "--cn", "x.test", "--dir", dir,
        ]);
        assert_ne!(r.code, Some(0), "{dir}: {}", r.stdout);
        assert!(r.stderr.contains("owned by certbot"), "{dir}: {}", r.stderr);
        assert!(
            !le.join(".certdeck.lock").exists(),
            "{dir}: a refused write left .certdeck.lock"
        );
    }
    // A write certdeck accepts still works (and takes the lock then).
    certdeck(&[
        "--store", st, "generate", "server", "--cn", "x.test", "--dir", "mine",
    ])
    .ok();
    assert!(le.join("mine").is_dir());
}
