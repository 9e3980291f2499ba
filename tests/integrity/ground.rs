//! Items on the ground and the world's state across restarts: a dropped item survives
//! SIGKILL (it was a character's); a graceful restart keeps ground items, an opened door and
//! a world flag; in a SIGKILL storm of drops and pickups every item id is stored exactly once
//! across all characters and the ground; and a stored record naming a map, door or item
//! template the assets no longer have is logged and skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::common::{
    Client, WAIT, greeted, login, start_with_maps, test_map_with, tile_object, with_objects,
};
use super::{kill_mid_storm, new_hero, seed_account, spawn_server};
use emberkeep::storage::{SqliteStore, Store, auth};
use emberkeep_components::persist::{
    CharacterRecord, DoorRecord, GroundRecord, ItemRecord, MapRecord, SaveBatch, SaveReason,
    WorldSave, WorldSnapshot,
};
use emberkeep_components::protocol::{ClientMsg, EntityKind, ServerEvent};
use serde_json::json;

/// Assets for the process tests in `dir` (the test map, its content, region size 4); returns
/// the database file and its URL.
fn assets(dir: &std::path::Path) -> (std::path::PathBuf, String) {
    super::common::write_assets(dir, &[]);
    let world = "[world]\nmap = \"test\"\nregion_size = 4\n";
    std::fs::write(dir.join("test.toml"), world).unwrap();
    let db_path = dir.join("game.db");
    let db_url = format!("sqlite://{}", db_path.display());
    (db_path, db_url)
}

/// Seeds account `key` with character `name` holding daggers with these ids.
async fn seed_hero(store: &SqliteStore, key: &str, name: &str, daggers: &[u64]) {
    let hash = auth::hash_password("password123").unwrap();
    seed_account(store, key, &hash).await;
    let mut c = CharacterRecord::new(name, key, "warrior");
    c.inventory = (daggers.iter())
        .map(|id| ItemRecord {
            id: *id,
            template: "dagger".into(),
            count: 1,
        })
        .collect();
    store.create_character(c, 5).await.unwrap();
}

/// Logs `key` in and plays `name`.
async fn hero(addr: std::net::SocketAddr, key: &str, name: &str) -> Client {
    let mut c = greeted(addr).await;
    c.auth(login(key, "password123")).await.unwrap();
    c.play(name).await;
    c.sync().await;
    c
}

fn item_spawn(e: &ServerEvent) -> bool {
    matches!(
        e,
        ServerEvent::Spawn {
            kind: EntityKind::Item,
            ..
        }
    )
}

#[tokio::test]
async fn a_dropped_item_survives_sigkill_and_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (db_path, db_url) = assets(dir.path());
    let store = SqliteStore::open(&db_path).unwrap();
    seed_hero(&store, "kim", "Kim", &[7]).await;
    let mut server = spawn_server(dir.path(), &db_url);
    let mut kim = hero(server.addr, "kim", "Kim").await;
    kim.send(&ClientMsg::Drop {
        item: 7,
        count: None,
    })
    .await;
    kim.wait_for("the dagger on the ground", item_spawn).await;
    // The drop's batch: Kim without the dagger and the dagger on the ground, together.
    let deadline = tokio::time::Instant::now() + WAIT;
    while (store.character("kim".into()).await.unwrap().unwrap())
        .item_ids()
        .any(|i| i == 7)
    {
        assert!(tokio::time::Instant::now() < deadline, "never saved");
        tokio::task::yield_now().await;
    }
    let ground = store.world_snapshot().await.unwrap().ground;
    assert!(ground.iter().any(|g| g.item.id == 7), "{ground:?}");
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();

    let mut server = spawn_server(dir.path(), &db_url);
    let mut kim = hero(server.addr, "kim", "Kim").await;
    let id = match kim.saw_or_wait("the dagger, still there", item_spawn).await {
        ServerEvent::Spawn { id, x, y, item, .. } => {
            assert_eq!((x, y, item.as_deref()), (1, 1, Some("dagger")));
            id
        }
        _ => unreachable!(),
    };
    kim.send(&ClientMsg::Pickup { item: id }).await;
    kim.wait_for(
        "the same dagger back in the bag",
        |e| matches!(e, ServerEvent::Inventory { items, .. } if items.iter().any(|i| i.id == 7)),
    )
    .await;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}

/// The test map has a wall at x = 6 but for a locked `gate` at (6, 1), opened by the lever
/// at (4, 2); working the lever sets the world flag `lever_worked` (and gives a dagger), and
/// working the gate says so while it is set.
const TRIGGERS: &str = r#"
[lever_flag]
on = { kind = "interact", map = "test", object = "lever" }
actions = [{ do = "set_flag", flag = "lever_worked", world = true }, { do = "give_item", item = "dagger" }]
[ask_flag]
on = { kind = "interact", map = "test", object = "gate" }
conditions = [{ if = "flag", flag = "lever_worked", world = true }]
actions = [{ do = "message", text = "Someone worked the lever." }]
"#;

