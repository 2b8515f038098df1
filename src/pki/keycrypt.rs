//! Private key encryption and decryption: legacy OpenSSL PEM (`Proc-Type: 4,ENCRYPTED`) and
//! encrypted PKCS#8 (`EncryptedPrivateKeyInfo`, PBES2).
//!
//! Pure functions over bytes. Every input is treated as hostile: nothing here panics, and the
//! work an input can ask for is bounded (PBKDF2 iterations, scrypt memory), so a crafted file
//! cannot hang or exhaust the machine. Decrypted key material is returned in
//! [`Zeroizing`] buffers.
//!
//! Supported:
//! - legacy PEM: AES-128/192/256-CBC, DES-EDE3-CBC, DES-CBC (key = `EVP_BytesToKey(MD5, 1 round,
//!   salt = IV[..8])`);
//! - PKCS#8 PBES2: PBKDF2 (HMAC-SHA1/224/256/384/512) or scrypt, with AES-128/192/256-CBC,
//!   DES-EDE3-CBC or DES-CBC.
//!
//! Not supported: PBES1 / PKCS#12 PBE schemes (`openssl pkcs8 -v1 …`), other PBES2 ciphers
//! (Camellia, RC2, …). Those give [`KeyCryptError::Unsupported`] with a hint how to convert.

use std::fmt;

use cbc::cipher::{block_padding::Pkcs7, BlockDecryptMut, KeyIvInit};
use md5::{Digest, Md5};
use pkcs8::der::asn1::{AnyRef, ObjectIdentifier, OctetStringRef};
use pkcs8::der::{Decode, Encode, Reader, Tag, Tagged};
use pkcs8::pkcs5;
use pkcs8::spki::AlgorithmIdentifierRef;
use rand::RngCore;
use zeroize::Zeroizing;

/// PBKDF2-HMAC-SHA256 iteration count used by [`encrypt_pkcs8`].
///
/// OWASP (2023) recommends 600 000 for PBKDF2-HMAC-SHA256; 100 000 keeps interactive use and
/// tests fast while staying well above OpenSSL's default of 2048.
pub const PBKDF2_ITERATIONS: u32 = 100_000;

/// Largest PBKDF2 iteration count accepted when decrypting (RFC 8018 §4.2 mentions 10 000 000 for
/// "especially critical keys"). Larger values are treated as malformed rather than burning CPU.
pub const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;

/// Largest scrypt working memory (128 · r · N bytes) accepted when decrypting. OpenSSL's own
/// default limit is 32 MiB; its `-scrypt` default (N=16384, r=8) needs 16 MiB.
pub const MAX_SCRYPT_MEMORY: u64 = 256 * 1024 * 1024;

/// Largest scrypt total cost (N · r · p) accepted when decrypting.
const MAX_SCRYPT_COST: u64 = 1 << 25;

/// Hint shown for schemes we cannot decrypt.
const CONVERT_HINT: &str =
    "convert it with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in KEY -out NEW` (asks for the passphrase)";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyCryptError {
    /// The passphrase does not decrypt the key (bad padding or the result is not a key).
    WrongPassphrase,
    /// The encryption scheme is recognised but not implemented; the text says which and what to do.
    Unsupported(String),
    /// The input is not a well-formed encrypted key.
    Malformed(String),
}

impl fmt::Display for KeyCryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyCryptError::WrongPassphrase => f.write_str("wrong passphrase"),
            KeyCryptError::Unsupported(s) => write!(f, "unsupported encryption: {s}"),
            KeyCryptError::Malformed(s) => write!(f, "malformed encrypted key: {s}"),
        }
    }
}

impl std::error::Error for KeyCryptError {}

fn malformed(s: impl Into<String>) -> KeyCryptError {
    KeyCryptError::Malformed(s.into())
}

// ---------------------------------------------------------------------------------------------
// Legacy OpenSSL PEM encryption
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LegacyCipher {
    Aes128,
    Aes192,
    Aes256,
    DesEde3,
    Des,
}

impl LegacyCipher {
    fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "AES-128-CBC" => Some(Self::Aes128),
            "AES-192-CBC" => Some(Self::Aes192),
            "AES-256-CBC" => Some(Self::Aes256),
            "DES-EDE3-CBC" => Some(Self::DesEde3),
            "DES-CBC" => Some(Self::Des),
            _ => None,
        }
    }

    fn key_len(self) -> usize {
        match self {
            Self::Aes128 => 16,
            Self::Aes192 => 24,
            Self::Aes256 => 32,
            Self::DesEde3 => 24,
            Self::Des => 8,
        }
    }

    fn block_len(self) -> usize {
        match self {
            Self::Aes128 | Self::Aes192 | Self::Aes256 => 16,
            Self::DesEde3 | Self::Des => 8,
        }
    }
}

/// OpenSSL `EVP_BytesToKey` with MD5 and one iteration: `D_i = MD5(D_{i-1} || pass || salt)`,
/// key = first `key_len` bytes of `D_1 || D_2 || …`.
fn evp_bytes_to_key_md5(passphrase: &[u8], salt: &[u8], key_len: usize) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(key_len + 16));
    let mut prev: Option<Zeroizing<[u8; 16]>> = None;
    while out.len() < key_len {
        let mut h = Md5::new();
        if let Some(p) = &prev {
            h.update(&p[..]);
        }
        h.update(passphrase);
        h.update(salt);
        let mut d = Zeroizing::new([0u8; 16]);
        d.copy_from_slice(&h.finalize());
        out.extend_from_slice(&d[..]);
        prev = Some(d);
    }
    out.truncate(key_len);
    out
}

