//! The Appwrite / certbot seed: a fake `/etc/letsencrypt` tree (live/ symlinks into archive/
//! certN.pem, renewal/<name>.conf) built with openssl. certdeck lists the lineages (current
//! version, domains, days left, renewal due) and refuses to write inside certbot's tree.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::Path;

use common::*;
use serde_json::Value;

/// A CA plus one leaf per call, signed with `days` of validity and the given DNS SANs.
fn leaf(dir: &Path, out_prefix: &str, cn: &str, sans: &[&str], days: u32) {
    let san = sans
        .iter()
        .map(|s| format!("DNS:{s}"))
        .collect::<Vec<_>>()
        .join(",");
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{out_prefix}.key"),
            "-out",
            &format!("{out_prefix}.csr"),
            "-subj",
            &format!("/CN={cn}"),
            "-addext",
            &format!("subjectAltName={san}"),
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{out_prefix}.csr"),
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            &days.to_string(),
            "-copy_extensions",
            "copy",
            "-out",
            &format!("{out_prefix}.pem"),
        ],
    );
}

/// `le` = the letsencrypt directory. Lineages: (name, domains, validity days per version,
/// extra renewal conf lines).
fn build_tree(work: &Path, le: &Path, lineages: &[(&str, &[&str], &[u32], &str)]) {
    openssl(
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
            "/CN=Fake LE R3",
        ],
    );
    let ca = std::fs::read(work.join("ca.pem")).unwrap();
    for (name, domains, versions, conf_extra) in lineages {
        let archive = le.join("archive").join(name);
        let live = le.join("live").join(name);
        std::fs::create_dir_all(&archive).unwrap();
        std::fs::create_dir_all(&live).unwrap();
        std::fs::create_dir_all(le.join("renewal")).unwrap();
        for (i, days) in versions.iter().enumerate() {
            let n = i + 1;
            let p = format!("{name}-{n}");
            leaf(work, &p, domains[0], domains, *days);
            let cert = std::fs::read(work.join(format!("{p}.pem"))).unwrap();
            let key = std::fs::read(work.join(format!("{p}.key"))).unwrap();
            write(&archive, &format!("cert{n}.pem"), &cert);
            write(&archive, &format!("chain{n}.pem"), &ca);
            write(
                &archive,
                &format!("fullchain{n}.pem"),
                [cert.clone(), ca.clone()].concat(),
            );
            write(&archive, &format!("privkey{n}.pem"), &key);
        }
        let cur = versions.len();
        for f in ["cert", "chain", "fullchain", "privkey"] {
            symlink(
                format!("../../archive/{name}/{f}{cur}.pem"),
                live.join(format!("{f}.pem")),
            )
            .unwrap();
        }
        write(
            &live,
            "README",
            "This directory contains your keys and certificates.\n",
        );
        write(
            &le.join("renewal"),
            &format!("{name}.conf"),
            format!(
                "# renew_before_expiry = 30 days\nversion = 2.9.0\n\
                 archive_dir = /etc/letsencrypt/archive/{name}\n\
                 cert = /etc/letsencrypt/live/{name}/cert.pem\n{conf_extra}\n\
                 [renewalparams]\nauthenticator = webroot\n\
                 [[webroot_map]]\n{} = /var/www/html\n",
                domains[0]
            ),
        );
    }
}

/// Every path of the tree with its size and a checksum of its contents, or its link target. The
/// store lock file (`.certdeck.lock`, taken before any plan is built) is not store content.
fn snapshot(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    fn walk(root: &Path, d: &Path, out: &mut BTreeMap<String, String>) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            if rel == ".certdeck.lock" {
                continue;
            }
            let m = std::fs::symlink_metadata(&p).unwrap();
            if m.file_type().is_symlink() {
                out.insert(
                    rel,
                    format!("-> {}", std::fs::read_link(&p).unwrap().display()),
                );
            } else if m.is_dir() {
                out.insert(rel.clone(), "dir".into());
                walk(root, &p, out);
            } else {
                let data = std::fs::read(&p).unwrap();
                let sum = data.iter().fold(0u64, |h, b| {
                    h.wrapping_mul(1_099_511_628_211) ^ u64::from(*b)
                });
                out.insert(rel, format!("{} bytes {sum:016x}", data.len()));
            }
        }
    }
    walk(root, root, &mut out);
    out
}

fn lineage<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["lineages"]
        .as_array()
        .unwrap_or_else(|| panic!("no lineages in {v:#}"))
        .iter()
        .find(|l| l["name"] == name)
        .unwrap_or_else(|| panic!("no lineage {name} in {:#}", v["lineages"]))
}

const MSG: &str =
    "owned by certbot: use certbot renew / certbot certonly; certdeck does not write here";

