//! Reading a PKCS#12 file the way `openssl pkcs12` does, before p12-keystore builds its entries.
//!
//! p12-keystore 0.4 checks the MAC and decrypts with one password encoding only, and its PBES2
//! lacks PBKDF2 with HMAC-SHA1 (what Java's `PBEWithHmacSHA1AndAES_256` and older OpenSSL write);
//! a file it could not decrypt looked like a wrong password. Here:
//! - the MAC (HMAC-SHA-1/SHA-2 keyed by the PKCS#12 KDF) is checked for each candidate password;
//!   after the given ones the empty password is tried in both encodings openssl tries: an empty
//!   BMPString (just its two-byte terminator) and no password at all (zero bytes, what
//!   `PKCS12_create` with a NULL password and pyca's `NoEncryption` write);
//! - once a password verifies the MAC nothing that follows is a wrong password: an algorithm not
//!   implemented here is named ([`ReadError::Unsupported`]), anything else is malformed;
//! - without a MAC (`-nomac`) the first candidate that decrypts every safe and key bag wins;
//! - decryption: PBES2 through [`keycrypt::decrypt_pbes2`] (PBKDF2 with HMAC-SHA-1..512 or scrypt;
//!   AES-CBC, 3DES), and PKCS#12 PBE with SHA-1 and 3DES, 2-key 3DES, RC2-128 or RC2-40
//!   (`-legacy`). RC4 and public-key privacy or integrity modes are reported as unsupported.
//!
//! The result is the same content as a plain PFX: no MAC, one unencrypted safe, key bags where
//! the file had shrouded key bags (bag attributes kept), nested safes flattened. Secret bags stay
//! as they are: p12-keystore decrypts those itself with the password.

use cbc::cipher::{block_padding::Pkcs7, BlockDecryptMut, KeyIvInit};
use hmac::{Mac, SimpleHmac};
use pkcs8::der::asn1::ObjectIdentifier;
use sha2::digest::core_api::BlockSizeUser;
use sha2::Digest;
use zeroize::Zeroizing;

use super::der::{children, read_tlv, Tlv};
use super::keycrypt::{self, KeyCryptError};

/// Largest PKCS#12 KDF iteration count accepted (MAC and PBE); OpenSSL writes 2048, Java 10 000,
/// pyca 20 000. Bounds the work a planted file can ask of a scan.
pub const MAX_KDF_ITERATIONS: u64 = 1_000_000;
/// Safes nested in safeContents bags deeper than this are refused.
const MAX_NESTING: usize = 4;

const OID_DATA: &str = "1.2.840.113549.1.7.1";
const OID_SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
const OID_ENVELOPED_DATA: &str = "1.2.840.113549.1.7.3";
const OID_ENCRYPTED_DATA: &str = "1.2.840.113549.1.7.6";
const OID_SHROUDED_KEY_BAG: &str = "1.2.840.113549.1.12.10.1.2";
const OID_SECRET_BAG: &str = "1.2.840.113549.1.12.10.1.5";
const OID_SAFE_CONTENTS_BAG: &str = "1.2.840.113549.1.12.10.1.6";
const OID_PBES2: &str = "1.2.840.113549.1.5.13";
const PKCS12_PBE_PREFIX: &str = "1.2.840.113549.1.12.1.";
/// DER of OBJECT IDENTIFIER data (1.2.840.113549.1.7.1) and keyBag (1.2.840.113549.1.12.10.1.1).
const DATA_OID_TLV: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01,
];
const KEY_BAG_OID_TLV: &[u8] = &[
    0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x01,
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// No candidate password opens the file: `mac` says whether a MAC said so (else decryption).
    WrongPassword {
        mac: bool,
    },
    /// An algorithm this reader does not implement; the text names it.
    Unsupported(String),
    Malformed(String),
}

/// The decrypted content as a plain PFX, and the password (as text) that opened it.
pub struct Plain {
    pub pfx: Zeroizing<Vec<u8>>,
    pub password: Zeroizing<String>,
    pub secret_bags: usize,
}

