//! Connection policy over real sockets: message rate and flooding, duplicates, chat rate,
//! per-IP connection limits, IP bans at connect, idle connections.

mod common;

use std::time::Duration;

use common::{Client, Ended, WAIT, start};
use emberkeep::storage::{BanRecord, BanTarget, SqliteStore, Store};
use emberkeep_components::protocol::{ClientMsg, ErrorCode, ServerEvent};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A ping barrier that also works right after a flood: retries until a pong comes back
/// (the bucket refills), returning everything received meanwhile.
async fn sync_after_flood(c: &mut Client) -> Vec<ServerEvent> {
    let mut got = Vec::new();
    for nonce in 90_000..90_050 {
        c.send(&ClientMsg::Ping { nonce }).await;
        loop {
            let next = tokio::time::timeout(Duration::from_millis(300), c.next());
            match next.await {
                Ok(ServerEvent::Pong { nonce: n }) if n >= 90_000 => return got,
                Ok(e) => got.push(e),
                Err(_) => break, // dropped: the bucket is still empty; try again
            }
        }
    }
    panic!("no pong after a flood; got {got:?}");
}

fn pongs(events: &[ServerEvent]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, ServerEvent::Pong { .. }))
        .count()
}

#[tokio::test]
async fn messages_over_the_rate_are_dropped_with_one_error_a_second() {
    let server = start(&[], |c| {
        c.server.msg_rate_per_sec = 5.0;
        c.server.msg_burst = 10.0;
        c.world.max_commands_per_tick = 100;
    })
    .await;
    let mut c = Client::join(server.addr, "Chatty").await;
    c.sync().await;
    for n in 0..30 {
        c.send(&ClientMsg::Ping { nonce: 50_000 + n }).await;
    }
    let got = sync_after_flood(&mut c).await;
    let limited = got
        .iter()
        .filter(|e| {
            matches!(
                e,
                ServerEvent::Error {
                    code: ErrorCode::RateLimited,
                    ..
                }
            )
        })
        .count();
    assert_eq!(
        limited, 1,
        "one notice, not one per dropped message: {got:?}"
    );
    // The burst of 10, less the hello and the first ping, plus what refills meanwhile.
    assert!(
        (8..=12).contains(&pongs(&got)),
        "about the burst gets through: {}",
        pongs(&got)
    );
    assert!(common::stat(&server, |s| &s.rejected.rate_limited) >= 10);
    server.shutdown().await;
}

#[tokio::test]
async fn sustained_flooding_closes_the_connection_with_a_reason() {
    let server = start(&[], |c| {
        c.server.msg_rate_per_sec = 5.0;
        c.server.msg_burst = 5.0;
        c.server.flood_drops = 20;
    })
    .await;
    let mut bystander = Client::join(server.addr, "Calm").await;
    let mut c = Client::join(server.addr, "Flood").await;
    for n in 0..200 {
        c.send(&ClientMsg::Ping { nonce: n }).await;
    }
    match c.expect_end().await {
        Ended::Closed(Some(f)) => assert!(
            u16::from(f.code) == 1008 && f.reason.contains("flooding"),
            "{f:?}"
        ),
        other => panic!("{other:?}"),
    }
    bystander.sync().await;
    server.shutdown().await;
}

