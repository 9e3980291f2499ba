//! The world snapshot: what a save batch carries of the ground, and a snapshot restored into
//! a fresh world. One fixture: an open 16 x 16 `field` (spawn (3, 3)) with a shut `gate` at
//! (8, 3)–(8, 4).

use emberkeep_components::atlas::{Door, Maps};
use emberkeep_components::config::SimConfig;
use emberkeep_components::content::GameContent;
use emberkeep_components::items::{GroundItem, ItemIds};
use emberkeep_components::map::{DoorDef, DoorState, Tile};
use emberkeep_components::persist::{
    GroundRecord, ItemRecord, MapRecord, SaveBatch, SaveReason, StorageOut, StorageRequest,
    WorldSnapshot,
};
use emberkeep_components::protocol::ClientMsg;
use emberkeep_components::story::WorldFlags;
use emberkeep_components::world::{NetId, Position, Tick};

use crate::scenario::{Scenario, events, open_map, spawned};
use crate::session::tests::account_player;

fn fixture() -> Scenario {
    let mut field = open_map(16, 16, Tile { x: 3, y: 3 });
    field.name = "field".into();
    field.doors.push(DoorDef {
        name: "gate".into(),
        min: Tile { x: 8, y: 3 },
        max: Tile { x: 8, y: 4 },
        state: DoorState::Locked,
        key: None,
    });
    let mut s = Scenario::with_maps(vec![field], SimConfig::default());
    // Items on the ground last longer than the snapshot interval here.
    let mut content = (*s.world.resource::<GameContent>().0).clone();
    content.rules.loot.despawn_ticks = 1000;
    content.rules.loot.owner_ticks = 100;
    s.world
        .insert_resource(GameContent(std::sync::Arc::new(content)));
    s
}

/// The save batches the world queued since the last call.
fn batches(s: &mut Scenario) -> Vec<SaveBatch> {
    std::mem::take(&mut s.world.resource_mut::<StorageOut>().0)
        .into_iter()
        .filter_map(|r| match r {
            StorageRequest::Save(b) => Some(b),
            _ => None,
        })
        .collect()
}

fn ground(s: &mut Scenario) -> Vec<(u64, String, Tile, Option<Box<str>>)> {
    let mut q = s.world.query::<(&GroundItem, &Position)>();
    let mut all: Vec<_> = (q.iter(&s.world))
        .map(|(g, p)| (g.item.id, g.item.template.clone(), p.0, g.owner.clone()))
        .collect();
    all.sort_by_key(|g| g.0);
    all
}

fn gate(s: &mut Scenario) -> Door {
    let mut q = s.world.query::<&Door>();
    *q.single(&s.world).unwrap()
}

/// A drop saves the character without the item and the item on the ground in ONE batch; a
/// pickup saves the character with it and the item gone from the ground in one batch.
#[test]
fn a_drop_and_a_pickup_go_with_the_character_in_one_batch() {
    let mut s = fixture();
    let (ann, _) = account_player(&mut s, "Ann");
    let sword = s.grant(ann, "sword", 1);
    s.tick();
    batches(&mut s);
    s.send(
        ann,
        ClientMsg::Drop {
            item: sword,
            count: None,
        },
    );
    s.tick();
    let got = batches(&mut s);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].reason, SaveReason::Transfer);
    assert_eq!(got[0].characters[0].name, "Ann");
    assert!(got[0].characters[0].inventory.iter().all(|i| i.id != sword));
    let put: Vec<u64> = got[0].world.ground_put.iter().map(|g| g.item.id).collect();
    assert_eq!(put, vec![sword]);
    assert_eq!(got[0].world.ground_put[0].map, "field");
    let id = {
        let mut q = s.world.query::<(&NetId, &GroundItem)>();
        q.single(&s.world).unwrap().0.0
    };
    s.send(ann, ClientMsg::Pickup { item: id });
    s.tick();
    let got = batches(&mut s);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].characters[0].inventory.iter().any(|i| i.id == sword));
    assert_eq!(got[0].world.ground_taken, vec![sword]);
    assert!(got[0].world.ground_put.is_empty());
}

/// A guest is never saved, but what it drops or picks up still reaches the store's ground.
#[test]
fn a_guests_drop_is_saved_as_a_ground_change_alone() {
    let mut s = fixture();
    let (guest, _) = s.join("Guest");
    let potion = s.grant(guest, "potion", 2);
    s.tick();
    batches(&mut s);
    s.send(
        guest,
        ClientMsg::Drop {
            item: potion,
            count: Some(1),
        },
    );
    s.tick();
    let got = batches(&mut s);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].characters.is_empty());
    assert_eq!(got[0].world.ground_put.len(), 1);
    assert!(got[0].next_item_id > got[0].world.ground_put[0].item.id);
}

