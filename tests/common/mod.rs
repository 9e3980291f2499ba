//! Shared helpers for black-box tests: a real server on an ephemeral port, and a WebSocket
//! client that waits for events with a timeout instead of sleeping.
#![allow(dead_code)] // each test binary uses a different subset

pub mod cluster;
pub mod http;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use emberkeep::{Config, ServerHandle};
use emberkeep_components::protocol::{
    ClientMsg, EntityKind, ErrorCode, PROTOCOL_VERSION, ServerEvent,
};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long any single wait may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(10);

/// A server on 127.0.0.1:0 with its own assets folder.
pub struct TestServer {
    pub handle: Option<ServerHandle>,
    pub addr: SocketAddr,
    config: Config,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// Stops the server gracefully.
    pub async fn shutdown(mut self) {
        if let Some(h) = self.handle.take() {
            h.shutdown().await;
        }
    }

    /// Stops the server gracefully and starts it again on the same assets and database, with
    /// `tweak` applied to its config first.
    pub async fn restart_with(mut self, tweak: impl FnOnce(&mut Config)) -> TestServer {
        tweak(&mut self.config);
        self.restart().await
    }

    /// Stops the server gracefully and starts it again on the same assets and database.
    pub async fn restart(mut self) -> TestServer {
        if let Some(h) = self.handle.take() {
            h.shutdown().await;
        }
        let handle = emberkeep::start(self.config.clone())
            .await
            .expect("server restarts");
        let addr = handle.ws_addr();
        TestServer {
            handle: Some(handle),
            addr,
            config: self.config,
            _dir: self._dir,
        }
    }

    /// The server's assets folder (its database lives there too).
    pub fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    pub fn stats(&self) -> &emberkeep::stats::Stats {
        self.handle.as_ref().expect("running").stats()
    }
}

/// `/status.json` of a running test server, read over real HTTP.
pub async fn status_json(server: &TestServer) -> serde_json::Value {
    let addr = server.handle.as_ref().expect("running").http_addr();
    let answer = http::get(addr, "/status.json").await;
    serde_json::from_slice(&answer.body)
        .unwrap_or_else(|e| panic!("/status.json is not JSON ({e}): {}", answer.text()))
}

