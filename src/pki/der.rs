//! A minimal, bounds-checked DER TLV reader for the few places where we walk ASN.1 by hand
//! (subject canonicalisation, PKCS#7 certificate sets, key structures). Never panics.

/// One TLV: tag byte (single-byte tags only, which is all X.509 names and our containers use),
/// the content, and the whole encoding.
#[derive(Debug, Clone, Copy)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub content: &'a [u8],
    pub raw: &'a [u8],
}

/// Read one TLV from the front of `data`; returns it and the rest.
pub fn read_tlv(data: &[u8]) -> Result<(Tlv<'_>, &[u8]), String> {
    let tag = *data.first().ok_or("DER: unexpected end of data")?;
    if tag & 0x1f == 0x1f {
        return Err("DER: multi-byte tags are not supported here".into());
    }
    let first = *data.get(1).ok_or("DER: missing length")?;
    let (len, hdr) = if first < 0x80 {
        (first as usize, 2)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 {
            return Err("DER: indefinite or oversized length".into());
        }
        let bytes = data.get(2..2 + n).ok_or("DER: truncated length")?;
        let len = bytes.iter().fold(0usize, |acc, b| (acc << 8) | *b as usize);
        (len, 2 + n)
    };
    let end = hdr.checked_add(len).ok_or("DER: length overflow")?;
    let raw = data
        .get(..end)
        .ok_or("DER: truncated (length exceeds data)")?;
    Ok((
        Tlv {
            tag,
            content: &raw[hdr..],
            raw,
        },
        &data[end..],
    ))
}

/// All TLVs inside `content` (e.g. the elements of a SEQUENCE or SET).
pub fn children(mut content: &[u8]) -> Result<Vec<Tlv<'_>>, String> {
    let mut out = Vec::new();
    while !content.is_empty() {
        let (tlv, rest) = read_tlv(content)?;
        out.push(tlv);
        content = rest;
    }
    Ok(out)
}

/// Encode a DER length.
pub fn encode_len(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// Encode a full TLV.
pub fn encode_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    encode_len(content.len(), &mut out);
    out.extend_from_slice(content);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lengths_roundtrip_and_truncation_errors() {
        let content = vec![7u8; 300];
        let enc = encode_tlv(0x30, &content);
        let (tlv, rest) = read_tlv(&enc).unwrap();
        assert_eq!(tlv.tag, 0x30);
        assert_eq!(tlv.content.len(), 300);
        assert!(rest.is_empty());
        assert!(read_tlv(&enc[..100]).is_err());
        assert!(read_tlv(&[]).is_err());
        assert!(read_tlv(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_err());
    }
}
