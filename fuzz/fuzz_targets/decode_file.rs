//! Every decoder behind content recognition: PEM, DER certificates, CSRs, CRLs, PKCS#7,
//! PKCS#12, keys, DH parameters. Must never panic.
#![no_main]
use certdeck::pki::decode::{decode_file, DecodeOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = DecodeOptions {
        now: 1_800_000_000,
        warn_days: 30,
        passphrases: vec![zeroize::Zeroizing::new("fuzz".to_string())],
    };
    let _ = decode_file(data, "x.pem", &opts);
});