/// Polls `/status.json` until `done` holds, for at most `limit`; returns the last status.
pub async fn status_until(
    server: &TestServer,
    limit: Duration,
    mut done: impl FnMut(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let status = status_json(server).await;
        if done(&status) {
            return status;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "status did not get there within {limit:?}: {status}"
        );
        // Polling an HTTP endpoint: the status is recomputed every tick (50 ms).
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A 48 x 16 open test map: everyone spawns at (1, 1); tiles in `walls` are blocked.
pub fn test_map(walls: &[(i32, i32)]) -> String {
    test_map_with(walls, &[])
}

/// The test map with one-tile mob spawn areas: `(mob, x, y)`.
pub fn test_map_with(walls: &[(i32, i32)], mobs: &[(&str, i32, i32)]) -> String {
    let (w, h) = (48, 16);
    let mut data = vec![0u32; (w * h) as usize];
    for &(x, y) in walls {
        data[(y * w + x) as usize] = 1;
    }
    json!({
        "width": w, "height": h, "tilewidth": 32, "tileheight": 32, "orientation": "orthogonal",
        "infinite": false, "type": "map", "version": "1.10",
        "layers": [
            {"id": 1, "type": "tilelayer", "name": "collision", "width": w, "height": h, "data": data},
            {"id": 2, "type": "objectgroup", "name": "spawns", "objects": [
                {"id": 1, "name": "start", "type": "player_spawn", "x": 48.0, "y": 48.0, "point": true}
            ]},
            {"id": 3, "type": "objectgroup", "name": "mob_spawns", "objects": mobs.iter().enumerate().map(|(i, (mob, x, y))| json!({
                "id": 10 + i, "name": format!("{mob} {i}"), "type": "mob_spawn",
                "x": x * 32, "y": y * 32, "width": 32, "height": 32,
                "properties": [{"name": "mob", "type": "string", "value": mob}, {"name": "count", "type": "int", "value": 1}]
            })).collect::<Vec<_>>()}
        ],
        "tilesets": []
    })
    .to_string()
}

/// A map JSON (like [`test_map_with`]'s) with `objects` (warps, doors, levers) added in an
/// object layer named "logic".
pub fn with_objects(map: &str, objects: serde_json::Value) -> String {
    let mut m: serde_json::Value = serde_json::from_str(map).unwrap();
    m["layers"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": 9, "type": "objectgroup", "name": "logic", "objects": objects}));
    m.to_string()
}

/// A Tiled object of `class` covering tile (x, y), with properties `(name, value)`.
pub fn tile_object(
    id: u32,
    name: &str,
    class: &str,
    (x, y): (i32, i32),
    props: &[(&str, serde_json::Value)],
) -> serde_json::Value {
    let props: Vec<_> = props
        .iter()
        .map(|(n, v)| json!({"name": n, "value": v}))
        .collect();
    json!({"id": id, "name": name, "type": class, "x": x * 32, "y": y * 32, "width": 32, "height": 32,
           "properties": props})
}

/// `map` (a map JSON like [`test_map_with`]'s) with stairs at (5, 1) down into the map
/// "vault", arriving at (2, 2).
pub fn with_stairs_to_vault(map: &str) -> String {
    let props = [("map", json!("vault")), ("x", json!(2)), ("y", json!(2))];
    with_objects(
        map,
        json!([tile_object(20, "down", "warp", (5, 1), &props)]),
    )
}

/// `test` with stairs at (5, 1) down into `vault` (2, 2); the vault's stairs at (2, 4) lead back to (4, 1).
pub fn two_maps() -> Vec<(&'static str, String)> {
    let test = with_stairs_to_vault(&test_map_with(&[], &[]));
    let vault = with_objects(
        &test_map_with(&[], &[]),
        json!([tile_object(
            20,
            "up",
            "warp",
            (2, 4),
            &[("map", json!("test")), ("x", json!(4)), ("y", json!(1))]
        )]),
    );
    vec![("test", test), ("vault", vault)]
}

/// The walk from the test map's spawn (1, 1) onto the stairs of [`with_stairs_to_vault`].
pub const TO_VAULT: [(i32, i32); 4] = [(2, 1), (3, 1), (4, 1), (5, 1)];

/// Starts a server whose assets hold these maps (`(file id, JSON)`; the first is the start
/// map, `world.map`) and the test content.
pub async fn start_with_maps(
    maps: &[(&str, String)],
    tweak: impl FnOnce(&mut Config),
) -> TestServer {
    let (start, _) = maps[0];
    let start = start.to_string();
    let written: Vec<(String, String)> = maps
        .iter()
        .map(|(n, m)| (n.to_string(), m.clone()))
        .collect();
    start_with_mobs(&[], &[], move |c| {
        for (name, json) in &written {
            std::fs::write(c.server.assets.join(format!("maps/{name}.tmj")), json).unwrap();
        }
        if start != "test" {
            let _ = std::fs::remove_file(c.server.assets.join("maps/test.tmj"));
        }
        c.world.map = start;
        tweak(c);
    })
    .await
}

/// Test defaults: regions of 4 tiles (a client sees 12 x 12 tiles), fast walking, quick ticks.
pub fn test_config() -> Config {
    let mut c = Config::default();
    c.server.ws_addr = "127.0.0.1:0".parse().unwrap();
    c.server.http_addr = "127.0.0.1:0".parse().unwrap();
    c.server.stats_interval_secs = 0;
    c.server.watch_assets = false;
    c.world.map = "test".into();
    c.world.region_size = 4;
    c.world.steps_per_sec = 20;
    c.world.step_burst = 20;
    // Tests register many accounts from 127.0.0.1; the tests of these limits set them low.
    c.server.registrations_per_ip_per_min = 10_000;
    c.server.accounts_per_ip_per_day = 100_000;
    c
}

/// Starts a server on the test map with the given walls and config changes.
pub async fn start(walls: &[(i32, i32)], tweak: impl FnOnce(&mut Config)) -> TestServer {
    start_with_mobs(walls, &[], tweak).await
}

/// Starts a server on the test map with walls, one-tile mob spawn areas and config changes.
pub async fn start_with_mobs(
    walls: &[(i32, i32)],
    mobs: &[(&str, i32, i32)],
    tweak: impl FnOnce(&mut Config),
) -> TestServer {
    start_with_content(walls, mobs, &[], tweak).await
}

/// Like [`start_with_mobs`], with more content files written into the assets folder
/// (`("quests.toml", text)`), added to or replacing the test content.
pub async fn start_with_content(
    walls: &[(i32, i32)],
    mobs: &[(&str, i32, i32)],
    files: &[(&str, &str)],
    tweak: impl FnOnce(&mut Config),
) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("maps")).unwrap();
    std::fs::write(dir.path().join("maps/test.tmj"), test_map_with(walls, mobs)).unwrap();
    write_test_content(dir.path());
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let mut config = test_config();
    config.server.assets = dir.path().to_owned();
    config.server.database = format!("sqlite://{}", dir.path().join("emberkeep.db").display());
    tweak(&mut config);
    let handle = emberkeep::start(config.clone())
        .await
        .expect("server starts");
    let addr = handle.ws_addr();
    TestServer {
        handle: Some(handle),
        addr,
        config,
        _dir: dir,
    }
}

/// Writes a test assets folder (test map with these mob spawns, test content) into `dir`.
pub fn write_assets(dir: &std::path::Path, mobs: &[(&str, i32, i32)]) {
    std::fs::create_dir_all(dir.join("maps")).unwrap();
    std::fs::write(dir.join("maps/test.tmj"), test_map_with(&[], mobs)).unwrap();
    write_test_content(dir);
}

/// Writes small content with round numbers into a test assets folder, so tests can state
/// exact results: every hit lands, nobody crits; a warrior has attack 10, defense 5, 100 hp;
/// the passive `rat` (20 hp, defense 0) always drops a dagger (+4 attack). The texts are the
/// shipped locale files.
/// The test content's `mobs.toml`: one rat that never wanders, dropping a dagger.
pub const TEST_RAT: &str = r#"
[rat]
name = "Rat"
level = 1
hp = 20
attack = 1
defense = 0
xp = 30
hostile = true
aggro_range = 0
leash_range = 10
wander_radius = 0
move_every_ticks = 5
attack_cooldown_ticks = 10
respawn_ticks = 2000
loot = "rat"
"#;

/// A peaceful NPC template `id` called `name` that stays on its spawn tile, for test content
/// (shopkeepers, quest givers).
pub fn peaceful_npc(id: &str, name: &str) -> String {
    format!(
        "\n[{id}]\nname = {name:?}\nlevel = 1\nhp = 20\nattack = 0\ndefense = 0\nxp = 0\n\
         hostile = false\nleash_range = 2\nwander_radius = 0\nmove_every_ticks = 20\n\
         attack_cooldown_ticks = 30\nrespawn_ticks = 600\n"
    )
}

pub fn write_test_content(to: &std::path::Path) {
    let files = [
        (
            "rules.toml",
            r#"
default_class = "warrior"
[levels]
max_level = 10
xp_base = 100
xp_growth_pct = 50
[derived]
hp_base = 50
hp_per_vit = 5
hp_per_level = 10
mp_base = 10
mp_per_int = 1
mp_per_level = 0
attack_per_str = 1.0
defense_per_vit = 0.5
crit_base_pct = 0.0
crit_per_dex_pct = 0.0
dodge_per_dex_pct = 0.0
[regen]
interval_ticks = 1000
hp_pct = 1
mp_pct = 1
[combat]
base_hit_pct = 100.0
crit_multiplier_pct = 200
attack_range = 1
attack_cooldown_ticks = 2
respawn_ticks = 20
min_damage = 1
[loot]
owner_ticks = 200
despawn_ticks = 2000
[inventory]
slots = 10
[party]
max_members = 5
xp_range = 10
"#,
        ),
        (
            "classes.toml",
            r#"
[warrior]
name = "Warrior"
base = { str = 10, dex = 0, int = 0, vit = 10 }
growth = { str = 2, dex = 0, int = 0, vit = 1 }
"#,
        ),
        (
            "effects.toml",
            r#"
[vigor]
name = "Vigor"
kind = "buff"
duration_ticks = 100
stacking = "refresh"
modifiers = { attack = 2 }
"#,
        ),
        (
            "items.toml",
            r#"
[dagger]
name = "Dagger"
kind = "weapon"
slot = "weapon"
modifiers = { attack = 4 }
[potion]
name = "Potion"
kind = "consumable"
heal = 20
max_stack = 5
"#,
        ),
        ("mobs.toml", TEST_RAT),
        (
            "loot.toml",
            r#"
[rat]
drops = [{ item = "dagger", chance = 1.0 }]
"#,
        ),
    ];
    for (name, text) in files {
        std::fs::write(to.join(name), text).unwrap();
    }
    // The texts players read are the shipped ones, every language.
    let locales = to.join("locales");
    std::fs::create_dir_all(&locales).unwrap();
    let shipped = repo_root().join("assets/locales");
    for entry in std::fs::read_dir(shipped).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, locales.join(path.file_name().unwrap())).unwrap();
    }
}

