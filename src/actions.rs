//! User intents -> Plans. Shared by the TUI and the CLI: each action reads the inventory, checks
//! everything it can up front (key matches, CA has its key, no silent overwrite) and returns
//! the exact file operations; nothing is written here.

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use rcgen::KeyPair;
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use crate::pki::issue::{self, IssueRequest, KeyType, Profile, Signer, SubjectSpec};
use crate::pki::{pem, Detail, Item, ItemKind};
use crate::store::inventory::Inventory;
use crate::store::plan::{Op, Plan};
use crate::store::select;
use crate::store::trustdir;

pub mod export_to;
pub mod keyfile;
pub mod keyout;
pub mod keystore;
pub mod servercert;

/// Default trust directory inside a store (OpenSSL CApath style).
pub const DEFAULT_TRUST_DIR: &str = "trusted";
pub const PRIVATE_DIR_MODE: u32 = 0o700;
/// Validity of the CRLs certdeck signs. Longer than the default `--warn-days` (30), so a CRL
/// that was just signed does not make `audit` warn "crl-expiring" at once.
pub const CRL_DAYS: i64 = 90;

/// What every action needs besides its own arguments.
pub struct Ctx<'a> {
    pub inv: &'a Inventory,
    /// Tried in order on encrypted keys (CA keys, imports).
    pub passphrases: &'a [Zeroizing<String>],
    pub now: OffsetDateTime,
}

/// A file-name-safe form of a common name.
pub fn slug(cn: &str) -> String {
    let s: String = cn
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches(|c| c == '-' || c == '.').to_string();
    if s.is_empty() {
        "unnamed".into()
    } else {
        s
    }
}

