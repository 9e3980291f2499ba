//! Scenarios for the atlas: warps between maps, zone events and crossings, doors and levers.
//! One fixture: an open 16 x 16 `field` (spawn (3, 3)) and an 8 x 6 `crypt` beside it.

use emberkeep_components::atlas::Maps;
use emberkeep_components::config::SimConfig;
use emberkeep_components::map::{DoorDef, DoorState, Lever, Tile, TileMap, Warp, Zone};
use emberkeep_components::protocol::{ClientMsg, ErrorCode, ServerEvent};
use emberkeep_components::story::{StoryEvent, StoryEvents};
use emberkeep_components::world::Position;

use crate::scenario::{Scenario, despawned, error_codes, events, infos, open_map, spawned};

/// Region size 4: the crypt starts at x = 16 + 2 * 4 = 24.
const CRYPT_X: i32 = 24;

fn fixture() -> Scenario {
    let mut field = open_map(16, 16, Tile { x: 3, y: 3 });
    field.name = "field".into();
    field.warps.push(Warp {
        name: "stairs".into(),
        min: Tile { x: 5, y: 3 },
        max: Tile { x: 5, y: 3 },
        to_map: "crypt".into(),
        to: Tile { x: 1, y: 1 },
    });
    field.zones.push(Zone {
        name: "Old Town".into(),
        min: Tile { x: 3, y: 4 },
        max: Tile { x: 6, y: 6 },
        safe: true,
        music: Some("town".into()),
        min_level: Some(1),
        ..Default::default()
    });
    let mut crypt = open_map(8, 6, Tile { x: 1, y: 1 });
    crypt.name = "crypt".into();
    crypt.warps.push(Warp {
        name: "up".into(),
        min: Tile { x: 0, y: 0 },
        max: Tile { x: 0, y: 0 },
        to_map: "field".into(),
        to: Tile { x: 4, y: 3 },
    });
    crypt.doors.push(DoorDef {
        name: "gate".into(),
        min: Tile { x: 3, y: 1 },
        max: Tile { x: 3, y: 2 },
        state: DoorState::Locked,
        key: Some("potion".into()),
    });
    crypt.levers.push(Lever {
        name: "lever".into(),
        tile: Tile { x: 1, y: 3 },
        door: "gate".into(),
    });
    Scenario::with_maps(
        vec![field, crypt],
        SimConfig {
            region_size: 4,
            ..SimConfig::default()
        },
    )
}

fn crypt(x: i32, y: i32) -> Tile {
    Tile { x: CRYPT_X + x, y }
}

fn map_events(ev: &[ServerEvent]) -> Vec<(String, i32, i32, i32)> {
    ev.iter()
        .filter_map(|e| match e {
            ServerEvent::Map { map, x, y } => Some((map.name.clone(), map.origin.x, *x, *y)),
            _ => None,
        })
        .collect()
}

#[test]
fn the_atlas_places_the_crypt_two_regions_beside_the_field() {
    let s = fixture();
    let maps = s.world.resource::<Maps>();
    assert_eq!(maps.get(1).unwrap().origin, Tile { x: CRYPT_X, y: 0 });
    let map = s.world.resource::<TileMap>();
    assert!((16..CRYPT_X).all(|x| !map.is_walkable(Tile { x, y: 3 })));
    assert!(!map.is_walkable(crypt(3, 1)), "the locked gate blocks");
}

#[test]
fn a_warp_moves_the_player_to_the_other_map_and_viewers_see_it_go_and_come() {
    let mut s = fixture();
    let (ann, ann_id) = s.join("Ann");
    let (bob, bob_id) = s.join("Bob");
    s.tick();
    // Cid waits in the crypt.
    let (cid, cid_id) = s.join("Cid");
    let e = s.entity(cid);
    crate::world::warps::warp_to(&mut s.world, e, "crypt", Tile { x: 2, y: 4 }).unwrap();
    let got = s.tick();
    assert_eq!(
        map_events(events(&got, cid)),
        vec![("crypt".into(), CRYPT_X, CRYPT_X + 2, 4)]
    );
    assert!(despawned(events(&got, ann)).contains(&cid_id));

    s.step(ann, 4, 3);
    s.tick();
    s.step(ann, 5, 3); // the stairs
    let got = s.tick();
    assert_eq!(s.position(ann), crypt(1, 1));
    let ev = events(&got, ann);
    assert_eq!(
        map_events(ev),
        vec![("crypt".into(), CRYPT_X, CRYPT_X + 1, 1)]
    );
    let map_at = ev.iter().position(|e| matches!(e, ServerEvent::Map { .. }));
    let cid_at = ev
        .iter()
        .position(|e| matches!(e, ServerEvent::Spawn { id, .. } if *id == cid_id));
    assert!(map_at < cid_at, "map before the new view's spawns: {ev:?}");
    assert!(despawned(events(&got, bob)).contains(&ann_id));
    assert!(spawned(events(&got, cid)).contains(&ann_id));

    // And back up: on the field beside the stairs.
    s.step(ann, CRYPT_X, 1);
    s.tick();
    s.step(ann, CRYPT_X, 0);
    let got = s.tick();
    assert_eq!(s.position(ann), Tile { x: 4, y: 3 });
    assert_eq!(
        map_events(events(&got, ann)),
        vec![("field".into(), 0, 4, 3)]
    );
    assert!(spawned(events(&got, bob)).contains(&ann_id));
    assert!(despawned(events(&got, cid)).contains(&ann_id));
    let _ = bob_id;
}

