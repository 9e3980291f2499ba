//! Scenarios for fights: attacks, cooldowns, hits and misses, deaths, loot, experience and
//! respawns, on a small open map.

use emberkeep_components::config::SimConfig;
use emberkeep_components::items::{GroundItem, Inventory};
use emberkeep_components::map::Tile;
use emberkeep_components::protocol::{ClientMsg, ErrorCode, ServerEvent, StatUpdate};
use emberkeep_components::stats::{Derived, Experience, Level, Vitals};
use emberkeep_components::world::Position;

use crate::scenario::{Scenario, error_codes as errors, events, open_map};

fn field() -> Scenario {
    Scenario::new(open_map(16, 16, Tile { x: 3, y: 1 }), SimConfig::default())
}

/// The id of the first item that appeared on the ground in these events.
fn first_loot(ev: &[ServerEvent]) -> u64 {
    ev.iter()
        .find_map(|e| match e {
            ServerEvent::Spawn {
                id, item: Some(_), ..
            } => Some(*id),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no loot in {ev:?}"))
}

/// Ann kills a rat next to her: 10 damage a hit against 20 hp.
fn kill_rat(
    s: &mut Scenario,
    ann: emberkeep_components::net::ConnId,
    at: Tile,
) -> (u64, Vec<ServerEvent>) {
    let (_, rat) = s.spawn_mob("rat", at);
    s.send(ann, ClientMsg::Attack { target: rat });
    let got = s.ticks(12);
    (rat, events(&got, ann).to_vec())
}

#[test]
fn killing_a_rat_takes_two_hits_gives_its_xp_and_drops_owned_loot() {
    let mut s = field();
    let (ann, ann_id) = s.join("Ann");
    let (rat, ev) = kill_rat(&mut s, ann, Tile { x: 4, y: 1 });
    let hits: Vec<(i32, i32)> = ev
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Hit {
                attacker,
                target,
                damage,
                hp,
                ..
            } if *attacker == ann_id && *target == rat => Some((*damage, *hp)),
            _ => None,
        })
        .collect();
    assert_eq!(hits, vec![(10, 10), (10, 0)]);
    assert!(
        ev.contains(&ServerEvent::Death {
            id: rat,
            killer: Some(ann_id)
        }),
        "{ev:?}"
    );
    assert!(ev.contains(&ServerEvent::XpGain {
        amount: 60,
        xp: 60,
        xp_next: 100,
        level: 1
    }));
    assert!(ev.contains(&ServerEvent::Despawn { id: rat }));
    let loot = ev.iter().find_map(|e| match e {
        ServerEvent::Spawn {
            id,
            item: Some(item),
            x: 4,
            y: 1,
            ..
        } if item == "tail" => Some(*id),
        _ => None,
    });
    assert!(loot.is_some(), "the rat's tails lie where it died: {ev:?}");
    assert_eq!(s.get::<Experience>(ann).0, 60);
}

/// Issue 13, defect 8: a hostile mob next to a safe zone could be hit from inside it and
/// never hit back. Decided: a safe zone is safe both ways; no one fights from or into it.
#[test]
fn nobody_fights_from_a_safe_zone() {
    let mut map = open_map(16, 16, Tile { x: 3, y: 1 });
    map.zones.push(emberkeep_components::map::Zone {
        name: "Town".into(),
        min: Tile { x: 0, y: 0 },
        max: Tile { x: 3, y: 15 },
        safe: true,
        ..Default::default()
    });
    let mut s = Scenario::new(map, SimConfig::default());
    let (ann, ann_id) = s.join("Ann");
    let (_, rat) = s.spawn_mob("rat", Tile { x: 4, y: 1 });
    s.send(ann, ClientMsg::Attack { target: rat });
    let got = s.tick();
    assert_eq!(errors(events(&got, ann)), vec![ErrorCode::NotAttackable]);
    // Out of the zone she may attack; stepping back in ends the fight.
    s.step(ann, 4, 2);
    s.tick();
    s.send(ann, ClientMsg::Attack { target: rat });
    s.step(ann, 3, 2);
    let ev: Vec<ServerEvent> = (0..10)
        .flat_map(|_| events(&s.tick(), ann).to_vec())
        .collect();
    let hits_by_ann = ev
        .iter()
        .filter(|e| matches!(e, ServerEvent::Hit { attacker, .. } if *attacker == ann_id))
        .count();
    assert!(
        hits_by_ann <= 1,
        "at most the swing before the step: {ev:?}"
    );
    assert_eq!(s.position(ann), Tile { x: 3, y: 2 });
}

