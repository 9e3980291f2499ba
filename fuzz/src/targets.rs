//! What each fuzz target feeds its input to, and the contract it holds the answer to. A
//! broken contract panics with the reason, which bolero reports with the (shrunk) input.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use emberkeep::Config;
use emberkeep::assets::content::{self, ContentErrors};
use emberkeep::assets::tiled::{self, MAX_SIDE};
use emberkeep::net::decode::{accept_language, decode, locale_of};
use emberkeep_components::atlas::Maps;
use emberkeep_components::text::{FALLBACK, Locales};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common;

/// The shipped assets folder.
fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets")
}

/// The shipped locale files, read once.
fn locales() -> &'static Locales {
    static LOCALES: OnceLock<Locales> = OnceLock::new();
    LOCALES.get_or_init(|| {
        content::load(&shipped())
            .expect("the shipped content loads")
            .locales
    })
}

/// A client's text frame (WebSocket text frames are UTF-8, so other bytes are read lossily).
/// Contract: `decode` answers `Ok` with a message that survives a round trip through its own
/// JSON, or an error code with a text that renders; the locale and `Accept-Language` readers
/// never name a language the server lacks.
pub fn protocol_frame(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let decoded = decode(&text);
    match &decoded {
        Ok(msg) => {
            let again = serde_json::to_string(msg).expect("a decoded message serializes");
            assert_eq!(
                decode(&again).as_ref(),
                Ok(msg),
                "a decoded message re-decodes to itself: {again}"
            );
        }
        Err((code, reason)) => {
            let shown = locales().render_text(FALLBACK, reason);
            assert!(!shown.trim().is_empty(), "error {code:?} has an empty text");
            assert!(
                serde_json::to_value(code).is_ok_and(|v| v.is_string()),
                "error code {code:?} is a string on the wire"
            );
        }
    }
    let _ = locale_of(&text, decoded.as_ref().ok());
    if let Some(lang) = accept_language(&text, locales()) {
        assert!(locales().has(&lang), "picked {lang:?}, which is not loaded");
    }
}

/// A Tiled JSON map. Contract: `Ok` only for a map whose player spawns and mob spawn areas lie
/// on it (spawns walkable), which the atlas accepts; otherwise an error that names where in the
/// file and why.
pub fn tiled_map(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match tiled::parse("fuzz", &text) {
        Ok(loaded) => {
            let map = &loaded.map;
            assert!((1..=MAX_SIDE).contains(&map.width) && (1..=MAX_SIDE).contains(&map.height));
            for s in &map.player_spawns {
                assert!(map.is_walkable(s.tile), "spawn {:?} walkable", s.name);
            }
            for a in &loaded.spawn_areas {
                assert!(
                    map.in_bounds(a.min) && map.in_bounds(a.max),
                    "mob spawn area {:?} on the map",
                    a.name
                );
                assert!(
                    a.min.x <= a.max.x && a.min.y <= a.max.y,
                    "{:?} ordered",
                    a.name
                );
            }
            let _ = Maps::build(vec![loaded.map], 16);
        }
        Err((where_, reason)) => {
            assert!(!where_.trim().is_empty(), "the error names where: {reason}");
            assert!(
                !reason.trim().is_empty(),
                "the error says why (at {where_})"
            );
        }
    }
}

/// Config text. The input is tried as a config file, and its `EMBERKEEP_...=value` lines as
/// environment variables. Contract: `Ok` only for a config that validates and converts to the
/// world's settings; an error otherwise, with a message.
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let check = |result: anyhow::Result<Config>| match result {
        Ok(config) => {
            config.validate().expect("a loaded config validates");
            let _ = config.sim();
            let _ = config.map_path();
        }
        Err(e) => assert!(!format!("{e:#}").trim().is_empty(), "the error says why"),
    };
    check(Config::from_toml(&text));
    let env: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| k.starts_with("EMBERKEEP_"))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if !env.is_empty() {
        check(Config::load(None, env));
    }
}

/// A story script. Contract: it compiles under the sandbox's limits, or the error names a
/// line and column inside the source.
pub fn script(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Err(e) = emberkeep_systems::story::script::compile(&text) {
        assert!(!e.message.trim().is_empty(), "the error says why");
        let lines = text.lines().count().max(1);
        assert!(
            e.line <= lines + 1,
            "line {} of {lines}: {}",
            e.line,
            e.message
        );
    }
}

/// A copy of the shipped content files (no maps) in a scratch folder, where each input
/// replaces one file before the whole content is loaded and checked.
pub struct ContentDir {
    _dir: tempfile::TempDir,
    root: PathBuf,
    file: PathBuf,
}

