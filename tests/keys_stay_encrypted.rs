//! Encrypted keys stay encrypted (issue 13 item 6): `import` of an encrypted key or a
//! password-protected PKCS#12 and `export --format cert+key` of an encrypted key write the key
//! encrypted (same form, or with --new-passphrase-file's passphrase) unless --decrypt, which
//! warns. Checked with the real openssl.

mod common;

use std::path::{Path, PathBuf};

use common::*;

const PASS: &str = "old-pass-7";

struct Fx {
    _t: tempfile::TempDir,
    st: PathBuf,
    w: PathBuf,
    pass_file: String,
    new_file: String,
}

/// An EC key encrypted as PKCS#8 (enc.key), its self-signed certificate (enc.pem) and both in
/// a PKCS#12 under PASS (enc.p12).
fn fixture() -> Fx {
    let t = tempfile::tempdir().unwrap();
    let st = t.path().join("store");
    let w = t.path().join("work");
    std::fs::create_dir_all(&st).unwrap();
    std::fs::create_dir_all(&w).unwrap();
    let ok = |args: &[&str]| {
        let o = openssl(&w, args);
        assert!(o.status.success(), "{args:?}: {o:?}");
    };
    ok(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        "plain.key",
    ]);
    ok(&[
        "pkcs8",
        "-topk8",
        "-v2",
        "aes-256-cbc",
        "-in",
        "plain.key",
        "-out",
        "enc.key",
        "-passout",
        &format!("pass:{PASS}"),
    ]);
    ok(&[
        "req",
        "-x509",
        "-new",
        "-key",
        "plain.key",
        "-subj",
        "/CN=enc.example",
        "-days",
        "30",
        "-out",
        "enc.pem",
    ]);
    ok(&[
        "pkcs12",
        "-export",
        "-in",
        "enc.pem",
        "-inkey",
        "plain.key",
        "-out",
        "enc.p12",
        "-passout",
        &format!("pass:{PASS}"),
    ]);
    let pass_file = write(&w, "pass", format!("{PASS}\n"));
    let new_file = write(&w, "new", "brand-new-9\n");
    Fx {
        pass_file: pass_file.to_str().unwrap().into(),
        new_file: new_file.to_str().unwrap().into(),
        _t: t,
        st,
        w,
    }
}

fn wp(f: &Fx, n: &str) -> String {
    f.w.join(n).to_str().unwrap().to_string()
}

/// The key file is an encrypted PKCS#8 that openssl opens with `pass` only.
fn assert_encrypted_with(path: &Path, pass: &str, wrong: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----"),
        "{text}"
    );
    assert!(!text.contains("BEGIN PRIVATE KEY"), "{text}");
    let dir = path.parent().unwrap();
    let f = path.to_str().unwrap();
    let o = openssl(
        dir,
        &[
            "pkey",
            "-in",
            f,
            "-passin",
            &format!("pass:{pass}"),
            "-noout",
        ],
    );
    assert!(o.status.success(), "{o:?}");
    let o = std::process::Command::new(OPENSSL)
        .args([
            "pkey",
            "-in",
            f,
            "-passin",
            &format!("pass:{wrong}"),
            "-noout",
        ])
        .output()
        .unwrap();
    assert!(!o.status.success(), "opened with the wrong passphrase");
}

fn assert_plain(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains("-----BEGIN PRIVATE KEY-----"), "{text}");
    assert!(!text.contains("ENCRYPTED"), "{text}");
}

const KEY: &str = "private/enc.example.key";

#[test]
fn import_of_an_encrypted_pem_key_keeps_it_encrypted() {
    let f = fixture();
    let r = cd(
        &f.st,
        &[
            "--passphrase-file",
            &f.pass_file,
            "import",
            &wp(&f, "enc.pem"),
            &wp(&f, "enc.key"),
        ],
    );
    r.ok();
    assert!(!r.stderr.contains("unencrypted"), "{}", r.stderr);
    assert!(
        r.stdout.contains("stays encrypted"),
        "the plan says so: {}",
        r.stdout
    );
    assert_encrypted_with(&f.st.join(KEY), PASS, "brand-new-9");
    assert_eq!(mode_of(&f.st.join(KEY)), 0o600);
}

