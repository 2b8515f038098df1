//! A Plan is the exact list of file operations an action will perform. It is built before
//! anything is touched so the TUI confirm dialog, `--dry-run` and `--json` all show the same
//! thing that `WritableStore::apply` then executes.
//!
//! Secrets never leave this type in readable form: `Debug`, the preview and the JSON forms
//! show sizes only for secret contents (and a SHA-256 only for non-secret contents).

use std::fmt;
use std::path::Path;

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::write::check_rel;

/// Mode for certificates, chains, CRLs: servers often read them as another user.
pub const CERT_MODE: u32 = 0o644;
/// Mode for private keys and other secrets.
pub const SECRET_MODE: u32 = 0o600;
/// Mode for a directory created to hold secrets.
pub const SECRET_DIR_MODE: u32 = 0o700;
/// Mode for other directories certdeck creates.
pub const DIR_MODE: u32 = 0o755;

/// Top-level directory of the store where replaced and removed files go.
pub const HISTORY_DIR: &str = "history";

/// One file operation. Paths are store-relative, `/`-separated, without `.`/`..`.
pub enum Op {
    /// Create `path`, or replace it: an existing file first moves to history (never
    /// overwritten in place). Written to a temp file with `mode` from the first byte.
    Write {
        path: String,
        contents: Zeroizing<Vec<u8>>,
        mode: u32,
        secret: bool,
    },
    /// Create (or atomically replace, old one to history) a symlink `path -> target`.
    /// `target` is relative to the link's directory and must stay inside the store.
    Symlink { path: String, target: String },
    /// Move `path` (a file, link or directory) into this plan's history directory.
    MoveToHistory { path: String },
    /// Create a directory; a no-op if it already exists as a real directory.
    MkDir { path: String, mode: u32 },
    /// Remove an empty directory (what undo does to a directory a plan created). Fails on a
    /// non-empty one: nothing is deleted.
    RmDir { path: String },
    /// Move a file out of history back to `path` (what undo does); anything currently at
    /// `path` moves to history first. `from` is store-relative and under `history/`.
    Restore { from: String, path: String },
}

impl Op {
    /// A certificate (or other public file), mode 0644.
    pub fn write_public(path: impl Into<String>, contents: Vec<u8>) -> Op {
        Op::Write {
            path: path.into(),
            contents: Zeroizing::new(contents),
            mode: CERT_MODE,
            secret: false,
        }
    }

    /// A private key or other secret, mode 0600.
    pub fn write_secret(path: impl Into<String>, contents: Zeroizing<Vec<u8>>) -> Op {
        Op::Write {
            path: path.into(),
            contents,
            mode: SECRET_MODE,
            secret: true,
        }
    }

    /// The store path this op changes.
    pub fn path(&self) -> &str {
        match self {
            Op::Write { path, .. }
            | Op::Symlink { path, .. }
            | Op::MoveToHistory { path }
            | Op::MkDir { path, .. }
            | Op::RmDir { path }
            | Op::Restore { path, .. } => path,
        }
    }

    pub fn kind(&self) -> OpKind {
        match self {
            Op::Write { .. } => OpKind::Write,
            Op::Symlink { .. } => OpKind::Symlink,
            Op::MoveToHistory { .. } => OpKind::MoveToHistory,
            Op::MkDir { .. } => OpKind::MkDir,
            Op::RmDir { .. } => OpKind::RmDir,
            Op::Restore { .. } => OpKind::Restore,
        }
    }

    pub fn is_secret(&self) -> bool {
        matches!(self, Op::Write { secret: true, .. })
    }

    /// Apply order: directories first (files need them), then secrets, then the rest.
    /// Keys go before certificates so a server never sees a new cert without its key.
    fn rank(&self) -> u8 {
        match self {
            Op::MkDir { .. } => 0,
            Op::Write { secret: true, .. } => 1,
            _ => 2,
        }
    }

    /// Size and (for non-secrets only) SHA-256 of the contents of a write.
    fn content_facts(&self) -> (Option<u64>, Option<String>) {
        match self {
            Op::Write {
                contents, secret, ..
            } => {
                let sha = (!secret).then(|| hex::encode(Sha256::digest(contents.as_slice())));
                (Some(contents.len() as u64), sha)
            }
            _ => (None, None),
        }
    }

