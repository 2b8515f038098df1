//! End to end, the fleet TUI (`certdeck fleet --prometheus URL`, issue #19): a real Prometheus
//! scraping two certdeck exporters over two demo stores; the TUI in tmux at 80x24 and 120x40
//! lists both hosts' certificates in a Host column, groups by host, shows the expiry timeline
//! across the fleet and, for a change, the `ssh HOST certdeck ...` that makes it; a stopped
//! exporter shows its host stale.

mod prometheus_support;
mod tmux_support;

use prometheus_support::*;
use tmux_support::demo_store;
use tmux_support::*;

/// The fleet TUI at `size`, with everything loaded (both hosts listed).
fn open(url: &str, size: (u16, u16), certs: usize) -> Tmux {
    let t = Tmux::certdeck(&format!("fleet --prometheus {url}"), size.0, size.1);
    t.wait_for(&format!("Items {certs}/{certs}"));
    t
}

/// In a fleet `r` reloads from Prometheus, and the help (generated from the keymap) says so.
fn r_reloads_from_prometheus(t: &Tmux) {
    t.keys(&["?"]);
    let s = t.wait_for("reload from Prometheus");
    assert!(!s.contains("rescan the store"), "{s}");
    t.assert_fits(&s);
    t.keys(&["Escape"]);
    t.wait_until("help closed", |s| !s.contains("reload from Prometheus"));
}

/// Group by host, and narrow the list to one name both stores hold: a header per host.
fn grouped_by_host(t: &Tmux, hosts: [&str; 2]) -> String {
    t.keys(&["o"]);
    t.wait_for("group host");
    t.keys(&["/"]);
    t.type_literally("expiring.example.com");
    t.keys(&["Enter"]);
    let s = t.wait_until("a header per host", |s| {
        s.contains("Items 2/") && hosts.iter().all(|h| s.contains(&format!("▾ {h}")))
    });
    t.assert_fits(&s);
    s
}

