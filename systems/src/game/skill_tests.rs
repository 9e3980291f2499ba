//! Scenarios for skills, gathering and crafting, on one fixture with round numbers.
//!
//! The field (16 x 16, spawn (3, 3)) holds a copper `rock` at (4, 3), a `deep_rock` (mining 2)
//! at (2, 2), a `gem_rock` at (3, 2), a furnace at (3, 4) and a campfire at (12, 12). Every
//! skill's curve: 100 xp to level 2, then +50% a level (100, 150, 225), max level 4. A rock
//! round takes 10 ticks, gives 40 mining xp and 1 ore; a rock lasts 3 rounds and comes back
//! 50 ticks later. The `bar` recipe (furnace, smithing 1): 2 ore → 1 bar, 10 ticks, 30 xp.
//! Bags have 4 slots (test content); ore and bars stack to 10.

use emberkeep_components::combat::Dead;
use emberkeep_components::content::{ItemDef, ItemKind};
use emberkeep_components::items::{Equipment, Inventory};
use emberkeep_components::map::Tile;
use emberkeep_components::net::ConnId;
use emberkeep_components::protocol::{ClientMsg, EntityKind, ErrorCode, ServerEvent};
use emberkeep_components::skills::{
    ItemCount, NodeDef, NodeYield, PlacedObject, RecipeDef, SkillDef, SkillView, Skills,
    StationKind, Working,
};
use emberkeep_components::stats::Vitals;

use crate::rng::WorldRng;
use crate::scenario::{Scenario, error_codes, events, infos, open_map, test_content};

pub(super) fn placed(id: &str, x: i32, y: i32) -> PlacedObject {
    PlacedObject {
        name: String::new(),
        tile: Tile { x, y },
        id: id.into(),
    }
}

pub(super) fn rock(level: u32, yields: Vec<NodeYield>) -> NodeDef {
    NodeDef {
        name: "Rock".into(),
        skill: "mining".into(),
        level,
        tool: Some("pick".into()),
        ticks: 10,
        xp: 40,
        yields,
        gathers: 3,
        respawn_ticks: 50,
    }
}

pub(super) fn yields(item: &str, min: u32, max: u32, chance: f64) -> NodeYield {
    NodeYield {
        item: item.into(),
        min,
        max,
        chance,
    }
}

pub(super) fn field() -> Scenario {
    let mut c = test_content();
    for id in ["mining", "smithing"] {
        c.skills.insert(
            id.into(),
            SkillDef {
                name: id[..1].to_uppercase() + &id[1..],
                description: String::new(),
                max_level: 4,
                xp_base: 100,
                xp_growth_pct: 50,
            },
        );
    }
    let item = |name: &str, kind, max_stack| ItemDef {
        name: name.into(),
        kind,
        slot: (kind == ItemKind::Weapon)
            .then_some(emberkeep_components::content::EquipSlot::Weapon),
        modifiers: Default::default(),
        percent: Default::default(),
        max_stack,
        heal: 0,
        mana: 0,
        effect: None,
        description: String::new(),
    };
    c.items
        .insert("pick".into(), item("Pick", ItemKind::Weapon, 1));
    c.items
        .insert("ore".into(), item("Ore", ItemKind::Material, 10));
    c.items
        .insert("gem".into(), item("Gem", ItemKind::Material, 10));
    c.items
        .insert("bar".into(), item("Bar", ItemKind::Material, 10));
    c.nodes
        .insert("rock".into(), rock(1, vec![yields("ore", 1, 1, 1.0)]));
    c.nodes
        .insert("deep_rock".into(), rock(2, vec![yields("ore", 1, 1, 1.0)]));
    c.nodes.insert(
        "gem_rock".into(),
        rock(1, vec![yields("ore", 1, 3, 1.0), yields("gem", 1, 1, 0.5)]),
    );
    c.recipes.insert(
        "bar".into(),
        RecipeDef {
            name: "Bar".into(),
            station: StationKind::Furnace,
            skill: "smithing".into(),
            level: 1,
            xp: 30,
            ticks: 10,
            inputs: vec![ItemCount {
                item: "ore".into(),
                count: 2,
            }],
            outputs: vec![ItemCount {
                item: "bar".into(),
                count: 1,
            }],
        },
    );
    let mut smelt_gem = c.recipes["bar"].clone();
    smelt_gem.station = StationKind::Campfire;
    smelt_gem.level = 3;
    c.recipes.insert("gem_bar".into(), smelt_gem);
    let mut map = open_map(16, 16, Tile { x: 3, y: 3 });
    map.nodes = vec![
        placed("rock", 4, 3),
        placed("deep_rock", 2, 2),
        placed("gem_rock", 3, 2),
    ];
    map.stations = vec![placed("furnace", 3, 4), placed("campfire", 12, 12)];
    Scenario::with_content(map, c)
}

