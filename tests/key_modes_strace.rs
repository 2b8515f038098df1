//! Private keys are 0600 from the first byte: under strace, the key's temp file is created with
//! O_CREAT|O_EXCL|O_NOFOLLOW and mode 0600, and nothing chmods it afterwards.

use std::process::Command;

#[test]
fn key_files_are_created_0600_without_a_later_chmod() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("s");
    std::fs::create_dir(&store).unwrap();
    let trace = tmp.path().join("trace");
    let out = Command::new("strace")
        .args(["-f", "-qq", "-o"])
        .arg(&trace)
        .arg(env!("CARGO_BIN_EXE_certdeck"))
        .args(["generate", "ca", "--cn", "Mode CA", "--store"])
        .arg(&store)
        .output()
        .expect("strace is required (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = std::fs::read_to_string(&trace).unwrap();
    // The key is written under a temp name, then renamed over `private/mode-ca.key`.
    let tmp_name = t
        .lines()
        .find(|l| l.contains("rename") && l.contains("mode-ca.key\""))
        .and_then(|l| l.split('"').nth(1))
        .unwrap_or_else(|| panic!("no rename to the key seen:\n{t}"))
        .to_string();
    let key_creates: Vec<&str> = t
        .lines()
        .filter(|l| l.contains("openat") && l.contains("O_CREAT") && l.contains(&tmp_name))
        .collect();
    assert!(!key_creates.is_empty(), "no key creation seen:\n{t}");
    for l in &key_creates {
        assert!(l.contains("O_EXCL"), "{l}");
        assert!(l.contains("O_NOFOLLOW"), "{l}");
        assert!(l.contains(", 0600)"), "key not created 0600: {l}");
    }
    let chmods: Vec<&str> = t
        .lines()
        // fchmod takes an fd, so any fchmod at all counts.
        .filter(|l| {
            l.contains("fchmod(")
                || (l.contains("chmod") && (l.contains(".key") || l.contains(&tmp_name)))
        })
        .collect();
    assert!(chmods.is_empty(), "key chmodded after creation: {chmods:?}");
    // And the private directory was created 0700.
    assert!(
        t.lines()
            .any(|l| l.contains("mkdir") && l.contains("private") && l.contains("0700")),
        "private dir not created 0700"
    );
}
