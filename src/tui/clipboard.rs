//! Copying to the user's clipboard with OSC 52: the terminal (or tmux with `set-clipboard on`)
//! sets its clipboard, so it works through SSH where no local clipboard tool can. `y` copies the
//! fingerprint, `Y` opens a menu of what else can be copied.

use super::app::App;
use super::flow::Notice;
use super::keymap::Action;
use crate::pki::{Detail, Item};
use crate::store::inventory::Inventory;
use base64::Engine;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What {
    Fingerprint,
    Pem,
    Subject,
    Serial,
    Path,
    Sha1,
    CsrPem,
    ChainPem,
}

/// The `Y` menu, in order; `Fingerprint` is also `y`.
pub const MENU: &[What] = &[
    What::Fingerprint,
    What::Pem,
    What::Subject,
    What::Serial,
    What::Path,
    What::Sha1,
    What::CsrPem,
    What::ChainPem,
];

impl What {
    pub fn label(self) -> &'static str {
        match self {
            What::Fingerprint => "SHA-256 fingerprint",
            What::Pem => "certificate PEM",
            What::Subject => "subject",
            What::Serial => "serial",
            What::Path => "path",
            What::Sha1 => "SHA-1 fingerprint",
            What::CsrPem => "CSR PEM",
            What::ChainPem => "chain PEM (certificate and issuers)",
        }
    }
}

/// The terminal's clipboard state: off under `--no-clipboard`; the `Y` menu's selection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clipboard {
    pub enabled: bool,
    pub menu: Option<usize>,
}

impl Default for Clipboard {
    fn default() -> Self {
        Clipboard {
            enabled: true,
            menu: None,
        }
    }
}

/// The escape sequence that asks the terminal to put `text` on the clipboard (`c`).
pub fn osc52(text: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\x1b]52;c;{b64}\x07")
}

fn colon(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// What `what` copies of `item`, or why it has none. The chain is the certificate and the
/// issuers its chain was built from, found in `inv` by fingerprint.
pub fn text(item: &Item, what: What, inv: &Inventory) -> Result<String, String> {
    let none = |kind: &str| Err(format!("nothing to copy: the selected item is not {kind}"));
    let pem = |label: &str| {
        item.der
            .as_deref()
            .map(|der| crate::pki::pem::encode(label, der))
            .ok_or_else(|| "nothing to copy: no DER kept for this item".to_string())
    };
    match what {
        What::Path => Ok(item.path.clone()),
        What::CsrPem => match &item.detail {
            Detail::Csr(_) => pem("CERTIFICATE REQUEST"),
            _ => none("a CSR"),
        },
        What::Subject => match &item.detail {
            Detail::Certificate(c) => Ok(c.subject.clone()),
            Detail::Csr(c) => Ok(c.subject.clone()),
            _ => none("a certificate or CSR"),
        },
        _ => {
            let Some(c) = item.cert() else {
                return none("a certificate");
            };
            match what {
                What::Fingerprint => Ok(super::fmt::colon_hex(&c.sha256)),
                What::Sha1 => Ok(colon(&c.sha1)),
                What::Serial => Ok(c.serial.clone()),
                What::ChainPem => {
                    let mut out = crate::pki::pem::encode("CERTIFICATE", c.raw.der());
                    for link in &c.chain_issuers {
                        let issuer = inv
                            .items
                            .iter()
                            .find_map(|it| it.cert().filter(|ic| ic.sha256 == link.sha256));
                        if let Some(ic) = issuer {
                            if ic.sha256 != c.sha256 {
                                out.push_str(&crate::pki::pem::encode("CERTIFICATE", ic.raw.der()));
                            }
                        }
                    }
                    Ok(out)
                }
                _ => Ok(crate::pki::pem::encode("CERTIFICATE", c.raw.der())),
            }
        }
    }
}

impl App {
    /// Copy `what` of the selected item: the effect that writes OSC 52, and a status line
    /// saying what went to the clipboard.
    pub(super) fn copy(&mut self, what: What) -> Vec<super::app::Effect> {
        if !self.clipboard.enabled {
            self.notice = Some(Notice::error(
                "clipboard off (--no-clipboard): nothing copied",
            ));
            return Vec::new();
        }
        let Some(item) = self.selected_item() else {
            self.notice = Some(Notice::error("nothing selected to copy"));
            return Vec::new();
        };
        match text(item, what, &self.inventory) {
            Ok(t) => {
                // One status line (a long one would open the pager): the value cut to fit.
                let head = format!("copied {}: ", what.label());
                let shown = match t.lines().count() {
                    0 | 1 => t.clone(),
                    n => format!("{n} lines of {}", item.path),
                };
                let room = (self.size.width as usize).saturating_sub(head.chars().count());
                let shown: String = if shown.chars().count() > room {
                    (shown.chars().take(room.saturating_sub(1)))
                        .chain(['…'])
                        .collect()
                } else {
                    shown
                };
                self.notice = Some(Notice::info(format!("{head}{shown}")));
                vec![super::app::Effect::Copy(t)]
            }
            Err(e) => {
                self.notice = Some(Notice::error(e));
                Vec::new()
            }
        }
    }

    /// Keys in the `Y` menu: move, copy the chosen entry (Enter), close.
    pub(super) fn copy_menu_act(&mut self, action: Action) -> Vec<super::app::Effect> {
        let Some(sel) = self.clipboard.menu else {
            return Vec::new();
        };
        let last = MENU.len() - 1;
        let sel = match action {
            Action::Down => (sel + 1).min(last),
            Action::Up => sel.saturating_sub(1),
            Action::Top => 0,
            Action::Bottom => last,
            Action::Back => {
                self.clipboard.menu = None;
                return Vec::new();
            }
            Action::Open => {
                self.clipboard.menu = None;
                return self.copy(MENU[sel]);
            }
            _ => sel,
        };
        self.clipboard.menu = Some(sel);
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_is_base64_of_the_text_for_the_clipboard() {
        assert_eq!(osc52("AB:CD"), "\x1b]52;c;QUI6Q0Q=\x07");
    }

    #[test]
    fn sha1_is_colon_hex() {
        assert_eq!(colon(&[0x0a, 0xff, 0x10]), "0A:FF:10");
    }
}
