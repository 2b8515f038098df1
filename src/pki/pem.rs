//! A forgiving PEM block scanner.
//!
//! Unlike `pem::parse_many`, one bad block does not hide the others: every block is returned with
//! its own decode result, text around blocks is ignored, CRLF is fine, and RFC 1421 headers
//! (`Proc-Type`, `DEK-Info`) are kept because legacy encrypted keys need them.

use base64::Engine;

#[derive(Debug, Clone)]
pub struct PemBlock {
    pub label: String,
    pub headers: Vec<(String, String)>,
    /// Decoded body, or why it could not be decoded.
    pub body: Result<Vec<u8>, String>,
}

impl PemBlock {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

const BEGIN: &str = "-----BEGIN ";
const END: &str = "-----END ";

/// True if the bytes contain at least one PEM BEGIN line (cheap check before a full scan).
pub fn looks_like_pem(data: &[u8]) -> bool {
    memfind(data, BEGIN.as_bytes()).is_some()
}

fn memfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Every `-----BEGIN X-----` ... `-----END X-----` block in `data`, in order.
pub fn parse_blocks(data: &[u8]) -> Vec<PemBlock> {
    // PEM is ASCII; invalid UTF-8 elsewhere in the file (comments) must not stop us.
    let text = String::from_utf8_lossy(data);
    let mut blocks = Vec::new();
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
    while let Some(line) = lines.next() {
        let line = line.trim();
        let Some(label) = line
            .strip_prefix(BEGIN)
            .and_then(|rest| rest.strip_suffix("-----"))
        else {
            continue;
        };
        let label = label.trim().to_string();
        let mut headers = Vec::new();
        let mut b64 = String::new();
        let mut ended = false;
        let mut in_headers = true;
        for body_line in lines.by_ref() {
            let body_line = body_line.trim();
            if let Some(end_label) = body_line
                .strip_prefix(END)
                .and_then(|r| r.strip_suffix("-----"))
            {
                ended = true;
                if end_label.trim() != label {
                    b64.clear();
                    headers.push(("_mismatch".into(), end_label.trim().to_string()));
                }
                break;
            }
            if in_headers {
                if let Some((k, v)) = body_line.split_once(':') {
                    if !k.contains(' ') || k.starts_with("Proc-Type") || k.starts_with("DEK-Info") {
                        headers.push((k.trim().to_string(), v.trim().to_string()));
                        continue;
                    }
                }
                if body_line.is_empty() {
                    continue;
                }
                in_headers = false;
            }
            b64.push_str(body_line);
        }
        let body = if !ended {
            Err(format!("PEM block {label} has no END line (truncated?)"))
        } else if let Some((_, end)) = headers.iter().find(|(k, _)| k == "_mismatch") {
            Err(format!("PEM block BEGIN {label} ends with END {end}"))
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(b64.as_bytes())
                .map_err(|e| format!("bad base64 in PEM block {label}: {e}"))
                .and_then(|v| {
                    if v.is_empty() {
                        Err(format!("empty PEM block {label}"))
                    } else {
                        Ok(v)
                    }
                })
        };
        blocks.push(PemBlock {
            label,
            headers,
            body,
        });
    }
    blocks
}

/// Encode DER as PEM with 64-column lines and `\n` endings (what OpenSSL writes).
pub fn encode(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 64);
    out.push_str(&format!("-----BEGIN {label}-----\n"));
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_with_text_crlf_and_headers() {
        let data = b"hello\r\n-----BEGIN CERTIFICATE-----\r\nAAEC\r\n-----END CERTIFICATE-----\r\nbetween\n-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\nAAEC\n-----END RSA PRIVATE KEY-----\n";
        let b = parse_blocks(data);
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].label, "CERTIFICATE");
        assert_eq!(b[0].body.as_ref().unwrap(), &vec![0u8, 1, 2]);
        assert_eq!(b[1].header("proc-type"), Some("4,ENCRYPTED"));
        assert!(b[1].header("DEK-Info").unwrap().starts_with("AES-128-CBC"));
        assert_eq!(b[1].body.as_ref().unwrap(), &vec![0u8, 1, 2]);
    }

    #[test]
    fn bad_base64_and_truncation_are_per_block_errors() {
        let data = b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nAAEC\n";
        let b = parse_blocks(data);
        assert_eq!(b.len(), 3);
        assert!(b[0].body.as_ref().unwrap_err().contains("base64"));
        assert!(b[1].body.is_ok());
        assert!(b[2].body.as_ref().unwrap_err().contains("END"));
    }

    #[test]
    fn encode_roundtrip() {
        let der: Vec<u8> = (0..200u8).collect();
        let pem = encode("CERTIFICATE", &der);
        let b = parse_blocks(pem.as_bytes());
        assert_eq!(b[0].body.as_ref().unwrap(), &der);
        assert!(pem.lines().all(|l| l.len() <= 64 || l.starts_with("-----")));
    }
}