/// CBC-decrypt `buf` in place with PKCS#7 padding; returns the plaintext length, or `None` on bad
/// padding or a key/IV of the wrong size.
fn cbc_decrypt_in_place<C>(key: &[u8], iv: &[u8], buf: &mut [u8]) -> Option<usize>
where
    cbc::Decryptor<C>: KeyIvInit + BlockDecryptMut,
    C: cbc::cipher::BlockDecryptMut + cbc::cipher::BlockCipher,
{
    let dec = cbc::Decryptor::<C>::new_from_slices(key, iv).ok()?;
    dec.decrypt_padded_mut::<Pkcs7>(buf).ok().map(|pt| pt.len())
}

/// Legacy OpenSSL "traditional" PEM encryption (Proc-Type: 4,ENCRYPTED + DEK-Info header).
/// dek_info is the DEK-Info header value, e.g. "AES-256-CBC,0123…". Supports AES-128/192/256-CBC,
/// DES-EDE3-CBC, DES-CBC.
/// Key = EVP_BytesToKey(MD5, 1 iteration, salt = IV[..8]). Returns the inner DER (PKCS#1 or SEC1).
pub fn decrypt_legacy_pem(
    dek_info: &str,
    body: &[u8],
    passphrase: &[u8],
) -> Result<Zeroizing<Vec<u8>>, KeyCryptError> {
    let (name, iv_hex) = dek_info
        .split_once(',')
        .ok_or_else(|| malformed("DEK-Info header has no IV (expected \"CIPHER,HEXIV\")"))?;
    let name = name.trim();
    let cipher = LegacyCipher::from_name(name).ok_or_else(|| {
        KeyCryptError::Unsupported(format!(
            "legacy PEM cipher {name:?} (supported: AES-128/192/256-CBC, DES-EDE3-CBC, DES-CBC); \
             {CONVERT_HINT}"
        ))
    })?;
    let iv = hex::decode(iv_hex.trim()).map_err(|_| malformed("DEK-Info IV is not hexadecimal"))?;
    if iv.len() != cipher.block_len() {
        return Err(malformed(format!(
            "DEK-Info IV is {} bytes, {name} needs {}",
            iv.len(),
            cipher.block_len()
        )));
    }
    if body.is_empty() || !body.len().is_multiple_of(cipher.block_len()) {
        return Err(malformed(format!(
            "encrypted body is {} bytes, not a non-zero multiple of the {}-byte block",
            body.len(),
            cipher.block_len()
        )));
    }

    // The IV is at least 8 bytes here, so the salt slice is in range.
    let key = evp_bytes_to_key_md5(passphrase, &iv[..8], cipher.key_len());
    let mut buf = Zeroizing::new(body.to_vec());
    let len = match cipher {
        LegacyCipher::Aes128 => cbc_decrypt_in_place::<aes::Aes128>(&key, &iv, &mut buf),
        LegacyCipher::Aes192 => cbc_decrypt_in_place::<aes::Aes192>(&key, &iv, &mut buf),
        LegacyCipher::Aes256 => cbc_decrypt_in_place::<aes::Aes256>(&key, &iv, &mut buf),
        LegacyCipher::DesEde3 => cbc_decrypt_in_place::<des::TdesEde3>(&key, &iv, &mut buf),
        LegacyCipher::Des => cbc_decrypt_in_place::<des::Des>(&key, &iv, &mut buf),
    }
    .ok_or(KeyCryptError::WrongPassphrase)?;
    buf.truncate(len);
    if !plausible_key_der(&buf) {
        return Err(KeyCryptError::WrongPassphrase);
    }
    Ok(buf)
}