/// The repository's root (the fuzz crate, `fuzz/`, shares these helpers).
fn repo_root() -> &'static std::path::Path {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    if dir.join("assets").is_dir() {
        dir
    } else {
        dir.parent().expect("fuzz/ lies in the repository")
    }
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A test client: sends messages, and reads events one by one with a timeout.
pub struct Client {
    pub ws: Ws,
    pending: VecDeque<ServerEvent>,
    /// Every event received so far, in order.
    pub seen: Vec<ServerEvent>,
    pub id: u64,
    pub name: String,
}

/// How a connection ended.
#[derive(Debug)]
pub enum Ended {
    Closed(Option<CloseFrame>),
    Eof,
}

impl Client {
    /// Walks along `path`, the last step onto a warp, and waits for the `map` event of
    /// `to_map`.
    pub async fn take_stairs(&mut self, path: &[(i32, i32)], to_map: &str) -> ServerEvent {
        let (last, walk) = path.split_last().unwrap();
        for &(x, y) in walk {
            self.step(x, y).await;
        }
        self.send(&ClientMsg::Move {
            x: last.0,
            y: last.1,
            seq: None,
        })
        .await;
        self.wait_for(
            "map",
            |e| matches!(e, ServerEvent::Map { map, .. } if map.name == to_map),
        )
        .await
    }