fn join(dir: &str, name: &str) -> String {
    let dir = dir.trim_matches('/');
    if dir.is_empty() || dir == "." {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// A `--dir`/`--out` argument that names a place in the store: store-relative, without `..`
/// or control characters. `/abs/path` is refused rather than quietly read as `abs/path`.
pub fn check_store_arg(flag: &str, v: &str) -> Result<()> {
    if v.starts_with('/') {
        bail!("{flag} {v}: must be relative to the store root (an absolute path is not accepted)");
    }
    if v.split('/').any(|p| p == "..") {
        bail!("{flag} {v}: `..` would leave the store");
    }
    if let Some(c) = v.chars().find(|c| c.is_control()) {
        bail!(
            "{flag} {}: holds the control character {c:?}",
            v.escape_debug()
        );
    }
    Ok(())
}

fn exists(inv: &Inventory, rel: &str) -> bool {
    std::fs::symlink_metadata(inv.store.join(rel)).is_ok()
}

/// What `generate` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenKind {
    Ca,
    Server,
    Client,
    Csr,
    /// RFC 7919 DH parameters (`actions::keyfile::dhparam`).
    Dhparam,
}

impl std::str::FromStr for GenKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "ca" => Ok(GenKind::Ca),
            "server" => Ok(GenKind::Server),
            "client" => Ok(GenKind::Client),
            "csr" => Ok(GenKind::Csr),
            "dhparam" => Ok(GenKind::Dhparam),
            _ => Err(format!(
                "unknown kind '{s}' (ca, server, client, csr, dhparam)"
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateArgs {
    pub kind: GenKind,
    pub key_type: KeyType,
    pub subject: SubjectSpec,
    pub sans: Vec<String>,
    /// Default 398 for leaves, 3650 for CAs.
    pub days: Option<i64>,
    /// Selector of the signing CA; None = self-signed.
    pub ca: Option<String>,
    /// Store-relative directory for the files (default: the store root).
    pub dir: String,
    /// Encrypt the new key with this passphrase (PBES2 AES-256).
    pub encrypt_key: Option<Zeroizing<String>>,
    pub path_len: Option<u8>,
    /// Allow replacing existing files (old ones go to history).
    pub replace: bool,
}

impl GenerateArgs {
    pub fn new(kind: GenKind, cn: &str) -> Self {
        GenerateArgs {
            kind,
            key_type: KeyType::default(),
            subject: SubjectSpec {
                cn: cn.to_string(),
                ..Default::default()
            },
            sans: vec![],
            days: None,
            ca: None,
            dir: String::new(),
            encrypt_key: None,
            path_len: None,
            replace: false,
        }
    }
}

/// Key material for the plan: PKCS#8 PEM, encrypted when asked.
fn key_file_contents(
    key: &KeyPair,
    encrypt: Option<&Zeroizing<String>>,
) -> Result<Zeroizing<Vec<u8>>> {
    match encrypt {
        None => Ok(Zeroizing::new(issue::key_to_pkcs8_pem(key).into_bytes())),
        Some(pass) => keyout::encrypted_pem(key, pass),
    }
}

/// Refuse up front when `rel` (a file or directory an action will write) is inside a
/// certbot-owned tree; `WritableStore::apply` checks every op of the plan again.
pub fn guard_owned(inv: &Inventory, rel: &str) -> Result<()> {
    if crate::store::layout::certbot_owned(&inv.store, rel) {
        bail!("{rel}: {}", crate::store::layout::CERTBOT_OWNED);
    }
    Ok(())
}

fn guard_new(inv: &Inventory, rel: &str, replace: bool) -> Result<()> {
    guard_owned(inv, rel)?;
    if exists(inv, rel) && !replace {
        bail!("{rel} already exists (use --replace; the old file goes to history)");
    }
    Ok(())
}

/// A CA certificate of the store and its private key, ready to sign.
pub struct CaMaterial {
    pub item: Item,
    pub key: KeyPair,
    pub cert_der: Vec<u8>,
}

/// Resolve `sel` to one certificate. Unlike `select::resolve_one`, several files holding the
/// *same* certificate (a CA and its copy in the trust dir, a leaf and its fullchain) are not
/// ambiguous here: actions act on the certificate, so the copy with its key in the store (else
/// the first) stands for all of them. Different certificates still need a precise selector.
pub fn resolve_cert<'a>(inv: &'a Inventory, sel: &str) -> Result<&'a Item> {
    let m = select::matches(inv, sel);
    if m.len() > 1 {
        let sha = m[0].cert().map(|c| c.sha256.as_str());
        if sha.is_some()
            && m.iter()
                .all(|it| it.cert().map(|c| c.sha256.as_str()) == sha)
        {
            let pick = m
                .iter()
                .find(|it| it.cert().is_some_and(|c| !c.paired_keys.is_empty()))
                .unwrap_or(&m[0]);
            return Ok(pick);
        }
    }
    Ok(select::resolve_one(inv, sel)?)
}

/// Resolve `sel` to a CA certificate whose key is in the store.
pub fn load_ca(ctx: &Ctx, sel: &str) -> Result<CaMaterial> {
    let item = resolve_cert(ctx.inv, sel)?;
    let cert = item
        .cert()
        .ok_or_else(|| anyhow!("{} is not a certificate", item.path))?;
    if !cert.is_ca {
        bail!(
            "{} ({}) is not a CA (basicConstraints CA:FALSE)",
            item.display_name(),
            item.path
        );
    }
    let key_path = cert
        .paired_keys
        .iter()
        .find(|p| !p.contains(" ["))
        .ok_or_else(|| {
            anyhow!(
                "the private key of CA {} is not in the store; cannot sign",
                item.display_name()
            )
        })?;
    let key = load_private_key(&ctx.inv.store, key_path, ctx.passphrases)?;
    let cert_der = item
        .der
        .as_ref()
        .map(|d| d.to_vec())
        .ok_or_else(|| anyhow!("no DER for {}", item.path))?;
    Ok(CaMaterial {
        item: item.clone(),
        key,
        cert_der,
    })
}

/// Read a private key file of the store (PEM or DER, decrypting with the passphrases).
pub fn load_private_key(
    store: &Path,
    rel: &str,
    passphrases: &[Zeroizing<String>],
) -> Result<KeyPair> {
    let data = Zeroizing::new(
        std::fs::read(store.join(rel)).with_context(|| format!("cannot read key {rel}"))?,
    );
    key_from_bytes(&data, passphrases).with_context(|| format!("key {rel}"))
}

/// The first private key in `data` (PEM blocks or DER).
pub fn key_from_bytes(data: &[u8], passphrases: &[Zeroizing<String>]) -> Result<KeyPair> {
    keyout::load(data, passphrases).map(|l| l.key)
}

/// generate ca|server|client|csr
pub fn generate(ctx: &Ctx, args: &GenerateArgs) -> Result<Plan> {
    if args.kind == GenKind::Dhparam {
        return keyfile::dhparam(ctx, 2048, None);
    }
    if args.subject.cn.trim().is_empty() {
        bail!("a common name (--cn) is required");
    }
    check_store_arg("--dir", &args.dir)?;
    guard_owned(ctx.inv, &args.dir)?;
    let name = slug(&args.subject.cn);
    let key_rel = join(&join(&args.dir, "private"), &format!("{name}.key"));
    let key = issue::generate_key(args.key_type)?;
    let mut plan = Plan::new(format!(
        "generate {} {}",
        match args.kind {
            GenKind::Ca => "ca",
            GenKind::Server => "server",
            GenKind::Client => "client",
            GenKind::Csr => "csr",
            GenKind::Dhparam => "dhparam",
        },
        args.subject.cn
    ));
    guard_new(ctx.inv, &key_rel, args.replace)?;
    if args.kind == GenKind::Csr {
        let csr_rel = join(&args.dir, &format!("{name}.csr"));
        guard_new(ctx.inv, &csr_rel, args.replace)?;
        let der = issue::make_csr(&args.subject, &args.sans, &key)?;
        plan.push(Op::MkDir {
            path: join(&args.dir, "private"),
            mode: PRIVATE_DIR_MODE,
        });
        plan.push(Op::write_secret(
            key_rel,
            key_file_contents(&key, args.encrypt_key.as_ref())?,
        ));
        plan.push(Op::write_public(
            csr_rel,
            pem::encode("CERTIFICATE REQUEST", &der).into_bytes(),
        ));
        return Ok(plan.with_missing_dirs(&ctx.inv.store));
    }
    let profile = match args.kind {
        GenKind::Ca => Profile::Ca,
        GenKind::Server => Profile::Server,
        _ => Profile::Client,
    };
    let days = args
        .days
        .unwrap_or(if profile == Profile::Ca { 3650 } else { 398 });
    if days <= 0 {
        bail!("--days must be positive");
    }
    // Backdate a little so a peer with a slightly slow clock accepts it at once.
    let not_before = ctx.now - Duration::minutes(5);
    let req = IssueRequest {
        profile,
        subject: args.subject.clone(),
        sans: args.sans.clone(),
        not_before,
        not_after: ctx.now + Duration::days(days),
        path_len: args.path_len,
    };
    let cert_rel = join(&args.dir, &format!("{name}.pem"));
    guard_new(ctx.inv, &cert_rel, args.replace)?;
    let issued = match &args.ca {
        Some(sel) => {
            let ca = load_ca(ctx, sel)?;
            issue::issue(
                &req,
                &key,
                Some(Signer {
                    cert_der: &ca.cert_der,
                    key: &ca.key,
                }),
            )?
        }
        None => issue::issue(&req, &key, None)?,
    };
    plan.push(Op::MkDir {
        path: join(&args.dir, "private"),
        mode: PRIVATE_DIR_MODE,
    });
    plan.push(Op::write_secret(
        key_rel,
        key_file_contents(&key, args.encrypt_key.as_ref())?,
    ));
    plan.push(Op::write_public(cert_rel, issued.cert_pem.into_bytes()));
    Ok(plan.with_missing_dirs(&ctx.inv.store))
}

/// sign CSR --ca SELECTOR: issue a certificate for a CSR (its key stays where it was made).
pub fn sign_csr(
    ctx: &Ctx,
    csr_bytes: &[u8],
    ca_sel: &str,
    profile: Profile,
    days: i64,
    out_rel: Option<&str>,
) -> Result<Plan> {
    let der = if pem::looks_like_pem(csr_bytes) {
        pem::parse_blocks(csr_bytes)
            .into_iter()
            .find(|b| b.label.contains("CERTIFICATE REQUEST"))
            .and_then(|b| b.body.ok())
            .ok_or_else(|| anyhow!("no CERTIFICATE REQUEST block found"))?
    } else {
        csr_bytes.to_vec()
    };
    let ca = load_ca(ctx, ca_sel)?;
    let issued = issue::sign_csr(
        &der,
        profile,
        ctx.now - Duration::minutes(5),
        ctx.now + Duration::days(days),
        Signer {
            cert_der: &ca.cert_der,
            key: &ca.key,
        },
    )?;
    let cn = crate::pki::cert::summarize(&issued.cert_der, ctx.now.unix_timestamp(), 30)
        .ok()
        .and_then(|c| c.common_name)
        .unwrap_or_else(|| "signed".into());
    let out = out_rel
        .map(str::to_string)
        .unwrap_or_else(|| format!("{}.pem", slug(&cn)));
    check_store_arg("--out", &out)?;
    guard_new(ctx.inv, &out, false)?;
    let mut plan = Plan::new(format!("sign CSR {cn} with {}", ca.item.display_name()));
    plan.push(Op::write_public(out, issued.cert_pem.into_bytes()));
    Ok(plan.with_missing_dirs(&ctx.inv.store))
}

/// The certificates of the store in `dir` (files and the targets of its links).
fn trust_dir_items<'a>(inv: &'a Inventory, dir: &str) -> Vec<&'a Item> {
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
fn relink_ops(inv: &Inventory, dir: &str, sources: &[trustdir::Source]) -> Vec<Op> {
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

/// A fresh CRL for `ca` listing every serial revoked by that CA's CRLs in the store (those
/// whose signature verifies against `ca`, wherever they are: a server checking the trust dir
/// must not start accepting what `crl/` revoked), each with its original date and reason, plus
/// `extra_serial` (hex) revoked now. Its number is above every CRL number seen for the CA's
/// name. Returns (file name, PEM, issuer hash).
fn crl_for(
    ctx: &Ctx,
    ca: &CaMaterial,
    dir: &str,
    extra_serial: Option<&str>,
) -> Result<(String, Vec<u8>, String)> {
    let cert = ca
        .item
        .cert()
        .ok_or_else(|| anyhow!("CA is not a certificate"))?;
    let name = format!("{}.crl.pem", slug(&ca.item.display_name()));
    let mut entries: Vec<issue::CrlEntry> = vec![];
    let mut seen: std::collections::HashSet<String> = Default::default();
    let mut highest: Option<Vec<u8>> = None;
    // Certdeck's own CRL for this CA first, so its entries win over copies elsewhere.
    let target = join(dir, &name);
    let mut crls: Vec<&Item> = ctx
        .inv
        .items
        .iter()
        .filter(|it| matches!(&it.detail, Detail::Crl(c) if c.issuer_raw == cert.subject_raw()))
        .collect();
    crls.sort_by_key(|it| it.path != target);
    for it in crls {
        let (Detail::Crl(c), Some(der)) = (&it.detail, it.der.as_ref()) else {
            continue;
        };
        if let Some(n) = c.crl_number.as_deref().and_then(crl_number_bytes) {
            if highest.as_ref().is_none_or(|h| number_gt(&n, h)) {
                highest = Some(n);
            }
        }
        if crate::store::inventory::verify_crl(der, &ca.cert_der)
            != crate::pki::chain::SigCheck::Verified
        {
            continue;
        }
        for (serial, e) in crate::pki::revocation::entries_of_der(der) {
            if seen.insert(crate::pki::cert::serial_hex(&serial)) {
                entries.push(issue::CrlEntry {
                    serial,
                    when: OffsetDateTime::from_unix_timestamp(e.date_unix).unwrap_or(ctx.now),
                    reason: e.reason,
                });
            }
        }
    }
    if let Some(s) = extra_serial {
        if seen.insert(s.to_string()) {
            let b = hex::decode(s).map_err(|_| anyhow!("serial {s} is not hex"))?;
            // Keep the INTEGER positive: re-add the sign byte the hex form dropped.
            let serial = if b.first().is_some_and(|x| x & 0x80 != 0) {
                [vec![0u8], b].concat()
            } else {
                b
            };
            entries.push(issue::CrlEntry {
                serial,
                when: ctx.now,
                reason: None,
            });
        }
    }
    let number = next_crl_number(highest.as_deref())?;
    let der = issue::make_crl_entries(
        Signer {
            cert_der: &ca.cert_der,
            key: &ca.key,
        },
        &entries,
        ctx.now - Duration::minutes(5),
        ctx.now + Duration::days(CRL_DAYS),
        &number,
    )?;
    Ok((
        name,
        pem::encode("X509 CRL", &der).into_bytes(),
        cert.subject_hash.to_string(),
    ))
}

/// A CRL number in lowercase hex (as `CrlInfo::crl_number`) as big-endian octets without
/// leading zeros (zero is one 0 octet).
fn crl_number_bytes(hex_text: &str) -> Option<Vec<u8>> {
    let padded = if hex_text.len() % 2 == 1 {
        format!("0{hex_text}")
    } else {
        hex_text.to_string()
    };
    let b = hex::decode(padded).ok()?;
    let first = b
        .iter()
        .position(|x| *x != 0)
        .unwrap_or(b.len().saturating_sub(1));
    Some(b.get(first..).unwrap_or_default().to_vec())
}

/// `a > b` for big-endian unsigned octets without leading zeros.
fn number_gt(a: &[u8], b: &[u8]) -> bool {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b)) == std::cmp::Ordering::Greater
}

