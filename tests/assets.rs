//! assets/: the example config loads with certdeck's own loader and uses every key it
//! accepts; the systemd units pass `systemd-analyze verify`; the textfile wrapper publishes
//! real audits of real stores atomically, on OK/WARNING/CRITICAL, and keeps the previous
//! file on UNKNOWN. The exporter's unit verifies too, its alert rules pass `promtool check rules`
//! and `promtool test rules`, and the Grafana dashboard queries only metrics the exporter has.

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use certdeck::config::{self, Layout};
use common::{bin, OPENSSL};

fn asset(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join(name)
}

/// `pub NAME:` fields of `pub struct NAME` in src/config.rs that serde reads (not `skip`).
fn loader_keys(strukt: &str) -> Vec<String> {
    let src = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/config.rs"))
        .expect("src/config.rs");
    let start = src
        .find(&format!("pub struct {strukt} {{"))
        .unwrap_or_else(|| panic!("struct {strukt} not in src/config.rs"));
    let body = &src[start..start + src[start..].find("\n}").unwrap()];
    let mut keys = Vec::new();
    let mut skip = false;
    for line in body.lines().map(str::trim) {
        if line.starts_with("#[serde(skip") {
            skip = true;
        } else if let Some(rest) = line.strip_prefix("pub ") {
            if let Some((name, _)) = rest.split_once(':') {
                if !std::mem::take(&mut skip) {
                    keys.push(name.to_string());
                }
            }
        }
    }
    assert!(!keys.is_empty(), "no fields parsed from {strukt}");
    keys
}

#[test]
fn example_config_loads_and_uses_every_key() {
    let file = asset("config.example.toml");
    let cfg = config::load(&file).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.default_store.as_deref(), Some("web"));
    assert_eq!((cfg.warn_days, cfg.crit_days), (Some(30), Some(7)));
    assert_eq!(cfg.safe_stores, vec![PathBuf::from("/srv/shared/tls")]);
    assert_eq!(
        cfg.stores.keys().collect::<Vec<_>>(),
        ["letsencrypt", "system", "web"]
    );
    let web = &cfg.stores["web"];
    assert_eq!(web.path, PathBuf::from("/etc/nginx/ssl"));
    assert_eq!(web.layout, Some(Layout::Nginx));
    assert_eq!(
        web.server_configs,
        [
            "/etc/nginx/nginx.conf",
            "nginx:/etc/nginx/sites-enabled/example.conf"
        ]
    );
    assert_eq!(web.trust_dir.as_deref(), Some("trusted"));
    assert_eq!(web.trust_bundle.as_deref(), Some("trusted/ca-bundle.pem"));
    assert_eq!(
        web.reload_command.as_deref(),
        Some("systemctl reload nginx")
    );
    assert_eq!((web.warn_days, web.crit_days), (Some(21), Some(5)));
    let le = &cfg.stores["letsencrypt"];
    assert_eq!(
        (le.path.as_path(), le.layout),
        (Path::new("/etc/letsencrypt"), Some(Layout::Certbot))
    );
    let sys = &cfg.stores["system"];
    assert_eq!(
        (sys.path.as_path(), sys.layout),
        (Path::new("/etc/ssl/certs"), Some(Layout::Capath))
    );
    assert_eq!(cfg.select(None).dir, Some(PathBuf::from("/etc/nginx/ssl")));

    // Every key the loader reads appears in the example, so a new key fails here until it
    // is documented there (unknown keys already fail the load: deny_unknown_fields).
    let table: toml::Table = toml::from_str(&fs::read_to_string(&file).unwrap()).unwrap();
    for key in loader_keys("Config") {
        assert!(table.contains_key(&key), "example lacks top-level `{key}`");
    }
    let web_table = table["stores"]["web"].as_table().unwrap();
    for key in loader_keys("StoreConfig") {
        assert!(
            web_table.contains_key(&key),
            "example lacks stores.web.{key}"
        );
    }
}

