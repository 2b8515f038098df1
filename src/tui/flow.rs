//! The change flow as state transitions on `App`: a key opens a form (or goes straight to a
//! plan), the form's request becomes `BuildPlan`, `PlanReady` opens the confirm dialog, `y`
//! becomes `ApplyPlan`, `Applied` reports and rescans. Every writing effect is made by
//! `App::write_effect`, which refuses in read-only mode.

use super::app::{App, Effect, WriteStep};
use super::effects::{ActionRequest, PlanHandle, Prepared};
use super::form::{Choice, Form, FormKind};
use super::keymap::Action;
use super::lineedit::Edit;
use crate::actions::DEFAULT_TRUST_DIR;
use std::sync::Arc;

/// What covers the main screen, if anything.
#[derive(Debug, Default)]
pub enum Overlay {
    #[default]
    None,
    Form(Form),
    Confirm(Confirm),
    /// A long message, or the message log.
    Pager(super::pager::Pager),
    /// Every finding of the store; Enter selects its item.
    Findings(super::findings::FindingsView),
    /// What can be done to the selected item (`a` / `:`).
    Menu(super::menu::Menu),
}

/// The confirm dialog: the prepared change and how far its lines are scrolled.
#[derive(Debug)]
pub struct Confirm {
    pub prepared: PlanHandle,
    pub scroll: usize,
}

/// A one-line message in place of the hint line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
    /// Went into the message log (see `App::update`).
    pub(super) logged: bool,
}

impl Notice {
    pub fn info(text: impl Into<String>) -> Notice {
        Notice {
            text: text.into(),
            error: false,
            logged: false,
        }
    }
    pub fn error(text: impl Into<String>) -> Notice {
        Notice {
            text: text.into(),
            error: true,
            logged: false,
        }
    }
}

/// How a change is named in messages ("read-only: trust is disabled ...").
fn action_name(action: Action) -> &'static str {
    match action {
        Action::NewCert => "new certificate",
        Action::Trust => "trust",
        Action::Revoke => "revoke",
        Action::Rehash => "rehash",
        Action::Undo => "undo",
        Action::Reload => "reload",
        Action::Probe => "probe",
        Action::Export => "export",
        Action::Import => "import",
        Action::Sign => "sign",
        Action::Dhparam => "dhparam",
        Action::KeyPass => "key passphrase",
        Action::Renew => "renew",
        Action::Keystore => "keystore",
        Action::ReplaceCert => "replace-cert",
        Action::AcmeRenew => "ACME renew",
        Action::AcmeRevoke => "ACME revoke",
        Action::AcmeIssue => "ACME issue",
        _ => "this change",
    }
}

fn form_name(form: &Form) -> &'static str {
    match form.kind {
        FormKind::Generate => "new certificate",
        FormKind::Export { .. } => "export",
        FormKind::Import => "import",
        FormKind::Probe => "probe",
        FormKind::Sign { .. } => "sign",
        FormKind::KeyPass { .. } => "key passphrase",
        FormKind::Unlock { .. } => "unlock",
        FormKind::Keystore => "keystore",
        FormKind::ReplaceCert => "replace-cert",
        FormKind::AcmeIssue => "ACME issue",
    }
}

/// The first public file a plan writes (the certificate or CSR it makes, not its key).
fn made_file(p: &PlanHandle) -> Option<String> {
    use crate::store::plan::Op;
    let super::effects::Work::Plan(plan) = &p.0.work else {
        return None;
    };
    plan.ops.iter().find_map(|op| match op {
        Op::Write {
            path,
            secret: false,
            ..
        } => Some(path.clone()),
        _ => None,
    })
}