/// The entity id of the node or station on a tile.
pub(super) fn object(s: &Scenario, x: i32, y: i32) -> u64 {
    let e = crate::world::resources::object_at(&s.world, Tile { x, y }).expect("an object");
    s.world
        .get::<emberkeep_components::world::NetId>(e)
        .unwrap()
        .0
}

/// Joins Ann on (3, 3) carrying a pick.
pub(super) fn miner(s: &mut Scenario) -> ConnId {
    let (c, _) = s.join("Ann");
    assert_eq!(s.position(c), Tile { x: 3, y: 3 });
    s.grant(c, "pick", 1);
    s.tick();
    c
}

/// How many of `template` a player carries.
pub(super) fn count(s: &Scenario, c: ConnId, template: &str) -> u32 {
    s.get::<Inventory>(c)
        .items
        .iter()
        .filter(|i| i.template == template)
        .map(|i| i.count)
        .sum()
}

/// Sends a message and runs one tick; what `c` got.
pub(super) fn send(s: &mut Scenario, c: ConnId, msg: ClientMsg) -> Vec<ServerEvent> {
    s.send(c, msg);
    events(&s.tick(), c).to_vec()
}

pub(super) fn gather(s: &mut Scenario, c: ConnId, x: i32, y: i32) -> Vec<ServerEvent> {
    let node = object(s, x, y);
    send(s, c, ClientMsg::Gather { node })
}

pub(super) fn ends(ev: &[ServerEvent]) -> Vec<(bool, Option<String>)> {
    ev.iter()
        .filter_map(|e| match e {
            ServerEvent::GatherEnd { done, reason, .. } => Some((*done, reason.clone())),
            _ => None,
        })
        .collect()
}

pub(super) fn craft_ends(ev: &[ServerEvent]) -> Vec<(bool, u32, Option<String>)> {
    ev.iter()
        .filter_map(|e| match e {
            ServerEvent::CraftEnd {
                done, left, reason, ..
            } => Some((*done, *left, reason.clone())),
            _ => None,
        })
        .collect()
}

pub(super) fn moved() -> Option<String> {
    Some("moved".into())
}

#[test]
fn nodes_and_stations_are_entities_seen_with_their_kind() {
    let mut s = field();
    let conn = s.connect();
    let got = s.enter(conn, "Ann");
    let ev = events(&got, conn);
    let rock = ev.iter().find_map(|e| match e {
        ServerEvent::Spawn {
            kind: EntityKind::Node,
            x: 4,
            y: 3,
            node,
            depleted,
            ..
        } => Some((node.clone(), *depleted)),
        _ => None,
    });
    assert_eq!(rock, Some((Some("rock".into()), Some(false))));
    assert!(ev.iter().any(|e| matches!(
        e,
        ServerEvent::Spawn {
            kind: EntityKind::Station,
            x: 3,
            y: 4,
            station: Some(StationKind::Furnace),
            ..
        }
    )));
    let skills = ev.iter().find_map(|e| match e {
        ServerEvent::Skills { skills } => Some(skills.clone()),
        _ => None,
    });
    let mining = SkillView {
        id: "mining".into(),
        name: "Mining".into(),
        level: 1,
        xp: 0,
        xp_next: 100,
    };
    assert_eq!(skills.as_ref().map(|s| &s[0]), Some(&mining));
    assert_eq!(skills.map(|s| s.len()), Some(2));
    let again = send(&mut s, conn, ClientMsg::Skills);
    assert!(matches!(&again[..], [ServerEvent::Skills { skills }] if skills[0] == mining));
}

#[test]
fn a_round_takes_the_nodes_ticks_then_yields_and_grants_skill_xp() {
    let mut s = field();
    let c = miner(&mut s);
    let ev = gather(&mut s, c, 4, 3);
    let node = object(&s, 4, 3);
    assert_eq!(ev, vec![ServerEvent::GatherStart { node, ticks: 10 }]);
    let quiet = s.ticks(9);
    assert!(ends(events(&quiet, c)).is_empty());
    assert_eq!(count(&s, c, "ore"), 0);
    let got = events(&s.tick(), c).to_vec();
    assert_eq!(ends(&got), vec![(true, None)]);
    assert_eq!(count(&s, c, "ore"), 1);
    assert!(got.contains(&ServerEvent::Skill {
        id: "mining".into(),
        level: 1,
        xp: 40,
        xp_next: 100,
        gained: 40,
    }));
    // The next round starts at once.
    assert!(got.contains(&ServerEvent::GatherStart { node, ticks: 10 }));
    assert_eq!(
        s.get::<emberkeep_components::story::StoryState>(c)
            .counters
            .get("gathered:rock"),
        Some(&1)
    );
}

