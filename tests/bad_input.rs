//! Every kind of bad input gets an error event or a close with a reason, and the server keeps
//! serving everyone else.

mod common;

use common::{Client, Ended, start};
use emberkeep_components::protocol::{ClientMsg, ErrorCode, PROTOCOL_VERSION, ServerEvent};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

/// After abuse, a bystander still gets served and the abuser's connection still works.
async fn still_serving(bystander: &mut Client) {
    bystander.sync().await;
}

#[tokio::test]
async fn malformed_frames_get_error_events_and_the_connection_stays_usable() {
    let server = start(&[(2, 1)], |_| {}).await;
    let mut bystander = Client::join(server.addr, "Bystander").await;
    let mut c = Client::join(server.addr, "Mallory").await;
    let cases: &[(&str, ErrorCode)] = &[
        ("this is not json", ErrorCode::BadJson),
        ("{\"type\":\"teleport\",\"x\":5}", ErrorCode::UnknownType),
        ("{\"x\":1}", ErrorCode::UnknownType),
        (
            "{\"type\":\"move\",\"x\":\"left\",\"y\":1}",
            ErrorCode::BadField,
        ),
        ("{\"type\":\"say\",\"text\":42}", ErrorCode::BadField),
        (
            "{\"type\":\"move\",\"x\":1e12,\"y\":1}",
            ErrorCode::BadField,
        ),
    ];
    for (text, code) in cases {
        c.send_text(text).await;
        assert_eq!(c.expect_error().await, *code, "for {text}");
    }
    c.ws.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
    assert_eq!(c.expect_error().await, ErrorCode::BinaryUnsupported);
    c.sync().await; // still usable
    still_serving(&mut bystander).await;
    server.shutdown().await;
}

#[tokio::test]
async fn illegal_steps_are_refused_with_a_correction() {
    let server = start(&[(2, 1)], |_| {}).await;
    let mut c = Client::join(server.addr, "Walker").await;
    c.sync().await; // the rest of the welcome frame: stats, inventory, equipment
    for (x, y, code) in [
        (2, 1, ErrorCode::MoveBlocked),
        (6, 1, ErrorCode::MoveNotAdjacent),
        (-1, 1, ErrorCode::MoveNotAdjacent),
    ] {
        c.send(&ClientMsg::Move { x, y, seq: Some(5) }).await;
        match c.next().await {
            ServerEvent::Error { code: got, seq, .. } => {
                assert_eq!((got, seq), (code, Some(5)), "({x},{y})")
            }
            other => panic!("expected an error for ({x},{y}), got {other:?}"),
        }
        assert_eq!(
            c.next().await,
            ServerEvent::Correction {
                x: 1,
                y: 1,
                seq: Some(5)
            }
        );
    }
    c.step(1, 2).await; // a legal step still works
    server.shutdown().await;
}

#[tokio::test]
async fn wrong_state_and_repeated_hello_are_refused() {
    let server = start(&[], |_| {}).await;
    let mut c = Client::connect(server.addr).await;
    c.send(&ClientMsg::Move {
        x: 1,
        y: 2,
        seq: None,
    })
    .await;
    assert_eq!(c.expect_error().await, ErrorCode::NotInWorld);
    c.send(&ClientMsg::Hello {
        version: PROTOCOL_VERSION + 1,
        name: Some("Ann".into()),
        class: None,
    })
    .await;
    assert_eq!(c.expect_error().await, ErrorCode::VersionMismatch);
    c.send(&ClientMsg::Hello {
        version: PROTOCOL_VERSION,
        name: Some("Ann".into()),
        class: None,
    })
    .await;
    assert!(matches!(c.next().await, ServerEvent::Welcome { .. }));
    c.send(&ClientMsg::Hello {
        version: PROTOCOL_VERSION,
        name: Some("Anna".into()),
        class: None,
    })
    .await;
    assert_eq!(c.expect_error().await, ErrorCode::AlreadyInWorld);
    let mut twin = Client::connect(server.addr).await;
    twin.send(&ClientMsg::Hello {
        version: PROTOCOL_VERSION,
        name: Some("ANN".into()),
        class: None,
    })
    .await;
    assert_eq!(twin.expect_error().await, ErrorCode::NameTaken);
    server.shutdown().await;
}

