//! The one table of key bindings. `App` dispatches through it, and the help overlay and the hint
//! line are generated from it, so they cannot drift apart (see DESIGN.md, bottom's HELP_TEXT).

use super::lineedit::Edit;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding applies. `Any` works even while typing a filter or reading help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Any,
    /// List or details focused, no overlay, not typing.
    Normal,
    List,
    /// The list with a group header selected (grouping by file or chain).
    Header,
    Details,
    Filter,
    /// Editing a line of text: the filter or a form's text field.
    Typing,
    Help,
    /// Changes to the store (or an export): work from the list and the details.
    Actions,
    /// Filling in a form (generate / export / import).
    Form,
    /// The confirm dialog showing a plan.
    Confirm,
    /// A long message or the message log.
    Pager,
    /// The findings view.
    Findings,
    /// The action menu of the selected item (`a` / `:`).
    Menu,
    /// The `Y` menu: what to copy to the clipboard.
    Copy,
    /// `v`: the selected item as text.
    Text,
    /// Typing a search in the text view.
    TextSearch,
    /// `T`: the expiry timeline.
    Timeline,
    /// `J`: the journal of changes (history view).
    History,
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Context::Any => "Anywhere",
            Context::Normal => "General",
            Context::List => "List",
            Context::Header => "On a group header",
            Context::Details => "Details",
            Context::Filter => "Typing a filter",
            Context::Typing => "Editing text (filter, fields)",
            Context::Help => "Help",
            Context::Actions => "Changes (all confirm first)",
            Context::Form => "Forms",
            Context::Confirm => "Confirm a plan",
            Context::Pager => "Message / log",
            Context::Findings => "Findings view",
            Context::Menu => "Action menu (a or :)",
            Context::Copy => "Copy menu (Y)",
            Context::Text => "Text view (v)",
            Context::TextSearch => "Searching the text view",
            Context::Timeline => "Expiry timeline (T)",
            Context::History => "History of changes (J)",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Asks first while a job (a change, a reload, a probe) runs.
    Quit,
    /// Esc: close the innermost thing (overlay, filter, full details); never quits.
    Back,
    Up,
    Down,
    PageUp,
    PageDown,
    HalfPageUp,
    HalfPageDown,
    Top,
    Bottom,
    FocusNext,
    Open,
    ToggleChain,
    CycleSort,
    CycleGroup,
    /// Fold or unfold the group whose header is selected.
    ToggleGroup,
    StartFilter,
    AcceptFilter,
    /// Cursor moves and deletions in the filter or a form field (←/→ cycle a choice field).
    Edit(Edit),
    Rescan,
    Help,
    /// Ctrl-L: clear the terminal and draw everything (text another program wrote is gone).
    Redraw,
    /// Ctrl-Z: give the terminal back and stop; `fg` resumes with a full repaint.
    Suspend,
    /// The message log (the last 100 messages).
    Messages,
    /// Every finding of the store (what `certdeck audit` reports).
    Findings,
    /// `y`: the selected certificate's SHA-256 fingerprint to the clipboard (OSC 52).
    CopyFingerprint,
    /// `Y`: the menu of what else can be copied.
    CopyMenu,
    /// `v`: the selected item as `openssl x509 -text` would show it, and its PEM.
    TextView,
    /// `n` / `N` in the text view: the next / previous line the search matches.
    NextMatch,
    PrevMatch,
    /// `T`: certificates expiring per month over 12 months, expired, not yet valid.
    Timeline,
    /// `J`: the journal of changes, a plan's details, undo of the latest.
    History,
    /// `z`: show or hide a lineage's older versions under its row.
    ToggleLineage,
    // Changes; each one ends in the confirm dialog. Only n/t/x/u get a hint: with them the hint
    // line still fits 120 columns; the rest are in help.
    NewCert,
    Trust,
    Revoke,
    Rehash,
    Undo,
    /// Run the store's reload command (after a confirm).
    Reload,
    /// Connect to a TLS port and compare what it serves with the store (read-only).
    Probe,
    Export,
    Import,
    /// Sign the selected CSR with a CA of the store (form).
    Sign,
    /// Generate RFC 7919 DH parameters into the store.
    Dhparam,
    /// Encrypt, re-encrypt or decrypt the selected key file (form, masked fields).
    KeyPass,
    /// Issue the selected certificate again: same key, names, signer; new validity.
    Renew,
    /// Ask for the passphrase of the selected locked key or keystore and open it in place.
    Unlock,
    /// keytool's verbs on the selected PKCS#12 keystore (form).
    Keystore,
    /// Put a new certificate and key under the names a server config uses (form).
    ReplaceCert,
    /// A new ACME lineage (`certdeck acme issue`, a form).
    AcmeIssue,
    /// The selected ACME lineage renewed now (`certdeck acme renew NAME --force`).
    AcmeRenew,
    /// The selected ACME lineage's certificate revoked (`certdeck acme revoke NAME`).
    AcmeRevoke,
    /// What can be done to the selected item, with its keys (`a` / `:`).
    Menu,
    // Forms.
    NextField,
    PrevField,
    Submit,
    // Confirm dialog.
    Apply,
}

