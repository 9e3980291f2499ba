//! Several server processes, one game (issue 20), against real parts: a `nats-server` each
//! test starts on its own port, the MongoDB-compatible server of `MONGODB_URI`, and real
//! servers talking real WebSocket. Process `a` hosts the map `test`, process `b` the map
//! `vault` (the stairs at (5, 1) lead down into it) unless a test says otherwise.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use common::cluster::{Nats, cluster_json, fresh_db, join, parts, until_joined};
use common::two_maps;
use common::{Client, TO_VAULT, TestServer, greeted, login, register, start_with_maps};
use emberkeep::storage::{MongoStore, Store};
use emberkeep_components::protocol::{ClientMsg, ErrorCode, ServerEvent};
use serde_json::json;

/// A process of the cluster called `name` hosting `maps`.
async fn node(name: &str, maps: &[&str], nats: &Nats, db: &str) -> TestServer {
    start_with_maps(&two_maps(), |c| {
        join(c, name, maps, nats, db);
        c.server.admin_token = Some(ADMIN.into());
        // Guilds cost nothing here: the test is about their chat, not their price.
        let rules = c.server.assets.join("rules.toml");
        let mut text = std::fs::read_to_string(&rules).unwrap();
        text.push_str("\n[guilds]\ncreate_cost = 0\n");
        std::fs::write(rules, text).unwrap();
    })
    .await
}

const ADMIN: &str = "cluster-test-admin-token";