#[tokio::test]
async fn an_oversized_frame_closes_that_connection_only() {
    let server = start(&[], |c| c.server.max_message_bytes = 1024).await;
    let mut bystander = Client::join(server.addr, "Bystander").await;
    let mut c = Client::join(server.addr, "Bigmouth").await;
    let huge = format!("{{\"type\":\"say\",\"text\":\"{}\"}}", "a".repeat(5000));
    c.send_text(&huge).await;
    match c.expect_end().await {
        Ended::Closed(Some(f)) => {
            assert_eq!(u16::from(f.code), 1009);
            assert!(f.reason.contains("1024"), "{}", f.reason);
        }
        other => panic!("expected close 1009, got {other:?}"),
    }
    let id = c.id;
    bystander
        .wait_for("despawn of the kicked player", |e| {
            *e == ServerEvent::Despawn { id }
        })
        .await;
    still_serving(&mut bystander).await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_socket_that_never_says_hello_is_closed_after_the_timeout() {
    let server = start(&[], |c| c.world.hello_timeout_secs = 0.3).await;
    let mut bystander = Client::join(server.addr, "Bystander").await;
    let mut silent = Client::connect(server.addr).await;
    match silent.expect_end().await {
        Ended::Closed(Some(f)) => {
            assert_eq!(u16::from(f.code), 1008);
            assert!(f.reason.contains("no hello"), "{}", f.reason);
        }
        other => panic!("expected close 1008, got {other:?}"),
    }
    still_serving(&mut bystander).await;
    server.shutdown().await;
}

/// A raw socket past the WebSocket handshake, and the bytes the server sent after it.
async fn raw_websocket(addr: std::net::SocketAddr) -> tokio::net::TcpStream {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        let n = tokio::time::timeout(common::WAIT, tcp.read(&mut byte))
            .await
            .expect("a handshake answer")
            .unwrap();
        assert_eq!(n, 1, "closed during the handshake");
        head.push(byte[0]);
    }
    assert!(String::from_utf8_lossy(&head).contains("101"), "{head:?}");
    tcp
}

/// Sends one client frame (masked, as RFC 6455 requires) with this first byte and payload,
/// then reads until the server closes; returns the close frame's code and reason.
async fn close_after_frame(addr: std::net::SocketAddr, first: u8, payload: &[u8]) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = raw_websocket(addr).await;
    let mask = [1u8, 2, 3, 4];
    let mut frame = vec![first, 0x80 | payload.len() as u8];
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    tcp.write_all(&frame).await.unwrap();
    let mut got = Vec::new();
    let read_all = async {
        let mut buf = [0u8; 1024];
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(common::WAIT, read_all)
        .await
        .expect("the server closes the connection");
    // Server frames are unmasked: opcode byte, length byte, then the close payload.
    let at = got
        .iter()
        .position(|b| *b == 0x88)
        .unwrap_or_else(|| panic!("no close frame in {got:?}"));
    let len = usize::from(got[at + 1] & 0x7f);
    let body = &got[at + 2..at + 2 + len];
    let code = u16::from_be_bytes([body[0], body[1]]);
    (code, String::from_utf8_lossy(&body[2..]).into_owned())
}

#[tokio::test]
async fn invalid_utf8_text_closes_with_1007() {
    let server = start(&[], |_| {}).await;
    let mut bystander = Client::join(server.addr, "Bystander").await;
    let (code, reason) = close_after_frame(server.addr, 0x81, &[b'{', 0xff, 0xfe, b'}']).await;
    assert_eq!(code, 1007, "{reason}");
    assert!(reason.contains("UTF-8"), "{reason}");
    still_serving(&mut bystander).await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_protocol_violation_closes_with_1002() {
    let server = start(&[], |_| {}).await;
    let mut bystander = Client::join(server.addr, "Bystander").await;
    // FIN + RSV1 on a text frame: no extension was negotiated, so RSV1 must be 0.
    let (code, reason) = close_after_frame(server.addr, 0xC1, b"{}").await;
    assert_eq!(code, 1002, "{reason}");
    assert!(reason.contains("protocol error"), "{reason}");
    still_serving(&mut bystander).await;
    server.shutdown().await;
}

/// The next text frame, as JSON (for fields the typed events do not carry).
async fn raw_frame(c: &mut Client) -> serde_json::Value {
    loop {
        let msg = tokio::time::timeout(common::WAIT, futures_util::StreamExt::next(&mut c.ws))
            .await
            .expect("a frame in time")
            .expect("open")
            .expect("read");
        if let Message::Text(t) = msg {
            return serde_json::from_str(t.as_str()).expect("JSON");
        }
    }
}

/// Issue 14: `server_info` and `welcome` state the versions the server accepts; a client of
/// another version is told the range, in its own language if it named one.
#[tokio::test]
async fn the_accepted_versions_are_stated_and_a_mismatch_names_them() {
    let server = start(&[], |_| {}).await;
    let range = serde_json::json!({"min": 1, "max": 1});
    let mut c = Client::connect(server.addr).await;
    c.send_text(r#"{"type":"hello","version":1}"#).await;
    let info = raw_frame(&mut c).await;
    assert_eq!(info[0]["type"], "server_info");
    assert_eq!(info[0]["versions"], range);
    let mut c = Client::connect(server.addr).await;
    c.send_text(r#"{"type":"hello","version":1,"name":"Ann"}"#)
        .await;
    let welcome = raw_frame(&mut c).await;
    assert_eq!(welcome[0]["type"], "welcome");
    assert_eq!(welcome[0]["versions"], range);

    for (locale, words) in [
        ("", "accepts protocol 1 to 1; the client sent 2"),
        (
            r#","locale":"de""#,
            "Protokollversionen 1 bis 1 an; der Client schickte 2",
        ),
    ] {
        let mut c = Client::connect(server.addr).await;
        c.send_text(&format!(
            r#"{{"type":"hello","version":2,"name":"Bea"{locale}}}"#
        ))
        .await;
        match c.next().await {
            ServerEvent::Error {
                code: ErrorCode::VersionMismatch,
                message,
                ..
            } => assert!(message.contains(words), "{message}"),
            other => panic!("expected version_mismatch, got {other:?}"),
        }
    }
    server.shutdown().await;
}