/// Regression (issue 13, defect 6): the despawn of a killed mob reached its killer
/// before its `death`, so the client never showed the kill.
#[test]
fn death_arrives_before_the_despawn() {
    let mut s = field();
    let (ann, _) = s.join("Ann");
    let (rat, ev) = kill_rat(&mut s, ann, Tile { x: 4, y: 1 });
    let at = |wanted: &dyn Fn(&ServerEvent) -> bool| ev.iter().position(wanted);
    let death = at(&|e| matches!(e, ServerEvent::Death { id, .. } if *id == rat));
    let despawn = at(&|e| matches!(e, ServerEvent::Despawn { id } if *id == rat));
    assert!(
        matches!((death, despawn), (Some(d), Some(g)) if d < g),
        "death at {death:?}, despawn at {despawn:?}: {ev:?}"
    );
}

#[test]
fn a_mob_keeps_its_spawn_numbers_across_a_reload_and_respawns_with_the_new_ones() {
    use emberkeep_components::content::GameContent;
    use std::sync::Arc;
    let mut s = field();
    let (ann, _) = s.join("Ann");
    let (_, old_rat) = s.spawn_mob("rat", Tile { x: 4, y: 1 });
    // A reload makes rats worth 6 xp.
    let mut content = (*s.world.resource::<GameContent>().0).clone();
    Arc::make_mut(content.mobs.get_mut("rat").unwrap()).xp = 6;
    s.world.insert_resource(GameContent(Arc::new(content)));
    let xp = |ev: &[ServerEvent]| {
        ev.iter()
            .find_map(|e| match e {
                ServerEvent::XpGain { amount, .. } => Some(*amount),
                _ => None,
            })
            .expect("xp gained")
    };
    s.send(ann, ClientMsg::Attack { target: old_rat });
    let got = s.ticks(12);
    assert_eq!(xp(events(&got, ann)), 60, "spawned before the reload");
    let (_, ev) = kill_rat(&mut s, ann, Tile { x: 4, y: 2 });
    assert_eq!(xp(&ev), 6, "spawned after it");
}

#[test]
fn loot_is_its_killers_until_the_ownership_window_ends() {
    let mut s = field();
    let (ann, _) = s.join("Ann");
    let (bob, _) = s.join("Bob");
    s.step(bob, 4, 2); // next to where the rat will die
    let (_, ev) = kill_rat(&mut s, ann, Tile { x: 4, y: 1 });
    let loot = first_loot(&ev);
    s.send(bob, ClientMsg::Pickup { item: loot });
    assert_eq!(errors(events(&s.tick(), bob)), vec![ErrorCode::NotYours]);
    // owner_ticks = 20 from the death; run past it.
    s.ticks(20);
    s.send(bob, ClientMsg::Pickup { item: loot });
    let got = s.tick();
    assert!(
        errors(events(&got, bob)).is_empty(),
        "{:?}",
        events(&got, bob)
    );
    let inv = s.get::<Inventory>(bob);
    assert_eq!(inv.items.len(), 1);
    assert_eq!(
        (inv.items[0].template.as_str(), inv.items[0].count),
        ("tail", 2)
    );
    let mut q = s.world.query::<&GroundItem>();
    assert_eq!(
        q.iter(&s.world).count(),
        0,
        "picked up means gone from the ground"
    );
}

#[test]
fn the_owner_may_pick_up_at_once_and_others_see_it_vanish() {
    let mut s = field();
    let (ann, _) = s.join("Ann");
    let (bob, _) = s.join("Bob");
    let (_, ev) = kill_rat(&mut s, ann, Tile { x: 4, y: 1 });
    let loot = first_loot(&ev);
    s.send(ann, ClientMsg::Pickup { item: loot });
    let got = s.tick();
    assert!(
        events(&got, ann)
            .iter()
            .any(|e| matches!(e, ServerEvent::Inventory { items, .. } if items.len() == 1))
    );
    assert!(events(&got, bob).contains(&ServerEvent::Despawn { id: loot }));
}

#[test]
fn a_level_up_raises_stats_per_the_curve_and_announces_only_changes() {
    let mut s = field();
    let (ann, ann_id) = s.join("Ann");
    kill_rat(&mut s, ann, Tile { x: 4, y: 1 });
    let (_, ev) = kill_rat(&mut s, ann, Tile { x: 2, y: 1 });
    // 60 + 60 xp: level 2 needs 100, leaving 20 of the 150 to level 3.
    assert!(
        ev.contains(&ServerEvent::LevelUp {
            id: ann_id,
            level: 2
        }),
        "{ev:?}"
    );
    assert_eq!(s.get::<Level>(ann).0, 2);
    assert_eq!(s.get::<Experience>(ann).0, 20);
    // str 10+2, vit 10+1: attack 12, defense 5 (11 x 0.5), max hp 50 + 5 x 11 + 10 x 1 = 115.
    let d = s.get::<Derived>(ann);
    assert_eq!(
        (d.attack, d.defense, d.stats.str, d.stats.vit),
        (12, 5, 12, 11)
    );
    assert_eq!(s.get::<Vitals>(ann).max_hp, 115);
    let private = ev.iter().rev().find_map(|e| match e {
        ServerEvent::StatUpdate(u) if u.attack.is_some() => Some(u.clone()),
        _ => None,
    });
    assert_eq!(
        private,
        Some(StatUpdate {
            id: ann_id,
            xp: Some(20),
            xp_next: Some(150),
            str: Some(12),
            vit: Some(11),
            attack: Some(12),
            ..StatUpdate::default()
        }),
        "only what changed"
    );
    assert!(ev.iter().any(
        |e| matches!(e, ServerEvent::StatUpdate(u) if u.level == Some(2) && u.max_hp == Some(115))
    ));
}

