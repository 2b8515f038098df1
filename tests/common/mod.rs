//! Shared helpers for the integration tests: run the real `certdeck` binary and the real
//! `openssl` CLI in scratch directories.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const OPENSSL: &str = "/usr/bin/openssl";

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_certdeck")
}

/// Result of one certdeck run.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(&self) -> &Self {
        assert_eq!(
            self.code,
            Some(0),
            "certdeck failed (exit {:?})\nstderr:\n{}\nstdout:\n{}",
            self.code,
            self.stderr,
            self.stdout
        );
        self
    }
}

/// Run certdeck with `args`; kill it and fail the test if it runs longer than `timeout`.
pub fn certdeck_timeout(args: &[&str], timeout: Duration) -> Run {
    let mut child = Command::new(bin())
        .args(args)
        .env_remove("CERTDECK_STORE")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn certdeck");
    // Drain the pipes in threads so a large output cannot deadlock the child.
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = so.read_to_end(&mut b);
        b
    });
    let t_err = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = se.read_to_end(&mut b);
        b
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait certdeck") {
            break s;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!("certdeck {args:?} did not finish within {timeout:?} (killed)");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&t_out.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&t_err.join().unwrap()).into_owned(),
    }
}

pub fn certdeck(args: &[&str]) -> Run {
    certdeck_timeout(args, Duration::from_secs(120))
}

/// `certdeck list --store DIR --json [extra...]`, parsed; exit code 0 required.
pub fn list_json(store: &Path, extra: &[&str]) -> Value {
    let s = store.to_str().expect("utf-8 temp path");
    let mut args = vec!["list", "--store", s, "--json"];
    args.extend_from_slice(extra);
    let r = certdeck(&args);
    r.ok();
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("list --json is not JSON ({e}):\n{}", r.stdout))
}

pub fn items(v: &Value) -> &Vec<Value> {
    v["items"].as_array().expect("items array")
}

/// Every item whose `path` equals `path`.
pub fn at<'a>(v: &'a Value, path: &str) -> Vec<&'a Value> {
    items(v).iter().filter(|i| i["path"] == path).collect()
}

/// The single item at `path` (panics with the listing otherwise).
pub fn one<'a>(v: &'a Value, path: &str) -> &'a Value {
    let m = at(v, path);
    assert_eq!(m.len(), 1, "expected one item at {path}, got {m:#?}");
    m[0]
}

pub fn s<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("field {field} missing or not a string in {v:#}"))
}

