//! Every decoder behind content recognition: PEM, DER certificates, CSRs, CRLs, PKCS#7,
//! PKCS#12, JKS/JCEKS, keys, DH parameters. Must never panic. The second passphrase is the one
//! fuzz/run.sh gives its keytool seeds (keytool wants 6 characters at least).
#![no_main]
use certdeck::pki::decode::{decode_file, DecodeOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = DecodeOptions {
        now: 1_800_000_000,
        warn_days: 30,
        passphrases: vec![
            zeroize::Zeroizing::new("fuzz".to_string()),
            zeroize::Zeroizing::new("fuzzpw".to_string()),
        ],
    };
    let _ = decode_file(data, "x.pem", &opts);
});