impl App {
    /// One of the change keys (n/t/x/H/u/e/i) in the list or details.
    pub(super) fn start_action(&mut self, action: Action) -> Vec<Effect> {
        let name = action_name(action);
        // A probe only reads: allowed in read-only mode.
        if action == Action::Probe {
            self.overlay = Overlay::Form(Form::probe(self.probe_last.as_ref()));
            return Vec::new();
        }
        // Only reads too: a passphrase opens a file for this session, nothing is written.
        if action == Action::Unlock {
            return self.start_unlock();
        }
        // Checked before anything opens, so read-only never shows a form it would refuse.
        if self.read_only {
            self.refuse_read_only(name);
            return Vec::new();
        }
        let dir = DEFAULT_TRUST_DIR.to_string();
        match action {
            Action::NewCert => self.overlay = Overlay::Form(Form::generate(self.signing_cas())),
            Action::Import => self.overlay = Overlay::Form(Form::import()),
            Action::AcmeIssue => self.overlay = Overlay::Form(Form::acme_issue()),
            Action::Rehash => {
                return self.write_effect(name, WriteStep::Build(ActionRequest::Rehash { dir }))
            }
            Action::Undo => return self.write_effect(name, WriteStep::Build(ActionRequest::Undo)),
            Action::Reload => {
                return self.write_effect(name, WriteStep::Build(ActionRequest::Reload))
            }
            Action::Dhparam => {
                return self.write_effect(name, WriteStep::Build(ActionRequest::Dhparam))
            }
            Action::Keystore => {
                let (file, alias) = self.selected_keystore();
                self.overlay = Overlay::Form(Form::keystore(&file, &alias));
            }
            Action::ReplaceCert => {
                let sites = self.server_sites();
                if sites.is_empty() {
                    let why = if self.servers.is_empty() {
                        "start certdeck with --server-config FILE (the config whose files to replace)"
                    } else {
                        "no site of the server configs names both a certificate and a key"
                    };
                    self.notice = Some(Notice::error(format!("replace-cert: {why}")));
                    return Vec::new();
                }
                let (cert, key) = self.selected_pair();
                self.overlay = Overlay::Form(Form::replace_cert(sites, &cert, &key));
            }
            Action::AcmeRenew | Action::AcmeRevoke => {
                let Some(l) = self.selected_acme_lineage() else {
                    self.notice = Some(Notice::error(format!(
                        "{name}: select an ACME lineage's row (acme/NAME/, ⟳ in the list)"
                    )));
                    return Vec::new();
                };
                let req = ActionRequest::Acme {
                    name: l.name.clone(),
                    revoke: action == Action::AcmeRevoke,
                    domains: l.domains.clone(),
                    server: l.server.clone().unwrap_or_default(),
                };
                return self.write_effect(name, WriteStep::Build(req));
            }
            Action::KeyPass => {
                let key = self.selected_item().and_then(|it| match &it.detail {
                    // A key inside a keystore has the keystore's passphrase.
                    crate::pki::Detail::PrivateKey(k)
                        if it.alias.is_none() && it.source != "PKCS12" =>
                    {
                        Some((it.path.clone(), k.encrypted))
                    }
                    _ => None,
                });
                let Some((path, encrypted)) = key else {
                    self.notice = Some(Notice::error(
                        "key passphrase: select a private key file first",
                    ));
                    return Vec::new();
                };
                self.overlay = Overlay::Form(Form::key_pass(&path, encrypted));
            }
            Action::Sign => {
                let Some(it) = self.selected_item().filter(|it| it.error.is_none()) else {
                    self.notice = Some(Notice::error("sign: select a CSR first"));
                    return Vec::new();
                };
                let crate::pki::Detail::Csr(c) = &it.detail else {
                    self.notice = Some(Notice::error("sign: select a CSR first"));
                    return Vec::new();
                };
                let cas = self.signing_cas();
                if cas.is_empty() {
                    self.notice = Some(Notice::error(
                        "sign: no CA of the store has its private key here (n makes one)",
                    ));
                    return Vec::new();
                }
                let form = Form::sign((&it.path, it.index), &it.display_name(), &c.sans, cas);
                self.overlay = Overlay::Form(form);
            }
            Action::Trust | Action::Revoke | Action::Export | Action::Renew => {
                let Some((sel, label)) = self.selected_cert() else {
                    self.notice =
                        Some(Notice::error(format!("{name}: select a certificate first")));
                    return Vec::new();
                };
                let req = match action {
                    Action::Trust => ActionRequest::Trust { sel, dir },
                    Action::Revoke => ActionRequest::Revoke { sel, dir },
                    Action::Renew => ActionRequest::Renew { sel },
                    _ => {
                        self.overlay = Overlay::Form(Form::export(sel, &label, &self.cwd));
                        return Vec::new();
                    }
                };
                return self.write_effect(name, WriteStep::Build(req));
            }
            _ => {}
        }
        Vec::new()
    }

