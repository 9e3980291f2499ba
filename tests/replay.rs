//! Deterministic replay, black-box: a real server records a session played over real
//! WebSockets; the `emberkeep replay` binary replays the log to the same world hashes, and
//! refuses a log that lost or damaged a line, naming it.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{Client, WAIT, greeted, register, start_with_mobs};
use emberkeep_components::protocol::{ClientMsg, EntityKind, ServerEvent};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TOKEN: &str = "replay-admin-token";
/// Ticks between recorded world hashes: a session of a few seconds has many.
const EVERY: u64 = 3;

/// A POST to the admin API; returns the status line's code.
async fn admin(http: SocketAddr, path: &str, body: &str) -> u16 {
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {http}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let io = async {
        let mut s = tokio::net::TcpStream::connect(http).await.unwrap();
        s.write_all(req.as_bytes()).await.unwrap();
        let mut raw = String::new();
        s.read_to_string(&mut raw).await.unwrap();
        raw
    };
    let raw = tokio::time::timeout(WAIT, io)
        .await
        .expect("an HTTP answer");
    raw.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Starts a recording server (a rat at (2, 1)), plays `session` on it, shuts it down and
/// returns the log and a copy of its assets (the server's own folder goes away with it).
async fn record<F, Fut>(session: F) -> (tempfile::TempDir, PathBuf, PathBuf)
where
    F: FnOnce(SocketAddr, SocketAddr, PathBuf) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let keep = tempfile::tempdir().unwrap();
    let log = keep.path().join("session.jsonl");
    let server = start_with_mobs(&[], &[("rat", 2, 1)], |c| {
        c.server.admin_token = Some(TOKEN.into());
        c.server.record = Some(log.clone());
        c.server.record_hash_every_ticks = EVERY;
        c.world.linger_secs = 0.0;
    })
    .await;
    let assets = keep.path().join("assets");
    copy_dir(server.dir(), &assets);
    let http = server.handle.as_ref().unwrap().http_addr();
    session(server.addr, http, server.dir().to_owned()).await;
    server.shutdown().await;
    (keep, log, assets)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let dest = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).unwrap();
        }
    }
}

/// Runs `emberkeep replay LOG --assets DIR --every EVERY`.
fn replay(log: &Path, assets: &Path) -> Output {
    replay_with(log, assets, &[])
}

/// Runs `emberkeep replay LOG --assets DIR --every EVERY` with more arguments.
fn replay_with(log: &Path, assets: &Path, more: &[&std::ffi::OsStr]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_emberkeep"))
        .arg("replay")
        .arg(log)
        .arg("--assets")
        .arg(assets)
        .args(["--every", &EVERY.to_string()])
        .args(more)
        .env_remove("EMBERKEEP_CONFIG")
        .output()
        .expect("the emberkeep binary runs")
}

/// The `tick <n> hash <hex>` lines a replay printed.
fn printed(out: &Output) -> BTreeMap<u64, String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("tick ")?;
            let (tick, hash) = rest.split_once(" hash ")?;
            Some((tick.parse().ok()?, hash.to_string()))
        })
        .collect()
}

/// The world hashes the live server wrote into the log, by tick.
fn recorded(log: &Path) -> BTreeMap<u64, String> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            let h = v.get("hash")?;
            Some((h["tick"].as_u64()?, h["hash"].as_str()?.to_string()))
        })
        .collect()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The id of the first mob spawned in view whose tile is (x, y).
async fn mob_at(c: &mut Client, x: i32, y: i32) -> u64 {
    let ev = c
        .saw_or_wait("a mob spawn", |e| matches!(e, ServerEvent::Spawn { kind: EntityKind::Mob, x: ex, y: ey, .. } if *ex == x && *ey == y))
        .await;
    match ev {
        ServerEvent::Spawn { id, .. } => id,
        _ => unreachable!(),
    }
}

/// The id of the first stack of `template` in an inventory update.
async fn holds(c: &mut Client, template: &str) -> u64 {
    let ev = c
        .wait_for(template, |e| matches!(e, ServerEvent::Inventory { items, .. } if items.iter().any(|i| i.item == template)))
        .await;
    match ev {
        ServerEvent::Inventory { items, .. } => {
            items.iter().find(|i| i.item == template).unwrap().id
        }
        _ => unreachable!(),
    }
}

