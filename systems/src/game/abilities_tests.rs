//! Abilities on the test content (`abilities_fixture.rs` has the numbers): each kind of
//! ability, interruptions, areas, control effects, passives, every refusal, mob casts.

use std::sync::Arc;

use emberkeep_components::abilities::{Casting, Cooldowns, Slowed};
use emberkeep_components::combat::Target;
use emberkeep_components::config::SimConfig;
use emberkeep_components::content::GameContent;
use emberkeep_components::map::Tile;
use emberkeep_components::net::ConnId;
use emberkeep_components::protocol::{ClientMsg, ErrorCode, PROTOCOL_VERSION, ServerEvent};
use emberkeep_components::stats::{ActiveEffects, Vitals};
use emberkeep_components::world::Position;

use crate::scenario::{Received, Scenario, error_codes, events, open_map};

/// The field, with mobs that never aggro on their own (a hit still makes them fight back).
pub(super) fn field() -> Scenario {
    calm(Scenario::field())
}

pub(super) fn calm(mut s: Scenario) -> Scenario {
    let mut content = (*s.world.resource::<GameContent>().0).clone();
    for id in ["rat", "brute"] {
        Arc::make_mut(content.mobs.get_mut(id).unwrap()).aggro_range = 0;
    }
    s.world.insert_resource(GameContent(Arc::new(content)));
    s
}

/// Enters a guest of `class`; its connection and entity id.
pub(super) fn join_as(s: &mut Scenario, name: &str, class: &str) -> (ConnId, u64) {
    let conn = s.connect();
    s.send(
        conn,
        ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            name: Some(name.into()),
            class: Some(class.into()),
        },
    );
    let got = s.ticks(2);
    let id = events(&got, conn).iter().find_map(|e| match e {
        ServerEvent::Welcome { id, .. } => Some(*id),
        _ => None,
    });
    (conn, id.expect("welcome"))
}

/// A mob of `template` at `tile` with `hp` (as max too).
pub(super) fn mob(
    s: &mut Scenario,
    template: &str,
    tile: Tile,
    hp: i32,
) -> (bevy_ecs::entity::Entity, u64) {
    let (e, id) = s.spawn_mob(template, tile);
    let mut v = s.world.get_mut::<Vitals>(e).unwrap();
    v.hp = hp;
    v.max_hp = hp;
    (e, id)
}

pub(super) fn cast(s: &mut Scenario, conn: ConnId, ability: &str, target: Option<u64>) {
    s.send(
        conn,
        ClientMsg::Cast {
            ability: ability.into(),
            target,
            x: None,
            y: None,
        },
    );
}

pub(super) fn cast_at(s: &mut Scenario, conn: ConnId, ability: &str, x: i32, y: i32) {
    s.send(
        conn,
        ClientMsg::Cast {
            ability: ability.into(),
            target: None,
            x: Some(x),
            y: Some(y),
        },
    );
}

pub(super) fn place(s: &mut Scenario, conn: ConnId, tile: Tile) {
    let e = s.entity(conn);
    s.world.get_mut::<Position>(e).unwrap().0 = tile;
}

pub(super) fn hp(s: &Scenario, e: bevy_ecs::entity::Entity) -> i32 {
    s.world.get::<Vitals>(e).unwrap().hp
}

/// (target, damage, hp) of every ability hit `ability` among these events.
pub(super) fn hits(ev: &[ServerEvent], ability: &str) -> Vec<(u64, i32, i32)> {
    ev.iter()
        .filter_map(|e| match e {
            ServerEvent::Hit {
                target,
                damage,
                hp,
                ability: Some(a),
                ..
            } if a == ability => Some((*target, *damage, *hp)),
            _ => None,
        })
        .collect()
}

pub(super) fn ends(ev: &[ServerEvent]) -> Vec<(String, bool, Option<String>)> {
    ev.iter()
        .filter_map(|e| match e {
            ServerEvent::CastEnd {
                ability,
                done,
                reason,
                ..
            } => Some((ability.clone(), *done, reason.clone())),
            _ => None,
        })
        .collect()
}

pub(super) fn codes(got: &Received, conn: ConnId) -> Vec<ErrorCode> {
    error_codes(events(got, conn))
}

pub(super) fn apply(s: &mut Scenario, conn: ConnId, effect: &str) {
    let e = s.entity(conn);
    crate::game::effects::apply_to(&mut s.world, e, effect, None);
}