/// Gives the player `name` on `s` `count` of `item` through the admin API.
async fn give(s: &TestServer, name: &str, item: &str, count: u32) {
    let addr = s.handle.as_ref().unwrap().http_addr();
    let body = json!({"name": name, "item": item, "count": count}).to_string();
    let auth = format!("Authorization: Bearer {ADMIN}");
    let r = common::http::post(addr, "/admin/give", &[&auth], &body).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

/// Registers `user` and plays a new character `name` on `addr`.
async fn new_player(addr: SocketAddr, user: &str, name: &str) -> Client {
    let mut c = greeted(addr).await;
    c.auth(register(user, "password123")).await.unwrap();
    c.create_and_play(name).await;
    c
}

/// The last inventory's item ids.
fn item_ids(c: &Client) -> Vec<u64> {
    let inv = c.seen.iter().rev().find_map(|e| match e {
        ServerEvent::Inventory { items, .. } => Some(items.iter().map(|i| i.id).collect()),
        _ => None,
    });
    inv.unwrap_or_default()
}

/// Where a `welcome` put the player: the map and the tile in its own coordinates.
fn arrived(c: &Client) -> (String, i32, i32) {
    let w = c.seen.iter().rev().find_map(|e| match e {
        ServerEvent::Welcome { map, x, y, .. } => {
            Some((map.name.clone(), x - map.origin.x, y - map.origin.y))
        }
        _ => None,
    });
    w.expect("a welcome")
}

/// Follows a `handoff` event like a client: connects to its URL, says hello, hands the
/// token in, and waits for the welcome.
async fn follow(c: &mut Client) -> (Client, String) {
    let (url, token) = match c
        .wait_for("handoff", |e| matches!(e, ServerEvent::Handoff { .. }))
        .await
    {
        ServerEvent::Handoff { url, token, .. } => (url, token),
        _ => unreachable!(),
    };
    let addr: SocketAddr = url.trim_start_matches("ws://").parse().unwrap();
    let mut next = greeted(addr).await;
    next.send(&ClientMsg::Handoff {
        token: token.clone(),
    })
    .await;
    let w = next
        .wait_for("welcome", |e| {
            matches!(e, ServerEvent::Welcome { .. } | ServerEvent::Error { .. })
        })
        .await;
    let ServerEvent::Welcome { id, name, .. } = w else {
        panic!("the handoff was refused: {w:?}");
    };
    next.id = id;
    next.name = name;
    (next, token)
}

/// Every item id in the database, with how many characters hold it.
async fn stored_items(db: &str) -> BTreeMap<u64, usize> {
    let store = MongoStore::open(db).await.unwrap();
    let mut seen = BTreeMap::new();
    for c in store.all_characters().await.unwrap() {
        for id in c.item_ids() {
            *seen.entry(id).or_insert(0) += 1;
        }
    }
    seen
}

#[tokio::test]
async fn a_warp_to_a_map_another_process_hosts_hands_the_character_over_once() {
    let Some((mongo, bin)) = parts("handoff") else {
        return;
    };
    let nats = Nats::shared(&bin).await;
    let db = fresh_db(&mongo, "handoff");
    let a = node("a", &["test"], &nats, &db).await;
    let b = node("b", &["vault"], &nats, &db).await;
    until_joined(&[&a, &b], 2).await;
    let v = cluster_json(&a).await;
    assert_eq!(v["maps"]["vault"], json!(["b"]), "{v}");
    assert_eq!(v["maps"]["test"], json!(["a"]), "{v}");

    let mut ann = new_player(a.addr, "ann", "Ann").await;
    give(&a, "Ann", "potion", 3).await;
    give(&a, "Ann", "dagger", 1).await;
    ann.wait_for(
        "two stacks",
        |e| matches!(e, ServerEvent::Inventory { items, .. } if items.len() == 2),
    )
    .await;
    let items = item_ids(&ann);
    // Down the stairs: the vault is b's.
    let (last, walk) = TO_VAULT.split_last().unwrap();
    for &(x, y) in walk {
        ann.step(x, y).await;
    }
    ann.send(&ClientMsg::Move {
        x: last.0,
        y: last.1,
        seq: None,
    })
    .await;
    let (mut ann_b, token) = follow(&mut ann).await;
    ann.expect_end().await;
    assert_eq!(
        arrived(&ann_b),
        ("vault".into(), 2, 2),
        "the stairs' target"
    );
    ann_b
        .saw_or_wait("inventory", |e| matches!(e, ServerEvent::Inventory { .. }))
        .await;
    assert_eq!(item_ids(&ann_b), items, "the same items, the same ids");

    // In the database the character is in the vault, and every item is held once.
    let store = MongoStore::open(&db).await.unwrap();
    let saved = store.character("ann".into()).await.unwrap().unwrap();
    assert_eq!(saved.map.as_deref(), Some("vault"));
    let stored = stored_items(&db).await;
    for id in &items {
        assert_eq!(stored.get(id), Some(&1), "item {id}: {stored:?}");
    }

    // The token was for one use, on b only.
    for server in [b.addr, a.addr] {
        let mut thief = greeted(server).await;
        thief
            .send(&ClientMsg::Handoff {
                token: token.clone(),
            })
            .await;
        assert_eq!(thief.expect_error().await, ErrorCode::HandoffInvalid);
    }

    // And back up the stairs to a, where she lands at (4, 1).
    let (ann_a, _) = {
        // (Steps are in the atlas' tiles: the vault lies 56 tiles to the right.)
        ann_b.step(58, 3).await;
        ann_b
            .send(&ClientMsg::Move {
                x: 58,
                y: 4,
                seq: None,
            })
            .await;
        follow(&mut ann_b).await
    };
    assert_eq!(arrived(&ann_a), ("test".into(), 4, 1));
    assert_eq!(common::stat(&a, |s| &s.handoffs_out), 1);
    assert_eq!(common::stat(&b, |s| &s.handoffs_in), 1);
    assert_eq!(common::stat(&b, |s| &s.handoffs_out), 1);
    b.shutdown().await;
    a.shutdown().await;
}

#[tokio::test]
async fn whispers_guild_and_party_lines_friends_channels_and_who_cross_processes() {
    let Some((mongo, bin)) = parts("social") else {
        return;
    };
    let nats = Nats::shared(&bin).await;
    let db = fresh_db(&mongo, "social");
    let a = node("a", &["test"], &nats, &db).await;
    let b = node("b", &["vault"], &nats, &db).await;
    until_joined(&[&a, &b], 2).await;

    // Ann founds a guild and befriends Bob while both are on a.
    let mut ann = new_player(a.addr, "ann", "Ann").await;
    let mut bob = new_player(a.addr, "bob", "Bob").await;
    ann.send(&ClientMsg::GuildCreate {
        name: "Iron Wolves".into(),
    })
    .await;
    ann.wait_for("founded", |e| {
        matches!(e, ServerEvent::Guild { guild: Some(_) })
    })
    .await;
    ann.send(&ClientMsg::GuildInvite { name: "bob".into() })
        .await;
    bob.wait_for("invite", |e| matches!(e, ServerEvent::GuildInvite { .. }))
        .await;
    bob.send(&ClientMsg::GuildAccept).await;
    bob.wait_for("joined", |e| {
        matches!(e, ServerEvent::Guild { guild: Some(_) })
    })
    .await;
    ann.send(&ClientMsg::PartyInvite { name: "bob".into() })
        .await;
    bob.wait_for("party invite", |e| {
        matches!(e, ServerEvent::PartyInvite { .. })
    })
    .await;
    bob.send(&ClientMsg::PartyAccept).await;
    bob.wait_for("in the party", |e| {
        matches!(e, ServerEvent::Party { party: Some(_) })
    })
    .await;
    ann.send(&ClientMsg::Command {
        line: "friend add bob".into(),
    })
    .await;
    ann.wait_for("friends", |e| {
        matches!(e, ServerEvent::Friends { friends, .. } if friends.iter().any(|f| f.name == "Bob" && f.online))
    })
    .await;

    // Bob goes down into b's vault: Ann sees him go offline here, then online there.
    let (last, walk) = TO_VAULT.split_last().unwrap();
    for &(x, y) in walk {
        bob.step(x, y).await;
    }
    bob.send(&ClientMsg::Move {
        x: last.0,
        y: last.1,
        seq: None,
    })
    .await;
    let (mut bob, _) = follow(&mut bob).await;
    ann.wait_for("Bob offline", |e| {
        *e == ServerEvent::FriendStatus {
            name: "Bob".into(),
            online: false,
        }
    })
    .await;
    ann.wait_for("Bob online on b", |e| {
        *e == ServerEvent::FriendStatus {
            name: "Bob".into(),
            online: true,
        }
    })
    .await;

    // A whisper each way, with the echo naming the recipient.
    ann.send(&ClientMsg::Whisper {
        to: "bob".into(),
        text: "where are you?".into(),
    })
    .await;
    let got = bob
        .wait_for(
            "whisper",
            |e| matches!(e, ServerEvent::Chat { channel: Some(c), .. } if c == "whisper"),
        )
        .await;
    assert!(
        matches!(&got, ServerEvent::Chat { name, text, to: None, .. } if name == "Ann" && text == "where are you?"),
        "{got:?}"
    );
    ann.wait_for(
        "echo",
        |e| matches!(e, ServerEvent::Chat { to: Some(to), .. } if to == "Bob"),
    )
    .await;
    bob.send(&ClientMsg::Command {
        line: "r in the vault".into(),
    })
    .await;
    ann.wait_for("reply", |e| {
        matches!(e, ServerEvent::Chat { name, text, .. } if name == "Bob" && text == "in the vault")
    })
    .await;
    ann.send(&ClientMsg::Whisper {
        to: "nobody".into(),
        text: "hello?".into(),
    })
    .await;
    assert_eq!(ann.expect_error().await, ErrorCode::PlayerOffline);

    // Guild chat both ways (b learned of the guild, founded after it started, from a).
    ann.send(&ClientMsg::ChannelSay {
        channel: "guild".into(),
        text: "hold the vault".into(),
    })
    .await;
    bob.wait_for("guild line", |e| {
        matches!(e, ServerEvent::Chat { channel: Some(c), name, text, .. } if c == "guild" && name == "Ann" && text == "hold the vault")
    })
    .await;
    bob.send(&ClientMsg::ChannelSay {
        channel: "guild".into(),
        text: "held".into(),
    })
    .await;
    ann.wait_for("guild reply", |e| {
        matches!(e, ServerEvent::Chat { channel: Some(c), name, .. } if c == "guild" && name == "Bob")
    })
    .await;
    // The party line, both ways (the party itself stays on a).
    ann.send(&ClientMsg::ChannelSay {
        channel: "party".into(),
        text: "regroup".into(),
    })
    .await;
    bob.wait_for("party line", |e| {
        matches!(e, ServerEvent::Chat { channel: Some(c), name, text, .. } if c == "party" && name == "Ann" && text == "regroup")
    })
    .await;
    bob.send(&ClientMsg::ChannelSay {
        channel: "party".into(),
        text: "on my way".into(),
    })
    .await;
    ann.wait_for("party reply", |e| {
        matches!(e, ServerEvent::Chat { channel: Some(c), name, text, .. } if c == "party" && name == "Bob" && text == "on my way")
    })
    .await;
    // The global channel, and `who` listing both processes.
    bob.send(&ClientMsg::ChannelSay {
        channel: "global".into(),
        text: "hello world".into(),
    })
    .await;
    ann.wait_for("global line", |e| {
        matches!(e, ServerEvent::Chat { channel: Some(c), text, .. } if c == "global" && text == "hello world")
    })
    .await;
    ann.send(&ClientMsg::Command { line: "who".into() }).await;
    ann.wait_for("who", |e| {
        matches!(e, ServerEvent::Info { text, .. } if text.contains("Ann (1)") && text.contains("Bob [b]"))
    })
    .await;

    // A staff broadcast through a's admin API reaches b's players.
    let addr = a.handle.as_ref().unwrap().http_addr();
    let auth = format!("Authorization: Bearer {ADMIN}");
    let r = common::http::post(
        addr,
        "/admin/broadcast",
        &[&auth],
        r#"{"text":"restart at noon"}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    bob.wait_for(
        "announcement",
        |e| matches!(e, ServerEvent::Announcement { text } if text == "restart at noon"),
    )
    .await;
    b.shutdown().await;
    // b is gone: Ann sees Bob offline (b said goodbye).
    ann.wait_for("Bob offline again", |e| {
        *e == ServerEvent::FriendStatus {
            name: "Bob".into(),
            online: false,
        }
    })
    .await;
    a.shutdown().await;
}

#[tokio::test]
async fn a_second_login_on_another_process_is_refused_until_the_first_ends() {
    let Some((mongo, bin)) = parts("lease") else {
        return;
    };
    let nats = Nats::shared(&bin).await;
    let db = fresh_db(&mongo, "lease");
    let a = node("a", &["test"], &nats, &db).await;
    let b = node("b", &["test"], &nats, &db).await;
    let mut ann = new_player(a.addr, "ann", "Ann").await;
    let mut elsewhere = greeted(b.addr).await;
    elsewhere.send(&login("ann", "password123")).await;
    let got = elsewhere
        .wait_for("refusal", |e| matches!(e, ServerEvent::Error { .. }))
        .await;
    assert!(
        matches!(&got, ServerEvent::Error { code: ErrorCode::AlreadyLoggedIn, message, .. } if message.contains("server a")),
        "{got:?}"
    );
    ann.send(&ClientMsg::Logout).await;
    ann.wait_for("logged out", |e| *e == ServerEvent::LoggedOut)
        .await;
    // The lease goes with the logout's save: the login on b goes through.
    let token = tokio::time::timeout(common::WAIT, async {
        loop {
            let mut again = greeted(b.addr).await;
            if let Ok(t) = again.auth(login("ann", "password123")).await {
                return (t, again);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the lease was released");
    let (_, mut again) = token;
    again.play("Ann").await;
    b.shutdown().await;
    a.shutdown().await;
}

#[tokio::test]
async fn nats_stopped_and_restarted_under_play() {
    let Some((mongo, bin)) = parts("nats_restart") else {
        return;
    };
    let mut nats = Nats::start(&bin).await;
    let db = fresh_db(&mongo, "nats_restart");
    let a = node("a", &["test"], &nats, &db).await;
    let b = node("b", &["test"], &nats, &db).await;
    until_joined(&[&a, &b], 2).await;
    let mut ann = new_player(a.addr, "ann", "Ann").await;
    let mut bob = new_player(b.addr, "bob", "Bob").await;
    let whisper = ClientMsg::Whisper {
        to: "bob".into(),
        text: "ping".into(),
    };
    // Wait until a has heard of Bob on b.
    until_listed(&mut ann, "Bob [b]").await;
    ann.send(&whisper).await;
    ann.wait_for("echo", |e| {
        matches!(e, ServerEvent::Chat { to: Some(_), .. })
    })
    .await;

    nats.down();
    until_disconnected(&a).await;
    ann.send(&whisper).await;
    assert_eq!(ann.expect_error().await, ErrorCode::ClusterUnavailable);
    // Each process keeps serving its own players.
    ann.step(2, 1).await;
    bob.step(2, 1).await;
    ann.send(&ClientMsg::Say {
        text: "still here".into(),
    })
    .await;
    ann.wait_for(
        "own line",
        |e| matches!(e, ServerEvent::Chat { text, .. } if text == "still here"),
    )
    .await;

    nats.up().await;
    // After the reconnect, rosters are exchanged again.
    until_listed(&mut ann, "Bob [b]").await;
    let again = ClientMsg::Whisper {
        to: "bob".into(),
        text: "pong".into(),
    };
    // The world hears that the link is back within a tick or two of the task.
    tokio::time::timeout(common::WAIT, async {
        loop {
            ann.send(&again).await;
            let got = ann
                .wait_for("echo or error", |e| {
                    matches!(
                        e,
                        ServerEvent::Chat { to: Some(_), .. } | ServerEvent::Error { .. }
                    )
                })
                .await;
            match got {
                ServerEvent::Chat { .. } => return,
                ServerEvent::Error {
                    code: ErrorCode::ClusterUnavailable,
                    ..
                } => tokio::time::sleep(std::time::Duration::from_millis(200)).await,
                other => panic!("{other:?}"),
            }
        }
    })
    .await
    .expect("whispers cross again");
    bob.wait_for(
        "the whisper",
        |e| matches!(e, ServerEvent::Chat { name, text, .. } if name == "Ann" && text == "pong"),
    )
    .await;
    b.shutdown().await;
    a.shutdown().await;
}

#[tokio::test]
async fn a_process_started_while_nats_is_down_serves_and_joins_once_it_is_up() {
    let Some((mongo, bin)) = parts("nats_late") else {
        return;
    };
    let mut nats = Nats::not_yet(&bin);
    let db = fresh_db(&mongo, "nats_late");
    let a = node("a", &["test"], &nats, &db).await;
    assert_eq!(cluster_json(&a).await["connected"], json!(false));
    // Its own players play.
    let mut ann = new_player(a.addr, "ann", "Ann").await;
    ann.step(2, 1).await;
    ann.send(&ClientMsg::Say {
        text: "anyone?".into(),
    })
    .await;
    ann.wait_for(
        "own line",
        |e| matches!(e, ServerEvent::Chat { text, .. } if text == "anyone?"),
    )
    .await;
    // NATS comes: a connects by itself, and meets b.
    nats.up().await;
    let b = node("b", &["test"], &nats, &db).await;
    until_joined(&[&a, &b], 2).await;
    let mut bob = new_player(b.addr, "bob", "Bob").await;
    until_listed(&mut ann, "Bob [b]").await;
    ann.send(&ClientMsg::Whisper {
        to: "bob".into(),
        text: "at last".into(),
    })
    .await;
    bob.wait_for(
        "whisper",
        |e| matches!(e, ServerEvent::Chat { name, text, .. } if name == "Ann" && text == "at last"),
    )
    .await;
    b.shutdown().await;
    a.shutdown().await;
}

/// Asks `who` until its answer lists `entry` (e.g. `Bob [b]`).
async fn until_listed(c: &mut Client, entry: &str) {
    tokio::time::timeout(common::WAIT, async {
        loop {
            c.send(&ClientMsg::Command { line: "who".into() }).await;
            let got = c
                .wait_for(
                    "who",
                    |e| matches!(e, ServerEvent::Info { text, .. } if text.contains("online")),
                )
                .await;
            if matches!(&got, ServerEvent::Info { text } if text.contains(entry)) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{entry} never listed by who"));
}

/// Waits until `/cluster.json` of `s` says the NATS link is down.
async fn until_disconnected(s: &TestServer) {
    tokio::time::timeout(common::WAIT, async {
        while cluster_json(s).await["connected"] != json!(false) {
            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        }
    })
    .await
    .expect("the link goes down");
}

#[tokio::test]
async fn malformed_and_foreign_cluster_messages_are_dropped_and_counted() {
    let Some((mongo, bin)) = parts("malformed") else {
        return;
    };
    let nats = Nats::shared(&bin).await;
    let db = fresh_db(&mongo, "malformed");
    let a = node("a", &["test"], &nats, &db).await;
    let mut ann = new_player(a.addr, "ann", "Ann").await;
    let client = async_nats::connect(nats.url()).await.unwrap();
    let forged = [
        &b"not json"[..],
        br#"{"v":1,"from":"a","msg":{"kind":"shared","line":"broadcast","text":"I am you"}}"#,
        br#"{"v":9,"from":"x","msg":{"kind":"shared","line":"broadcast","text":"from the future"}}"#,
        br#"{"v":1,"from":"x","msg":{"kind":"give_gold","to":"ann"}}"#,
    ];
    let all = format!("{}.all", nats.prefix);
    for payload in forged {
        client
            .publish(all.clone(), payload.to_vec().into())
            .await
            .unwrap();
    }
    client
        .publish(format!("{}.to.a", nats.prefix), b"\xff\xfe".to_vec().into())
        .await
        .unwrap();
    client.flush().await.unwrap();
    tokio::time::timeout(common::WAIT, async {
        while common::stat(&a, |s| &s.cluster_dropped) < 5 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("five dropped");
    // Nothing of it reached the world, which serves on.
    let seen = ann.sync().await;
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, ServerEvent::Announcement { .. })),
        "{seen:?}"
    );
    // A well-formed one from another process is taken.
    let ok = br#"{"v":1,"from":"x","msg":{"kind":"shared","line":"broadcast","text":"maintenance at noon"}}"#;
    client.publish(all, ok.to_vec().into()).await.unwrap();
    ann.wait_for(
        "broadcast",
        |e| matches!(e, ServerEvent::Announcement { text } if text == "maintenance at noon"),
    )
    .await;
    a.shutdown().await;
}

#[tokio::test]
async fn draining_hands_players_to_another_host_of_their_map() {
    let Some((mongo, bin)) = parts("drain") else {
        return;
    };
    let nats = Nats::shared(&bin).await;
    let db = fresh_db(&mongo, "drain");
    let a = node("a", &["test"], &nats, &db).await;
    let b = node("b", &["test", "vault"], &nats, &db).await;
    until_joined(&[&a, &b], 2).await;
    let mut ann = new_player(a.addr, "ann", "Ann").await;
    give(&a, "Ann", "potion", 2).await;
    ann.wait_for(
        "potions",
        |e| matches!(e, ServerEvent::Inventory { items, .. } if !items.is_empty()),
    )
    .await;
    ann.step(2, 1).await;
    let items = item_ids(&ann);
    // The admin API's drain (docs/admin-api.md's example); SIGTERM's goes the same way and
    // waits until the players are gone.
    let addr = a.handle.as_ref().unwrap().http_addr();
    let auth = format!("Authorization: Bearer {ADMIN}");
    let r = common::http::post(addr, "/admin/drain", &[&auth], "").await;
    assert_eq!(
        (r.status, r.text()),
        (200, r#"{"draining":true}"#.to_string())
    );
    let handle = a.handle.as_ref().unwrap();
    let (drained, followed) = tokio::join!(
        handle.drain(std::time::Duration::from_secs(5)),
        follow(&mut ann)
    );
    let () = drained;
    assert_eq!(common::stat(&a, |s| &s.players), 0, "nobody is left on a");
    let (mut ann_b, _) = followed;
    assert_eq!(arrived(&ann_b), ("test".into(), 2, 1), "where she stood");
    ann_b
        .saw_or_wait("inventory", |e| matches!(e, ServerEvent::Inventory { .. }))
        .await;
    assert_eq!(item_ids(&ann_b), items);
    // a takes nobody new while draining.
    let mut late = greeted(a.addr).await;
    late.send(&register("cid", "password123")).await;
    assert_eq!(late.expect_error().await, ErrorCode::Draining);
    a.shutdown().await;
    b.shutdown().await;
}
