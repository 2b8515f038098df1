//! rehash: a trust dir's <hash>.N links as `openssl rehash` makes them.

use anyhow::{bail, Result};

use super::{guard_owned, join, Ctx};
use crate::pki::Item;
use crate::store::inventory::Inventory;
use crate::store::plan::{Op, Plan};
use crate::store::trustdir;

/// The certificates of the store in `dir` (files and the targets of its links).
pub(super) fn trust_dir_items<'a>(inv: &'a Inventory, dir: &str) -> Vec<&'a Item> {
    inv.items
        .iter()
        .filter(|it| {
            std::iter::once(&it.path)
                .chain(it.links.iter())
                .any(|p| p.rsplit_once('/').map(|(d, _)| d).unwrap_or("") == dir)
        })
        .collect()
}

/// Ops that make `dir`'s links exactly what `openssl rehash` would make once `sources` (the
/// dir after the plan's file changes) is the set of rehash sources.
pub(super) fn relink_ops(inv: &Inventory, dir: &str, sources: &[trustdir::Source]) -> Vec<Op> {
    let want = trustdir::wanted_links(sources);
    let have = trustdir::current_links(inv, dir);
    let mut ops = vec![];
    for (name, target) in &have {
        if target.is_some() && !want.contains_key(name) {
            // Stale (or dangling) link. A name that is still wanted with another target is
            // replaced by its Symlink op below (old link -> history); moving it here as well
            // would touch the same path twice and the plan would be rejected.
            ops.push(Op::MoveToHistory {
                path: join(dir, name),
            });
        }
    }
    for (name, target) in want {
        match have.get(&name) {
            Some(Some(t)) if *t == target => {}
            Some(None) => {} // a regular file with a hash name: data, left alone
            _ => ops.push(Op::Symlink {
                path: join(dir, &name),
                target,
            }),
        }
    }
    ops
}

/// rehash [DIR]: rebuild links like `openssl rehash`, removing stale and dangling ones.
pub fn rehash(ctx: &Ctx, dir: &str) -> Result<Plan> {
    let dir = dir.trim_matches('/');
    guard_owned(ctx.inv, dir)?;
    if !ctx.inv.store.join(dir).is_dir() {
        bail!("{dir} is not a directory of the store");
    }
    let mut plan = Plan::new(format!("rehash {}", if dir.is_empty() { "." } else { dir }));
    for op in relink_ops(ctx.inv, dir, &trustdir::sources(ctx.inv, dir)) {
        plan.push(op);
    }
    // Dangling hash links (target gone) are stale too; relink_ops already moves any link
    // whose target differs from the wanted one.
    Ok(plan)
}