/// A candidate password; `Text("")` is the empty BMPString, `Absent` no password at all.
#[derive(Debug, Clone, Copy)]
enum Pass<'a> {
    Text(&'a str),
    Absent,
}

impl Pass<'_> {
    /// Input of the PKCS#12 KDF: UTF-16BE with a two-byte terminator (RFC 7292 B.1).
    fn bmp(&self) -> Zeroizing<Vec<u8>> {
        match self {
            Pass::Text(s) => Zeroizing::new(
                s.encode_utf16()
                    .chain([0])
                    .flat_map(|u| u.to_be_bytes())
                    .collect(),
            ),
            Pass::Absent => Zeroizing::new(vec![]),
        }
    }
    /// Input of PBKDF2: the UTF-8 bytes (both empty encodings are no bytes).
    fn utf8(&self) -> &[u8] {
        match self {
            Pass::Text(s) => s.as_bytes(),
            Pass::Absent => b"",
        }
    }
    fn text(&self) -> &str {
        match self {
            Pass::Text(s) => s,
            Pass::Absent => "",
        }
    }
}

/// Why one candidate failed to decrypt.
enum DecErr {
    Wrong,
    Unsupported(String),
    Malformed(String),
}

impl From<String> for ReadError {
    fn from(s: String) -> Self {
        ReadError::Malformed(s)
    }
}

impl From<String> for DecErr {
    fn from(s: String) -> Self {
        DecErr::Malformed(s)
    }
}

/// Verify and decrypt `der` with the first password (of `passwords`, then the empty one in both
/// encodings) that opens it.
pub fn read(der: &[u8], passwords: &[Zeroizing<String>]) -> Result<Plain, ReadError> {
    let pfx = parse_pfx(der)?;
    let mut cands: Vec<Pass<'_>> = vec![];
    for p in passwords {
        if !p.is_empty() && !cands.iter().any(|c| c.text() == p.as_str()) {
            cands.push(Pass::Text(p));
        }
    }
    cands.extend([Pass::Text(""), Pass::Absent]);

    let Some(mac) = &pfx.mac else {
        for c in &cands {
            match unpack(pfx.auth_safe, *c) {
                Ok(p) => return Ok(p),
                Err(DecErr::Wrong) => continue,
                Err(DecErr::Unsupported(s)) => return Err(ReadError::Unsupported(s)),
                Err(DecErr::Malformed(s)) => return Err(ReadError::Malformed(s)),
            }
        }
        return Err(ReadError::WrongPassword { mac: false });
    };
    if mac.iterations > MAX_KDF_ITERATIONS {
        return Err(ReadError::Malformed(format!(
            "MAC iteration count {} exceeds the limit of {MAX_KDF_ITERATIONS}",
            mac.iterations
        )));
    }
    let mut opened = None;
    for c in &cands {
        if mac_matches(mac, pfx.auth_safe, *c)? {
            opened = Some(*c);
            break;
        }
    }
    let pass = opened.ok_or(ReadError::WrongPassword { mac: true })?;
    unpack(pfx.auth_safe, pass).map_err(|e| match e {
        DecErr::Wrong => ReadError::Malformed(
            "the password that verifies the MAC does not decrypt the contents \
             (separate MAC and encryption passwords are not supported)"
                .into(),
        ),
        DecErr::Unsupported(s) => ReadError::Unsupported(s),
        DecErr::Malformed(s) => ReadError::Malformed(s),
    })
}

struct MacData<'a> {
    digest_oid: String,
    digest: &'a [u8],
    salt: &'a [u8],
    iterations: u64,
}

struct Pfx<'a> {
    /// The content octets of the authSafe: what the MAC covers.
    auth_safe: &'a [u8],
    mac: Option<MacData<'a>>,
}

fn expect<'a>(t: Option<&Tlv<'a>>, tag: u8, what: &str) -> Result<Tlv<'a>, String> {
    match t {
        Some(t) if t.tag == tag => Ok(*t),
        Some(t) => Err(format!("{what}: unexpected tag 0x{:02x}", t.tag)),
        None => Err(format!("{what} missing")),
    }
}

