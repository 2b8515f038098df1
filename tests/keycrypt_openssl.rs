//! Interop of `certdeck::pki::keycrypt` with the real `openssl` CLI.
//!
//! Keys are generated fresh in temp dirs; passphrases reach openssl through `-passin file:` /
//! `-passout file:`, never on argv.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use certdeck::pki::keycrypt::{
    decrypt_legacy_pem, decrypt_pkcs8, describe_pkcs8_encryption, encrypt_pkcs8, KeyCryptError,
};
use certdeck::pki::pem;

const PASS: &str = "correct horse · battery staple";
const WRONG: &str = "correct horse · battery stapler";

fn openssl_bin() -> PathBuf {
    std::env::var_os("OPENSSL_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/openssl"))
}

/// Run openssl in `dir`; panic with its stderr on failure; return stdout.
fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    try_openssl(dir, args).unwrap_or_else(|e| panic!("openssl {args:?} failed: {e}"))
}

fn try_openssl(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new(openssl_bin())
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", openssl_bin().display()))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Plain PKCS#8 PEM of one EC P-256 key and one RSA 2048 key, generated once per test binary.
struct Keys {
    ec: Vec<u8>,
    rsa: Vec<u8>,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        openssl(
            d,
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                "ec.pem",
            ],
        );
        openssl(
            d,
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                "rsa.pem",
            ],
        );
        Keys {
            ec: std::fs::read(d.join("ec.pem")).unwrap(),
            rsa: std::fs::read(d.join("rsa.pem")).unwrap(),
        }
    })
}

/// A scratch dir holding ec.pem, rsa.pem, and the passphrase files `pass` and `wrong`.
fn sandbox() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let k = keys();
    std::fs::write(dir.path().join("ec.pem"), &k.ec).unwrap();
    std::fs::write(dir.path().join("rsa.pem"), &k.rsa).unwrap();
    std::fs::write(dir.path().join("pass"), format!("{PASS}\n")).unwrap();
    std::fs::write(dir.path().join("wrong"), format!("{WRONG}\n")).unwrap();
    dir
}

/// The single PEM block of `file`: (label, DEK-Info header, body).
fn read_block(dir: &Path, file: &str) -> (String, Option<String>, Vec<u8>) {
    let data = std::fs::read(dir.join(file)).unwrap();
    let blocks = pem::parse_blocks(&data);
    assert_eq!(blocks.len(), 1, "{file}: expected one PEM block");
    let b = &blocks[0];
    let dek = b.header("DEK-Info").map(str::to_string);
    (b.label.clone(), dek, b.body.clone().unwrap())
}

/// Decrypt a legacy-encrypted PEM file with our code, check it against `expected` DER and check
/// that a wrong passphrase is reported as such.
fn check_legacy(dir: &Path, file: &str, label: &str, cipher: &str, expected: &[u8]) {
    let (got_label, dek, body) = read_block(dir, file);
    assert_eq!(got_label, label);
    let dek = dek.unwrap_or_else(|| panic!("{file}: no DEK-Info header"));
    assert!(
        dek.starts_with(&format!("{cipher},")),
        "{file}: DEK-Info {dek}"
    );
    let plain = decrypt_legacy_pem(&dek, &body, PASS.as_bytes()).unwrap();
    assert_eq!(
        &plain[..],
        expected,
        "{file}: decrypted DER differs from openssl's"
    );
    assert_eq!(
        decrypt_legacy_pem(&dek, &body, WRONG.as_bytes()),
        Err(KeyCryptError::WrongPassphrase),
        "{file}"
    );
}

#[test]
fn legacy_rsa_aes128_and_des3() {
    let dir = sandbox();
    let d = dir.path();
    let pkcs1 = openssl(
        d,
        &["rsa", "-in", "rsa.pem", "-traditional", "-outform", "DER"],
    );
    for (flag, cipher) in [("-aes128", "AES-128-CBC"), ("-des3", "DES-EDE3-CBC")] {
        let out = format!("rsa{flag}.pem");
        openssl(
            d,
            &[
                "rsa",
                "-in",
                "rsa.pem",
                flag,
                "-traditional",
                "-passout",
                "file:pass",
                "-out",
                &out,
            ],
        );
        check_legacy(d, &out, "RSA PRIVATE KEY", cipher, &pkcs1);
    }
}