/// A key as the table spells it. Letters match regardless of SHIFT (terminals differ in reporting
/// it for `G`); `ctrl` must match exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

const fn k(code: KeyCode) -> Key {
    Key { code, ctrl: false }
}
const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: true,
    }
}
const CTRL_C: Key = ctrl('c');
const fn ch(c: char) -> Key {
    k(KeyCode::Char(c))
}

impl Key {
    pub fn matches(&self, ev: &KeyEvent) -> bool {
        self.code == ev.code && self.ctrl == ev.modifiers.contains(KeyModifiers::CONTROL)
    }

    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "S-Tab".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::Backspace => "Bksp".into(),
            KeyCode::Delete => "Del".into(),
            other => format!("{other:?}"),
        };
        if self.ctrl {
            format!("Ctrl-{}", base.to_uppercase())
        } else {
            base
        }
    }
}

pub struct Binding {
    pub keys: &'static [Key],
    pub action: Action,
    pub desc: &'static str,
    pub context: Context,
    /// Short label for the bottom hint line; `None` shows only in help.
    pub hint: Option<&'static str>,
}

/// Which list the TUI shows: a store's, or a fleet's (`certdeck fleet`), where a few keys do
/// something else. The bindings stay one table; only their words differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Store,
    Fleet,
}

/// The fleet's words for the keys that do something else there: context, action, help, hint.
#[rustfmt::skip]
const FLEET_WORDS: &[(Context, Action, &str, Option<&str>)] = &[
    (Context::Normal, Action::Rescan, "reload from Prometheus", Some("reload")),
];

impl Binding {
    fn words(
        &self,
        mode: Mode,
    ) -> Option<&'static (Context, Action, &'static str, Option<&'static str>)> {
        (mode == Mode::Fleet)
            .then(|| {
                FLEET_WORDS
                    .iter()
                    .find(|w| w.0 == self.context && w.1 == self.action)
            })
            .flatten()
    }

    /// The help's description in `mode`.
    pub fn desc_in(&self, mode: Mode) -> &'static str {
        self.words(mode).map_or(self.desc, |w| w.2)
    }

    /// The hint line's label in `mode`.
    pub fn hint_in(&self, mode: Mode) -> Option<&'static str> {
        self.words(mode).map_or(self.hint, |w| w.3)
    }
}

const fn b(
    context: Context,
    keys: &'static [Key],
    action: Action,
    desc: &'static str,
    hint: Option<&'static str>,
) -> Binding {
    Binding {
        keys,
        action,
        desc,
        context,
        hint,
    }
}

use Action as A;
use Context as C;