    /// Opens a WebSocket to the server.
    pub async fn connect(addr: SocketAddr) -> Client {
        let (ws, _) = tokio::time::timeout(
            WAIT,
            tokio_tungstenite::connect_async(format!("ws://{addr}")),
        )
        .await
        .expect("connect timed out")
        .expect("connect");
        Client::over(ws)
    }

    /// Connects like a browser set to `accept_language` (an `Accept-Language` header).
    pub async fn connect_in(addr: SocketAddr, accept_language: &str) -> Client {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = format!("ws://{addr}")
            .into_client_request()
            .expect("request");
        request.headers_mut().insert(
            "accept-language",
            accept_language.parse().expect("a header value"),
        );
        let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request))
            .await
            .expect("connect timed out")
            .expect("connect");
        Client::over(ws)
    }

    /// A client on an open WebSocket, before any event.
    pub fn over(ws: Ws) -> Client {
        Client {
            ws,
            pending: VecDeque::new(),
            seen: Vec::new(),
            id: 0,
            name: String::new(),
        }
    }

    /// Opens a WebSocket to the server from another loopback address (e.g. 127.0.0.2), so
    /// one test can speak for several client addresses.
    pub async fn connect_from(addr: SocketAddr, ip: &str) -> Client {
        let open = async {
            let socket = tokio::net::TcpSocket::new_v4().expect("socket");
            socket
                .bind(SocketAddr::new(ip.parse().expect("an IPv4 address"), 0))
                .expect("bind to the client address");
            let tcp = socket.connect(addr).await.expect("tcp connect");
            tokio_tungstenite::client_async(format!("ws://{addr}"), MaybeTlsStream::Plain(tcp))
                .await
                .expect("websocket handshake")
                .0
        };
        let ws = tokio::time::timeout(WAIT, open)
            .await
            .expect("connect timed out");
        Client::over(ws)
    }

    /// Connects and enters the world as `name`; returns after the welcome.
    pub async fn join(addr: SocketAddr, name: &str) -> Client {
        let mut c = Client::connect(addr).await;
        c.send(&ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            name: Some(name.into()),
            class: None,
        })
        .await;
        match c.next().await {
            ServerEvent::Welcome { id, .. } => {
                c.id = id;
                c.name = name.into();
            }
            other => panic!("{name}: expected welcome, got {other:?}"),
        }
        c
    }

    pub async fn send(&mut self, msg: &ClientMsg) {
        self.send_text(&serde_json::to_string(msg).unwrap()).await;
    }

    /// Sends `msg`; an error if the connection is gone (for tests where a server may die).
    pub async fn try_send(&mut self, msg: &ClientMsg) -> Result<(), String> {
        let text = serde_json::to_string(msg).unwrap();
        self.ws
            .send(Message::text(text))
            .await
            .map_err(|e| e.to_string())
    }

    /// The next event, or `None` once the connection ended or failed (no timeout: wrap it).
    pub async fn next_or_end(&mut self) -> Option<ServerEvent> {
        loop {
            if let Some(e) = self.pending.pop_front() {
                self.seen.push(e.clone());
                return Some(e);
            }
            match self.ws.next().await? {
                Ok(Message::Text(t)) => {
                    let events: Vec<ServerEvent> = serde_json::from_str(t.as_str()).ok()?;
                    self.pending.extend(events);
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    pub async fn send_text(&mut self, text: &str) {
        self.ws
            .send(Message::text(text.to_string()))
            .await
            .expect("send");
    }

    /// The next event, waiting up to [`WAIT`].
    pub async fn next(&mut self) -> ServerEvent {
        loop {
            if let Some(e) = self.pending.pop_front() {
                self.seen.push(e.clone());
                return e;
            }
            let msg = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "{}: no event within {WAIT:?}; seen {:?}",
                        self.name, self.seen
                    )
                })
                .unwrap_or_else(|| panic!("{}: connection ended", self.name))
                .unwrap_or_else(|e| panic!("{}: read error {e}", self.name));
            match msg {
                Message::Text(t) => {
                    let events: Vec<ServerEvent> = serde_json::from_str(t.as_str())
                        .unwrap_or_else(|e| panic!("frame is not an event array ({e}): {t}"));
                    assert!(!events.is_empty(), "server sent an empty frame");
                    self.pending.extend(events);
                }
                Message::Close(f) => panic!("{}: closed unexpectedly: {f:?}", self.name),
                _ => {}
            }
        }
    }

    /// Reads events until one matches; returns it (the skipped ones stay in `seen`).
    pub async fn wait_for(
        &mut self,
        what: &str,
        mut pred: impl FnMut(&ServerEvent) -> bool,
    ) -> ServerEvent {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{}: no {what}; seen {:?}",
                self.name,
                self.seen
            );
            let e = self.next().await;
            if pred(&e) {
                return e;
            }
        }
    }

    /// Like [`Client::wait_for`], but also accepts an event already read (e.g. in the frame
    /// that confirmed our own step).
    pub async fn saw_or_wait(
        &mut self,
        what: &str,
        mut pred: impl FnMut(&ServerEvent) -> bool,
    ) -> ServerEvent {
        match self.seen.iter().find(|e| pred(e)) {
            Some(e) => e.clone(),
            None => self.wait_for(what, pred).await,
        }
    }

    /// The id of the next item put on the ground in view (of item template `template`, if
    /// given).
    pub async fn next_ground_item(&mut self, template: Option<&str>) -> u64 {
        let e = self
            .wait_for("an item on the ground", ground_item(template))
            .await;
        spawn_id(&e)
    }

    /// Like [`Client::next_ground_item`], but an item already seen counts too.
    pub async fn ground_item(&mut self, template: Option<&str>) -> u64 {
        let e = (self.saw_or_wait("an item on the ground", ground_item(template))).await;
        spawn_id(&e)
    }

    /// Waits for an error event and returns its code.
    pub async fn expect_error(&mut self) -> ErrorCode {
        match self
            .wait_for("error", |e| matches!(e, ServerEvent::Error { .. }))
            .await
        {
            ServerEvent::Error { code, .. } => code,
            _ => unreachable!(),
        }
    }

    /// A barrier: pings and returns every event that arrived before the pong.
    pub async fn sync(&mut self) -> Vec<ServerEvent> {
        let nonce = rand_nonce();
        self.send(&ClientMsg::Ping { nonce }).await;
        let mut before = Vec::new();
        loop {
            match self.next().await {
                ServerEvent::Pong { nonce: n } if n == nonce => return before,
                e => before.push(e),
            }
        }
    }

    /// Steps one tile and waits for the server's confirmation of our own move.
    pub async fn step(&mut self, x: i32, y: i32) {
        self.send(&ClientMsg::Move { x, y, seq: None }).await;
        let me = self.id;
        self.wait_for("own move", |e| matches!(e, ServerEvent::Move { id, x: ex, y: ey } if *id == me && *ex == x && *ey == y))
            .await;
    }

    /// Reads until the connection ends; returns how.
    pub async fn expect_end(&mut self) -> Ended {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("{}: still open after {WAIT:?}", self.name));
            match msg {
                None | Some(Err(_)) => return Ended::Eof,
                Some(Ok(Message::Close(f))) => return Ended::Closed(f),
                Some(Ok(_)) => {}
            }
        }
    }
}

