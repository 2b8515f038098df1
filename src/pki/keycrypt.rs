//! Placeholder until the keycrypt branch lands (decryption of legacy PEM and PKCS#8 keys).
use zeroize::Zeroizing;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyCryptError {
    WrongPassphrase,
    Unsupported(String),
    Malformed(String),
}

impl std::fmt::Display for KeyCryptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyCryptError::WrongPassphrase => write!(f, "wrong passphrase"),
            KeyCryptError::Unsupported(s) => write!(f, "unsupported encryption: {s}"),
            KeyCryptError::Malformed(s) => write!(f, "malformed encrypted key: {s}"),
        }
    }
}

impl std::error::Error for KeyCryptError {}

pub fn decrypt_legacy_pem(
    _dek_info: &str,
    _body: &[u8],
    _passphrase: &[u8],
) -> Result<Zeroizing<Vec<u8>>, KeyCryptError> {
    Err(KeyCryptError::Unsupported("not built yet".into()))
}

pub fn decrypt_pkcs8(_der: &[u8], _passphrase: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyCryptError> {
    Err(KeyCryptError::Unsupported("not built yet".into()))
}

pub fn describe_pkcs8_encryption(_der: &[u8]) -> String {
    "unknown".into()
}