// One line per binding; kept as a table on purpose.
#[rustfmt::skip]
pub const KEYMAP: &[Binding] = &[
    b(C::Any,     &[CTRL_C],                        A::Quit,         "quit (asks while a job runs)", None),
    b(C::Any,     &[ctrl('l')],                     A::Redraw,       "repaint the screen",          None),
    b(C::Any,     &[ctrl('z')],                     A::Suspend,      "suspend (fg resumes)",        None),
    b(C::Header,  &[k(KeyCode::Enter), ch(' ')],    A::ToggleGroup,  "fold / unfold this group", Some("fold")),
    b(C::Normal,  &[ch('q')],                       A::Quit,         "quit (asks while a job runs)", Some("quit")),
    b(C::Normal,  &[k(KeyCode::Esc)],               A::Back,         "clear filter / close details", None),
    b(C::Normal,  &[ch('?')],                       A::Help,         "help",                        Some("help")),
    b(C::Normal,  &[ch('a'), ch(':')],              A::Menu,         "action menu of this item", Some("actions")),
    b(C::Normal,  &[k(KeyCode::Tab)],               A::FocusNext,    "switch pane",                 Some("pane")),
    b(C::Normal,  &[ch('/')],                       A::StartFilter,  "filter",                      Some("filter")),
    b(C::Normal,  &[ch('s')],                       A::CycleSort,    "sort; unreadable files first", Some("sort")),
    b(C::Normal,  &[ch('o')],                       A::CycleGroup,   "group: file/chain tree/host", Some("group")),
    b(C::Normal,  &[ch('c')],                       A::ToggleChain,  "chain tree in details",       Some("chain")),
    b(C::Normal,  &[ch('r')],                       A::Rescan,       "rescan the store",            Some("rescan")),
    b(C::Normal,  &[ch('f')],                       A::Findings,     "findings (as audit lists)", Some("findings")),
    b(C::Normal,  &[ch('M')],                       A::Messages,     "message log (last 100)",      Some("messages")),
    b(C::Normal,  &[ch('y')],                       A::CopyFingerprint, "copy fingerprint (OSC 52)", None),
    b(C::Normal,  &[ch('v')],                       A::TextView,     "text view: dump and PEM",     None),
    b(C::Normal,  &[ch('T')],                       A::Timeline,     "expiry timeline (bars)",      None),
    b(C::Normal,  &[ch('J')],                       A::History,      "history: journal of changes, undo", None),
    b(C::Normal,  &[ch('Y')],                       A::CopyMenu,     "copy menu: PEM, chain, …", None),
    b(C::List,    &[ch('j'), k(KeyCode::Down)],     A::Down,         "next item",                   None),
    b(C::List,    &[ch('k'), k(KeyCode::Up)],       A::Up,           "previous item",               None),
    b(C::List,    &[ctrl('d')],                     A::HalfPageDown, "half a page down",            None),
    b(C::List,    &[ctrl('u')],                     A::HalfPageUp,   "half a page up",              None),
    b(C::List,    &[k(KeyCode::PageDown), ch(' '), ctrl('f')], A::PageDown, "page down",            None),
    b(C::List,    &[k(KeyCode::PageUp), ch('b'), ctrl('b')], A::PageUp, "page up",                  None),
    b(C::List,    &[ch('g'), k(KeyCode::Home)],     A::Top,          "first item",                  None),
    b(C::List,    &[ch('G'), k(KeyCode::End)],      A::Bottom,       "last item",                   None),
    b(C::List,    &[k(KeyCode::Enter)],             A::Open,         "open details / full screen",  Some("details")),
    b(C::List,    &[ch('z')],                       A::ToggleLineage, "lineage: fold/unfold older versions", None),
    b(C::Details, &[ch('j'), k(KeyCode::Down)],     A::Down,         "scroll down",                 None),
    b(C::Details, &[ch('k'), k(KeyCode::Up)],       A::Up,           "scroll up",                   None),
    b(C::Details, &[ctrl('d')],                     A::HalfPageDown, "half a page down",            None),
    b(C::Details, &[ctrl('u')],                     A::HalfPageUp,   "half a page up",              None),
    b(C::Details, &[k(KeyCode::PageDown), ch(' '), ctrl('f')], A::PageDown, "page down",            None),
    b(C::Details, &[k(KeyCode::PageUp), ch('b'), ctrl('b')], A::PageUp, "page up",                  None),
    b(C::Details, &[ch('g'), k(KeyCode::Home)],     A::Top,          "top",                         None),
    b(C::Details, &[ch('G'), k(KeyCode::End)],      A::Bottom,       "bottom",                      None),
    b(C::Details, &[k(KeyCode::Enter)],             A::Open,         "back to the list",            Some("list")),
    b(C::Filter,  &[k(KeyCode::Enter)],             A::AcceptFilter, "keep filter",                 Some("keep")),
    b(C::Filter,  &[k(KeyCode::Esc)],               A::Back,         "clear filter",                Some("clear")),
    b(C::Filter,  &[k(KeyCode::Down)],              A::Down,         "next item",                   None),
    b(C::Filter,  &[k(KeyCode::Up)],                A::Up,           "previous item",               None),
    b(C::Typing,  &[k(KeyCode::Left)],              A::Edit(Edit::Left), "cursor left / previous choice", None),
    b(C::Typing,  &[k(KeyCode::Right)],             A::Edit(Edit::Right), "cursor right / next choice", None),
    b(C::Typing,  &[k(KeyCode::Home), ctrl('a')],   A::Edit(Edit::Home), "start of the line",       None),
    b(C::Typing,  &[k(KeyCode::End), ctrl('e')],    A::Edit(Edit::End), "end of the line",          None),
    b(C::Typing,  &[k(KeyCode::Backspace)],         A::Edit(Edit::DeleteBack), "delete before the cursor", None),
    b(C::Typing,  &[k(KeyCode::Delete)],            A::Edit(Edit::DeleteForward), "delete under the cursor", None),
    b(C::Typing,  &[ctrl('u')],                     A::Edit(Edit::KillToStart), "delete to the start", None),
    b(C::Typing,  &[ctrl('k')],                     A::Edit(Edit::KillToEnd), "delete to the end",  None),
    b(C::Typing,  &[ctrl('w')],                     A::Edit(Edit::KillWord), "delete the word before", None),
    b(C::Help,    &[k(KeyCode::Esc), ch('?'), ch('q')], A::Back,     "close help",                  Some("close")),
    b(C::Help,    &[ch('j'), k(KeyCode::Down)],     A::Down,         "scroll down",                 None),
    b(C::Help,    &[ch('k'), k(KeyCode::Up)],       A::Up,           "scroll up",                   None),
    b(C::Help,    &[ctrl('d')],                     A::HalfPageDown, "half a page down",            None),
    b(C::Help,    &[ctrl('u')],                     A::HalfPageUp,   "half a page up",              None),
    b(C::Help,    &[k(KeyCode::PageDown), ch(' '), ctrl('f')], A::PageDown, "page down",            None),
    b(C::Help,    &[k(KeyCode::PageUp), ch('b'), ctrl('b')], A::PageUp, "page up",                  None),
    b(C::Help,    &[ch('g'), k(KeyCode::Home)],     A::Top,          "top",                         None),
    b(C::Help,    &[ch('G'), k(KeyCode::End)],      A::Bottom,       "bottom",                      None),
    b(C::Actions, &[ch('n')],                       A::NewCert,      "new certificate / CSR (form)", Some("new")),
    b(C::Actions, &[ch('t')],                       A::Trust,        "trust selected certificate",  Some("trust")),
    b(C::Actions, &[ch('x')],                       A::Revoke,       "revoke selected certificate", Some("revoke")),
    b(C::Actions, &[ch('H')],                       A::Rehash,       "rehash the trust dir",        None),
    b(C::Actions, &[ch('e')],                       A::Export,       "export selected (form)",      None),
    b(C::Actions, &[ch('i')],                       A::Import,       "import files (form)",         None),
    b(C::Actions, &[ch('u')],                       A::Undo,         "undo the last change",        Some("undo")),
    b(C::Actions, &[ch('l')],                       A::Reload,       "reload the server (configured command)", None),
    b(C::Actions, &[ch('p')],                       A::Probe,        "probe a TLS port (form)",     None),
    b(C::Actions, &[ch('S')],                       A::Sign,         "sign a CSR with a CA (form)", None),
    b(C::Actions, &[ch('R')],                       A::Renew,        "renew: same key and names",   None),
    b(C::Actions, &[ch('K')],                       A::KeyPass,      "key passphrase (form)",       None),
    b(C::Actions, &[ch('U')],                       A::Unlock,       "unlock: passphrase of a locked key", None),
    b(C::Actions, &[ch('D')],                       A::Dhparam,      "DH params (ffdhe2048.pem)", None),
    b(C::Actions, &[ch('P')],                       A::Keystore,     "keystore: genkeypair, certreq, … (form)", None),
    b(C::Actions, &[ch('C')],                       A::ReplaceCert,  "replace a server config's cert (form)", None),
    b(C::Actions, &[ch('I')],                       A::AcmeIssue,    "ACME: issue a certificate (form)", None),
    b(C::Actions, &[ch('A')],                       A::AcmeRenew,    "ACME lineage: renew now (--force)", None),
    b(C::Actions, &[ch('X')],                       A::AcmeRevoke,   "ACME lineage: revoke its certificate", None),
    b(C::Menu,    &[k(KeyCode::Enter)],             A::Open,         "run the selected action",     Some("run")),
    b(C::Menu,    &[k(KeyCode::Esc), ch('q')],      A::Back,         "close",                       Some("close")),
    b(C::Menu,    &[ch('j'), k(KeyCode::Down)],     A::Down,         "next action",                 None),
    b(C::Menu,    &[ch('k'), k(KeyCode::Up)],       A::Up,           "previous action",             None),
    b(C::Form,    &[k(KeyCode::Enter)],             A::Submit,       "submit",                      Some("submit")),
    b(C::Form,    &[k(KeyCode::Esc)],               A::Back,         "cancel",                      Some("cancel")),
    b(C::Form,    &[k(KeyCode::Tab), k(KeyCode::Down)], A::NextField, "next field",                 Some("next")),
    b(C::Form,    &[k(KeyCode::BackTab), k(KeyCode::Up)], A::PrevField, "previous field",           Some("prev")),
    b(C::Confirm, &[ch('y')],                       A::Apply,        "apply the plan",              Some("apply")),
    b(C::Confirm, &[ch('n'), k(KeyCode::Esc)],      A::Back,         "cancel",                      Some("cancel")),
    b(C::Confirm, &[ch('j'), k(KeyCode::Down)],     A::Down,         "scroll down",                 Some("scroll")),
    b(C::Confirm, &[ch('k'), k(KeyCode::Up)],       A::Up,           "scroll up",                   None),
    b(C::Confirm, &[k(KeyCode::PageDown)],          A::PageDown,     "page down",                   None),
    b(C::Confirm, &[k(KeyCode::PageUp)],            A::PageUp,       "page up",                     None),
    b(C::Pager,   &[k(KeyCode::Esc), ch('q'), k(KeyCode::Enter)], A::Back, "close",             Some("close")),
    b(C::Pager,   &[ch('j'), k(KeyCode::Down)],     A::Down,         "scroll down",                 Some("scroll")),
    b(C::Pager,   &[ch('k'), k(KeyCode::Up)],       A::Up,           "scroll up",                   None),
    b(C::Pager,   &[k(KeyCode::PageDown), ch(' ')], A::PageDown,     "page down",                   Some("page")),
    b(C::Pager,   &[k(KeyCode::PageUp), ch('b')],   A::PageUp,       "page up",                     None),
    b(C::Pager,   &[ch('g'), k(KeyCode::Home)],     A::Top,          "top",                         None),
    b(C::Pager,   &[ch('G'), k(KeyCode::End)],      A::Bottom,       "bottom",                      None),
    b(C::Findings, &[k(KeyCode::Enter)],            A::Open,         "select the item",             Some("go to item")),
    b(C::Findings, &[k(KeyCode::Esc), ch('q')],     A::Back,         "close",                       Some("close")),
    b(C::Findings, &[ch('j'), k(KeyCode::Down)],    A::Down,         "next finding",                None),
    b(C::Findings, &[ch('k'), k(KeyCode::Up)],      A::Up,           "previous finding",            None),
    b(C::Findings, &[k(KeyCode::PageDown)],         A::PageDown,     "page down",                   None),
    b(C::Findings, &[k(KeyCode::PageUp)],           A::PageUp,       "page up",                     None),
    b(C::Findings, &[ch('g'), k(KeyCode::Home)],    A::Top,          "first finding",               None),
    b(C::Findings, &[ch('G'), k(KeyCode::End)],     A::Bottom,       "last finding",                None),
    b(C::Text,    &[k(KeyCode::Esc), ch('q')],      A::Back,         "close",                       Some("close")),
    b(C::Text,    &[ch('/')],                       A::StartFilter,  "search",                      Some("search")),
    b(C::Text,    &[ch('n')],                       A::NextMatch,    "next match",                  Some("next")),
    b(C::Text,    &[ch('N')],                       A::PrevMatch,    "previous match",              Some("prev")),
    b(C::Text,    &[ch('j'), k(KeyCode::Down)],     A::Down,         "scroll down",                 None),
    b(C::Text,    &[ch('k'), k(KeyCode::Up)],       A::Up,           "scroll up",                   None),
    b(C::Text,    &[ctrl('d')],                     A::HalfPageDown, "half a page down",            None),
    b(C::Text,    &[ctrl('u')],                     A::HalfPageUp,   "half a page up",              None),
    b(C::Text,    &[k(KeyCode::PageDown), ch(' '), ctrl('f')], A::PageDown, "page down",            Some("page")),
    b(C::Text,    &[k(KeyCode::PageUp), ch('b'), ctrl('b')], A::PageUp, "page up",                  None),
    b(C::Text,    &[ch('g'), k(KeyCode::Home)],     A::Top,          "top",                         None),
    b(C::Text,    &[ch('G'), k(KeyCode::End)],      A::Bottom,       "bottom",                      None),
    b(C::TextSearch, &[k(KeyCode::Enter)],          A::AcceptFilter, "search for it",               Some("search")),
    b(C::TextSearch, &[k(KeyCode::Esc)],            A::Back,         "cancel the search",           Some("cancel")),
    b(C::Timeline, &[k(KeyCode::Enter)],            A::Open,         "list this bar's certificates", Some("filter")),
    b(C::Timeline, &[k(KeyCode::Esc), ch('q')],     A::Back,         "close",                       Some("close")),
    b(C::Timeline, &[ch('l'), k(KeyCode::Right)],   A::Down,         "next bar",                    Some("bar")),
    b(C::Timeline, &[ch('h'), k(KeyCode::Left)],    A::Up,           "previous bar",                None),
    b(C::Timeline, &[ch('g'), k(KeyCode::Home)],    A::Top,          "first bar",                   None),
    b(C::Timeline, &[ch('G'), k(KeyCode::End)],     A::Bottom,       "last bar",                    None),
    b(C::History, &[k(KeyCode::Enter)],             A::Open,         "plan details / back to the list", Some("details")),
    b(C::History, &[k(KeyCode::Esc), ch('q')],      A::Back,         "close (details: back)",       Some("close")),
    b(C::History, &[ch('u')],                       A::Undo,         "undo the latest change (marked *)", Some("undo *")),
    b(C::History, &[ch('r')],                       A::Rescan,       "read the journal again",      None),
    b(C::History, &[ch('j'), k(KeyCode::Down)],     A::Down,         "next entry / scroll",         None),
    b(C::History, &[ch('k'), k(KeyCode::Up)],       A::Up,           "previous entry / scroll",     None),
    b(C::History, &[k(KeyCode::PageDown), ch(' ')], A::PageDown,     "page down",                   None),
    b(C::History, &[k(KeyCode::PageUp), ch('b')],   A::PageUp,       "page up",                     None),
    b(C::History, &[ch('g'), k(KeyCode::Home)],     A::Top,          "newest entry",                None),
    b(C::History, &[ch('G'), k(KeyCode::End)],      A::Bottom,       "oldest entry",                None),
    b(C::Copy,    &[k(KeyCode::Enter)],             A::Open,         "copy the chosen entry",       Some("copy")),
    b(C::Copy,    &[k(KeyCode::Esc), ch('q')],      A::Back,         "close",                       Some("close")),
    b(C::Copy,    &[ch('j'), k(KeyCode::Down)],     A::Down,         "next entry",                  None),
    b(C::Copy,    &[ch('k'), k(KeyCode::Up)],       A::Up,           "previous entry",              None),
    b(C::Copy,    &[ch('g'), k(KeyCode::Home)],     A::Top,          "first entry",                 None),
    b(C::Copy,    &[ch('G'), k(KeyCode::End)],      A::Bottom,       "last entry",                  None),
];