fn oid(t: Option<&Tlv<'_>>, what: &str) -> Result<String, String> {
    let t = expect(t, 0x06, what)?;
    ObjectIdentifier::from_bytes(t.content)
        .map(|o| o.to_string())
        .map_err(|e| format!("{what}: {e}"))
}

/// A non-negative INTEGER that fits in u64.
fn uint(t: &Tlv<'_>) -> Option<u64> {
    let b = t.content;
    if t.tag != 0x02 || b.is_empty() || b[0] & 0x80 != 0 {
        return None;
    }
    let b = if b.len() > 1 && b[0] == 0 { &b[1..] } else { b };
    (b.len() <= 8).then(|| b.iter().fold(0u64, |a, x| (a << 8) | u64::from(*x)))
}

/// Name and OID, as error messages show an algorithm.
fn named(oid: &str) -> String {
    let name = match oid {
        "1.2.840.113549.1.5.14" => "PBMAC1".to_string(),
        "1.2.840.113549.2.5" => "MD5".to_string(),
        "1.2.643.7.1.1.2.2" | "1.2.643.7.1.1.2.3" => "GOST R 34.11-2012".to_string(),
        _ => match ObjectIdentifier::new(oid) {
            Ok(o) => keycrypt::algorithm_name(&o),
            Err(_) => String::new(),
        },
    };
    if name.is_empty() || name.starts_with("OID ") {
        format!("OID {oid}")
    } else {
        format!("{name} ({oid})")
    }
}

fn parse_pfx(der: &[u8]) -> Result<Pfx<'_>, ReadError> {
    let (top, _) = read_tlv(der)?;
    if top.tag != 0x30 {
        return Err(ReadError::Malformed(
            "not a PKCS#12 PFX (no outer SEQUENCE)".into(),
        ));
    }
    let el = children(top.content)?;
    let version = expect(el.first(), 0x02, "PFX version")?;
    if uint(&version) != Some(3) {
        return Err(ReadError::Malformed("PFX version is not 3".into()));
    }
    let ci = expect(el.get(1), 0x30, "authSafe")?;
    let ci = children(ci.content)?;
    match oid(ci.first(), "authSafe content type")?.as_str() {
        OID_DATA => {}
        OID_SIGNED_DATA => {
            return Err(ReadError::Unsupported(
                "public-key integrity mode (signedData authSafe) is not supported".into(),
            ))
        }
        other => return Err(format!("authSafe content type {other} is not data").into()),
    }
    let wrapped = expect(ci.get(1), 0xa0, "authSafe content")?;
    let (octets, _) = read_tlv(wrapped.content)?;
    let auth_safe = expect(Some(&octets), 0x04, "authSafe OCTET STRING")?.content;
    let mac = match el.get(2) {
        None => None,
        Some(m) => {
            let m = children(expect(Some(m), 0x30, "macData")?.content)?;
            let di = children(expect(m.first(), 0x30, "MAC DigestInfo")?.content)?;
            let alg = children(expect(di.first(), 0x30, "MAC algorithm")?.content)?;
            Some(MacData {
                digest_oid: oid(alg.first(), "MAC algorithm")?,
                digest: expect(di.get(1), 0x04, "MAC digest")?.content,
                salt: expect(m.get(1), 0x04, "MAC salt")?.content,
                // iterations INTEGER DEFAULT 1
                iterations: match m.get(2) {
                    None => 1,
                    Some(t) => uint(t).ok_or_else(|| {
                        ReadError::Malformed("MAC iteration count is not a small INTEGER".into())
                    })?,
                },
            })
        }
    };
    Ok(Pfx { auth_safe, mac })
}