#[test]
fn power_strike_deals_10_plus_attack_credits_the_kill_and_cools_down_for_20_ticks() {
    let mut s = field();
    let (ann, ann_id) = s.join("Ann");
    let (rat, rat_id) = s.spawn_mob("rat", Tile { x: 4, y: 3 });
    cast(&mut s, ann, "power_strike", Some(rat_id));
    let got = s.tick();
    let ev = events(&got, ann);
    assert_eq!(hits(ev, "power_strike"), vec![(rat_id, 20, 0)], "{ev:?}");
    assert_eq!(
        ends(ev),
        vec![("power_strike".into(), true, None)],
        "instant: only cast_end done"
    );
    assert!(
        !ev.iter()
            .any(|e| matches!(e, ServerEvent::CastStart { .. }))
    );
    assert!(ev.contains(&ServerEvent::Cooldown {
        ability: "power_strike".into(),
        ticks: 20
    }));
    assert!(ev.contains(&ServerEvent::Death {
        id: rat_id,
        killer: Some(ann_id)
    }));
    assert!(
        ev.iter()
            .any(|e| matches!(e, ServerEvent::XpGain { amount: 60, .. })),
        "the kill gives its xp: {ev:?}"
    );
    assert_eq!(s.get::<Vitals>(ann).mp, 5, "10 − 5 mp");
    assert!(s.world.get_entity(rat).is_err() || hp(&s, rat) == 0);

    // Cooling down: refused for 19 more ticks, ready on the 20th.
    let (_, rat2) = s.spawn_mob("rat", Tile { x: 3, y: 4 });
    s.world.get_mut::<Vitals>(s.entity(ann)).unwrap().mp = 10;
    s.ticks(18);
    cast(&mut s, ann, "power_strike", Some(rat2));
    let got = s.tick();
    assert_eq!(codes(&got, ann), vec![ErrorCode::OnCooldown]);
    cast(&mut s, ann, "power_strike", Some(rat2));
    let got = s.tick();
    assert_eq!(hits(events(&got, ann), "power_strike"), vec![(rat2, 20, 0)]);
}

#[test]
fn firebolt_casts_for_20_ticks_then_hits_for_8_plus_int_and_spends_mana_at_the_end() {
    let mut s = field();
    let (mia, mia_id) = join_as(&mut s, "Mia", "mage");
    let (rat, rat_id) = mob(&mut s, "rat", Tile { x: 7, y: 3 }, 100);
    cast(&mut s, mia, "firebolt", Some(rat_id));
    let got = s.tick();
    assert!(
        events(&got, mia).contains(&ServerEvent::CastStart {
            id: mia_id,
            ability: "firebolt".into(),
            ticks: 20,
            target: Some(rat_id),
            x: None,
            y: None,
        }),
        "{:?}",
        events(&got, mia)
    );
    assert!(s.world.get::<Casting>(s.entity(mia)).is_some());
    let got = s.ticks(19);
    assert!(hits(events(&got, mia), "firebolt").is_empty());
    assert_eq!((hp(&s, rat), s.get::<Vitals>(mia).mp), (100, 50));
    let got = s.tick();
    let ev = events(&got, mia);
    assert_eq!(hits(ev, "firebolt"), vec![(rat_id, 28, 72)], "{ev:?}");
    assert_eq!(ends(ev), vec![("firebolt".into(), true, None)]);
    assert!(ev.contains(&ServerEvent::Cooldown {
        ability: "firebolt".into(),
        ticks: 40
    }));
    assert_eq!(s.get::<Vitals>(mia).mp, 40);
    assert!(s.world.get::<Casting>(s.entity(mia)).is_none());
}

#[test]
fn heal_restores_10_plus_int_up_to_max_hp() {
    let mut s = field();
    let (mia, mia_id) = join_as(&mut s, "Mia", "mage");
    let (bob, bob_id) = s.join("Bob");
    s.world.get_mut::<Vitals>(s.entity(bob)).unwrap().hp = 50;
    cast(&mut s, mia, "heal", Some(bob_id));
    let got = s.tick();
    assert!(events(&got, bob).contains(&ServerEvent::Heal {
        source: mia_id,
        target: bob_id,
        amount: 30,
        hp: 80,
        ability: Some("heal".into()),
    }));
    cast(&mut s, mia, "heal", Some(bob_id));
    let got = s.tick();
    assert!(
        events(&got, bob).iter().any(|e| matches!(
            e,
            ServerEvent::Heal {
                amount: 20,
                hp: 100,
                ..
            }
        )),
        "capped at max hp"
    );
    assert_eq!(s.get::<Vitals>(mia).mp, 30);
    // No target: an ally ability heals the caster.
    s.world.get_mut::<Vitals>(s.entity(mia)).unwrap().hp = 90;
    cast(&mut s, mia, "heal", None);
    s.tick();
    assert_eq!(s.get::<Vitals>(mia).hp, 100);
}