/// The action bound to `ev` in `context` (its own bindings first, then `Normal`, then `Any`).
pub fn lookup(context: Context, ev: &KeyEvent) -> Option<Action> {
    let layers: &[Context] = match context {
        C::List | C::Details => &[context, C::Normal, C::Actions, C::Any],
        C::Header => &[C::Header, C::List, C::Normal, C::Actions, C::Any],
        C::Filter | C::Form | C::TextSearch => &[context, C::Typing, C::Any],
        // An action's own key runs it from the menu too.
        C::Menu => &[C::Menu, C::Actions, C::Any],
        other => &[other, C::Any],
    };
    layers.iter().find_map(|&ctx| {
        KEYMAP
            .iter()
            .filter(|bd| bd.context == ctx)
            .find(|bd| bd.keys.iter().any(|key| key.matches(ev)))
            .map(|bd| bd.action)
    })
}

/// `j/↓` style label of a binding's keys.
pub fn keys_label(bd: &Binding) -> String {
    bd.keys.iter().map(Key::label).collect::<Vec<_>>().join("/")
}

/// Bindings shown in the hint line for `context`, in table order.
pub fn hints(context: Context) -> impl Iterator<Item = &'static Binding> {
    let layers: &'static [Context] = match context {
        C::List => &[C::List, C::Normal, C::Actions],
        C::Header => &[C::Header, C::Normal, C::Actions],
        C::Details => &[C::Details, C::Normal, C::Actions],
        C::Filter => &[C::Filter],
        C::Form => &[C::Form],
        C::Confirm => &[C::Confirm],
        C::Pager => &[C::Pager],
        C::Findings => &[C::Findings],
        C::Menu => &[C::Menu],
        C::Copy => &[C::Copy],
        C::Text => &[C::Text],
        C::Timeline => &[C::Timeline],
        C::History => &[C::History],
        C::TextSearch => &[C::TextSearch],
        _ => &[C::Help],
    };
    KEYMAP
        .iter()
        .filter(move |bd| bd.hint.is_some() && layers.contains(&bd.context))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_is_bound_twice_in_one_layer() {
        for (i, a) in KEYMAP.iter().enumerate() {
            for bb in &KEYMAP[i + 1..] {
                if a.context == bb.context {
                    for key in a.keys {
                        assert!(
                            !bb.keys.contains(key),
                            "{:?} bound twice in {:?}",
                            key,
                            a.context
                        );
                    }
                }
            }
        }
    }

    /// The change keys are looked up after List/Details and Normal: none may be shadowed there.
    #[test]
    fn action_keys_are_not_shadowed() {
        for bd in KEYMAP.iter().filter(|bd| bd.context == Context::Actions) {
            for key in bd.keys {
                let ev = KeyEvent::new(key.code, KeyModifiers::NONE);
                assert_eq!(lookup(Context::List, &ev), Some(bd.action), "{key:?}");
                assert_eq!(lookup(Context::Details, &ev), Some(bd.action), "{key:?}");
            }
        }
    }

    #[test]
    fn esc_never_quits_and_paging_keys_differ_by_context() {
        let ev = |code, m| KeyEvent::new(code, m);
        let none = KeyModifiers::NONE;
        let ctrl = KeyModifiers::CONTROL;
        for ctx in [
            Context::List,
            Context::Details,
            Context::Filter,
            Context::Help,
        ] {
            assert_ne!(
                lookup(ctx, &ev(KeyCode::Esc, none)),
                Some(Action::Quit),
                "{ctx:?}"
            );
        }
        let ctrl_u = ev(KeyCode::Char('u'), ctrl);
        assert_eq!(lookup(Context::List, &ctrl_u), Some(Action::HalfPageUp));
        assert_eq!(
            lookup(Context::Filter, &ctrl_u),
            Some(Action::Edit(Edit::KillToStart))
        );
        let space = ev(KeyCode::Char(' '), none);
        assert_eq!(lookup(Context::Help, &space), Some(Action::PageDown));
        assert_eq!(lookup(Context::Filter, &space), None, "typed, not paged");
        let home = ev(KeyCode::Home, none);
        assert_eq!(lookup(Context::List, &home), Some(Action::Top));
        assert_eq!(lookup(Context::Form, &home), Some(Action::Edit(Edit::Home)));
        assert_eq!(
            lookup(Context::Form, &ev(KeyCode::Char('z'), ctrl)),
            Some(Action::Suspend)
        );
    }

    #[test]
    fn shifted_letters_match() {
        let ev = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(lookup(Context::List, &ev), Some(Action::Bottom));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(lookup(Context::Filter, &ctrl_c), Some(Action::Quit));
        let c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::NONE);
        assert_eq!(lookup(Context::List, &c), Some(Action::ToggleChain));
    }

    #[test]
    fn in_a_fleet_r_reloads_from_prometheus() {
        let r = KEYMAP
            .iter()
            .find(|bd| bd.context == Context::Normal && bd.action == Action::Rescan)
            .unwrap();
        assert_eq!(r.desc_in(Mode::Store), "rescan the store");
        assert_eq!(r.desc_in(Mode::Fleet), "reload from Prometheus");
        assert_eq!(r.hint_in(Mode::Fleet), Some("reload"));
        // Every fleet word names a binding that exists.
        for w in FLEET_WORDS {
            assert!(KEYMAP
                .iter()
                .any(|bd| bd.context == w.0 && bd.action == w.1));
        }
    }
}
