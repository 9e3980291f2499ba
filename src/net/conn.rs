//! One WebSocket connection: handshake, then a reader task (decode, validate, forward to the
//! world) and a writer task (send what the world queued). Neither ever blocks the world.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use emberkeep_components::net::{ConnId, WorldInput};
use emberkeep_components::protocol::{ClientMsg, CloseReason, ErrorCode};
use emberkeep_components::text::{Text, keys};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::{Error as WsError, ProtocolError};
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Message, WebSocketConfig};
use tracing::{debug, info, warn};

use super::decode::{accept_language, decode, locale_of};
use super::policy::{Admission, TokenBucket};
use super::{ConnHandle, ConnShared, Inbound, NetTexts, Outgoing, TextInput};
use crate::stats::Stats;

/// Limits applied to every connection.
#[derive(Debug, Clone)]
pub struct ConnLimits {
    pub max_message_bytes: usize,
    pub outbound_queue_frames: usize,
    pub handshake_timeout: Duration,
    /// Sustained messages per second per connection.
    pub msg_rate: f64,
    /// Messages a connection may send in a burst.
    pub msg_burst: f64,
    /// Dropped messages within [`FLOOD_WINDOW`] that get a connection closed.
    pub flood_drops: u32,
    /// An identical text frame within this window is dropped.
    pub duplicate_window: Duration,
    /// A connection that sends nothing (not even a pong) for this long is closed.
    pub idle_timeout: Duration,
    /// How often the server pings each connection.
    pub ping_interval: Duration,
}

/// The window in which dropped messages count towards a flood kick.
pub const FLOOD_WINDOW: Duration = Duration::from_secs(10);

impl ConnLimits {
    /// tungstenite settings: a small read buffer (the 128 KiB default is zero-filled per
    /// connection) and game-sized message and frame limits.
    fn websocket_config(&self) -> WebSocketConfig {
        WebSocketConfig::default()
            .read_buffer_size(4096)
            .write_buffer_size(0)
            .max_message_size(Some(self.max_message_bytes))
            .max_frame_size(Some(self.max_message_bytes))
    }
}

/// What a connection's tasks share with the server: where inputs go, the counters, the
/// admission policy and the texts rendered out here.
#[derive(Clone)]
pub struct ConnContext {
    pub limits: ConnLimits,
    pub inbound: crossbeam_channel::Sender<Inbound>,
    pub stats: Arc<Stats>,
    pub admission: Arc<Admission>,
    pub texts: Arc<NetTexts>,
}

/// Runs a connection from handshake to close; returns when both of its tasks have ended.
pub async fn serve(stream: TcpStream, addr: SocketAddr, conn: ConnId, cx: ConnContext) {
    let ConnContext {
        limits,
        inbound,
        stats,
        admission,
        texts,
    } = cx;
    let _open = OpenSocket::count(stats.clone());
    let _ = stream.set_nodelay(true);
    // Admission first: a socket counts against its address's cap from its first byte, so
    // half-open handshakes cannot pile up; a refused one only hears why.
    let _admitted = match admission.admit(addr.ip(), Instant::now()) {
        Ok(a) => a,
        Err(reason) => {
            info!(%addr, %reason, "connection refused");
            Stats::add(&stats.rejected.refused_connections, 1);
            refuse(stream, &limits, &texts, reason).await;
            return;
        }
    };
    let (ws, locale) = match handshake(stream, &limits, &texts, limits.handshake_timeout).await {
        Ok(accepted) => accepted,
        Err(e) => {
            debug!(%addr, error = %e, "websocket handshake failed");
            return;
        }
    };
    let (handle, rx, shared) = ConnHandle::new(limits.outbound_queue_frames);
    let opened = Inbound::Opened {
        conn,
        addr: addr.to_string(),
        handle,
    };
    if !deliver(&inbound, opened).await {
        return;
    }
    // The browser's language until the client names one: its first texts are in it already.
    if let Some(locale) = locale {
        shared.set_locale(&locale);
        if !deliver(&inbound, Inbound::Locale { conn, locale }).await {
            return;
        }
    }
    info!(conn = conn.0, %addr, "client connected");
    let (sink, stream) = ws.split();
    let writer = tokio::spawn(write_loop(sink, rx, shared.clone(), limits.ping_interval));
    let reason = read_loop(stream, conn, &inbound, &shared, &limits, &stats).await;
    info!(conn = conn.0, %addr, reason = %reason, "client disconnected");
    deliver(
        &inbound,
        Inbound::World(WorldInput::Closed { conn, reason }),
    )
    .await;
    // The world drops its handle on Closed; make sure the writer ends even if it never does.
    shared
        .abort
        .get_or_init(|| CloseReason::policy("connection closed"));
    shared.wake_writer.notify_one();
    shared.aborted.notify_one();
    if let Err(e) = writer.await {
        warn!(conn = conn.0, error = %e, "writer task failed");
    }
}