/// Matches the spawn of an item on the ground (of `template`, if given).
fn ground_item(template: Option<&str>) -> impl FnMut(&ServerEvent) -> bool + '_ {
    move |e| {
        matches!(e, ServerEvent::Spawn { kind: EntityKind::Item, item, .. }
            if template.is_none() || item.as_deref() == template)
    }
}

fn spawn_id(e: &ServerEvent) -> u64 {
    match e {
        ServerEvent::Spawn { id, .. } => *id,
        other => unreachable!("not a spawn: {other:?}"),
    }
}

fn rand_nonce() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1000);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Ids spawned in these events.
pub fn spawned(events: &[ServerEvent]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| {
            if let ServerEvent::Spawn { id, .. } = e {
                Some(*id)
            } else {
                None
            }
        })
        .collect()
}

/// Reads one of the server's counters.
pub fn stat(
    server: &TestServer,
    which: impl Fn(&emberkeep::stats::Stats) -> &std::sync::atomic::AtomicU64,
) -> u64 {
    emberkeep::stats::Stats::get(which(server.stats()))
}

/// A connection that said `hello` without a name (ready to register or log in).
pub async fn greeted(addr: SocketAddr) -> Client {
    let c = Client::connect(addr).await;
    say_hello(c).await
}

/// Like [`greeted`], from another loopback address (e.g. 127.0.0.2).
pub async fn greeted_from(addr: SocketAddr, ip: &str) -> Client {
    let c = Client::connect_from(addr, ip).await;
    say_hello(c).await
}