#[test]
fn skill_xp_follows_the_curve_and_a_level_up_is_told() {
    let mut s = field();
    let c = miner(&mut s);
    gather(&mut s, c, 4, 3);
    let got = s.ticks(30);
    let skill_events: Vec<&ServerEvent> = events(&got, c)
        .iter()
        .filter(|e| matches!(e, ServerEvent::Skill { .. }))
        .collect();
    let at = |level, xp, xp_next| ServerEvent::Skill {
        id: "mining".into(),
        level,
        xp,
        xp_next,
        gained: 40,
    };
    // 40, 80, then 120 = level 2 with 20 into its 150.
    assert_eq!(
        skill_events,
        vec![&at(1, 40, 100), &at(1, 80, 100), &at(2, 20, 150)]
    );
    assert!(infos(events(&got, c)).contains("Mining is now level 2"));
    assert_eq!(s.get::<Skills>(c).0.get("mining"), Some(&120));
}

#[test]
fn the_skill_level_and_the_tool_gate_a_node() {
    let mut s = field();
    let (c, _) = s.join("Ann");
    assert_eq!(
        error_codes(&gather(&mut s, c, 4, 3)),
        vec![ErrorCode::NoTool]
    );
    let pick = s.grant(c, "pick", 1);
    assert_eq!(
        error_codes(&gather(&mut s, c, 2, 2)),
        vec![ErrorCode::SkillTooLow]
    );
    // Wielded counts as held.
    send(&mut s, c, ClientMsg::Equip { item: pick });
    assert!(s.get::<Equipment>(c).0.values().any(|i| i.id == pick));
    let ev = gather(&mut s, c, 4, 3);
    assert!(
        matches!(&ev[..], [ServerEvent::GatherStart { .. }]),
        "{ev:?}"
    );
    // Far from a node, and an id that is no node.
    s.world
        .get_mut::<emberkeep_components::world::Position>(s.entity(c))
        .unwrap()
        .0 = Tile { x: 9, y: 9 };
    assert_eq!(
        error_codes(&gather(&mut s, c, 4, 3)),
        vec![ErrorCode::OutOfRange]
    );
    let ev = send(&mut s, c, ClientMsg::Gather { node: 9999 });
    assert_eq!(error_codes(&ev), vec![ErrorCode::UnknownTarget]);
    let ev = s.command(c, "gather");
    assert_eq!(error_codes(&ev), vec![ErrorCode::OutOfRange]);
}

#[test]
fn yields_are_rolled_with_the_world_rng() {
    let mut s = field();
    let c = miner(&mut s);
    let def = s
        .world
        .resource::<emberkeep_components::content::GameContent>()
        .nodes["gem_rock"]
        .clone();
    gather(&mut s, c, 3, 2);
    let (mut ore, mut gems) = (0, 0);
    for _ in 0..3 {
        s.ticks(9);
        // The round ends next tick: replay the same generator to know what it rolls.
        let mut replay = s.world.resource::<WorldRng>().clone();
        for (item, n) in crate::game::gathering::roll(&mut replay, &def) {
            match item.as_str() {
                "ore" => ore += n,
                _ => gems += n,
            }
        }
        s.tick();
        assert_eq!((count(&s, c, "ore"), count(&s, c, "gem")), (ore, gems));
    }
    assert!(
        (3..=9).contains(&ore) && gems <= 3,
        "{ore} ore, {gems} gems"
    );
}

#[test]
fn a_node_depletes_after_its_gathers_and_comes_back_after_its_respawn() {
    let mut s = field();
    let c = miner(&mut s);
    let (_bob, _) = s.join("Bob");
    let node = object(&s, 4, 3);
    gather(&mut s, c, 4, 3);
    let got = s.ticks(30);
    assert_eq!(count(&s, c, "ore"), 3);
    assert_eq!(
        ends(events(&got, c)),
        vec![
            (true, None),
            (true, None),
            (true, None),
            (false, Some("depleted".into()))
        ]
    );
    let depleted = ServerEvent::Node {
        id: node,
        depleted: true,
    };
    for conn in got.keys() {
        assert!(events(&got, *conn).contains(&depleted), "{conn:?}");
    }
    assert!(s.world.get::<Working>(s.entity(c)).is_none());
    assert_eq!(
        error_codes(&gather(&mut s, c, 4, 3)),
        vec![ErrorCode::Depleted]
    );
    // Depleted at tick T (the third round's end), refused at T + 1: back at T + 50, not before.
    let early = s.ticks(48);
    assert!(
        !events(&early, c)
            .iter()
            .any(|e| matches!(e, ServerEvent::Node { .. }))
    );
    let back = s.ticks(1);
    assert!(events(&back, c).contains(&ServerEvent::Node {
        id: node,
        depleted: false
    }));
    let ev = gather(&mut s, c, 4, 3);
    assert!(
        matches!(&ev[..], [ServerEvent::GatherStart { .. }]),
        "{ev:?}"
    );
}

