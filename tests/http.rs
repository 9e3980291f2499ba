//! The HTTP side as a browser meets it: the web client's files (built in, or from a
//! `server.web_root` folder) with the right content types and caching headers, where to
//! connect, the health probe, the map and tileset, and no way out of the served folders.
//! Requests are plain HTTP/1.1 written on a TCP socket.

mod common;

use std::net::SocketAddr;

use common::http::{get, request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const REPO_WEB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/web");

/// A test server serving the built-in web client; returns it and its HTTP address.
async fn server() -> (common::TestServer, SocketAddr) {
    serve_web_root(None).await
}

/// A test server serving the web client from `web_root` (or the built-in one for `None`).
async fn serve_web_root(web_root: Option<&std::path::Path>) -> (common::TestServer, SocketAddr) {
    let s = common::start(&[], |c| c.server.web_root = web_root.map(Into::into)).await;
    let http = s.handle.as_ref().expect("running").http_addr();
    (s, http)
}

#[tokio::test]
async fn the_page_and_its_modules_are_served_with_their_content_types() {
    for web_root in [None, Some(std::path::Path::new(REPO_WEB))] {
        let (s, http) = serve_web_root(web_root).await;
        page_and_modules(http).await;
        s.shutdown().await;
    }
}

async fn page_and_modules(http: SocketAddr) {
    let page = get(http, "/").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page.text().contains("main.js"), "{}", page.text());
    for (path, kind) in [
        ("/index.html", "text/html; charset=utf-8"),
        ("/main.js", "text/javascript; charset=utf-8"),
        ("/net.js", "text/javascript; charset=utf-8"),
        ("/style.css", "text/css; charset=utf-8"),
        ("/favicon.svg", "image/svg+xml"),
    ] {
        let r = get(http, path).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some(kind), "{path}");
        assert_eq!(r.body, std::fs::read(format!("{REPO_WEB}{path}")).unwrap());
    }
}

#[tokio::test]
async fn a_web_root_folder_is_served_instead_and_read_on_each_request() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index.html");
    std::fs::write(&index, "<p>first</p>").unwrap();
    let (s, http) = serve_web_root(Some(dir.path())).await;
    let first = get(http, "/").await;
    assert_eq!((first.status, first.text().as_str()), (200, "<p>first</p>"));
    std::fs::write(&index, "<p>second</p>").unwrap();
    let second = get(http, "/").await;
    assert_eq!(
        second.text(),
        "<p>second</p>",
        "edits show without a restart"
    );
    assert_ne!(first.header("etag"), second.header("etag"));
    assert_eq!(
        get(http, "/main.js").await.status,
        404,
        "no built-in fallback"
    );
    s.shutdown().await;
}

#[tokio::test]
async fn served_files_carry_an_etag_and_an_unchanged_one_is_not_sent_again() {
    let (s, http) = server().await;
    for path in ["/main.js", "/", "/assets/maps/test.tmj"] {
        let r = get(http, path).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("cache-control"), Some("no-cache"), "{path}");
        let tag = r.header("etag").expect("an ETag").to_string();
        assert!(tag.len() > 2 && tag.starts_with('"') && tag.ends_with('"'));
        let again = request(
            http,
            &format!("GET {path} HTTP/1.1\r\nHost: {http}\r\nIf-None-Match: {tag}\r\n"),
        )
        .await;
        assert_eq!(again.status, 304, "{path}");
        assert!(again.body.is_empty(), "{path}");
        assert_eq!(again.header("etag"), Some(tag.as_str()));
        let stale = request(
            http,
            &format!("GET {path} HTTP/1.1\r\nHost: {http}\r\nIf-None-Match: \"old\"\r\n"),
        )
        .await;
        assert_eq!((stale.status, stale.body.len()), (200, r.body.len()));
    }
    s.shutdown().await;
}

#[tokio::test]
async fn media_is_cached_for_a_day_and_code_is_revalidated() {
    for web_root in [None, Some(std::path::Path::new(REPO_WEB))] {
        let (s, http) = serve_web_root(web_root).await;
        media_and_code_caching(http).await;
        s.shutdown().await;
    }
}

