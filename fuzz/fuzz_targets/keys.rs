//! Key structure walking (PKCS#1, SEC1, PKCS#8) and SubjectPublicKeyInfo summaries.
#![no_main]
use certdeck::pki::key::{spki_summary, summarize, KeyFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for f in [KeyFormat::Pkcs1, KeyFormat::Sec1, KeyFormat::Pkcs8] {
        let _ = summarize(data, f);
    }
    let _ = spki_summary(data);
    let _ = certdeck::pki::key::sniff_format(data);
});
