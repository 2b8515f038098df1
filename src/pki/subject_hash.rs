//! OpenSSL's `X509_NAME_hash` (what `openssl x509 -subject_hash` prints and what CApath
//! `<hash>.N` links are named after).
//!
//! SHA-1 over the canonical encoding of the name, first 4 bytes read little-endian. The canonical
//! encoding re-encodes each RDN as a DER SET (sorted) of SEQUENCE{OID, value}, RDNs concatenated
//! without the outer SEQUENCE. String values are converted to UTF8String after trimming ASCII
//! whitespace, collapsing inner runs to one space and lowercasing ASCII letters (OpenSSL
//! `asn1_string_canon`); other value types are copied unchanged.

use super::der::{children, encode_tlv, read_tlv};
use sha1::{Digest, Sha1};

const UTF8: u8 = 0x0c;
const PRINTABLE: u8 = 0x13;
const T61: u8 = 0x14;
const IA5: u8 = 0x16;
const UNIVERSAL: u8 = 0x1c;
const BMP: u8 = 0x1e;
const VISIBLE: u8 = 0x1a;

/// Hash of a DER-encoded X.509 Name (the full SEQUENCE, as `X509Name::as_raw()` returns it).
pub fn subject_hash(name_der: &[u8]) -> Result<u32, String> {
    canonical_name(name_der).map(|c| hash_of_canonical(&c))
}

/// The hash of an already canonical name (callers that also compare names canonicalise once).
pub fn hash_of_canonical(canon: &[u8]) -> u32 {
    let digest = Sha1::digest(canon);
    u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// `%08x`, the form used in link names and JSON.
pub fn format_hash(h: u32) -> String {
    format!("{h:08x}")
}

/// Convenience: the 8-hex-digit hash string, or an error string.
pub fn subject_hash_hex(name_der: &[u8]) -> Result<String, String> {
    subject_hash(name_der).map(format_hash)
}

/// The canonical encoding OpenSSL hashes (also useful to compare names the way OpenSSL does).
pub fn canonical_name(name_der: &[u8]) -> Result<Vec<u8>, String> {
    let (name, rest) = read_tlv(name_der)?;
    if name.tag != 0x30 || !rest.is_empty() {
        return Err("name is not a single DER SEQUENCE".into());
    }
    let mut out = Vec::new();
    for rdn in children(name.content)? {
        if rdn.tag != 0x31 {
            return Err("RDN is not a SET".into());
        }
        let mut atvs = Vec::new();
        for atv in children(rdn.content)? {
            let parts = children(atv.content)?;
            let (oid, value) = match parts.as_slice() {
                [oid, value] if oid.tag == 0x06 => (oid, value),
                _ => return Err("malformed AttributeTypeAndValue".into()),
            };
            let value_enc = match canonical_string(value.tag, value.content)? {
                Some(s) => encode_tlv(UTF8, s.as_bytes()),
                None => value.raw.to_vec(),
            };
            let mut seq = oid.raw.to_vec();
            seq.extend_from_slice(&value_enc);
            atvs.push(encode_tlv(0x30, &seq));
        }
        // DER SET OF: elements sorted by their encodings.
        atvs.sort();
        out.extend_from_slice(&encode_tlv(0x31, &atvs.concat()));
    }
    Ok(out)
}

/// Decode a string value to UTF-8 and canonicalise it; `None` for types OpenSSL copies verbatim.
fn canonical_string(tag: u8, content: &[u8]) -> Result<Option<String>, String> {
    let text: String = match tag {
        UTF8 => String::from_utf8(content.to_vec()).map_err(|_| "invalid UTF8String")?,
        PRINTABLE | IA5 | VISIBLE | T61 => content.iter().map(|&b| b as char).collect(),
        BMP => {
            if !content.len().is_multiple_of(2) {
                return Err("odd-length BMPString".into());
            }
            let units: Vec<u16> = content
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).map_err(|_| "invalid BMPString")?
        }
        UNIVERSAL => {
            if !content.len().is_multiple_of(4) {
                return Err("bad UniversalString length".into());
            }
            content
                .chunks(4)
                .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                .collect::<Option<String>>()
                .ok_or("invalid UniversalString")?
        }
        _ => return Ok(None),
    };
    Ok(Some(canon_text(&text)))
}

/// OpenSSL's whitespace set (`ossl_isspace`): space, \t, \n, \v, \f, \r.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

fn canon_text(s: &str) -> String {
    let trimmed = s.trim_matches(is_space);
    let mut out = String::with_capacity(trimmed.len());
    let mut in_space = false;
    for c in trimmed.chars() {
        if is_space(c) {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            in_space = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_subject_hash_matches_openssl() {
        assert_eq!(
            format_hash(subject_hash(&[0x30, 0x00]).unwrap()),
            "eea339da"
        );
    }

    #[test]
    fn canonical_text_rules() {
        assert_eq!(canon_text("  Foo \t\n BAR  "), "foo bar");
        assert_eq!(canon_text("ÄBC"), "Äbc");
    }

    #[test]
    fn printable_and_utf8_with_case_and_space_hash_equal() {
        // CN=" Example  Host " as PrintableString vs CN="example host" as UTF8String.
        let cn_oid = [0x06, 0x03, 0x55, 0x04, 0x03];
        let make = |tag: u8, v: &[u8]| {
            let mut atv = cn_oid.to_vec();
            atv.extend(encode_tlv(tag, v));
            encode_tlv(0x30, &encode_tlv(0x31, &encode_tlv(0x30, &atv)))
        };
        let a = make(PRINTABLE, b" Example  Host ");
        let b = make(UTF8, b"example host");
        assert_eq!(subject_hash(&a).unwrap(), subject_hash(&b).unwrap());
        let bmp: Vec<u8> = "EXAMPLE host"
            .encode_utf16()
            .flat_map(|u| u.to_be_bytes())
            .collect();
        assert_eq!(
            subject_hash(&make(BMP, &bmp)).unwrap(),
            subject_hash(&b).unwrap()
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(subject_hash(&[0x30, 0x05, 0x31]).is_err());
        assert!(subject_hash(&[0x04, 0x00]).is_err());
        assert!(subject_hash(&[]).is_err());
    }
}
