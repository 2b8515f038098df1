//! Private keys: recognise PKCS#1 / SEC1 / PKCS#8, describe them (algorithm, size) and derive the
//! raw public key so keys can be paired with certificates by comparing public key bits.

use super::der::{children, encode_tlv, read_tlv, Tlv};
use super::model::KeyInfo;

pub mod oid {
    //! DER contents of the OIDs we look at.
    pub const RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    pub const RSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
    pub const EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    pub const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    pub const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
    pub const P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
    pub const SECP256K1: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x0a];
    pub const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
    pub const ED448: &[u8] = &[0x2b, 0x65, 0x71];
    pub const X25519: &[u8] = &[0x2b, 0x65, 0x6e];
    pub const X448: &[u8] = &[0x2b, 0x65, 0x6f];
    pub const DSA: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01];
}

/// Human name and size of a key given its algorithm OID, parameters and (for RSA) modulus.
pub fn algorithm_name(alg_oid: &[u8], params: Option<&Tlv>) -> (&'static str, Option<u32>) {
    match alg_oid {
        oid::RSA => ("RSA", None),
        oid::RSA_PSS => ("RSA-PSS", None),
        oid::EC => match params.filter(|p| p.tag == 0x06).map(|p| p.content) {
            Some(oid::P256) => ("EC P-256", Some(256)),
            Some(oid::P384) => ("EC P-384", Some(384)),
            Some(oid::P521) => ("EC P-521", Some(521)),
            Some(oid::SECP256K1) => ("EC secp256k1", Some(256)),
            _ => ("EC (other curve)", None),
        },
        oid::ED25519 => ("Ed25519", Some(256)),
        oid::ED448 => ("Ed448", Some(456)),
        oid::X25519 => ("X25519", Some(256)),
        oid::X448 => ("X448", Some(448)),
        oid::DSA => ("DSA", None),
        _ => ("unknown", None),
    }
}

/// Bit length of a DER INTEGER's magnitude.
pub fn integer_bits(content: &[u8]) -> u32 {
    let mag: &[u8] = {
        let skip = content.iter().take_while(|b| **b == 0).count();
        &content[skip..]
    };
    match mag.first() {
        None => 0,
        Some(first) => (mag.len() as u32 - 1) * 8 + (8 - first.leading_zeros()),
    }
}

/// Describe a SubjectPublicKeyInfo: (algorithm, bits, raw public key bits: a slice of it).
pub fn spki_summary(spki_der: &[u8]) -> Result<(&'static str, Option<u32>, &[u8]), String> {
    let (spki, _) = read_tlv(spki_der)?;
    let parts = children(spki.content)?;
    let [alg, key] = parts.as_slice() else {
        return Err("malformed SubjectPublicKeyInfo".into());
    };
    let alg_parts = children(alg.content)?;
    let alg_oid = alg_parts.first().ok_or("missing key algorithm")?;
    let bits = key.content.get(1..).unwrap_or_default();
    let (name, mut size) = algorithm_name(alg_oid.content, alg_parts.get(1));
    if alg_oid.content == oid::RSA || alg_oid.content == oid::RSA_PSS {
        size = rsa_public_bits(bits);
    } else if alg_oid.content == oid::DSA {
        size = alg_parts
            .get(1)
            .and_then(|p| children(p.content).ok())
            .and_then(|pqg| pqg.first().map(|p| integer_bits(p.content)));
    }
    Ok((name, size, bits))
}

/// Modulus size of a PKCS#1 RSAPublicKey.
fn rsa_public_bits(rsa_public_key: &[u8]) -> Option<u32> {
    let (seq, _) = read_tlv(rsa_public_key).ok()?;
    let parts = children(seq.content).ok()?;
    parts.first().map(|m| integer_bits(m.content))
}

/// Which container a plain private key came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFormat {
    Pkcs1,
    Sec1,
    Pkcs8,
}

impl KeyFormat {
    pub fn label(self) -> &'static str {
        match self {
            KeyFormat::Pkcs1 => "pkcs1",
            KeyFormat::Sec1 => "sec1",
            KeyFormat::Pkcs8 => "pkcs8",
        }
    }
}

/// Guess the format of a plain (unencrypted) private key DER.
pub fn sniff_format(der: &[u8]) -> Option<KeyFormat> {
    let (seq, rest) = read_tlv(der).ok()?;
    if seq.tag != 0x30 || !rest.is_empty() {
        return None;
    }
    let parts = children(seq.content).ok()?;
    match parts.as_slice() {
        // PKCS#8: version, AlgorithmIdentifier, OCTET STRING privateKey, ...
        [v, alg, pk, ..] if v.tag == 0x02 && alg.tag == 0x30 && pk.tag == 0x04 => {
            Some(KeyFormat::Pkcs8)
        }
        // SEC1: version 1, OCTET STRING, [0] params?, [1] public?
        [v, pk, ..] if v.tag == 0x02 && v.content == [1] && pk.tag == 0x04 => Some(KeyFormat::Sec1),
        // PKCS#1: version + 8 INTEGERs
        p if p.len() >= 9 && p.iter().all(|t| t.tag == 0x02) => Some(KeyFormat::Pkcs1),
        _ => None,
    }
}

