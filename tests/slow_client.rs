//! A client that stops reading is disconnected once its outbound queue fills; the world
//! never waits for it and everyone else keeps being served.

mod common;

use common::{Client, WAIT, start};
use emberkeep_components::protocol::{ClientMsg, PROTOCOL_VERSION, ServerEvent};
use futures_util::SinkExt;
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn a_client_that_stops_reading_is_disconnected_not_waited_for() {
    let server = start(&[], |c| {
        c.server.outbound_queue_frames = 4;
        c.world.max_chat_chars = 3000;
        c.world.max_commands_per_tick = 64;
        // This test is about outbound backpressure: lift the inbound limits it would hit.
        c.server.msg_rate_per_sec = 100_000.0;
        c.server.msg_burst = 100_000.0;
        c.server.duplicate_window_ms = 0;
        c.world.chat_lines = 10_000; // the most the config allows
    })
    .await;
    let mut talker = Client::join(server.addr, "Talker").await;

    // A raw socket with a tiny receive buffer, so the server's writes back up quickly.
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(server.addr).await.unwrap();
    let (mut sleeper, _) = tokio_tungstenite::client_async(format!("ws://{}", server.addr), stream)
        .await
        .unwrap();
    let hello = ClientMsg::Hello {
        version: PROTOCOL_VERSION,
        name: Some("Sleeper".into()),
        class: None,
    };
    sleeper
        .send(Message::text(serde_json::to_string(&hello).unwrap()))
        .await
        .unwrap();
    let sleeper_id = loop {
        let ev = talker.next().await;
        if let ServerEvent::Spawn { id, .. } = ev {
            break id;
        }
    };

    // The sleeper never reads again. The talker fills every tick with long lines until the
    // server gives up on the sleeper; bounded so the test ends either way.
    let line = "x".repeat(2900);
    let deadline = tokio::time::Instant::now() + WAIT * 2;
    let mut gone = false;
    while !gone && tokio::time::Instant::now() < deadline {
        for _ in 0..48 {
            talker.send(&ClientMsg::Say { text: line.clone() }).await;
        }
        for e in talker.sync().await {
            gone |= e == ServerEvent::Despawn { id: sleeper_id };
        }
    }
    assert!(gone, "the sleeper was never disconnected");
    assert!(common::stat(&server, |s| &s.slow_disconnects) >= 1);
    // The talker is still served after all that.
    talker.step(1, 2).await;
    // The sleeper's connection task ends too, though its socket never drained.
    let deadline = tokio::time::Instant::now() + WAIT;
    while common::stat(&server, |s| &s.open_sockets) > 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the blocked writer never ended"
        );
        talker.sync().await;
    }
    drop(sleeper);
    server.shutdown().await;
}
