//! Java PKCS#12 keystores, keytool style: `genkeypair`, `certreq`, `import-reply`,
//! `add-trusted`, `passwd`. Each returns a Plan whose only write is the whole keystore file
//! (mode 0600; the old file moves to history).
//!
//! Store password: an existing keystore opens with the `--passphrase-file` passphrase (then the
//! empty one); a new keystore gets the new passphrase when one is given, else that one. Aliases are
//! stored lower-case and compared case-insensitively, as Java does for PKCS#12.

use anyhow::{anyhow, bail, Context, Result};
use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
use sha1::{Digest, Sha1};
use time::Duration;
use zeroize::Zeroizing;

use super::{exists, guard_new, guard_owned, Ctx};
use crate::pki::chain::{verify_signed_by, SigCheck};
use crate::pki::decode::{decode_file, DecodeOptions};
use crate::pki::issue::{self, IssueRequest, KeyType, Profile, SubjectSpec};
use crate::pki::p12::{self, OpenedP12};
use crate::pki::{pem, Item, ItemKind};
use crate::store::plan::{Op, Plan};

/// keytool refuses store passwords shorter than this.
pub const MIN_STORE_PASSWORD: usize = 6;

fn check_new_password(p: &str) -> Result<()> {
    if p.chars().count() < MIN_STORE_PASSWORD {
        bail!("keystore passwords must be at least {MIN_STORE_PASSWORD} characters (keytool refuses shorter ones)");
    }
    Ok(())
}

fn open(ctx: &Ctx, file: &str) -> Result<OpenedP12> {
    guard_owned(ctx.inv, file)?;
    let data = Zeroizing::new(
        std::fs::read(ctx.inv.store.join(file)).with_context(|| format!("cannot read {file}"))?,
    );
    if data.starts_with(&[0xfe, 0xed, 0xfe, 0xed]) || data.starts_with(&[0xce, 0xce, 0xce, 0xce]) {
        bail!(
            "{file} is a JKS/JCEKS keystore, which certdeck does not write; convert it first: \
             keytool -importkeystore -srckeystore {file} -destkeystore {file}.p12 -deststoretype pkcs12"
        );
    }
    let opened = p12::open(&data, ctx.passphrases).map_err(|e| match e {
        p12::P12Error::WrongPassword { .. } => {
            anyhow!("cannot open keystore {file}: wrong password (give it with --passphrase-file)")
        }
        other => anyhow!("cannot open keystore {file}: {other}"),
    })?;
    Ok(opened)
}

/// Open for rewriting: refuse when a rewrite would lose bags p12-keystore cannot represent.
fn open_for_write(ctx: &Ctx, file: &str) -> Result<OpenedP12> {
    let o = open(ctx, file)?;
    if o.unrepresented > 0 {
        bail!(
            "{file} holds {} key/certificate bag(s) that belong to no entry; rewriting it would drop \
             them, so certdeck leaves it alone (use keytool)",
            o.unrepresented
        );
    }
    Ok(o)
}

/// Existing keystore, or a new empty one with its password.
fn open_or_new(
    ctx: &Ctx,
    file: &str,
    new_pass: Option<&Zeroizing<String>>,
) -> Result<(KeyStore, Zeroizing<String>, bool)> {
    guard_owned(ctx.inv, file)?;
    if exists(ctx.inv, file) {
        let o = open_for_write(ctx, file)?;
        return Ok((o.ks, o.password, false));
    }
    let pass = new_pass
        .or(ctx.passphrases.first())
        .cloned()
        .ok_or_else(|| {
            anyhow!("a new keystore needs a password: --new-passphrase-file (or --passphrase-file)")
        })?;
    check_new_password(&pass)?;
    Ok((KeyStore::new(), pass, true))
}

fn write_plan(ctx: &Ctx, action: String, file: &str, ks: &KeyStore, pass: &str) -> Result<Plan> {
    let bytes = ks
        .writer(pass)
        .write()
        .map_err(|e| anyhow!("cannot encode the keystore: {e}"))?;
    let mut plan = Plan::new(action);
    plan.push(Op::write_secret(file.to_string(), Zeroizing::new(bytes)));
    Ok(plan.with_missing_dirs(&ctx.inv.store))
}

