//! The command line as a user meets it: `--help` of every subcommand, the man page rendered by
//! `man`, bash completion, and the openssl-style subject spellings kept as aliases.

mod common;

use common::*;
use std::process::Command;

fn subcommands() -> Vec<String> {
    let r = certdeck(&["--help"]);
    r.ok();
    let mut in_list = false;
    let mut out = vec![];
    for line in r.stdout.lines() {
        if line.starts_with("Commands:") {
            in_list = true;
            continue;
        }
        if in_list {
            if line.is_empty() {
                break;
            }
            // A name is indented two spaces; wrapped help text further.
            if !line.starts_with("   ") {
                out.extend(line.split_whitespace().next().map(str::to_string));
            }
        }
    }
    out.retain(|n| n != "help");
    out
}

#[test]
fn every_subcommand_has_help_with_headings() {
    let subs = subcommands();
    assert!(subs.len() >= 20, "{subs:?}");
    for sub in &subs {
        let r = certdeck(&[sub, "--help"]);
        r.ok();
        assert!(r.stdout.contains("Usage: certdeck"), "{sub}: {}", r.stdout);
    }
    let r = certdeck(&["generate", "--help"]);
    for heading in ["Subject:", "Key:", "Output:", "Writing:", "Store:"] {
        assert!(
            r.stdout.contains(heading),
            "generate --help lacks {heading}\n{}",
            r.stdout
        );
    }
    for opt in [
        "--org <O>",
        "--org-unit <OU>",
        "--country <C>",
        "--state <ST>",
        "--locality <L>",
    ] {
        assert!(r.stdout.contains(opt), "generate --help lacks {opt}");
    }
    // `--mono` colours only the TUI: listed at the top level and for demo, nowhere else.
    assert!(!r.stdout.contains("--mono"), "{}", r.stdout);
    assert!(certdeck(&["--help"]).stdout.contains("--mono"));
    assert!(certdeck(&["demo", "--help"]).stdout.contains("--mono"));
}

#[test]
fn old_subject_spellings_still_work() {
    let tmp = tempfile::tempdir().unwrap();
    let st = tmp.path().to_str().unwrap();
    certdeck(&[
        "generate",
        "ca",
        "--cn",
        "Alias CA",
        "--o",
        "Old Org",
        "--org-unit",
        "New Unit",
        "--c",
        "DE",
        "--state",
        "Berlin",
        "--l",
        "Berlin",
        "--store",
        st,
    ])
    .ok();
    let subject = x509_field(tmp.path(), "alias-ca.pem", "-subject");
    for part in [
        "O = Old Org",
        "OU = New Unit",
        "C = DE",
        "ST = Berlin",
        "L = Berlin",
    ] {
        assert!(subject.contains(part), "{part} not in {subject}");
    }
}

#[test]
fn man_page_renders_and_lists_every_subcommand() {
    let r = certdeck(&["man"]);
    r.ok();
    assert!(
        r.stdout.starts_with(".ie") || r.stdout.contains(".TH certdeck 1"),
        "{}",
        &r.stdout[..200.min(r.stdout.len())]
    );
    if Command::new("man").arg("--version").output().is_err() {
        eprintln!("skipping the man rendering: man is not installed");
    } else {
        let page = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(page.path(), &r.stdout).unwrap();
        let o = Command::new("man")
            .arg("-l")
            .arg(page.path())
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "100")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        for sub in subcommands() {
            assert!(
                text.contains(&format!("certdeck {sub}")),
                "man page lacks {sub}"
            );
        }
        assert!(
            text.contains("certdeck keystore genkeypair"),
            "nested subcommands"
        );
    }
}

#[test]
fn bash_completion_completes_subcommands_and_options() {
    let r = certdeck(&["completions", "bash"]);
    r.ok();
    let tmp = tempfile::tempdir().unwrap();
    let script = write(tmp.path(), "certdeck.bash", &r.stdout);
    let probe = format!(
        "source {}; COMP_WORDS=(certdeck gen); COMP_CWORD=1; _certdeck certdeck gen certdeck; \
         echo \"${{COMPREPLY[@]}}\"; COMP_WORDS=(certdeck generate --or); COMP_CWORD=2; \
         _certdeck certdeck --or generate; echo \"${{COMPREPLY[@]}}\"",
        script.display()
    );
    let o = Command::new("bash").arg("-c").arg(&probe).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.first().copied(), Some("generate"), "{out}");
    assert!(lines.get(1).is_some_and(|l| l.contains("--org")), "{out}");
    for shell in ["zsh", "fish"] {
        let r = certdeck(&["completions", shell]);
        r.ok();
        assert!(r.stdout.contains("generate"), "{shell}");
    }
}