/// How long a refused connection gets to finish its handshake and hear why it is refused.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(2);

/// Tells a refused connection why (a close frame, 1008, with the reason in the language of
/// its `Accept-Language`), giving its handshake [`REFUSAL_TIMEOUT`] at most: a browser only
/// shows a reason from a close frame.
async fn refuse(stream: TcpStream, limits: &ConnLimits, texts: &NetTexts, reason: Text) {
    if let Ok((ws, locale)) = handshake(stream, limits, texts, REFUSAL_TIMEOUT).await {
        let lang = locale
            .as_deref()
            .unwrap_or(emberkeep_components::text::FALLBACK);
        let (mut sink, _) = ws.split();
        close(&mut sink, &CloseReason::policy(texts.render(lang, &reason))).await;
    }
}

/// The WebSocket handshake, within `timeout`; gives the socket and the language its
/// `Accept-Language` header asks for that the server has, if any.
async fn handshake(
    stream: TcpStream,
    limits: &ConnLimits,
    texts: &NetTexts,
    timeout: Duration,
) -> Result<(WebSocketStream<TcpStream>, Option<String>), String> {
    let mut locale = None;
    // The closure's type (and its large error) is tungstenite's `Callback`.
    #[allow(clippy::result_large_err)]
    let read_language = |request: &Request, response: Response| {
        locale = request
            .headers()
            .get("accept-language")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| accept_language(v, &texts.locales()));
        Ok(response)
    };
    let accept = tokio_tungstenite::accept_hdr_async_with_config(
        stream,
        read_language,
        Some(limits.websocket_config()),
    );
    match tokio::time::timeout(timeout, accept).await {
        Ok(Ok(ws)) => Ok((ws, locale)),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("timed out after {timeout:?}")),
    }
}

/// Counts a connection task in [`Stats::open_sockets`] for as long as it lives.
struct OpenSocket(Arc<Stats>);

impl OpenSocket {
    fn count(stats: Arc<Stats>) -> Self {
        Stats::add(&stats.open_sockets, 1);
        OpenSocket(stats)
    }
}

impl Drop for OpenSocket {
    fn drop(&mut self) {
        Stats::sub(&self.0.open_sockets, 1);
    }
}

