//! Shared fixtures for the TUI tests: hand-built items, a pinned "now", render-to-text helpers.
#![allow(dead_code)]

use certdeck::pki::{
    CertInfo, ChainLink, ChainStatus, CsrInfo, Detail, Item, ItemKind, KeyInfo, NameHash, Status,
};
use certdeck::tui::app::{App, Msg};
use certdeck::tui::theme::Theme;
use certdeck::tui::view;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

/// 2026-01-01T00:00:00Z: every "days left" in the snapshots is relative to this.
pub const NOW: i64 = 1_767_225_600;
const DAY: i64 = 86_400;

/// The made-up SHA-256 of the fixture certificate `cn` at `path`.
fn fingerprint(cn: &str, path: &str) -> String {
    format!("{cn}{path}")
        .bytes()
        .cycle()
        .take(32)
        .map(|b| format!("{:02x}", b))
        .collect()
}

/// A chain link naming the fixture certificate `cn` at `path` (its fingerprint too).
fn link(cn: &str, path: &str, note: &str) -> std::sync::Arc<ChainLink> {
    std::sync::Arc::new(ChainLink {
        subject: format!("C=US, O=Example, CN={cn}").into(),
        sha256: fingerprint(cn, path),
        path: path.into(),
        note: note.into(),
    })
}

pub fn cert(path: &str, cn: &str, days: i64, issuer_cn: &str) -> Item {
    let mut it = Item::new(ItemKind::Certificate, "CERTIFICATE");
    it.path = path.into();
    let fp = fingerprint(cn, path);
    let is_ca = cn.contains("CA");
    it.detail = Detail::Certificate(Box::new(CertInfo {
        subject: format!("C=US, O=Example, CN={cn}"),
        common_name: Some(cn.into()),
        issuer: format!("C=US, O=Example, CN={issuer_cn}"),
        serial: "01:23:45:67".into(),
        not_after_unix: NOW + days * DAY,
        not_before_unix: NOW - 365 * DAY,
        days_left: days,
        sha256: fp.clone(),
        sha1: hex::decode(&fp[..40]).unwrap().try_into().unwrap(),
        subject_hash: NameHash(Some(0x9d66eef0)),
        issuer_hash: NameHash(Some(0x1a2b3c4d)),
        sans: if is_ca {
            vec![].into()
        } else {
            vec![format!("DNS:{cn}"), format!("DNS:alt.{cn}")].into()
        },
        is_ca,
        path_len: is_ca.then_some(0),
        key_algorithm: "RSA".into(),
        key_bits: Some(2048),
        signature_algorithm: "sha256WithRSAEncryption".into(),
        self_signed: cn == issuer_cn,
        key_usage: vec!["digitalSignature".into(), "keyEncipherment".into()].into(),
        extended_key_usage: if is_ca {
            vec![].into()
        } else {
            vec!["serverAuth".into()].into()
        },
        version: 3,
        chain: ChainStatus::Valid,
        status: Status::Ok,
        ..Default::default()
    }));
    it
}

/// A small store: a valid three-link chain, an expiring and an expired leaf, a key, a CSR and a
/// file that failed to decode.
pub fn store() -> Vec<Item> {
    let mut leaf = cert(
        "live/www/cert.pem",
        "www.example.com",
        200,
        "Example Intermediate CA",
    );
    {
        let c = leaf.cert_mut().unwrap();
        c.chain_detail = "every signature verified".into();
        c.chain_note = Some("verified".into());
        c.chain_issuers = vec![
            link("Example Intermediate CA", "live/www/chain.pem", "verified"),
            link("Example Root CA", "ca/root.pem", "self-signed"),
        ];
        c.paired_keys = vec!["live/www/privkey.pem".into()];
    }
    let leaf_sha = leaf.cert().unwrap().sha256.clone();
    let mut inter = cert(
        "live/www/chain.pem",
        "Example Intermediate CA",
        900,
        "Example Root CA",
    );
    inter.cert_mut().unwrap().chain_note = Some("verified".into());
    inter.cert_mut().unwrap().chain_issuers =
        vec![link("Example Root CA", "ca/root.pem", "self-signed")];
    let mut root = cert("ca/root.pem", "Example Root CA", 3650, "Example Root CA");
    root.cert_mut().unwrap().chain_note = Some("self-signed".into());
    let mut expiring = cert(
        "mail/cert.pem",
        "mail.example.com",
        12,
        "Example Intermediate CA",
    );
    expiring.cert_mut().unwrap().status = Status::Expiring;
    let mut expired = cert("old/cert.pem", "old.example.com", -20, "Gone CA");
    {
        let c = expired.cert_mut().unwrap();
        c.status = Status::Expired;
        c.chain = ChainStatus::Incomplete;
        c.chain_detail = "issuer \"Gone CA\" is not in the store".into();
        c.chain_note = Some("issuer missing".into());
    }
    let mut key = Item::new(ItemKind::PrivateKey, "PRIVATE KEY");
    key.path = "live/www/privkey.pem".into();
    key.detail = Detail::PrivateKey(Box::new(KeyInfo {
        key_algorithm: "RSA".into(),
        key_bits: Some(2048),
        encrypted: false,
        format: "pkcs8".into(),
        pairs_with: vec![leaf_sha],
        public_bits: None,
        mode: Some("0600".into()),
    }));
    let mut csr = Item::new(ItemKind::Csr, "CERTIFICATE REQUEST");
    csr.path = "req/new.csr".into();
    csr.detail = Detail::Csr(Box::new(CsrInfo {
        subject: "CN=new.example.com".into(),
        common_name: Some("new.example.com".into()),
        sans: vec!["DNS:new.example.com".into()],
        key_algorithm: "ECDSA P-256".into(),
        key_bits: Some(256),
        signature_algorithm: "ecdsa-with-SHA256".into(),
        signature_valid: true,
        sha256: "ab".repeat(32),
        spki_bits: vec![],
    }));
    let mut broken = Item::error(
        ItemKind::Unknown,
        "PEM",
        "PEM block 1: invalid base64 at line 3",
    );
    broken.path = "broken.pem".into();
    vec![leaf, inter, root, expiring, expired, key, csr, broken]
}

pub fn app_with(items: Vec<Item>, w: u16, h: u16) -> App {
    let mut app = App::new("/etc/certdeck/store".into(), Theme { mono: false }, NOW);
    app.update(Msg::Resize(w, h));
    app.set_items(items);
    app
}

pub fn render(app: &App) -> Buffer {
    let mut term = Terminal::new(TestBackend::new(app.size.width, app.size.height)).unwrap();
    term.draw(|f| view::draw(f, app)).unwrap();
    term.backend().buffer().clone()
}

/// The buffer as plain text, one line per row, trailing spaces trimmed.
pub fn text(buf: &Buffer) -> String {
    let w = buf.area.width as usize;
    buf.content()
        .chunks(w)
        .map(|row| {
            let line: String = row.iter().map(|c| c.symbol()).collect();
            line.trim_end().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn screen(app: &App) -> String {
    text(&render(app))
}

pub fn key(app: &mut App, code: KeyCode) {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

pub fn keys(app: &mut App, s: &str) {
    for c in s.chars() {
        key(app, KeyCode::Char(c));
    }
}

pub fn selected_name(app: &App) -> String {
    app.selected_item()
        .map(|i| i.display_name())
        .unwrap_or_default()
}