#[test]
fn legacy_ec_aes256_aes192_and_des3() {
    let dir = sandbox();
    let d = dir.path();
    let sec1 = openssl(d, &["ec", "-in", "ec.pem", "-outform", "DER"]);
    for (flag, cipher) in [
        ("-aes256", "AES-256-CBC"),
        ("-aes192", "AES-192-CBC"),
        ("-des3", "DES-EDE3-CBC"),
    ] {
        let out = format!("ec{flag}.pem");
        openssl(
            d,
            &[
                "ec",
                "-in",
                "ec.pem",
                flag,
                "-passout",
                "file:pass",
                "-out",
                &out,
            ],
        );
        check_legacy(d, &out, "EC PRIVATE KEY", cipher, &sec1);
    }
}

#[test]
fn legacy_ec_single_des_via_legacy_provider() {
    let dir = sandbox();
    let d = dir.path();
    let sec1 = openssl(d, &["ec", "-in", "ec.pem", "-outform", "DER"]);
    // OpenSSL 3 keeps DES in the legacy provider; without it `-des` silently writes the key
    // unencrypted, so check the header before relying on the file.
    let r = try_openssl(
        d,
        &[
            "ec",
            "-provider",
            "legacy",
            "-provider",
            "default",
            "-in",
            "ec.pem",
            "-des",
            "-passout",
            "file:pass",
            "-out",
            "ec-des.pem",
        ],
    );
    let written = std::fs::read_to_string(d.join("ec-des.pem")).unwrap_or_default();
    if r.is_err() || !written.contains("DEK-Info: DES-CBC,") {
        eprintln!("skipping: this openssl cannot write DES-CBC PEM (no legacy provider)");
        return;
    }
    check_legacy(d, "ec-des.pem", "EC PRIVATE KEY", "DES-CBC", &sec1);
}

/// `openssl pkcs8 -topk8 <args>` on `key`, then decrypt with our code and compare with the
/// PrivateKeyInfo DER that `openssl pkcs8 -topk8 -nocrypt -passin …` decrypts. (OpenSSL 3.0's
/// `pkey -outform DER` and `pkcs8 -outform DER` without `-topk8` write EC keys as SEC1, not
/// PKCS#8, so they are not used for the comparison.)
/// Returns our description of the scheme.
fn check_pkcs8(d: &Path, key: &str, args: &[&str], out: &str) -> String {
    let mut full = vec!["pkcs8", "-topk8", "-in", key, "-passout", "file:pass"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["-out", out]);
    openssl(d, &full);
    let expected = openssl(
        d,
        &[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            out,
            "-passin",
            "file:pass",
            "-outform",
            "DER",
        ],
    );
    let (label, dek, der) = read_block(d, out);
    assert_eq!(label, "ENCRYPTED PRIVATE KEY");
    assert_eq!(dek, None);
    let plain = decrypt_pkcs8(&der, PASS.as_bytes()).unwrap();
    assert_eq!(&plain[..], &expected[..], "{out}: decrypted DER differs");
    assert_eq!(
        decrypt_pkcs8(&der, WRONG.as_bytes()),
        Err(KeyCryptError::WrongPassphrase),
        "{out}"
    );
    describe_pkcs8_encryption(&der)
}

#[test]
fn pkcs8_pbkdf2_aes256_and_des3() {
    let dir = sandbox();
    let d = dir.path();
    for key in ["ec.pem", "rsa.pem"] {
        assert_eq!(
            check_pkcs8(d, key, &["-v2", "aes-256-cbc"], "aes256.pem"),
            "PBES2 PBKDF2-SHA256 AES-256-CBC"
        );
        assert_eq!(
            check_pkcs8(d, key, &["-v2", "des3"], "des3.pem"),
            "PBES2 PBKDF2-SHA256 DES-EDE3-CBC"
        );
    }
    assert_eq!(
        check_pkcs8(
            d,
            "ec.pem",
            &["-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA512"],
            "aes128-sha512.pem"
        ),
        "PBES2 PBKDF2-SHA512 AES-128-CBC"
    );
    assert_eq!(
        check_pkcs8(
            d,
            "ec.pem",
            &["-v2", "aes-192-cbc", "-v2prf", "hmacWithSHA1"],
            "aes192-sha1.pem"
        ),
        "PBES2 PBKDF2-SHA1 AES-192-CBC"
    );
}