    fn mode(&self) -> Option<u32> {
        match self {
            Op::Write { mode, .. } | Op::MkDir { mode, .. } => Some(*mode),
            _ => None,
        }
    }

    /// Link target (Symlink) or history source (Restore).
    fn other_path(&self) -> Option<&str> {
        match self {
            Op::Symlink { target, .. } => Some(target),
            Op::Restore { from, .. } => Some(from),
            _ => None,
        }
    }
}

/// The kind of an op, as written to the journal and JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OpKind {
    Write,
    Symlink,
    MoveToHistory,
    MkDir,
    RmDir,
    Restore,
}

// Hand-written so that `{:?}` of a plan can never print key material.
impl fmt::Debug for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (size, sha) = self.content_facts();
        let mut d = f.debug_struct(&format!("{:?}", self.kind()));
        d.field("path", &self.path());
        if let Some(o) = self.other_path() {
            d.field("other", &o);
        }
        if let Some(m) = self.mode() {
            d.field("mode", &format_args!("{m:04o}"));
        }
        if let Some(s) = size {
            d.field("size", &s).field("secret", &self.is_secret());
        }
        if let Some(h) = sha {
            d.field("sha256", &h);
        }
        d.finish()
    }
}

// JSON form of a single op without store knowledge (create vs replace needs the store; see
// `PreviewLine` for that). Contents are never serialized.
impl Serialize for Op {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (size, sha) = self.content_facts();
        let mut st = s.serialize_struct("Op", 7)?;
        st.serialize_field("op", &self.kind())?;
        st.serialize_field("path", self.path())?;
        st.serialize_field("target", &self.other_path())?;
        st.serialize_field("mode", &self.mode().map(|m| format!("{m:04o}")))?;
        st.serialize_field("secret", &self.is_secret())?;
        st.serialize_field("size", &size)?;
        st.serialize_field("sha256", &sha)?;
        st.end()
    }
}

/// What an action will do, in the order given by `ordered()`.
#[derive(Debug, Serialize)]
pub struct Plan {
    /// Human summary, e.g. "trust CN=foo"; goes into the journal.
    pub action: String,
    pub ops: Vec<Op>,
}

/// One line of a preview (or of an apply report: same shape, so `--json` output of
/// `--dry-run` and of the real run can be compared).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewLine {
    /// create | replace | link | relink | move | mkdir | rmdir | restore
    pub verb: String,
    pub path: String,
    /// Link target, or history source of a restore.
    pub target: Option<String>,
    pub mode: Option<String>,
    pub secret: bool,
    pub size: Option<u64>,
    pub sha256: Option<String>,
    /// Whatever is at `path` now is moved into history.
    pub to_history: bool,
    /// The line as shown to people.
    pub text: String,
}

impl Plan {
    pub fn new(action: impl Into<String>) -> Plan {
        Plan {
            action: action.into(),
            ops: Vec::new(),
        }
    }

    pub fn push(&mut self, op: Op) -> &mut Plan {
        self.ops.push(op);
        self
    }

    /// The ops in apply order (stable: equal ranks keep the order they were added in).
    pub fn ordered(&self) -> Vec<&Op> {
        let mut v: Vec<&Op> = self.ops.iter().collect();
        v.sort_by_key(|o| o.rank());
        v
    }

