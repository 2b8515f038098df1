//! `certdeck list`: the inventory as a table or as the documented JSON contract.

use crate::pki::{Detail, Item};
use crate::store::inventory::Inventory;
use serde::Serialize;

#[derive(Serialize)]
struct ListJson<'a> {
    store: String,
    items: &'a [Item],
}

pub fn to_json(inv: &Inventory) -> String {
    let doc = ListJson {
        store: inv.store.display().to_string(),
        items: &inv.items,
    };
    serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// One line per item, fixed columns, readable without colour.
pub fn to_table(inv: &Inventory) -> String {
    let mut out = format!(
        "{:<9} {:>6} {:<10} {:<8} {:<32} {}\n",
        "STATUS", "DAYS", "EXPIRES", "KIND", "NAME", "PATH"
    );
    for it in &inv.items {
        let (days, expires) = match &it.detail {
            Detail::Certificate(c) => (c.days_left.to_string(), c.not_after[..10].to_string()),
            _ => ("-".into(), "-".into()),
        };
        let loc = if it.index > 0 {
            format!("{}#{}", it.path, it.index)
        } else {
            it.path.clone()
        };
        let status = it.status().label();
        let mut name = it.display_name();
        if name.chars().count() > 32 {
            name = name.chars().take(31).collect::<String>() + "…";
        }
        out.push_str(&format!(
            "{:<9} {:>6} {:<10} {:<8} {:<32} {}",
            status,
            days,
            expires,
            it.kind.label(),
            name,
            loc
        ));
        if let Some(e) = &it.error {
            out.push_str(&format!("  ({e})"));
        }
        out.push('\n');
    }
    out
}
