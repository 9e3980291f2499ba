//! More ability scenarios on the abilities fixture (`abilities_fixture.rs` has the numbers):
//! passives, every refusal in order, mob casts, the `abilities` list and learning on a
//! level-up, saved cooldowns, the text commands.

use emberkeep_components::map::Tile;
use emberkeep_components::protocol::{ClientMsg, ErrorCode, ServerEvent};
use emberkeep_components::stats::Vitals;

use super::abilities_tests::{apply, cast, codes, field, hits, hp, join_as, mob};
use crate::scenario::{Scenario, error_codes, events};

#[test]
fn a_passive_adds_its_stats_to_the_class_that_learned_it() {
    let mut s = field();
    let (mia, _) = join_as(&mut s, "Mia", "mage");
    let (ann, _) = s.join("Ann");
    assert_eq!(s.get::<Vitals>(mia).max_mp, 50, "30 + focus's 20");
    assert_eq!(s.get::<Vitals>(ann).max_mp, 10, "fighters have no focus");
}

#[test]
fn every_refusal_has_its_code_in_the_documented_order() {
    let mut s = field();
    let (ann, _) = s.join("Ann");
    let (mia, _) = join_as(&mut s, "Mia", "mage");
    let (_, near) = mob(&mut s, "rat", Tile { x: 4, y: 3 }, 100);
    let (_, far) = mob(&mut s, "rat", Tile { x: 6, y: 3 }, 100);
    let (_, villager) = s.spawn_mob("villager", Tile { x: 3, y: 2 });
    let refused = |s: &mut Scenario, conn, msg: ClientMsg| {
        s.send(conn, msg);
        let got = s.tick();
        codes(&got, conn)
    };
    let c = |ability: &str, target: Option<u64>| ClientMsg::Cast {
        ability: ability.into(),
        target,
        x: None,
        y: None,
    };
    use ErrorCode::*;
    for (conn, msg, code) in [
        (ann, c("firebolt", Some(near)), NotLearned),
        (ann, c("war_stomp", None), NotLearned),
        (ann, c("nope", None), NotLearned),
        (mia, c("focus", None), NotLearned),
        (ann, c("power_strike", None), BadTarget),
        (ann, c("power_strike", Some(9999)), BadTarget),
        (ann, c("power_strike", Some(villager)), NotAttackable),
        (mia, c("heal", Some(near)), BadTarget),
        (mia, c("meteor", None), BadTarget),
        (ann, c("power_strike", Some(far)), OutOfRange),
    ] {
        assert_eq!(refused(&mut s, conn, msg.clone()), vec![code], "{msg:?}");
    }
    // Mana: 4 left, power strike costs 5.
    s.world.get_mut::<Vitals>(s.entity(ann)).unwrap().mp = 4;
    assert_eq!(
        refused(&mut s, ann, c("power_strike", Some(near))),
        vec![NoMana]
    );
    // Busy: a second cast while one is under way.
    s.send(mia, c("firebolt", Some(far)));
    s.tick();
    assert_eq!(refused(&mut s, mia, c("barrier", None)), vec![BusyCasting]);
    // Order: a stunned caster hears "stunned" before "not learned".
    apply(&mut s, ann, "stunned");
    assert_eq!(refused(&mut s, ann, c("firebolt", None)), vec![Stunned]);
    // Dead comes first of all.
    s.world.get_mut::<Vitals>(s.entity(ann)).unwrap().hp = 0;
    s.tick();
    assert_eq!(
        refused(&mut s, ann, c("power_strike", Some(near))),
        vec![YouAreDead]
    );
}

#[test]
fn a_mob_casts_its_ability_at_its_target_when_in_range_and_off_cooldown() {
    let mut s = Scenario::field();
    let (ann, ann_id) = s.join("Ann");
    let (_, shaman_id) = s.spawn_mob("shaman", Tile { x: 6, y: 3 });
    // (tick, attacker, target, damage) of every spit over 40 ticks.
    let mut spits = Vec::new();
    for t in 0..40 {
        let got = s.tick();
        for e in events(&got, ann) {
            if let ServerEvent::Hit {
                attacker,
                target,
                damage,
                ability: Some(a),
                ..
            } = e
                && a == "spit"
            {
                spits.push((t, *attacker, *target, *damage));
            }
        }
    }
    // Noticed within LOOK_EVERY ticks, spat at once (3 tiles: in range 4), 15 − 5 / 2 = 13;
    // again exactly 30 ticks later.
    assert_eq!(spits.len(), 2, "{spits:?}");
    let (first, again) = (spits[0], spits[1]);
    assert!(first.0 <= crate::game::ai::LOOK_EVERY, "{spits:?}");
    assert_eq!((first.1, first.2, first.3), (shaman_id, ann_id, 13));
    assert_eq!(again.0 - first.0, 30);
}