    /// The selected keystore's path and its first key entry's alias (empty when none is
    /// selected or it is locked: typed into the form then).
    fn selected_keystore(&self) -> (String, String) {
        let Some(it) = self
            .selected_item()
            .filter(|it| it.kind == crate::pki::ItemKind::Keystore)
        else {
            return Default::default();
        };
        let alias = match &it.detail {
            crate::pki::Detail::Keystore(k) => (k.entries.iter())
                .find(|e| e.entry_type == "private_key_entry")
                .map(|e| e.alias.clone())
                .unwrap_or_default(),
            _ => String::new(),
        };
        (it.path.clone(), alias)
    }

    /// The selected certificate's file and the key file it pairs with (not one inside a
    /// keystore), to prefill replace-cert.
    fn selected_pair(&self) -> (String, String) {
        // A certificate inside a keystore is no file a server config can be given.
        let Some(it) =
            (self.selected_item()).filter(|it| it.alias.is_none() && it.source != "PKCS12")
        else {
            return Default::default();
        };
        let Some(c) = it.cert() else {
            return Default::default();
        };
        let key = (c.paired_keys.iter())
            .find(|p| !p.contains(" ["))
            .cloned()
            .unwrap_or_default();
        (it.path.clone(), key)
    }

    /// The server configs' sites that name a certificate and a key, labelled as
    /// `actions::replace_cert` labels them (the label is the request's exact site).
    fn server_sites(&self) -> Vec<Choice> {
        use crate::servers::Role;
        let mut out = Vec::new();
        for cfg in &self.servers {
            for (i, site) in cfg.sites.iter().enumerate() {
                let has = |r| cfg.site_uses(i).any(|u| u.role == r);
                if has(Role::Certificate) && has(Role::PrivateKey) {
                    let label = format!("{}: {}", site.server, site.context);
                    let shown = crate::text::escape_control(&label).into_owned();
                    out.push(Choice::new(shown, label));
                }
            }
        }
        out
    }

    /// sha256 (an exact selector) and display name of the selected certificate.
    fn selected_cert(&self) -> Option<(String, String)> {
        let item = self.selected_item()?;
        item.cert().map(|c| (c.sha256.clone(), item.display_name()))
    }

    /// CAs that can sign: their key is in the store and not inside a keystore (what
    /// `actions::load_ca` accepts).
    /// One entry per certificate: the same CA found in several files (its copy in the trust
    /// dir, a fullchain) is one signer.
    fn signing_cas(&self) -> Vec<Choice> {
        let mut seen = std::collections::HashSet::new();
        self.items()
            .iter()
            .filter_map(|it| {
                let c = it.cert()?;
                let has_key = c.paired_keys.iter().any(|p| !p.contains(" ["));
                (c.is_ca && has_key && it.error.is_none() && seen.insert(c.sha256.clone()))
                    .then(|| Choice::new(format!("{} ({})", it.display_name(), it.path), &c.sha256))
            })
            .collect()
    }

    pub(super) fn form_type(&mut self, c: char) {
        if let Overlay::Form(f) = &mut self.overlay {
            f.type_char(c);
        }
    }