/// One above `highest` (1 when there is none), as octets for the CRL's INTEGER (with a sign
/// octet when the top bit is set). RFC 5280 caps CRL numbers at 20 octets.
fn next_crl_number(highest: Option<&[u8]>) -> Result<Vec<u8>> {
    let mut n = highest.map(<[u8]>::to_vec).unwrap_or_default();
    let mut carry = true;
    for b in n.iter_mut().rev() {
        let (v, c) = b.overflowing_add(1);
        *b = v;
        carry = c;
        if !carry {
            break;
        }
    }
    if carry {
        n.insert(0, 1);
    }
    if n.first().is_some_and(|x| x & 0x80 != 0) {
        n.insert(0, 0);
    }
    if n.len() > 20 {
        bail!("the CA's CRL number is at its limit (20 octets): sign no further CRLs with it");
    }
    Ok(n)
}

/// The CRL a plan is about to write, as a rehash source (its content is new, so its name is
/// its identity).
fn crl_source(name: String, issuer_hash: String) -> trustdir::Source {
    trustdir::Source {
        fingerprint: format!("crl:{name}"),
        name,
        hash: issuer_hash,
        crl: true,
    }
}

/// trust SELECTOR [--dir trusted]: copy the certificate into the trust dir and link it.
/// Refuses a revoked certificate (see `trust_opts`).
pub fn trust(ctx: &Ctx, sel: &str, dir: &str) -> Result<Plan> {
    trust_opts(ctx, sel, dir, false)
}

