//! `certdeck list`: the inventory as a table or as the documented JSON contract.

use crate::pki::{Detail, Item};
use crate::store::inventory::Inventory;
use crate::store::layout::{certbot_lineages, Lineage};
use serde::Serialize;
use std::io::Write;

#[derive(Serialize)]
struct ListJson<'a> {
    store: String,
    items: &'a [Item],
    /// certbot lineages, when the store is (or contains) a letsencrypt directory.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    lineages: Vec<Lineage>,
}

pub fn to_json(inv: &Inventory) -> String {
    let mut buf = Vec::new();
    // Writing into a Vec cannot fail for I/O reasons; serialisation of our types cannot fail.
    let _ = write_json(inv, &mut buf);
    String::from_utf8(buf).unwrap_or_default()
}

/// Stream the JSON document to `w` (a 100,000-item store never exists as one String).
pub fn write_json(inv: &Inventory, w: impl std::io::Write) -> std::io::Result<()> {
    let doc = ListJson {
        store: inv.store.display().to_string(),
        items: &inv.items,
        lineages: certbot_lineages(inv),
    };
    let mut w = std::io::BufWriter::with_capacity(1 << 16, w);
    serde_json::to_writer_pretty(&mut w, &doc)?;
    w.write_all(b"\n")?;
    w.flush()
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
    let lineages = certbot_lineages(inv);
    if !lineages.is_empty() {
        out.push_str(&format!(
            "\ncertbot lineages:\n{:<24} {:>7} {:>6} {:<10} {:<12} {}\n",
            "NAME", "VERSION", "DAYS", "EXPIRES", "RENEWAL", "DOMAINS"
        ));
        for l in &lineages {
            out.push_str(&format!(
                "{:<24} {:>7} {:>6} {:<10} {:<12} {}\n",
                l.name,
                format!("cert{}", l.version),
                l.days_left,
                l.not_after.get(..10).unwrap_or(&l.not_after),
                if l.renewal_due { "due" } else { "not due" },
                l.domains.join(",")
            ));
        }
    }
    out
}
