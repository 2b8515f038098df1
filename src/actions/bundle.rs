//! A CA bundle file kept in step with a trust dir.

use anyhow::Result;

use super::{guard_owned, Ctx};
use crate::pki::pem;
use crate::store::plan::{Op, Plan};

/// Keep a CA bundle file in step with the trust dir: after `plan`, the bundle holds every
/// certificate of the dir (by file name order, each once). Added to the plan only when its
/// content changes, so the old bundle goes to history like any replaced file.
pub fn with_bundle(ctx: &Ctx, mut plan: Plan, dir: &str, bundle: Option<&str>) -> Result<Plan> {
    let Some(bundle) = bundle else {
        return Ok(plan);
    };
    let dir = dir.trim_matches('/');
    let bundle = bundle.trim_matches('/');
    guard_owned(
        ctx.inv,
        bundle.rsplit_once('/').map(|(d, _)| d).unwrap_or(""),
    )?;
    // The bundle holds copies of trusted certs, so revoke may have planned to move it away:
    // rewriting it below supersedes that.
    plan.ops.retain(|op| op.path() != bundle);
    let in_dir = |p: &str| p.rsplit_once('/').map(|(d, _)| d).unwrap_or("") == dir;
    let removed: std::collections::HashSet<&str> = plan
        .ops
        .iter()
        .filter_map(|op| match op {
            Op::MoveToHistory { path } => Some(path.as_str()),
            _ => None,
        })
        .collect();
    // file path -> certificate DERs, as the dir will be after the plan.
    let mut files: std::collections::BTreeMap<String, Vec<Vec<u8>>> = Default::default();
    for it in &ctx.inv.items {
        if in_dir(&it.path) && it.path != bundle && !removed.contains(it.path.as_str()) {
            if let (Some(_), Some(der)) = (it.cert(), it.der.as_ref()) {
                files.entry(it.path.clone()).or_default().push(der.to_vec());
            }
        }
    }
    let opts = crate::pki::decode::DecodeOptions::default();
    for op in &plan.ops {
        if let Op::Write { path, contents, .. } = op {
            if in_dir(path) && path != bundle {
                let ders: Vec<Vec<u8>> = crate::pki::decode::decode_file(contents, path, &opts)
                    .into_iter()
                    .filter(|i| i.cert().is_some())
                    .filter_map(|i| i.der.map(|d| d.to_vec()))
                    .collect();
                files.insert(path.clone(), ders);
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    let mut body = String::new();
    for der in files.into_values().flatten() {
        if seen.insert(der.clone()) {
            body.push_str(&pem::encode("CERTIFICATE", &der));
        }
    }
    let current = std::fs::read(ctx.inv.store.join(bundle)).ok();
    if current.as_deref() != Some(body.as_bytes()) {
        plan.push(Op::write_public(bundle.to_string(), body.into_bytes()));
    }
    Ok(plan.with_missing_dirs(&ctx.inv.store))
}