    pub(super) fn form_act(&mut self, action: Action) -> Vec<Effect> {
        let Overlay::Form(form) = &mut self.overlay else {
            return Vec::new();
        };
        match action {
            Action::Back => self.overlay = Overlay::None,
            Action::NextField => form.next_field(),
            Action::PrevField => form.prev_field(),
            Action::Edit(Edit::Left) => form.left_right(false),
            Action::Edit(Edit::Right) => form.left_right(true),
            Action::Edit(e) => form.edit(e),
            Action::Submit => {
                let Some(req) = form.submit() else {
                    return Vec::new();
                };
                if let ActionRequest::Unlock { path, pass } = req {
                    return self.submit_unlock(path, pass);
                }
                if let ActionRequest::Probe(fields) = req {
                    if let Some(job) = &self.busy {
                        // One job at a time: the form stays, with what was typed.
                        form.error = Some(format!("busy: {job}; try again when it ends"));
                        return Vec::new();
                    }
                    self.overlay = Overlay::None;
                    let target = crate::text::escape_control(&fields.target).into_owned();
                    self.notice = Some(Notice::info(format!("probing {target}…")));
                    // A job like the others: the spinner shows it and `q` asks first.
                    self.busy = Some(format!("probing {target}"));
                    self.probe_last = Some(fields.clone());
                    return vec![Effect::Probe(fields)];
                }
                let name = form_name(form);
                self.unlock_after_apply = match &req {
                    ActionRequest::Keystore(k) => k.new.clone(),
                    _ => None,
                };
                let Overlay::Form(form) = std::mem::take(&mut self.overlay) else {
                    unreachable!("matched above");
                };
                self.pending_form = Some(form);
                let effects = self.write_effect(name, WriteStep::Build(req));
                if effects.is_empty() {
                    // Refused (busy): keep what was typed on screen.
                    if let Some(form) = self.pending_form.take() {
                        self.overlay = Overlay::Form(form);
                    }
                }
                return effects;
            }
            _ => {}
        }
        Vec::new()
    }

    pub(super) fn confirm_act(&mut self, action: Action, page: usize) -> Vec<Effect> {
        let Overlay::Confirm(dlg) = &mut self.overlay else {
            return Vec::new();
        };
        let last = dlg.prepared.0.lines.len().saturating_sub(1);
        match action {
            Action::Apply => {
                let plan = dlg.prepared.clone();
                let made = made_file(&plan);
                let effects = self.write_effect("apply", WriteStep::Apply(plan));
                if !effects.is_empty() {
                    self.overlay = Overlay::None;
                    self.select_after = made;
                }
                return effects;
            }
            Action::Back => {
                self.overlay = Overlay::None;
                self.unlock_after_apply = None;
                self.notice = Some(Notice::info("cancelled: nothing changed"));
            }
            Action::Down => dlg.scroll = (dlg.scroll + 1).min(last),
            Action::Up => dlg.scroll = dlg.scroll.saturating_sub(1),
            Action::PageDown => dlg.scroll = (dlg.scroll + page).min(last),
            Action::PageUp => dlg.scroll = dlg.scroll.saturating_sub(page),
            _ => {}
        }
        Vec::new()
    }

    pub(super) fn on_plan_ready(&mut self, r: Result<Prepared, String>) -> Vec<Effect> {
        self.busy = None;
        match r {
            Ok(p) => {
                self.pending_form = None;
                self.overlay = Overlay::Confirm(Confirm {
                    prepared: PlanHandle(Arc::new(p)),
                    scroll: 0,
                });
            }
            // Back to the form with the reason on top, so a fix is one edit away.
            Err(e) => match self.pending_form.take() {
                Some(mut form) => {
                    form.error = Some(e);
                    self.overlay = Overlay::Form(form);
                }
                None => self.notice = Some(Notice::error(e)),
            },
        }
        Vec::new()
    }

    pub(super) fn on_applied(
        &mut self,
        r: Result<(String, Option<crate::store::watch::Change>), String>,
    ) -> Vec<Effect> {
        self.busy = None;
        let new_pass = self.unlock_after_apply.take();
        match r {
            Ok((report, changed)) => {
                if let Some(p) = new_pass {
                    self.keyring.add(&p.0);
                }
                self.notice = Some(Notice::info(report));
                // The watcher would notice too, but not on every filesystem; ask explicitly.
                match changed {
                    Some(change) => self.on_fs_changed(change),
                    None => Vec::new(),
                }
            }
            Err(e) => {
                self.select_after = None;
                self.notice = Some(Notice::error(e));
                Vec::new()
            }
        }
    }
}
