//! `certdeck list`: the inventory as a table or as the documented JSON contract.

use crate::pki::{Detail, Item};
use crate::store::inventory::Inventory;
use crate::store::layout::{certbot_lineages, Lineage};
use crate::text::escape_control as esc;
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
    let _ = write_json(inv, &mut buf, true);
    String::from_utf8(buf).unwrap_or_default()
}

/// Stream the JSON document to `w` (a 100,000-item store never exists as one String).
/// `pretty` for a person at a terminal; scripts get compact JSON (about 40% fewer bytes).
pub fn write_json(inv: &Inventory, w: impl std::io::Write, pretty: bool) -> std::io::Result<()> {
    let doc = ListJson {
        store: inv.store.display().to_string(),
        items: &inv.items,
        lineages: certbot_lineages(inv),
    };
    let mut w = std::io::BufWriter::with_capacity(1 << 16, w);
    if pretty {
        serde_json::to_writer_pretty(&mut w, &doc)?;
    } else {
        write_compact(&doc, &mut w, 4096)?;
    }
    w.write_all(b"\n")?;
    w.flush()
}

/// Exactly `serde_json::to_writer(doc)`, with the items serialised on all cores a window at a
/// time (serialising was the longest serial step of a big `list --json`; a window bounds the
/// memory the rendered text takes).
fn write_compact(
    doc: &ListJson,
    w: &mut impl std::io::Write,
    window: usize,
) -> std::io::Result<()> {
    use rayon::prelude::*;
    w.write_all(b"{\"store\":")?;
    serde_json::to_writer(&mut *w, &doc.store)?;
    w.write_all(b",\"items\":[")?;
    for (n, items) in doc.items.chunks(window).enumerate() {
        let parts: Vec<Vec<u8>> = items
            .par_chunks((window / 16).max(1))
            .map(|chunk| {
                let mut buf = Vec::with_capacity(chunk.len() * 1024);
                for (i, it) in chunk.iter().enumerate() {
                    if i > 0 {
                        buf.push(b',');
                    }
                    // Serialising our types into a Vec cannot fail.
                    let _ = serde_json::to_writer(&mut buf, it);
                }
                buf
            })
            .collect();
        for (i, part) in parts.iter().enumerate() {
            if n > 0 || i > 0 {
                w.write_all(b",")?;
            }
            w.write_all(part)?;
        }
    }
    w.write_all(b"]")?;
    if !doc.lineages.is_empty() {
        w.write_all(b",\"lineages\":")?;
        serde_json::to_writer(&mut *w, &doc.lineages)?;
    }
    w.write_all(b"}")
}

/// One line per item, fixed columns, readable without colour.
pub fn to_table(inv: &Inventory) -> String {
    let mut out = format!(
        "{:<9} {:>6} {:<10} {:<8} {:<32} {}\n",
        "STATUS", "DAYS", "EXPIRES", "KIND", "NAME", "PATH"
    );
    for it in &inv.items {
        let (days, expires) = match &it.detail {
            Detail::Certificate(c) => (
                c.days_left.to_string(),
                c.not_after().get(..10).unwrap_or("-").to_string(),
            ),
            _ => ("-".into(), "-".into()),
        };
        let loc = if it.index > 0 {
            format!("{}#{}", esc(&it.path), it.index)
        } else {
            esc(&it.path).into_owned()
        };
        let status = it.status().label();
        // Escape before cutting, so a cut never splits an escape into something else.
        let mut name = esc(&it.display_name()).into_owned();
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
            out.push_str(&format!("  ({})", esc(e)));
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
                esc(&l.name),
                format!("cert{}", l.version),
                l.days_left,
                l.not_after.get(..10).unwrap_or(&l.not_after),
                if l.renewal_due { "due" } else { "not due" },
                esc(&l.domains.join(","))
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_compact_json_is_serde_json_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        crate::demo::create_demo_store(dir.path(), time::OffsetDateTime::now_utc()).unwrap();
        let inv = crate::store::scan::scan(dir.path(), &Default::default());
        assert!(inv.items.len() > 5, "demo store has items");
        let doc = ListJson {
            store: inv.store.display().to_string(),
            items: &inv.items,
            lineages: certbot_lineages(&inv),
        };
        let want = String::from_utf8(serde_json::to_vec(&doc).unwrap()).unwrap();
        // Windows and chunks of every small size, so item separators at each boundary count.
        for window in [1, 2, 3, 5, 4096] {
            let mut ours = Vec::new();
            write_compact(&doc, &mut ours, window).unwrap();
            assert_eq!(String::from_utf8(ours).unwrap(), want, "window {window}");
        }
    }
}

#[derive(clap::Args, Debug)]
#[command(next_help_heading = "Output")]
pub struct Args {
    /// Print the JSON contract documented in README.md.
    #[arg(long)]
    pub json: bool,
    /// Build chains by names and key identifiers without checking signatures (`chain` is
    /// `unverified`): an expiry inventory of 100,000 CA-issued certificates in a fraction
    /// of the time, since each signature check costs tens of microseconds.
    #[arg(long)]
    pub no_verify: bool,
}

pub fn run(g: &super::global::Global, a: Args) -> anyhow::Result<std::process::ExitCode> {
    let inv = super::global::load_with(g, |o| o.analyze.verify_signatures = !a.no_verify)?;
    if a.json {
        // A closed pipe (`| head`) is not an error.
        use std::io::IsTerminal;
        let stdout = std::io::stdout();
        let pretty = stdout.is_terminal();
        let _ = write_json(&inv, stdout.lock(), pretty);
        crate::timing::mark("json");
    } else {
        super::output::out(&to_table(&inv));
    }
    // 100,000 items hold millions of small allocations; the process exit returns them
    // all at once, freeing them one by one first would only delay the prompt.
    std::mem::forget(inv);
    Ok(std::process::ExitCode::SUCCESS)
}
