//! The change flow in the TUI: forms, the confirm dialog, read-only refusals (snapshots and key
//! injection), and one run against a real store through the same executor `tui::run` uses.

mod tui_support;

use certdeck::actions::{GenKind, GenerateArgs};
use certdeck::pki::issue::{KeyType, SubjectSpec};
use certdeck::store::plan::{Op, Plan};
use certdeck::tui::app::{App, Effect, Msg};
use certdeck::tui::effects::{self, ActionRequest, Prepared, Work};
use certdeck::tui::flow::Overlay;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Color;
use tui_support::*;
use zeroize::Zeroizing;

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn type_str(app: &mut App, s: &str) -> Vec<Effect> {
    s.chars()
        .flat_map(|c| press(app, KeyCode::Char(c)))
        .collect()
}

fn is_write(e: &Effect) -> bool {
    matches!(e, Effect::BuildPlan(_) | Effect::ApplyPlan(_))
}

/// A plan like `generate` makes, with fixed contents so the preview is stable.
fn sample_prepared(lines: usize) -> Prepared {
    let mut plan = Plan::new("generate server www.example.org");
    plan.push(Op::MkDir {
        path: "private".into(),
        mode: 0o700,
    });
    plan.push(Op::write_secret(
        "private/www.example.org.key",
        Zeroizing::new(vec![b'k'; 241]),
    ));
    plan.push(Op::write_public("www.example.org.pem", vec![b'c'; 700]));
    for i in 0..lines.saturating_sub(3) {
        plan.push(Op::Symlink {
            path: format!("trusted/{i:08x}.0"),
            target: "www.example.org.pem".into(),
        });
    }
    let store = std::path::Path::new("/nonexistent/certdeck-store");
    Prepared {
        title: plan.action.clone(),
        lines: plan.preview(store).into_iter().map(|l| l.text).collect(),
        work: Work::Plan(plan),
    }
}

// ---------------------------------------------------------------------------------------------
// Snapshots

#[test]
fn generate_form_empty_80x24() {
    let mut app = app_with(store(), 80, 24);
    assert!(press(&mut app, KeyCode::Char('n')).is_empty());
    assert!(matches!(app.overlay, Overlay::Form(_)));
    insta::assert_snapshot!("generate_form_empty_80x24", screen(&app));
}

#[test]
fn generate_form_validation_80x24() {
    let mut app = app_with(store(), 80, 24);
    press(&mut app, KeyCode::Char('n'));
    // Country "USA", days "0", no CN.
    for _ in 0..4 {
        press(&mut app, KeyCode::Tab);
    }
    type_str(&mut app, "USA");
    for _ in 0..4 {
        press(&mut app, KeyCode::Tab);
    }
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    type_str(&mut app, "0");
    assert!(
        press(&mut app, KeyCode::Enter).is_empty(),
        "invalid: no effect"
    );
    let s = screen(&app);
    for msg in [
        "CN is required",
        "C must be 2 letters",
        "days must be a positive number",
    ] {
        assert!(s.contains(msg), "{msg}\n{s}");
    }
    assert!(
        render(&app).content().iter().any(|c| c.fg == Color::Red),
        "messages in red"
    );
    insta::assert_snapshot!("generate_form_validation_80x24", s);
}

#[test]
fn confirm_dialog_with_plan_80x24() {
    let mut app = app_with(store(), 80, 24);
    app.update(Msg::PlanReady(Ok(sample_prepared(3))));
    assert!(matches!(app.overlay, Overlay::Confirm(_)));
    insta::assert_snapshot!("confirm_plan_80x24", screen(&app));
}

#[test]
fn long_plan_scrolls_in_the_confirm_dialog() {
    let mut app = app_with(store(), 80, 24);
    app.update(Msg::PlanReady(Ok(sample_prepared(40))));
    let top = screen(&app);
    assert!(top.contains("lines 1-"), "{top}");
    assert!(top.contains("private/www.example.org.key"));
    press(&mut app, KeyCode::PageDown);
    press(&mut app, KeyCode::Char('j'));
    let lower = screen(&app);
    assert!(!lower.contains("private/www.example.org.key"), "{lower}");
    assert!(lower.contains("of 40 (j/k)"), "{lower}");
}

