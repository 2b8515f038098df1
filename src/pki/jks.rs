//! Java's JKS and JCEKS keystores, read only (older Java services, Tomcat, Kafka and
//! Elasticsearch setups still ship them). Certificates are stored in the clear, so every entry
//! is listed without a password; a password checks the store's integrity digest and opens
//! private keys protected with JKS's own scheme.
//!
//! Every length comes from the file, so each is checked against the bytes that remain before
//! anything is allocated or sliced: a hostile or truncated keystore is an error, not a panic.

use sha1::{Digest, Sha1};
use zeroize::Zeroizing;

const JKS_MAGIC: u32 = 0xFEED_FEED;
const JCEKS_MAGIC: u32 = 0xCECE_CECE;
/// The string Sun's implementation mixes into the integrity digest.
const WHITENER: &[u8] = b"Mighty Aphrodite";
/// Bounds on what one file may make us hold: every certificate becomes an item carrying its
/// alias, so a 16 MiB file of 4-byte empty certificates under 64 KiB aliases must not turn
/// into millions of items. Real keystores are far below both (cacerts: ~150 entries).
const MAX_CERTIFICATES: usize = 10_000;
const MAX_ALIAS: usize = 1024;
/// OID 1.3.6.1.4.1.42.2.17.1.1: keys protected with JKS's own SHA-1 keystream.
const JKS_KEY_PROTECTOR: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x2a, 0x02, 0x11, 0x01, 0x01];

pub struct Keystore {
    /// `jks` or `jceks`.
    pub format: &'static str,
    pub entries: Vec<Entry>,
    pub integrity: Integrity,
    /// Why the listing stopped early (a JCEKS secret key is a serialised Java object).
    pub incomplete: Option<String>,
}

pub struct Entry {
    pub alias: String,
    pub kind: EntryKind,
}

