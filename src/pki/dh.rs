//! Diffie-Hellman parameter files (`DH PARAMETERS`, PKCS#3): size and RFC 7919 group recognition.

use super::der::{children, read_tlv};
use super::key::integer_bits;
use super::model::DhInfo;

/// The second 64 bits of every RFC 7919 ffdhe prime (they start with 64 one bits, then e's digits).
const FFDHE_MARK: [u8; 8] = [0xad, 0xf8, 0x54, 0x58, 0xa2, 0xbb, 0x4a, 0x9a];
/// Same position in the RFC 2409/3526 MODP primes (pi's digits).
const MODP_MARK: [u8; 8] = [0xc9, 0x0f, 0xda, 0xa2, 0x21, 0x68, 0xc2, 0x34];

pub fn summarize(der: &[u8]) -> Result<DhInfo, String> {
    let (seq, _) = read_tlv(der)?;
    let parts = children(seq.content)?;
    let p = match parts.as_slice() {
        [p, g, ..] if p.tag == 0x02 && g.tag == 0x02 => p,
        _ => return Err("malformed DH parameters".into()),
    };
    let bits = integer_bits(p.content);
    let mag: Vec<u8> = p.content.iter().copied().skip_while(|b| *b == 0).collect();
    let named_group = if mag.len() >= 16 && mag[..8] == [0xff; 8] {
        if mag[8..16] == FFDHE_MARK {
            Some(format!("ffdhe{bits}"))
        } else if mag[8..16] == MODP_MARK {
            Some(format!("modp{bits}"))
        } else {
            None
        }
    } else {
        None
    };
    Ok(DhInfo { bits, named_group })
}