#[test]
fn read_only_message_80x24() {
    let mut app = app_with(store(), 80, 24);
    app.read_only = true;
    assert!(press(&mut app, KeyCode::Char('t')).is_empty());
    let s = screen(&app);
    assert!(
        s.contains("read-only: trust is disabled (started with --read-only)"),
        "{s}"
    );
    assert!(s.contains("READ-ONLY"));
    insta::assert_snapshot!("read_only_refusal_80x24", s);
    // The next key clears it.
    press(&mut app, KeyCode::Char('j'));
    assert!(app.notice.is_none());
}

// ---------------------------------------------------------------------------------------------
// Key injection

#[test]
fn filled_generate_form_emits_build_plan_with_the_args() {
    let mut items = store();
    // The root CA gets its key in the store, so it can sign.
    let root_sha = {
        let root = items.iter_mut().find(|i| i.path == "ca/root.pem").unwrap();
        let c = root.cert_mut().unwrap();
        c.paired_keys = vec!["ca/private/root.key".into()];
        c.sha256.clone()
    };
    let mut app = app_with(items, 80, 24);
    press(&mut app, KeyCode::Char('n'));
    // Focus starts on CN; kind is the field above.
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Right); // server -> client
    press(&mut app, KeyCode::Tab);
    type_str(&mut app, "api.example.org");
    press(&mut app, KeyCode::Tab);
    type_str(&mut app, "api.example.org, IP:10.0.0.7,");
    press(&mut app, KeyCode::Tab);
    type_str(&mut app, "Example Org");
    press(&mut app, KeyCode::Tab);
    type_str(&mut app, "Ops");
    press(&mut app, KeyCode::Tab);
    type_str(&mut app, "za");
    press(&mut app, KeyCode::Tab);
    type_str(&mut app, "Western Cape");
    press(&mut app, KeyCode::Tab);
    type_str(&mut app, "Cape Town");
    press(&mut app, KeyCode::Tab);
    type_str(&mut app, "ops@example.org");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    type_str(&mut app, "90");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Left); // ec-p256 -> rsa-4096 (wraps)
    press(&mut app, KeyCode::Tab);
    type_str(&mut app, "issued/");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Right); // self-signed -> the root CA
    let effects = press(&mut app, KeyCode::Enter);
    let mut want = GenerateArgs::new(GenKind::Client, "api.example.org");
    want.key_type = KeyType::Rsa4096;
    want.subject = SubjectSpec {
        cn: "api.example.org".into(),
        o: Some("Example Org".into()),
        ou: Some("Ops".into()),
        c: Some("ZA".into()),
        st: Some("Western Cape".into()),
        l: Some("Cape Town".into()),
        email: Some("ops@example.org".into()),
    };
    want.sans = vec!["api.example.org".into(), "IP:10.0.0.7".into()];
    want.days = Some(90);
    want.ca = Some(root_sha);
    want.dir = "issued".into();
    assert_eq!(effects.len(), 1);
    match &effects[0] {
        Effect::BuildPlan(req) => assert_eq!(**req, ActionRequest::Generate(Box::new(want))),
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(app.overlay, Overlay::None),
        "form closed while building"
    );
    assert!(
        screen(&app).contains("generating key (rsa-4096)"),
        "spinner"
    );
    // While a job runs another one is refused.
    press(&mut app, KeyCode::Char('H'));
    assert!(app.notice.as_ref().unwrap().text.starts_with("busy:"));
}

#[test]
fn esc_cancels_the_form() {
    let mut app = app_with(store(), 80, 24);
    press(&mut app, KeyCode::Char('n'));
    type_str(&mut app, "q?nty");
    assert!(matches!(app.overlay, Overlay::Form(_)), "letters are typed");
    assert!(press(&mut app, KeyCode::Esc).is_empty());
    assert!(matches!(app.overlay, Overlay::None));
}

