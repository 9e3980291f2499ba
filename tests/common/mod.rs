//! Shared helpers for black-box tests: a real server on an ephemeral port, and a WebSocket
//! client that waits for events with a timeout instead of sleeping.
#![allow(dead_code)] // each test binary uses a different subset

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use emberkeep::{Config, ServerHandle};
use emberkeep_components::protocol::{ClientMsg, ErrorCode, PROTOCOL_VERSION, ServerEvent};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long any single wait may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(5);

/// A server on 127.0.0.1:0 with its own assets folder.
pub struct TestServer {
    pub handle: Option<ServerHandle>,
    pub addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// Stops the server gracefully.
    pub async fn shutdown(mut self) {
        if let Some(h) = self.handle.take() {
            h.shutdown().await;
        }
    }

    pub fn stats(&self) -> &emberkeep::stats::Stats {
        self.handle.as_ref().expect("running").stats()
    }
}

/// A 48 x 16 open test map: everyone spawns at (1, 1); tiles in `walls` are blocked.
pub fn test_map(walls: &[(i32, i32)]) -> String {
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
            ]}
        ],
        "tilesets": []
    })
    .to_string()
}

/// Test defaults: regions of 4 tiles (a client sees 12 x 12 tiles), fast walking, quick ticks.
pub fn test_config() -> Config {
    let mut c = Config::default();
    c.server.ws_addr = "127.0.0.1:0".parse().unwrap();
    c.server.stats_interval_secs = 0;
    c.world.map = "test".into();
    c.world.region_size = 4;
    c.world.steps_per_sec = 20;
    c.world.step_burst = 20;
    c
}

/// Starts a server on the test map with the given walls and config changes.
pub async fn start(walls: &[(i32, i32)], tweak: impl FnOnce(&mut Config)) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("maps")).unwrap();
    std::fs::write(dir.path().join("maps/test.tmj"), test_map(walls)).unwrap();
    let mut config = test_config();
    config.server.assets = dir.path().to_owned();
    tweak(&mut config);
    let handle = emberkeep::start(config).await.expect("server starts");
    let addr = handle.ws_addr();
    TestServer {
        handle: Some(handle),
        addr,
        _dir: dir,
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
    /// Opens a WebSocket to the server.
    pub async fn connect(addr: SocketAddr) -> Client {
        let (ws, _) = tokio::time::timeout(
            WAIT,
            tokio_tungstenite::connect_async(format!("ws://{addr}")),
        )
        .await
        .expect("connect timed out")
        .expect("connect");
        Client {
            ws,
            pending: VecDeque::new(),
            seen: Vec::new(),
            id: 0,
            name: String::new(),
        }
    }

    /// Connects and enters the world as `name`; returns after the welcome.
    pub async fn join(addr: SocketAddr, name: &str) -> Client {
        let mut c = Client::connect(addr).await;
        c.send(&ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            name: name.into(),
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