/// Guest Ann kills the rat (the RNG rolls every swing) and picks up its dagger; Bob logs in
/// to an account (storage answers) and enters; Ann is given potions by the admin API, drops
/// one and picks it up again; Bob chats, walks and disconnects.
async fn play(ws: SocketAddr, http: SocketAddr, _assets: PathBuf) {
    let mut ann = Client::join(ws, "Ann").await;
    let rat = mob_at(&mut ann, 2, 1).await;
    ann.send(&ClientMsg::Attack { target: rat }).await;
    ann.wait_for(
        "the rat's death",
        |e| matches!(e, ServerEvent::Death { id, .. } if *id == rat),
    )
    .await;
    let loot = ann.ground_item(None).await;
    ann.send(&ClientMsg::Pickup { item: loot }).await;
    holds(&mut ann, "dagger").await;

    let mut bob = greeted(ws).await;
    bob.auth(register("bob", "secret-pass-1"))
        .await
        .expect("registered");
    bob.create_and_play("Bob").await;

    assert_eq!(
        admin(
            http,
            "/admin/give",
            r#"{"name":"Ann","item":"potion","count":2}"#
        )
        .await,
        200
    );
    let potion = holds(&mut ann, "potion").await;
    ann.send(&ClientMsg::Drop {
        item: potion,
        count: Some(1),
    })
    .await;
    let dropped = ann.next_ground_item(Some("potion")).await;
    ann.send(&ClientMsg::Pickup { item: dropped }).await;
    ann.wait_for(
        "the potion back",
        |e| matches!(e, ServerEvent::Despawn { id, .. } if *id == dropped),
    )
    .await;

    bob.send(&ClientMsg::Say {
        text: "hello Ann".into(),
    })
    .await;
    ann.wait_for(
        "Bob's chat",
        |e| matches!(e, ServerEvent::Chat { text, .. } if text == "hello Ann"),
    )
    .await;
    bob.step(1, 2).await;
    let bob_id = bob.id;
    drop(bob);
    // Nobody lingers (`linger_secs = 0`): Ann sees Bob leave once the world took the close.
    ann.wait_for("Bob leaves", |e| *e == ServerEvent::Despawn { id: bob_id })
        .await;
    ann.step(0, 1).await;
}

#[tokio::test]
async fn a_recorded_session_replays_to_the_same_hashes() {
    let (_keep, log, assets) = record(play).await;
    let text_of_log = std::fs::read_to_string(&log).unwrap();
    for what in [
        "\"logged_in\"",
        "\"character_loaded\"",
        "\"admin\"",
        "\"attack\"",
        "\"pickup\"",
        "\"drop\"",
        "\"say\"",
        "\"closed\"",
        "\"end\"",
    ] {
        assert!(text_of_log.contains(what), "the log has no {what}");
    }
    assert!(
        !text_of_log.contains("secret-pass-1"),
        "a log never holds a password"
    );
    let want = recorded(&log);
    assert!(want.len() >= 3, "a few checkpoints: {want:?}");

    let out = replay(&log, &assets);
    assert!(out.status.success(), "{}", text(&out));
    let got = printed(&out);
    for (tick, hash) in &want {
        assert_eq!(got.get(tick), Some(hash), "tick {tick}: {}", text(&out));
    }
    assert!(
        text(&out).contains(&format!("all {} checkpoints matched", want.len())),
        "{}",
        text(&out)
    );

    // Killed mid-write: the last line is cut short. Replay goes up to there and says so.
    let cut = log.with_extension("cut");
    let keep = text_of_log.len() - text_of_log.lines().last().unwrap().len() / 2 - 1;
    std::fs::write(&cut, &text_of_log[..keep]).unwrap();
    let out = replay(&cut, &assets);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("cut short"), "{}", text(&out));
}

#[tokio::test]
async fn a_log_with_a_damaged_or_missing_line_is_refused_naming_the_line() {
    let (_keep, log, assets) = record(|ws, _, _| async move {
        let mut ann = Client::join(ws, "Ann").await;
        for (x, y) in [(1, 2), (1, 3), (2, 3), (3, 3)] {
            ann.step(x, y).await;
        }
        ann.sync().await;
    })
    .await;
    let text_of_log = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text_of_log.lines().collect();
    let edited = |name: &str, lines: Vec<&str>| {
        let path = log.with_file_name(name);
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        path
    };
    // The third line (a tick's inputs, or a hash) is damaged.
    let mut damaged = lines.clone();
    damaged[2] = "{\"n\": 3, \"inputs\": {\"tick\": ";
    let out = replay(&edited("damaged.jsonl", damaged), &assets);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("damaged.jsonl line 3: damaged"),
        "{}",
        text(&out)
    );

    let mut missing = lines.clone();
    missing.remove(2);
    let out = replay(&edited("missing.jsonl", missing), &assets);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("missing.jsonl line 3: it says it is line 4: a line is missing"),
        "{}",
        text(&out)
    );

    // The writer fell behind: the hole marker stops the replay with an error.
    let mut holed = lines[..3].to_vec();
    holed.push("{\"n\":4,\"hole\":{\"from\":7}}");
    let out = replay(&edited("holed.jsonl", holed), &assets);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("holed.jsonl line 4: the recording lost its lines from tick 7 on"),
        "{}",
        text(&out)
    );

    // A content folder that is not the recorded one is refused by its fingerprint.
    std::fs::write(assets.join("mobs.toml"), "").unwrap();
    let out = replay(&log, &assets);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("no assets folder has the content"),
        "{}",
        text(&out)
    );
}

