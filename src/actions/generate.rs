//! generate ca|server|client|csr|dhparam: a new key and its certificate or CSR, or DH parameters.

use anyhow::{anyhow, bail, Result};
use rcgen::KeyPair;
use time::Duration;
use zeroize::Zeroizing;

use super::{check_store_arg, guard_new, guard_owned, join, load_ca, slug, Ctx, PRIVATE_DIR_MODE};
use crate::pki::issue::{self, IssueRequest, KeyType, Profile, Signer, SubjectSpec};
use crate::pki::keyload;
use crate::pki::pem;
use crate::store::plan::{Op, Plan};

/// What `generate` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenKind {
    Ca,
    Server,
    Client,
    Csr,
    /// RFC 7919 DH parameters (`dhparam`).
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
        Some(pass) => keyload::encrypted_pem(key, pass),
    }
}

/// generate ca|server|client|csr
pub fn generate(ctx: &Ctx, args: &GenerateArgs) -> Result<Plan> {
    if args.kind == GenKind::Dhparam {
        return dhparam(ctx, 2048, None);
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

/// `generate dhparam --bits N [--out REL]`: the RFC 7919 ffdhe group in PEM `DH PARAMETERS`.
/// Named groups need no generation (and `openssl dhparam` takes minutes for 4096 bits).
pub fn dhparam(ctx: &Ctx, bits: u32, out: Option<&str>) -> Result<Plan> {
    let der = crate::pki::dh::ffdhe_params_der(bits).map_err(|e| anyhow!(e))?;
    let out = out
        .map(str::to_string)
        .unwrap_or_else(|| format!("ffdhe{bits}.pem"));
    check_store_arg("--out", &out)?;
    guard_new(ctx.inv, &out, false)?;
    let mut plan = Plan::new(format!("generate dhparam ffdhe{bits}"));
    plan.push(Op::write_public(
        out,
        pem::encode("DH PARAMETERS", &der).into_bytes(),
    ));
    Ok(plan.with_missing_dirs(&ctx.inv.store))
}