/// RFC 7292 appendix B.2: derive `n` bytes of purpose `id` (1 key, 2 IV, 3 MAC key).
fn pkcs12_kdf<D: Digest + BlockSizeUser>(
    pass: &[u8],
    salt: &[u8],
    id: u8,
    iterations: u64,
    n: usize,
) -> Zeroizing<Vec<u8>> {
    let v = <D as BlockSizeUser>::block_size();
    let u = <D as Digest>::output_size();
    let stretch = |s: &[u8]| -> Zeroizing<Vec<u8>> {
        if s.is_empty() {
            return Zeroizing::new(vec![]);
        }
        Zeroizing::new(
            (0..v * s.len().div_ceil(v))
                .map(|i| s[i % s.len()])
                .collect(),
        )
    };
    let mut i_buf = Zeroizing::new([stretch(salt).as_slice(), stretch(pass).as_slice()].concat());
    let diversifier = vec![id; v];
    let mut out = Zeroizing::new(Vec::with_capacity(n));
    loop {
        let mut a = D::new()
            .chain_update(&diversifier)
            .chain_update(&*i_buf)
            .finalize();
        for _ in 1..iterations.max(1) {
            a = D::digest(a.as_slice());
        }
        let take = (n - out.len()).min(u);
        out.extend_from_slice(&a[..take]);
        if out.len() >= n {
            return out;
        }
        // I_j = (I_j + B + 1) mod 2^(8v), B = A repeated to v bytes.
        for chunk in i_buf.chunks_mut(v) {
            let mut carry = 1u16;
            for k in (0..v).rev() {
                let s = u16::from(chunk[k]) + u16::from(a[k % u]) + carry;
                chunk[k] = s as u8;
                carry = s >> 8;
            }
        }
    }
}

fn hmac_matches<D: Digest + BlockSizeUser + Clone>(
    m: &MacData<'_>,
    data: &[u8],
    pass: Pass<'_>,
) -> bool {
    let key = pkcs12_kdf::<D>(
        &pass.bmp(),
        m.salt,
        3,
        m.iterations,
        <D as Digest>::output_size(),
    );
    let Ok(mut mac) = <SimpleHmac<D> as Mac>::new_from_slice(&key) else {
        return false;
    };
    mac.update(data);
    mac.verify_slice(m.digest).is_ok()
}

fn mac_matches(m: &MacData<'_>, data: &[u8], pass: Pass<'_>) -> Result<bool, ReadError> {
    Ok(match m.digest_oid.as_str() {
        "1.3.14.3.2.26" => hmac_matches::<sha1::Sha1>(m, data, pass),
        "2.16.840.1.101.3.4.2.4" => hmac_matches::<sha2::Sha224>(m, data, pass),
        "2.16.840.1.101.3.4.2.1" => hmac_matches::<sha2::Sha256>(m, data, pass),
        "2.16.840.1.101.3.4.2.2" => hmac_matches::<sha2::Sha384>(m, data, pass),
        "2.16.840.1.101.3.4.2.3" => hmac_matches::<sha2::Sha512>(m, data, pass),
        "2.16.840.1.101.3.4.2.5" => hmac_matches::<sha2::Sha512_224>(m, data, pass),
        "2.16.840.1.101.3.4.2.6" => hmac_matches::<sha2::Sha512_256>(m, data, pass),
        other => {
            return Err(ReadError::Unsupported(format!(
                "MAC algorithm {} is not supported (only HMAC with SHA-1 or SHA-2)",
                named(other)
            )))
        }
    })
}