#[test]
fn a_shield_absorbs_20_of_a_melee_hit_and_then_of_a_dot_before_hp() {
    let mut s = Scenario::field();
    let (mia, mia_id) = join_as(&mut s, "Mia", "mage");
    cast(&mut s, mia, "barrier", None);
    let got = s.tick();
    assert!(events(&got, mia).iter().any(
        |e| matches!(e, ServerEvent::EffectStart { effect, .. } if effect == "arcane_shield")
    ));
    // The brute hits for 40 − 5 = 35: the shield takes 20, hp 15.
    s.spawn_mob("brute", Tile { x: 4, y: 3 });
    let mut first = None;
    for _ in 0..20 {
        let got = s.tick();
        let ev = events(&got, mia).to_vec();
        if let Some(hit) = ev.iter().find_map(|e| match e {
            ServerEvent::Hit {
                target, damage, hp, ..
            } if *target == mia_id => Some((*damage, *hp)),
            _ => None,
        }) {
            first = Some((hit, ev));
            break;
        }
    }
    let (hit, ev) = first.expect("the brute hit");
    assert_eq!(hit, (15, 85));
    assert!(ev.contains(&ServerEvent::EffectEnd {
        id: mia_id,
        effect: "arcane_shield".into()
    }));

    // A fresh shield against poison (5 every 2 ticks, 5 pulses): four pulses absorbed.
    let mut s = field();
    let (mia, _) = join_as(&mut s, "Mia", "mage");
    cast(&mut s, mia, "barrier", None);
    s.tick();
    apply(&mut s, mia, "poison");
    let got = s.ticks(10);
    let pulses: Vec<i32> = events(&got, mia)
        .iter()
        .filter_map(|e| match e {
            ServerEvent::EffectTick { amount, .. } => Some(*amount),
            _ => None,
        })
        .collect();
    assert_eq!(pulses, vec![0, 0, 0, 0, -5]);
    assert_eq!(s.get::<Vitals>(mia).hp, 95);
    assert!(
        !s.get::<ActiveEffects>(mia)
            .0
            .iter()
            .any(|a| a.effect == "arcane_shield"),
        "used up"
    );
}

#[test]
fn meteor_hits_only_enemies_inside_its_radius() {
    let mut s = field();
    let (mia, _) = join_as(&mut s, "Mia", "mage");
    let (bob, _) = s.join("Bob");
    let (centre, c_id) = mob(&mut s, "rat", Tile { x: 8, y: 8 }, 100);
    let (corner, k_id) = mob(&mut s, "rat", Tile { x: 9, y: 9 }, 100);
    let (outside, _) = mob(&mut s, "rat", Tile { x: 10, y: 8 }, 100);
    place(&mut s, bob, Tile { x: 8, y: 7 });
    s.tick();
    cast_at(&mut s, mia, "meteor", 8, 8);
    let got = s.tick();
    let mut hit = hits(events(&got, mia), "meteor");
    hit.sort();
    assert_eq!(hit, vec![(c_id, 20, 80), (k_id, 20, 80)]);
    assert_eq!(hp(&s, centre), 80);
    assert_eq!(hp(&s, corner), 80);
    assert_eq!(hp(&s, outside), 100, "two tiles from the centre");
    assert_eq!(s.get::<Vitals>(bob).hp, 100, "players are not enemies here");
    assert_eq!(s.get::<Vitals>(mia).mp, 40);
}

#[test]
fn charge_dashes_next_to_its_target_and_stops_at_a_wall() {
    for (wall, lands) in [(None, 7), (Some(6), 5)] {
        let mut map = open_map(16, 16, Tile { x: 3, y: 3 });
        if let Some(x) = wall {
            map.set_blocked(Tile { x, y: 3 }, true);
        }
        let mut s = calm(Scenario::new(map, SimConfig::default()));
        let (ann, _) = s.join("Ann");
        let (rat, rat_id) = mob(&mut s, "rat", Tile { x: 8, y: 3 }, 100);
        cast(&mut s, ann, "charge", Some(rat_id));
        s.tick();
        assert_eq!(s.position(ann), Tile { x: lands, y: 3 }, "wall {wall:?}");
        assert_eq!(hp(&s, rat), 95);
    }
}