/// Why trusting `sel` is a mistake, when a CRL in the store revokes it ("mallory is revoked by
/// crl/root-ca.crl on ..."); `None` when it is not revoked or does not resolve.
pub fn revoked_warning(inv: &Inventory, sel: &str) -> Option<String> {
    let item = resolve_cert(inv, sel).ok()?;
    let r = item.cert()?.revocation.as_ref()?;
    Some(format!(
        "{} is {}: peers checking that CRL reject it",
        item.display_name(),
        r.describe()
    ))
}

/// `trust`; with `force`, a revoked certificate is trusted too (the caller showed the warning).
pub fn trust_opts(ctx: &Ctx, sel: &str, dir: &str, force: bool) -> Result<Plan> {
    let dir = dir.trim_matches('/');
    guard_owned(ctx.inv, dir)?;
    let item = resolve_cert(ctx.inv, sel)?;
    let cert = item
        .cert()
        .ok_or_else(|| anyhow!("{} is not a certificate", item.path))?;
    if !force {
        if let Some(w) = revoked_warning(ctx.inv, sel) {
            bail!("{w}; pass --force to trust it anyway");
        }
    }
    let der = item.der.as_ref().ok_or_else(|| anyhow!("no DER"))?;
    let existing = trust_dir_items(ctx.inv, dir);
    let copies: Vec<&&Item> = existing
        .iter()
        .filter(|it| it.cert().is_some_and(|c| c.sha256 == cert.sha256))
        .collect();
    if !copies.is_empty() {
        let linked = copies.iter().any(|it| {
            it.links.iter().any(|l| {
                let (d, n) = l.rsplit_once('/').unwrap_or(("", l.as_str()));
                d == dir && crate::pki::decode::is_hash_link_name(n)
            })
        });
        if !linked {
            // The file is already in the trust dir (a CApath store, or a cert dropped in by
            // hand) but OpenSSL cannot find it yet: only the link is missing.
            let mut plan = Plan::new(format!("trust {} (link only)", item.display_name()));
            for op in relink_ops(ctx.inv, dir, &trustdir::sources(ctx.inv, dir)) {
                plan.push(op);
            }
            if !plan.ops.is_empty() {
                return Ok(plan);
            }
        }
        bail!(
            "{} is already trusted in {}",
            item.display_name(),
            if dir.is_empty() { "." } else { dir }
        );
    }
    let file = format!("{}.pem", slug(&item.display_name()));
    let mut file_rel = join(dir, &file);
    if exists(ctx.inv, &file_rel) {
        file_rel = join(
            dir,
            &format!("{}-{}.pem", slug(&item.display_name()), &cert.sha256[..8]),
        );
    }
    let file_name = file_rel.rsplit('/').next().unwrap_or(&file_rel).to_string();
    let mut plan = Plan::new(format!("trust {}", item.display_name()));
    plan.push(Op::write_public(
        file_rel.clone(),
        pem::encode("CERTIFICATE", der).into_bytes(),
    ));
    let mut srcs = trustdir::sources(ctx.inv, dir);
    srcs.push(trustdir::Source {
        name: file_name,
        hash: cert.subject_hash.to_string(),
        fingerprint: hex::encode(cert.sha1),
        crl: false,
    });
    // A local CA whose key we hold gets its (empty) CRL next to it, so -crl_check works.
    if cert.is_ca && !cert.paired_keys.is_empty() {
        if let Ok(ca) = load_ca(ctx, &cert.sha256) {
            let (crl_name, crl_pem, hash) = crl_for(ctx, &ca, dir, None)?;
            plan.push(Op::write_public(join(dir, &crl_name), crl_pem));
            srcs.retain(|s| s.name != crl_name);
            srcs.push(crl_source(crl_name, hash));
        }
    }
    for op in relink_ops(ctx.inv, dir, &srcs) {
        plan.push(op);
    }
    Ok(plan.with_missing_dirs(&ctx.inv.store))
}

