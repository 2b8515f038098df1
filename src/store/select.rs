//! SELECTOR resolution shared by every subcommand: a store-relative path (optionally `#index`),
//! a common name, or a SHA-256 prefix of 8+ hex digits.

use super::inventory::Inventory;
use crate::pki::Item;

#[derive(Debug)]
pub enum SelectError {
    NotFound(String),
    /// The selector matches several items: `path#index  kind  name` lines.
    Ambiguous(String, Vec<String>),
}

impl std::fmt::Display for SelectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SelectError::NotFound(s) => write!(
                f,
                "nothing in the store matches '{s}' (use a path relative to the store, a common name, or 8+ hex digits of a SHA-256 fingerprint)"
            ),
            SelectError::Ambiguous(s, c) => {
                writeln!(f, "'{s}' is ambiguous; it matches:")?;
                for line in c {
                    writeln!(f, "  {line}")?;
                }
                write!(f, "use PATH#INDEX or a SHA-256 prefix to pick one")
            }
        }
    }
}

impl std::error::Error for SelectError {}

impl SelectError {
    /// The message for a terminal: its lines kept, the store text in each escaped.
    pub fn escaped(&self) -> String {
        use crate::text::escape_control as esc;
        match self {
            SelectError::NotFound(s) => SelectError::NotFound(esc(s).into_owned()).to_string(),
            SelectError::Ambiguous(s, c) => SelectError::Ambiguous(
                esc(s).into_owned(),
                c.iter().map(|l| esc(l).into_owned()).collect(),
            )
            .to_string(),
        }
    }
}

pub fn describe(it: &Item) -> String {
    let sha = it
        .cert()
        .map(|c| format!("  sha256:{}", &c.sha256[..16]))
        .unwrap_or_default();
    format!(
        "{}#{}  {}  {}{}",
        it.path,
        it.index,
        it.kind.label(),
        it.display_name(),
        sha
    )
}

/// All items the selector names (no ambiguity check).
pub fn matches<'a>(inv: &'a Inventory, sel: &str) -> Vec<&'a Item> {
    let sel_trim = sel.trim_start_matches("./");
    // PATH#INDEX
    if let Some((p, i)) = sel_trim.rsplit_once('#') {
        if let Ok(idx) = i.parse::<usize>() {
            return inv
                .items
                .iter()
                .filter(|it| (it.path == p || it.links.iter().any(|l| l == p)) && it.index == idx)
                .collect();
        }
    }
    let by_path: Vec<&Item> = inv
        .items
        .iter()
        .filter(|it| it.path == sel_trim || it.links.iter().any(|l| l == sel_trim))
        .collect();
    if !by_path.is_empty() {
        return by_path;
    }
    let hex_sel = sel.to_ascii_lowercase().replace(':', "");
    if hex_sel.len() >= 8 && hex_sel.bytes().all(|b| b.is_ascii_hexdigit()) {
        let by_fp: Vec<&Item> = inv
            .items
            .iter()
            .filter(|it| it.cert().is_some_and(|c| c.sha256.starts_with(&hex_sel)))
            .collect();
        if !by_fp.is_empty() {
            return by_fp;
        }
    }
    inv.items
        .iter()
        .filter(|it| {
            let cn = match &it.detail {
                crate::pki::Detail::Certificate(c) => c.common_name.as_deref(),
                crate::pki::Detail::Csr(c) => c.common_name.as_deref(),
                _ => None,
            };
            cn.is_some_and(|cn| cn.eq_ignore_ascii_case(sel))
        })
        .collect()
}

/// Exactly one item, or a clear error. The same certificate present in several files (a leaf
/// and its copy in a bundle) still counts as ambiguous: the caller must say which file.
pub fn resolve_one<'a>(inv: &'a Inventory, sel: &str) -> Result<&'a Item, SelectError> {
    let m = matches(inv, sel);
    match m.as_slice() {
        [] => Err(SelectError::NotFound(sel.to_string())),
        [one] => Ok(one),
        many => Err(SelectError::Ambiguous(
            sel.to_string(),
            many.iter().map(|it| describe(it)).collect(),
        )),
    }
}