#[test]
fn pkcs8_scrypt() {
    let dir = sandbox();
    let d = dir.path();
    assert_eq!(
        check_pkcs8(d, "ec.pem", &["-scrypt"], "scrypt.pem"),
        "PBES2 scrypt AES-256-CBC"
    );
}

#[test]
fn pkcs8_pbes1_is_unsupported_with_hint() {
    let dir = sandbox();
    let d = dir.path();
    openssl(
        d,
        &[
            "pkcs8",
            "-topk8",
            "-v1",
            "PBE-SHA1-3DES",
            "-in",
            "ec.pem",
            "-passout",
            "file:pass",
            "-out",
            "v1.pem",
        ],
    );
    let (label, _, der) = read_block(d, "v1.pem");
    assert_eq!(label, "ENCRYPTED PRIVATE KEY");
    let e = decrypt_pkcs8(&der, PASS.as_bytes()).unwrap_err();
    let KeyCryptError::Unsupported(msg) = &e else {
        panic!("expected Unsupported, got {e:?}");
    };
    assert!(
        msg.contains("openssl pkcs8 -topk8 -v2 aes-256-cbc"),
        "{msg}"
    );
    assert!(e.to_string().starts_with("unsupported encryption: "));
    assert_eq!(
        describe_pkcs8_encryption(&der),
        "PKCS#12 PBE-SHA1-3DES (unsupported)"
    );
}

#[test]
fn our_encrypt_pkcs8_is_read_by_openssl() {
    let dir = sandbox();
    let d = dir.path();
    for key in ["ec.pem", "rsa.pem"] {
        let plain = openssl(
            d,
            &["pkcs8", "-topk8", "-nocrypt", "-in", key, "-outform", "DER"],
        );
        let enc = encrypt_pkcs8(&plain, PASS.as_bytes()).unwrap();
        assert_eq!(
            describe_pkcs8_encryption(&enc),
            "PBES2 PBKDF2-SHA256 AES-256-CBC"
        );
        let pem_text = pem::encode("ENCRYPTED PRIVATE KEY", &enc);
        std::fs::write(d.join("ours.pem"), pem_text).unwrap();
        // `openssl pkey` accepts it and finds the same key (in its own output form) ...
        let via_pkey = openssl(
            d,
            &[
                "pkey",
                "-in",
                "ours.pem",
                "-passin",
                "file:pass",
                "-outform",
                "DER",
            ],
        );
        let orig_pkey = openssl(d, &["pkey", "-in", key, "-outform", "DER"]);
        assert_eq!(
            via_pkey, orig_pkey,
            "{key}: openssl pkey read a different key"
        );
        // ... and `openssl pkcs8` decrypts it to exactly the PrivateKeyInfo we encrypted.
        let back = openssl(
            d,
            &[
                "pkcs8",
                "-topk8",
                "-nocrypt",
                "-in",
                "ours.pem",
                "-passin",
                "file:pass",
                "-outform",
                "DER",
            ],
        );
        assert_eq!(
            back, plain,
            "{key}: openssl pkcs8 decrypted a different PKCS#8"
        );
        assert!(
            try_openssl(
                d,
                &["pkey", "-in", "ours.pem", "-passin", "file:wrong", "-noout"],
            )
            .is_err(),
            "{key}: openssl accepted the wrong passphrase"
        );
        // And our own decryption of our own output.
        assert_eq!(
            &decrypt_pkcs8(&enc, PASS.as_bytes()).unwrap()[..],
            &plain[..]
        );
    }
}