#[test]
fn systemd_units_verify() {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED systemd_units_verify: no systemd-analyze (apt-get install systemd)");
        return;
    }
    let service = fs::read_to_string(asset("certdeck-audit.service")).unwrap();
    let timer = fs::read_to_string(asset("certdeck-audit.timer")).unwrap();
    let values = |unit: &str, key: &str| -> Vec<String> {
        unit.lines()
            .filter_map(|l| l.strip_prefix(&format!("{key}=")))
            .map(str::to_string)
            .collect()
    };
    // The hardening the brief asks for, and the one writable path is the textfile dir.
    for (key, want) in [
        ("ProtectSystem", "strict"),
        ("NoNewPrivileges", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateNetwork", "yes"),
        ("ProtectHome", "read-only"),
        ("SuccessExitStatus", "1 2"),
        ("Type", "oneshot"),
        ("ExecStart", "/usr/lib/certdeck/certdeck-audit-textfile"),
    ] {
        assert_eq!(values(&service, key), [want], "service {key}=");
    }
    assert_eq!(
        values(&service, "ReadWritePaths"),
        ["-/var/lib/prometheus/node-exporter"]
    );
    assert_eq!(
        values(&service, "Environment")
            .iter()
            .filter(|e| e.starts_with("CERTDECK_TEXTFILE_DIR="))
            .collect::<Vec<_>>(),
        ["CERTDECK_TEXTFILE_DIR=/var/lib/prometheus/node-exporter"]
    );
    assert_eq!(values(&timer, "OnCalendar"), ["hourly"]);
    assert_eq!(values(&timer, "RandomizedDelaySec").len(), 1);

    // verify needs ExecStart to exist and the standard targets: a scratch root laid out as
    // the package installs it, with the host's targets and slices.
    let root = tempfile::tempdir().unwrap();
    let units = root.path().join("usr/lib/systemd/system");
    fs::create_dir_all(&units).unwrap();
    fs::create_dir_all(root.path().join("usr/lib/certdeck")).unwrap();
    fs::copy(
        asset("certdeck-audit-textfile"),
        root.path().join("usr/lib/certdeck/certdeck-audit-textfile"),
    )
    .unwrap();
    for host_dir in ["/usr/lib/systemd/system", "/lib/systemd/system"] {
        for e in fs::read_dir(host_dir).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if (name.ends_with(".target") || name.ends_with(".slice"))
                && e.file_type().is_ok_and(|t| t.is_file())
            {
                let _ = fs::copy(e.path(), units.join(&name));
            }
        }
    }
    let verify = |service_text: &str| -> Output {
        fs::write(units.join("certdeck-audit.service"), service_text).unwrap();
        fs::write(units.join("certdeck-audit.timer"), &timer).unwrap();
        Command::new("systemd-analyze")
            .args(["verify", "--man=no"])
            .arg(format!("--root={}", root.path().display()))
            .args(["certdeck-audit.service", "certdeck-audit.timer"])
            .output()
            .unwrap()
    };
    let out = verify(&service);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "systemd-analyze verify: {:?}\n{stderr}",
        out.status
    );
    // The check has teeth: a misspelt directive is reported (verify exits 0 for it).
    let out = verify(&service.replace("NoNewPrivileges=", "NoNewPrivilege="));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("NoNewPrivilege"),
        "a typo went unnoticed"
    );
}