fn key_chain<'a>(
    ks: &'a KeyStore,
    file: &str,
    alias: &str,
) -> Result<(String, &'a PrivateKeyChain)> {
    match p12::find_alias(ks, alias) {
        Some((a, KeyStoreEntry::PrivateKeyChain(c))) => Ok((a.clone(), c)),
        Some((a, _)) => bail!("alias {a} of {file} is not a private key entry"),
        None => bail!("{file} has no alias {alias}"),
    }
}

/// `genkeypair FILE --alias A --cn CN`: a new key and a self-signed certificate under `alias`.
pub struct GenKeyPairArgs {
    pub file: String,
    pub alias: String,
    pub subject: SubjectSpec,
    pub sans: Vec<String>,
    pub key_type: KeyType,
    pub days: i64,
}

pub fn genkeypair(
    ctx: &Ctx,
    args: &GenKeyPairArgs,
    new_pass: Option<&Zeroizing<String>>,
) -> Result<Plan> {
    let alias = args.alias.trim().to_lowercase();
    if alias.is_empty() {
        bail!("an alias is needed (--alias)");
    }
    if args.days <= 0 {
        bail!("--days must be positive");
    }
    let (mut ks, pass, new) = open_or_new(ctx, &args.file, new_pass)?;
    if let Some((a, _)) = p12::find_alias(&ks, &alias) {
        bail!("alias {a} already exists in {}", args.file);
    }
    let key = issue::generate_key(args.key_type)?;
    let req = IssueRequest {
        profile: Profile::Server,
        subject: args.subject.clone(),
        sans: args.sans.clone(),
        not_before: ctx.now - Duration::minutes(5),
        not_after: ctx.now + Duration::days(args.days),
        path_len: None,
    };
    let cert = issue::issue(&req, &key, None)?;
    let local_id = Sha1::digest(&cert.cert_der).to_vec();
    let pk = PrivateKey::from_der(&key.serialize_der()).map_err(|e| anyhow!("{e}"))?;
    let c = Certificate::from_der(&cert.cert_der).map_err(|e| anyhow!("{e}"))?;
    ks.add_entry(
        &alias,
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(local_id, pk, vec![c])),
    );
    write_plan(
        ctx,
        format!(
            "keystore genkeypair {alias} ({}) in {}{}",
            args.subject.cn,
            args.file,
            if new { " (new keystore)" } else { "" }
        ),
        &args.file,
        &ks,
        &pass,
    )
}

/// `certreq FILE --alias A --out REL.csr`: a CSR for the entry's key, subject and SANs copied from
/// its certificate (as `keytool -certreq`).
pub fn certreq(ctx: &Ctx, file: &str, alias: &str, out: &str, sans: &[String]) -> Result<Plan> {
    let o = open(ctx, file)?;
    let (a, chain) = key_chain(&o.ks, file, alias)?;
    let leaf = chain.certs().first().ok_or_else(|| {
        anyhow!("alias {a} of {file} has no certificate to take the subject from")
    })?;
    let key = issue::key_from_der(chain.key().as_der(), Some(issue::KeyFormat::Pkcs8))
        .with_context(|| format!("key of alias {a}"))?;
    let der = issue::make_csr_like_cert(leaf.as_der(), sans, &key)?;
    guard_new(ctx.inv, out, false)?;
    let mut plan = Plan::new(format!("keystore certreq {a} from {file}"));
    plan.push(Op::write_public(
        out.to_string(),
        pem::encode("CERTIFICATE REQUEST", &der).into_bytes(),
    ));
    Ok(plan.with_missing_dirs(&ctx.inv.store))
}

fn certificates_in(data: &[u8], name: &str, ctx: &Ctx) -> Result<Vec<Item>> {
    let opts = DecodeOptions {
        now: ctx.now.unix_timestamp(),
        warn_days: 30,
        passphrases: ctx.passphrases.to_vec(),
    };
    let mut out = vec![];
    for it in decode_file(data, name, &opts) {
        if let Some(e) = &it.error {
            bail!("{name}: {e}");
        }
        if it.kind == ItemKind::Certificate && it.der.is_some() {
            out.push(it);
        }
    }
    if out.is_empty() {
        bail!("{name}: no certificate found");
    }
    Ok(out)
}