    /// Checks that need no filesystem: safe relative paths, nothing aimed at certdeck's own
    /// files, each path touched once (so rollback and undo are unambiguous).
    pub fn validate(&self) -> Result<(), String> {
        let mut seen = std::collections::HashSet::new();
        for op in &self.ops {
            let p = op.path();
            check_rel(p)?;
            if in_history(p) || super::scan::RESERVED_FILES.contains(&p) {
                return Err(format!(
                    "{p}: certdeck's own bookkeeping; not a plan target"
                ));
            }
            if !seen.insert(p) {
                return Err(format!("{p}: appears twice in one plan"));
            }
            match op {
                Op::Symlink { path, target } => check_link_target(path, target)?,
                Op::Restore { from, .. } => {
                    check_rel(from)?;
                    if !in_history(from) {
                        return Err(format!("{from}: restore source is not under history/"));
                    }
                }
                Op::Write { mode, .. } | Op::MkDir { mode, .. } if *mode & !0o777 != 0 => {
                    return Err(format!("{p}: mode {mode:o} has special bits"));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Adds `MkDir` ops for missing parent directories of writes and links: 0700 when a
    /// secret goes directly into it, 0755 otherwise (a directory above a key directory holds
    /// certificates a non-root server must read).
    pub fn with_missing_dirs(mut self, store: &Path) -> Plan {
        let mut dirs: Vec<(String, bool)> = Vec::new();
        for op in &self.ops {
            if !matches!(op, Op::Write { .. } | Op::Symlink { .. }) {
                continue;
            }
            let mut acc = String::new();
            let parts: Vec<&str> = op.path().split('/').collect();
            let n_dirs = parts.len().saturating_sub(1);
            for (i, part) in parts[..n_dirs].iter().enumerate() {
                let secret = op.is_secret() && i + 1 == n_dirs;
                if !acc.is_empty() {
                    acc.push('/');
                }
                acc.push_str(part);
                let exists = std::fs::symlink_metadata(store.join(&acc)).is_ok();
                let planned = self.ops.iter().any(|o| o.path() == acc);
                if exists || planned {
                    continue;
                }
                match dirs.iter_mut().find(|(d, _)| *d == acc) {
                    Some((_, s)) => *s |= secret,
                    None => dirs.push((acc.clone(), secret)),
                }
            }
        }
        let mkdirs = dirs.into_iter().map(|(path, secret)| Op::MkDir {
            path,
            mode: if secret { SECRET_DIR_MODE } else { DIR_MODE },
        });
        self.ops.splice(0..0, mkdirs);
        self
    }

    /// What applying would do to `store` now, in apply order.
    pub fn preview(&self, store: &Path) -> Vec<PreviewLine> {
        self.ordered()
            .into_iter()
            .map(|op| describe(op, std::fs::symlink_metadata(store.join(op.path())).is_ok()))
            .collect()
    }

    /// The preview as text, one op per line, headed by the action.
    pub fn preview_text(&self, store: &Path) -> String {
        let mut s = format!("{}\n", crate::text::escape_control(&self.action));
        for l in self.preview(store) {
            s.push_str("  ");
            s.push_str(&l.text);
            s.push('\n');
        }
        s
    }
}

pub(crate) fn in_history(p: &str) -> bool {
    p == HISTORY_DIR || p.starts_with("history/")
}

/// A link target must be relative and, resolved from the link's directory, stay inside the
/// store and out of history (servers must never be pointed outside the store by certdeck).
pub(crate) fn check_link_target(path: &str, target: &str) -> Result<(), String> {
    if target.is_empty() || target.starts_with('/') {
        return Err(format!("{path}: link target {target:?} must be relative"));
    }
    let mut stack: Vec<&str> = path.split('/').collect();
    stack.pop();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if stack.pop().is_none() {
                    return Err(format!("{path}: link target {target} leaves the store"));
                }
            }
            p => stack.push(p),
        }
    }
    if stack.is_empty() || stack[0] == HISTORY_DIR {
        return Err(format!("{path}: link target {target} is not a store file"));
    }
    Ok(())
}

/// The preview line of `op` given whether something exists at its path.
pub(crate) fn describe(op: &Op, existed: bool) -> PreviewLine {
    let (size, sha256) = op.content_facts();
    let path = op.path().to_string();
    let mode = op.mode().map(|m| format!("{m:04o}"));
    // `text` is for people (the CLI plan, the TUI confirm dialog): store names in it are
    // escaped; `path` and `target` stay exact for JSON.
    let esc = crate::text::escape_control;
    let shown = esc(&path);
    let (verb, to_history, text) = match op {
        Op::Write { secret, .. } => {
            let m = mode.as_deref().unwrap_or("");
            let what = if *secret {
                format!("{m}, secret")
            } else {
                format!("{m}, {} bytes", size.unwrap_or(0))
            };
            if existed {
                (
                    "replace",
                    true,
                    format!("replace {shown}  ({what}; old -> history)"),
                )
            } else {
                ("create", false, format!("create  {shown}  ({what})"))
            }
        }
        Op::Symlink { target, .. } if existed => (
            "relink",
            true,
            format!("link    {shown} -> {}  (old -> history)", esc(target)),
        ),
        Op::Symlink { target, .. } => {
            ("link", false, format!("link    {shown} -> {}", esc(target)))
        }
        Op::MoveToHistory { .. } => ("move", true, format!("move    {shown} -> history")),
        Op::MkDir { mode: m, .. } if existed => (
            "mkdir",
            false,
            format!("mkdir   {shown}  ({m:04o}; exists, kept)"),
        ),
        Op::MkDir { mode: m, .. } => ("mkdir", false, format!("mkdir   {shown}  ({m:04o})")),
        Op::RmDir { .. } => ("rmdir", false, format!("rmdir   {shown}  (empty)")),
        Op::Restore { from, .. } => {
            let extra = if existed {
                "  (current -> history)"
            } else {
                ""
            };
            (
                "restore",
                existed,
                format!("restore {} -> {shown}{extra}", esc(from)),
            )
        }
    };
    PreviewLine {
        verb: verb.into(),
        path,
        target: op.other_path().map(str::to_string),
        mode,
        secret: op.is_secret(),
        size,
        sha256,
        to_history,
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Zeroizing<Vec<u8>> {
        Zeroizing::new(b"-----BEGIN PRIVATE KEY-----\nSEKRIT\n".to_vec())
    }

    #[test]
    fn secrets_go_first_after_dirs() {
        let mut p = Plan::new("t");
        p.push(Op::write_public("a.pem", b"x".to_vec()))
            .push(Op::write_secret("k.key", key()))
            .push(Op::MkDir {
                path: "d".into(),
                mode: DIR_MODE,
            });
        let order: Vec<&str> = p.ordered().iter().map(|o| o.path()).collect();
        assert_eq!(order, ["d", "k.key", "a.pem"]);
    }

    #[test]
    fn only_the_directory_holding_a_key_is_0700() {
        let d = tempfile::tempdir().unwrap();
        let mut p = Plan::new("t");
        p.push(Op::write_secret("sub/private/k.key", key()))
            .push(Op::write_public("sub/c.pem", b"c".to_vec()));
        let p = p.with_missing_dirs(d.path());
        let modes: Vec<(String, Option<u32>)> = p
            .ops
            .iter()
            .filter(|o| o.kind() == OpKind::MkDir)
            .map(|o| (o.path().to_string(), o.mode()))
            .collect();
        assert_eq!(
            modes,
            [
                ("sub".to_string(), Some(DIR_MODE)),
                ("sub/private".to_string(), Some(SECRET_DIR_MODE))
            ]
        );
    }

    #[test]
    fn validate_rejects_unsafe_paths() {
        for bad in [
            "/etc/x",
            "../x",
            "a/../../x",
            "history/x",
            ".certdeck.lock",
            "",
        ] {
            let mut p = Plan::new("t");
            p.push(Op::write_public(bad, vec![]));
            assert!(p.validate().is_err(), "{bad}");
        }
        let mut p = Plan::new("t");
        p.push(Op::Symlink {
            path: "trusted/x.0".into(),
            target: "../../etc/passwd".into(),
        });
        assert!(p.validate().is_err());
        let mut p = Plan::new("t");
        p.push(Op::Symlink {
            path: "trusted/x.0".into(),
            target: "../ca.pem".into(),
        });
        assert!(p.validate().is_ok());
    }

    #[test]
    fn debug_and_json_hide_secret_bytes() {
        let mut p = Plan::new("t");
        p.push(Op::write_secret("k.key", key()));
        let dbg = format!("{p:?}");
        let json = serde_json::to_string(&p).unwrap();
        for s in [&dbg, &json] {
            assert!(!s.contains("SEKRIT"), "{s}");
            assert!(!s.contains("sha256\":\""), "{s}");
        }
    }

    #[test]
    fn preview_text_shows_store_names_escaped_and_keeps_paths_exact() {
        let evil = "a\x1b[2J\nFORGED \u{202e}b.pem";
        let mut p = Plan::new(format!("trust CN={evil}"));
        p.push(Op::write_public(format!("trusted/{evil}"), b"x".to_vec()))
            .push(Op::Symlink {
                path: "trusted/0.0".into(),
                target: evil.into(),
            });
        let dir = tempfile::tempdir().unwrap();
        let text = p.preview_text(dir.path());
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(
            !text.contains('\x1b') && !text.contains('\u{202e}'),
            "{text}"
        );
        assert!(text.contains("create  trusted/a\\x1b[2J\\nFORGED \\u{202e}b.pem"));
        assert!(text.contains("-> a\\x1b[2J"), "{text}");
        let lines = p.preview(dir.path());
        assert_eq!(lines[0].path, format!("trusted/{evil}"));
        assert_eq!(lines[1].target.as_deref(), Some(evil));
    }
}
