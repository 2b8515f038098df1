//! Form state: the generate form (OpenHIM's eight subject/validity fields plus kind, SANs, key
//! type and signing CA), the export form and the import form. Pure data and validation; the
//! keys arrive through `App`, drawing is `view::form`. A valid form becomes an `ActionRequest`.

use super::effects::{ActionRequest, KeystoreRequest, KeystoreVerb, Secret};
use super::lineedit::{self, Edit};
use super::probe_memory::ProbeFields;
use crate::actions::{ExportFormat, GenKind, GenerateArgs};
use crate::pki::issue::{self, KeyType, SubjectSpec};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldId {
    Kind,
    Cn,
    Sans,
    O,
    Ou,
    C,
    St,
    L,
    Email,
    Days,
    KeyType,
    Ca,
    Format,
    Out,
    Files,
    Dir,
    Target,
    /// server / client (signing a CSR).
    Profile,
    /// encrypt / passwd / decrypt (a key's passphrase).
    KeyOp,
    /// The current passphrase (masked).
    Passphrase,
    /// A new passphrase (masked), and the same again.
    NewPassphrase,
    Repeat,
    /// A keystore verb (genkeypair, certreq, …).
    Verb,
    /// A keystore file, and an alias in it.
    Keystore,
    Alias,
    /// A certificate file (a CA reply, a certificate to trust, a new server certificate).
    Cert,
    /// A private key file.
    Key,
    /// A server config's site (replace-cert).
    Site,
    /// The SNI name a probe sends, and its timeout in seconds.
    Sni,
    Timeout,
    /// An ACME lineage's name (acme/NAME/).
    Lineage,
    /// How the names are proven: http-01 standalone / webroot, dns-01 hook.
    Challenge,
    /// The challenge's ADDR:PORT, webroot directory or hook command.
    ChallengeArg,
    /// The ACME directory URL (or letsencrypt, letsencrypt-staging).
    Server,
    /// The CA bundle of the ACME server's own TLS.
    CaBundle,
    /// The CA's terms of service: agreed or not.
    Tos,
}

/// One option of a choice field: what is shown and what the request gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub label: String,
    pub value: String,
}

impl Choice {
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Choice {
        Choice {
            label: label.into(),
            value: value.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Text(String),
    /// Cycled with ←/→; never empty.
    Choice {
        options: Vec<Choice>,
        index: usize,
    },
}

#[derive(Clone)]
pub struct Field {
    pub id: FieldId,
    pub label: &'static str,
    pub input: Input,
    pub required: bool,
    /// Shown dimmed after an empty text value.
    pub hint: &'static str,
    /// Inline validation message, set on submit and cleared when the field is edited.
    pub error: Option<String>,
    /// Where typing goes in a text value (a byte offset; see `lineedit`).
    pub cursor: usize,
    /// A passphrase: drawn masked, wiped from memory when the form goes.
    pub secret: bool,
}

/// A passphrase field's value never reaches a log or a panic message.
impl std::fmt::Debug for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Field");
        d.field("id", &self.id).field("label", &self.label);
        match self.secret {
            true => d.field("input", &"***"),
            false => d.field("input", &self.input),
        };
        d.field("error", &self.error).finish_non_exhaustive()
    }
}

impl Drop for Field {
    fn drop(&mut self) {
        if let (true, Input::Text(s)) = (self.secret, &mut self.input) {
            zeroize::Zeroize::zeroize(s);
        }
    }
}

impl Field {
    fn text(id: FieldId, label: &'static str, hint: &'static str) -> Field {
        Field {
            id,
            label,
            input: Input::Text(String::new()),
            required: false,
            hint,
            error: None,
            cursor: 0,
            secret: false,
        }
    }

    /// A masked text field for a passphrase.
    fn secret(id: FieldId, label: &'static str, hint: &'static str) -> Field {
        let mut f = Field::text(id, label, hint);
        f.secret = true;
        f
    }

    fn choice(id: FieldId, label: &'static str, options: Vec<Choice>) -> Field {
        Field {
            id,
            label,
            input: Input::Choice { options, index: 0 },
            required: false,
            hint: "",
            error: None,
            cursor: 0,
            secret: false,
        }
    }

    fn required(mut self) -> Field {
        self.required = true;
        self
    }

    fn with_value(mut self, v: &str) -> Field {
        self.input = Input::Text(v.to_string());
        self.cursor = v.len();
        self
    }

    /// The text typed, or the chosen option's value.
    pub fn value(&self) -> &str {
        match &self.input {
            Input::Text(s) => s,
            Input::Choice { options, index } => &options[*index].value,
        }
    }