impl ContentDir {
    /// A scratch copy whose `file` (relative to the assets folder) the inputs replace.
    pub fn new(file: &str) -> ContentDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        copy_content(&shipped(), &root);
        assert!(
            content::load(&root).is_ok(),
            "the copied content loads as shipped"
        );
        ContentDir {
            file: root.join(file),
            root,
            _dir: dir,
        }
    }

    /// Contract: the content loads, or every problem names a file in the folder (most often
    /// the one replaced) and says in one line what is wrong.
    pub fn check(&self, data: &[u8]) {
        std::fs::write(&self.file, data).unwrap();
        match content::load(&self.root) {
            Ok(_) => {}
            Err(ContentErrors { problems }) => {
                assert!(!problems.is_empty(), "an error lists a problem");
                for p in &problems {
                    assert!(
                        p.file.starts_with(&self.root) && p.file != self.root,
                        "{p} names a file"
                    );
                    assert!(!p.reason.trim().is_empty(), "{p} says why");
                    assert!(!p.reason.contains('\n'), "{p:?} is one line");
                }
            }
        }
    }
}

/// Copies the content files, locale files and scripts (not the maps) from `from` to `to`.
fn copy_content(from: &Path, to: &Path) {
    for sub in ["", "locales", "scripts"] {
        std::fs::create_dir_all(to.join(sub)).unwrap();
        for entry in std::fs::read_dir(from.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::copy(&path, to.join(sub).join(path.file_name().unwrap())).unwrap();
            }
        }
    }
}

/// The admin endpoints that take a JSON body; an input's first byte picks one.
const BODY_ENDPOINTS: [&str; 9] = [
    "kick",
    "ban",
    "unban",
    "mute",
    "broadcast",
    "teleport",
    "give",
    "spawn",
    "despawn",
];

const TOKEN: &str = "fuzz-admin-token";

/// A real server (test map and content) whose admin API the inputs are posted to.
pub struct AdminServer {
    runtime: tokio::runtime::Runtime,
    server: common::TestServer,
    http: SocketAddr,
}

impl AdminServer {
    /// Starts the server, with a quick tick so world actions answer fast.
    pub fn start() -> AdminServer {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let server = runtime.block_on(common::start(&[], |c| {
            c.server.admin_token = Some(TOKEN.into());
            c.world.tick_rate = 200;
        }));
        let http = server.handle.as_ref().unwrap().http_addr();
        AdminServer {
            runtime,
            server,
            http,
        }
    }

    /// Posts the input's body to the endpoint its first byte picks. Contract: the answer is
    /// 200 with a JSON object, or a 4xx whose JSON says what was wrong in `error`; the world
    /// keeps running.
    pub fn check(&self, data: &[u8]) {
        let Some((&pick, body)) = data.split_first() else {
            return;
        };
        let endpoint = BODY_ENDPOINTS[usize::from(pick) % BODY_ENDPOINTS.len()];
        let (status, answer) = self.runtime.block_on(post(self.http, endpoint, body));
        let json: serde_json::Value = serde_json::from_slice(&answer).unwrap_or_else(|e| {
            panic!(
                "/admin/{endpoint} answered {status} with a body that is not JSON ({e}): {}",
                String::from_utf8_lossy(&answer)
            )
        });
        match status {
            200 => assert!(json.is_object(), "/admin/{endpoint}: {json}"),
            400 | 413 | 415 | 422 => assert!(
                json["error"].as_str().is_some_and(|m| !m.trim().is_empty()),
                "/admin/{endpoint} {status} says why: {json}"
            ),
            other => panic!("/admin/{endpoint} answered {other}: {json}"),
        }
        assert!(
            !self.server.handle.as_ref().unwrap().world_stopped(),
            "the world stopped after /admin/{endpoint}"
        );
    }
}

/// One `POST /admin/<endpoint>` with this body; the status and the body of the answer.
async fn post(http: SocketAddr, endpoint: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let head = format!(
        "POST /admin/{endpoint} HTTP/1.1\r\nHost: {http}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let io = async {
        let mut s = tokio::net::TcpStream::connect(http).await.unwrap();
        s.write_all(head.as_bytes()).await.unwrap();
        s.write_all(body).await.unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).await.unwrap();
        raw
    };
    let raw = tokio::time::timeout(common::WAIT, io)
        .await
        .expect("the admin API answers in time");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer has a head");
    let status = std::str::from_utf8(&raw[..split])
        .ok()
        .and_then(|head| head.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .expect("an HTTP status line");
    (status, raw[split + 4..].to_vec())
}
