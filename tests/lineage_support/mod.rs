//! A store with a certbot lineage (two versions, the old one expired) and a certdeck ACME
//! lineage (acme/shop/ with its renewal.toml), made with certdeck's own issuing code.
#![allow(dead_code)]

use certdeck::pki::issue::{generate_key, issue, key_to_pkcs8_pem, IssueRequest};
use certdeck::pki::issue::{KeyType, Profile, SubjectSpec};
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use time::{Duration, OffsetDateTime};

fn write(root: &Path, rel: &str, bytes: &[u8], mode: u32) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, bytes).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A leaf for `names` valid from `from` to `to` days from `now`: (cert PEM, key PEM).
fn leaf(names: &[&str], now: OffsetDateTime, from: i64, to: i64) -> (String, String) {
    let key = generate_key(KeyType::EcP256).unwrap();
    let req = IssueRequest {
        profile: Profile::Server,
        subject: SubjectSpec::cn(names[0]),
        sans: names.iter().map(|s| s.to_string()).collect(),
        not_before: now + Duration::days(from),
        not_after: now + Duration::days(to),
        path_len: None,
    };
    let c = issue(&req, &key, None).unwrap();
    (c.cert_pem, key_to_pkcs8_pem(&key).to_string())
}

/// `now`-relative: certbot's a.test v1 expired 5 days ago, v2 (current) has 80 days left
/// and renews 30 days before expiry; ACME shop has 20 of 90 days left (due: a third is 30).
pub fn lineage_store(root: &Path, now: OffsetDateTime) {
    let (c1, k1) = leaf(&["a.test", "www.a.test"], now, -95, -5);
    let (c2, k2) = leaf(&["a.test", "www.a.test"], now, -10, 80);
    write(root, "archive/a.test/cert1.pem", c1.as_bytes(), 0o644);
    write(root, "archive/a.test/privkey1.pem", k1.as_bytes(), 0o600);
    write(root, "archive/a.test/cert2.pem", c2.as_bytes(), 0o644);
    write(root, "archive/a.test/privkey2.pem", k2.as_bytes(), 0o600);
    std::fs::create_dir_all(root.join("live/a.test")).unwrap();
    for f in ["cert", "privkey"] {
        symlink(
            format!("../../archive/a.test/{f}2.pem"),
            root.join(format!("live/a.test/{f}.pem")),
        )
        .unwrap();
    }
    write(
        root,
        "renewal/a.test.conf",
        b"version = 2.1.0\narchive_dir = /etc/letsencrypt/archive/a.test\n\
          cert = /etc/letsencrypt/live/a.test/cert.pem\nrenew_before_expiry = 30 days\n\
          [renewalparams]\nauthenticator = webroot\n\
          server = https://acme-staging-v02.api.letsencrypt.org/directory\n",
        0o644,
    );
    let (c3, k3) = leaf(&["shop.example"], now, -70, 20);
    write(root, "acme/shop/cert.pem", c3.as_bytes(), 0o644);
    write(root, "acme/shop/privkey.pem", k3.as_bytes(), 0o600);
    std::fs::set_permissions(
        root.join("acme/shop"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    write(
        root,
        "acme/shop/renewal.toml",
        br#"name = "shop"
domains = ["shop.example"]
server = "https://127.0.0.1:14000/dir"
key_type = "ec-p256"
cert_file = "acme/shop/cert.pem"
key_file = "acme/shop/privkey.pem"

[challenge]
kind = "http01-standalone"
value = "127.0.0.1:5002"

[last]
at = "2025-12-01T00:00:00Z"
result = "renewed"
message = "serial 0a1b, valid until 2026-01-21"
"#,
        0o644,
    );
}