#[test]
fn lineages_and_write_refusal() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    let store = tmp.path().join("etc");
    let le = store.join("letsencrypt");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::create_dir_all(&le).unwrap();
    build_tree(
        &work,
        &le,
        &[
            // Renewed once; the current cert2 has 20 days left: due.
            (
                "example.com",
                &["example.com", "www.example.com"],
                &[80, 20],
                "",
            ),
            // One version, 80 days left: not due.
            ("appwrite.example.org", &["appwrite.example.org"], &[80], ""),
            // 80 days left but renew_before_expiry = 90 days in its conf: due.
            (
                "early.example.net",
                &["early.example.net"],
                &[80],
                "renew_before_expiry = 90 days",
            ),
        ],
    );
    let st = store.to_str().unwrap();
    let v = list_json(&store, &[]);
    // The existing contract is unchanged.
    assert!(v["store"].is_string());
    assert!(!items(&v).is_empty());
    // live/example.com/cert.pem is listed as its archive target with the link.
    let cur = one(&v, "letsencrypt/archive/example.com/cert2.pem");
    assert!(cur["links"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l == "letsencrypt/live/example.com/cert.pem"));
    assert_eq!(
        v["lineages"].as_array().unwrap().len(),
        3,
        "{:#}",
        v["lineages"]
    );

    let l = lineage(&v, "example.com");
    assert_eq!(l["version"], 2);
    assert_eq!(l["dir"], "letsencrypt");
    assert_eq!(
        l["domains"],
        serde_json::json!(["example.com", "www.example.com"])
    );
    let days = l["days_left"].as_i64().unwrap();
    assert!((19..=20).contains(&days), "{l:#}");
    assert_eq!(l["renewal_due"], true);
    assert_eq!(l["cert"], "letsencrypt/archive/example.com/cert2.pem");
    assert_eq!(l["renewal_conf"], "letsencrypt/renewal/example.com.conf");

    let l = lineage(&v, "appwrite.example.org");
    assert_eq!(l["version"], 1);
    assert_eq!(l["renewal_due"], false);
    assert_eq!(l["domains"], serde_json::json!(["appwrite.example.org"]));

    let l = lineage(&v, "early.example.net");
    assert_eq!(l["renewal_due"], true);
    assert_eq!(l["renew_before_days"], 90);

    let table = certdeck(&["--store", st, "list"]);
    table.ok();
    assert!(
        table.stdout.contains("certbot lineages"),
        "{}",
        table.stdout
    );
    assert!(table.stdout.contains("example.com"));

    // Writes inside live/, archive/, renewal/ are refused, dry run included; nothing changes.
    let before = snapshot(&store);
    // The same certificate is also fullchain2.pem#0: select it by path.
    let sha = "letsencrypt/archive/example.com/cert2.pem".to_string();
    assert!(!s(cur, "sha256").is_empty());
    let attempts: Vec<Vec<&str>> = vec![
        vec!["trust", &sha, "--dir", "letsencrypt/live/example.com"],
        vec!["trust", &sha, "--dir", "letsencrypt/archive/example.com"],
        vec![
            "generate",
            "server",
            "--cn",
            "x.example.com",
            "--dir",
            "letsencrypt/live/x",
        ],
        vec![
            "generate",
            "server",
            "--cn",
            "x.example.com",
            "--dir",
            "letsencrypt/live/x",
            "--dry-run",
        ],
        vec!["generate", "dhparam", "--out", "letsencrypt/renewal/dh.pem"],
        vec!["rehash", "letsencrypt/live/example.com"],
    ];
    for a in attempts {
        let mut args = vec!["--store", st];
        args.extend(a.iter().copied());
        let r = certdeck(&args);
        assert_ne!(r.code, Some(0), "{a:?} succeeded:\n{}", r.stdout);
        assert!(r.stderr.contains(MSG), "{a:?}: {}", r.stderr);
        assert_eq!(snapshot(&store), before, "{a:?} changed the store");
    }

    // Outside certbot's tree certdeck still works (e.g. trusting the current cert elsewhere).
    certdeck(&["--store", st, "trust", &sha, "--dir", "trusted"]).ok();
    assert!(store.join("trusted/example.com.pem").exists());
}

/// The store may be the letsencrypt directory itself.
#[test]
fn store_is_the_letsencrypt_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    let le = tmp.path().join("letsencrypt");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::create_dir_all(&le).unwrap();
    build_tree(
        &work,
        &le,
        &[("site", &["site.example"], &[60, 60, 60], "")],
    );
    let v = list_json(&le, &[]);
    let l = lineage(&v, "site");
    assert_eq!(l["version"], 3);
    assert_eq!(l["dir"], "");
    assert_eq!(l["renewal_due"], false);
    let before = snapshot(&le);
    let st = le.to_str().unwrap();
    let r = certdeck(&[
        "--store",
        st,
        "generate",
        "server",
        "--cn",
        "x.example.com",
        "--dir",
        "live/x",
    ]);
    assert_ne!(r.code, Some(0));
    assert!(r.stderr.contains(MSG), "{}", r.stderr);
    assert_eq!(snapshot(&le), before);
}
