//! The passphrase prompt: a locked key, PKCS#12 or JKS file is opened in place. The typed
//! passphrase goes into the shared keyring and the store is scanned again (so the key pairs
//! with its certificate, as if it had been given at start); if the file is still locked the
//! passphrase leaves the keyring and the prompt comes back saying so. Nothing is written or
//! journaled; the passphrase lives in a `Secret` / the keyring, both wiped when dropped.

use super::app::{App, Effect};
use super::effects::Secret;
use super::flow::{Notice, Overlay};
use super::form::Form;

#[derive(Debug)]
pub struct PendingUnlock {
    path: String,
    pass: Secret,
    /// The keyring did not hold it before: taken out again if it opens nothing here.
    added: bool,
}

impl App {
    /// `U`, the menu's unlock, or Enter on a locked item.
    pub(super) fn start_unlock(&mut self) -> Vec<Effect> {
        let Some(path) = (self.selected_item())
            .filter(|it| it.locked())
            .map(|it| it.path.clone())
        else {
            self.notice = Some(Notice::error(
                "unlock: select a locked key, PKCS#12 or JKS file first",
            ));
            return Vec::new();
        };
        self.overlay = Overlay::Form(Form::unlock(&path));
        Vec::new()
    }

    pub(super) fn submit_unlock(&mut self, path: String, pass: Secret) -> Vec<Effect> {
        let added = self.keyring.add(&pass.0);
        self.overlay = Overlay::None;
        self.notice = Some(Notice::info(format!(
            "opening {}…",
            crate::text::escape_control(&path)
        )));
        self.pending_unlock = Some(PendingUnlock { path, pass, added });
        self.request_rescan()
    }

    /// After a complete scan: did the typed passphrase open the file?
    pub(super) fn unlock_result(&mut self) {
        let Some(p) = self.pending_unlock.take() else {
            return;
        };
        let shown = crate::text::escape_control(&p.path).into_owned();
        let mut items = self.inventory.items.iter().filter(|it| it.path == p.path);
        let Some(first) = items.next() else {
            if p.added {
                self.keyring.remove(&p.pass.0);
            }
            self.notice = Some(Notice::error(format!("unlock: {shown} is gone")));
            return;
        };
        let still = first.locked() || items.any(|it| it.locked());
        if still {
            if p.added {
                self.keyring.remove(&p.pass.0);
            }
            let mut form = Form::unlock(&p.path);
            form.error = Some(format!("wrong passphrase: {shown} is still locked"));
            self.overlay = Overlay::Form(form);
        } else {
            self.notice = Some(Notice::info(format!("unlocked {shown}")));
        }
    }
}
