//! Chat beyond view and friends, over real WebSocket: a whisper and a global line reach a
//! player on another map, and a friends list survives a server restart (and comes typed, as
//! `friends`, on entering and on request).

mod common;

use common::{Client, greeted, login, register, start, start_with_maps, test_map_with};
use common::{TO_VAULT, with_stairs_to_vault};
use emberkeep_components::protocol::{ClientMsg, FriendView, ServerEvent};

/// The test map with stairs at (5, 1) down into a second map, "vault".
fn two_maps() -> Vec<(&'static str, String)> {
    let test = with_stairs_to_vault(&test_map_with(&[], &[]));
    vec![("test", test), ("vault", test_map_with(&[], &[]))]
}

fn chat_from<'a>(name: &'a str, channel: &'a str) -> impl FnMut(&ServerEvent) -> bool + 'a {
    move |e| matches!(e, ServerEvent::Chat { name: n, channel: Some(c), .. } if n == name && c == channel)
}

async fn command(c: &mut Client, line: &str) -> String {
    c.send(&ClientMsg::Command { line: line.into() }).await;
    match c
        .wait_for("info", |e| {
            matches!(e, ServerEvent::Info { .. } | ServerEvent::Error { .. })
        })
        .await
    {
        ServerEvent::Info { text } => text,
        other => panic!("{line}: {other:?}"),
    }
}

#[tokio::test]
async fn whispers_and_global_lines_reach_a_player_on_another_map() {
    let server = start_with_maps(&two_maps(), |_| {}).await;
    let mut ann = Client::join(server.addr, "Ann").await;
    let mut bob = Client::join(server.addr, "Bob").await;
    bob.take_stairs(&TO_VAULT, "vault").await;

    ann.send(&ClientMsg::Whisper {
        to: "bob".into(),
        text: "down there?".into(),
    })
    .await;
    let got = bob.wait_for("whisper", chat_from("Ann", "whisper")).await;
    assert!(matches!(got, ServerEvent::Chat { text, to: None, .. } if text == "down there?"));
    let echo = ann.wait_for("echo", chat_from("Ann", "whisper")).await;
    assert!(matches!(echo, ServerEvent::Chat { to: Some(to), .. } if to == "Bob"));

    ann.send(&ClientMsg::Command {
        line: "shout hello everyone".into(),
    })
    .await;
    let got = bob
        .wait_for("global line", chat_from("Ann", "global"))
        .await;
    assert!(matches!(got, ServerEvent::Chat { text, .. } if text == "hello everyone"));
    server.shutdown().await;
}

/// Registers `user`, creates character `name` and plays it.
async fn new_player(addr: std::net::SocketAddr, user: &str, name: &str) -> Client {
    let mut c = greeted(addr).await;
    c.auth(register(user, "password123")).await.unwrap();
    c.create_and_play(name).await;
    c
}

#[tokio::test]
async fn friends_are_kept_across_a_restart_and_told_when_a_friend_comes_online() {
    let server = start(&[], |_| {}).await;
    let mut ann = new_player(server.addr, "ann", "Ann").await;
    let bob = new_player(server.addr, "bob", "Bob").await;
    assert!(
        command(&mut ann, "friend add bob")
            .await
            .contains("Bob is now your friend")
    );
    drop(bob);

    let server = server.restart().await;
    let mut ann = greeted(server.addr).await;
    ann.auth(login("ann", "password123")).await.unwrap();
    ann.play("Ann").await;
    // The typed list comes by itself on entering the world.
    assert_eq!(
        ann.saw_or_wait("friends", is_friends).await,
        friends_event(&[("Bob", false)])
    );
    assert_eq!(
        command(&mut ann, "friends").await,
        "Friends (1): Bob (offline)."
    );
    let mut bob = greeted(server.addr).await;
    bob.auth(login("bob", "password123")).await.unwrap();
    bob.play("Bob").await;
    let status = ann
        .wait_for("friend_status", |e| {
            matches!(e, ServerEvent::FriendStatus { .. })
        })
        .await;
    assert_eq!(
        status,
        ServerEvent::FriendStatus {
            name: "Bob".into(),
            online: true
        }
    );
    assert_eq!(
        command(&mut ann, "friends").await,
        "Friends (1): Bob (online)."
    );
    ann.send(&ClientMsg::Friends).await;
    assert_eq!(
        ann.wait_for("friends", is_friends).await,
        friends_event(&[("Bob", true)])
    );
    server.shutdown().await;
}

fn is_friends(e: &ServerEvent) -> bool {
    matches!(e, ServerEvent::Friends { .. })
}

/// A `friends` event listing `friends` (name, online) and no ignores.
fn friends_event(friends: &[(&str, bool)]) -> ServerEvent {
    ServerEvent::Friends {
        friends: friends
            .iter()
            .map(|(name, online)| FriendView {
                name: name.to_string(),
                online: *online,
            })
            .collect(),
        ignores: Vec::new(),
    }
}