#[test]
fn a_mob_aggroes_paths_around_a_wall_kills_a_weak_player_who_respawns_at_the_spawn() {
    // A wall at x = 5 from y = 0 to 4; the brute stands east of it, Ann west.
    let mut map = open_map(16, 16, Tile { x: 3, y: 1 });
    for y in 0..=4 {
        map.set_blocked(Tile { x: 5, y }, true);
    }
    let mut s = Scenario::new(map, SimConfig::default());
    let (ann, ann_id) = s.join("Ann");
    s.step(ann, 4, 1);
    let (brute, brute_id) = s.spawn_mob("brute", Tile { x: 6, y: 1 });
    let mut trail = Vec::new();
    let mut all = Vec::new();
    for _ in 0..60 {
        let got = s.tick();
        all.extend(events(&got, ann).to_vec());
        if let Some(p) = s.world.get::<Position>(brute) {
            trail.push(p.0);
        }
        if all
            .iter()
            .any(|e| matches!(e, ServerEvent::Death { id, .. } if *id == ann_id))
        {
            break;
        }
    }
    assert!(
        trail.iter().any(|t| t.y >= 5),
        "went round the wall's end: {trail:?}"
    );
    assert!(
        trail.iter().all(|t| !(t.x == 5 && t.y <= 4)),
        "never through the wall"
    );
    // 40 − 5 = 35 a hit: 100 hp takes three.
    let hits: Vec<i32> = all
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Hit {
                attacker,
                target,
                damage,
                ..
            } if *attacker == brute_id && *target == ann_id => Some(*damage),
            _ => None,
        })
        .collect();
    assert_eq!(hits, vec![35, 35, 35]);
    assert!(all.contains(&ServerEvent::Death {
        id: ann_id,
        killer: Some(brute_id)
    }));
    // Dead players cannot act.
    s.step(ann, 4, 2);
    assert_eq!(errors(events(&s.tick(), ann)), vec![ErrorCode::YouAreDead]);
    // respawn_ticks = 10: back at the spawn with full hp.
    let got = s.ticks(10);
    assert!(
        events(&got, ann).contains(&ServerEvent::Respawn {
            x: 3,
            y: 1,
            hp: 100
        }),
        "{:?}",
        events(&got, ann)
    );
    assert_eq!(s.position(ann), Tile { x: 3, y: 1 });
}

#[test]
fn a_mob_dragged_beyond_its_leash_walks_home_and_heals() {
    let mut s = Scenario::new(
        open_map(40, 8, Tile { x: 10, y: 1 }),
        SimConfig {
            steps_per_sec: 20,
            step_burst: 5,
            ..SimConfig::default()
        },
    );
    let (ann, _) = s.join("Ann");
    let (rat, rat_id) = s.spawn_mob("rat", Tile { x: 11, y: 1 });
    s.send(ann, ClientMsg::Attack { target: rat_id });
    s.ticks(2); // one hit: 10 of 20 hp
    assert_eq!(s.world.get::<Vitals>(rat).unwrap().hp, 10);
    // Ann runs west; the rat follows until it is 8 tiles (its leash) from home.
    for x in (0..10).rev() {
        s.step(ann, x, 1);
        s.tick();
    }
    s.ticks(30);
    assert_eq!(
        s.world.get::<Position>(rat).unwrap().0,
        Tile { x: 11, y: 1 },
        "back home"
    );
    assert_eq!(s.world.get::<Vitals>(rat).unwrap().hp, 20, "healed");
}

#[test]
fn bad_attacks_are_refused() {
    let mut s = field();
    let (ann, ann_id) = s.join("Ann");
    let (_, villager) = s.spawn_mob("villager", Tile { x: 4, y: 1 });
    let (_, far_rat) = s.spawn_mob("rat", Tile { x: 12, y: 12 });
    for (target, code) in [
        (9999, ErrorCode::UnknownTarget),
        (villager, ErrorCode::NotAttackable),
        (ann_id, ErrorCode::NotAttackable),
        (far_rat, ErrorCode::OutOfRange),
    ] {
        s.send(ann, ClientMsg::Attack { target });
        assert_eq!(
            errors(events(&s.tick(), ann)),
            vec![code],
            "attack {target}"
        );
    }
}