async fn media_and_code_caching(http: SocketAddr) {
    let day = Some("public, max-age=86400");
    for (path, kind) in [
        ("/sounds/hit.wav", "audio/wav"),
        ("/sounds/click.wav", "audio/wav"),
        ("/music/index.json", "application/json"),
    ] {
        let r = get(http, path).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some(kind), "{path}");
        assert_eq!(r.header("cache-control"), day, "{path}");
        let tag = r.header("etag").expect("media keeps its ETag").to_string();
        let again = request(
            http,
            &format!("GET {path} HTTP/1.1\r\nHost: {http}\r\nIf-None-Match: {tag}\r\n"),
        )
        .await;
        assert_eq!(again.status, 304, "{path}");
        assert_eq!(again.header("cache-control"), day, "{path}");
    }
    for path in [
        "/",
        "/index.html",
        "/sound.js",
        "/style.css",
        "/favicon.svg",
    ] {
        let r = get(http, path).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("cache-control"), Some("no-cache"), "{path}");
    }
    assert_eq!(get(http, "/sounds/none.wav").await.status, 404);
}

#[tokio::test]
async fn the_page_learns_where_the_websocket_is_and_the_server_is_healthy() {
    let (s, http) = server().await;
    let ws = s.addr;
    let config = get(http, "/client-config.json").await;
    assert_eq!(config.status, 200);
    assert_eq!(config.header("content-type"), Some("application/json"));
    let json: serde_json::Value = serde_json::from_slice(&config.body).expect("JSON");
    assert_eq!(json["ws_url"], format!("ws://{ws}"));

    let health = get(http, "/health").await;
    assert_eq!((health.status, health.text().as_str()), (200, "ok"));
    s.shutdown().await;
}

#[tokio::test]
async fn a_wildcard_websocket_address_is_announced_on_the_page_host() {
    let s = common::start(&[], |c| {
        c.server.ws_addr = "0.0.0.0:0".parse().unwrap();
    })
    .await;
    let handle = s.handle.as_ref().expect("running");
    let (http, port) = (handle.http_addr(), handle.ws_addr().port());
    let r = request(
        http,
        "GET /client-config.json HTTP/1.1\r\nHost: game.example:9000\r\n",
    )
    .await;
    let json: serde_json::Value = serde_json::from_slice(&r.body).expect("JSON");
    assert_eq!(json["ws_url"], format!("ws://game.example:{port}"));
    s.shutdown().await;
}

#[tokio::test]
async fn the_map_and_tileset_come_from_the_assets_folder_and_nothing_else_does() {
    let (s, http) = server().await;
    let map = get(http, "/assets/maps/test.tmj").await;
    assert_eq!(map.status, 200);
    assert_eq!(map.header("content-type"), Some("application/json"));
    let json: serde_json::Value = serde_json::from_slice(&map.body).expect("the map is JSON");
    assert_eq!(json["width"], 48);

    std::fs::create_dir_all(s.dir().join("tilesets")).unwrap();
    std::fs::write(s.dir().join("tilesets/tiles.png"), b"\x89PNG fake").unwrap();
    let png = get(http, "/assets/tilesets/tiles.png").await;
    assert_eq!(png.status, 200);
    assert_eq!(png.header("content-type"), Some("image/png"));

    for path in [
        "/assets/rules.toml",     // content files are not served
        "/assets/maps/test.json", // only .tmj in maps/
        "/assets/tilesets/../rules.toml",
        "/assets/maps/..%2frules.toml", // decoded by the router: still refused
        "/assets/maps/%2e%2e%2fmaps%2ftest.tmj",
        "/nothing-here.js",
    ] {
        assert_eq!(get(http, path).await.status, 404, "{path}");
    }
    s.shutdown().await;
}

#[tokio::test]
async fn path_traversal_is_refused() {
    for web_root in [None, Some(std::path::Path::new(REPO_WEB))] {
        let (s, http) = serve_web_root(web_root).await;
        no_way_out(http).await;
        s.shutdown().await;
    }
}

async fn no_way_out(http: SocketAddr) {
    for path in [
        "/../Cargo.toml",
        "/../../etc/passwd",
        "/..%2fCargo.toml",
        "/%2e%2e/Cargo.toml",
        "/.git/config",
        "/web/../Cargo.toml",
        "/./index.html",
        "/..\\Cargo.toml",
    ] {
        let r = get(http, path).await;
        assert!(
            r.status == 404 || r.status == 400,
            "{path}: {} {}",
            r.status,
            r.text()
        );
        assert!(!r.text().contains("[package]"), "{path} leaked a file");
    }
}