#[tokio::test]
async fn ping_flood_is_rate_limited() {
    let server = start(&[], |c| {
        c.server.msg_rate_per_sec = 5.0;
        c.server.msg_burst = 5.0;
        c.server.flood_drops = 20;
    })
    .await;
    let mut bystander = Client::join(server.addr, "Calm").await;
    let mut c = Client::join(server.addr, "Pinger").await;
    for n in 0..200u32 {
        let frame = tokio_tungstenite::tungstenite::Message::Ping(n.to_be_bytes().to_vec().into());
        futures_util::SinkExt::send(&mut c.ws, frame).await.unwrap();
    }
    match c.expect_end().await {
        Ended::Closed(Some(f)) => assert!(
            u16::from(f.code) == 1008 && f.reason.contains("flooding"),
            "{f:?}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(common::stat(&server, |s| &s.rejected.flood_kicks) >= 1);
    bystander.sync().await;
    server.shutdown().await;
}

#[tokio::test]
async fn an_identical_message_within_100_ms_is_dropped() {
    let server = start(&[], |_| {}).await;
    let mut c = Client::join(server.addr, "Twice").await;
    c.sync().await;
    c.send(&ClientMsg::Ping { nonce: 7 }).await;
    c.send(&ClientMsg::Ping { nonce: 7 }).await;
    c.send(&ClientMsg::Ping { nonce: 8 }).await;
    let got = c.sync().await;
    assert_eq!(
        got,
        vec![
            ServerEvent::Pong { nonce: 7 },
            ServerEvent::Pong { nonce: 8 }
        ]
    );
    assert_eq!(common::stat(&server, |s| &s.rejected.duplicate), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn chat_is_limited_to_five_lines_in_five_seconds() {
    let server = start(&[], |_| {}).await;
    let mut c = Client::join(server.addr, "Talker").await;
    for n in 0..6 {
        c.send(&ClientMsg::Say {
            text: format!("line {n}"),
        })
        .await;
    }
    // Chat (a region event) follows the pong in its frame: a second barrier sees it all.
    let mut got = c.sync().await;
    got.extend(c.sync().await);
    let said = got
        .iter()
        .filter(|e| matches!(e, ServerEvent::Chat { .. }))
        .count();
    assert_eq!(said, 5, "{got:?}");
    assert!(got.iter().any(|e| matches!(e, ServerEvent::Error { code: ErrorCode::RateLimited, message, .. } if message.contains("chat"))));
    server.shutdown().await;
}

#[tokio::test]
async fn connections_per_address_are_limited_and_banned_addresses_refused() {
    let server = start(&[], |c| c.server.max_connections_per_ip = 2).await;
    let _a = Client::join(server.addr, "One").await;
    let _b = Client::join(server.addr, "Two").await;
    let mut third = Client::connect(server.addr).await;
    match third.expect_end().await {
        Ended::Closed(Some(f)) => assert!(
            f.reason
                .contains("too many connections from 127.0.0.1; at most 2"),
            "{}",
            f.reason
        ),
        other => panic!("{other:?}"),
    }
    // Refused before it reaches the world, a browser still hears why in its own language.
    let mut german = Client::connect_in(server.addr, "de-DE,de;q=0.9,en;q=0.8").await;
    match german.expect_end().await {
        Ended::Closed(Some(f)) => {
            assert_eq!(f.reason, "zu viele Verbindungen von 127.0.0.1; höchstens 2")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        common::stat(&server, |s| &s.rejected.refused_connections),
        2
    );
    // A ban stored before start refuses the address at connect, with its reason.
    let db = SqliteStore::open(&server.dir().join("emberkeep.db")).unwrap();
    let ban = BanRecord {
        target: BanTarget::Ip("127.0.0.1".into()),
        reason: "testing bans".into(),
        until: None,
        by: "test".into(),
    };
    db.put_ban(ban).await.unwrap();
    drop((_a, _b));
    let server = server.restart().await;
    let mut banned = Client::connect(server.addr).await;
    match banned.expect_end().await {
        Ended::Closed(Some(f)) => assert!(
            f.reason.contains("banned permanently: testing bans"),
            "{}",
            f.reason
        ),
        other => panic!("{other:?}"),
    }
    let mut banned = Client::connect_in(server.addr, "de").await;
    match banned.expect_end().await {
        Ended::Closed(Some(f)) => assert_eq!(
            f.reason,
            "diese Adresse ist dauerhaft gesperrt: testing bans"
        ),
        other => panic!("{other:?}"),
    }
    server.shutdown().await;
}

/// Sockets that never finish (or even start) the WebSocket handshake count against the
/// per-address cap: one address cannot hold more than its share of half-open connections.
#[tokio::test]
async fn the_per_address_cap_applies_before_the_websocket_handshake() {
    let server = start(&[], |c| c.server.max_connections_per_ip = 2).await;
    let _silent: Vec<tokio::net::TcpStream> = vec![
        tokio::net::TcpStream::connect(server.addr).await.unwrap(),
        tokio::net::TcpStream::connect(server.addr).await.unwrap(),
    ];
    let mut third = Client::connect(server.addr).await;
    match third.expect_end().await {
        Ended::Closed(Some(f)) => assert!(
            u16::from(f.code) == 1008 && f.reason.contains("at most 2"),
            "{f:?}"
        ),
        other => panic!("{other:?}"),
    }
    // Another address is not affected.
    let mut other = Client::connect_from(server.addr, "127.0.0.2").await;
    other.send(&ClientMsg::Ping { nonce: 1 }).await;
    assert_eq!(other.next().await, ServerEvent::Pong { nonce: 1 });
    server.shutdown().await;
}

/// A raw WebSocket that completes the handshake and then never answers anything (not even
/// pings) is closed as idle.
#[tokio::test]
async fn a_silent_socket_is_closed_as_idle() {
    let server = start(&[], |c| {
        c.server.idle_timeout_secs = 1.0;
        c.server.ping_interval_secs = 0.3;
    })
    .await;
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        server.addr
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let read_all = async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(WAIT, read_all)
        .await
        .expect("the server closes the silent socket");
    let text = String::from_utf8_lossy(&received);
    assert!(text.contains("101 Switching Protocols"), "{text}");
    assert!(
        text.contains("idle for 1 s"),
        "the close frame says why: {text:?}"
    );
    assert!(common::stat(&server, |s| &s.rejected.idle_kicks) >= 1);
    let _ = Duration::ZERO;
    server.shutdown().await;
}

/// Issue 14: a close reason the network layer gives (here: an oversized frame) is in the
/// language the client named in `hello`.
#[tokio::test]
async fn a_close_reason_comes_in_the_clients_language() {
    let server = start(&[], |c| c.server.max_message_bytes = 1024).await;
    let mut c = Client::connect(server.addr).await;
    c.send_text(r#"{"type":"hello","version":1,"name":"Dora","locale":"de"}"#)
        .await;
    assert!(matches!(c.next().await, ServerEvent::Welcome { .. }));
    let huge = format!(r#"{{"type":"say","text":"{}"}}"#, "a".repeat(5000));
    c.send_text(&huge).await;
    match c.expect_end().await {
        Ended::Closed(Some(f)) => {
            assert_eq!(u16::from(f.code), 1009);
            assert!(
                f.reason.ends_with("; die Grenze ist 1024 Bytes"),
                "{}",
                f.reason
            );
        }
        other => panic!("expected a close frame, got {other:?}"),
    }
    server.shutdown().await;
}

/// Before a client names a locale, its texts are in the language its browser asks for
/// (`Accept-Language`); a `locale` it names later wins.
#[tokio::test]
async fn the_handshake_language_holds_until_the_client_names_one() {
    let server = start(&[], |_| {}).await;
    let mut c = Client::connect_in(server.addr, "fr-FR,fr;q=0.9,de;q=0.8,en;q=0.5").await;
    c.send_text(r#"{"type":"fly"}"#).await;
    match c.wait_for("error", is_error).await {
        ServerEvent::Error { code, message, .. } => {
            assert_eq!(code, ErrorCode::UnknownType);
            assert!(
                message.starts_with("unbekannter Nachrichtentyp"),
                "{message}"
            );
        }
        other => panic!("expected an error, got {other:?}"),
    }
    c.send_text(r#"{"type":"hello","version":1,"name":"Anne","locale":"en"}"#)
        .await;
    assert!(matches!(c.next().await, ServerEvent::Welcome { .. }));
    c.send_text(r#"{"type":"fly"}"#).await;
    match c.wait_for("error", is_error).await {
        ServerEvent::Error { message, .. } => {
            assert!(message.starts_with("unknown message type"), "{message}")
        }
        other => panic!("expected an error, got {other:?}"),
    }
    // A browser that asks only for languages the server lacks reads English.
    let mut d = Client::connect_in(server.addr, "fr, ja").await;
    d.send_text(r#"{"type":"fly"}"#).await;
    match d.wait_for("error", is_error).await {
        ServerEvent::Error { message, .. } => {
            assert!(message.starts_with("unknown message type"), "{message}")
        }
        other => panic!("expected an error, got {other:?}"),
    }
    server.shutdown().await;
}

fn is_error(e: &ServerEvent) -> bool {
    matches!(e, ServerEvent::Error { .. })
}
