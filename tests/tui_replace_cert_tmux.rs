//! End to end (#16), replace-cert from the TUI at 80x24 and 120x40: the real binary in tmux, started with
//! a real nginx config (`--server-config`), picks the config's site, the new certificate and
//! key (paths in the store); a key that does not pair is refused in the form; the confirmed
//! plan writes them under the names nginx reads, and `nginx -t` accepts the result. Skips
//! (with a message) only when nginx is not installed.

mod common;
mod tmux_support;

use common::cd;
use std::path::{Path, PathBuf};
use std::process::Command;
use tmux_support::*;

fn nginx_bin() -> Option<PathBuf> {
    ["/usr/sbin", "/usr/bin", "/sbin", "/usr/local/sbin"]
        .iter()
        .map(|d| Path::new(d).join("nginx"))
        .find(|p| p.is_file())
}

fn nginx_t(bin: &Path, conf: &Path, tmp: &Path) -> (bool, String) {
    let o = Command::new(bin)
        .arg("-c")
        .arg(conf)
        .arg("-e")
        .arg(tmp.join("error.log"))
        .arg("-t")
        .output()
        .expect("nginx");
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn replace_cert_from_the_tui_and_nginx_accepts_it_80x24_and_120x40() {
    for (w, h) in SIZES {
        replace_cert(w, h);
    }
}

fn replace_cert(w: u16, h: u16) {
    let Some(bin) = nginx_bin() else {
        eprintln!("SKIPPED tui_replace_cert_tmux: no nginx (apt-get install nginx-light)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let base = std::fs::canonicalize(tmp.path()).unwrap();
    let store = base.join("store");
    std::fs::create_dir(&store).unwrap();
    let server = |extra: &[&str]| {
        let mut a = vec![
            "generate",
            "server",
            "--cn",
            "localhost",
            "--san",
            "DNS:localhost",
            "--ca",
            "RC CA",
        ];
        a.extend_from_slice(extra);
        cd(&store, &a).ok();
    };
    cd(&store, &["generate", "ca", "--cn", "RC CA"]).ok();
    server(&[]);
    server(&["--dir", "incoming"]);
    let st = store.display();
    let t = base.display();
    let conf = base.join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            r#"daemon off;
pid {t}/nginx.pid;
error_log {t}/error.log;
events {{ worker_connections 16; }}
http {{
    access_log {t}/access.log;
    client_body_temp_path {t}/body;
    proxy_temp_path {t}/proxy;
    fastcgi_temp_path {t}/fastcgi;
    uwsgi_temp_path {t}/uwsgi;
    scgi_temp_path {t}/scgi;
    server {{
        listen 127.0.0.1:8443 ssl;
        server_name localhost;
        ssl_certificate     {st}/localhost.pem;
        ssl_certificate_key {st}/private/localhost.key;
    }}
}}
"#
        ),
    )
    .unwrap();
    let (ok, err) = nginx_t(&bin, &conf, &base);
    assert!(ok, "nginx -t before: {err}");
    let old_cert = std::fs::read(store.join("localhost.pem")).unwrap();
    let new_cert = std::fs::read(store.join("incoming/localhost.pem")).unwrap();
    let new_key = std::fs::read(store.join("incoming/private/localhost.key")).unwrap();
    assert_ne!(old_cert, new_cert);

    let t = Tmux::certdeck(
        &format!("--store {st} --server-config {}", conf.display()),
        w,
        h,
    );
    t.wait_for("RC CA");
    t.keys(&["/", "-l", "incoming/localhost.pem", "Enter"]);
    t.wait_until("the new certificate selected", |s| {
        s.lines()
            .any(|l| l.contains('›') && l.contains("localhost"))
    });
    // Offered in the certificate's action menu; its key runs it from there.
    t.keys(&["a"]);
    let s = t.wait_for("Actions: ");
    assert!(s.contains("replace a server config's cert"), "{s}");
    t.keys(&["C"]);
    let s = t.wait_for("Replace a server's certificate");
    t.assert_fits(&s);
    assert!(
        line_with(&s, "Config entry").contains("nginx: server localhost"),
        "{s}"
    );
    assert!(
        line_with(&s, "New cert").contains("incoming/localhost.pem"),
        "{s}"
    );
    assert!(
        line_with(&s, "New key").contains("incoming/private/localhost.key"),
        "the paired key is prefilled:\n{s}"
    );
    // The old key does not pair with the new certificate: refused, nothing written.
    t.keys(&["Tab", "C-u", "-l", "private/localhost.key", "Enter"]);
    let s = t.wait_for("does not match the new certificate");
    t.assert_fits(&s);
    assert_eq!(
        std::fs::read(store.join("localhost.pem")).unwrap(),
        old_cert
    );
    t.keys(&["C-u", "-l", "incoming/private/localhost.key", "Enter"]);
    let s = t.wait_for("replace the certificate of nginx: server localhost");
    t.assert_fits(&s);
    assert!(
        s.contains("localhost.pem") && s.contains("private/localhost.key"),
        "{s}"
    );
    t.keys(&["y"]);
    t.wait_for("applied: replace the certificate");
    assert_eq!(
        std::fs::read(store.join("localhost.pem")).unwrap(),
        new_cert
    );
    assert_eq!(
        std::fs::read(store.join("private/localhost.key")).unwrap(),
        new_key
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(store.join("private/localhost.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let (ok, err) = nginx_t(&bin, &conf, &base);
    assert!(ok, "nginx -t after: {err}");
    // The old certificate is in history, not gone.
    let kept = walk(&store.join("history"))
        .into_iter()
        .any(|p| p.ends_with("localhost.pem") && std::fs::read(&p).ok() == Some(old_cert.clone()));
    assert!(kept, "the old certificate is not in history");
    // The report opened in the pager at 80 columns: close it, then quit.
    if t.screen().contains(" Message ") {
        t.keys(&["Escape"]);
        t.wait_until("the pager closed", |s| !s.contains(" Message "));
    }
    t.keys(&["q"]);
    t.wait_for("CERTDECK-EXITED-0");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if e.file_type().map(|f| f.is_dir()).unwrap_or(false) {
                todo.push(p.clone());
            }
            out.push(p);
        }
    }
    out
}
