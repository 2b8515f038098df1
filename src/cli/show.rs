//! `certdeck show SELECTOR`: every detail of one item.

use crate::pki::cert::colon_hex;
use crate::pki::{Detail, Item};

pub fn to_json(store: &std::path::Path, it: &Item) -> String {
    let mut v = serde_json::to_value(it).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("store".into(), store.display().to_string().into());
    }
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

/// `label: value` lines, the same facts as the TUI details pane.
pub fn to_text(it: &Item) -> String {
    let mut l: Vec<(String, String)> = vec![
        ("path".into(), format!("{}#{}", it.path, it.index)),
        ("kind".into(), it.kind.label().into()),
    ];
    if let Some(a) = &it.alias {
        l.push(("alias".into(), a.clone()));
    }
    if let Some(e) = &it.error {
        l.push(("error".into(), e.clone()));
    }
    if !it.links.is_empty() {
        l.push(("linked as".into(), it.links.join(", ")));
    }
    for u in &it.used_by {
        l.push(("used by".into(), u.clone()));
    }
    match &it.detail {
        Detail::Certificate(c) => {
            let kv = |k: &str, v: String| (k.to_string(), v);
            l.extend([
                kv("subject", c.subject.clone()),
                kv("common name", c.common_name.clone().unwrap_or("-".into())),
                kv("issuer", c.issuer.clone()),
                kv("serial", c.serial.clone()),
                kv("not before", c.not_before()),
                kv("not after", c.not_after()),
                kv(
                    "days left",
                    format!("{} ({})", c.days_left, c.status.label()),
                ),
                kv(
                    "revoked",
                    c.revocation
                        .as_ref()
                        .map(|r| r.describe())
                        .unwrap_or_else(|| "no".into()),
                ),
                kv("SANs", c.sans.join(", ")),
                kv(
                    "key",
                    format!(
                        "{} {}",
                        c.key_algorithm,
                        c.key_bits.map(|b| format!("{b} bits")).unwrap_or_default()
                    ),
                ),
                kv("signature", c.signature_algorithm.to_string()),
                kv(
                    "basic constraints",
                    if c.is_ca {
                        format!(
                            "CA{}",
                            c.path_len
                                .map(|p| format!(", pathlen {p}"))
                                .unwrap_or_default()
                        )
                    } else {
                        "not a CA".into()
                    },
                ),
                kv("key usage", c.key_usage.join(", ")),
                kv("extended key usage", c.extended_key_usage.join(", ")),
                kv("SHA-256", colon_hex(&c.sha256)),
                kv("SHA-1", colon_hex(&hex::encode(c.sha1))),
                kv("subject hash", c.subject_hash.to_string()),
                kv("self-signed", c.self_signed.to_string()),
                kv(
                    "paired key",
                    if c.paired_keys.is_empty() {
                        "none in store".into()
                    } else {
                        c.paired_keys.join(", ")
                    },
                ),
                kv("chain", format!("{}: {}", c.chain.label(), c.chain_detail)),
            ]);
            for (i, link) in c.chain_links(&it.path).iter().enumerate() {
                l.push((
                    format!("  {}", if i == 0 { "└ leaf" } else { "└ issuer" }),
                    format!("{} ({}) {}", link.subject, link.path, link.note),
                ));
            }
        }
        Detail::PrivateKey(k) => {
            l.push(("algorithm".into(), k.key_algorithm.clone()));
            l.push((
                "bits".into(),
                k.key_bits.map(|b| b.to_string()).unwrap_or("-".into()),
            ));
            l.push(("format".into(), k.format.clone()));
            l.push(("encrypted".into(), k.encrypted.to_string()));
            if let Some(m) = &k.mode {
                l.push(("file mode".into(), m.clone()));
            }
            l.push((
                "pairs with".into(),
                if k.pairs_with.is_empty() {
                    "no certificate in the store".into()
                } else {
                    k.pairs_with.join(", ")
                },
            ));
        }
        Detail::Csr(c) => {
            l.push(("subject".into(), c.subject.clone()));
            l.push(("SANs".into(), c.sans.join(", ")));
            l.push(("key".into(), c.key_algorithm.clone()));
            l.push(("signature valid".into(), c.signature_valid.to_string()));
        }
        Detail::Crl(c) => {
            l.push(("issuer".into(), c.issuer.clone()));
            l.push(("this update".into(), c.this_update.clone()));
            l.push((
                "next update".into(),
                c.next_update.clone().unwrap_or("-".into()),
            ));
            l.push(("revoked".into(), c.revoked.join(", ")));
            l.push(("signature".into(), c.signature.clone()));
        }
        Detail::Keystore(k) => {
            l.push(("format".into(), k.format.clone()));
            l.push(("locked".into(), k.locked.to_string()));
            for e in &k.entries {
                l.push(("entry".into(), format!("{} ({})", e.alias, e.entry_type)));
            }
        }
        Detail::DhParams(d) => {
            l.push(("bits".into(), d.bits.to_string()));
            l.push((
                "group".into(),
                d.named_group.clone().unwrap_or("custom".into()),
            ));
        }
        Detail::None => {}
    }
    let w = l.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    // Every value may carry store text (names, paths, aliases, errors): one escape for all.
    l.iter()
        .map(|(k, v)| format!("{k:<w$}  {}\n", crate::text::escape_control(v)))
        .collect()
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The item: a store path (with #N for the Nth item of a file), a common name, or a
    /// SHA-256 prefix.
    pub selector: String,
    /// Print the item as JSON (the `list --json` item, with every detail).
    #[arg(long, help_heading = "Output")]
    pub json: bool,
}

pub fn run(g: &super::global::Global, a: Args) -> anyhow::Result<std::process::ExitCode> {
    let inv = super::global::load(g)?;
    let it = crate::store::select::resolve_one(&inv, &a.selector)?;
    super::output::out(&if a.json {
        to_json(&inv.store, it)
    } else {
        to_text(it)
    });
    Ok(std::process::ExitCode::SUCCESS)
}
