//! The Debian package: `scripts/deb.sh` packages this test build's binary (no release build
//! in CI), then the real dpkg tools check it: `dpkg -c` lists every file with sane modes,
//! `dpkg -x` unpacks a working `certdeck`, `man -l` renders the page with every subcommand,
//! the bash completion is valid bash and completes, the units verify in the unpacked tree.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::bin;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A tool the test drives; without it the test is skipped with a reason, except in CI
/// (scripts/test.sh installs them all there).
fn have(tool: &str, args: &[&str], install: &str) -> bool {
    if Command::new(tool)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{tool} missing in CI: {install}"
    );
    eprintln!("SKIPPED packaging_deb: no {tool} ({install}; scripts/test.sh does it)");
    false
}

/// The subcommands `certdeck --help` lists (clap's own list, the one definition).
fn subcommands() -> Vec<String> {
    let help = text(&run(Command::new(bin()).arg("--help")));
    let mut names = Vec::new();
    let mut in_commands = false;
    for line in help.lines() {
        if line.starts_with("Commands:") {
            in_commands = true;
        } else if in_commands {
            match line
                .strip_prefix("  ")
                .and_then(|l| l.split_whitespace().next())
            {
                Some(name) if !line.starts_with("   ") => names.push(name.to_string()),
                Some(_) => {}
                None => break,
            }
        }
    }
    names.retain(|n| n != "help");
    assert!(
        names.len() >= 5,
        "subcommands from --help: {names:?}\n{help}"
    );
    names
}