/// Decrypt `data` under the AlgorithmIdentifier `alg`.
fn decrypt(alg: &Tlv<'_>, data: &[u8], pass: Pass<'_>) -> Result<Zeroizing<Vec<u8>>, DecErr> {
    let el = children(alg.content)?;
    let scheme = oid(el.first(), "encryption algorithm")?;
    if scheme == OID_PBES2 {
        return keycrypt::decrypt_pbes2(alg.raw, data, pass.utf8()).map_err(|e| match e {
            KeyCryptError::WrongPassphrase => DecErr::Wrong,
            KeyCryptError::Unsupported(s) => DecErr::Unsupported(s),
            KeyCryptError::Malformed(s) => DecErr::Malformed(s),
        });
    }
    let Some(n) = scheme.strip_prefix(PKCS12_PBE_PREFIX) else {
        return Err(DecErr::Unsupported(format!(
            "encryption {} is not supported (only PBES2 and PKCS#12 PBE with 3DES or RC2)",
            named(&scheme)
        )));
    };
    // (key length, RC2 effective bits; 0 = 3DES)
    let (key_len, rc2_bits) = match n {
        "3" => (24, 0),
        "4" => (16, 0),
        "5" => (16, 128),
        "6" => (5, 40),
        _ => {
            return Err(DecErr::Unsupported(format!(
                "encryption {} is not supported (RC4 is not implemented)",
                named(&scheme)
            )))
        }
    };
    let params = children(expect(el.get(1), 0x30, "PBE parameters")?.content)?;
    let salt = expect(params.first(), 0x04, "PBE salt")?.content;
    let iterations = params
        .get(1)
        .and_then(uint)
        .ok_or_else(|| DecErr::Malformed("PBE iteration count missing or invalid".into()))?;
    if iterations > MAX_KDF_ITERATIONS {
        return Err(DecErr::Malformed(format!(
            "PBE iteration count {iterations} exceeds the limit of {MAX_KDF_ITERATIONS}"
        )));
    }
    if data.is_empty() || !data.len().is_multiple_of(8) {
        return Err(DecErr::Malformed(format!(
            "encrypted data is {} bytes, not a multiple of the 8-byte block",
            data.len()
        )));
    }
    let bmp = pass.bmp();
    let key = pkcs12_kdf::<sha1::Sha1>(&bmp, salt, 1, iterations, key_len);
    let iv = pkcs12_kdf::<sha1::Sha1>(&bmp, salt, 2, iterations, 8);
    let mut buf = Zeroizing::new(data.to_vec());
    let len = if rc2_bits == 0 {
        let r = if key_len == 24 {
            cbc::Decryptor::<des::TdesEde3>::new_from_slices(&key, &iv)
                .ok()
                .and_then(|d| {
                    d.decrypt_padded_mut::<Pkcs7>(&mut buf)
                        .ok()
                        .map(|p| p.len())
                })
        } else {
            cbc::Decryptor::<des::TdesEde2>::new_from_slices(&key, &iv)
                .ok()
                .and_then(|d| {
                    d.decrypt_padded_mut::<Pkcs7>(&mut buf)
                        .ok()
                        .map(|p| p.len())
                })
        };
        r.ok_or(DecErr::Wrong)?
    } else {
        rc2_cbc_decrypt(&key, rc2_bits, &iv, &mut buf).ok_or(DecErr::Wrong)?
    };
    buf.truncate(len);
    Ok(buf)
}

/// RC2-CBC with PKCS#7 padding, in place; the plaintext length, or None on bad padding.
fn rc2_cbc_decrypt(key: &[u8], bits: usize, iv: &[u8], buf: &mut [u8]) -> Option<usize> {
    use rc2::cipher::BlockCipherDecrypt;
    if buf.is_empty() || !buf.len().is_multiple_of(8) {
        return None;
    }
    let cipher = rc2::Rc2::new_with_eff_key_len(key, bits);
    let mut prev = [0u8; 8];
    prev.copy_from_slice(iv.get(..8)?);
    for chunk in buf.chunks_mut(8) {
        let mut block = rc2::cipher::Block::<rc2::Rc2>::default();
        block.copy_from_slice(chunk);
        let ct: [u8; 8] = block.into();
        cipher.decrypt_block(&mut block);
        for (k, b) in chunk.iter_mut().enumerate() {
            *b = block[k] ^ prev[k];
        }
        prev = ct;
    }
    let pad = usize::from(*buf.last()?);
    let ok = (1..=8).contains(&pad)
        && buf[buf.len() - pad..]
            .iter()
            .all(|b| usize::from(*b) == pad);
    ok.then(|| buf.len() - pad)
}

/// A TLV built from parts, in a zeroizing buffer (the parts may be key material).
fn tlv(tag: u8, parts: &[&[u8]]) -> Zeroizing<Vec<u8>> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut out = Zeroizing::new(Vec::with_capacity(len + 6));
    out.push(tag);
    super::der::encode_len(len, &mut out);
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