#[tokio::test]
async fn only_get_is_answered() {
    let (s, http) = server().await;
    let r = request(
        http,
        &format!("POST /index.html HTTP/1.1\r\nHost: {http}\r\nContent-Length: 0\r\n"),
    )
    .await;
    assert_eq!(r.status, 405);
    let r = request(http, &format!("HEAD /health HTTP/1.1\r\nHost: {http}\r\n")).await;
    assert_eq!(r.status, 200);
    s.shutdown().await;
}

#[test]
fn help_mentions_the_http_address_flag() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_emberkeep"))
        .arg("--help")
        .output()
        .expect("binary runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("--http-addr") && text.contains("EMBERKEEP_HTTP_ADDR"),
        "{text}"
    );
}

#[tokio::test]
async fn metrics_and_status_report_the_running_server() {
    let server = common::start(&[], |_| {}).await;
    let mut c = common::Client::join(server.addr, "Metered").await;
    c.step(1, 2).await;
    let http = server.handle.as_ref().unwrap().http_addr();
    // The world refreshes entity counts every 20 ticks: wait for the figure, not a fixed time.
    let deadline = tokio::time::Instant::now() + common::WAIT;
    let status = loop {
        let r = get(http, "/status.json").await;
        assert_eq!(r.status, 200);
        let status: serde_json::Value = serde_json::from_str(&r.text()).unwrap();
        if status["entities"]["players"] == 1 {
            break status;
        }
        assert!(tokio::time::Instant::now() < deadline, "{status}");
        c.sync().await;
    };
    assert_eq!(status["players"], 1);
    assert_eq!(status["tick_rate"], 20);
    // Every ECS entity: at least the player and whatever the map holds besides.
    let all = status["entities"]["all"].as_u64().expect("entities.all");
    let kinds: u64 = ["players", "mobs", "npcs", "items"]
        .iter()
        .map(|k| status["entities"][k].as_u64().unwrap_or(0))
        .sum();
    assert!(all >= kinds && all >= 1, "{status}");
    let r = get(http, "/metrics").await;
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-type")
            .is_some_and(|t| t.starts_with("text/plain"))
    );
    let text = r.text();
    for needle in [
        "emberkeep_players_online 1",
        "emberkeep_inbound_messages_total{type=\"move\"} 1",
        "emberkeep_phase_seconds_bucket{phase=\"broadcast\",le=\"+Inf\"}",
        "emberkeep_entities{kind=\"player\"} 1",
        "# TYPE emberkeep_ecs_entities gauge",
        "# TYPE emberkeep_tick_seconds histogram",
    ] {
        assert!(text.contains(needle), "missing {needle} in:\n{text}");
    }
    let r = get(http, "/status").await;
    assert!(r.status == 200 && r.text().contains("/status.json"));
    server.shutdown().await;
}