/// revoke SELECTOR: take the certificate out of the trust dir (to history) and, when its CA's
/// key is in the store, add it to that CA's CRL in the trust dir.
pub fn revoke(ctx: &Ctx, sel: &str, dir: &str) -> Result<Plan> {
    let dir = dir.trim_matches('/');
    guard_owned(ctx.inv, dir)?;
    let item = resolve_cert(ctx.inv, sel)?;
    let cert = item
        .cert()
        .ok_or_else(|| anyhow!("{} is not a certificate", item.path))?
        .clone();
    let mut plan = Plan::new(format!("revoke {}", item.display_name()));
    // Every copy of this certificate in the trust dir, and the links to them.
    let copies: Vec<&Item> = trust_dir_items(ctx.inv, dir)
        .into_iter()
        .filter(|it| it.cert().is_some_and(|c| c.sha256 == cert.sha256))
        .collect();
    let mut removed_names = vec![];
    for c in &copies {
        let (d, name) = c.path.rsplit_once('/').unwrap_or(("", c.path.as_str()));
        if d == dir {
            plan.push(Op::MoveToHistory {
                path: c.path.clone(),
            });
            removed_names.push(name.to_string());
        }
    }
    let mut srcs: Vec<_> = trustdir::sources(ctx.inv, dir)
        .into_iter()
        .filter(|s| !removed_names.contains(&s.name))
        .collect();
    // The issuing CA, if its key is here: re-sign its CRL with this serial added.
    let issuer = ctx.inv.items.iter().find(|it| {
        it.cert().is_some_and(|c| {
            c.is_ca
                && c.subject_raw() == cert.issuer_raw()
                && !c.paired_keys.is_empty()
                && it.der.as_ref().is_some_and(|d| {
                    item.der.as_ref().is_some_and(|leaf| {
                        crate::pki::chain::verify_signed_by(leaf, d)
                            == crate::pki::chain::SigCheck::Verified
                    })
                })
        })
    });
    let mut crl_written = false;
    if let Some(ca_item) = issuer {
        // By path: the CA may also sit in the trust dir (same fingerprint, two files).
        let ca = load_ca(ctx, &format!("{}#{}", ca_item.path, ca_item.index))?;
        let (crl_name, crl_pem, hash) = crl_for(ctx, &ca, dir, Some(&cert.serial))?;
        plan.push(Op::write_public(join(dir, &crl_name), crl_pem));
        srcs.retain(|s| s.name != crl_name);
        srcs.push(crl_source(crl_name, hash));
        crl_written = true;
    }
    if copies.is_empty() && !crl_written {
        bail!(
            "{} is not in trust dir {dir} and its CA's key is not in the store: nothing to revoke",
            item.display_name()
        );
    }
    let link_ops = relink_ops(ctx.inv, dir, &srcs);
    for op in link_ops {
        plan.push(op);
    }
    Ok(plan.with_missing_dirs(&ctx.inv.store))
}