/// Exactly one SEQUENCE whose elements are all SEQUENCEs (`all`: a SafeContents, maybe empty),
/// or whose first element is an INTEGER (a PKCS#8 key): what a right password decrypts to.
fn is_sequence_of(data: &[u8], first_tag: u8, all: bool) -> bool {
    let Ok((t, rest)) = read_tlv(data) else {
        return false;
    };
    let Ok(el) = children(t.content) else {
        return false;
    };
    let shape = if all {
        el.iter().all(|e| e.tag == first_tag)
    } else {
        el.first().is_some_and(|e| e.tag == first_tag)
    };
    t.tag == 0x30 && rest.is_empty() && shape
}

#[derive(Default)]
struct Out {
    bags: Zeroizing<Vec<u8>>,
    secret_bags: usize,
}

fn unpack(auth_safe: &[u8], pass: Pass<'_>) -> Result<Plain, DecErr> {
    let (seq, _) = read_tlv(auth_safe)?;
    let seq = expect(Some(&seq), 0x30, "AuthenticatedSafe")?;
    let mut out = Out::default();
    for ci in children(seq.content)? {
        let el = children(expect(Some(&ci), 0x30, "ContentInfo")?.content)?;
        let kind = oid(el.first(), "ContentInfo type")?;
        let inner = match el.get(1) {
            Some(w) if w.tag == 0xa0 => read_tlv(w.content)?.0,
            _ => continue,
        };
        match kind.as_str() {
            OID_DATA => bags(
                expect(Some(&inner), 0x04, "data")?.content,
                pass,
                &mut out,
                0,
            )?,
            OID_ENCRYPTED_DATA => {
                let ed = children(expect(Some(&inner), 0x30, "EncryptedData")?.content)?;
                let eci = children(expect(ed.get(1), 0x30, "EncryptedContentInfo")?.content)?;
                let alg = expect(eci.get(1), 0x30, "content encryption algorithm")?;
                let data: Vec<u8> = match eci.get(2) {
                    Some(t) if t.tag == 0x80 => t.content.to_vec(),
                    // BER constructed form: a series of OCTET STRINGs.
                    Some(t) if t.tag == 0xa0 => children(t.content)?
                        .iter()
                        .flat_map(|o| o.content.iter().copied())
                        .collect(),
                    _ => continue,
                };
                let plain = decrypt(&alg, &data, pass)?;
                if !is_sequence_of(&plain, 0x30, true) {
                    return Err(DecErr::Wrong);
                }
                bags(&plain, pass, &mut out, 0).map_err(|e| match e {
                    DecErr::Malformed(_) => DecErr::Wrong,
                    e => e,
                })?;
            }
            OID_ENVELOPED_DATA => {
                return Err(DecErr::Unsupported(
                    "public-key privacy mode (envelopedData safe) is not supported".into(),
                ))
            }
            other => {
                return Err(DecErr::Unsupported(format!(
                    "safe content type {} is not supported",
                    named(other)
                )))
            }
        }
    }
    let safe_contents = tlv(0x30, &[&out.bags]);
    let data = tlv(0x04, &[&safe_contents]);
    let ci = tlv(0x30, &[DATA_OID_TLV, &tlv(0xa0, &[&data])]);
    let auth_safe = tlv(0x04, &[&tlv(0x30, &[&ci])]);
    let auth_ci = tlv(0x30, &[DATA_OID_TLV, &tlv(0xa0, &[&auth_safe])]);
    Ok(Plain {
        pfx: tlv(0x30, &[&[0x02, 0x01, 0x03], &auth_ci]),
        password: Zeroizing::new(pass.text().to_string()),
        secret_bags: out.secret_bags,
    })
}