#[test]
fn fleet_tui_groups_by_host_and_shows_a_stopped_exporter_stale() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    demo_store(&a);
    demo_store(&b);
    let (_ea, addr_a) = exporter(&a, &[]);
    let (eb, addr_b) = exporter(&b, &[]);
    let (prom_child, prom) = prometheus(dir.path(), &[&addr_a, &addr_b]);
    let certs = certs_in(&a) + certs_in(&b);
    until(
        &prom,
        "count(certdeck_certificate_expiry_timestamp_seconds)",
        |r| r.len() == 1 && r[0]["value"][1].as_str() == Some(&certs.to_string()),
    );
    let url = format!("http://{prom}");

    // 80x24, both exporters up.
    let t = open(&url, SIZES[0], certs);
    let s = t.screen();
    assert!(s.contains("2 hosts") && !s.contains("stale"), "{s}");
    assert!(
        line_with(&s, "Name").contains("Host"),
        "a Host column:\n{s}"
    );
    assert!(s.contains(&addr_a) || s.contains(&addr_b), "{s}");
    r_reloads_from_prometheus(&t);
    let s = grouped_by_host(&t, [&addr_a, &addr_b]);
    assert!(!s.contains("STALE"), "{s}");
    // A change is made on the host: the command to run there, not a write here.
    t.keys(&["R"]);
    let s = t.wait_for("ssh 127.0.0.1 certdeck renew");
    assert!(s.contains("renew servers/expiring.example.com.pem"), "{s}");
    // The selected item's store: the first host's in the list.
    let first = if addr_a < addr_b { &a } else { &b };
    let store = std::fs::canonicalize(first).unwrap();
    // One command, broken at spaces to fit: the words after `renew`, joined again.
    let words: Vec<&str> = (s.lines())
        .skip_while(|l| !l.contains("ssh 127.0.0.1"))
        .take_while(|l| !l.contains("picks the change up"))
        .flat_map(|l| l.trim_matches(|c| c == '│' || c == ' ').split_whitespace())
        .collect();
    let store = store.display().to_string();
    let want = [
        "renew",
        "servers/expiring.example.com.pem",
        "--store",
        &store,
    ];
    assert!(words.windows(4).any(|w| w == want), "{words:?} in\n{s}");
    t.assert_fits(&s);
    t.keys(&["q"]);
    t.wait_for("Items 2/");
    // The timeline counts the whole fleet: each store has one expired certificate.
    t.keys(&["Escape", "T"]);
    let s = t.wait_for("Expiry timeline");
    assert!(s.contains("expired: 2 certificates"), "{s}");
    t.assert_fits(&s);
    t.keys(&["Escape"]);

    // b's exporter stops: after Prometheus sees it down, a reload marks b stale, a not.
    drop(eb);
    until(&prom, &format!("up{{instance=\"{addr_b}\"}} == 0"), |r| {
        r.len() == 1
    });
    t.keys(&["r"]);
    let s = t.wait_for("1 stale");
    assert!(s.contains("2 hosts, 1 stale"), "{s}");
    t.keys(&["/"]);
    t.type_literally("expiring.example.com");
    t.keys(&["Enter"]);
    let stale_line = |s: &str| {
        s.lines()
            .filter(|l| l.contains("expiring.example") && l.contains("127.0.0.1"))
            .map(|l| l.contains(" stale"))
            .collect::<Vec<bool>>()
    };
    let s = t.wait_until("b's header STALE, its certificate stale", |s| {
        s.contains(&format!("▾ {addr_b}  STALE")) && stale_line(s).len() == 2
    });
    assert!(!s.contains(&format!("▾ {addr_a}  STALE")), "{s}");
    // In host order: b's row is the stale one.
    let b_first = addr_b < addr_a;
    assert_eq!(stale_line(&s), vec![b_first, !b_first], "{s}");
    t.assert_fits(&s);
    t.keys(&["q"]);
    t.wait_for("CERTDECK-EXITED-0");
    drop(t);

    // 120x40, b still down: stale from the start, grouped by host, host column and path.
    let t = open(&url, SIZES[1], certs);
    let s = t.screen();
    assert!(s.contains("2 hosts, 1 stale"), "{s}");
    // At this width the hint line has room for it too.
    assert!(line_with(&s, "help").contains("r reload"), "{s}");
    r_reloads_from_prometheus(&t);
    grouped_by_host(&t, [&addr_a, &addr_b]);
    let s = t.wait_until("details of the first host's certificate", |s| {
        s.contains("Path        servers/expiring.example.com.pem")
    });
    assert!(s.contains(&format!("▾ {addr_b}  STALE")), "{s}");
    let first_store = std::fs::canonicalize(if addr_a < addr_b { &a } else { &b }).unwrap();
    assert!(
        s.contains(&format!("Store       {}", first_store.display())),
        "{s}"
    );
    let first = if addr_a < addr_b { &addr_a } else { &addr_b };
    let state = if first == &addr_b {
        "exporter DOWN"
    } else {
        "exporter up"
    };
    assert!(
        s.contains(&format!("Host        {first} ({state}")),
        "details:\n{s}"
    );
    t.keys(&["Escape", "T"]);
    let s = t.wait_for("Expiry timeline");
    assert!(s.contains("expired: 2 certificates"), "{s}");
    t.assert_fits(&s);
    t.keys(&["Escape"]);

    // Prometheus itself gone: the last known certificates stay, every host stale, and the
    // error is an item of its own.
    drop(prom_child);
    t.keys(&["r"]);
    // The stale mark and the error item can land in two paints: wait for both.
    let all = format!("Items {}/{}", certs + 1, certs + 1);
    let s = t.wait_until("every host stale, the error listed", |s| {
        s.contains("2 hosts, 2 stale") && s.contains(&all)
    });
    assert!(s.contains("reload"), "{s}");
    t.keys(&["/"]);
    t.type_literally("prometheus");
    t.keys(&["Enter"]);
    let s = t.wait_for("cannot query Prometheus at");
    assert!(s.contains("ERROR"), "{s}");
    t.assert_fits(&s);
    t.keys(&["q"]);
    t.wait_for("CERTDECK-EXITED-0");
}

#[test]
fn fleet_tui_without_a_prometheus_is_a_plain_error() {
    let gone = format!("http://127.0.0.1:{}", free_port());
    let out = std::process::Command::new(bin())
        .args(["fleet", "--prometheus", &gone])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot query Prometheus at 127.0.0.1:"),
        "{err}"
    );
    let out = std::process::Command::new(bin())
        .arg("fleet")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("--prometheus URL"),
        "{err}"
    );
}