#[tokio::test]
async fn a_graceful_restart_keeps_ground_items_an_opened_door_and_a_world_flag() {
    let walls: Vec<(i32, i32)> = (0..16).filter(|y| *y != 1).map(|y| (6, y)).collect();
    let map = with_objects(
        &test_map_with(&walls, &[]),
        json!([
            tile_object(20, "gate", "door", (6, 1), &[("state", json!("locked"))]),
            tile_object(21, "lever", "lever", (4, 2), &[("door", json!("gate"))]),
        ]),
    );
    let server = start_with_maps(&[("test", map)], |c| {
        std::fs::write(c.server.assets.join("triggers.toml"), TRIGGERS).unwrap();
    })
    .await;
    let (mut ann, _) = new_hero(server.addr, "ann", "Ann").await;
    for (x, y) in [(2, 1), (3, 1), (4, 1)] {
        ann.step(x, y).await;
    }
    ann.send(&ClientMsg::Interact { x: 4, y: 2 }).await;
    ann.wait_for("the gate opening", |e| {
        matches!(e, ServerEvent::Door { open: true, .. })
    })
    .await;
    let dagger = ann
        .saw_or_wait(
            "the lever's dagger",
            |e| matches!(e, ServerEvent::Inventory { items, .. } if !items.is_empty()),
        )
        .await;
    let ServerEvent::Inventory { items, .. } = dagger else {
        unreachable!()
    };
    ann.send(&ClientMsg::Drop {
        item: items[0].id,
        count: None,
    })
    .await;
    ann.wait_for("the drop", item_spawn).await;

    let server = server.restart().await;
    let mut bob = Client::join(server.addr, "Bob").await;
    let gate = bob
        .saw_or_wait("the gate", |e| {
            matches!(
                e,
                ServerEvent::Spawn {
                    kind: EntityKind::Door,
                    ..
                }
            )
        })
        .await;
    assert!(
        matches!(
            gate,
            ServerEvent::Spawn {
                open: Some(true),
                ..
            }
        ),
        "still open: {gate:?}"
    );
    let item = bob.saw_or_wait("the dropped item", item_spawn).await;
    assert!(
        matches!(&item, ServerEvent::Spawn { x: 4, y: 1, item: Some(t), .. } if t == "dagger"),
        "{item:?}"
    );
    // The open gate lets Bob through, and the world flag is still set.
    for (x, y) in [(2, 1), (3, 1), (4, 1), (5, 1), (6, 1), (7, 1)] {
        bob.step(x, y).await;
    }
    bob.send(&ClientMsg::Interact { x: 6, y: 1 }).await;
    bob.wait_for(
        "the flag's answer",
        |e| matches!(e, ServerEvent::Info { text } if text.contains("Someone worked the lever")),
    )
    .await;
    server.shutdown().await;
}

const PLAYERS: usize = 4;
const DAGGERS_EACH: u64 = 3;

#[tokio::test]
async fn sigkill_during_a_storm_of_drops_and_pickups_keeps_every_item_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let (db_path, db_url) = assets(dir.path());
    let store = SqliteStore::open(&db_path).unwrap();
    let mut daggers = BTreeSet::new();
    for p in 0..PLAYERS {
        let ids: Vec<u64> = (1..=DAGGERS_EACH).map(|i| p as u64 * 10 + i).collect();
        daggers.extend(ids.iter().copied());
        seed_hero(&store, &format!("looter{p}"), &format!("Looter{p}"), &ids).await;
    }
    drop(store);

    let (mut picked, mut moved) = (0, 0);
    for (round, kill_after_ms) in [400u64, 1100, 1800].into_iter().enumerate() {
        let mut server = spawn_server(dir.path(), &db_url);
        let mut storm = tokio::task::JoinSet::new();
        for p in 0..PLAYERS {
            let c = hero(server.addr, &format!("looter{p}"), &format!("Looter{p}")).await;
            storm.spawn(drop_and_pick_up_until_killed(c));
        }
        picked += (kill_mid_storm(&mut server, &mut storm, kill_after_ms).await)
            .iter()
            .sum::<usize>();

        let store = SqliteStore::open(&db_path).unwrap();
        let mut places: BTreeMap<u64, Vec<String>> = BTreeMap::new();
        for c in store.all_characters().await.unwrap() {
            for id in c.item_ids() {
                places.entry(id).or_default().push(c.name.clone());
            }
        }
        let ground = store.world_snapshot().await.unwrap().ground;
        for g in &ground {
            places
                .entry(g.item.id)
                .or_default()
                .push(format!("the ground at ({}, {})", g.x, g.y));
        }
        let twice: Vec<_> = places.iter().filter(|(_, p)| p.len() > 1).collect();
        assert!(twice.is_empty(), "round {round}: stored twice: {twice:?}");
        let stored: BTreeSet<u64> = places.keys().copied().collect();
        assert_eq!(stored, daggers, "round {round}: every dagger, exactly once");
        let first_owner = |id: u64| format!("Looter{}", id / 10);
        moved += (places.iter())
            .filter(|(id, p)| p[0].starts_with("Looter") && p[0] != first_owner(**id))
            .count();
        eprintln!(
            "round {round}: killed after {kill_after_ms} ms; {} daggers on the ground, {picked} pickups seen so far",
            ground.len()
        );
    }
    assert!(
        picked > 0 && moved > 0,
        "the storm must actually drop and pick up for this test to mean anything ({picked} pickups, {moved} moved)"
    );
}

