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

/// RFC 7919 Appendix A.1 ffdhe2048 prime p (generator g = 2).
pub const FFDHE2048_P: &str = "\
    FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695\
    A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A\
    D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935\
    984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A\
    BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4\
    AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61\
    9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005\
    C58EF1837D1683B2C6F34A26C1B2EFFA886B423861285C97FFFFFFFFFFFFFFFF";

/// RFC 7919 Appendix A.2 ffdhe3072 prime p (generator g = 2).
pub const FFDHE3072_P: &str = "\
    FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695\
    A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A\
    D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935\
    984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A\
    BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4\
    AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61\
    9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005\
    C58EF1837D1683B2C6F34A26C1B2EFFA886B4238611FCFDCDE355B3B6519035B\
    BC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C\
    AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF\
    5CAE82AB9C9DF69EE86D2BC522363A0DABC521979B0DEADA1DBF9A42D5C4484E\
    0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B66C62E37FFFFFFFFFFFFFFFF";

/// RFC 7919 Appendix A.3 ffdhe4096 prime p (generator g = 2).
pub const FFDHE4096_P: &str = "\
    FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695\
    A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A\
    D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935\
    984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A\
    BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4\
    AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61\
    9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005\
    C58EF1837D1683B2C6F34A26C1B2EFFA886B4238611FCFDCDE355B3B6519035B\
    BC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C\
    AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF\
    5CAE82AB9C9DF69EE86D2BC522363A0DABC521979B0DEADA1DBF9A42D5C4484E\
    0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B669E1EF16E6F52C3164DF4FB\
    7930E9E4E58857B6AC7D5F42D69F6D187763CF1D5503400487F55BA57E31CC7A\
    7135C886EFB4318AED6A1E012D9E6832A907600A918130C46DC778F971AD0038\
    092999A333CB8B7A1A1DB93D7140003C2A4ECEA9F98D0ACC0A8291CDCEC97DCF\
    8EC9B55A7F88A46B4DB5A851F44182E1C68A007E5E655F6AFFFFFFFFFFFFFFFF";

/// The PKCS#3 `DHParameter` DER (`SEQUENCE { p, g = 2 }`) of an RFC 7919 group, as
/// `openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdheN` writes it.
pub fn ffdhe_params_der(bits: u32) -> Result<Vec<u8>, String> {
    use super::der::encode_tlv;
    let hex_p = match bits {
        2048 => FFDHE2048_P,
        3072 => FFDHE3072_P,
        4096 => FFDHE4096_P,
        _ => {
            return Err(format!(
                "no RFC 7919 group of {bits} bits (2048, 3072, 4096)"
            ))
        }
    };
    let mut p = vec![0u8]; // the top bit is set: keep the INTEGER positive
    p.extend(hex::decode(hex_p).map_err(|e| e.to_string())?);
    let mut body = encode_tlv(0x02, &p);
    body.extend(encode_tlv(0x02, &[2]));
    Ok(encode_tlv(0x30, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ffdhe_groups_round_trip() {
        for bits in [2048, 3072, 4096] {
            let der = ffdhe_params_der(bits).unwrap();
            let info = summarize(&der).unwrap();
            assert_eq!(info.bits, bits);
            assert_eq!(
                info.named_group.as_deref(),
                Some(format!("ffdhe{bits}").as_str())
            );
            assert!(der.ends_with(
                &[0xff; 8]
                    .iter()
                    .copied()
                    .chain([0x02, 0x01, 0x02])
                    .collect::<Vec<_>>()
            ));
        }
        assert!(ffdhe_params_der(1024).is_err());
    }
}