fn der_of(it: &Item) -> &[u8] {
    it.der.as_deref().unwrap_or_default()
}

/// `import-reply FILE --alias A REPLY`: replace the entry's certificate chain with the CA reply.
/// The reply's leaf must carry the entry's public key. Issuers missing from the reply are taken
/// from the keystore's trusted entries and then from the store (signatures verified), like
/// keytool does with its trusted entries and cacerts.
pub fn import_reply(
    ctx: &Ctx,
    file: &str,
    alias: &str,
    reply: &[u8],
    reply_name: &str,
) -> Result<Plan> {
    let o = open_for_write(ctx, file)?;
    let (a, chain) = key_chain(&o.ks, file, alias)?;
    let key = issue::key_from_der(chain.key().as_der(), Some(issue::KeyFormat::Pkcs8))
        .with_context(|| format!("key of alias {a}"))?;
    let certs = certificates_in(reply, reply_name, ctx)?;
    let entry_key = key.public_key_raw().to_vec();
    let leaf = certs
        .iter()
        .find(|c| c.cert().is_some_and(|c| c.spki_bits() == entry_key))
        .ok_or_else(|| {
            anyhow!(
                "the public key of the reply {reply_name} does not match the key of alias {a} in {file}; refusing"
            )
        })?;
    if chain.certs().first().map(|c| c.as_der()) == Some(der_of(leaf)) {
        bail!("alias {a} already holds this certificate");
    }
    // Candidate issuers: the reply, the keystore's trusted entries, the store.
    let mut pool: Vec<Vec<u8>> = certs.iter().map(|c| der_of(c).to_vec()).collect();
    for (_, e) in o.ks.entries() {
        if let KeyStoreEntry::Certificate(c) = e {
            pool.push(c.as_der().to_vec());
        }
    }
    pool.extend(
        ctx.inv
            .items
            .iter()
            .filter(|it| it.cert().is_some_and(|c| c.is_ca))
            .map(|it| der_of(it).to_vec()),
    );
    let summary = |d: &[u8]| crate::pki::cert::summarize(d, ctx.now.unix_timestamp(), 30).ok();
    let mut path = vec![der_of(leaf).to_vec()];
    for _ in 0..8 {
        let Some(cur) = path.last().and_then(|d| summary(d)) else {
            break;
        };
        if cur.self_signed || cur.subject_raw() == cur.issuer_raw() {
            break;
        }
        let last = path.last().cloned().unwrap_or_default();
        let issuer = pool.iter().find(|cand| {
            summary(cand).is_some_and(|c| c.subject_raw() == cur.issuer_raw() && c.is_ca)
                && verify_signed_by(&last, cand) == SigCheck::Verified
                && !path.contains(cand)
        });
        match issuer {
            Some(i) => path.push(i.clone()),
            None => {
                if path.len() == 1 {
                    bail!(
                        "cannot establish the chain of the reply: its issuer ({}) is not in the reply, \
                         a trusted entry of {file} or the store; give the whole chain (leaf and CA \
                         certificates) in {reply_name}",
                        cur.issuer
                    );
                }
                break;
            }
        }
    }
    let mut new_certs = vec![];
    for d in &path {
        new_certs.push(Certificate::from_der(d).map_err(|e| anyhow!("{e}"))?);
    }
    let n = new_certs.len();
    let mut ks = o.ks.clone();
    ks.add_entry(
        &a,
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(
            chain.local_key_id().clone(),
            chain.key().clone(),
            new_certs,
        )),
    );
    write_plan(
        ctx,
        format!("keystore import-reply {a} in {file} (chain of {n})"),
        file,
        &ks,
        &o.password,
    )
}