/// True if `der` is exactly one DER SEQUENCE (definite length, nothing after it) whose first
/// element is an INTEGER — the shape of PKCS#1, SEC1, DSA and PKCS#8 private keys, which all start
/// with a version number. A wrong key yields random bytes that almost never look like this.
fn plausible_key_der(der: &[u8]) -> bool {
    fn header(b: &[u8]) -> Option<(u8, usize, usize)> {
        let tag = *b.first()?;
        let first = *b.get(1)?;
        if first < 0x80 {
            return Some((tag, 2, first as usize));
        }
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *b.get(2 + i)? as usize;
        }
        // DER: minimal length encoding.
        if len < 0x80 || *b.get(2)? == 0 {
            return None;
        }
        Some((tag, 2 + n, len))
    }
    let Some((tag, hl, len)) = header(der) else {
        return false;
    };
    if tag != 0x30 || hl.checked_add(len) != Some(der.len()) || len < 3 {
        return false;
    }
    let inner = &der[hl..];
    match header(inner) {
        Some((0x02, ihl, ilen)) => ilen >= 1 && ihl + ilen <= inner.len(),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Encrypted PKCS#8
// ---------------------------------------------------------------------------------------------

/// Bounds on the work a (possibly hostile) encrypted key may ask for.
#[derive(Debug, Clone, Copy)]
struct Limits {
    max_pbkdf2_iterations: u32,
    max_scrypt_memory: u64,
    max_scrypt_cost: u64,
}

const DEFAULT_LIMITS: Limits = Limits {
    max_pbkdf2_iterations: MAX_PBKDF2_ITERATIONS,
    max_scrypt_memory: MAX_SCRYPT_MEMORY,
    max_scrypt_cost: MAX_SCRYPT_COST,
};

const OID_PBES2: &str = "1.2.840.113549.1.5.13";
const OID_PBKDF2: &str = "1.2.840.113549.1.5.12";
const OID_SCRYPT: &str = "1.3.6.1.4.1.11591.4.11";

/// Names for OIDs we may meet; the bool says whether decryption is supported.
fn oid_name(oid: &str) -> Option<(&'static str, bool)> {
    Some(match oid {
        OID_PBES2 => ("PBES2", true),
        OID_PBKDF2 => ("PBKDF2", true),
        OID_SCRYPT => ("scrypt", true),
        // PBKDF2 PRFs
        "1.2.840.113549.2.7" => ("SHA1", true),
        "1.2.840.113549.2.8" => ("SHA224", true),
        "1.2.840.113549.2.9" => ("SHA256", true),
        "1.2.840.113549.2.10" => ("SHA384", true),
        "1.2.840.113549.2.11" => ("SHA512", true),
        "1.2.840.113549.2.12" => ("SHA512-224", false),
        "1.2.840.113549.2.13" => ("SHA512-256", false),
        "1.2.840.113549.2.5" => ("MD5", false),
        "1.2.156.10197.1.401.2" => ("SM3", false),
        // PBES2 ciphers
        "2.16.840.1.101.3.4.1.2" => ("AES-128-CBC", true),
        "2.16.840.1.101.3.4.1.22" => ("AES-192-CBC", true),
        "2.16.840.1.101.3.4.1.42" => ("AES-256-CBC", true),
        "1.2.840.113549.3.7" => ("DES-EDE3-CBC", true),
        "1.3.14.3.2.7" => ("DES-CBC", true),
        "1.2.840.113549.3.2" => ("RC2-CBC", false),
        "1.2.392.200011.61.1.1.1.2" => ("CAMELLIA-128-CBC", false),
        "1.2.392.200011.61.1.1.1.3" => ("CAMELLIA-192-CBC", false),
        "1.2.392.200011.61.1.1.1.4" => ("CAMELLIA-256-CBC", false),
        "1.2.410.200046.1.1.12" => ("ARIA-256-CBC", false),
        "1.2.156.10197.1.104.2" => ("SM4-CBC", false),
        // PBES1 (PKCS#5 v1.5)
        "1.2.840.113549.1.5.1" => ("PBES1 PBE-MD2-DES", false),
        "1.2.840.113549.1.5.4" => ("PBES1 PBE-MD2-RC2-64", false),
        "1.2.840.113549.1.5.3" => ("PBES1 PBE-MD5-DES", false),
        "1.2.840.113549.1.5.6" => ("PBES1 PBE-MD5-RC2-64", false),
        "1.2.840.113549.1.5.10" => ("PBES1 PBE-SHA1-DES", false),
        "1.2.840.113549.1.5.11" => ("PBES1 PBE-SHA1-RC2-64", false),
        // PKCS#12 PBE (what `openssl pkcs8 -v1 PBE-SHA1-3DES` writes)
        "1.2.840.113549.1.12.1.1" => ("PKCS#12 PBE-SHA1-RC4-128", false),
        "1.2.840.113549.1.12.1.2" => ("PKCS#12 PBE-SHA1-RC4-40", false),
        "1.2.840.113549.1.12.1.3" => ("PKCS#12 PBE-SHA1-3DES", false),
        "1.2.840.113549.1.12.1.4" => ("PKCS#12 PBE-SHA1-2DES", false),
        "1.2.840.113549.1.12.1.5" => ("PKCS#12 PBE-SHA1-RC2-128", false),
        "1.2.840.113549.1.12.1.6" => ("PKCS#12 PBE-SHA1-RC2-40", false),
        _ => return None,
    })
}

fn name_of(oid: &ObjectIdentifier) -> String {
    let s = oid.to_string();
    match oid_name(&s) {
        Some((n, _)) => n.to_string(),
        None => format!("OID {s}"),
    }
}

fn supported(oid: &ObjectIdentifier) -> bool {
    matches!(oid_name(&oid.to_string()), Some((_, true)))
}

/// What an `EncryptedPrivateKeyInfo` says about its protection, read leniently (no decryption).
#[derive(Debug, Default)]
struct Probe {
    scheme: Option<ObjectIdentifier>,
    kdf: Option<ObjectIdentifier>,
    /// PBKDF2 PRF; `None` with a PBKDF2 KDF means the default, HMAC-SHA1.
    prf: Option<ObjectIdentifier>,
    iterations: Option<u64>,
    /// scrypt (N, r, p)
    scrypt: Option<(u64, u64, u64)>,
    cipher: Option<ObjectIdentifier>,
}

/// Split an `EncryptedPrivateKeyInfo` into its algorithm identifier and encrypted data.
fn split_epki(der: &[u8]) -> Option<(AlgorithmIdentifierRef<'_>, &[u8])> {
    let any = AnyRef::from_der(der).ok()?;
    any.sequence(|r| {
        let alg = AlgorithmIdentifierRef::decode(r)?;
        let data = OctetStringRef::decode(r)?;
        Ok((alg, data.as_bytes()))
    })
    .ok()
}

/// Small non-negative INTEGER as u64 (None if negative, too large or not an INTEGER).
fn small_uint(any: &AnyRef<'_>) -> Option<u64> {
    if any.tag() != Tag::Integer {
        return None;
    }
    let b = any.value();
    if b.is_empty() || b[0] & 0x80 != 0 {
        return None;
    }
    let b = if b.len() > 1 && b[0] == 0 { &b[1..] } else { b };
    if b.len() > 8 {
        return None;
    }
    Some(b.iter().fold(0u64, |acc, &x| (acc << 8) | x as u64))
}

/// Read the SEQUENCE elements of `any` as a list (lenient about what they are).
fn elements<'a>(any: &AnyRef<'a>) -> Option<Vec<AnyRef<'a>>> {
    any.sequence(|r| {
        let mut v = Vec::new();
        while !r.is_finished() {
            v.push(r.decode::<AnyRef<'a>>()?);
        }
        Ok(v)
    })
    .ok()
}