/// import FILE...: certificates and keys from PEM/DER/PKCS#7/PKCS#12 into `dir`.
pub struct ImportArgs<'a> {
    pub files: &'a [(String, Vec<u8>)],
    pub dir: String,
    pub allow_orphan_key: bool,
    /// Encrypted keys stay encrypted unless this says `decrypt`.
    pub keys: keyout::KeyPolicy,
}

pub fn import(ctx: &Ctx, args: &ImportArgs) -> Result<Plan> {
    import_noted(ctx, args).map(|(p, _)| p)
}

/// `import`, and what it did to encrypted keys (the plan's action says it too; warnings go to
/// stderr).
pub fn import_noted(ctx: &Ctx, args: &ImportArgs) -> Result<(Plan, keyout::Notes)> {
    check_store_arg("--dir", &args.dir)?;
    guard_owned(ctx.inv, &args.dir)?;
    use crate::pki::decode::{decode_file, DecodeOptions};
    let opts = DecodeOptions {
        now: ctx.now.unix_timestamp(),
        warn_days: 30,
        passphrases: ctx.passphrases.to_vec(),
    };
    let mut certs: Vec<Item> = vec![];
    let mut keys: Vec<(Item, keyout::LoadedKey, String)> = vec![];
    for (name, data) in args.files {
        let items = decode_file(data, name, &opts);
        for it in items {
            if let Some(e) = &it.error {
                bail!("{name}: {e}");
            }
            match it.kind {
                ItemKind::Certificate => certs.push(it),
                ItemKind::PrivateKey => {
                    let key = if it.source == "PKCS12" {
                        // p12 keys: re-open the keystore to get the key bytes.
                        p12_key(data, it.alias.as_deref(), ctx.passphrases)?
                    } else {
                        keyout::load(data, ctx.passphrases).with_context(|| name.to_string())?
                    };
                    keys.push((it, key, name.clone()));
                }
                ItemKind::Keystore => {}
                other => bail!("{name}: cannot import a {}", other.label()),
            }
        }
    }
    if certs.is_empty() && keys.is_empty() {
        bail!("nothing to import");
    }
    let in_store = |sha: &str| {
        ctx.inv
            .items
            .iter()
            .any(|it| it.cert().is_some_and(|c| c.sha256 == sha))
    };
    let mut plan = Plan::new(format!(
        "import {}",
        args.files
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    // Leaves first; a bundle's non-leaf certs become its chain file.
    let leaf = certs
        .iter()
        .find(|c| c.cert().is_some_and(|c| !c.is_ca))
        .or(certs.first());
    let leaf_sha = leaf.and_then(|l| l.cert()).map(|c| c.sha256.clone());
    let mut wrote_any = false;
    if let Some(leaf) = leaf {
        let lc = leaf.cert().expect("certificate item");
        let name = slug(&leaf.display_name());
        if !in_store(&lc.sha256) {
            // Same key as an existing certificate: the new (CA-signed) one replaces it.
            let replaced = ctx.inv.items.iter().find(|it| {
                it.cert()
                    .is_some_and(|c| c.spki_bits() == lc.spki_bits() && c.sha256 != lc.sha256)
            });
            let target = match replaced {
                Some(old) => old.path.clone(),
                None => join(&args.dir, &format!("{name}.pem")),
            };
            if replaced.is_none() {
                guard_new(ctx.inv, &target, false)?;
            }
            let mut body = pem::encode("CERTIFICATE", leaf.der.as_deref().unwrap_or_default());
            let chain: Vec<&Item> = certs
                .iter()
                .filter(|c| c.cert().map(|x| &x.sha256) != Some(&lc.sha256))
                .collect();
            if replaced.is_some() {
                // Keep the file layout the server reads: leaf then chain in one file.
                for c in &chain {
                    body.push_str(&pem::encode(
                        "CERTIFICATE",
                        c.der.as_deref().unwrap_or_default(),
                    ));
                }
            } else if !chain.is_empty() {
                let mut cbody = String::new();
                for c in &chain {
                    cbody.push_str(&pem::encode(
                        "CERTIFICATE",
                        c.der.as_deref().unwrap_or_default(),
                    ));
                }
                let chain_rel = join(&args.dir, &format!("{name}.chain.pem"));
                guard_new(ctx.inv, &chain_rel, false)?;
                plan.push(Op::write_public(chain_rel, cbody.into_bytes()));
            }
            plan.push(Op::write_public(target, body.into_bytes()));
            wrote_any = true;
        }
    }
    let mut notes = keyout::Notes::default();
    for (kitem, loaded, from) in keys {
        let Some(k) = kitem.key() else { continue };
        let bits = k.public_bits.clone().unwrap_or_default();
        let pairs_import = certs
            .iter()
            .any(|c| c.cert().is_some_and(|c| c.spki_bits() == bits));
        let pairs_store = ctx
            .inv
            .items
            .iter()
            .any(|it| it.cert().is_some_and(|c| c.spki_bits() == bits));
        let key_in_store = ctx
            .inv
            .items
            .iter()
            .any(|it| it.key().and_then(|k| k.public_bits.as_ref()) == Some(&bits));
        if key_in_store {
            continue;
        }
        if !pairs_import && !pairs_store && !args.allow_orphan_key {
            bail!(
                "the private key in the import matches no certificate (in the import or the store); refusing (--allow-orphan-key to import it anyway)"
            );
        }
        let name = leaf
            .filter(|_| pairs_import)
            .map(|l| slug(&l.display_name()))
            .unwrap_or_else(|| {
                format!("imported-{}", &hex::encode(&bits)[..12.min(bits.len() * 2)])
            });
        let key_rel = join(&join(&args.dir, "private"), &format!("{name}.key"));
        guard_new(ctx.inv, &key_rel, false)?;
        let pem_bytes = keyout::key_pem(&loaded, &args.keys, &from, &mut notes)?;
        plan.push(Op::MkDir {
            path: join(&args.dir, "private"),
            mode: PRIVATE_DIR_MODE,
        });
        plan.push(Op::write_secret(key_rel, pem_bytes));
        wrote_any = true;
    }
    for n in notes.info.iter().chain(&notes.warnings) {
        plan.action.push_str("; ");
        plan.action.push_str(n);
    }
    if !wrote_any {
        bail!(
            "everything in the import is already in the store{}",
            leaf_sha
                .map(|s| format!(" (sha256 {})", &s[..16]))
                .unwrap_or_default()
        );
    }
    Ok((plan.with_missing_dirs(&ctx.inv.store), notes))
}

/// The key of a PKCS#12 entry; a non-empty password that opened it protects it further.
fn p12_key(
    data: &[u8],
    alias: Option<&str>,
    passphrases: &[Zeroizing<String>],
) -> Result<keyout::LoadedKey> {
    use p12_keystore::KeyStoreEntry;
    let opened = crate::pki::p12::open(data, passphrases)
        .map_err(|e| anyhow!("cannot open the PKCS#12 key: {e}"))?;
    for (a, e) in opened.ks.entries() {
        if let KeyStoreEntry::PrivateKeyChain(c) = e {
            if alias.is_none_or(|x| x == a) {
                let key = issue::key_from_der(c.key().as_der(), Some(issue::KeyFormat::Pkcs8))?;
                let protection = if opened.password.is_empty() {
                    keyout::Protection::Plain
                } else {
                    keyout::Protection::Passphrase(opened.password.clone())
                };
                return Ok(keyout::LoadedKey { key, protection });
            }
        }
    }
    bail!(
        "the PKCS#12 file holds no private key{}",
        alias
            .map(|a| format!(" under alias {a}"))
            .unwrap_or_default()
    )
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Pem,
    Der,
    Fullchain,
    CertKey,
    P12,
}

impl std::str::FromStr for ExportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "pem" => Ok(Self::Pem),
            "der" => Ok(Self::Der),
            "fullchain" => Ok(Self::Fullchain),
            "cert+key" => Ok(Self::CertKey),
            "p12" => Ok(Self::P12),
            _ => Err(format!(
                "unknown format '{s}' (pem, der, fullchain, cert+key, p12)"
            )),
        }
    }
}