/// Hands an input to the world, waiting (asynchronously) while its channel is full.
/// Returns false if the world is gone.
pub(crate) async fn deliver(tx: &crossbeam_channel::Sender<Inbound>, mut item: Inbound) -> bool {
    loop {
        match tx.try_send(item) {
            Ok(()) => return true,
            Err(crossbeam_channel::TrySendError::Disconnected(_)) => return false,
            Err(crossbeam_channel::TrySendError::Full(back)) => {
                // Overload: hold this client's input back instead of dropping it.
                item = back;
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
}

type WsRead = futures_util::stream::SplitStream<WebSocketStream<TcpStream>>;
type WsWrite = futures_util::stream::SplitSink<WebSocketStream<TcpStream>, Message>;

/// What to do with a message over the rate.
enum OverRate {
    /// Drop it silently (a notice went out less than a second ago).
    Drop,
    /// Drop it and tell the client, once a second.
    Notice,
    /// Too many drops within [`FLOOD_WINDOW`]: close the connection.
    Flood,
}

/// The per-connection message rate: a token bucket, and the drops that make a flood.
/// Text frames, pings and pongs all take a token, so no kind of frame bypasses it.
struct Rate {
    bucket: TokenBucket,
    drops: (Instant, u32),
    last_notice: Option<Instant>,
}

impl Rate {
    fn new(limits: &ConnLimits, now: Instant) -> Self {
        Rate {
            bucket: TokenBucket::new(limits.msg_rate, limits.msg_burst, now),
            drops: (now, 0),
            last_notice: None,
        }
    }

    /// `None` if the frame is within the rate, else what to do about it.
    fn check(&mut self, now: Instant, limits: &ConnLimits, stats: &Stats) -> Option<OverRate> {
        if self.bucket.take(now) {
            return None;
        }
        Stats::add(&stats.rejected.rate_limited, 1);
        if now.duration_since(self.drops.0) > FLOOD_WINDOW {
            self.drops = (now, 0);
        }
        self.drops.1 += 1;
        if self.drops.1 >= limits.flood_drops {
            return Some(OverRate::Flood);
        }
        if self
            .last_notice
            .is_some_and(|t| now.duration_since(t) < Duration::from_secs(1))
        {
            return Some(OverRate::Drop);
        }
        self.last_notice = Some(now);
        Some(OverRate::Notice)
    }
}

/// Asks the world to close the connection with close code `code` and `reason` (rendered in
/// the client's language) and waits (a while) for the close frame to be written; returns the
/// reason for the log.
async fn kick(
    inbound: &crossbeam_channel::Sender<Inbound>,
    shared: &ConnShared,
    conn: ConnId,
    code: u16,
    reason: Text,
) -> String {
    let log = reason.to_string();
    let input = Inbound::Text {
        conn,
        text: reason,
        input: TextInput::Kick(code),
    };
    if deliver(inbound, input).await {
        // Let the world queue the close; give up waiting after a while.
        let _ = tokio::time::timeout(Duration::from_secs(5), shared.writer_done.notified()).await;
    }
    log
}

/// Reads frames until the client leaves, the server closes, or the socket fails; returns why.
/// Applies the per-connection policy: a token bucket on messages, pings and pongs (a drop
/// gets one `rate_limited` notice a second; sustained flooding closes the connection),
/// identical messages within the duplicate window are dropped, silence past the idle timeout
/// closes, and a frame that breaks RFC 6455 closes with 1002 (1007 for text that is not
/// UTF-8).
async fn read_loop(
    mut stream: WsRead,
    conn: ConnId,
    inbound: &crossbeam_channel::Sender<Inbound>,
    shared: &Arc<ConnShared>,
    limits: &ConnLimits,
    stats: &Stats,
) -> String {
    let mut rate = Rate::new(limits, Instant::now());
    let mut last_seen = Instant::now();
    let mut last_text: Option<(u64, Instant)> = None;
    loop {
        let idle_deadline = tokio::time::Instant::from_std(last_seen + limits.idle_timeout);
        let next = tokio::select! {
            _ = shared.writer_done.notified() => {
                return match shared.abort.get() {
                    Some(r) => format!("closed by server: {}", r.reason),
                    None => "closed by server".into(),
                };
            }
            _ = tokio::time::sleep_until(idle_deadline) => {
                Stats::add(&stats.rejected.idle_kicks, 1);
                let reason = Text::new(keys::CLOSE_IDLE).arg("secs", limits.idle_timeout.as_secs());
                return kick(inbound, shared, conn, CloseReason::POLICY, reason).await;
            }
            next = stream.next() => next,
        };
        let now = Instant::now();
        last_seen = now;
        let over_rate = match &next {
            Some(Ok(Message::Text(text))) => {
                let hash = text_hash(text.as_str());
                if let Some((prev, at)) = last_text
                    && prev == hash
                    && now.duration_since(at) < limits.duplicate_window
                {
                    Stats::add(&stats.rejected.duplicate, 1);
                    continue;
                }
                last_text = Some((hash, now));
                rate.check(now, limits, stats)
            }
            // tungstenite answers pings itself; they still count against the rate.
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => rate.check(now, limits, stats),
            _ => None,
        };
        let input = match (over_rate, next) {
            (Some(OverRate::Flood), _) => {
                Stats::add(&stats.rejected.flood_kicks, 1);
                warn!(conn = conn.0, "flooding: closing the connection");
                let reason = Text::new(keys::CLOSE_FLOODING).arg("rate", limits.msg_rate);
                return kick(inbound, shared, conn, CloseReason::POLICY, reason).await;
            }
            (Some(OverRate::Drop), _) => continue,
            (Some(OverRate::Notice), _) => Inbound::Text {
                conn,
                text: Text::new(keys::PROTOCOL_RATE_LIMITED).arg("rate", limits.msg_rate),
                input: TextInput::Rejected(ErrorCode::RateLimited),
            },
            (None, None) => return "connection closed".into(),
            (None, Some(Ok(Message::Text(text)))) => {
                let decoded = decode(text.as_str());
                // The language goes first, so that the answer to this very message is in it.
                if let Some(locale) = locale_of(text.as_str(), decoded.as_ref().ok()) {
                    shared.set_locale(&locale);
                    if !deliver(inbound, Inbound::Locale { conn, locale }).await {
                        return "server stopped".into();
                    }
                }
                match decoded {
                    Ok(msg) => {
                        debug!(conn = conn.0, kind = msg.kind(), "command");
                        if let Some(i) = ClientMsg::KINDS.iter().position(|k| *k == msg.kind()) {
                            Stats::add(&stats.inbound_by_type[i], 1);
                        }
                        Inbound::World(WorldInput::Command { conn, msg })
                    }
                    Err((code, text)) => {
                        info!(conn = conn.0, ?code, %text, "rejected message");
                        Stats::add(&stats.rejected.malformed, 1);
                        Inbound::Text {
                            conn,
                            text,
                            input: TextInput::Rejected(code),
                        }
                    }
                }
            }
            (None, Some(Ok(Message::Binary(_)))) => {
                info!(conn = conn.0, "rejected binary frame");
                Stats::add(&stats.rejected.malformed, 1);
                Inbound::Text {
                    conn,
                    text: Text::new(keys::PROTOCOL_BINARY),
                    input: TextInput::Rejected(ErrorCode::BinaryUnsupported),
                }
            }
            (None, Some(Ok(Message::Close(_)))) => return "client closed".into(),
            (None, Some(Ok(_))) => continue, // ping/pong within the rate, raw frames
            (None, Some(Err(WsError::Capacity(e)))) => {
                Stats::add(&stats.rejected.oversized, 1);
                let reason = Text::new(keys::CLOSE_TOO_BIG)
                    .arg("error", e)
                    .arg("limit", limits.max_message_bytes);
                warn!(conn = conn.0, %reason, "oversized frame");
                return kick(inbound, shared, conn, CloseReason::TOO_BIG, reason).await;
            }
            (None, Some(Err(WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake)))) => {
                return "connection reset".into();
            }
            (None, Some(Err(WsError::Protocol(e)))) => {
                Stats::add(&stats.rejected.malformed, 1);
                info!(conn = conn.0, error = %e, "websocket protocol error");
                let reason = Text::new(keys::CLOSE_PROTOCOL_ERROR).arg("error", e);
                return kick(inbound, shared, conn, CloseReason::PROTOCOL_ERROR, reason).await;
            }
            (None, Some(Err(WsError::Utf8(e)))) => {
                Stats::add(&stats.rejected.malformed, 1);
                info!(conn = conn.0, error = %e, "text frame is not UTF-8");
                let reason = Text::new(keys::CLOSE_NOT_UTF8);
                return kick(inbound, shared, conn, CloseReason::INVALID_DATA, reason).await;
            }
            (None, Some(Err(e))) => return format!("read error: {e}"),
        };
        if !deliver(inbound, input).await {
            return "server stopped".into();
        }
    }
}

/// A cheap fingerprint of a text frame, to spot repeats.
fn text_hash(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// Sends queued frames until a close is queued, an abort is set, or the socket fails.
/// Every socket write races the abort signal: a client that stopped reading cannot keep
/// this task (or its memory) alive.
async fn write_loop(
    mut sink: WsWrite,
    rx: crossbeam_channel::Receiver<Outgoing>,
    shared: Arc<ConnShared>,
    ping_interval: Duration,
) {
    let mut ping =
        tokio::time::interval_at(tokio::time::Instant::now() + ping_interval, ping_interval);
    'outer: loop {
        tokio::select! {
            _ = shared.wake_writer.notified() => {}
            _ = shared.aborted.notified() => {}
            _ = ping.tick() => {
                // Keeps idle-but-alive clients talking (they answer with a pong).
                let send = sink.send(Message::Ping(Vec::new().into()));
                tokio::select! {
                    r = send => if r.is_err() { break 'outer },
                    _ = shared.aborted.notified() => break 'outer,
                }
            }
        }
        if let Some(reason) = shared.abort.get() {
            close(&mut sink, reason).await;
            break;
        }
        while let Ok(item) = rx.try_recv() {
            let write = match item {
                Outgoing::Frame(text) => sink.feed(Message::text(text)),
                Outgoing::Close(reason) => {
                    close(&mut sink, &reason).await;
                    break 'outer;
                }
            };
            tokio::select! {
                r = write => if r.is_err() { break 'outer },
                _ = shared.aborted.notified() => break 'outer,
            }
        }
        tokio::select! {
            r = sink.flush() => if r.is_err() { break },
            _ = shared.aborted.notified() => break,
        }
    }
    shared.writer_done.notify_one();
}

async fn close(sink: &mut WsWrite, reason: &CloseReason) {
    let frame = CloseFrame {
        code: CloseCode::from(reason.code),
        reason: close_reason_text(&reason.reason).into(),
    };
    let _ = tokio::time::timeout(
        Duration::from_secs(2),
        sink.send(Message::Close(Some(frame))),
    )
    .await;
}

/// A close frame's reason is at most 123 bytes; cut longer ones at a character boundary.
fn close_reason_text(reason: &str) -> String {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::close_reason_text;

    #[test]
    fn close_reasons_fit_a_close_frame() {
        assert_eq!(close_reason_text("short"), "short");
        let long = "é".repeat(100); // 200 bytes
        let cut = close_reason_text(&long);
        assert!(cut.len() <= 123 && long.starts_with(&cut));
    }
}