#[test]
fn build_error_reopens_the_form_with_the_message() {
    let mut app = app_with(store(), 80, 24);
    press(&mut app, KeyCode::Char('n'));
    type_str(&mut app, "www.example.org");
    assert_eq!(press(&mut app, KeyCode::Enter).len(), 1);
    app.update(Msg::PlanReady(Err(
        "www.example.org.pem already exists".into()
    )));
    match &app.overlay {
        Overlay::Form(f) => {
            assert_eq!(
                f.error.as_deref(),
                Some("www.example.org.pem already exists")
            );
            assert_eq!(f.fields[1].value(), "www.example.org", "input kept");
        }
        other => panic!("{other:?}"),
    }
    assert!(app.busy.is_none());
}

#[test]
fn y_in_confirm_emits_apply_plan_and_n_cancels() {
    let mut app = app_with(store(), 80, 24);
    app.update(Msg::PlanReady(Ok(sample_prepared(3))));
    let shown = match &app.overlay {
        Overlay::Confirm(c) => c.prepared.clone(),
        other => panic!("{other:?}"),
    };
    let effects = press(&mut app, KeyCode::Char('y'));
    assert_eq!(effects.len(), 1);
    match &effects[0] {
        Effect::ApplyPlan(p) => assert_eq!(**p, shown, "the very plan that was shown"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(app.overlay, Overlay::None));
    // The result: a message and a rescan.
    assert_eq!(
        app.update(Msg::Applied(Ok((
            "applied: x".into(),
            Some(certdeck::store::watch::Change::Everything)
        )))),
        vec![Effect::Rescan]
    );
    assert_eq!(app.notice.as_ref().unwrap().text, "applied: x");
    assert!(app
        .update(Msg::Applied(Err("store is locked".into())))
        .is_empty());
    assert!(app.notice.as_ref().unwrap().error);

    app.update(Msg::PlanReady(Ok(sample_prepared(3))));
    assert!(press(&mut app, KeyCode::Char('n')).is_empty());
    assert!(matches!(app.overlay, Overlay::None));
    assert_eq!(
        app.notice.as_ref().unwrap().text,
        "cancelled: nothing changed"
    );
    app.update(Msg::PlanReady(Ok(sample_prepared(3))));
    assert!(press(&mut app, KeyCode::Esc).is_empty());
    assert!(matches!(app.overlay, Overlay::None));
}

#[test]
fn trust_revoke_rehash_undo_go_straight_to_build_plan() {
    let mut app = app_with(store(), 80, 24);
    // The unreadable file is listed first; the most urgent certificate follows.
    keys(&mut app, "j");
    let sha = app.selected_item().unwrap().cert().unwrap().sha256.clone();
    let cases = [
        (
            't',
            ActionRequest::Trust {
                sel: sha.clone(),
                dir: "trusted".into(),
            },
        ),
        (
            'x',
            ActionRequest::Revoke {
                sel: sha.clone(),
                dir: "trusted".into(),
            },
        ),
        (
            'H',
            ActionRequest::Rehash {
                dir: "trusted".into(),
            },
        ),
        ('u', ActionRequest::Undo),
    ];
    for (c, want) in cases {
        let effects = press(&mut app, KeyCode::Char(c));
        match effects.as_slice() {
            [Effect::BuildPlan(req)] => assert_eq!(**req, want),
            other => panic!("{c}: {other:?}"),
        }
        app.update(Msg::PlanReady(Err("nothing".into())));
    }
    // Export and import open forms; the export path starts in the working directory.
    app.cwd = "/home/admin/exports".into();
    press(&mut app, KeyCode::Char('e'));
    assert!(matches!(&app.overlay, Overlay::Form(f) if f.title == "Export old.example.com"));
    press(&mut app, KeyCode::Right); // Format field is not focused: ignored on the path field
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Right); // pem -> der, the default name follows
    match press(&mut app, KeyCode::Enter).as_slice() {
        [Effect::BuildPlan(req)] => assert_eq!(
            **req,
            ActionRequest::Export {
                sel: sha.clone(),
                format: certdeck::actions::ExportFormat::Der,
                out: "/home/admin/exports/old.example.com.der".into(),
            }
        ),
        other => panic!("{other:?}"),
    }
    app.update(Msg::PlanReady(Err("x".into())));
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('i'));
    type_str(&mut app, "/tmp/a.pem, /tmp/b.key");
    press(&mut app, KeyCode::Tab);
    type_str(&mut app, "/imported/");
    match press(&mut app, KeyCode::Enter).as_slice() {
        [Effect::BuildPlan(req)] => assert_eq!(
            **req,
            ActionRequest::Import {
                files: vec!["/tmp/a.pem".into(), "/tmp/b.key".into()],
                dir: "imported".into(),
                pass: None,
            }
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn trust_needs_a_certificate_selected() {
    let mut app = app_with(store(), 80, 24);
    keys(&mut app, "G"); // the CSR
    assert!(press(&mut app, KeyCode::Char('t')).is_empty());
    assert_eq!(
        app.notice.as_ref().unwrap().text,
        "trust: select a certificate first"
    );
}

#[test]
fn read_only_refuses_every_change_key() {
    let mut app = app_with(store(), 80, 24);
    app.read_only = true;
    let names = [
        ('n', "new certificate"),
        ('t', "trust"),
        ('x', "revoke"),
        ('H', "rehash"),
        ('u', "undo"),
        ('e', "export"),
        ('i', "import"),
        ('l', "reload"),
    ];
    for (c, name) in names {
        let mut effects = press(&mut app, KeyCode::Char(c));
        assert_eq!(
            app.notice.as_ref().map(|n| n.text.as_str()),
            Some(format!("read-only: {name} is disabled (started with --read-only)").as_str())
        );
        assert!(matches!(app.overlay, Overlay::None), "{c}: no form opens");
        effects.extend(press(&mut app, KeyCode::Enter));
        effects.extend(type_str(&mut app, "y"));
        effects.extend(press(&mut app, KeyCode::Enter));
        assert!(!effects.iter().any(is_write), "{c}: {effects:?}");
        press(&mut app, KeyCode::Esc);
        assert!(screen(&app).contains("READ-ONLY"));
    }
    // Even a plan that somehow reached the dialog cannot be applied: the check is where the
    // effect is made, not only at the keys.
    app.update(Msg::PlanReady(Ok(sample_prepared(3))));
    let effects = press(&mut app, KeyCode::Char('y'));
    assert!(!effects.iter().any(is_write), "{effects:?}");
    assert!(app
        .notice
        .as_ref()
        .unwrap()
        .text
        .starts_with("read-only: apply is disabled"));
}

// ---------------------------------------------------------------------------------------------
// Against a real store, through the executor `tui::run` uses.

fn scan_into(app: &mut App, root: &std::path::Path) {
    let inventory = certdeck::store::scan::scan(root, &Default::default());
    app.scan_started();
    app.update(Msg::Scan(certdeck::store::scan::ScanEvent::Done {
        inventory: std::sync::Arc::new(inventory),
        elapsed: std::time::Duration::ZERO,
    }));
}

/// Run the app's effects like `tui::run` does (synchronously here), feeding results back.
fn run_effects(app: &mut App, env: &effects::Env, mut pending: Vec<Effect>) -> Vec<Effect> {
    let mut rest = Vec::new();
    while let Some(e) = pending.pop() {
        match effects::execute(&e, env, &app.inventory.clone()) {
            Some(msg) => pending.extend(app.update(msg)),
            None => rest.push(e),
        }
    }
    rest
}

#[test]
fn generate_ca_then_signed_server_then_undo_in_a_real_store() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let env = effects::Env::new(&root);
    let mut app = App::new(
        root.clone(),
        certdeck::tui::theme::Theme { mono: true },
        time::OffsetDateTime::now_utc().unix_timestamp(),
    );
    app.update(Msg::Resize(100, 30));
    scan_into(&mut app, &root);

    // n, kind -> ca, CN, Enter: the plan is built and shown.
    press(&mut app, KeyCode::Char('n'));
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Down);
    type_str(&mut app, "Test Root CA");
    let build = press(&mut app, KeyCode::Enter);
    assert!(run_effects(&mut app, &env, build).is_empty());
    let Overlay::Confirm(dlg) = &app.overlay else {
        panic!("{:?} {:?}", app.overlay, app.notice)
    };
    assert_eq!(dlg.prepared.0.title, "generate ca Test Root CA");
    let s = screen(&app);
    assert!(s.contains("private/test-root-ca.key"), "{s}");
    assert!(!root.join("test-root-ca.pem").exists(), "nothing before y");

    // y: applied, then the app asks for a rescan.
    let apply = press(&mut app, KeyCode::Char('y'));
    assert_eq!(run_effects(&mut app, &env, apply), vec![Effect::Rescan]);
    let notice = app.notice.clone().unwrap();
    assert!(
        !notice.error && notice.text.starts_with("applied: generate ca"),
        "{notice:?}"
    );
    assert!(root.join("test-root-ca.pem").is_file());
    let key_mode = std::fs::metadata(root.join("private/test-root-ca.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(key_mode & 0o777, 0o600);
    scan_into(&mut app, &root);

    // The new CA (its key is in the store) is offered as signer.
    press(&mut app, KeyCode::Char('n'));
    type_str(&mut app, "www.test.example");
    press(&mut app, KeyCode::BackTab); // kind
    press(&mut app, KeyCode::BackTab); // wraps to the signer, the last field
    press(&mut app, KeyCode::Right);
    let build = press(&mut app, KeyCode::Enter);
    match build.as_slice() {
        [Effect::BuildPlan(req)] => match &**req {
            ActionRequest::Generate(a) => assert!(a.ca.is_some(), "{a:?}"),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    run_effects(&mut app, &env, build);
    // Without server configs the files the plan wrote are re-read, not the whole store.
    app.file_updates = true;
    let apply = press(&mut app, KeyCode::Char('y'));
    let effects = run_effects(&mut app, &env, apply);
    let [Effect::Update(files)] = effects.as_slice() else {
        panic!(
            "the written files are re-read: {effects:?} {:?}",
            app.notice
        )
    };
    assert!(
        root.join("www.test.example.pem").is_file(),
        "{:?}",
        app.notice
    );
    assert!(
        files.contains(&"www.test.example.pem".to_string()),
        "{files:?}"
    );
    let changes = certdeck::store::scan::read_changes(&root, files, &Default::default());
    app.update(Msg::Scan(certdeck::store::scan::ScanEvent::Changed(
        changes,
    )));
    // The files go in once the verification the last scan started is done.
    let verified = certdeck::store::scan::ScanEvent::Verified(Vec::new());
    app.update(Msg::Scan(verified));
    let leaf = app
        .items()
        .iter()
        .find(|i| i.path == "www.test.example.pem")
        .unwrap();
    assert!(leaf.cert().unwrap().issuer.contains("Test Root CA"));

    // u: the undo plan is shown, y reverses the last change (files go to history).
    let build = press(&mut app, KeyCode::Char('u'));
    run_effects(&mut app, &env, build);
    assert!(
        matches!(app.overlay, Overlay::Confirm(_)),
        "{:?}",
        app.notice
    );
    let apply = press(&mut app, KeyCode::Char('y'));
    run_effects(&mut app, &env, apply);
    assert!(app.notice.as_ref().unwrap().text.starts_with("undone:"));
    assert!(!root.join("www.test.example.pem").exists());
    assert!(
        root.join("test-root-ca.pem").is_file(),
        "only the last change"
    );
}

#[test]
fn help_lists_the_change_keys_and_scrolls_at_80x24() {
    let mut app = app_with(store(), 80, 24);
    keys(&mut app, "?");
    let top = screen(&app);
    assert!(top.contains("j/k Space/b g/G scroll"), "{top}");
    assert!(!top.contains("undo the last change"));
    // A page (Space) and a few lines bring the Changes section into view.
    keys(&mut app, " jjjj");
    let s = screen(&app);
    for desc in [
        "trust selected certificate",
        "revoke selected certificate",
        "rehash the trust dir",
        "export selected (form)",
        "import files (form)",
        "undo the last change",
    ] {
        assert!(s.contains(desc), "{desc}\n{s}");
    }
    keys(&mut app, "q");
    assert!(!app.help);
}

#[test]
fn l_runs_the_configured_reload_command_after_a_confirm() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let marker = root.join("reloaded");
    let mut env = effects::Env::new(&root);
    env.reload_command = Some(format!("touch {} && echo reload-done", marker.display()));
    let mut app = App::new(
        root.clone(),
        certdeck::tui::theme::Theme { mono: true },
        time::OffsetDateTime::now_utc().unix_timestamp(),
    );
    app.update(Msg::Resize(100, 30));
    scan_into(&mut app, &root);
    let build = press(&mut app, KeyCode::Char('l'));
    assert!(run_effects(&mut app, &env, build).is_empty());
    let Overlay::Confirm(dlg) = &app.overlay else {
        panic!("{:?} {:?}", app.overlay, app.notice)
    };
    assert_eq!(dlg.prepared.0.title, "reload the server");
    assert!(!marker.exists(), "nothing runs before y");
    let apply = press(&mut app, KeyCode::Char('y'));
    run_effects(&mut app, &env, apply);
    assert!(marker.exists(), "the reload command did not run");
    let notice = app.notice.clone().unwrap();
    assert!(
        !notice.error && notice.text.contains("reload-done"),
        "{notice:?}"
    );

    // Without a configured command: a clear message, nothing to confirm.
    let env = effects::Env::new(&root);
    let build = press(&mut app, KeyCode::Char('l'));
    run_effects(&mut app, &env, build);
    let notice = app.notice.clone().unwrap();
    assert!(
        notice.error && notice.text.contains("no reload command"),
        "{notice:?}"
    );
}

/// `p` probes a TLS port from the TUI, also in read-only mode (it only reads), and says whether
/// the served certificate is the one in the store.
#[test]
fn p_probes_a_tls_port_even_read_only() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let gen = Command::new(env!("CARGO_BIN_EXE_certdeck"))
        .args([
            "generate",
            "server",
            "--cn",
            "localhost",
            "--san",
            "IP:127.0.0.1",
            "--store",
        ])
        .arg(&root)
        .output()
        .unwrap();
    assert!(gen.status.success());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new("openssl")
        .args(["s_server", "-quiet", "-www", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(root.join("localhost.pem"))
        .arg("-key")
        .arg(root.join("private/localhost.key"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    // Wait (bounded) until it listens.
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _guard = Kill(
        server
            .try_wait()
            .ok()
            .flatten()
            .map_or_else(|| server, |_| panic!("s_server exited")),
    );
    let env = effects::Env::new(&root);
    let mut app = App::new(
        root.clone(),
        certdeck::tui::theme::Theme { mono: true },
        time::OffsetDateTime::now_utc().unix_timestamp(),
    );
    app.read_only = true;
    app.update(Msg::Resize(100, 30));
    scan_into(&mut app, &root);
    press(&mut app, KeyCode::Char('p'));
    assert!(
        matches!(app.overlay, Overlay::Form(_)),
        "probe form opens in read-only"
    );
    type_str(&mut app, &format!("127.0.0.1:{port}"));
    let effects = press(&mut app, KeyCode::Enter);
    let asked = certdeck::tui::probe_memory::ProbeFields {
        target: format!("127.0.0.1:{port}"),
        sni: String::new(),
        timeout: 10,
    };
    assert_eq!(effects, vec![Effect::Probe(asked.clone())]);
    run_effects(&mut app, &env, effects);
    let notice = app.notice.clone().unwrap();
    assert!(!notice.error, "{notice:?}");
    assert!(notice.text.contains("CN=localhost"), "{notice:?}");
    assert!(
        notice.text.contains("localhost.pem"),
        "not compared with the store: {notice:?}"
    );
    // The verdict, then the served chain as a tree with what the store holds of it.
    assert!(notice.text.contains(": matches: "), "{notice:?}");
    assert!(
        notice.text.contains("Served chain (1 certificate(s))"),
        "{notice:?}"
    );
    assert!(
        notice.text.contains("[in the store: localhost.pem]"),
        "{notice:?}"
    );
    // The form comes back with the values just probed (read-only: remembered in memory only).
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('p'));
    let Overlay::Form(form) = &app.overlay else {
        panic!("no probe form: {:?}", app.overlay);
    };
    use certdeck::tui::form::FieldId;
    assert_eq!(form.field(FieldId::Target).unwrap().value(), asked.target);
    assert_eq!(form.field(FieldId::Timeout).unwrap().value(), "10");
}

/// Select the first row whose name is `name` (filter, then leave the filter).
fn select_by_filter(app: &mut App, name: &str) {
    press(app, KeyCode::Char('/'));
    type_str(app, name);
    press(app, KeyCode::Enter);
}

#[test]
fn export_asks_for_the_path_shows_it_absolute_and_never_overwrites() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::canonicalize(dir.path()).unwrap();
    let root = base.join("store");
    let outside = base.join("exports");
    std::fs::create_dir(&outside).unwrap();
    certdeck::demo::create_demo_store(&root, time::OffsetDateTime::now_utc()).unwrap();
    let mut env = effects::Env::new(&root);
    env.cwd = outside.clone();
    let mut app = App::new(
        root.clone(),
        certdeck::tui::theme::Theme { mono: true },
        time::OffsetDateTime::now_utc().unix_timestamp(),
    );
    app.cwd = outside.clone();
    app.update(Msg::Resize(160, 40));
    scan_into(&mut app, &root);
    select_by_filter(&mut app, "alice");

    // e: the path field holds the working directory and a suggested name, editable.
    press(&mut app, KeyCode::Char('e'));
    let want = outside.join("alice.pem");
    let Overlay::Form(f) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    assert_eq!(f.title, "Export alice");
    assert_eq!(f.fields[1].value(), want.to_str().unwrap());
    assert!(screen(&app).contains(want.to_str().unwrap()));
    // cert+key (the format cycles pem -> der -> fullchain -> cert+key).
    press(&mut app, KeyCode::Up);
    for _ in 0..3 {
        press(&mut app, KeyCode::Right);
    }
    let build = press(&mut app, KeyCode::Enter);
    assert!(run_effects(&mut app, &env, build).is_empty());
    let Overlay::Confirm(dlg) = &app.overlay else {
        panic!("{:?} {:?}", app.overlay, app.notice)
    };
    let shown = format!(
        "{}\n{}",
        dlg.prepared.0.title,
        dlg.prepared.0.lines.join("\n")
    );
    assert!(shown.contains(want.to_str().unwrap()), "{shown}");
    assert!(
        shown.contains("mode 0600") && shown.contains("private key"),
        "{shown}"
    );
    assert!(
        screen(&app).contains(want.to_str().unwrap()),
        "{}",
        screen(&app)
    );
    assert!(!want.exists(), "nothing before y");
    let apply = press(&mut app, KeyCode::Char('y'));
    run_effects(&mut app, &env, apply);
    assert!(want.is_file(), "{:?}", app.notice);
    assert_eq!(
        std::fs::metadata(&want).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let first = std::fs::read(&want).unwrap();
    assert!(String::from_utf8_lossy(&first).contains("PRIVATE KEY"));

    // The same path again: refused in the form, the file untouched.
    press(&mut app, KeyCode::Char('e'));
    let build = press(&mut app, KeyCode::Enter);
    run_effects(&mut app, &env, build);
    match &app.overlay {
        Overlay::Form(f) => assert!(
            f.error.as_deref().unwrap_or("").contains("already exists"),
            "{:?}",
            f.error
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(std::fs::read(&want).unwrap(), first);
    press(&mut app, KeyCode::Esc);

    // A relative path from the store's directory lands in the store: a plan (journaled).
    app.cwd = root.clone();
    env.cwd = root.clone();
    press(&mut app, KeyCode::Char('e'));
    let build = press(&mut app, KeyCode::Enter);
    run_effects(&mut app, &env, build);
    let Overlay::Confirm(dlg) = &app.overlay else {
        panic!("{:?} {:?}", app.overlay, app.notice)
    };
    assert!(matches!(dlg.prepared.0.work, Work::Plan(_)));
    assert!(
        dlg.prepared.0.lines[0].contains(root.join("alice.pem").to_str().unwrap()),
        "{:?}",
        dlg.prepared.0.lines
    );
    let apply = press(&mut app, KeyCode::Char('y'));
    run_effects(&mut app, &env, apply);
    assert!(root.join("alice.pem").is_file(), "{:?}", app.notice);
    let journal = std::fs::read_to_string(root.join("history/journal.jsonl")).unwrap();
    assert!(journal.contains("export alice to alice.pem"), "{journal}");
}

#[test]
fn trusting_a_revoked_certificate_warns_in_the_confirm_dialog() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap().join("demo");
    certdeck::demo::create_demo_store(&root, time::OffsetDateTime::now_utc()).unwrap();
    let env = effects::Env::new(&root);
    let mut app = App::new(
        root.clone(),
        certdeck::tui::theme::Theme { mono: true },
        time::OffsetDateTime::now_utc().unix_timestamp(),
    );
    app.update(Msg::Resize(120, 40));
    scan_into(&mut app, &root);
    // Select mallory (the list is sorted by expiry; walk until she is selected), then t.
    press(&mut app, KeyCode::Char('g'));
    for _ in 0..40 {
        if selected_name(&app) == "mallory" {
            break;
        }
        press(&mut app, KeyCode::Char('j'));
    }
    assert_eq!(selected_name(&app), "mallory");
    let build = press(&mut app, KeyCode::Char('t'));
    assert!(run_effects(&mut app, &env, build).is_empty());
    let Overlay::Confirm(dlg) = &app.overlay else {
        panic!("{:?} {:?}", app.overlay, app.notice)
    };
    assert!(
        dlg.prepared.0.lines[0].starts_with("WARNING: mallory is revoked by crl/root-ca.crl"),
        "{:?}",
        dlg.prepared.0.lines
    );
    let s = screen(&app);
    assert!(s.contains("WARNING: mallory is revoked"), "{s}");
    assert!(
        !root.join("trusted/mallory.pem").exists(),
        "nothing before y"
    );
}

#[test]
fn keystore_and_probe_forms_80x24() {
    let mut app = app_with(store(), 80, 24);
    assert!(press(&mut app, KeyCode::Char('P')).is_empty());
    insta::assert_snapshot!("keystore_form_genkeypair_80x24", screen(&app));
    // ← on the verb wraps to passwd: only the file and the passwords are asked.
    press(&mut app, KeyCode::Left);
    insta::assert_snapshot!("keystore_form_passwd_80x24", screen(&app));
    let fx = press(&mut app, KeyCode::Enter);
    assert!(fx.is_empty(), "an invalid form builds nothing: {fx:?}");
    let s = screen(&app);
    assert!(s.contains("Keystore is required"), "{s}");
    assert!(s.contains("the new password is required"), "{s}");
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('p'));
    insta::assert_snapshot!("probe_form_80x24", screen(&app));
}