#[test]
fn mobs_never_take_warps() {
    let mut s = fixture();
    let (mob, _) = s.spawn_mob("rat", Tile { x: 5, y: 2 });
    s.world.get_mut::<Position>(mob).unwrap().0 = Tile { x: 5, y: 3 };
    s.tick();
    assert_eq!(s.world.get::<Position>(mob).unwrap().0, Tile { x: 5, y: 3 });
}

#[test]
fn entering_and_leaving_a_zone_is_told_and_published_as_crossings() {
    let mut s = fixture();
    let (ann, _) = s.join("Ann");
    s.step(ann, 3, 4);
    let got = s.tick();
    let zone = |ev: &[ServerEvent]| {
        ev.iter()
            .filter_map(|e| match e {
                ServerEvent::Zone(z) => Some(z.clone()),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let z = zone(events(&got, ann));
    assert_eq!(z.len(), 1, "{z:?}");
    assert_eq!(z[0].name.as_deref(), Some("Old Town"));
    assert!(z[0].safe && !z[0].pvp);
    assert_eq!(
        (z[0].music.as_deref(), z[0].min_level, z[0].max_level),
        (Some("town"), Some(1), None)
    );
    let e = s.entity(ann);
    assert_eq!(
        s.world.resource::<StoryEvents>().0,
        vec![StoryEvent::Zone {
            player: e,
            map: "field".into(),
            zone: "Old Town".into(),
            entered: true
        }]
    );
    s.step(ann, 3, 5); // still inside: nothing
    let got = s.tick();
    assert!(zone(events(&got, ann)).is_empty());
    assert!(
        s.world.resource::<StoryEvents>().0.is_empty(),
        "cleared each tick"
    );
    for y in [4, 3] {
        s.step(ann, 3, y);
        s.tick();
    }
    assert!(matches!(
        s.world.resource::<StoryEvents>().0[..],
        [StoryEvent::Zone { entered: false, .. }]
    ));
}

#[test]
fn a_locked_door_blocks_until_bumped_with_its_key() {
    let mut s = fixture();
    let (ann, _) = s.join("Ann");
    let e = s.entity(ann);
    crate::world::warps::warp_to(&mut s.world, e, "crypt", Tile { x: 2, y: 1 }).unwrap();
    s.tick();
    s.step(ann, CRYPT_X + 3, 1);
    let got = s.tick();
    let codes = error_codes(events(&got, ann));
    assert!(
        codes.contains(&ErrorCode::MoveBlocked) && codes.contains(&ErrorCode::DoorLocked),
        "{codes:?}"
    );
    assert_eq!(s.position(ann), crypt(2, 1));

    s.grant(ann, "potion", 1);
    s.step(ann, CRYPT_X + 3, 1); // the bump opens it, the step itself is refused
    s.tick();
    assert!(s.world.resource::<TileMap>().is_walkable(crypt(3, 1)));
    s.step(ann, CRYPT_X + 3, 1);
    let got = s.tick();
    assert!(error_codes(events(&got, ann)).is_empty());
    assert_eq!(s.position(ann), crypt(3, 1));
    // It does not shut on her.
    let err = crate::world::doors::set_door(&mut s.world, "crypt", "gate", false).unwrap_err();
    assert_eq!(
        err.key,
        emberkeep_components::text::keys::WORLD_DOOR_BLOCKED
    );
}

#[test]
fn a_lever_next_to_the_player_toggles_its_door_and_viewers_are_told() {
    let mut s = fixture();
    let (ann, _) = s.join("Ann");
    let (bob, _) = s.join("Bob");
    for (c, at) in [(ann, Tile { x: 1, y: 2 }), (bob, Tile { x: 2, y: 1 })] {
        let e = s.entity(c);
        crate::world::warps::warp_to(&mut s.world, e, "crypt", at).unwrap();
    }
    let got = s.tick();
    let gate = events(&got, bob)
        .iter()
        .find_map(|e| match e {
            ServerEvent::Spawn {
                id,
                open: Some(false),
                width: Some(1),
                height: Some(2),
                ..
            } => Some(*id),
            _ => None,
        })
        .expect("the gate spawns, shut");
    // Too far: from (1, 2) the lever at (1, 3) is near, but (5, 5) is not.
    s.send(
        ann,
        ClientMsg::Interact {
            x: CRYPT_X + 5,
            y: 5,
        },
    );
    let got = s.tick();
    assert_eq!(error_codes(events(&got, ann)), vec![ErrorCode::OutOfRange]);
    s.send(
        ann,
        ClientMsg::Interact {
            x: CRYPT_X + 1,
            y: 3,
        },
    );
    let got = s.tick();
    assert!(events(&got, bob).contains(&ServerEvent::Door {
        id: gate,
        open: true
    }));
    assert!(s.world.resource::<TileMap>().is_walkable(crypt(3, 2)));
    s.send(
        ann,
        ClientMsg::Interact {
            x: CRYPT_X + 1,
            y: 3,
        },
    );
    let got = s.tick();
    assert!(events(&got, bob).contains(&ServerEvent::Door {
        id: gate,
        open: false
    }));
    assert!(!s.world.resource::<TileMap>().is_walkable(crypt(3, 2)));
}

#[test]
fn a_character_saved_in_the_crypt_is_stored_in_crypt_tiles_and_comes_back_there() {
    let mut s = fixture();
    let (ann, _) = crate::session::tests::account_player(&mut s, "Ann");
    let e = s.entity(ann);
    crate::world::warps::warp_to(&mut s.world, e, "crypt", Tile { x: 2, y: 4 }).unwrap();
    s.tick();
    let mut record = crate::session::saves::snapshot(&s.world, e).unwrap();
    assert_eq!(
        (record.map.as_deref(), record.x, record.y),
        (Some("crypt"), 2, 4)
    );
    record.name = "Ann2".into();
    let c = s.connect();
    s.tick();
    let e2 = s.entity(c);
    crate::session::enter::enter_world(&mut s.world, e2, record.clone(), false);
    assert_eq!(s.world.get::<Position>(e2).unwrap().0, crypt(2, 4));
    // A map that is gone: the start map's spawn.
    record.name = "Ann3".into();
    record.map = Some("gone".into());
    let c = s.connect();
    s.tick();
    let e3 = s.entity(c);
    crate::session::enter::enter_world(&mut s.world, e3, record, false);
    assert_eq!(s.world.get::<Position>(e3).unwrap().0, Tile { x: 3, y: 3 });
}

/// Triggers bound to map objects: working the lever (which moves the gate) and trying the
/// locked gate without its key (which does not) both fire the object's `interact` trigger.
#[test]
fn working_a_lever_or_a_locked_door_fires_its_interact_trigger() {
    use std::sync::Arc;

    use emberkeep_components::content::GameContent;
    use emberkeep_components::story_content::StoryContent;

    let mut s = fixture();
    let mut content = (*s.world.resource::<GameContent>().0).clone();
    content.story = StoryContent::new(
        toml::from_str(
            r#"
            [pull]
            on = { kind = "interact", map = "crypt", object = "lever" }
            actions = [{ do = "message", text = "The chains rattle." }]
            [rattle]
            on = { kind = "interact", map = "crypt", object = "gate" }
            conditions = [{ if = "lacks_item", item = "potion" }]
            actions = [{ do = "message", text = "Locked. The Warden has the key." }]
            [elsewhere]
            on = { kind = "interact", map = "field", object = "lever" }
            actions = [{ do = "message", text = "Wrong map." }]
            "#,
        )
        .unwrap(),
        Default::default(),
        Default::default(),
    );
    s.world.insert_resource(GameContent(Arc::new(content)));
    let (ann, _) = s.join("Ann");
    let e = s.entity(ann);
    crate::world::warps::warp_to(&mut s.world, e, "crypt", Tile { x: 2, y: 2 }).unwrap();
    s.tick();
    s.send(
        ann,
        ClientMsg::Interact {
            x: CRYPT_X + 3,
            y: 2,
        },
    );
    let got = s.tick();
    assert_eq!(error_codes(events(&got, ann)), vec![ErrorCode::DoorLocked]);
    assert_eq!(infos(events(&got, ann)), "Locked. The Warden has the key.");
    s.send(
        ann,
        ClientMsg::Interact {
            x: CRYPT_X + 1,
            y: 3,
        },
    );
    let got = s.tick();
    assert_eq!(infos(events(&got, ann)), "The chains rattle.");
    assert!(
        events(&got, ann)
            .iter()
            .any(|ev| matches!(ev, ServerEvent::Door { open: true, .. })),
        "the lever still moves the gate"
    );
}