/// Drops a dagger, picks up whatever lies in view, over and over, until the server is gone;
/// returns how many pickups it saw go through.
async fn drop_and_pick_up_until_killed(mut c: Client) -> usize {
    use futures_util::{SinkExt, StreamExt};
    let mut bag: Vec<u64> = super::last_inventory(&c).iter().map(|i| i.id).collect();
    let mut ground: BTreeSet<u64> = BTreeSet::new();
    for e in &c.seen {
        if let ServerEvent::Spawn {
            id,
            kind: EntityKind::Item,
            ..
        } = e
        {
            ground.insert(*id);
        }
    }
    let mut picked = 0;
    for step in 0usize.. {
        let msg = if step % 2 == 0 {
            bag.first()
                .map(|&item| ClientMsg::Drop { item, count: None })
        } else {
            ground.first().map(|&item| ClientMsg::Pickup { item })
        };
        if let Some(msg) = msg {
            let text = serde_json::to_string(&msg).unwrap();
            if c.ws
                .send(tokio_tungstenite::tungstenite::Message::text(text))
                .await
                .is_err()
            {
                return picked;
            }
        }
        match tokio::time::timeout(Duration::from_millis(100), c.ws.next()).await {
            Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t)))) => {
                let events: Vec<ServerEvent> = serde_json::from_str(t.as_str()).unwrap_or_default();
                for e in events {
                    match e {
                        ServerEvent::Inventory { items, .. } => {
                            let now: Vec<u64> = items.iter().map(|i| i.id).collect();
                            if now.len() > bag.len() {
                                picked += 1;
                            }
                            bag = now;
                        }
                        ServerEvent::Spawn {
                            id,
                            kind: EntityKind::Item,
                            ..
                        } => {
                            ground.insert(id);
                        }
                        ServerEvent::Despawn { id } => {
                            ground.remove(&id);
                        }
                        // Someone else was quicker.
                        ServerEvent::Error { .. } => {
                            ground.pop_first();
                        }
                        _ => {}
                    }
                }
            }
            Ok(Some(Ok(_))) | Err(_) => {}
            Ok(_) => return picked, // the server is gone
        }
    }
    picked
}

#[tokio::test]
async fn stored_records_for_a_gone_map_door_or_item_are_logged_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let (db_path, db_url) = assets(dir.path());
    let store = SqliteStore::open(&db_path).unwrap();
    let on = |id: u64, template: &str, map: &str| GroundRecord {
        item: ItemRecord {
            id,
            template: template.into(),
            count: 1,
        },
        map: map.into(),
        x: 2,
        y: 1,
        owner: None,
        owner_until: 0,
        despawn_at: 1_000_000,
    };
    let snapshot = WorldSnapshot {
        maps: vec![
            MapRecord {
                map: "atlantis".into(),
                doors: Vec::new(),
            },
            MapRecord {
                map: "test".into(),
                doors: vec![DoorRecord {
                    name: "portcullis".into(),
                    open: true,
                    locked: false,
                }],
            },
        ],
        ground: vec![
            on(500, "dagger", "test"),
            on(501, "excalibur", "test"),
            on(502, "dagger", "atlantis"),
        ],
        ..WorldSnapshot::default()
    };
    store
        .save(SaveBatch {
            leases: Vec::new(),
            characters: Vec::new(),
            guilds: Vec::new(),
            removed_guilds: Vec::new(),
            next_item_id: 1,
            reason: SaveReason::World,
            world: WorldSave {
                snapshot: Some(Box::new(snapshot)),
                ..WorldSave::default()
            },
        })
        .await
        .unwrap();
    let mut server = spawn_server(dir.path(), &db_url);
    // The start log is written before the listening line the spawn waited for.
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    for needle in [
        "doors of map \"atlantis\" skipped: no such map",
        "door \"portcullis\" of map \"test\" skipped",
        "ground item 501 (excalibur x1) skipped: no item template \"excalibur\"",
        "ground item 502 (dagger x1) skipped: no map \"atlantis\"",
    ] {
        assert!(
            log.lines()
                .any(|l| l.contains("WARN") && l.contains(needle)),
            "{needle} in:\n{log}"
        );
    }
    // The good record is back, and new item ids start above it.
    let mut c = Client::join(server.addr, "Gus").await;
    let item = c.saw_or_wait("the dagger", item_spawn).await;
    assert!(
        matches!(&item, ServerEvent::Spawn { x: 2, y: 1, .. }),
        "{item:?}"
    );
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}