#[test]
fn abilities_are_listed_on_entering_and_a_level_up_teaches_war_stomp() {
    let mut s = field();
    let conn = s.connect();
    let got = s.enter(conn, "Ann");
    let list = events(&got, conn)
        .iter()
        .find_map(|e| match e {
            ServerEvent::Abilities { abilities } => Some(abilities.clone()),
            _ => None,
        })
        .expect("abilities on entering");
    let learned: Vec<(&str, bool)> = list.iter().map(|a| (a.id.as_str(), a.learned)).collect();
    assert_eq!(
        learned,
        vec![
            ("charge", true),
            ("power_strike", true),
            ("war_stomp", false)
        ]
    );
    let e = s.entity(conn);
    crate::game::stats::give_xp(&mut s.world, e, 100);
    let got = s.tick();
    let list = events(&got, conn)
        .iter()
        .find_map(|e| match e {
            ServerEvent::Abilities { abilities } => Some(abilities.clone()),
            _ => None,
        })
        .expect("abilities after learning one");
    assert!(list.iter().all(|a| a.learned));
    cast(&mut s, conn, "war_stomp", None);
    let got = s.tick();
    assert!(codes(&got, conn).is_empty());
    assert!(events(&got, conn).contains(&ServerEvent::Cooldown {
        ability: "war_stomp".into(),
        ticks: 50
    }));
}

#[test]
fn cooldowns_are_saved_as_ticks_left_and_restored_on_entry() {
    use emberkeep_components::persist::{AccountCharacter, CharacterRecord};
    let mut s = field();
    let (ann, _) = s.join("Ann");
    let (_, rat) = mob(&mut s, "rat", Tile { x: 4, y: 3 }, 100);
    cast(&mut s, ann, "power_strike", Some(rat));
    s.ticks(5);
    let e = s.entity(ann);
    s.world.entity_mut(e).insert(AccountCharacter {
        account: "ann".into(),
    });
    let record = crate::session::saves::snapshot(&s.world, e).unwrap();
    // Cast in the first of the five ticks: 20 − 4 left.
    assert_eq!(record.cooldowns.get("power_strike"), Some(&16));

    let mut back = CharacterRecord::new("Bea", "bea", "fighter");
    back.cooldowns = record.cooldowns.clone();
    let c = s.connect();
    s.tick();
    let b = s.entity(c);
    crate::session::enter::enter_world(&mut s.world, b, back, true);
    let got = s.tick();
    let list = events(&got, c)
        .iter()
        .find_map(|e| match e {
            ServerEvent::Abilities { abilities } => Some(abilities.clone()),
            _ => None,
        })
        .unwrap();
    let strike = list.iter().find(|a| a.id == "power_strike").unwrap();
    assert_eq!(strike.ready_in, 16, "as it stood on entering");
}

#[test]
fn the_cast_and_abilities_commands() {
    let mut s = field();
    let (ann, _) = s.join("Ann");
    let (rat, _) = mob(&mut s, "rat", Tile { x: 4, y: 3 }, 100);
    let ev = s.command(ann, "cast power_strike rat");
    assert_eq!(hits(&ev, "power_strike").len(), 1, "{ev:?}");
    assert_eq!(hp(&s, rat), 80);
    let ev = s.command(ann, "abilities");
    let text = crate::scenario::infos(&ev);
    assert!(
        text.contains("Power Strike (power_strike, 5 mp, ready in 19 ticks)"),
        "{text}"
    );
    assert!(
        text.contains("War Stomp (war_stomp, from level 2)"),
        "{text}"
    );
    let (mia, _) = join_as(&mut s, "Mia", "mage");
    let (far, _) = mob(&mut s, "rat", Tile { x: 9, y: 9 }, 100);
    s.tick(); // (An area finds creatures by region: the new rat is listed from its first tick.)
    let ev = s.command(mia, "cast meteor 9 9");
    assert_eq!(hits(&ev, "meteor").len(), 1, "{ev:?}");
    assert_eq!(hp(&s, far), 80);
    let ev = s.command(mia, "cast");
    assert_eq!(error_codes(&ev), vec![ErrorCode::BadField]);
    let ev = s.command(mia, "cast firebolt nobody");
    assert_eq!(error_codes(&ev), vec![ErrorCode::BadTarget]);
}
