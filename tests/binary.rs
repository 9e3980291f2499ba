//! The `emberkeep` binary as an operator meets it: flags, asset checks, the shipped map,
//! and a graceful stop on SIGTERM.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{Client, Ended};
use emberkeep_components::map::Tile;
use emberkeep_components::protocol::{ClientMsg, PROTOCOL_VERSION, ServerEvent};

const BIN: &str = env!("CARGO_BIN_EXE_emberkeep");
const ASSETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets");

fn run(args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("binary runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string()
        + String::from_utf8_lossy(&out.stderr).as_ref();
    (out.status.success(), text)
}

#[test]
fn help_lists_the_flags() {
    let (ok, text) = run(&["--help"]);
    assert!(ok, "{text}");
    for flag in [
        "--ws-addr",
        "--assets",
        "--config",
        "--tick-rate",
        "--log-format",
        "check-assets",
    ] {
        assert!(
            text.contains(flag),
            "--help does not mention {flag}:\n{text}"
        );
    }
}

#[test]
fn the_shipped_map_is_a_real_world() {
    let map =
        emberkeep::assets::load_map(&std::path::Path::new(ASSETS).join("maps/emberfield.tmj"))
            .unwrap();
    assert!(
        map.width >= 128 && map.height >= 128,
        "{}x{}",
        map.width,
        map.height
    );
    let town = map
        .zones
        .iter()
        .find(|z| z.name.contains("Town"))
        .expect("a town zone");
    assert!(town.safe);
    let blocked = (map.width * map.height) as usize - map.walkable_count();
    assert!(
        blocked > 1000,
        "walls and water block movement ({blocked} blocked tiles)"
    );
    // Every spawn is walkable and all spawns are connected to each other on foot.
    let start = map.player_spawns[0].tile;
    let mut seen = vec![false; (map.width * map.height) as usize];
    let mut stack = vec![start];
    while let Some(t) = stack.pop() {
        let i = (t.y * map.width + t.x) as usize;
        if !map.is_walkable(t) || seen[i] {
            continue;
        }
        seen[i] = true;
        for (dx, dy) in [(1, 0), (-1, 0), (0, 1), (0, -1)] {
            stack.push(Tile {
                x: t.x + dx,
                y: t.y + dy,
            });
        }
    }
    for s in &map.player_spawns {
        assert!(
            seen[(s.tile.y * map.width + s.tile.x) as usize],
            "spawn {} is cut off",
            s.name
        );
    }
    let (ok, text) = run(&["check-assets", ASSETS]);
    assert!(
        ok && text.contains("ok: ") && text.contains("emberfield"),
        "{text}"
    );
}

#[test]
fn check_assets_fails_on_a_broken_map_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("maps")).unwrap();
    let broken = common::test_map(&[(1, 1)]); // a wall on the spawn point
    std::fs::write(dir.path().join("maps/emberfield.tmj"), broken).unwrap();
    let (ok, text) = run(&["check-assets", dir.path().to_str().unwrap()]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("emberfield.tmj")
            && text.contains("player spawn")
            && text.contains("blocked"),
        "{text}"
    );
}

#[test]
fn a_bad_config_is_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[world]\ntick_rate = 0\n").unwrap();
    let (ok, text) = run(&["--config", path.to_str().unwrap(), "check-assets"]);
    assert!(!ok);
    assert!(text.contains("world.tick_rate"), "{text}");
    std::fs::write(&path, "[server]\nlisten = \"x\"\n").unwrap();
    let (ok, text) = run(&["--config", path.to_str().unwrap(), "check-assets"]);
    assert!(!ok);
    assert!(text.contains("listen"), "{text}");
}

/// The binary running as a server, with its log lines (stdout) as they come. Dropping it
/// kills the process if the test has not taken it.
struct Running {
    child: Option<std::process::Child>,
    lines: tokio::sync::mpsc::UnboundedReceiver<String>,
    /// Log lines read so far, up to the one with the HTTP address.
    log: Vec<String>,
    ws_addr: std::net::SocketAddr,
    http_addr: std::net::SocketAddr,
}