pub enum EntryKind {
    /// The protected key (an EncryptedPrivateKeyInfo) and its certificate chain, leaf first.
    PrivateKey {
        protected: Vec<u8>,
        chain: Vec<Vec<u8>>,
    },
    TrustedCert(Vec<u8>),
    SecretKey,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Integrity {
    /// This password's digest matched.
    Verified(usize),
    /// Passwords were given and none matched.
    WrongPassword,
    NotChecked,
}

pub fn is_keystore(data: &[u8]) -> bool {
    data.starts_with(&JKS_MAGIC.to_be_bytes()) || data.starts_with(&JCEKS_MAGIC.to_be_bytes())
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or_else(|| format!("truncated at {what} (offset {})", self.pos))?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u16(&mut self, what: &str) -> Result<u16, String> {
        let b = self.bytes(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self, what: &str) -> Result<u32, String> {
        let b = self.bytes(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn utf(&mut self, what: &str) -> Result<String, String> {
        let n = self.u16(what)? as usize;
        // Java's modified UTF-8 differs from UTF-8 only for NUL and astral characters.
        Ok(String::from_utf8_lossy(self.bytes(n, what)?).into_owned())
    }
    fn sized(&mut self, what: &str) -> Result<&'a [u8], String> {
        let n = self.u32(what)? as usize;
        self.bytes(n, what)
    }
    fn cert(&mut self, version: u32) -> Result<Vec<u8>, String> {
        if version == 2 {
            let kind = self.utf("certificate type")?;
            if kind != "X.509" {
                return Err(format!("certificate type {kind:?} is not X.509"));
            }
        }
        let der = self.sized("certificate")?;
        if der.is_empty() {
            return Err(format!("empty certificate (offset {})", self.pos));
        }
        Ok(der.to_vec())
    }
}

/// List a JKS/JCEKS keystore; `passwords` are tried on its integrity digest.
pub fn parse(data: &[u8], passwords: &[Zeroizing<String>]) -> Result<Keystore, String> {
    let mut r = Reader { data, pos: 0 };
    let format = match r.u32("magic")? {
        JKS_MAGIC => "jks",
        JCEKS_MAGIC => "jceks",
        _ => return Err("not a JKS or JCEKS keystore".into()),
    };
    let version = r.u32("version")?;
    if version != 1 && version != 2 {
        return Err(format!("unknown keystore version {version}"));
    }
    let count = r.u32("entry count")?;
    let mut entries = Vec::new();
    let mut incomplete = None;
    let mut certificates = 0usize;
    let mut count_cert = || {
        certificates += 1;
        match certificates > MAX_CERTIFICATES {
            true => Err(format!("more than {MAX_CERTIFICATES} certificates")),
            false => Ok(()),
        }
    };
    for _ in 0..count {
        let tag = r.u32("entry tag")?;
        let alias = r.utf("alias")?;
        if alias.len() > MAX_ALIAS {
            return Err(format!(
                "an alias of {} bytes (at most {MAX_ALIAS})",
                alias.len()
            ));
        }
        r.bytes(8, "timestamp")?;
        let kind = match tag {
            1 => {
                let protected = r.sized("protected key")?.to_vec();
                let n = r.u32("chain length")?;
                let mut chain = Vec::new();
                for _ in 0..n {
                    count_cert()?;
                    chain.push(r.cert(version)?);
                }
                EntryKind::PrivateKey { protected, chain }
            }
            2 => {
                count_cert()?;
                EntryKind::TrustedCert(r.cert(version)?)
            }
            3 if format == "jceks" => {
                entries.push(Entry {
                    alias,
                    kind: EntryKind::SecretKey,
                });
                incomplete = Some(
                    "a secret key entry (a serialised Java object) ends what certdeck can list"
                        .to_string(),
                );
                break;
            }
            t => return Err(format!("unknown entry tag {t} for alias {alias:?}")),
        };
        entries.push(Entry { alias, kind });
    }
    let integrity = if incomplete.is_some() {
        Integrity::NotChecked
    } else {
        let body = &data[..r.pos];
        let stored = r.bytes(20, "integrity digest")?;
        match passwords.is_empty() {
            true => Integrity::NotChecked,
            false => passwords
                .iter()
                .position(|p| integrity_digest(p, body).as_slice() == stored)
                .map_or(Integrity::WrongPassword, Integrity::Verified),
        }
    };
    Ok(Keystore {
        format,
        entries,
        integrity,
        incomplete,
    })
}

/// The protection algorithm's OID and the protected bytes of an EncryptedPrivateKeyInfo.
fn protection(protected: &[u8]) -> Option<(&[u8], &[u8])> {
    let (seq, _) = super::der::read_tlv(protected).ok()?;
    let parts = super::der::children(seq.content).ok()?;
    let [alg, data] = parts.as_slice() else {
        return None;
    };
    let alg_parts = super::der::children(alg.content).ok()?;
    Some((alg_parts.first()?.content, data.content))
}

/// Whether certdeck can open this key with the right password (JKS's own scheme; JCEKS
/// protects keys with a scheme it does not implement).
pub fn can_open(protected: &[u8]) -> bool {
    protection(protected).is_some_and(|(alg, _)| alg == JKS_KEY_PROTECTOR)
}

/// Java passwords are hashed as UTF-16 big-endian.
fn utf16be(password: &str) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(password.encode_utf16().flat_map(u16::to_be_bytes).collect())
}

fn integrity_digest(password: &str, body: &[u8]) -> [u8; 20] {
    let mut h = Sha1::new();
    h.update(utf16be(password).as_slice());
    h.update(WHITENER);
    h.update(body);
    h.finalize().into()
}

/// Open a private key protected with JKS's own scheme: the salt seeds a SHA-1 keystream over
/// the password, XORed with the key; a trailing SHA-1 of password and key tells a wrong
/// password. Returns the PKCS#8 PrivateKeyInfo, or None (wrong password, other scheme).
pub fn open_key(protected: &[u8], password: &str) -> Option<Zeroizing<Vec<u8>>> {
    let (alg, blob) = protection(protected)?;
    if alg != JKS_KEY_PROTECTOR {
        return None;
    }
    if blob.len() < 40 {
        return None;
    }
    let (salt, rest) = blob.split_at(20);
    let (encrypted, check) = rest.split_at(rest.len() - 20);
    let pw = utf16be(password);
    let mut plain = Zeroizing::new(Vec::with_capacity(encrypted.len()));
    let mut digest: [u8; 20] = salt.try_into().ok()?;
    for chunk in encrypted.chunks(20) {
        digest = Sha1::new()
            .chain_update(pw.as_slice())
            .chain_update(digest)
            .finalize()
            .into();
        plain.extend(chunk.iter().zip(digest).map(|(c, k)| c ^ k));
    }
    let expect: [u8; 20] = Sha1::new()
        .chain_update(pw.as_slice())
        .chain_update(plain.as_slice())
        .finalize()
        .into();
    (expect.as_slice() == check).then_some(plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf(s: &str) -> Vec<u8> {
        let mut v = (s.len() as u16).to_be_bytes().to_vec();
        v.extend(s.as_bytes());
        v
    }

    /// A version-2 JKS with one trusted certificate entry and its digest under `pw`.
    fn one_trusted(cert: &[u8], pw: &str) -> Vec<u8> {
        let mut v = JKS_MAGIC.to_be_bytes().to_vec();
        v.extend(2u32.to_be_bytes());
        v.extend(1u32.to_be_bytes());
        v.extend(2u32.to_be_bytes());
        v.extend(utf("root"));
        v.extend(0u64.to_be_bytes());
        v.extend(utf("X.509"));
        v.extend((cert.len() as u32).to_be_bytes());
        v.extend(cert);
        let d = integrity_digest(pw, &v);
        v.extend(d);
        v
    }

    #[test]
    fn lists_entries_and_checks_the_digest() {
        let ks = one_trusted(b"\x30\x00", "changeit");
        let pw = |s: &str| vec![Zeroizing::new(s.to_string())];
        let ok = parse(&ks, &pw("changeit")).unwrap();
        assert_eq!(ok.integrity, Integrity::Verified(0));
        assert_eq!(ok.entries[0].alias, "root");
        assert!(matches!(&ok.entries[0].kind, EntryKind::TrustedCert(c) if c == b"\x30\x00"));
        assert_eq!(
            parse(&ks, &pw("wrong")).unwrap().integrity,
            Integrity::WrongPassword
        );
        assert_eq!(parse(&ks, &[]).unwrap().integrity, Integrity::NotChecked);
    }

    #[test]
    fn every_truncation_and_huge_length_is_an_error_not_a_panic() {
        let ks = one_trusted(b"\x30\x03\x02\x01\x01", "pw");
        let pw = vec![Zeroizing::new("pw".to_string())];
        for n in 0..ks.len() {
            assert!(parse(&ks[..n], &pw).is_err(), "truncated to {n} bytes");
            assert!(
                parse(&ks[..n], &[]).is_err(),
                "truncated to {n} bytes, no password"
            );
        }
        let mut huge = ks.clone();
        // The certificate length: 4 bytes before the certificate's 5 bytes and the digest.
        let at = ks.len() - 20 - 5 - 4;
        huge[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(parse(&huge, &pw).is_err());
        let mut many = ks.clone();
        many[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(parse(&many, &pw).is_err());
    }

    #[test]
    fn a_file_of_tiny_certificates_or_huge_aliases_is_refused_not_held() {
        // Version 1 (no type string): one key entry whose chain claims 20,000 certificates of
        // one byte each.
        let mut v = JKS_MAGIC.to_be_bytes().to_vec();
        v.extend(1u32.to_be_bytes());
        v.extend(1u32.to_be_bytes());
        v.extend(1u32.to_be_bytes());
        v.extend(utf("k"));
        v.extend(0u64.to_be_bytes());
        v.extend(1u32.to_be_bytes());
        v.push(0);
        v.extend(20_000u32.to_be_bytes());
        for _ in 0..20_000 {
            v.extend(1u32.to_be_bytes());
            v.push(0x30);
        }
        let e = parse(&v, &[]).err().unwrap();
        assert!(e.contains("more than 10000 certificates"), "{e}");

        let long = "a".repeat(MAX_ALIAS + 1);
        let ks = one_trusted(b"\x30\x00", "pw");
        let mut v = ks[..12].to_vec();
        v.extend(2u32.to_be_bytes());
        v.extend(utf(&long));
        v.extend(&ks[12 + 4 + 2 + 4..]);
        let e = parse(&v, &[]).err().unwrap();
        assert!(e.contains("alias of 1025 bytes"), "{e}");

        let mut empty = JKS_MAGIC.to_be_bytes().to_vec();
        empty.extend(1u32.to_be_bytes());
        empty.extend(1u32.to_be_bytes());
        empty.extend(2u32.to_be_bytes());
        empty.extend(utf("e"));
        empty.extend(0u64.to_be_bytes());
        empty.extend(0u32.to_be_bytes());
        assert!(parse(&empty, &[])
            .err()
            .unwrap()
            .contains("empty certificate"));
    }
}