/// Every `snapshot_interval_ticks` the batch carries the whole world; restored into a fresh
/// world it brings back the tick, flags, the door and the ground item with its owner.
#[test]
fn a_snapshot_restored_into_a_fresh_world_brings_everything_back() {
    let mut s = fixture();
    let (ann, _) = account_player(&mut s, "Ann");
    let sword = s.grant(ann, "sword", 1);
    crate::world::doors::set_door(&mut s.world, "field", "gate", true).unwrap();
    s.world.resource_mut::<WorldFlags>().0.insert("raid".into());
    s.send(
        ann,
        ClientMsg::Drop {
            item: sword,
            count: None,
        },
    );
    let every = s.world.resource::<SimConfig>().snapshot_interval_ticks;
    while s.world.resource::<Tick>().0 % every != every - 1 {
        s.tick();
    }
    batches(&mut s);
    s.tick();
    let got = batches(&mut s);
    let snap = got
        .iter()
        .find_map(|b| b.world.snapshot.clone())
        .expect("a snapshot on the interval");
    assert_eq!(snap.world.tick, every);
    assert_eq!(snap.ground.len(), 1);

    let mut fresh = fixture();
    assert!(!gate(&mut fresh).open);
    let skipped = crate::snapshot::restore(&mut fresh.world, *snap);
    assert!(skipped.is_empty(), "{skipped:?}");
    assert_eq!(fresh.world.resource::<Tick>().0, every);
    assert!(fresh.world.resource::<WorldFlags>().0.contains("raid"));
    let door = gate(&mut fresh);
    assert!(door.open && door.locked, "{door:?}");
    let map = fresh.world.resource::<emberkeep_components::map::TileMap>();
    assert!(
        map.is_walkable(Tile { x: 8, y: 3 }),
        "the open gate frees its tiles"
    );
    assert_eq!(
        ground(&mut fresh),
        vec![(sword, "sword".into(), Tile { x: 3, y: 3 }, None)]
    );
    assert!(fresh.world.resource::<ItemIds>().peek() > sword);
    // It is in the world: a player entering sees it.
    let id = {
        let mut q = fresh.world.query::<(&NetId, &GroundItem)>();
        q.single(&fresh.world).unwrap().0.0
    };
    let bob = fresh.connect();
    let got = fresh.enter(bob, "Bob");
    assert!(spawned(events(&got, bob)).contains(&id));
}

/// A record for a map, door or item template the content no longer has is skipped, with a
/// line naming the record and why; the rest is restored.
#[test]
fn records_naming_what_is_gone_are_skipped_with_a_reason() {
    let mut s = fixture();
    let item = |id: u64, template: &str, map: &str| GroundRecord {
        item: ItemRecord {
            id,
            template: template.into(),
            count: 1,
        },
        map: map.into(),
        x: 2,
        y: 2,
        owner: Some("ann".into()),
        owner_until: 10_000_000,
        despawn_at: 10_000_000,
    };
    let mut snap = WorldSnapshot {
        maps: vec![
            MapRecord {
                map: "sunken_city".into(),
                doors: Vec::new(),
            },
            MapRecord {
                map: "field".into(),
                doors: vec![emberkeep_components::persist::DoorRecord {
                    name: "portcullis".into(),
                    open: true,
                    locked: false,
                }],
            },
        ],
        ground: vec![
            item(5, "sword", "field"),
            item(6, "excalibur", "field"),
            item(7, "sword", "sunken_city"),
        ],
        ..WorldSnapshot::default()
    };
    snap.world.tick = 40;
    snap.world.trigger_cooldowns.insert("old_bells".into(), 90);
    let skipped = crate::snapshot::restore(&mut s.world, snap).join("\n");
    for needle in [
        "doors of map \"sunken_city\" skipped",
        "door \"portcullis\" of map \"field\" skipped",
        "ground item 6 (excalibur x1) skipped: no item template \"excalibur\"",
        "ground item 7 (sword x1) skipped: no map \"sunken_city\"",
        "cooldown of trigger \"old_bells\" skipped: no such trigger",
    ] {
        assert!(skipped.contains(needle), "{needle} in:\n{skipped}");
    }
    // The good one is back, its ownership and time no longer than a fresh drop's.
    let rules = s.world.resource::<GameContent>().rules.loot.clone();
    let mut q = s.world.query::<&GroundItem>();
    let g = q.single(&s.world).unwrap().clone();
    assert_eq!((g.item.id, g.owner.as_deref()), (5, Some("ann")));
    assert_eq!(g.owner_until, 40 + u64::from(rules.owner_ticks));
    assert_eq!(g.despawn_at, 40 + u64::from(rules.despawn_ticks));
    assert_eq!(s.world.resource::<Maps>().all().len(), 1);
}

/// World-wide trigger cooldowns (a timer's) still running are in the snapshot; spent ones
/// are not.
#[test]
fn running_world_wide_trigger_cooldowns_are_snapshotted() {
    use crate::story::triggers::TriggerCooldowns;
    let mut s = fixture();
    s.world.resource_mut::<Tick>().0 = 100;
    let mut cooldowns = s.world.resource_mut::<TriggerCooldowns>();
    cooldowns.restore("bells".into(), 150);
    cooldowns.restore("spent".into(), 100);
    let snap = crate::snapshot::take(&mut s.world);
    assert_eq!(snap.world.tick, 100);
    assert_eq!(
        snap.world.trigger_cooldowns.into_iter().collect::<Vec<_>>(),
        vec![("bells".to_string(), 150)]
    );
}