/// Put a new key and its chain (leaf first) under `alias`, replacing what the alias held, as a
/// Java server's keystore is renewed (ACME into Spring's `server.ssl.key-store`). A missing
/// keystore is created with `new_pass` (else the first passphrase).
pub fn set_key_chain(
    ctx: &Ctx,
    file: &str,
    alias: &str,
    key_pkcs8_der: &[u8],
    chain_der: &[Vec<u8>],
    new_pass: Option<&Zeroizing<String>>,
) -> Result<Plan> {
    let alias = alias.trim().to_lowercase();
    if alias.is_empty() {
        bail!("an alias is needed");
    }
    let Some(leaf) = chain_der.first() else {
        bail!("no certificate to put under alias {alias}");
    };
    let (mut ks, pass, new) = open_or_new(ctx, file, new_pass)?;
    let alias = match p12::find_alias(&ks, &alias) {
        Some((a, KeyStoreEntry::PrivateKeyChain(_))) => a.clone(),
        Some((a, _)) => {
            bail!("alias {a} of {file} is not a private key entry; refusing to replace it")
        }
        None => alias,
    };
    let mut certs = vec![];
    for d in chain_der {
        certs.push(Certificate::from_der(d).map_err(|e| anyhow!("{e}"))?);
    }
    let pk = PrivateKey::from_der(key_pkcs8_der).map_err(|e| anyhow!("{e}"))?;
    ks.add_entry(
        &alias,
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(
            Sha1::digest(leaf).to_vec(),
            pk,
            certs,
        )),
    );
    write_plan(
        ctx,
        format!(
            "keystore: new key and chain of {} under alias {alias} in {file}{}",
            chain_der.len(),
            if new { " (new keystore)" } else { "" }
        ),
        file,
        &ks,
        &pass,
    )
}

/// `add-trusted FILE --alias A CERT`: a trusted certificate entry (truststore / cacerts style).
/// p12-keystore writes it with Oracle's trusted-key-usage attribute (anyExtendedKeyUsage), which
/// is what makes Java list it as `trustedCertEntry`.
pub fn add_trusted(
    ctx: &Ctx,
    file: &str,
    alias: &str,
    cert: &[u8],
    cert_name: &str,
    new_pass: Option<&Zeroizing<String>>,
) -> Result<Plan> {
    let alias = alias.trim().to_lowercase();
    if alias.is_empty() {
        bail!("an alias is needed (--alias)");
    }
    let certs = certificates_in(cert, cert_name, ctx)?;
    if certs.len() != 1 {
        bail!(
            "{cert_name} holds {} certificates; add them one alias at a time",
            certs.len()
        );
    }
    let der = der_of(&certs[0]).to_vec();
    let (mut ks, pass, new) = open_or_new(ctx, file, new_pass)?;
    if let Some((a, _)) = p12::find_alias(&ks, &alias) {
        bail!("alias {a} already exists in {file}");
    }
    if let Some((a, _)) = ks
        .entries()
        .find(|(_, e)| matches!(e, KeyStoreEntry::Certificate(c) if c.as_der() == der.as_slice()))
    {
        bail!("this certificate is already trusted in {file} under alias {a}");
    }
    ks.add_entry(
        &alias,
        KeyStoreEntry::Certificate(Certificate::from_der(&der).map_err(|e| anyhow!("{e}"))?),
    );
    write_plan(
        ctx,
        format!(
            "keystore add-trusted {alias} ({}) to {file}{}",
            certs[0].display_name(),
            if new { " (new keystore)" } else { "" }
        ),
        file,
        &ks,
        &pass,
    )
}

/// `passwd FILE`: re-encrypt the keystore (entries and MAC) with a new password.
pub fn passwd(ctx: &Ctx, file: &str, new_pass: &Zeroizing<String>) -> Result<Plan> {
    if ctx.passphrases.is_empty() {
        bail!("give the current password with --passphrase-file");
    }
    let o = open_for_write(ctx, file)?;
    check_new_password(new_pass)?;
    if new_pass.as_str() == o.password.as_str() {
        bail!("the new password is the current one");
    }
    write_plan(
        ctx,
        format!("keystore passwd {file}"),
        file,
        &o.ks,
        new_pass,
    )
}