#[test]
fn deb_has_every_file_installs_and_runs() {
    if !(have(
        "cargo-deb",
        &["--version"],
        "cargo install cargo-deb --version 3.8.0 --locked",
    ) && have("dpkg-deb", &["--version"], "apt-get install dpkg")
        && have("man", &["--version"], "apt-get install man-db"))
    {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let target = scratch.path().join("target");
    // --strip: the test profile's binary carries full debug info (160 MB).
    let out = run(Command::new("bash")
        .arg(root().join("scripts/deb.sh"))
        .args(["--fast", "--strip"])
        .env("CERTDECK_DEB_BIN", bin())
        .env("CERTDECK_DEB_TARGET_DIR", &target));
    let deb = PathBuf::from(text(&out).lines().last().unwrap_or_default().trim());
    assert!(
        deb.is_file() && deb.starts_with(target.join("debian")),
        "no .deb at {deb:?}"
    );

    // Control: name, version from Cargo.toml, shared-library dependencies found.
    let field = |f: &str| text(&run(Command::new("dpkg-deb").arg("-f").arg(&deb).arg(f)));
    assert_eq!(field("Package").trim(), "certdeck");
    assert_eq!(
        field("Version").trim(),
        format!("{}-1", env!("CARGO_PKG_VERSION"))
    );
    assert!(field("Depends").contains("libc6"), "{}", field("Depends"));

    // dpkg -c: path -> (mode, owner) for every entry.
    let listing = text(&run(Command::new("dpkg").arg("-c").arg(&deb)));
    let entries: BTreeMap<String, (String, String)> = listing
        .lines()
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            assert!(cols.len() >= 6, "odd dpkg -c line: {l}");
            let path = cols[5].trim_start_matches('.').trim_end_matches('/');
            (path.to_string(), (cols[0].to_string(), cols[1].to_string()))
        })
        .collect();
    let exe = "-rwxr-xr-x";
    let data = "-rw-r--r--";
    for (path, mode) in [
        ("/usr/bin/certdeck", exe),
        ("/usr/lib/certdeck/certdeck-audit-textfile", exe),
        ("/usr/share/man/man1/certdeck.1.gz", data),
        ("/usr/share/bash-completion/completions/certdeck", data),
        ("/usr/share/zsh/vendor-completions/_certdeck", data),
        ("/usr/share/fish/vendor_completions.d/certdeck.fish", data),
        ("/usr/lib/systemd/system/certdeck-audit.service", data),
        ("/usr/lib/systemd/system/certdeck-audit.timer", data),
        ("/usr/lib/systemd/system/certdeck-exporter.service", data),
        ("/usr/lib/systemd/system/certdeck-acme-renew.service", data),
        ("/usr/lib/systemd/system/certdeck-acme-renew.timer", data),
        ("/usr/share/doc/certdeck/examples/certdeck-alerts.yml", data),
        (
            "/usr/share/doc/certdeck/examples/certdeck-grafana-dashboard.json",
            data,
        ),
        ("/usr/share/doc/certdeck/examples/config.toml", data),
        ("/usr/share/doc/certdeck/copyright", data),
    ] {
        let got = entries
            .get(path)
            .unwrap_or_else(|| panic!("{path} not in the package:\n{listing}"));
        assert_eq!(got.0, mode, "{path}");
    }
    for (path, (mode, owner)) in &entries {
        assert_eq!(owner, "0/0", "{path} not owned by root");
        assert!(
            mode.len() == 10 && &mode[8..9] != "w" && &mode[5..6] != "w",
            "{path} is group/other-writable: {mode}"
        );
        assert!(!mode.contains('s'), "{path} is setuid/setgid: {mode}");
        if mode.starts_with('d') {
            assert_eq!(mode, "drwxr-xr-x", "{path}");
        }
    }

    // Maintainer scripts reload systemd but never enable or start the timer by themselves.
    let ctl = scratch.path().join("control");
    run(Command::new("dpkg-deb").arg("-e").arg(&deb).arg(&ctl));
    let postinst = fs::read_to_string(ctl.join("postinst")).unwrap();
    assert!(postinst.contains("daemon-reload"), "{postinst}");
    assert!(
        !postinst.contains("deb-systemd-invoke start") && !postinst.contains("$_dh_action"),
        "postinst starts the timer:\n{postinst}"
    );

    // Unpacked: the binary runs, and is this build.
    let unpacked = scratch.path().join("root");
    run(Command::new("dpkg").arg("-x").arg(&deb).arg(&unpacked));
    let version = text(&run(
        Command::new(unpacked.join("usr/bin/certdeck")).arg("--version")
    ));
    assert_eq!(
        version,
        text(&run(Command::new(bin()).arg("--version"))),
        "unpacked binary is another build"
    );
    assert!(version.contains(env!("CARGO_PKG_VERSION")), "{version}");
    for (installed, source) in [
        (
            "usr/lib/certdeck/certdeck-audit-textfile",
            "assets/certdeck-audit-textfile",
        ),
        (
            "usr/lib/systemd/system/certdeck-audit.service",
            "assets/certdeck-audit.service",
        ),
        (
            "usr/lib/systemd/system/certdeck-audit.timer",
            "assets/certdeck-audit.timer",
        ),
        (
            "usr/share/doc/certdeck/examples/config.toml",
            "assets/config.example.toml",
        ),
        (
            "usr/lib/systemd/system/certdeck-exporter.service",
            "assets/certdeck-exporter.service",
        ),
        (
            "usr/lib/systemd/system/certdeck-acme-renew.service",
            "assets/certdeck-acme-renew.service",
        ),
        (
            "usr/lib/systemd/system/certdeck-acme-renew.timer",
            "assets/certdeck-acme-renew.timer",
        ),
    ] {
        assert_eq!(
            fs::read(unpacked.join(installed)).unwrap(),
            fs::read(root().join(source)).unwrap(),
            "{installed}"
        );
    }

    let subcommands = subcommands();

    // The man page renders without warnings and names every subcommand.
    let man = Command::new("man")
        .args(["--warnings", "-P", "cat", "-l"])
        .arg(unpacked.join("usr/share/man/man1/certdeck.1.gz"))
        .env("MANWIDTH", "200")
        .env("LC_ALL", "C.UTF-8")
        .output()
        .unwrap();
    let page = String::from_utf8_lossy(&man.stdout);
    let warnings = String::from_utf8_lossy(&man.stderr);
    assert!(
        man.status.success() && warnings.trim().is_empty(),
        "man -l: {:?}\n{warnings}",
        man.status
    );
    assert!(page.contains("NAME") && page.contains("certdeck"), "{page}");
    for sub in &subcommands {
        let listed = page
            .split(|c: char| !(c.is_alphanumeric() || c == '-'))
            .any(|w| w == sub || w == format!("certdeck-{sub}"));
        assert!(listed, "man page does not list `{sub}`:\n{page}");
    }

    // bash completion: valid bash, and completing `certdeck ` offers every subcommand.
    let bash_file = unpacked.join("usr/share/bash-completion/completions/certdeck");
    run(Command::new("bash").arg("-n").arg(&bash_file));
    let complete = |words: &[&str]| -> Vec<String> {
        let line = words.join(" ");
        let script = r#"
            source "$1"; shift
            spec=$(complete -p certdeck) || exit 10
            fn=${spec#*-F }; fn=${fn%% *}
            COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
            "$fn" certdeck "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\n' "${COMPREPLY[@]}"
        "#;
        let out = run(Command::new("bash")
            .args(["-c", script, "complete"])
            .arg(&bash_file)
            .args(words));
        let got: Vec<String> = text(&out).lines().map(|l| l.trim().to_string()).collect();
        assert!(!got.is_empty(), "no completions for `{line}`");
        got
    };
    let top = complete(&["certdeck", ""]);
    for sub in &subcommands {
        assert!(top.contains(sub), "`certdeck <TAB>` lacks {sub}: {top:?}");
    }
    assert_eq!(complete(&["certdeck", "aud"]), ["audit"]);
    assert!(
        complete(&["certdeck", "audit", "--pro"]).contains(&"--prometheus".to_string()),
        "audit options not completed"
    );

    // zsh and fish: syntax only, when the shell is there (not installed by test.sh).
    for (shell, args, file) in [
        (
            "zsh",
            &["-n"][..],
            "usr/share/zsh/vendor-completions/_certdeck",
        ),
        (
            "fish",
            &["--no-execute"][..],
            "usr/share/fish/vendor_completions.d/certdeck.fish",
        ),
    ] {
        if Command::new(shell).arg("--version").output().is_ok() {
            run(Command::new(shell).args(args).arg(unpacked.join(file)));
        } else {
            eprintln!("packaging_deb: no {shell}; its completion file is only checked non-empty");
            assert!(fs::metadata(unpacked.join(file)).unwrap().len() > 0);
        }
    }

    // The units verify as installed: ExecStart exists in the unpacked tree.
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok()
    {
        let units = unpacked.join("usr/lib/systemd/system");
        for e in fs::read_dir("/usr/lib/systemd/system")
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = e.file_name().to_string_lossy().into_owned();
            if (name.ends_with(".target") || name.ends_with(".slice"))
                && e.file_type().is_ok_and(|t| t.is_file())
            {
                let _ = fs::copy(e.path(), units.join(&name));
            }
        }
        let out = run(Command::new("systemd-analyze")
            .args(["verify", "--man=no"])
            .arg(format!("--root={}", unpacked.display()))
            .args([
                "certdeck-audit.service",
                "certdeck-audit.timer",
                "certdeck-acme-renew.service",
                "certdeck-acme-renew.timer",
            ]));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.trim().is_empty(), "systemd-analyze verify:\n{err}");
    } else {
        eprintln!("packaging_deb: no systemd-analyze; units checked by tests/assets.rs only");
    }
}
