//! Pure functions over bytes: decoding, summaries, chains, hashes, issuing. No filesystem, no terminal.

pub mod cert;
pub mod chain;
pub mod decode;
pub mod der;
pub mod dh;
pub mod issue;
pub mod jks;
pub mod key;
pub mod keycrypt;
pub mod keyload;
pub mod lint;
pub mod model;
pub mod p12;
pub mod p12_read;
pub mod pem;
pub mod revocation;
pub mod subject_hash;

pub use model::*;