#[test]
fn import_of_a_pkcs12_keeps_the_key_encrypted_or_takes_the_new_passphrase() {
    let f = fixture();
    let r = cd(
        &f.st,
        &[
            "--passphrase-file",
            &f.pass_file,
            "import",
            &wp(&f, "enc.p12"),
            "--dry-run",
        ],
    );
    r.ok();
    assert!(r.stdout.contains("stays encrypted"), "{}", r.stdout);
    cd(
        &f.st,
        &[
            "--passphrase-file",
            &f.pass_file,
            "import",
            &wp(&f, "enc.p12"),
        ],
    )
    .ok();
    assert_encrypted_with(&f.st.join(KEY), PASS, "brand-new-9");

    let g = fixture();
    cd(
        &g.st,
        &[
            "--passphrase-file",
            &g.pass_file,
            "import",
            &wp(&g, "enc.p12"),
            "--new-passphrase-file",
            &g.new_file,
        ],
    )
    .ok();
    assert_encrypted_with(&g.st.join(KEY), "brand-new-9", PASS);
}

#[test]
fn import_with_decrypt_writes_it_plain_and_warns() {
    let f = fixture();
    let r = cd(
        &f.st,
        &[
            "--passphrase-file",
            &f.pass_file,
            "import",
            &wp(&f, "enc.p12"),
            "--decrypt",
        ],
    );
    r.ok();
    assert!(
        r.stderr
            .contains("writing the private key of enc.p12 unencrypted"),
        "{}",
        r.stderr
    );
    assert_plain(&f.st.join(KEY));
    assert_eq!(mode_of(&f.st.join(KEY)), 0o600);
}

#[test]
fn export_cert_key_of_an_encrypted_key_stays_encrypted_unless_decrypt() {
    let f = fixture();
    cd(
        &f.st,
        &[
            "--passphrase-file",
            &f.pass_file,
            "import",
            &wp(&f, "enc.pem"),
            &wp(&f, "enc.key"),
        ],
    )
    .ok();
    let out = wp(&f, "out-ck.pem");
    let r = cd(
        &f.st,
        &[
            "--passphrase-file",
            &f.pass_file,
            "export",
            "enc.example",
            "--format",
            "cert+key",
            "--out",
            &out,
        ],
    );
    r.ok();
    assert!(!r.stderr.contains("unencrypted"), "{}", r.stderr);
    assert_encrypted_with(Path::new(&out), PASS, "brand-new-9");
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .contains("BEGIN CERTIFICATE"));
    assert_eq!(mode_of(Path::new(&out)), 0o600);

    let out2 = wp(&f, "out-ck2.pem");
    cd(
        &f.st,
        &[
            "--passphrase-file",
            &f.pass_file,
            "export",
            "enc.example",
            "--format",
            "cert+key",
            "--out",
            &out2,
            "--new-passphrase-file",
            &f.new_file,
        ],
    )
    .ok();
    assert_encrypted_with(Path::new(&out2), "brand-new-9", PASS);

    let out3 = wp(&f, "out-ck3.pem");
    let r = cd(
        &f.st,
        &[
            "--passphrase-file",
            &f.pass_file,
            "export",
            "enc.example",
            "--format",
            "cert+key",
            "--out",
            &out3,
            "--decrypt",
        ],
    );
    r.ok();
    assert!(
        r.stderr
            .contains("writing the private key of enc.example unencrypted"),
        "{}",
        r.stderr
    );
    assert_plain(Path::new(&out3));
    assert_eq!(mode_of(Path::new(&out3)), 0o600);
}

#[test]
fn import_of_a_legacy_encrypted_pem_key_keeps_its_form() {
    let f = fixture();
    let o = openssl(
        &f.w,
        &[
            "ec",
            "-in",
            "plain.key",
            "-aes256",
            "-passout",
            &format!("pass:{PASS}"),
            "-out",
            "legacy.key",
        ],
    );
    assert!(o.status.success(), "{o:?}");
    cd(
        &f.st,
        &[
            "--passphrase-file",
            &f.pass_file,
            "import",
            &wp(&f, "enc.pem"),
            &wp(&f, "legacy.key"),
        ],
    )
    .ok();
    let written = std::fs::read_to_string(f.st.join(KEY)).unwrap();
    assert_eq!(
        written,
        std::fs::read_to_string(f.w.join("legacy.key")).unwrap()
    );
    assert!(written.contains("Proc-Type: 4,ENCRYPTED"), "{written}");
    let o = openssl(
        &f.st,
        &[
            "pkey",
            "-in",
            KEY,
            "-passin",
            &format!("pass:{PASS}"),
            "-noout",
        ],
    );
    assert!(o.status.success(), "{o:?}");
}