/// A scratch machine: textfile dir, config, stores.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Self {
        let s = Scratch {
            dir: tempfile::tempdir().unwrap(),
        };
        fs::create_dir(s.textfile()).unwrap();
        s
    }
    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }
    fn textfile(&self) -> PathBuf {
        self.path("textfile")
    }
    fn prom(&self, name: &str) -> PathBuf {
        self.textfile().join(name)
    }
    /// Files in the textfile dir, hidden temp files included.
    fn listing(&self) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(self.textfile())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
    fn demo_store(&self) -> PathBuf {
        let d = self.path("demo");
        let out = Command::new(bin())
            .args(["demo", "--no-tui"])
            .arg(&d)
            .output()
            .unwrap();
        assert!(out.status.success(), "demo: {out:?}");
        d
    }
    /// One self-signed EC certificate with a SAN, valid 100 days, key 0600: OK at the
    /// default thresholds, WARNING with --warn-days 200, CRITICAL with --crit-days 200.
    fn hundred_day_store(&self) -> PathBuf {
        let d = self.path("hundred");
        fs::create_dir(&d).unwrap();
        let out = Command::new(OPENSSL)
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .args(["ec_paramgen_curve:P-256", "-nodes", "-days", "100"])
            .args(["-subj", "/CN=hundred.test", "-addext"])
            .args(["subjectAltName=DNS:hundred.test", "-keyout"])
            .arg(d.join("hundred.key"))
            .arg("-out")
            .arg(d.join("hundred.crt"))
            .output()
            .unwrap();
        assert!(out.status.success(), "openssl: {out:?}");
        fs::set_permissions(d.join("hundred.key"), fs::Permissions::from_mode(0o600)).unwrap();
        d
    }
    fn write_config(&self, text: &str) -> PathBuf {
        let c = self.path("config.toml");
        fs::write(&c, text).unwrap();
        c
    }
    /// Run the wrapper as the unit does, with `env` on top; returns (exit code, stderr).
    fn run(&self, env: &[(&str, &str)]) -> (i32, String) {
        let mut cmd = Command::new(asset("certdeck-audit-textfile"));
        for var in [
            "CERTDECK_STORE",
            "CERTDECK_CONFIG",
            "CERTDECK_AUDIT_STORES",
            "CERTDECK_AUDIT_ARGS",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("CERTDECK_BIN", bin())
            .env("CERTDECK_TEXTFILE_DIR", self.textfile())
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.path("xdg"))
            .current_dir(self.dir.path());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code().expect("wrapper killed by a signal"),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// The value of `certdeck_audit_status{...}` in a textfile.
fn status_in(prom: &str) -> i32 {
    prom.lines()
        .find_map(|l| l.strip_prefix("certdeck_audit_status{"))
        .and_then(|l| l.rsplit(' ').next())
        .unwrap_or_else(|| panic!("no certdeck_audit_status in:\n{prom}"))
        .parse()
        .unwrap()
}

/// The certificate expiry samples: the same in every audit of an unchanged store (finding
/// counts are not: the demo's CRL turns `crl-expiring` a second after it was made).
fn expiry_lines(prom: &str) -> Vec<&str> {
    let v: Vec<&str> = prom
        .lines()
        .filter(|l| l.starts_with("certdeck_certificate_expiry_timestamp_seconds{"))
        .collect();
    assert!(!v.is_empty(), "no expiry samples in:\n{prom}");
    v
}

#[test]
fn textfile_of_the_demo_store_is_published_atomically_and_kept_on_unknown() {
    let s = Scratch::new();
    s.demo_store();
    let config = s.write_config("default_store = \"demo\"\n[stores.demo]\npath = \"demo\"\n");
    let cfg = config.to_str().unwrap();
    let env = [("CERTDECK_CONFIG", cfg)];

    // What certdeck itself says about the store: the demo holds expired certificates.
    let direct = Command::new(bin())
        .args(["--config", cfg, "audit", "--prometheus"])
        .env_remove("CERTDECK_STORE")
        .output()
        .unwrap();
    assert_eq!(direct.status.code(), Some(2), "{direct:?}");
    let direct = String::from_utf8(direct.stdout).unwrap();

    // CRITICAL (exit 2) is a result: the file is written, world-readable, no temp left.
    let (code, err) = s.run(&env);
    assert_eq!(code, 2, "{err}");
    assert_eq!(s.listing(), ["certdeck.prom"]);
    let first = fs::read_to_string(s.prom("certdeck.prom")).unwrap();
    assert_eq!(expiry_lines(&first), expiry_lines(&direct));
    assert_eq!(status_in(&first), 2);
    let meta = fs::metadata(s.prom("certdeck.prom")).unwrap();
    assert_eq!(meta.mode() & 0o777, 0o644);

    // Replaced by rename: a reader holding the old file keeps reading the whole old file,
    // and the name now points at a new inode.
    let held = fs::File::open(s.prom("certdeck.prom")).unwrap();
    let (code, err) = s.run(&env);
    assert_eq!(code, 2, "{err}");
    assert_ne!(
        fs::metadata(s.prom("certdeck.prom")).unwrap().ino(),
        meta.ino()
    );
    assert_eq!(
        std::io::read_to_string(&held).unwrap(),
        first,
        "rewritten in place"
    );

    // A reader polling during runs never sees an empty or partial file.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (stop, file) = (stop.clone(), s.prom("certdeck.prom"));
        std::thread::spawn(move || {
            let mut reads = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let text = fs::read_to_string(&file).unwrap();
                assert!(
                    text.starts_with("# HELP ")
                        && text.ends_with('\n')
                        && text.contains("\ncertdeck_audit_timestamp_seconds{"),
                    "partial textfile seen:\n{text}"
                );
                reads += 1;
            }
            reads
        })
    };
    for _ in 0..3 {
        assert_eq!(s.run(&env).0, 2);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(reader.join().unwrap() > 0);

    // UNKNOWN (exit 3, a broken config): the previous file stays, byte for byte.
    let before = fs::read_to_string(s.prom("certdeck.prom")).unwrap();
    let ino = fs::metadata(s.prom("certdeck.prom")).unwrap().ino();
    fs::write(
        &config,
        "default_store = \"demo\"\n[stores.demo\npath = 1\n",
    )
    .unwrap();
    let (code, err) = s.run(&env);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("keeping the previous"), "{err}");
    assert!(err.contains("CERTDECK UNKNOWN"), "certdeck's reason: {err}");
    assert_eq!(fs::read_to_string(s.prom("certdeck.prom")).unwrap(), before);
    assert_eq!(fs::metadata(s.prom("certdeck.prom")).unwrap().ino(), ino);
    assert_eq!(s.listing(), ["certdeck.prom"], "temp file left behind");

    // UNKNOWN because the store is gone: also kept.
    s.write_config("default_store = \"demo\"\n[stores.demo]\npath = \"demo\"\n");
    fs::rename(s.path("demo"), s.path("demo.moved")).unwrap();
    let (code, err) = s.run(&env);
    assert_eq!(code, 3, "{err}");
    assert_eq!(fs::read_to_string(s.prom("certdeck.prom")).unwrap(), before);
    assert_eq!(s.listing(), ["certdeck.prom"]);
}

