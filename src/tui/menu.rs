//! The action menu (`a` / `:`): what can be done to the selected item, generated from the
//! keymap's change bindings (so its keys and wording are the ones help shows), narrowed to the
//! item's kind. Enter or the action's own key runs it through the same path as the key.

use super::app::{App, Effect};
use super::flow::{Notice, Overlay};
use super::keymap::{self, Action, Context, KEYMAP};
use crate::pki::{Item, ItemKind};

/// One line of the menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub action: Action,
    /// As the keymap spells them (`e`, `S`).
    pub keys: String,
    pub desc: &'static str,
    /// Acts on the selected item (listed first), not on the store as a whole.
    pub on_item: bool,
}

#[derive(Debug, Clone)]
pub struct Menu {
    pub title: String,
    pub entries: Vec<Entry>,
    pub selected: usize,
}

/// Whether `action` acts on one item, and then on which kinds.
fn item_kinds(action: Action) -> Option<&'static [ItemKind]> {
    match action {
        Action::Trust
        | Action::Revoke
        | Action::Export
        | Action::Renew
        | Action::AcmeRenew
        | Action::AcmeRevoke => Some(&[ItemKind::Certificate]),
        Action::Sign => Some(&[ItemKind::Csr]),
        Action::KeyPass => Some(&[ItemKind::PrivateKey]),
        Action::Unlock => Some(&[ItemKind::PrivateKey, ItemKind::Keystore]),
        Action::Keystore => Some(&[ItemKind::Keystore]),
        Action::ReplaceCert => Some(&[ItemKind::Certificate]),
        _ => None,
    }
}

/// Only reads: offered in read-only mode too.
fn reads_only(action: Action) -> bool {
    matches!(action, Action::Probe | Action::Unlock)
}

impl Menu {
    /// The menu for `item` (none selected: only the store-wide actions).
    /// `servers_configured`: `--server-config` was given (replace-cert needs one).
    pub fn for_item(
        item: Option<&Item>,
        read_only: bool,
        reload_configured: bool,
        servers_configured: bool,
    ) -> Menu {
        let kind = item.map(|it| it.kind);
        let mut on_item = Vec::new();
        let mut store_wide = Vec::new();
        for bd in KEYMAP.iter().filter(|bd| bd.context == Context::Actions) {
            if read_only && !reads_only(bd.action) {
                continue;
            }
            if (bd.action == Action::Reload && !reload_configured)
                || (bd.action == Action::ReplaceCert && !servers_configured)
            {
                continue;
            }
            let entry = |on_item| Entry {
                action: bd.action,
                keys: keymap::keys_label(bd),
                desc: bd.desc,
                on_item,
            };
            match item_kinds(bd.action) {
                // An item that failed to decode has nothing to act on.
                // Unlock is only for what is locked (a wrong passphrase's note is no error).
                Some(kinds) => {
                    let applies = match bd.action {
                        Action::Unlock => item.is_some_and(|it| it.locked()),
                        _ => item.is_some_and(|it| it.error.is_none()),
                    };
                    if kind.is_some_and(|k| kinds.contains(&k)) && applies {
                        on_item.push(entry(true));
                    }
                }
                None => store_wide.push(entry(false)),
            }
        }
        let title = match item {
            Some(it) => format!("Actions: {} ({})", it.display_name(), it.kind.label()),
            None => "Actions".to_string(),
        };
        on_item.append(&mut store_wide);
        Menu {
            title,
            entries: on_item,
            selected: 0,
        }
    }

    pub fn has(&self, action: Action) -> bool {
        self.entries.iter().any(|e| e.action == action)
    }
}

impl App {
    pub(super) fn open_menu(&mut self) {
        let mut menu = Menu::for_item(
            self.selected_item(),
            self.read_only,
            self.reload_configured,
            !self.servers.is_empty(),
        );
        // ACME renew and revoke only on an ACME lineage's row.
        if self.selected_acme_lineage().is_none() {
            (menu.entries).retain(|e| !matches!(e.action, Action::AcmeRenew | Action::AcmeRevoke));
        }
        self.overlay = Overlay::Menu(menu);
    }

    /// A key in the menu: move, close, or run an entry (the selected one on Enter, or the one
    /// whose key was pressed).
    pub(super) fn menu_act(&mut self, action: Action) -> Vec<Effect> {
        let Overlay::Menu(menu) = &mut self.overlay else {
            return Vec::new();
        };
        let n = menu.entries.len();
        let run = match action {
            Action::Back => {
                self.overlay = Overlay::None;
                return Vec::new();
            }
            Action::Down if n > 0 => {
                menu.selected = (menu.selected + 1) % n;
                return Vec::new();
            }
            Action::Up if n > 0 => {
                menu.selected = (menu.selected + n - 1) % n;
                return Vec::new();
            }
            Action::Open => match menu.entries.get(menu.selected) {
                Some(e) => e.action,
                None => return Vec::new(),
            },
            a if menu.has(a) => a,
            a => {
                // A change key that does not fit this item: say so rather than run it.
                if item_kinds(a).is_some() || keymap_has(a) {
                    self.notice = Some(Notice::error(format!(
                        "not for this item: {}",
                        menu.title.trim_start_matches("Actions: ")
                    )));
                }
                return Vec::new();
            }
        };
        self.overlay = Overlay::None;
        self.start_action(run)
    }
}

fn keymap_has(a: Action) -> bool {
    KEYMAP
        .iter()
        .any(|bd| bd.context == Context::Actions && bd.action == a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csr_gets_sign_and_no_certificate_actions() {
        let mut csr = Item::new(ItemKind::Csr, "CERTIFICATE REQUEST");
        csr.path = "x.csr".into();
        let m = Menu::for_item(Some(&csr), false, false, false);
        assert_eq!(m.entries[0].action, Action::Sign);
        assert!(m.entries[0].on_item);
        assert!(!m.has(Action::Trust) && !m.has(Action::Export));
        assert!(!m.has(Action::Reload), "no reload command configured");
        let cert = Item::new(ItemKind::Certificate, "CERTIFICATE");
        let m = Menu::for_item(Some(&cert), false, true, true);
        assert!(m.has(Action::Trust) && m.has(Action::Export) && m.has(Action::Reload));
        assert!(m.has(Action::ReplaceCert) && !m.has(Action::Keystore));
        assert!(!m.has(Action::Sign));
        let ro = Menu::for_item(Some(&cert), true, true, true);
        let only: Vec<Action> = ro.entries.iter().map(|e| e.action).collect();
        assert_eq!(only, vec![Action::Probe]);
    }
}