/// Describe a plain private key and derive its raw public key bits.
pub fn summarize(der: &[u8], format: KeyFormat) -> Result<KeyInfo, String> {
    let (seq, _) = read_tlv(der)?;
    let parts = children(seq.content)?;
    let mut info = KeyInfo {
        format: format.label().into(),
        ..Default::default()
    };
    match format {
        KeyFormat::Pkcs1 => {
            let (n, e) = match parts.as_slice() {
                [_, n, e, ..] => (n, e),
                _ => return Err("malformed PKCS#1 RSA key".into()),
            };
            info.key_algorithm = "RSA".into();
            info.key_bits = Some(integer_bits(n.content));
            let mut body = n.raw.to_vec();
            body.extend_from_slice(e.raw);
            info.public_bits = Some(encode_tlv(0x30, &body));
        }
        KeyFormat::Sec1 => sec1_into(&parts, None, der, &mut info)?,
        KeyFormat::Pkcs8 => {
            let [_, alg, pk, rest @ ..] = parts.as_slice() else {
                return Err("malformed PKCS#8 key".into());
            };
            let alg_parts = children(alg.content)?;
            let alg_oid = alg_parts.first().ok_or("PKCS#8 key without algorithm")?;
            let params = alg_parts.get(1);
            let (name, bits) = algorithm_name(alg_oid.content, params);
            info.key_algorithm = name.into();
            info.key_bits = bits;
            match alg_oid.content {
                oid::RSA | oid::RSA_PSS => {
                    let inner = summarize(pk.content, KeyFormat::Pkcs1)?;
                    info.key_bits = inner.key_bits;
                    info.public_bits = inner.public_bits;
                }
                oid::EC => {
                    let (inner, _) = read_tlv(pk.content)?;
                    let inner_parts = children(inner.content)?;
                    let curve = params.filter(|p| p.tag == 0x06).map(|p| p.content);
                    sec1_into(&inner_parts, curve, pk.content, &mut info)?;
                }
                oid::ED25519 => {
                    // v2 (RFC 5958) may carry the public key as [1]; else derive it from the seed.
                    let explicit = rest.iter().find(|t| t.tag == 0x81).map(|t| t.content);
                    info.public_bits = match explicit {
                        Some(p) => Some(p.get(1..).unwrap_or_default().to_vec()),
                        None => ed25519_public(pk.content),
                    };
                }
                _ => {}
            }
        }
    }
    Ok(info)
}

fn sec1_into(
    parts: &[Tlv],
    curve_from_pkcs8: Option<&[u8]>,
    sec1_der: &[u8],
    info: &mut KeyInfo,
) -> Result<(), String> {
    let params = parts.iter().find(|t| t.tag == 0xa0);
    let curve = params
        .and_then(|p| read_tlv(p.content).ok())
        .map(|(t, _)| t.content)
        .or(curve_from_pkcs8);
    let curve_tlv = curve.map(|c| Tlv {
        tag: 0x06,
        content: c,
        raw: c,
    });
    let (name, bits) = algorithm_name(oid::EC, curve_tlv.as_ref());
    info.key_algorithm = name.into();
    info.key_bits = bits;
    let public = parts
        .iter()
        .find(|t| t.tag == 0xa1)
        .and_then(|p| read_tlv(p.content).ok())
        .map(|(bitstr, _)| bitstr.content.get(1..).unwrap_or_default().to_vec());
    info.public_bits = match public {
        Some(p) => Some(p),
        None => ec_public_from_private(sec1_der, curve),
    };
    Ok(())
}

/// SEC1 keys written without the optional public key: derive it with aws-lc.
fn ec_public_from_private(sec1_der: &[u8], curve: Option<&[u8]>) -> Option<Vec<u8>> {
    use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair};
    let alg = match curve? {
        oid::P256 => &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        oid::P384 => &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
        oid::P521 => &signature::ECDSA_P521_SHA512_ASN1_SIGNING,
        _ => return None,
    };
    let kp = EcdsaKeyPair::from_private_key_der(alg, sec1_der).ok()?;
    Some(kp.public_key().as_ref().to_vec())
}

fn ed25519_public(private_octets: &[u8]) -> Option<Vec<u8>> {
    use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
    // CurvePrivateKey ::= OCTET STRING (the 32-byte seed), nested in the PKCS#8 OCTET STRING.
    let (seed, _) = read_tlv(private_octets).ok()?;
    let kp = Ed25519KeyPair::from_seed_unchecked(seed.content).ok()?;
    Some(kp.public_key().as_ref().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_bits_counts_magnitude() {
        assert_eq!(integer_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(integer_bits(&[0x01, 0x00]), 9);
        assert_eq!(integer_bits(&[]), 0);
    }

    #[test]
    fn garbage_keys_are_errors() {
        assert!(sniff_format(b"\x30\x03\x02\x01\x00").is_none());
        assert!(summarize(b"\x30\x00", KeyFormat::Pkcs8).is_err());
        assert!(summarize(b"", KeyFormat::Pkcs1).is_err());
    }
}