    /// What the form shows.
    pub fn display(&self) -> &str {
        match &self.input {
            Input::Text(s) => s,
            Input::Choice { options, index } => &options[*index].label,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormKind {
    Generate,
    /// Export of the certificate with this sha256.
    Export {
        sel: String,
    },
    Import,
    /// Connect to HOST:PORT and show the chain served (reads only).
    Probe,
    /// Sign the CSR at (path, index) of the inventory with a CA of the store.
    Sign {
        csr: String,
        index: usize,
    },
    /// Encrypt, re-encrypt or decrypt the key file `sel` (a path).
    KeyPass {
        sel: String,
    },
    /// The passphrase of the locked key or keystore file `path` (reads only).
    Unlock {
        path: String,
    },
    /// A `certdeck keystore` verb (chosen in the form) on a PKCS#12 keystore.
    Keystore,
    /// Put a new certificate and key under the file names a server config's site uses.
    ReplaceCert,
    /// A new ACME lineage: `certdeck acme issue`.
    AcmeIssue,
}

/// What `key decrypt` warns (the CLI says the same).
pub const DECRYPT_WARNING: &str =
    "the key will be stored unencrypted (mode 0600); anyone who can read the file has the key";

/// Browsers refuse server certificates valid longer than this (CA/B Forum, since 2020).
pub const MAX_SERVER_DAYS: i64 = 398;

#[derive(Debug, Clone)]
pub struct Form {
    pub kind: FormKind,
    pub title: String,
    pub fields: Vec<Field>,
    pub focus: usize,
    /// A failure building the plan (e.g. "x.pem already exists"): shown in red at the top.
    pub error: Option<String>,
    /// Facts shown above the fields (e.g. the SANs of the CSR being signed).
    pub notes: Vec<String>,
}

const KINDS: [(&str, GenKind); 4] = [
    ("server", GenKind::Server),
    ("client", GenKind::Client),
    ("ca", GenKind::Ca),
    ("csr", GenKind::Csr),
];

/// The validity `actions::generate` uses when none is given; prefilled so it can be seen.
fn default_days(kind: &str) -> &'static str {
    if kind == "ca" {
        "3650"
    } else {
        "398"
    }
}

const FORMATS: [(&str, ExportFormat); 5] = [
    ("pem", ExportFormat::Pem),
    ("der", ExportFormat::Der),
    ("fullchain", ExportFormat::Fullchain),
    ("cert+key", ExportFormat::CertKey),
    ("p12", ExportFormat::P12),
];

impl Form {
    /// `cas`: CAs of the inventory whose key is in the store (label, sha256).
    pub fn generate(cas: Vec<Choice>) -> Form {
        use FieldId as F;
        let kinds = KINDS.iter().map(|(l, _)| Choice::new(*l, *l)).collect();
        let key_types = KeyType::ALL
            .iter()
            .map(|k| Choice::new(k.as_str(), k.as_str()))
            .collect();
        let mut signers = vec![Choice::new("self-signed", "")];
        signers.extend(cas);
        Form {
            kind: FormKind::Generate,
            title: "New certificate".into(),
            fields: vec![
                Field::choice(F::Kind, "Kind", kinds),
                Field::text(F::Cn, "Common name", "e.g. www.example.org").required(),
                Field::text(F::Sans, "SANs", "comma separated; CN is added"),
                Field::text(F::O, "Organisation", ""),
                Field::text(F::Ou, "Org. unit", ""),
                Field::text(F::C, "Country", "2 letters"),
                Field::text(F::St, "State", ""),
                Field::text(F::L, "Locality", ""),
                Field::text(F::Email, "Email", ""),
                Field::text(F::Days, "Days valid", "")
                    .required()
                    .with_value("398"),
                Field::choice(F::KeyType, "Key type", key_types),
                Field::text(F::Dir, "Output dir", "store-relative; empty = store root"),
                Field::choice(F::Ca, "Signed by", signers),
            ],
            focus: 1,
            error: None,
            notes: Vec::new(),
        }
    }

    /// `name`: the certificate's display name, for the title and the default file name.
    /// The output path is prefilled with `cwd` and a suggested name, and editable.
    pub fn export(sel: String, name: &str, cwd: &std::path::Path) -> Form {
        use FieldId as F;
        let formats = FORMATS.iter().map(|(l, _)| Choice::new(*l, *l)).collect();
        let out = cwd
            .join(format!("{}.pem", crate::actions::slug(name)))
            .display()
            .to_string();
        Form {
            kind: FormKind::Export { sel },
            title: format!("Export {name}"),
            fields: vec![
                Field::choice(F::Format, "Format", formats),
                Field::text(F::Out, "Output file", "a new file (never overwritten)")
                    .required()
                    .with_value(&out),
                Field::secret(F::NewPassphrase, "Passphrase", "of the new PKCS#12 file").required(),
                Field::secret(F::Repeat, "Repeat", "the same again").required(),
            ],
            focus: 1,
            error: None,
            notes: Vec::new(),
        }
    }

    pub fn import() -> Form {
        use FieldId as F;
        Form {
            kind: FormKind::Import,
            title: "Import".into(),
            fields: vec![
                Field::text(F::Files, "Files", "paths, comma separated").required(),
                Field::text(F::Dir, "Into dir", "store-relative; empty = store root"),
                Field::secret(
                    F::Passphrase,
                    "Passphrase",
                    "of a PKCS#12 file or encrypted key",
                ),
            ],
            focus: 0,
            error: None,
            notes: Vec::new(),
        }
    }

    /// `last`: the values last probed from this store, prefilled.
    pub fn probe(last: Option<&ProbeFields>) -> Form {
        use FieldId as F;
        let (target, sni, timeout) = match last {
            Some(l) => (l.target.as_str(), l.sni.as_str(), l.timeout),
            None => ("", "", super::probe_memory::DEFAULT_TIMEOUT),
        };
        Form {
            kind: FormKind::Probe,
            title: "Probe a TLS port".into(),
            fields: vec![
                Field::text(F::Target, "Host:port", "e.g. 127.0.0.1:443")
                    .required()
                    .with_value(target),
                Field::text(F::Sni, "SNI", "empty: the host when it is a name").with_value(sni),
                Field::text(F::Timeout, "Timeout (s)", "")
                    .required()
                    .with_value(&timeout.to_string()),
            ],
            focus: 0,
            error: None,
            notes: Vec::new(),
        }
    }

    /// A keystore verb on `file` (store-relative; prefilled from the selected keystore, with its
    /// first key entry's alias).
    pub fn keystore(file: &str, alias: &str) -> Form {
        use FieldId as F;
        let verbs = KeystoreVerb::ALL
            .iter()
            .map(|v| Choice::new(v.as_str(), v.as_str()))
            .collect();
        // keytool's default for genkeypair, and what Java servers expect.
        let mut key_types: Vec<Choice> = KeyType::ALL
            .iter()
            .map(|k| Choice::new(k.as_str(), k.as_str()))
            .collect();
        if let Some(i) = key_types.iter().position(|c| c.value == "rsa-2048") {
            key_types.swap(0, i);
        }
        let out = if alias.is_empty() {
            String::new()
        } else {
            format!("{}.csr", crate::actions::slug(alias))
        };
        Form {
            kind: FormKind::Keystore,
            title: "Keystore".into(),
            fields: vec![
                Field::choice(F::Verb, "Verb", verbs),
                Field::text(F::Keystore, "Keystore", "store-relative PKCS#12 file")
                    .required()
                    .with_value(file),
                Field::text(F::Alias, "Alias", "")
                    .required()
                    .with_value(alias),
                Field::text(F::Cn, "Common name", "of the self-signed certificate").required(),
                Field::text(F::Sans, "SANs", "comma separated, e.g. DNS:a.example"),
                Field::text(F::Days, "Days valid", "")
                    .required()
                    .with_value("365"),
                Field::choice(F::KeyType, "Key type", key_types),
                Field::text(F::Out, "CSR file", "store-relative, a new file")
                    .required()
                    .with_value(&out),
                Field::text(F::Cert, "Cert file", "store-relative (or absolute)").required(),
                Field::secret(
                    F::Passphrase,
                    "Password",
                    "current; empty: the one that unlocked it",
                ),
                Field::secret(
                    F::NewPassphrase,
                    "New password",
                    "passwd; or a new keystore's",
                ),
                Field::secret(F::Repeat, "Repeat", "the same again"),
            ],
            focus: 0,
            error: None,
            notes: Vec::new(),
        }
    }

    /// replace-cert: `sites` are the server configs' sites with a certificate and a key (label
    /// = value); `cert` and `key` prefilled from the selected certificate and its paired key.
    pub fn replace_cert(sites: Vec<Choice>, cert: &str, key: &str) -> Form {
        use FieldId as F;
        Form {
            kind: FormKind::ReplaceCert,
            title: "Replace a server's certificate".into(),
            fields: vec![
                Field::choice(F::Site, "Config entry", sites),
                Field::text(
                    F::Cert,
                    "New cert",
                    "store-relative; leaf first, then chain",
                )
                .required()
                .with_value(cert),
                Field::text(F::Key, "New key", "store-relative; must pair with the cert")
                    .required()
                    .with_value(key),
            ],
            focus: 1,
            error: None,
            notes: vec![
                "written under the file names the config uses; the old files go to history".into(),
            ],
        }
    }

    /// Sign the CSR `csr` (path, index; `cn` and `sans` shown) with one of `cas` (label, sha256).
    pub fn sign(csr: (&str, usize), cn: &str, sans: &[String], cas: Vec<Choice>) -> Form {
        use FieldId as F;
        let profiles = ["server", "client"]
            .iter()
            .map(|p| Choice::new(*p, *p))
            .collect();
        let sans = if sans.is_empty() {
            "none".to_string()
        } else {
            sans.join(", ")
        };
        Form {
            kind: FormKind::Sign {
                csr: csr.0.to_string(),
                index: csr.1,
            },
            title: format!("Sign CSR {cn}"),
            fields: vec![
                Field::choice(F::Ca, "Signed by", cas),
                Field::choice(F::Profile, "Profile", profiles),
                Field::text(F::Days, "Days valid", "")
                    .required()
                    .with_value("398"),
                Field::text(F::Out, "Output file", "store-relative, a new file")
                    .required()
                    .with_value(&format!("{}.pem", crate::actions::slug(cn))),
            ],
            focus: 0,
            error: None,
            notes: vec![
                format!("CSR      {}", csr.0),
                format!("SANs     {sans} (from the CSR)"),
            ],
        }
    }

    /// Change the passphrase of the key file `path` (`encrypted`: it has one now).
    pub fn key_pass(path: &str, encrypted: bool) -> Form {
        use FieldId as F;
        let ops: &[&str] = if encrypted {
            &["passwd", "decrypt"]
        } else {
            &["encrypt"]
        };
        let ops = ops.iter().map(|o| Choice::new(*o, *o)).collect();
        Form {
            kind: FormKind::KeyPass { sel: path.into() },
            title: format!("Key passphrase: {path}"),
            fields: vec![
                Field::choice(F::KeyOp, "Change", ops),
                Field::secret(F::Passphrase, "Current", "the key's passphrase now").required(),
                Field::secret(F::NewPassphrase, "New", "the new passphrase").required(),
                Field::secret(F::Repeat, "Repeat", "the same again").required(),
            ],
            focus: if encrypted { 1 } else { 2 },
            error: None,
            notes: Vec::new(),
        }
    }

    /// `certdeck acme issue` as a form: name, domains, challenge, server.
    pub fn acme_issue() -> Form {
        use FieldId as F;
        let challenges = [
            ("http-01 standalone (ADDR:PORT)", "--http-01-standalone"),
            ("http-01 webroot (directory)", "--http-01-webroot"),
            ("dns-01 hook (command)", "--dns-01-hook"),
        ];
        let challenges = (challenges.iter())
            .map(|(l, v)| Choice::new(*l, *v))
            .collect();
        let tos = [("not agreed", "no"), ("agreed", "yes")];
        let tos = tos.iter().map(|(l, v)| Choice::new(*l, *v)).collect();
        Form {
            kind: FormKind::AcmeIssue,
            title: "ACME: issue a certificate".into(),
            fields: vec![
                Field::text(F::Lineage, "Name", "acme/NAME/: letters, digits, . - _").required(),
                Field::text(F::Sans, "Domains", "comma-separated: a.test, www.a.test").required(),
                Field::choice(F::Challenge, "Challenge", challenges),
                Field::text(
                    F::ChallengeArg,
                    "  where",
                    "0.0.0.0:80, /var/www/html or a command",
                )
                .required(),
                Field::text(
                    F::Server,
                    "Server",
                    "URL, letsencrypt or letsencrypt-staging",
                )
                .required(),
                Field::text(F::Email, "Email", "optional: the account's contact"),
                Field::text(
                    F::CaBundle,
                    "CA bundle",
                    "optional: the ACME server's TLS CA",
                ),
                Field::choice(F::Tos, "CA terms", tos),
            ],
            focus: 0,
            error: None,
            notes: vec!["Runs certdeck acme issue; progress is in the status line.".into()],
        }
    }

    /// Asks for the passphrase that opens `path` (a key file, PKCS#12 or JKS).
    pub fn unlock(path: &str) -> Form {
        Form {
            kind: FormKind::Unlock { path: path.into() },
            title: format!("Unlock: {}", crate::text::escape_control(path)),
            fields: vec![
                Field::secret(FieldId::Passphrase, "Passphrase", "opens it in place").required(),
            ],
            focus: 0,
            error: None,
            notes: Vec::new(),
        }
    }

    /// Fields that do not apply to what is chosen: not shown, not focused, not checked (a CSR
    /// has no validity and no signer; only a PKCS#12 export has a passphrase).
    pub fn hidden(&self, id: FieldId) -> bool {
        use FieldId as F;
        match self.kind {
            FormKind::Generate => self.value(F::Kind) == "csr" && matches!(id, F::Days | F::Ca),
            FormKind::Export { .. } => {
                self.value(F::Format) != "p12" && matches!(id, F::NewPassphrase | F::Repeat)
            }
            FormKind::Keystore => {
                let verb = KeystoreVerb::parse(self.value(F::Verb));
                keystore_hidden(verb.unwrap_or(KeystoreVerb::GenKeyPair), id)
            }
            FormKind::KeyPass { .. } => match self.value(F::KeyOp) {
                "encrypt" => id == F::Passphrase,
                "decrypt" => matches!(id, F::NewPassphrase | F::Repeat),
                _ => false,
            },
            _ => false,
        }
    }

    /// A warning that does not stop the form (shown under it): a server certificate valid
    /// longer than browsers accept.
    pub fn warning(&self) -> Option<String> {
        if matches!(self.kind, FormKind::KeyPass { .. }) && self.value(FieldId::KeyOp) == "decrypt"
        {
            return Some(DECRYPT_WARNING.into());
        }
        let server = match self.kind {
            FormKind::Generate => self.value(FieldId::Kind) == "server",
            FormKind::Sign { .. } => self.value(FieldId::Profile) == "server",
            _ => false,
        };
        let days: i64 = self.value(FieldId::Days).trim().parse().ok()?;
        (server && days > MAX_SERVER_DAYS).then(|| {
            format!("{days} days: browsers reject server certs over {MAX_SERVER_DAYS} days")
        })
    }

    pub fn field(&self, id: FieldId) -> Option<&Field> {
        self.fields.iter().find(|f| f.id == id)
    }

    fn field_mut(&mut self, id: FieldId) -> Option<&mut Field> {
        self.fields.iter_mut().find(|f| f.id == id)
    }

    fn value(&self, id: FieldId) -> &str {
        self.field(id).map(Field::value).unwrap_or("")
    }

    pub fn next_field(&mut self) {
        self.step_focus(1);
    }

    pub fn prev_field(&mut self) {
        self.step_focus(self.fields.len() - 1);
    }

    /// Move the focus by `by` (mod the field count), over hidden fields.
    fn step_focus(&mut self, by: usize) {
        let n = self.fields.len();
        for _ in 0..n {
            self.focus = (self.focus + by) % n;
            if !self.hidden(self.fields[self.focus].id) {
                return;
            }
        }
    }

    /// ←/→: the cursor in a text field, the option in a choice field.
    pub fn left_right(&mut self, forward: bool) {
        match self.fields[self.focus].input {
            Input::Text(_) => self.edit(if forward { Edit::Right } else { Edit::Left }),
            Input::Choice { .. } => self.cycle(forward),
        }
    }

    /// ←/→ on a choice field; ignored on text fields.
    pub fn cycle(&mut self, forward: bool) {
        let old_kind = self.value(FieldId::Kind).to_string();
        let f = &mut self.fields[self.focus];
        let Input::Choice { options, index } = &mut f.input else {
            return;
        };
        let n = options.len();
        *index = if forward {
            (*index + 1) % n
        } else {
            (*index + n - 1) % n
        };
        f.error = None;
        if f.id == FieldId::Kind {
            let new_kind = options[*index].value.clone();
            // Follow the kind's default validity unless the user typed their own.
            if let Some(days) = self.field_mut(FieldId::Days) {
                if days.value() == default_days(&old_kind) {
                    days.input = Input::Text(default_days(&new_kind).into());
                    days.cursor = days.value().len();
                    days.error = None;
                }
            }
        }
        if let FormKind::Export { .. } = self.kind {
            self.follow_format_extension();
        }
    }

    /// Keep the default output name's extension in step with the format (pem/der).
    fn follow_format_extension(&mut self) {
        let ext = match self.value(FieldId::Format) {
            "der" => "der",
            "p12" => "p12",
            _ => "pem",
        };
        if let Some(out) = self.field_mut(FieldId::Out) {
            if let Input::Text(s) = &mut out.input {
                for old in [".pem", ".der", ".p12"] {
                    if let Some(stem) = s.strip_suffix(old) {
                        *s = format!("{stem}.{ext}");
                        break;
                    }
                }
            }
        }
    }

    pub fn type_char(&mut self, c: char) {
        self.paste(c.encode_utf8(&mut [0; 4]));
    }

    /// Pasted (or typed) text goes in at the cursor of a text field, never as keys.
    pub fn paste(&mut self, text: &str) {
        let f = &mut self.fields[self.focus];
        if let Input::Text(s) = &mut f.input {
            if lineedit::insert(s, &mut f.cursor, text) {
                f.error = None;
            }
        }
    }

    pub fn backspace(&mut self) {
        self.edit(Edit::DeleteBack);
    }

    /// A cursor move or deletion in the focused text field.
    pub fn edit(&mut self, e: Edit) {
        let f = &mut self.fields[self.focus];
        if let Input::Text(s) = &mut f.input {
            if lineedit::apply(s, &mut f.cursor, e) {
                f.error = None;
            }
        }
    }

    /// Validate every field; on success the request, otherwise the messages are set inline and
    /// the focus moves to the first bad field.
    pub fn submit(&mut self) -> Option<ActionRequest> {
        self.error = None;
        let hidden: Vec<bool> = self.fields.iter().map(|f| self.hidden(f.id)).collect();
        for (f, hidden) in self.fields.iter_mut().zip(hidden) {
            f.error = if hidden { None } else { check(f) };
        }
        // A new passphrase is typed twice, unseen: both must agree.
        let (new, again) = (
            self.value(FieldId::NewPassphrase),
            self.value(FieldId::Repeat),
        );
        if !self.hidden(FieldId::Repeat) && new != again {
            if let Some(f) = self.field_mut(FieldId::Repeat) {
                f.error
                    .get_or_insert_with(|| "the two passphrases differ".into());
            }
        }
        // Store-relative here, though the same field elsewhere may be absolute (an export's
        // output, a keystore's CA reply).
        let rel = match self.kind {
            FormKind::ReplaceCert => Some(FieldId::Cert),
            FormKind::Keystore => Some(FieldId::Out),
            _ => None,
        };
        let rel = rel.filter(|id| !self.hidden(*id));
        if let Some(f) = rel.and_then(|id| self.field_mut(id)) {
            if f.error.is_none() && !f.value().trim().is_empty() {
                f.error = check_store_rel(f.value().trim());
            }
        }
        // passwd has nothing to do without a new password; elsewhere it is optional.
        if self.kind == FormKind::Keystore
            && self.value(FieldId::Verb) == KeystoreVerb::Passwd.as_str()
            && self.value(FieldId::NewPassphrase).is_empty()
        {
            if let Some(f) = self.field_mut(FieldId::NewPassphrase) {
                f.error = Some("the new password is required".into());
            }
        }
        if let Some(bad) = self.fields.iter().position(|f| f.error.is_some()) {
            self.focus = bad;
            return None;
        }
        Some(self.request())
    }

    /// The request of a form that passed `check` on every field.
    fn request(&self) -> ActionRequest {
        use FieldId as F;
        let opt = |id| {
            let v = self.value(id).trim();
            (!v.is_empty()).then(|| v.to_string())
        };
        match &self.kind {
            FormKind::Generate => {
                let kind = KINDS
                    .iter()
                    .find(|(l, _)| *l == self.value(F::Kind))
                    .map_or(GenKind::Server, |(_, k)| *k);
                let mut args = GenerateArgs::new(kind, self.value(F::Cn).trim());
                args.key_type = KeyType::ALL
                    .into_iter()
                    .find(|k| k.as_str() == self.value(F::KeyType))
                    .unwrap_or_default();
                args.subject = SubjectSpec {
                    cn: self.value(F::Cn).trim().to_string(),
                    o: opt(F::O),
                    ou: opt(F::Ou),
                    c: opt(F::C).map(|c| c.to_ascii_uppercase()),
                    st: opt(F::St),
                    l: opt(F::L),
                    email: opt(F::Email),
                };
                args.sans = split_list(self.value(F::Sans));
                // A CSR has no validity; generate ignores it, so leave it out of the request.
                args.days = (kind != GenKind::Csr)
                    .then(|| self.value(F::Days).trim().parse().ok())
                    .flatten();
                args.ca = opt(F::Ca).filter(|_| kind != GenKind::Csr);
                args.dir = self.value(F::Dir).trim().trim_matches('/').to_string();
                ActionRequest::Generate(Box::new(args))
            }
            FormKind::Export { sel } if self.value(F::Format) == "p12" => {
                ActionRequest::ExportP12 {
                    sel: sel.clone(),
                    out: PathBuf::from(self.value(F::Out).trim()),
                    pass: Secret::new(self.value(F::NewPassphrase)),
                }
            }
            FormKind::KeyPass { sel } => {
                use crate::actions::key::KeyPassOp;
                let op = match self.value(F::KeyOp) {
                    "encrypt" => KeyPassOp::Encrypt,
                    "decrypt" => KeyPassOp::Decrypt,
                    _ => KeyPassOp::Passwd,
                };
                let shown = |id| (!self.hidden(id)).then(|| Secret::new(self.value(id)));
                ActionRequest::KeyPass {
                    sel: sel.clone(),
                    op,
                    current: shown(F::Passphrase),
                    new: shown(F::NewPassphrase),
                }
            }
            FormKind::Unlock { path } => ActionRequest::Unlock {
                path: path.clone(),
                pass: Secret::new(self.value(F::Passphrase)),
            },
            FormKind::Export { sel } => ActionRequest::Export {
                sel: sel.clone(),
                format: FORMATS
                    .iter()
                    .find(|(l, _)| *l == self.value(F::Format))
                    .map_or(ExportFormat::Pem, |(_, f)| *f),
                out: PathBuf::from(self.value(F::Out).trim()),
            },
            FormKind::Sign { csr, index } => ActionRequest::Sign {
                csr: csr.clone(),
                index: *index,
                ca: self.value(F::Ca).to_string(),
                profile: match self.value(F::Profile) {
                    "client" => crate::pki::issue::Profile::Client,
                    _ => crate::pki::issue::Profile::Server,
                },
                days: self.value(F::Days).trim().parse().unwrap_or(398),
                out: self.value(F::Out).trim().to_string(),
            },
            FormKind::AcmeIssue => {
                let mut args = vec!["issue".to_string(), self.value(F::Lineage).trim().into()];
                for d in split_list(self.value(F::Sans)) {
                    args.extend(["--domain".into(), d.trim_start_matches("DNS:").to_string()]);
                }
                args.extend(["--server".into(), self.value(F::Server).trim().into()]);
                args.push("--agree-tos".into());
                if let Some(e) = opt(F::Email) {
                    args.extend(["--email".into(), e]);
                }
                if let Some(b) = opt(F::CaBundle) {
                    args.extend(["--ca-bundle".into(), b]);
                }
                args.extend([
                    self.value(F::Challenge).to_string(),
                    self.value(F::ChallengeArg).trim().to_string(),
                ]);
                ActionRequest::AcmeIssue {
                    name: self.value(F::Lineage).trim().to_string(),
                    args,
                }
            }
            FormKind::Probe => ActionRequest::Probe(ProbeFields {
                target: self.value(F::Target).trim().to_string(),
                sni: self.value(F::Sni).trim().to_string(),
                timeout: self
                    .value(F::Timeout)
                    .trim()
                    .parse()
                    .unwrap_or(super::probe_memory::DEFAULT_TIMEOUT),
            }),
            FormKind::Keystore => {
                let shown = |id| {
                    Some(self.value(id))
                        .filter(|v| !self.hidden(id) && !v.is_empty())
                        .map(Secret::new)
                };
                ActionRequest::Keystore(Box::new(KeystoreRequest {
                    verb: KeystoreVerb::parse(self.value(F::Verb))
                        .unwrap_or(KeystoreVerb::GenKeyPair),
                    file: store_rel(self.value(F::Keystore)),
                    alias: self.value(F::Alias).trim().to_string(),
                    cn: self.value(F::Cn).trim().to_string(),
                    sans: split_list(self.value(F::Sans)),
                    days: self.value(F::Days).trim().parse().unwrap_or(365),
                    key_type: KeyType::ALL
                        .into_iter()
                        .find(|k| k.as_str() == self.value(F::KeyType))
                        .unwrap_or_default(),
                    out: store_rel(self.value(F::Out)),
                    cert: self.value(F::Cert).trim().to_string(),
                    current: shown(F::Passphrase),
                    new: shown(F::NewPassphrase),
                }))
            }
            FormKind::ReplaceCert => ActionRequest::ReplaceCert {
                site: self.value(F::Site).to_string(),
                cert: store_rel(self.value(F::Cert)),
                key: store_rel(self.value(F::Key)),
            },
            FormKind::Import => ActionRequest::Import {
                files: split_list(self.value(F::Files))
                    .into_iter()
                    .map(PathBuf::from)
                    .collect(),
                dir: self.value(F::Dir).trim().trim_matches('/').to_string(),
                pass: Some(self.value(F::Passphrase))
                    .filter(|p| !p.is_empty())
                    .map(Secret::new),
            },
        }
    }
}

/// The fields a keystore verb does not read (as its CLI verb has no such flag).
fn keystore_hidden(verb: KeystoreVerb, id: FieldId) -> bool {
    use FieldId as F;
    use KeystoreVerb as V;
    let shown: &[FieldId] = match verb {
        V::GenKeyPair => &[
            F::Alias,
            F::Cn,
            F::Sans,
            F::Days,
            F::KeyType,
            F::NewPassphrase,
            F::Repeat,
        ],
        V::CertReq => &[F::Alias, F::Sans, F::Out],
        V::ImportReply => &[F::Alias, F::Cert],
        V::AddTrusted => &[F::Alias, F::Cert, F::NewPassphrase, F::Repeat],
        V::Passwd => &[F::NewPassphrase, F::Repeat],
    };
    !(matches!(id, F::Verb | F::Keystore | F::Passphrase) || shown.contains(&id))
}

/// A store-relative path the form accepts: no absolute path, no `..`, no control characters
/// (the CLI's `store_rel` refuses the same).
fn check_store_rel(v: &str) -> Option<String> {
    let p = std::path::Path::new(v);
    if p.is_absolute() {
        return Some("store-relative, not an absolute path".into());
    }
    if p.components().any(|c| c == std::path::Component::ParentDir) {
        return Some("must stay inside the store (no ..)".into());
    }
    None
}

/// `a, b,,c` -> [a, b, c].
fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// `./a/b.pem ` -> `a/b.pem`.
fn store_rel(v: &str) -> String {
    v.trim().trim_start_matches("./").to_string()
}

/// The inline message for one field, if its value is not acceptable.
fn check(f: &Field) -> Option<String> {
    use FieldId as F;
    let v = f.value().trim();
    if f.required && v.is_empty() {
        let name = match f.id {
            F::Cn => "CN",
            F::Days => "days",
            _ => f.label,
        };
        return Some(format!("{name} is required"));
    }
    if v.is_empty() {
        return None;
    }
    match f.id {
        F::Days => match v.parse::<i64>() {
            Ok(d) if d > 0 => None,
            _ => Some("days must be a positive number".into()),
        },
        F::C if !(v.len() == 2 && v.chars().all(|c| c.is_ascii_alphabetic())) => {
            Some("C must be 2 letters".into())
        }
        F::Email if !v.contains('@') => Some("email must look like name@host".into()),
        F::Timeout => match v.parse::<u64>() {
            Ok(1..=300) => None,
            _ => Some("seconds, 1 to 300".into()),
        },
        F::Target => crate::servers::probe::split_host_port(v)
            .err()
            .map(|e| e.to_string()),
        F::Keystore | F::Key => check_store_rel(v),
        F::Lineage => crate::acme::lineage::check_name(v)
            .err()
            .map(|e| format!("{e:#}")),
        F::Tos if v != "yes" => Some("the CA's terms of service must be agreed to".into()),
        // Same parser `generate` uses, so a bad SAN is caught here, not after key generation.
        F::Sans => split_list(v)
            .iter()
            .find_map(|s| issue::parse_san(s).err().map(|e| format!("SAN {s}: {e}"))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_change_follows_default_days_unless_edited() {
        let mut f = Form::generate(vec![]);
        f.focus = 0;
        f.cycle(true); // client
        f.cycle(true); // ca
        assert_eq!(f.value(FieldId::Days), "3650");
        f.focus = 9;
        f.backspace();
        f.focus = 0;
        f.cycle(false);
        assert_eq!(f.value(FieldId::Days), "365", "an edited value stays");
    }

    #[test]
    fn validation_messages() {
        let mut f = Form::generate(vec![]);
        assert!(f.submit().is_none());
        assert_eq!(f.fields[1].error.as_deref(), Some("CN is required"));
        assert_eq!(f.focus, 1);
        for c in "x".chars() {
            f.type_char(c);
        }
        f.focus = 5;
        f.type_char('U');
        f.focus = 9;
        f.type_char('x');
        assert!(f.submit().is_none());
        assert_eq!(f.fields[5].error.as_deref(), Some("C must be 2 letters"));
        assert_eq!(
            f.fields[9].error.as_deref(),
            Some("days must be a positive number")
        );
    }

    #[test]
    fn keystore_verbs_ask_what_their_cli_verb_takes() {
        let mut f = Form::keystore("app.p12", "app");
        let shown = |f: &Form| -> Vec<FieldId> {
            (f.fields.iter().map(|x| x.id))
                .filter(|id| !f.hidden(*id))
                .collect()
        };
        use FieldId as F;
        assert!(shown(&f).contains(&F::Cn) && !shown(&f).contains(&F::Cert));
        f.cycle(true); // certreq
        assert_eq!(
            shown(&f),
            vec![
                F::Verb,
                F::Keystore,
                F::Alias,
                F::Sans,
                F::Out,
                F::Passphrase
            ]
        );
        assert_eq!(f.value(F::Out), "app.csr");
        // A CSR path outside the store is refused inline.
        f.focus = 7;
        f.edit(Edit::KillToStart);
        f.paste("../app.csr");
        assert!(f.submit().is_none());
        assert_eq!(
            f.field(F::Out).unwrap().error.as_deref(),
            Some("must stay inside the store (no ..)")
        );
        f.focus = 0;
        f.cycle(false);
        f.cycle(false); // passwd
        assert_eq!(
            shown(&f),
            vec![
                F::Verb,
                F::Keystore,
                F::Passphrase,
                F::NewPassphrase,
                F::Repeat
            ]
        );
        // The hidden CSR path no longer counts; the new password does.
        assert!(f.submit().is_none());
        assert!(f.field(F::Out).unwrap().error.is_none());
        assert_eq!(
            f.field(F::NewPassphrase).unwrap().error.as_deref(),
            Some("the new password is required")
        );
        f.focus = 10;
        f.paste("New-pass-1");
        f.focus = 11;
        f.paste("New-pass-1");
        match f.submit() {
            Some(ActionRequest::Keystore(k)) => {
                assert_eq!(k.verb, KeystoreVerb::Passwd);
                assert_eq!(k.file, "app.p12");
                assert!(k.current.is_none(), "empty: the keyring's");
                assert_eq!(k.new.as_ref().map(|n| n.0.as_str()), Some("New-pass-1"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn probe_fields_are_checked_and_prefilled() {
        let last = ProbeFields {
            target: "example.org:443".into(),
            sni: "www.example.org".into(),
            timeout: 4,
        };
        let mut f = Form::probe(Some(&last));
        match f.submit() {
            Some(ActionRequest::Probe(p)) => assert_eq!(p, last),
            other => panic!("{other:?}"),
        }
        let mut f = Form::probe(None);
        f.paste("no-port");
        f.focus = 2;
        f.edit(Edit::KillToStart);
        f.paste("0");
        assert!(f.submit().is_none());
        assert!(f.fields[0].error.as_deref().unwrap().contains("HOST:PORT"));
        assert_eq!(f.fields[2].error.as_deref(), Some("seconds, 1 to 300"));
    }
}