#[test]
fn textfile_follows_ok_warning_critical_per_store() {
    let s = Scratch::new();
    let hundred = s.hundred_day_store();
    s.demo_store();
    let config = s.write_config("[stores.demo]\npath = \"demo\"\n");
    let cfg = config.to_str().unwrap();
    let hundred_s = hundred.to_str().unwrap();
    // A path store gets a file named after the path.
    let hundred_file = format!(
        "certdeck-{}.prom",
        hundred_s.trim_start_matches('/').replace('/', "_")
    );

    // Each status replaces the file: WARNING (1), CRITICAL (2), back to OK (0).
    for (args, want) in [("--warn-days 200", 1), ("--crit-days 200", 2), ("", 0)] {
        let (code, err) = s.run(&[
            ("CERTDECK_CONFIG", cfg),
            ("CERTDECK_AUDIT_STORES", hundred_s),
            ("CERTDECK_AUDIT_ARGS", args),
        ]);
        assert_eq!(code, want, "{args}: {err}");
        assert_eq!(s.listing(), [hundred_file.as_str()]);
        let prom = fs::read_to_string(s.prom(&hundred_file)).unwrap();
        assert_eq!(status_in(&prom), want, "{args}:\n{prom}");
        assert!(prom.contains("cn=\"hundred.test\""), "{prom}");
    }

    // Several stores (a config name and a path as arguments): one file each, the exit
    // status is the worst. The named store's file is named after the name.
    let (code, err) = s.run(&[("CERTDECK_CONFIG", cfg), ("CERTDECK_AUDIT_STORES", "demo")]);
    assert_eq!(code, 2, "{err}");
    let demo = fs::read_to_string(s.prom("certdeck-demo.prom")).unwrap();
    assert_eq!(status_in(&demo), 2);
    let both = format!("demo {hundred_s}");
    let (code, err) = s.run(&[("CERTDECK_CONFIG", cfg), ("CERTDECK_AUDIT_STORES", &both)]);
    assert_eq!(code, 2, "{err}");
    let mut want = vec!["certdeck-demo.prom", hundred_file.as_str()];
    want.sort();
    assert_eq!(s.listing(), want);
    assert_eq!(
        status_in(&fs::read_to_string(s.prom(&hundred_file)).unwrap()),
        0
    );

    // One store UNKNOWN: the other is still published, the run fails.
    let before = fs::read_to_string(s.prom(&hundred_file)).unwrap();
    let (code, err) = s.run(&[
        ("CERTDECK_CONFIG", cfg),
        ("CERTDECK_AUDIT_STORES", "demo /nonexistent/store"),
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("/nonexistent/store"), "{err}");
    assert_eq!(s.listing(), want, "no file for the missing store");
    assert_eq!(fs::read_to_string(s.prom(&hundred_file)).unwrap(), before);
}

#[test]
fn wrapper_refuses_without_a_store_or_textfile_dir() {
    let s = Scratch::new();
    // No store named and no default_store: certdeck would audit the working directory.
    let config = s.write_config("[stores.a]\npath = \"a\"\n");
    let (code, err) = s.run(&[("CERTDECK_CONFIG", config.to_str().unwrap())]);
    assert_eq!(code, 3);
    assert!(err.contains("no store to audit"), "{err}");
    assert!(s.listing().is_empty());

    let missing = s.path("no-such-dir");
    let (code, err) = s.run(&[
        ("CERTDECK_TEXTFILE_DIR", missing.to_str().unwrap()),
        ("CERTDECK_STORE", "/etc/ssl/certs"),
    ]);
    assert_eq!(code, 3);
    assert!(err.contains("does not exist"), "{err}");
}

#[test]
fn exporter_alert_rules_check_and_an_expiring_certificate_fires() {
    let promtool = |args: &[&str]| {
        let out = Command::new("promtool")
            .args(args)
            .current_dir(asset(""))
            .output()
            .expect("promtool (apt-get install prometheus)");
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), text)
    };
    let (ok, text) = promtool(&["check", "rules", "certdeck-alerts.yml"]);
    assert!(ok && text.contains("SUCCESS: 5 rules found"), "{text}");
    // The unit tests (certdeck-alerts.test.yml) expect expiring, expired, critical and
    // exporter-down alerts to fire, and no early firing before their `for`.
    let (ok, text) = promtool(&["test", "rules", "certdeck-alerts.test.yml"]);
    assert!(ok && text.contains("SUCCESS"), "{text}");
    // The test has teeth: with the expiring alert's `for` far longer, the expected alert is missing.
    let dir = tempfile::tempdir().unwrap();
    let rules = fs::read_to_string(asset("certdeck-alerts.yml")).unwrap();
    let slow = rules.replacen("for: 15m", "for: 2h", 1);
    assert_ne!(slow, rules);
    fs::write(dir.path().join("certdeck-alerts.yml"), slow).unwrap();
    fs::copy(
        asset("certdeck-alerts.test.yml"),
        dir.path().join("certdeck-alerts.test.yml"),
    )
    .unwrap();
    let out = Command::new("promtool")
        .args(["test", "rules", "certdeck-alerts.test.yml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success(), "a broken rule passed its test");
}

#[test]
fn exporter_unit_verifies_and_is_read_only() {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED exporter_unit_verifies_and_is_read_only: no systemd-analyze");
        return;
    }
    let service = fs::read_to_string(asset("certdeck-exporter.service")).unwrap();
    let values = |key: &str| -> Vec<String> {
        service
            .lines()
            .filter_map(|l| l.strip_prefix(&format!("{key}=")))
            .map(str::to_string)
            .collect()
    };
    for (key, want) in [
        ("ProtectSystem", "strict"),
        ("NoNewPrivileges", "yes"),
        ("ProtectHome", "read-only"),
        ("CapabilityBoundingSet", "CAP_DAC_READ_SEARCH"),
    ] {
        assert_eq!(values(key), [want], "{key}=");
    }
    assert!(values("ReadWritePaths").is_empty(), "nothing is writable");
    let root = tempfile::tempdir().unwrap();
    let units = root.path().join("usr/lib/systemd/system");
    fs::create_dir_all(&units).unwrap();
    fs::create_dir_all(root.path().join("usr/bin")).unwrap();
    fs::copy(bin(), root.path().join("usr/bin/certdeck")).unwrap();
    for host_dir in ["/usr/lib/systemd/system", "/lib/systemd/system"] {
        for e in fs::read_dir(host_dir).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if (name.ends_with(".target") || name.ends_with(".slice"))
                && e.file_type().is_ok_and(|t| t.is_file())
            {
                let _ = fs::copy(e.path(), units.join(&name));
            }
        }
    }
    fs::write(units.join("certdeck-exporter.service"), &service).unwrap();
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(format!("--root={}", root.path().display()))
        .arg("certdeck-exporter.service")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "systemd-analyze verify: {:?}\n{stderr}",
        out.status
    );
}

#[test]
fn grafana_dashboard_queries_metrics_the_exporter_has() {
    use certdeck::exporter::metrics::{render, Format, Options};
    let text = fs::read_to_string(asset("certdeck-grafana-dashboard.json")).unwrap();
    let dash: serde_json::Value = serde_json::from_str(&text).unwrap();
    let families: Vec<String> = render(
        &[],
        &Options {
            x509_compat: true,
            now: 0,
        },
        Format::Text,
    )
    .lines()
    .filter_map(|l| l.strip_prefix("# TYPE "))
    .map(|l| l.split(' ').next().unwrap().to_string())
    .collect();
    let panels = dash["panels"].as_array().unwrap();
    assert!(panels.len() >= 5);
    for p in panels {
        for t in p["targets"].as_array().unwrap() {
            let expr = t["expr"].as_str().unwrap();
            let names: Vec<&str> = expr
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|w| w.starts_with("certdeck_"))
                .collect();
            assert!(!names.is_empty() || expr.contains("up{"), "{expr}");
            for n in names {
                assert!(
                    families.iter().any(|f| f == n),
                    "{n} in {expr} is not exported"
                );
            }
        }
    }
}
