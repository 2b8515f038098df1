//! Encrypted key parsing (PBES2 parameters are bounded before any key derivation).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = certdeck::pki::keycrypt::decrypt_pkcs8(data, b"fuzz");
    let _ = certdeck::pki::keycrypt::describe_pkcs8_encryption(data);
    if data.len() > 40 {
        let (hdr, body) = data.split_at(40);
        let dek = String::from_utf8_lossy(hdr);
        let _ = certdeck::pki::keycrypt::decrypt_legacy_pem(&dek, body, b"fuzz");
    }
});
