//! The passphrases the TUI tries on encrypted keys and keystores: those given at start
//! (`--passphrase-file`) and those typed into the unlock prompt. Shared by the scan factory
//! (a rescan opens what they open) and the actions (renew, sign with an unlocked key).

use std::sync::{Arc, Mutex};
use zeroize::Zeroizing;

/// Cloning shares the list. Never printed: `Debug` shows only how many.
#[derive(Clone, Default)]
pub struct Keyring(Arc<Mutex<Vec<Zeroizing<String>>>>);

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keyring({} passphrases)", self.lock().len())
    }
}

impl Keyring {
    pub fn new(passes: Vec<Zeroizing<String>>) -> Keyring {
        Keyring(Arc::new(Mutex::new(passes)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Zeroizing<String>>> {
        // A panic elsewhere cannot leave the list half-changed: use it as it is.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy to decode with (wiped when dropped).
    pub fn snapshot(&self) -> Vec<Zeroizing<String>> {
        self.lock().clone()
    }

    /// Adds `pass`; false when it was already there.
    pub fn add(&self, pass: &Zeroizing<String>) -> bool {
        let mut v = self.lock();
        if v.iter().any(|p| p.as_str() == pass.as_str()) {
            return false;
        }
        v.push(pass.clone());
        true
    }

    pub fn remove(&self, pass: &Zeroizing<String>) {
        self.lock().retain(|p| p.as_str() != pass.as_str());
    }
}
