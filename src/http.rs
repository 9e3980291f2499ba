//! The HTTP side of the server: the web client's static files, the map and tileset it draws,
//! the item catalog (`/content/items.json`), where its WebSocket should connect
//! (`/client-config.json`) and a liveness probe (`/health`).
//!
//! The web client is built into the binary (the `web/` folder at build time), so the page
//! loads wherever the server is started. `server.web_root` serves a folder instead, read on
//! each request, so editing `web/` needs no restart. The map and tileset are read from the
//! assets folder on each request. Only plain relative paths are served: a `..`, a hidden file
//! or an odd character is a 404, never a look outside the served folders. Every file carries
//! an `ETag` (a hash of its bytes) and `Cache-Control: no-cache`: browsers revalidate and get
//! `304 Not Modified` while the file is unchanged. Media under the client's `sprites/`,
//! `icons/`, `sounds/` and `music/` is `public, max-age=86400` instead (kept a day). A client
//! that sends `Accept-Encoding: gzip` gets text and JSON gzipped (tower-http's
//! `CompressionLayer`; images and bodies under 32 bytes are sent as they are).
//!
//! The listener is HTTP/1.1 with a header-read timeout, an idle timeout and a cap on open
//! connections (`HttpLimits`), so slow or silent sockets cannot starve the process of file
//! descriptors.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use sha2::Digest;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tower_http::compression::CompressionLayer;
use tracing::{debug, warn};

/// The web client as it was in `web/` when the binary was built.
#[derive(rust_embed::Embed)]
#[folder = "web/"]
struct BuiltInClient;

/// How many files the built-in web client has (for the start log).
pub fn built_in_client_files() -> usize {
    BuiltInClient::iter().count()
}
use crate::stats::Stats;

/// What the HTTP server serves.
#[derive(Debug, Clone)]
pub struct Site {
    /// A folder to serve the web client from (`server.web_root`), read on each request; `None`
    /// serves the client built into the binary.
    pub web_root: Option<PathBuf>,
    /// The content folder (`server.assets`); only `maps/*.tmj` and `tilesets/*.png` are served.
    pub assets: PathBuf,
    /// The bound WebSocket address, announced in `/client-config.json`.
    pub ws_addr: SocketAddr,
    /// Live counters for `/metrics` and `/status.json`.
    pub stats: Arc<Stats>,
    pub tick_rate: u32,
    /// The item catalog, replaced when a content reload is applied.
    pub catalog: Arc<crate::catalog::ItemCatalog>,
    /// What the cluster task knows of the cluster (`None`: this process runs alone).
    pub cluster: Option<tokio::sync::watch::Receiver<crate::cluster::ClusterStatus>>,
}

/// The routes: `/health`, `/client-config.json`, `/content/items.json`,
/// `/assets/maps/<name>.tmj`, `/assets/tilesets/<name>.png`, and every other GET is a file
/// under the web root.
pub fn router(site: Site) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/status", get(status_page))
        .route("/status.json", get(status_json))
        .route("/cluster.json", get(cluster_json))
        .route("/client-config.json", get(client_config))
        .route("/content/items.json", get(items_json))
        .route("/assets/maps/{file}", get(map_file))
        .route("/assets/tilesets/{file}", get(tileset_file))
        .fallback(web_file)
        .with_state(Arc::new(site))
        // gzip for clients that ask (`Accept-Encoding`): the scripts and the maps' JSON
        // shrink to a quarter or less; images and tiny bodies go as they are.
        .layer(CompressionLayer::new())
}

/// Limits on the HTTP listener, so slow or silent clients cannot pile up sockets.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// Time to send a request's headers; also how long an idle keep-alive connection stays.
    pub header_timeout: Duration,
    /// Time a connection may make no progress in the middle of a request or response.
    pub idle_timeout: Duration,
    /// Open connections at most; further ones wait in the listen queue until one closes.
    pub max_connections: usize,
}