/// Starts the binary in `cwd` on free loopback ports with the shipped assets and a temp
/// database, and waits until it has logged both addresses.
async fn start_binary(cwd: &std::path::Path, db_dir: &std::path::Path) -> Running {
    let db = format!("sqlite://{}", db_dir.join("game.db").display());
    let mut child = Command::new(BIN)
        .args([
            "--ws-addr",
            "127.0.0.1:0",
            "--http-addr",
            "127.0.0.1:0",
            "--assets",
            ASSETS,
            "--database",
            &db,
        ])
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let field = |line: &str, key: &str| -> Option<std::net::SocketAddr> {
        let rest = line.split(key).nth(1)?;
        rest.split_whitespace().next()?.parse().ok()
    };
    let (mut ws_addr, mut log) = (None, Vec::new());
    let http_addr = loop {
        let line = tokio::time::timeout(common::WAIT, lines.recv())
            .await
            .expect("log line")
            .expect("server running");
        if line.contains("listening") {
            ws_addr = field(&line, "ws_addr=");
        }
        let http = field(&line, "http_addr=");
        log.push(line);
        if let Some(http) = http {
            break http;
        }
    };
    Running {
        child: Some(child),
        lines,
        log,
        ws_addr: ws_addr.expect("the WebSocket address is logged before the HTTP one"),
        http_addr,
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[tokio::test]
async fn the_binary_serves_the_shipped_map_and_stops_gracefully_on_sigterm() {
    let db_dir = tempfile::tempdir().unwrap();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut server = start_binary(repo, db_dir.path()).await;
    let mut c = Client::connect(server.ws_addr).await;
    c.send(&ClientMsg::Hello {
        version: PROTOCOL_VERSION,
        name: Some("Visitor".into()),
        class: None,
    })
    .await;
    match c.next().await {
        ServerEvent::Welcome { map, tick_rate, .. } => {
            assert_eq!(map.name, "emberfield");
            assert_eq!(map.display_name, "Emberfield");
            assert!(map.width >= 128);
            assert_eq!(tick_rate, 20);
        }
        other => panic!("expected welcome, got {other:?}"),
    }
    let mut child = server.child.take().unwrap();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    match c.expect_end().await {
        Ended::Closed(Some(f)) => assert_eq!(u16::from(f.code), 1001),
        other => panic!("expected close 1001, got {other:?}"),
    }
    let exit = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "exit status {exit}");
    let mut saw_complete = false;
    while let Ok(Some(line)) = tokio::time::timeout(common::WAIT, server.lines.recv()).await {
        saw_complete |= line.contains("shutdown complete");
    }
    assert!(saw_complete, "no 'shutdown complete' log line");
}

#[test]
fn the_example_config_is_valid_and_matches_the_defaults() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/emberkeep.example.toml");
    let example = emberkeep::Config::from_file(std::path::Path::new(path)).unwrap();
    assert_eq!(
        example,
        emberkeep::Config::default(),
        "emberkeep.example.toml drifted from the defaults"
    );
}

#[test]
fn promote_gives_an_account_a_role_or_says_why_not() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("game.db");
    let db = format!("sqlite://{}", db_path.display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use emberkeep::storage::{AccountRecord, SqliteStore, Store};
        let store = SqliteStore::open(&db_path).unwrap();
        let account = AccountRecord {
            key: "ops".into(),
            username: "Ops".into(),
            password_hash: "x".into(),
            role: emberkeep_components::protocol::Role::Player,
            created_at: 0,
        };
        store.create_account(account).await.unwrap();
    });
    let (ok, text) = run(&["--database", &db, "promote", "Ops", "admin"]);
    assert!(ok && text.contains("Admin"), "{text}");
    let (ok, text) = run(&["--database", &db, "promote", "nobody", "admin"]);
    assert!(!ok && text.contains("no account"), "{text}");
    let (ok, text) = run(&["--database", &db, "promote", "Ops", "king"]);
    assert!(!ok && text.contains("unknown role"), "{text}");
    let role = rt.block_on(async {
        use emberkeep::storage::{SqliteStore, Store};
        SqliteStore::open(&db_path)
            .unwrap()
            .account("ops".into())
            .await
            .unwrap()
            .unwrap()
            .role
    });
    assert_eq!(role, emberkeep_components::protocol::Role::Admin);
}

/// Issue 13, defect 7: `server.web_root` defaulted to `web` relative to the working
/// directory, so a binary started anywhere but the repository answered 404 at `/`.
#[tokio::test]
async fn the_page_loads_when_the_binary_runs_outside_the_repository() {
    let elsewhere = tempfile::tempdir().unwrap();
    let server = start_binary(elsewhere.path(), elsewhere.path()).await;
    let http = server.http_addr;
    let page = common::http::get(http, "/").await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(
        page.text().contains("<canvas id=\"world\"") && page.text().contains("main.js"),
        "{}",
        page.text()
    );
    let module = common::http::get(http, "/main.js").await;
    assert_eq!(module.status, 200);
    assert_eq!(
        module.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(module.text().contains("import "), "{}", module.text());
    // The start log says where the page and the content come from.
    let log = server.log.join("\n");
    assert!(log.contains("web client built into the binary"), "{log}");
    assert!(log.contains(&format!("assets={ASSETS}")), "{log}");
}