#[test]
fn moving_dying_or_interrupting_stops_the_work_without_a_yield() {
    let mut s = field();
    let c = miner(&mut s);
    gather(&mut s, c, 4, 3);
    s.ticks(5);
    s.step(c, 3, 4);
    let got = events(&s.tick(), c).to_vec();
    assert_eq!(ends(&got), vec![(false, moved())]);
    s.ticks(10);
    assert_eq!(count(&s, c, "ore"), 0);

    // The `interrupt` message stops the work; a second one finds nothing to stop.
    gather(&mut s, c, 4, 3);
    let e = s.entity(c);
    s.send(c, ClientMsg::Interrupt);
    let got = events(&s.tick(), c).to_vec();
    assert_eq!(ends(&got), vec![(false, Some("interrupted".into()))]);
    assert!(s.world.get::<Working>(e).is_none());
    s.send(c, ClientMsg::Interrupt);
    let got = events(&s.tick(), c).to_vec();
    assert!(ends(&got).is_empty(), "{got:?}");
    assert!(infos(&got).contains("nothing to stop"), "{got:?}");

    gather(&mut s, c, 4, 3);
    let ev = s.command(c, "stop");
    assert_eq!(ends(&ev), vec![(false, Some("interrupted".into()))]);

    gather(&mut s, c, 4, 3);
    s.world.entity_mut(e).insert(Dead {
        respawn_at: u64::MAX,
    });
    let got = events(&s.tick(), c).to_vec();
    assert_eq!(ends(&got), vec![(false, Some("died".into()))]);
    assert_eq!(count(&s, c, "ore"), 0);
}

#[test]
fn starting_another_job_interrupts_the_first() {
    let mut s = field();
    let c = miner(&mut s);
    s.grant(c, "ore", 2);
    gather(&mut s, c, 4, 3);
    let ev = send(
        &mut s,
        c,
        ClientMsg::Craft {
            recipe: "bar".into(),
            count: None,
        },
    );
    assert_eq!(ends(&ev), vec![(false, Some("interrupted".into()))]);
    assert!(ev.contains(&ServerEvent::CraftStart {
        recipe: "bar".into(),
        ticks: 10,
        left: 1
    }));
}

#[test]
fn a_full_bag_refuses_gathering_and_ends_it() {
    let mut s = field();
    let c = miner(&mut s);
    for item in ["sword", "helm", "potion"] {
        s.grant(c, item, 1);
    }
    assert_eq!(
        error_codes(&gather(&mut s, c, 4, 3)),
        vec![ErrorCode::InventoryFull]
    );
    // Room for a stack of ore, which fills up mid-work.
    s.world
        .get_mut::<Inventory>(s.entity(c))
        .unwrap()
        .items
        .pop();
    s.grant(c, "ore", 9);
    gather(&mut s, c, 4, 3);
    let got = s.ticks(10);
    assert_eq!(count(&s, c, "ore"), 10);
    assert_eq!(
        ends(events(&got, c)),
        vec![(true, None), (false, Some("inventory_full".into()))]
    );
}

/// A cast or an attack breaks off gathering, each saying `interrupted`.
#[test]
fn casting_or_attacking_breaks_off_gathering() {
    let mut s = field();
    let c = miner(&mut s);
    // (A rat that outlives a power strike.)
    let (rat_e, rat) = s.spawn_mob("rat", Tile { x: 2, y: 3 });
    let mut v = s.world.get_mut::<Vitals>(rat_e).unwrap();
    (v.hp, v.max_hp) = (1000, 1000);
    gather(&mut s, c, 4, 3);
    let ev = send(
        &mut s,
        c,
        ClientMsg::Cast {
            ability: "power_strike".into(),
            target: Some(rat),
            x: None,
            y: None,
        },
    );
    assert_eq!(ends(&ev), vec![(false, Some("interrupted".into()))]);
    assert!(s.world.get::<Working>(s.entity(c)).is_none());
    gather(&mut s, c, 4, 3);
    let ev = send(&mut s, c, ClientMsg::Attack { target: rat });
    assert_eq!(
        ends(&ev),
        vec![(false, Some("interrupted".into()))],
        "{ev:?}"
    );
    s.ticks(10);
    assert_eq!(count(&s, c, "ore"), 0);
}