/// Reads until the server closes the socket (or resets it); panics if it is still open after
/// [`common::WAIT`]. Returns what was received.
async fn until_closed(s: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let read_all = async {
        let mut buf = [0u8; 1024];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(common::WAIT, read_all)
        .await
        .expect("the server closes the connection");
    got
}

/// Waits (up to [`common::WAIT`]) until the server counts `n` open HTTP connections.
async fn open_http_connections(server: &common::TestServer, n: u64) {
    let counted = async {
        while common::stat(server, |s| &s.http_connections) != n {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(common::WAIT, counted)
        .await
        .unwrap_or_else(|_| panic!("never {n} open http connections"));
}

#[tokio::test]
async fn slowloris_http_connection_is_closed_after_header_timeout() {
    let server = common::start(&[], |c| c.server.http_header_timeout_secs = 1.0).await;
    let http = server.handle.as_ref().unwrap().http_addr();
    // One trickles a request's first header lines and stops; one never says anything.
    let mut slow = TcpStream::connect(http).await.unwrap();
    slow.write_all(format!("GET / HTTP/1.1\r\nHost: {http}\r\nX-Slow: ").as_bytes())
        .await
        .unwrap();
    let mut silent = TcpStream::connect(http).await.unwrap();
    let started = std::time::Instant::now();
    until_closed(&mut slow).await;
    until_closed(&mut silent).await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(900));
    open_http_connections(&server, 0).await;
    // The server still answers a well-behaved client.
    assert_eq!(get(http, "/health").await.status, 200);
    server.shutdown().await;
}

#[tokio::test]
async fn a_stalled_request_body_is_closed_after_the_idle_timeout() {
    let server = common::start(&[], |c| {
        c.server.http_idle_timeout_secs = 1.0;
        c.server.admin_token = Some("t0ken".into());
    })
    .await;
    let http = server.handle.as_ref().unwrap().http_addr();
    let mut s = TcpStream::connect(http).await.unwrap();
    let head = format!(
        "POST /admin/broadcast HTTP/1.1\r\nHost: {http}\r\nAuthorization: Bearer t0ken\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"text\":"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    until_closed(&mut s).await;
    open_http_connections(&server, 0).await;
    server.shutdown().await;
}

#[tokio::test]
async fn http_connections_over_the_cap_wait_for_a_free_slot() {
    let server = common::start(&[], |c| c.server.http_max_connections = 2).await;
    let http = server.handle.as_ref().unwrap().http_addr();
    let first = TcpStream::connect(http).await.unwrap();
    let _second = TcpStream::connect(http).await.unwrap();
    open_http_connections(&server, 2).await;
    // A third is not served while both slots are held...
    let mut third = tokio::spawn(async move {
        request(http, &format!("GET /health HTTP/1.1\r\nHost: {http}\r\n")).await
    });
    let early = tokio::time::timeout(std::time::Duration::from_millis(300), &mut third).await;
    assert!(early.is_err(), "served over the cap");
    assert_eq!(common::stat(&server, |s| &s.http_connections), 2);
    // ...and is as soon as one closes.
    drop(first);
    let answer = tokio::time::timeout(common::WAIT, third)
        .await
        .expect("served once a slot is free")
        .unwrap();
    assert_eq!(answer.status, 200);
    server.shutdown().await;
}

/// The raw body of a `Transfer-Encoding: chunked` answer, unframed.
fn unchunk(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = raw;
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a chunk size line");
        let size_text = std::str::from_utf8(&rest[..line_end]).expect("a hex size");
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16)
            .expect("a hex size");
        rest = &rest[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("a gzip stream");
    out
}

/// A browser that accepts gzip gets the scripts and the map gzipped, and they unpack to the
/// very files; a client that does not ask gets them as they are; an image is never gzipped.
#[tokio::test]
async fn text_is_gzipped_for_clients_that_accept_it() {
    let (s, http) = server().await;
    let map = std::fs::read(s.dir().join("maps/test.tmj")).unwrap();
    for (path, file) in [
        (
            "/main.js",
            std::fs::read(format!("{REPO_WEB}/main.js")).unwrap(),
        ),
        (
            "/style.css",
            std::fs::read(format!("{REPO_WEB}/style.css")).unwrap(),
        ),
        ("/assets/maps/test.tmj", map),
    ] {
        let r = request(
            http,
            &format!("GET {path} HTTP/1.1\r\nHost: {http}\r\nAccept-Encoding: gzip\r\n"),
        )
        .await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-encoding"), Some("gzip"), "{path}");
        assert!(r.header("etag").is_some(), "{path} keeps its ETag");
        let body = if r.header("transfer-encoding") == Some("chunked") {
            unchunk(&r.body)
        } else {
            r.body.clone()
        };
        assert!(
            body.len() * 2 < file.len(),
            "{path}: {} gzipped bytes for {}",
            body.len(),
            file.len()
        );
        assert_eq!(gunzip(&body), file, "{path} unpacks to the file");

        let plain = get(http, path).await;
        assert_eq!(plain.header("content-encoding"), None, "{path}");
        assert_eq!(plain.body, file, "{path} as it is without Accept-Encoding");
    }
    let icons = request(
        http,
        &format!("GET /icons/items.png HTTP/1.1\r\nHost: {http}\r\nAccept-Encoding: gzip\r\n"),
    )
    .await;
    assert_eq!(icons.status, 200);
    assert_eq!(
        icons.header("content-encoding"),
        None,
        "a PNG goes as it is"
    );
    s.shutdown().await;
}