#[test]
fn a_stun_breaks_a_cast_and_blocks_steps_attacks_and_casts_for_10_ticks() {
    let mut s = field();
    let (mia, _) = join_as(&mut s, "Mia", "mage");
    let (_, rat_id) = mob(&mut s, "rat", Tile { x: 7, y: 3 }, 100);
    cast(&mut s, mia, "firebolt", Some(rat_id));
    s.tick();
    apply(&mut s, mia, "stunned");
    let got = s.tick();
    assert_eq!(
        ends(events(&got, mia)),
        vec![("firebolt".into(), false, Some("stunned".into()))]
    );
    assert_eq!(s.get::<Vitals>(mia).mp, 50, "nothing spent");
    assert!(s.get::<Cooldowns>(mia).0.is_empty(), "no cooldown");
    s.step(mia, 3, 4);
    cast(&mut s, mia, "barrier", None);
    s.send(mia, ClientMsg::Flee);
    let got = s.tick();
    let mut got = codes(&got, mia);
    got.sort_by_key(|c| format!("{c:?}"));
    assert_eq!(got, vec![ErrorCode::Stunned; 3], "cast, flee and step");
    assert_eq!(s.position(mia), Tile { x: 3, y: 3 });
    // A stunned mob does not attack: a brute stunned next to Ann.
    let (ann, _) = s.join("Ann");
    let (brute, brute_id) = s.spawn_mob("brute", Tile { x: 2, y: 3 });
    crate::game::effects::apply_to(&mut s.world, brute, "stunned", None);
    s.world.get_mut::<Target>(brute).unwrap().0 = Some(s.entity(ann));
    let got = s.ticks(8);
    assert!(
        !events(&got, ann)
            .iter()
            .any(|e| matches!(e, ServerEvent::Hit { attacker, .. } if *attacker == brute_id)),
        "stunned brute did not swing"
    );
    // Mia's stun ran out (10 ticks): she walks again.
    s.ticks(2);
    s.step(mia, 3, 4);
    s.tick();
    assert_eq!(s.position(mia), Tile { x: 3, y: 4 });
}

#[test]
fn stepping_or_interrupting_breaks_a_cast() {
    let mut s = field();
    let (mia, _) = join_as(&mut s, "Mia", "mage");
    let (_, rat_id) = mob(&mut s, "rat", Tile { x: 7, y: 3 }, 100);
    cast(&mut s, mia, "firebolt", Some(rat_id));
    s.tick();
    s.step(mia, 3, 4);
    let got = s.tick();
    assert_eq!(
        ends(events(&got, mia)),
        vec![("firebolt".into(), false, Some("moved".into()))]
    );
    cast(&mut s, mia, "firebolt", Some(rat_id));
    s.tick();
    s.send(mia, ClientMsg::Interrupt);
    let got = s.tick();
    assert_eq!(
        ends(events(&got, mia)),
        vec![("firebolt".into(), false, Some("interrupted".into()))]
    );
    s.send(mia, ClientMsg::Interrupt);
    let got = s.tick();
    assert!(crate::scenario::infos(events(&got, mia)).contains("not casting"));
    assert_eq!(s.get::<Vitals>(mia).mp, 50);
}

#[test]
fn a_cast_ends_without_effect_when_its_target_dies_leaves_range_or_mana_runs_out() {
    for case in ["target_lost", "out_of_range", "no_mana"] {
        let mut s = field();
        let (mia, _) = join_as(&mut s, "Mia", "mage");
        let (rat, rat_id) = mob(&mut s, "rat", Tile { x: 7, y: 3 }, 100);
        cast(&mut s, mia, "firebolt", Some(rat_id));
        s.ticks(5);
        match case {
            "target_lost" => s.world.get_mut::<Vitals>(rat).unwrap().hp = 0,
            // Range 6 + 1 tile of slack: 8 tiles is too far.
            "out_of_range" => s.world.get_mut::<Position>(rat).unwrap().0 = Tile { x: 11, y: 3 },
            _ => s.world.get_mut::<Vitals>(s.entity(mia)).unwrap().mp = 5,
        }
        // (The cast tick and four more went by: it completes in the 16th tick from here.)
        let got = s.ticks(16);
        assert_eq!(
            ends(events(&got, mia)),
            vec![("firebolt".into(), false, Some(case.into()))]
        );
    }
}

#[test]
fn a_slow_of_50_percent_halves_the_step_refill_and_frost_slows_a_mob() {
    let config = SimConfig {
        steps_per_sec: 4,
        step_burst: 1,
        ..SimConfig::default()
    };
    let mut s = calm(Scenario::new(open_map(16, 16, Tile { x: 3, y: 3 }), config));
    let (ann, _) = s.join("Ann");
    apply(&mut s, ann, "slowed");
    s.step(ann, 3, 4);
    s.tick();
    // 200 milli-steps a tick, halved: 10 ticks per step instead of 5.
    s.ticks(4);
    s.step(ann, 3, 5);
    let got = s.tick();
    assert_eq!(codes(&got, ann), vec![ErrorCode::MoveTooFast]);
    s.ticks(4);
    s.step(ann, 3, 5);
    let got = s.tick();
    assert!(codes(&got, ann).is_empty());
    assert_eq!(s.position(ann), Tile { x: 3, y: 5 });

    let (mia, _) = join_as(&mut s, "Mia", "mage");
    let (rat, rat_id) = mob(&mut s, "rat", Tile { x: 5, y: 3 }, 100);
    cast(&mut s, mia, "frost", Some(rat_id));
    s.ticks(2);
    assert_eq!(s.world.get::<Slowed>(rat).copied(), Some(Slowed(50)));
}