/// The test content with the rat's hp changed.
fn rat_hp(dir: &Path, hp: i32) {
    let mobs = dir.join("mobs.toml");
    let text = std::fs::read_to_string(&mobs).unwrap();
    assert!(
        text.contains("hp = 20"),
        "the test rat moved; update this test"
    );
    std::fs::write(&mobs, text.replace("hp = 20", &format!("hp = {hp}"))).unwrap();
}

#[tokio::test]
async fn content_reloaded_while_recording_is_reloaded_in_the_replay_or_refused() {
    let (_keep, log, assets) = record(|ws, http, dir| async move {
        let mut ann = Client::join(ws, "Ann").await;
        rat_hp(&dir, 35);
        assert_eq!(admin(http, "/admin/reload", "").await, 200);
        assert_eq!(
            admin(http, "/admin/spawn", r#"{"mob":"rat","x":1,"y":3}"#).await,
            200
        );
        ann.wait_for("a rat of the new content", |e| {
            matches!(
                e,
                ServerEvent::Spawn {
                    kind: EntityKind::Mob,
                    max_hp: Some(35),
                    ..
                }
            )
        })
        .await;
        ann.step(1, 2).await;
    })
    .await;
    assert!(
        std::fs::read_to_string(&log)
            .unwrap()
            .contains("\"reload\"")
    );
    let edited = assets.with_file_name("edited");
    copy_dir(&assets, &edited);
    rat_hp(&edited, 35);

    let out = replay(&log, &assets);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("the content reloaded before tick")
            && text(&out).contains("no assets folder has the content"),
        "{}",
        text(&out)
    );
    let out = replay_with(
        &log,
        &assets,
        &["--reloaded-assets".as_ref(), edited.as_ref()],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("checkpoints matched"), "{}", text(&out));
}

/// A server that starts from a stored world records it: Ann's dropped potion is saved on the
/// ground at shutdown; the server comes back with recording on, the potion restored on its
/// tile and the world's tick where it stopped, and Cid picks it up. The log's header carries
/// that stored world, and the replay, which starts from it, matches every checkpoint.
#[tokio::test]
async fn a_recording_of_a_restored_world_starts_from_its_stored_state() {
    let keep = tempfile::tempdir().unwrap();
    let log = keep.path().join("restored.jsonl");
    let server = start_with_mobs(&[], &[], |c| {
        c.server.admin_token = Some(TOKEN.into());
        c.world.linger_secs = 0.0;
    })
    .await;
    let http = server.handle.as_ref().unwrap().http_addr();
    let mut ann = Client::join(server.addr, "Ann").await;
    assert_eq!(
        admin(
            http,
            "/admin/give",
            r#"{"name":"Ann","item":"potion","count":1}"#
        )
        .await,
        200
    );
    let potion = holds(&mut ann, "potion").await;
    ann.send(&ClientMsg::Drop {
        item: potion,
        count: None,
    })
    .await;
    ann.next_ground_item(Some("potion")).await;
    drop(ann);

    let server = server
        .restart_with(|c| {
            c.server.record = Some(log.clone());
            c.server.record_hash_every_ticks = EVERY;
        })
        .await;
    let assets = keep.path().join("assets");
    copy_dir(server.dir(), &assets);
    let mut cid = Client::join(server.addr, "Cid").await;
    // Where Ann dropped it: on the spawn tile, where Cid stands too.
    let on_ground = cid.ground_item(Some("potion")).await;
    cid.send(&ClientMsg::Pickup { item: on_ground }).await;
    assert_eq!(
        holds(&mut cid, "potion").await,
        potion,
        "the very item, by id"
    );
    server.shutdown().await;

    let header: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(&log)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let stored = &header["header"]["start"]["world"];
    assert!(stored["world"]["tick"].as_u64().unwrap() > 0, "{stored}");
    let ground = stored["ground"].as_array().expect("stored ground items");
    assert!(
        ground
            .iter()
            .any(|g| g["item"]["id"].as_u64() == Some(potion)),
        "{stored}"
    );
    let want = recorded(&log);
    assert!(!want.is_empty());
    let out = replay(&log, &assets);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("all {} checkpoints matched", want.len())),
        "{}",
        text(&out)
    );
}