/// Serves `routes` on `listener` until `stop` turns true: HTTP/1.1 with a header-read
/// timeout, an idle timeout and a cap on open connections. On stop, in-flight requests
/// finish and idle connections close; the caller aborts the task to end the stragglers,
/// which drops every connection.
pub async fn serve_router(
    listener: TcpListener,
    routes: Router,
    limits: HttpLimits,
    stats: Arc<Stats>,
    mut stop: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    loop {
        // A free slot first, then a connection: at the cap, new ones wait in the kernel's
        // listen queue and hold no descriptor of ours.
        let slot = tokio::select! {
            _ = stopped(&mut stop) => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let (stream, addr) = tokio::select! {
            _ = stopped(&mut stop) => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Usually out of file descriptors: back off instead of spinning.
                    warn!(error = %e, "http accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let io = TokioIo::new(Idle::new(stream, limits.idle_timeout));
        let conn =
            graceful.watch(http.serve_connection(io, TowerToHyperService::new(routes.clone())));
        let open = OpenHttp::count(stats.clone());
        connections.spawn(async move {
            let _held = (slot, open);
            if let Err(e) = conn.await {
                debug!(%addr, error = %e, "http connection ended");
            }
        });
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Resolves once `stop` is true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    while !*stop.borrow_and_update() {
        if stop.changed().await.is_err() {
            return;
        }
    }
}

/// Counts an HTTP connection in [`Stats::http_connections`] for as long as it lives.
struct OpenHttp(Arc<Stats>);

impl OpenHttp {
    fn count(stats: Arc<Stats>) -> Self {
        Stats::add(&stats.http_connections, 1);
        OpenHttp(stats)
    }
}

impl Drop for OpenHttp {
    fn drop(&mut self) {
        Stats::sub(&self.0.http_connections, 1);
    }
}

/// A socket whose reads and writes fail with `TimedOut` once one has waited `idle` without
/// a byte moving: a client that stalls mid-request (a trickled body) or stops reading its
/// response cannot hold the connection forever.
struct Idle<S> {
    inner: S,
    idle: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl<S> Idle<S> {
    fn new(inner: S, idle: Duration) -> Self {
        Idle {
            inner,
            idle,
            deadline: Box::pin(tokio::time::sleep(idle)),
        }
    }

    fn progressed(&mut self) {
        let next = tokio::time::Instant::now() + self.idle;
        self.deadline.as_mut().reset(next);
    }

    /// A pending read or write: pending until the deadline, then an error.
    fn stalled<T>(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<T>> {
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "no progress within the http idle timeout",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Idle<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Pending => this.stalled(cx),
            ready => {
                if buf.filled().len() > before {
                    this.progressed();
                }
                ready
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Idle<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, data) {
            Poll::Pending => this.stalled(cx),
            ready => {
                if matches!(ready, Poll::Ready(Ok(n)) if n > 0) {
                    this.progressed();
                }
                ready
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Pending => this.stalled(cx),
            ready => ready,
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// The URL a person opens to play: the bound address, with loopback for a wildcard IP.
pub fn play_url(http_addr: SocketAddr) -> String {
    let mut shown = http_addr;
    if shown.ip().is_unspecified() {
        shown.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    format!("http://{shown}")
}

async fn metrics(State(site): State<Arc<Site>>) -> Response {
    with_type(
        crate::metrics::CONTENT_TYPE,
        crate::metrics::prometheus(&site.stats),
    )
}

async fn status_page() -> Response {
    with_type("text/html; charset=utf-8", crate::metrics::STATUS_PAGE)
}

async fn status_json(State(site): State<Arc<Site>>) -> Response {
    with_type(
        "application/json",
        crate::metrics::status_json(&site.stats, site.tick_rate).to_string(),
    )
}

/// Every live process of the cluster (this one first) and which maps each hosts; alone,
/// `{"enabled": false}`.
async fn cluster_json(State(site): State<Arc<Site>>) -> Response {
    let body = match &site.cluster {
        None => serde_json::json!({ "enabled": false }),
        Some(status) => {
            let status = status.borrow().clone();
            let mut v = serde_json::to_value(status).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("enabled".into(), true.into());
            }
            v
        }
    };
    with_type("application/json", body.to_string())
}

async fn health() -> Response {
    with_type("text/plain; charset=utf-8", "ok")
}

/// `{"ws_url": "ws://host:port"}`: the bound WebSocket address, or for a wildcard IP
/// (`0.0.0.0`, `::`) the host the page was loaded from with the WebSocket port.
async fn client_config(State(site): State<Arc<Site>>, headers: HeaderMap) -> Response {
    let addr = site.ws_addr;
    let host = if addr.ip().is_unspecified() {
        headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(host_without_port)
            .filter(|h| {
                !h.is_empty()
                    && h.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-.[]:".contains(&b))
            })
            .map(str::to_owned)
            .unwrap_or_else(|| "127.0.0.1".into())
    } else {
        match addr {
            SocketAddr::V4(a) => a.ip().to_string(),
            SocketAddr::V6(a) => format!("[{}]", a.ip()),
        }
    };
    let body = serde_json::json!({ "ws_url": format!("ws://{host}:{}", addr.port()) });
    with_type("application/json", body.to_string())
}

/// `example.com:9000` → `example.com`, `[::1]:9000` → `[::1]`.
fn host_without_port(host: &str) -> &str {
    if host.starts_with('[') {
        match host.find(']') {
            Some(end) => &host[..=end],
            None => "",
        }
    } else {
        host.split(':').next().unwrap_or("")
    }
}

/// The item catalog of the content the world has now, with its `ETag`.
async fn items_json(State(site): State<Arc<Site>>, headers: HeaderMap) -> Response {
    let file = site.catalog.current();
    file_response("application/json", file.json.clone(), &file.hash, &headers)
}

async fn map_file(
    State(site): State<Arc<Site>>,
    UrlPath(file): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    asset_file(&site.assets.join("maps"), &file, "tmj", &headers).await
}

async fn tileset_file(
    State(site): State<Arc<Site>>,
    UrlPath(file): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    asset_file(&site.assets.join("tilesets"), &file, "png", &headers).await
}

/// One file straight inside `dir`, with the given extension.
async fn asset_file(dir: &Path, file: &str, ext: &str, headers: &HeaderMap) -> Response {
    let ok = safe_segment(file) && Path::new(file).extension().is_some_and(|e| e == ext);
    if !ok {
        return not_found();
    }
    send_file(&dir.join(file), headers).await
}

async fn web_file(
    State(site): State<Arc<Site>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, "only GET").into_response();
    }
    let path = uri.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    if !path.split('/').all(safe_segment) {
        debug!(path = uri.path(), "refused web path");
        return not_found();
    }
    let mut resp = if let Some(root) = &site.web_root {
        send_file(&root.join(path), &headers).await
    } else {
        built_in_file(path, &headers)
    };
    if resp.status().is_success() || resp.status() == StatusCode::NOT_MODIFIED {
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, cache_control(path));
    }
    resp
}

/// A file of the web client built into the binary.
fn built_in_file(path: &str, headers: &HeaderMap) -> Response {
    match BuiltInClient::get(path) {
        Some(file) => {
            let body = match file.data {
                std::borrow::Cow::Borrowed(b) => Bytes::from_static(b),
                std::borrow::Cow::Owned(v) => Bytes::from(v),
            };
            file_response(
                content_type(Path::new(path)),
                body,
                &file.metadata.sha256_hash(),
                headers,
            )
        }
        None => {
            debug!(path, "no such file in the built-in web client");
            not_found()
        }
    }
}

/// The web client's media folders: art, sound and music whose files change only with a new
/// release, so browsers may keep them a day without asking.
const MEDIA_FOLDERS: [&str; 4] = ["sprites", "icons", "sounds", "music"];

/// `Cache-Control` for a web client file: media (png, wav, ogg, mp3, json) under one of
/// [`MEDIA_FOLDERS`] is `public, max-age=86400`; code, pages and everything else stay
/// `no-cache` (their names carry no version, so a cached copy could mix old and new modules).
fn cache_control(path: &str) -> HeaderValue {
    let folder = path.split('/').next().unwrap_or("");
    let media_ext = Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "png" | "wav" | "ogg" | "mp3" | "json"));
    if path.contains('/') && MEDIA_FOLDERS.contains(&folder) && media_ext {
        HeaderValue::from_static("public, max-age=86400")
    } else {
        HeaderValue::from_static("no-cache")
    }
}

/// A file or folder name we are willing to serve: ASCII letters, digits, `-`, `_` and `.`,
/// not starting with a dot (so no `..`, no hidden files).
fn safe_segment(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A file from disk, read now (off the async threads) and hashed for its `ETag`.
async fn send_file(path: &Path, headers: &HeaderMap) -> Response {
    let owned = path.to_owned();
    let read = tokio::task::spawn_blocking(move || {
        std::fs::read(owned).map(|bytes| {
            let hash: [u8; 32] = sha2::Sha256::digest(&bytes).into();
            (bytes, hash)
        })
    })
    .await
    .unwrap_or_else(|e| Err(std::io::Error::other(e)));
    match read {
        Ok((bytes, hash)) => file_response(content_type(path), bytes.into(), &hash, headers),
        Err(e) => {
            debug!(path = %path.display(), error = %e, "no such file");
            not_found()
        }
    }
}

/// A served file: its content type, an `ETag` from its hash, and `Cache-Control: no-cache`.
/// The client's file names carry no version, so a cached copy may be used only after the
/// server confirms it (`If-None-Match` → `304 Not Modified`, no body).
fn file_response(
    content_type: &'static str,
    body: Bytes,
    hash: &[u8; 32],
    request: &HeaderMap,
) -> Response {
    let tag = etag(hash);
    let fresh = request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == tag);
    let mut resp = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        with_type(content_type, body)
    };
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&tag) {
        h.insert(header::ETAG, v);
    }
    resp
}

/// A strong entity tag: the first 16 bytes of the file's SHA-256, quoted.
fn etag(hash: &[u8; 32]) -> String {
    use std::fmt::Write;
    let mut tag = String::with_capacity(34);
    tag.push('"');
    for b in &hash[..16] {
        let _ = write!(tag, "{b:02x}");
    }
    tag.push('"');
    tag
}

/// The content type for a file, by extension.
pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "tmj" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "wav" => "audio/wav",
        "ogg" => "audio/ogg",
        "mp3" => "audio/mpeg",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn with_type(content_type: &'static str, body: impl IntoResponse) -> Response {
    let mut resp = body.into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_segments_are_served() {
        for ok in ["index.html", "main.js", "terrain.png", "a-b_c.d"] {
            assert!(safe_segment(ok), "{ok}");
        }
        for bad in ["", "..", ".", ".git", "a b", "a\\b", "%2e%2e", "a:b", "é"] {
            assert!(!safe_segment(bad), "{bad}");
        }
    }

    #[test]
    fn the_built_in_client_has_the_page_and_its_modules() {
        for file in [
            "index.html",
            "main.js",
            "net.js",
            "style.css",
            "favicon.svg",
        ] {
            assert!(BuiltInClient::get(file).is_some(), "{file}");
        }
    }

    #[test]
    fn etags_are_quoted_hex_and_a_matching_if_none_match_is_not_modified() {
        let hash: [u8; 32] = sha2::Sha256::digest(b"hello").into();
        let tag = etag(&hash);
        assert_eq!(tag, "\"2cf24dba5fb0a30e26e83b2ac5b9e29e\"");
        let status = |inm: &str| {
            let mut h = HeaderMap::new();
            if !inm.is_empty() {
                h.insert(header::IF_NONE_MATCH, HeaderValue::from_str(inm).unwrap());
            }
            file_response("text/plain", Bytes::from_static(b"hello"), &hash, &h).status()
        };
        assert_eq!(status(""), StatusCode::OK);
        assert_eq!(status("\"other\""), StatusCode::OK);
        assert_eq!(status(&tag), StatusCode::NOT_MODIFIED);
        assert_eq!(status(&format!("\"x\", W/{tag}")), StatusCode::NOT_MODIFIED);
        assert_eq!(status("*"), StatusCode::NOT_MODIFIED);
    }

    #[test]
    fn only_media_under_the_media_folders_is_cached_for_a_day() {
        let day = "public, max-age=86400";
        for media in [
            "sounds/hit.wav",
            "music/index.json",
            "music/river_song.ogg",
            "sprites/body.png",
            "icons/items.json",
            "sounds/a.mp3",
        ] {
            assert_eq!(cache_control(media), day, "{media}");
        }
        for code in [
            "index.html",
            "main.js",
            "sound.js",
            "sounds/x.js",
            "favicon.svg",
            "sounds",
            "other/hit.wav",
            "hit.wav",
        ] {
            assert_eq!(cache_control(code), "no-cache", "{code}");
        }
    }

    #[test]
    fn hosts_lose_their_port() {
        assert_eq!(host_without_port("example.com:9000"), "example.com");
        assert_eq!(host_without_port("10.0.0.2"), "10.0.0.2");
        assert_eq!(host_without_port("[::1]:9000"), "[::1]");
    }

    #[test]
    fn the_play_url_never_shows_a_wildcard() {
        assert_eq!(
            play_url("0.0.0.0:9000".parse().unwrap()),
            "http://127.0.0.1:9000"
        );
        assert_eq!(
            play_url("127.0.0.1:9000".parse().unwrap()),
            "http://127.0.0.1:9000"
        );
    }
}