fn probe(der: &[u8]) -> Option<Probe> {
    let (alg, _) = split_epki(der)?;
    let mut p = Probe {
        scheme: Some(alg.oid),
        ..Probe::default()
    };
    if alg.oid.to_string() != OID_PBES2 {
        return Some(p);
    }
    let Some(params) = alg.parameters.and_then(|a| elements(&a)) else {
        return Some(p);
    };
    let kdf = params
        .first()
        .and_then(|a| a.decode_as::<AlgorithmIdentifierRef<'_>>().ok());
    if let Some(kdf) = kdf {
        let kdf_oid = kdf.oid;
        p.kdf = Some(kdf_oid);
        let kdf_params = kdf
            .parameters
            .and_then(|a| elements(&a))
            .unwrap_or_default();
        match kdf_oid.to_string().as_str() {
            OID_PBKDF2 => {
                // salt, iterationCount, keyLength OPTIONAL, prf OPTIONAL
                p.iterations = kdf_params.get(1).and_then(small_uint);
                p.prf = kdf_params
                    .iter()
                    .skip(2)
                    .find(|a| a.tag() == Tag::Sequence)
                    .and_then(|a| elements(a))
                    .and_then(|v| {
                        v.first()
                            .and_then(|o| o.decode_as::<ObjectIdentifier>().ok())
                    });
            }
            OID_SCRYPT => {
                // salt, N, r, p, keyLength OPTIONAL
                let n = kdf_params.get(1).and_then(small_uint);
                let r = kdf_params.get(2).and_then(small_uint);
                let pp = kdf_params.get(3).and_then(small_uint);
                if let (Some(n), Some(r), Some(pp)) = (n, r, pp) {
                    p.scrypt = Some((n, r, pp));
                }
            }
            _ => {}
        }
    }
    p.cipher = params
        .get(1)
        .and_then(|a| a.decode_as::<AlgorithmIdentifierRef<'_>>().ok())
        .map(|x| x.oid);
    Some(p)
}

/// Without the conversion hint: PKCS#12 callers say what to do themselves ([`decrypt_pkcs8`]
/// appends [`CONVERT_HINT`]).
fn unsupported_scheme(what: &str) -> KeyCryptError {
    KeyCryptError::Unsupported(format!(
        "{what} is not supported (only PBES2 with PBKDF2 or scrypt and AES-CBC or 3DES)"
    ))
}

/// Check a probed structure against what we implement and the work limits.
fn check_probe(p: &Probe, limits: &Limits) -> Result<(), KeyCryptError> {
    let scheme = p
        .scheme
        .as_ref()
        .ok_or_else(|| malformed("no encryption algorithm"))?;
    if scheme.to_string() != OID_PBES2 {
        let name = name_of(scheme);
        let what = if name.starts_with("PBES1") || name.starts_with("PKCS#12") {
            format!("{name} (legacy PKCS#5 v1.5 / PKCS#12 encryption)")
        } else {
            format!("encryption scheme {name}")
        };
        return Err(unsupported_scheme(&what));
    }
    let kdf = p
        .kdf
        .as_ref()
        .ok_or_else(|| malformed("PBES2 parameters without a key derivation function"))?;
    if !supported(kdf) {
        return Err(unsupported_scheme(&format!(
            "key derivation {}",
            name_of(kdf)
        )));
    }
    if let Some(prf) = &p.prf {
        if !supported(prf) {
            return Err(unsupported_scheme(&format!("PBKDF2 with {}", name_of(prf))));
        }
    }
    let cipher = p
        .cipher
        .as_ref()
        .ok_or_else(|| malformed("PBES2 parameters without a cipher"))?;
    if !supported(cipher) {
        return Err(unsupported_scheme(&format!("cipher {}", name_of(cipher))));
    }
    match kdf.to_string().as_str() {
        OID_PBKDF2 => {
            let it = p
                .iterations
                .ok_or_else(|| malformed("PBKDF2 iteration count missing or invalid"))?;
            if it == 0 {
                return Err(malformed("PBKDF2 iteration count is 0"));
            }
            if it > u64::from(limits.max_pbkdf2_iterations) {
                return Err(malformed(format!(
                    "PBKDF2 iteration count {it} exceeds the limit of {}",
                    limits.max_pbkdf2_iterations
                )));
            }
        }
        OID_SCRYPT => {
            let (n, r, pp) = p
                .scrypt
                .ok_or_else(|| malformed("scrypt parameters missing or invalid"))?;
            if n < 2 || !n.is_power_of_two() || r == 0 || pp == 0 {
                return Err(malformed(format!(
                    "scrypt parameters N={n} r={r} p={pp} are invalid"
                )));
            }
            let mem = n.checked_mul(r).and_then(|x| x.checked_mul(128));
            let cost = n.checked_mul(r).and_then(|x| x.checked_mul(pp));
            if mem.is_none_or(|m| m > limits.max_scrypt_memory)
                || cost.is_none_or(|c| c > limits.max_scrypt_cost)
            {
                return Err(malformed(format!(
                    "scrypt parameters N={n} r={r} p={pp} exceed the limits \
                     ({} MiB of memory)",
                    limits.max_scrypt_memory / (1024 * 1024)
                )));
            }
        }
        _ => {}
    }
    Ok(())
}

fn map_pkcs5_err(e: pkcs5::Error) -> KeyCryptError {
    match e {
        pkcs5::Error::DecryptFailed | pkcs5::Error::EncryptFailed => KeyCryptError::WrongPassphrase,
        pkcs5::Error::UnsupportedAlgorithm { oid } => {
            unsupported_scheme(&format!("algorithm {}", name_of(&oid)))
        }
        pkcs5::Error::NoPbes1CryptSupport => unsupported_scheme("PBES1"),
        pkcs5::Error::AlgorithmParametersInvalid { oid } => {
            malformed(format!("invalid parameters for {}", name_of(&oid)))
        }
        other => malformed(other.to_string()),
    }
}

/// `key`: the plaintext must look like a private key (else the passphrase was wrong).
fn decrypt_pkcs8_limited(
    der: &[u8],
    passphrase: &[u8],
    limits: &Limits,
    key: bool,
) -> Result<Zeroizing<Vec<u8>>, KeyCryptError> {
    let (alg, data) = split_epki(der).ok_or_else(|| {
        malformed("not a PKCS#8 EncryptedPrivateKeyInfo (SEQUENCE of algorithm and octet string)")
    })?;
    let p = probe(der).unwrap_or_default();
    check_probe(&p, limits)?;
    let params_any = alg
        .parameters
        .ok_or_else(|| malformed("PBES2 without parameters"))?;
    let params = pkcs5::pbes2::Parameters::try_from(params_any)
        .map_err(|e| malformed(format!("bad PBES2 parameters: {e}")))?;
    if data.is_empty() {
        return Err(malformed("empty encrypted data"));
    }
    let block = match params.encryption {
        pkcs5::pbes2::EncryptionScheme::DesEde3Cbc { .. }
        | pkcs5::pbes2::EncryptionScheme::DesCbc { .. } => 8,
        _ => 16,
    };
    if !data.len().is_multiple_of(block) {
        return Err(malformed(format!(
            "encrypted data is {} bytes, not a multiple of the {block}-byte block",
            data.len()
        )));
    }
    let mut buf = Zeroizing::new(data.to_vec());
    let len = params
        .decrypt_in_place(passphrase, &mut buf)
        .map_err(map_pkcs5_err)?
        .len();
    buf.truncate(len);
    if key && !plausible_key_der(&buf) {
        return Err(KeyCryptError::WrongPassphrase);
    }
    Ok(buf)
}

/// Encrypted PKCS#8 (EncryptedPrivateKeyInfo DER; PBES2 with PBKDF2/scrypt + AES/3DES). Returns
/// plain PKCS#8 DER.
pub fn decrypt_pkcs8(der: &[u8], passphrase: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyCryptError> {
    decrypt_pkcs8_limited(der, passphrase, &DEFAULT_LIMITS, true).map_err(|e| match e {
        KeyCryptError::Unsupported(s) => KeyCryptError::Unsupported(format!("{s}; {CONVERT_HINT}")),
        e => e,
    })
}

/// PBES2-decrypt `data` under the AlgorithmIdentifier `alg_der` (its whole DER), with the same
/// support and work limits as [`decrypt_pkcs8`]; PKCS#12 encrypts its safes and shrouded key bags
/// this way. The plaintext is not checked (bad padding is [`KeyCryptError::WrongPassphrase`]).
pub fn decrypt_pbes2(
    alg_der: &[u8],
    data: &[u8],
    passphrase: &[u8],
) -> Result<Zeroizing<Vec<u8>>, KeyCryptError> {
    let mut body = Zeroizing::new(alg_der.to_vec());
    body.extend_from_slice(&super::der::encode_tlv(0x04, data));
    let epki = Zeroizing::new(super::der::encode_tlv(0x30, &body));
    decrypt_pkcs8_limited(&epki, passphrase, &DEFAULT_LIMITS, false)
}

/// The name certdeck gives an algorithm OID (as in error messages), e.g. "AES-256-CBC" or
/// "OID 1.2.3".
pub fn algorithm_name(oid: &ObjectIdentifier) -> String {
    name_of(oid)
}

fn encrypt_pkcs8_with(
    plain_pkcs8_der: &[u8],
    passphrase: &[u8],
    iterations: u32,
) -> Result<Vec<u8>, KeyCryptError> {
    if !plausible_key_der(plain_pkcs8_der)
        || pkcs8::PrivateKeyInfo::try_from(plain_pkcs8_der).is_err()
    {
        return Err(malformed(
            "input to encrypt is not a PKCS#8 PrivateKeyInfo".to_string(),
        ));
    }
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    let mut rng = rand::rngs::OsRng;
    rng.try_fill_bytes(&mut salt)
        .and_then(|_| rng.try_fill_bytes(&mut iv))
        .map_err(|e| KeyCryptError::Unsupported(format!("no system randomness: {e}")))?;
    let params = pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(iterations, &salt, &iv)
        .map_err(|e| malformed(format!("PBES2 parameters: {e}")))?;
    // Encrypt in a zeroizing buffer: it holds the plaintext until encryption overwrites it.
    let mut buf = Zeroizing::new(Vec::with_capacity(plain_pkcs8_der.len() + 16));
    buf.extend_from_slice(plain_pkcs8_der);
    buf.extend_from_slice(&[0u8; 16]);
    let ct_len = params
        .encrypt_in_place(passphrase, &mut buf, plain_pkcs8_der.len())
        .map_err(|e| malformed(format!("encryption failed: {e}")))?
        .len();
    let epki = pkcs8::EncryptedPrivateKeyInfo {
        encryption_algorithm: params.into(),
        encrypted_data: &buf[..ct_len],
    };
    let out = epki
        .to_der()
        .map_err(|e| malformed(format!("encoding EncryptedPrivateKeyInfo: {e}")))?;
    Ok(out)
}

/// Encrypt a plain PKCS#8 DER with PBES2: PBKDF2-HMAC-SHA256 ([`PBKDF2_ITERATIONS`] iterations),
/// AES-256-CBC, random 16-byte salt and IV. Output is an `EncryptedPrivateKeyInfo` DER that
/// `openssl pkey -passin …` reads.
pub fn encrypt_pkcs8(plain_pkcs8_der: &[u8], passphrase: &[u8]) -> Result<Vec<u8>, KeyCryptError> {
    encrypt_pkcs8_with(plain_pkcs8_der, passphrase, PBKDF2_ITERATIONS)
}

/// Short human description of how an encrypted PKCS#8 is protected, e.g.
/// "PBES2 PBKDF2-SHA256 AES-256-CBC", for the details pane. Never fails: "unknown" on garbage.
/// Unsupported schemes are marked "(unsupported)".
pub fn describe_pkcs8_encryption(der: &[u8]) -> String {
    let Some(p) = probe(der) else {
        return "unknown".to_string();
    };
    let Some(scheme) = &p.scheme else {
        return "unknown".to_string();
    };
    if scheme.to_string() != OID_PBES2 {
        let name = name_of(scheme);
        return if supported(scheme) {
            name
        } else {
            format!("{name} (unsupported)")
        };
    }
    let mut parts = vec!["PBES2".to_string()];
    match &p.kdf {
        Some(k) if k.to_string() == OID_PBKDF2 => {
            let prf = p.prf.as_ref().map(name_of).unwrap_or_else(|| "SHA1".into());
            parts.push(format!("PBKDF2-{prf}"));
        }
        Some(k) => parts.push(name_of(k)),
        None => parts.push("unknown-KDF".into()),
    }
    parts.push(
        p.cipher
            .as_ref()
            .map(name_of)
            .unwrap_or_else(|| "unknown-cipher".into()),
    );
    let mut s = parts.join(" ");
    if check_probe(&p, &DEFAULT_LIMITS).is_err_and(|e| matches!(e, KeyCryptError::Unsupported(_))) {
        s.push_str(" (unsupported)");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use cbc::cipher::BlockEncryptMut;

    /// A tiny but well-formed PKCS#8 PrivateKeyInfo (Ed25519 key with a fixed, dummy seed).
    fn sample_pkcs8() -> Vec<u8> {
        let mut v = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        v.extend((0u8..32).map(|i| i.wrapping_mul(7)));
        v
    }

    /// A PKCS#1-shaped SEQUENCE { INTEGER 0, INTEGER … } used as legacy plaintext.
    fn sample_pkcs1ish() -> Vec<u8> {
        let mut v = vec![0x30, 0x25, 0x02, 0x01, 0x00, 0x02, 0x20];
        v.extend((0u8..32).map(|i| i.wrapping_add(0x11)));
        v
    }

    const FAST: Limits = Limits {
        max_pbkdf2_iterations: 5_000,
        max_scrypt_memory: 1 << 20,
        max_scrypt_cost: 1 << 12,
    };

    fn legacy_encrypt(cipher: &str, iv: &[u8], plain: &[u8], pass: &[u8]) -> Vec<u8> {
        let c = LegacyCipher::from_name(cipher).unwrap();
        let key = evp_bytes_to_key_md5(pass, &iv[..8], c.key_len());
        fn enc<C>(key: &[u8], iv: &[u8], plain: &[u8]) -> Vec<u8>
        where
            cbc::Encryptor<C>: KeyIvInit + BlockEncryptMut,
            C: cbc::cipher::BlockEncryptMut + cbc::cipher::BlockCipher,
        {
            let mut buf = plain.to_vec();
            buf.resize(plain.len() + 16, 0);
            let n = cbc::Encryptor::<C>::new_from_slices(key, iv)
                .unwrap()
                .encrypt_padded_mut::<Pkcs7>(&mut buf, plain.len())
                .unwrap()
                .len();
            buf.truncate(n);
            buf
        }
        match c {
            LegacyCipher::Aes128 => enc::<aes::Aes128>(&key, iv, plain),
            LegacyCipher::Aes192 => enc::<aes::Aes192>(&key, iv, plain),
            LegacyCipher::Aes256 => enc::<aes::Aes256>(&key, iv, plain),
            LegacyCipher::DesEde3 => enc::<des::TdesEde3>(&key, iv, plain),
            LegacyCipher::Des => enc::<des::Des>(&key, iv, plain),
        }
    }

    #[test]
    fn evp_bytes_to_key_matches_openssl() {
        // `openssl enc -aes-256-cbc -md md5 -S 0001020304050607 -pass pass:secret -P`
        let salt = [0u8, 1, 2, 3, 4, 5, 6, 7];
        let k = evp_bytes_to_key_md5(b"secret", &salt, 32);
        assert_eq!(
            hex::encode_upper(&k[..]),
            "035FB8145B73CF111570DC936112BE9C375A5D3D8B915BC213BDBEF9DBFB7851"
        );
        let k = evp_bytes_to_key_md5(b"secret", &salt, 24);
        assert_eq!(
            hex::encode_upper(&k[..]),
            "035FB8145B73CF111570DC936112BE9C375A5D3D8B915BC2"
        );
    }

    #[test]
    fn legacy_round_trip_all_ciphers() {
        let plain = sample_pkcs1ish();
        for (name, iv_len) in [
            ("AES-128-CBC", 16),
            ("AES-192-CBC", 16),
            ("aes-256-cbc", 16),
            ("DES-EDE3-CBC", 8),
            ("DES-CBC", 8),
        ] {
            let iv: Vec<u8> = (0..iv_len as u8).map(|i| i ^ 0x5a).collect();
            let body = legacy_encrypt(name, &iv, &plain, b"pw");
            let dek = format!("{name},{}", hex::encode_upper(&iv));
            let out = decrypt_legacy_pem(&dek, &body, b"pw").unwrap();
            assert_eq!(&out[..], &plain[..], "{name}");
            assert_eq!(
                decrypt_legacy_pem(&dek, &body, b"wrong"),
                Err(KeyCryptError::WrongPassphrase),
                "{name}"
            );
        }
    }

    #[test]
    fn legacy_bad_headers() {
        let body = [0u8; 32];
        assert!(matches!(
            decrypt_legacy_pem("AES-128-CBC", &body, b"x"),
            Err(KeyCryptError::Malformed(_))
        ));
        assert!(matches!(
            decrypt_legacy_pem("AES-128-CBC,zz", &body, b"x"),
            Err(KeyCryptError::Malformed(_))
        ));
        assert!(matches!(
            decrypt_legacy_pem("AES-128-CBC,0011", &body, b"x"),
            Err(KeyCryptError::Malformed(_))
        ));
        assert!(matches!(
            decrypt_legacy_pem("DES-EDE3-CBC,00112233445566778899AABBCCDDEEFF", &body, b"x"),
            Err(KeyCryptError::Malformed(_))
        ));
        assert!(matches!(
            decrypt_legacy_pem(
                "AES-128-CBC,00112233445566778899AABBCCDDEEFF",
                &body[..20],
                b"x"
            ),
            Err(KeyCryptError::Malformed(_))
        ));
        assert!(matches!(
            decrypt_legacy_pem("AES-128-CBC,00112233445566778899AABBCCDDEEFF", &[], b"x"),
            Err(KeyCryptError::Malformed(_))
        ));
        let e = decrypt_legacy_pem(
            "CAMELLIA-128-CBC,00112233445566778899AABBCCDDEEFF",
            &body,
            b"x",
        )
        .unwrap_err();
        assert!(matches!(e, KeyCryptError::Unsupported(_)));
        assert!(e.to_string().starts_with("unsupported encryption: "));
    }

    #[test]
    fn legacy_flipped_bytes_never_panic() {
        let plain = sample_pkcs1ish();
        let iv = [7u8; 16];
        let body = legacy_encrypt("AES-256-CBC", &iv, &plain, b"pw");
        let dek = format!("AES-256-CBC,{}", hex::encode_upper(iv));
        for i in 0..body.len() {
            for bit in [0x01u8, 0x80, 0xff] {
                let mut b = body.clone();
                b[i] ^= bit;
                let _ = decrypt_legacy_pem(&dek, &b, b"pw");
            }
            let _ = decrypt_legacy_pem(&dek, &body[..i], b"pw");
        }
        for i in 0..dek.len() {
            let _ = decrypt_legacy_pem(&dek[..i], &body, b"pw");
        }
    }

    #[test]
    fn pkcs8_round_trip() {
        let plain = sample_pkcs8();
        let enc = encrypt_pkcs8(&plain, b"correct horse").unwrap();
        assert_eq!(
            describe_pkcs8_encryption(&enc),
            "PBES2 PBKDF2-SHA256 AES-256-CBC"
        );
        let dec = decrypt_pkcs8(&enc, b"correct horse").unwrap();
        assert_eq!(&dec[..], &plain[..]);
        // Random salt and IV: two encryptions differ.
        assert_ne!(enc, encrypt_pkcs8(&plain, b"correct horse").unwrap());
    }

    #[test]
    fn pkcs8_wrong_passphrase() {
        let enc = encrypt_pkcs8_with(&sample_pkcs8(), b"right", 1000).unwrap();
        for wrong in [&b"wrong"[..], b"", b"Right", b"right "] {
            assert_eq!(
                decrypt_pkcs8_limited(&enc, wrong, &FAST, true),
                Err(KeyCryptError::WrongPassphrase)
            );
        }
        assert_eq!(
            KeyCryptError::WrongPassphrase.to_string(),
            "wrong passphrase"
        );
    }

    #[test]
    fn pkcs8_encrypt_rejects_non_pkcs8() {
        assert!(matches!(
            encrypt_pkcs8(b"hello", b"pw"),
            Err(KeyCryptError::Malformed(_))
        ));
        assert!(matches!(
            encrypt_pkcs8(&sample_pkcs1ish(), b"pw"),
            Err(KeyCryptError::Malformed(_))
        ));
    }

    #[test]
    fn pkcs8_garbage_and_truncation() {
        let enc = encrypt_pkcs8_with(&sample_pkcs8(), b"pw", 1000).unwrap();
        for i in 0..enc.len() {
            let r = decrypt_pkcs8_limited(&enc[..i], b"pw", &FAST, true);
            assert!(r.is_err(), "prefix {i} decrypted");
            let _ = describe_pkcs8_encryption(&enc[..i]);
        }
        for junk in [
            &b""[..],
            b"\x30",
            b"\x30\x80",
            b"\x30\x84\xff\xff\xff\xff",
            b"garbage",
        ] {
            let e = decrypt_pkcs8(junk, b"pw").unwrap_err();
            assert!(matches!(e, KeyCryptError::Malformed(_)), "{junk:?}: {e}");
            assert!(e.to_string().starts_with("malformed encrypted key: "));
            assert_eq!(describe_pkcs8_encryption(junk), "unknown");
        }
        // Trailing data after the structure is rejected too.
        let mut long = enc.clone();
        long.push(0);
        assert!(decrypt_pkcs8_limited(&long, b"pw", &FAST, true).is_err());
    }

    #[test]
    fn pkcs8_flipped_bytes_never_panic() {
        let plain = sample_pkcs8();
        let enc = encrypt_pkcs8_with(&plain, b"pw", 1000).unwrap();
        for i in 0..enc.len() {
            for bit in [0x01u8, 0x40, 0x80, 0xff] {
                let mut b = enc.clone();
                b[i] ^= bit;
                let _ = describe_pkcs8_encryption(&b);
                if let Ok(out) = decrypt_pkcs8_limited(&b, b"pw", &FAST, true) {
                    // CBC is malleable (an IV flip flips the same plaintext bit), so a flip may
                    // still "decrypt"; it must then at least have the shape of a key.
                    assert!(plausible_key_der(&out), "flip {bit:#x} at {i}");
                }
            }
        }
    }

    /// Build an EncryptedPrivateKeyInfo with the given algorithm identifier DER and data.
    fn epki(alg: &[u8], data: &[u8]) -> Vec<u8> {
        let mut inner = alg.to_vec();
        inner.push(0x04);
        inner.push(data.len() as u8);
        inner.extend_from_slice(data);
        let mut v = vec![0x30, inner.len() as u8];
        v.extend(inner);
        v
    }

    #[test]
    fn pbes1_and_pkcs12_pbe_are_unsupported_with_hint() {
        // pbeWithSHAAnd3-KeyTripleDES-CBC { salt OCTET STRING (8), iterations 2048 }
        let alg = [
            0x30, 0x1c, 0x06, 0x0a, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01, 0x03,
            0x30, 0x0e, 0x04, 0x08, 1, 2, 3, 4, 5, 6, 7, 8, 0x02, 0x02, 0x08, 0x00,
        ];
        let der = epki(&alg, &[0u8; 16]);
        let e = decrypt_pkcs8(&der, b"pw").unwrap_err();
        let KeyCryptError::Unsupported(msg) = &e else {
            panic!("{e:?}")
        };
        assert!(msg.contains("PBE-SHA1-3DES"), "{msg}");
        assert!(
            msg.contains("openssl pkcs8 -topk8 -v2 aes-256-cbc"),
            "{msg}"
        );
        assert_eq!(
            describe_pkcs8_encryption(&der),
            "PKCS#12 PBE-SHA1-3DES (unsupported)"
        );
        // PBES1 pbeWithSHA1AndDES-CBC (1.2.840.113549.1.5.10)
        let alg = [
            0x30, 0x1b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0a, 0x30,
            0x0e, 0x04, 0x08, 1, 2, 3, 4, 5, 6, 7, 8, 0x02, 0x02, 0x08, 0x00,
        ];
        let der = epki(&alg, &[0u8; 16]);
        assert!(matches!(
            decrypt_pkcs8(&der, b"pw"),
            Err(KeyCryptError::Unsupported(_))
        ));
    }

    /// Replace the first occurrence of `from` in `v` by `to` (same length).
    fn patch(v: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
        assert_eq!(from.len(), to.len());
        let pos = v.windows(from.len()).position(|w| w == from).unwrap();
        let mut out = v.to_vec();
        out[pos..pos + to.len()].copy_from_slice(to);
        out
    }

    #[test]
    fn pkcs8_limits_and_unsupported_ciphers() {
        let enc = encrypt_pkcs8_with(&sample_pkcs8(), b"pw", 1000).unwrap();
        // The key uses 1000 iterations; a ceiling of 999 must refuse it before any work.
        let tight = Limits {
            max_pbkdf2_iterations: 999,
            ..FAST
        };
        assert!(matches!(
            decrypt_pkcs8_limited(&enc, b"pw", &tight, true),
            Err(KeyCryptError::Malformed(_))
        ));
        // Iteration count 0.
        let zero = patch(&enc, &[0x02, 0x02, 0x03, 0xe8], &[0x02, 0x02, 0x00, 0x00]);
        assert!(decrypt_pkcs8_limited(&zero, b"pw", &FAST, true).is_err());
        // Turn the AES-256-CBC OID (…4.1.42) into AES-256-GCM (…4.1.46): same length, known
        // to be outside what we implement.
        let gcm = patch(
            &enc,
            &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a],
            &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2e],
        );
        let e = decrypt_pkcs8_limited(&gcm, b"pw", &FAST, true).unwrap_err();
        assert!(matches!(e, KeyCryptError::Unsupported(_)), "{e:?}");
        assert!(describe_pkcs8_encryption(&gcm).ends_with("(unsupported)"));
    }

    #[test]
    fn scrypt_round_trip_and_limits() {
        let plain = sample_pkcs8();
        let salt = [3u8; 16];
        let iv = [4u8; 16];
        let sp = pkcs5::scrypt::Params::new(10, 8, 1, 32).unwrap();
        let params = pkcs5::pbes2::Parameters::scrypt_aes256cbc(sp, &salt, &iv).unwrap();
        let ct = params.encrypt(b"pw", &plain).unwrap();
        let der = pkcs8::EncryptedPrivateKeyInfo {
            encryption_algorithm: params.into(),
            encrypted_data: &ct,
        }
        .to_der()
        .unwrap();
        assert_eq!(describe_pkcs8_encryption(&der), "PBES2 scrypt AES-256-CBC");
        assert_eq!(&decrypt_pkcs8(&der, b"pw").unwrap()[..], &plain[..]);
        assert_eq!(
            decrypt_pkcs8(&der, b"no"),
            Err(KeyCryptError::WrongPassphrase)
        );
        // N=1024, r=8 needs 1 MiB; a 512 KiB ceiling refuses it.
        let tight = Limits {
            max_scrypt_memory: 1 << 19,
            ..FAST
        };
        assert!(matches!(
            decrypt_pkcs8_limited(&der, b"pw", &tight, true),
            Err(KeyCryptError::Malformed(_))
        ));
    }

    #[test]
    fn plausible_der_shapes() {
        assert!(plausible_key_der(&sample_pkcs8()));
        assert!(plausible_key_der(&sample_pkcs1ish()));
        assert!(!plausible_key_der(&[]));
        assert!(!plausible_key_der(&[0x30, 0x00]));
        assert!(!plausible_key_der(&[0x30, 0x03, 0x04, 0x01, 0x00]));
        assert!(!plausible_key_der(&[0x30, 0x81, 0x03, 0x02, 0x01, 0x00]));
        let mut long = sample_pkcs8();
        long.push(0);
        assert!(!plausible_key_der(&long));
    }
}