impl ExportFormat {
    /// Does an export in this format hold the private key (mode 0600)?
    pub fn holds_key(self) -> bool {
        matches!(self, ExportFormat::CertKey | ExportFormat::P12)
    }
}

/// The bytes of an export, whether they hold a secret (file mode 0600), and what happened to
/// an encrypted key.
pub struct Exported {
    pub bytes: Zeroizing<Vec<u8>>,
    pub secret: bool,
    pub notes: keyout::Notes,
    /// The certificate's display name.
    pub name: String,
}

/// Export `sel`. An encrypted key stays encrypted in `cert+key` unless `keys.decrypt`.
pub fn export(
    ctx: &Ctx,
    sel: &str,
    format: ExportFormat,
    p12_password: Option<&Zeroizing<String>>,
    legacy_p12: bool,
    keys: &keyout::KeyPolicy,
) -> Result<Exported> {
    let mut notes = keyout::Notes::default();
    let (bytes, secret) =
        export_bytes(ctx, sel, format, p12_password, legacy_p12, keys, &mut notes)?;
    let name = resolve_cert(ctx.inv, sel)?.display_name();
    Ok(Exported {
        bytes,
        secret,
        notes,
        name,
    })
}

fn export_bytes(
    ctx: &Ctx,
    sel: &str,
    format: ExportFormat,
    p12_password: Option<&Zeroizing<String>>,
    legacy_p12: bool,
    keys: &keyout::KeyPolicy,
    notes: &mut keyout::Notes,
) -> Result<(Zeroizing<Vec<u8>>, bool)> {
    let item = resolve_cert(ctx.inv, sel)?;
    let cert = item
        .cert()
        .ok_or_else(|| anyhow!("{} is not a certificate", item.path))?;
    let der = item.der.as_ref().ok_or_else(|| anyhow!("no DER"))?;
    let chain_ders = || -> Vec<Vec<u8>> {
        cert.chain_issuers
            .iter()
            .filter(|l| !l.note.contains("self-signed root"))
            .filter_map(|l| {
                ctx.inv
                    .items
                    .iter()
                    .find(|it| it.cert().is_some_and(|c| c.sha256 == l.sha256))
                    .and_then(|it| it.der.as_ref().map(|d| d.to_vec()))
            })
            .collect()
    };
    let key = || -> Result<keyout::LoadedKey> {
        let kp = cert
            .paired_keys
            .iter()
            .find(|p| !p.contains(" ["))
            .ok_or_else(|| {
                anyhow!(
                    "the private key of {} is not in the store",
                    item.display_name()
                )
            })?;
        let data = Zeroizing::new(
            std::fs::read(ctx.inv.store.join(kp))
                .with_context(|| format!("cannot read key {kp}"))?,
        );
        keyout::load(&data, ctx.passphrases).with_context(|| format!("key {kp}"))
    };
    Ok(match format {
        ExportFormat::Pem => (
            Zeroizing::new(pem::encode("CERTIFICATE", der).into_bytes()),
            false,
        ),
        ExportFormat::Der => (Zeroizing::new(der.to_vec()), false),
        ExportFormat::Fullchain => {
            let mut s = pem::encode("CERTIFICATE", der);
            for c in chain_ders() {
                s.push_str(&pem::encode("CERTIFICATE", &c));
            }
            (Zeroizing::new(s.into_bytes()), false)
        }
        ExportFormat::CertKey => {
            let k = key()?;
            let kpem = keyout::key_pem(&k, keys, &item.display_name(), notes)?;
            let mut s = Zeroizing::new(pem::encode("CERTIFICATE", der).into_bytes());
            s.extend_from_slice(&kpem);
            (s, true)
        }
        ExportFormat::P12 => {
            use p12_keystore::{
                Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm,
                PrivateKey, PrivateKeyChain,
            };
            let pass = p12_password
                .ok_or_else(|| anyhow!("a PKCS#12 export needs a password (--passphrase-file)"))?;
            let k = key()?.key;
            let mut certs = vec![Certificate::from_der(der).map_err(|e| anyhow!("{e}"))?];
            for c in chain_ders() {
                certs.push(Certificate::from_der(&c).map_err(|e| anyhow!("{e}"))?);
            }
            let pk = PrivateKey::from_der(&k.serialize_der()).map_err(|e| anyhow!("{e}"))?;
            let local_id = cert.sha1.to_vec();
            let mut ks = KeyStore::new();
            let alias = slug(&item.display_name());
            ks.add_entry(
                &alias,
                KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(local_id, pk, certs)),
            );
            let mut w = ks.writer(pass);
            if legacy_p12 {
                w = w
                    .encryption_algorithm(EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc)
                    .mac_algorithm(MacAlgorithm::HmacSha1);
            }
            (Zeroizing::new(w.write().map_err(|e| anyhow!("{e}"))?), true)
        }
    })
}

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