/// Append the bags of one SafeContents to `out`, decrypting shrouded keys.
fn bags(safe: &[u8], pass: Pass<'_>, out: &mut Out, depth: usize) -> Result<(), DecErr> {
    if depth > MAX_NESTING {
        return Err(DecErr::Malformed(
            "safeContents bags nested too deep".into(),
        ));
    }
    let (seq, _) = read_tlv(safe)?;
    for bag in children(expect(Some(&seq), 0x30, "SafeContents")?.content)? {
        let el = children(expect(Some(&bag), 0x30, "SafeBag")?.content)?;
        let kind = oid(el.first(), "bag type")?;
        let value = expect(el.get(1), 0xa0, "bag value")?;
        match kind.as_str() {
            OID_SHROUDED_KEY_BAG => {
                let (epki, _) = read_tlv(value.content)?;
                let epki = children(expect(Some(&epki), 0x30, "EncryptedPrivateKeyInfo")?.content)?;
                let alg = expect(epki.first(), 0x30, "key encryption algorithm")?;
                let data = expect(epki.get(1), 0x04, "encrypted key")?.content;
                let key = decrypt(&alg, data, pass)?;
                if !is_sequence_of(&key, 0x02, false) {
                    return Err(DecErr::Wrong);
                }
                let attrs = el.get(2).map(|a| a.raw).unwrap_or_default();
                let key_bag = tlv(0x30, &[KEY_BAG_OID_TLV, &tlv(0xa0, &[&key]), attrs]);
                out.bags.extend_from_slice(&key_bag);
            }
            OID_SAFE_CONTENTS_BAG => bags(value.content, pass, out, depth + 1)?,
            other => {
                if other == OID_SECRET_BAG {
                    out.secret_bags += 1;
                }
                out.bags.extend_from_slice(bag.raw);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use p12_keystore::{
        Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, PrivateKey,
        PrivateKeyChain,
    };

    /// A keystore written by p12-keystore (an independent implementation of the KDF, MAC and
    /// ciphers) with one key entry.
    fn written(pass: &str, legacy: bool) -> (Vec<u8>, Vec<u8>) {
        let kp = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["p12.test".into()])
            .unwrap()
            .self_signed(&kp)
            .unwrap();
        let mut ks = KeyStore::new();
        let chain = PrivateKeyChain::new(
            vec![1, 2, 3],
            PrivateKey::from_der(&kp.serialize_der()).unwrap(),
            vec![Certificate::from_der(cert.der()).unwrap()],
        );
        ks.add_entry("k", KeyStoreEntry::PrivateKeyChain(chain));
        let mut w = ks.writer(pass);
        if legacy {
            w = w
                .encryption_algorithm(EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc)
                .mac_algorithm(MacAlgorithm::HmacSha1);
        }
        (w.write().unwrap(), kp.serialize_der())
    }

    fn pw(s: &str) -> Vec<Zeroizing<String>> {
        vec![Zeroizing::new(s.to_string())]
    }

    #[test]
    fn opens_pbes2_and_legacy_3des_with_the_right_password_only() {
        for legacy in [false, true] {
            let (der, key) = written("s3cret", legacy);
            let plain = read(&der, &pw("s3cret")).unwrap_or_else(|e| panic!("{e:?}"));
            assert_eq!(plain.password.as_str(), "s3cret");
            let ks =
                KeyStore::from_pkcs12(&plain.pfx, "", p12_keystore::Pkcs12ImportPolicy::Relaxed)
                    .unwrap();
            let (_, chain) = ks.private_key_chain().unwrap();
            assert_eq!(chain.key().as_der(), key.as_slice());
            assert_eq!(chain.certs().len(), 1);
            assert_eq!(
                read(&der, &pw("other")).err(),
                Some(ReadError::WrongPassword { mac: true })
            );
            assert_eq!(
                read(&der, &[]).err(),
                Some(ReadError::WrongPassword { mac: true })
            );
        }
    }

    #[test]
    fn empty_password_is_tried_without_being_given() {
        let (der, _) = written("", false);
        let plain = read(&der, &pw("unrelated")).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(plain.password.as_str(), "");
    }

    #[test]
    fn mac_keyed_with_no_password_at_all_opens_without_a_passphrase() {
        // p12-keystore keys the MAC of "" with an empty BMPString; re-key it with zero password
        // bytes, as PKCS12_create(NULL) does (pyca NoEncryption on OpenSSL 3.0).
        let (mut der, key) = written("", false);
        let (salt, iterations, digest, data, oid) = {
            let pfx = parse_pfx(&der).unwrap();
            let m = pfx.mac.unwrap();
            let d = (
                m.salt.to_vec(),
                m.iterations,
                m.digest.to_vec(),
                pfx.auth_safe.to_vec(),
            );
            (d.0, d.1, d.2, d.3, m.digest_oid)
        };
        assert_eq!(oid, "2.16.840.1.101.3.4.2.1");
        let k = pkcs12_kdf::<sha2::Sha256>(&[], &salt, 3, iterations, 32);
        let mut h = <SimpleHmac<sha2::Sha256> as Mac>::new_from_slice(&k).unwrap();
        h.update(&data);
        let tag = h.finalize().into_bytes();
        let at = der.windows(digest.len()).position(|w| w == digest).unwrap();
        der[at..at + digest.len()].copy_from_slice(&tag);
        let m = parse_pfx(&der).unwrap().mac.unwrap();
        assert!(!mac_matches(&m, &data, Pass::Text("")).unwrap());
        assert!(mac_matches(&m, &data, Pass::Absent).unwrap());
        let plain = read(&der, &pw("given but wrong")).unwrap_or_else(|e| panic!("{e:?}"));
        let ks = KeyStore::from_pkcs12(&plain.pfx, "", p12_keystore::Pkcs12ImportPolicy::Relaxed)
            .unwrap();
        assert_eq!(
            ks.private_key_chain().unwrap().1.key().as_der(),
            key.as_slice()
        );
    }

    #[test]
    fn unsupported_mac_algorithm_is_named_not_a_wrong_password() {
        let (mut der, _) = written("s3cret", false);
        // The MAC's SHA-256 OID (2.16.840.1.101.3.4.2.1) becomes SHA3-256 (…2.8).
        let sha256 = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
        let at = der
            .windows(sha256.len())
            .rposition(|w| w == sha256)
            .unwrap();
        der[at + sha256.len() - 1] = 0x08;
        let Err(ReadError::Unsupported(msg)) = read(&der, &pw("s3cret")) else {
            panic!("expected Unsupported")
        };
        assert!(msg.contains("2.16.840.1.101.3.4.2.8"), "{msg}");
    }

    #[test]
    fn truncated_and_garbage_input_is_an_error() {
        let (der, _) = written("s3cret", true);
        for n in (0..der.len()).step_by(7) {
            assert!(read(&der[..n], &pw("s3cret")).is_err(), "prefix {n}");
        }
        // A flipped byte is an error, or lands where nothing is read (e.g. the MAC algorithm's
        // NULL parameters): then the content is unchanged.
        let whole = read(&der, &pw("s3cret")).unwrap_or_else(|e| panic!("{e:?}"));
        for seed in 0u8..50 {
            let mut b = der.clone();
            let i = (usize::from(seed) * 53) % b.len();
            b[i] ^= 0x5a;
            if let Ok(p) = read(&b, &pw("s3cret")) {
                assert_eq!(p.pfx, whole.pfx, "flip at {i}");
            }
        }
        assert!(matches!(
            read(b"\x30\x03\x02\x01\x03", &[]),
            Err(ReadError::Malformed(_))
        ));
    }

    #[test]
    fn rc2_cbc_matches_a_known_answer() {
        // RFC 2268 vector: 40 effective bits would differ; use key 88bca90e90875a7f0f79c384627bafb2
        // with 128 effective bits -> plaintext 0000000000000000 encrypts to 2269552ab0f85ca6.
        let key = hex::decode("88bca90e90875a7f0f79c384627bafb2").unwrap();
        // CBC with a zero IV over one block plus a full padding block: decrypting E(0) must give 0.
        let mut ct = hex::decode("2269552ab0f85ca6").unwrap();
        let cipher = {
            use rc2::cipher::BlockCipherEncrypt;
            let c = rc2::Rc2::new_with_eff_key_len(&key, 128);
            let mut pad = rc2::cipher::Block::<rc2::Rc2>::default();
            for (p, c0) in pad.iter_mut().zip(ct.iter()) {
                *p = 0x08 ^ c0;
            }
            c.encrypt_block(&mut pad);
            pad
        };
        ct.extend_from_slice(&cipher);
        let n = rc2_cbc_decrypt(&key, 128, &[0u8; 8], &mut ct).unwrap();
        assert_eq!(&ct[..n], &[0u8; 8]);
    }
}