/// Run openssl in `dir`; panic with stderr when it fails.
pub fn openssl(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(OPENSSL)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// openssl with `input` on stdin.
pub fn openssl_stdin(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(OPENSSL)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run openssl");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn stdout_of(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// One line of `openssl x509 -noout -<what>` output, e.g. `-subject_hash`.
pub fn x509_field(dir: &Path, file: &str, what: &str) -> String {
    let o = openssl(dir, &["x509", "-in", file, "-noout", what]);
    stdout_of(&o).trim().to_string()
}

/// `notAfter=Mar 20 00:00:00 2046 GMT` (or the bare date) -> `2046-03-20T00:00:00Z`.
pub fn openssl_date_to_rfc3339(s: &str) -> String {
    let s = s.split_once('=').map(|(_, v)| v).unwrap_or(s);
    let f: Vec<&str> = s.split_whitespace().collect();
    assert!(
        f.len() == 5 && f[4] == "GMT",
        "unexpected openssl date {s:?}"
    );
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == f[0])
    .unwrap_or_else(|| panic!("bad month in {s:?}"))
        + 1;
    let day: u32 = f[1].parse().unwrap();
    format!("{}-{:02}-{:02}T{}Z", f[3], month, day, f[2])
}

/// `AB:CD:...` -> `abcd...`
pub fn unhex_colons(s: &str) -> String {
    s.replace(':', "").to_ascii_lowercase()
}

pub fn write(dir: &Path, name: &str, data: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

pub fn copy(from: &Path, to_dir: &Path, name: &str) {
    std::fs::copy(from, to_dir.join(name)).unwrap();
}

/// A small PKI made with openssl in `dir`: file names are returned for reuse.
pub struct Pki {
    pub dir: PathBuf,
}

impl Pki {
    pub fn new(dir: &Path) -> Pki {
        std::fs::create_dir_all(dir).unwrap();
        Pki {
            dir: dir.to_path_buf(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }

    /// Self-signed CA `name.pem` / `name.key` (EC P-256, PKCS#8 key).
    pub fn root(&self, name: &str, subj: &str) {
        openssl(
            &self.dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.pem"),
                "-subj",
                subj,
                "-days",
                "3650",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
                "-addext",
                "subjectKeyIdentifier=hash",
            ],
        );
    }

    /// `name.pem` / `name.key` signed by `issuer` (`issuer.pem` + `issuer.key`).
    pub fn signed(&self, name: &str, subj: &str, issuer: &str, ca: bool, key: KeyType) {
        let keyopts: Vec<&str> = match key {
            KeyType::P256 => vec!["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
            KeyType::Rsa2048 => vec!["-newkey", "rsa:2048"],
        };
        let mut args = vec!["req", "-new"];
        args.extend(keyopts);
        let keyout = format!("{name}.key");
        let csr = format!("{name}.csr");
        args.extend(["-nodes", "-keyout", &keyout, "-out", &csr, "-subj", subj]);
        openssl(&self.dir, &args);
        let ext = if ca {
            "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n\
             subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n"
                .to_string()
        } else {
            let cn = subj.rsplit("CN=").next().unwrap_or("x").to_string();
            format!(
                "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n\
                 extendedKeyUsage=serverAuth\nsubjectAltName=DNS:{cn},IP:192.0.2.7\n\
                 subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n"
            )
        };
        let extfile = format!("{name}.ext");
        write(&self.dir, &extfile, ext);
        openssl(
            &self.dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                &format!("{issuer}.pem"),
                "-CAkey",
                &format!("{issuer}.key"),
                "-CAcreateserial",
                "-days",
                "825",
                "-extfile",
                &extfile,
                "-out",
                &format!("{name}.pem"),
            ],
        );
    }

    pub fn field(&self, file: &str, what: &str) -> String {
        x509_field(&self.dir, file, what)
    }

    /// Lowercase hex SHA-256 fingerprint as openssl computes it.
    pub fn sha256(&self, file: &str) -> String {
        let o = openssl(
            &self.dir,
            &["x509", "-in", file, "-noout", "-fingerprint", "-sha256"],
        );
        let line = stdout_of(&o);
        unhex_colons(line.trim().split_once('=').unwrap().1)
    }

    pub fn serial(&self, file: &str) -> String {
        self.field(file, "-serial")
            .split_once('=')
            .unwrap()
            .1
            .to_ascii_lowercase()
    }
}

#[derive(Clone, Copy)]
pub enum KeyType {
    P256,
    Rsa2048,
}

/// `certdeck <args> --store STORE` (the store flag appended).
pub fn cd(store: &Path, args: &[&str]) -> Run {
    let mut a: Vec<&str> = args.to_vec();
    a.extend(["--store", store.to_str().expect("utf-8 temp path")]);
    certdeck(&a)
}

/// Everything under `root` (recursively, links not followed) as `path -> description`:
/// `dir 0700`, `file 0600 <sha256>`, `link -> target`. Paths in `skip` (store-relative) are
/// left out. Two equal snapshots mean nothing was created, removed, rewritten or re-moded.
pub fn snapshot(root: &Path, skip: &[&str]) -> std::collections::BTreeMap<String, String> {
    use sha2::{Digest, Sha256};
    use std::os::unix::fs::PermissionsExt;
    fn walk(
        root: &Path,
        dir: &Path,
        skip: &[&str],
        out: &mut std::collections::BTreeMap<String, String>,
    ) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if skip.contains(&rel.as_str()) {
                continue;
            }
            let md = std::fs::symlink_metadata(&p).unwrap();
            let mode = md.permissions().mode() & 0o7777;
            if md.file_type().is_symlink() {
                let t = std::fs::read_link(&p).unwrap();
                out.insert(rel, format!("link -> {}", t.display()));
            } else if md.is_dir() {
                out.insert(rel, format!("dir {mode:04o}"));
                walk(root, &p, skip, out);
            } else {
                let data = std::fs::read(&p).unwrap();
                out.insert(
                    rel,
                    format!("file {mode:04o} {}", hex::encode(Sha256::digest(&data))),
                );
            }
        }
    }
    let mut out = Default::default();
    walk(root, root, skip, &mut out);
    out
}

/// File mode bits (no type bits) of `p`, links not followed.
pub fn mode_of(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

/// Run any program with a time limit: (exit code, stdout, stderr); killed and reported as
/// exit code None when it runs longer than `timeout`.
pub fn run_with_timeout(
    program: &str,
    args: &[&str],
    dir: &Path,
    stdin: Option<&[u8]>,
    timeout: Duration,
) -> (Option<i32>, String, String) {
    use std::io::Write;
    let mut child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    if let Some(input) = stdin {
        let mut si = child.stdin.take().unwrap();
        let input = input.to_vec();
        // Written from a thread: a child that never reads must not block us.
        std::thread::spawn(move || {
            let _ = si.write_all(&input);
            // Dropping `si` closes the pipe.
        });
    }
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = so.read_to_end(&mut b);
        b
    });
    let t_err = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = se.read_to_end(&mut b);
        b
    });
    let start = Instant::now();
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code();
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (
        code,
        String::from_utf8_lossy(&t_out.join().unwrap()).into_owned(),
        String::from_utf8_lossy(&t_err.join().unwrap()).into_owned(),
    )
}

/// The `name -> target` of every symlink directly in `dir`.
pub fn links_in(dir: &Path) -> std::collections::BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_symlink())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_link(e.path())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            )
        })
        .collect()
}

/// Run the real keytool in `dir` (C locale); success and stdout+stderr.
pub fn keytool(dir: &Path, args: &[&str]) -> (bool, String) {
    let o = Command::new("/usr/bin/keytool")
        .args(args)
        .current_dir(dir)
        .env("LC_ALL", "C")
        .output()
        .expect("run keytool");
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

/// keytool that must succeed; its output.
pub fn keytool_ok(dir: &Path, args: &[&str]) -> String {
    let (ok, out) = keytool(dir, args);
    assert!(ok, "keytool {args:?} failed:\n{out}");
    out
}