async fn say_hello(mut c: Client) -> Client {
    c.send(&ClientMsg::Hello {
        version: PROTOCOL_VERSION,
        name: None,
        class: None,
    })
    .await;
    match c.next().await {
        ServerEvent::ServerInfo { version, .. } => assert_eq!(version, PROTOCOL_VERSION),
        other => panic!("expected server_info, got {other:?}"),
    }
    c
}

impl Client {
    /// Sends register or login and returns the `logged_in` token, or the error code.
    pub async fn auth(&mut self, msg: ClientMsg) -> Result<String, ErrorCode> {
        self.send(&msg).await;
        match self
            .wait_for("logged_in or error", |e| {
                matches!(e, ServerEvent::LoggedIn { .. } | ServerEvent::Error { .. })
            })
            .await
        {
            ServerEvent::LoggedIn { token, .. } => Ok(token),
            ServerEvent::Error { code, .. } => Err(code),
            _ => unreachable!(),
        }
    }

    /// `play {name}` and wait for the welcome; records the entity id.
    pub async fn play(&mut self, name: &str) -> ServerEvent {
        self.send(&ClientMsg::Play { name: name.into() }).await;
        let w = self
            .wait_for("welcome", |e| {
                matches!(e, ServerEvent::Welcome { .. } | ServerEvent::Error { .. })
            })
            .await;
        match &w {
            ServerEvent::Welcome { id, name, .. } => {
                self.id = *id;
                self.name = name.clone();
            }
            other => panic!("play {name}: {other:?}"),
        }
        w
    }

    /// Creates a character `name` of the default class on the logged-in account and plays it.
    pub async fn create_and_play(&mut self, name: &str) -> ServerEvent {
        self.send(&ClientMsg::CreateCharacter {
            name: name.into(),
            class: None,
        })
        .await;
        self.wait_for("characters", |e| {
            matches!(e, ServerEvent::Characters { .. })
        })
        .await;
        self.play(name).await
    }
}

/// A client greeted and resumed with `token` (after a restart: sessions survive it).
pub async fn resumed(addr: SocketAddr, token: String) -> Client {
    let mut c = greeted(addr).await;
    c.auth(ClientMsg::Resume { token })
        .await
        .expect("sessions survive restarts");
    c
}

/// `register` message.
pub fn register(user: &str, password: &str) -> ClientMsg {
    ClientMsg::Register {
        username: user.into(),
        password: password.into(),
    }
}

/// `login` message.
pub fn login(user: &str, password: &str) -> ClientMsg {
    ClientMsg::Login {
        username: user.into(),
        password: password.into(),
    }
}
