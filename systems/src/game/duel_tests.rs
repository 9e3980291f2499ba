//! Duels on the PvP fixture (`pvp_tests`): Ann and Bob on the plain field, where only a duel
//! lets them fight; a hit takes 5 hp.

use emberkeep_components::combat::{Dead, Target};
use emberkeep_components::content::GameContent;
use emberkeep_components::map::Tile;
use emberkeep_components::net::{ConnId, WorldInput};
use emberkeep_components::protocol::{ClientMsg, ErrorCode, ServerEvent};
use emberkeep_components::pvp::{DuelEndReason, Duels};
use emberkeep_components::stats::{ActiveEffects, Vitals};
use emberkeep_components::world::NetId;

use super::pvp_tests::{ARENA, FIELD, Fixture, fixture};
use crate::scenario::{Received, error_codes, events, infos};

fn ask(s: &mut crate::scenario::Scenario, from: ConnId, name: &str) -> Received {
    s.send(from, ClientMsg::DuelRequest { name: name.into() });
    s.tick()
}

/// Ann and Bob side by side on the field, dueling.
fn dueling() -> Fixture {
    let mut f = fixture();
    f.put(f.ann, FIELD);
    f.put(f.bob, FIELD + 1);
    ask(&mut f.s, f.ann, "Bob");
    ask(&mut f.s, f.bob, "Ann");
    f
}

fn ends(got: &Received, c: ConnId) -> Vec<(String, String, DuelEndReason)> {
    events(got, c)
        .iter()
        .filter_map(|e| match e {
            ServerEvent::DuelEnd {
                winner,
                loser,
                reason,
            } => Some((winner.clone(), loser.clone(), *reason)),
            _ => None,
        })
        .collect()
}

fn end(winner: &str, loser: &str, reason: DuelEndReason) -> Vec<(String, String, DuelEndReason)> {
    vec![(winner.into(), loser.into(), reason)]
}

#[test]
fn a_duel_starts_when_the_challenged_challenges_back() {
    let mut f = fixture();
    f.put(f.ann, FIELD);
    f.put(f.bob, FIELD + 1);
    let got = ask(&mut f.s, f.ann, "bob");
    assert!(
        events(&got, f.bob).contains(&ServerEvent::DuelRequest { from: "Ann".into() }),
        "{got:?}"
    );
    assert!(infos(events(&got, f.ann)).contains("You challenge Bob to a duel"));
    let got = ask(&mut f.s, f.bob, "Ann");
    let start = |with: &str, id| ServerEvent::DuelStart {
        with: with.into(),
        id,
    };
    assert!(events(&got, f.ann).contains(&start("Bob", f.bob_id)));
    assert!(events(&got, f.bob).contains(&start("Ann", f.ann_id)));
    let (a, b) = (f.s.entity(f.ann), f.s.entity(f.bob));
    assert!(f.s.world.resource::<Duels>().dueling(a, b));
    assert!(f.s.world.resource::<Duels>().asks.is_empty());
    // Now they may fight here.
    f.set_hp(f.bob, 100);
    let ev = f.ann_attacks();
    assert!(error_codes(&ev).is_empty(), "{ev:?}");
    assert_eq!(f.hp(f.bob), 95);
}

#[test]
fn the_last_blow_of_a_duel_leaves_one_hp_and_ends_it_for_both() {
    let mut f = dueling();
    f.set_hp(f.bob, 12);
    f.ann_attacks();
    assert_eq!(f.hp(f.bob), 7);
    let bob = f.bob;
    let got = f.until(bob, 20, |e| matches!(e, ServerEvent::DuelEnd { .. }));
    // 7 → 2, then a blow of 5 leaves 1.
    assert_eq!(f.hp(f.bob), 1);
    assert_eq!(ends(&got, f.ann), end("Ann", "Bob", DuelEndReason::Defeat));
    assert_eq!(ends(&got, f.bob), end("Ann", "Bob", DuelEndReason::Defeat));
    assert!(f.s.world.get::<Dead>(f.s.entity(f.bob)).is_none());
    assert_eq!(
        f.s.get::<Target>(f.ann).0,
        None,
        "the winner stops attacking"
    );
    assert!(f.s.world.resource::<Duels>().running.is_empty());
    assert_eq!(f.counter(f.ann, "duels_won"), 1);
    assert_eq!(f.counter(f.bob, "duels_lost"), 1);
    assert_eq!(f.counter(f.bob, "pvp_deaths"), 0);
    f.s.ticks(20);
    assert_eq!(f.hp(f.bob), 1);
    // And the duel is over: no more fighting here.
    assert_eq!(
        error_codes(&f.ann_attacks()),
        vec![ErrorCode::PvpNotAllowed]
    );
}

#[test]
fn damage_over_time_from_the_opponent_also_stops_at_one_hp() {
    let mut f = dueling();
    let (ann, bob) = (f.s.entity(f.ann), f.s.entity(f.bob));
    f.set_hp(f.bob, 3);
    // Poison: 5 every 2 ticks for 10 ticks, put on Bob by Ann.
    let content = f.s.world.resource::<GameContent>().clone();
    let id = *f.s.world.get::<NetId>(bob).unwrap();
    let mut effects = f.s.world.get_mut::<ActiveEffects>(bob).unwrap();
    super::effects::apply_effect(&content, &mut effects, id, "poison", Some(ann));
    let got = f.s.ticks(3);
    assert_eq!(f.hp(f.bob), 1);
    assert_eq!(ends(&got, f.ann), end("Ann", "Bob", DuelEndReason::Defeat));
    assert!(
        f.s.get::<ActiveEffects>(f.bob).0.is_empty(),
        "the poison is gone"
    );
    f.s.ticks(12);
    assert_eq!(f.hp(f.bob), 1);
}

#[test]
fn every_refusal_of_a_challenge_has_its_code() {
    let mut f = fixture();
    f.put(f.ann, FIELD);
    f.put(f.bob, FIELD + 1);
    let code = |got: &Received, c| error_codes(events(got, c));
    let got = ask(&mut f.s, f.ann, "Ann");
    assert_eq!(code(&got, f.ann), vec![ErrorCode::UnknownTarget]);
    let got = ask(&mut f.s, f.ann, "Nobody");
    assert_eq!(code(&got, f.ann), vec![ErrorCode::PlayerOffline]);
    f.put(f.bob, FIELD + 11);
    let got = ask(&mut f.s, f.ann, "Bob");
    assert_eq!(code(&got, f.ann), vec![ErrorCode::OutOfRange]);
    assert!(infos(events(&got, f.ann)).is_empty());
    // On another map: out of range too.
    let bob = f.s.entity(f.bob);
    crate::world::warps::warp_to(&mut f.s.world, bob, "vault", Tile { x: 2, y: 2 }).unwrap();
    let got = ask(&mut f.s, f.ann, "Bob");
    assert_eq!(code(&got, f.ann), vec![ErrorCode::OutOfRange]);
    let got = {
        f.s.send(f.ann, ClientMsg::DuelCancel);
        f.s.tick()
    };
    assert_eq!(code(&got, f.ann), vec![ErrorCode::NotDueling]);
    // A dead player cannot be challenged.
    f.put(f.bob, FIELD + 1);
    f.s.world.entity_mut(bob).insert(Dead { respawn_at: 1000 });
    let got = ask(&mut f.s, f.ann, "Bob");
    assert_eq!(code(&got, f.ann), vec![ErrorCode::UnknownTarget]);
}

#[test]
fn a_duelist_or_a_challenger_is_busy() {
    let mut f = dueling();
    let (cid, _) = crate::session::tests::account_player(&mut f.s, "Cid");
    f.put(cid, FIELD + 2);
    let got = ask(&mut f.s, cid, "Ann");
    assert_eq!(error_codes(events(&got, cid)), vec![ErrorCode::DuelBusy]);
    let got = ask(&mut f.s, f.ann, "Cid");
    assert_eq!(error_codes(events(&got, f.ann)), vec![ErrorCode::DuelBusy]);
    // Once Bob is free: Cid, challenging Dan, is busy for Bob.
    f.s.send(f.bob, ClientMsg::DuelCancel);
    f.s.tick();
    let (dan, _) = crate::session::tests::account_player(&mut f.s, "Dan");
    f.put(dan, FIELD + 3);
    ask(&mut f.s, cid, "Dan");
    let got = ask(&mut f.s, f.bob, "Cid");
    assert_eq!(error_codes(events(&got, f.bob)), vec![ErrorCode::DuelBusy]);
}

#[test]
fn a_duel_never_reaches_into_a_safe_zone() {
    let mut f = dueling();
    f.put(f.ann, 5);
    f.put(f.bob, 4);
    let ev = f.ann_attacks();
    assert_eq!(error_codes(&ev), vec![ErrorCode::PvpNotAllowed]);
    assert_eq!(
        f.s.world.resource::<Duels>().running.len(),
        2,
        "still dueling"
    );
}

#[test]
fn a_request_expires_after_30_seconds() {
    let mut f = fixture();
    f.put(f.ann, FIELD);
    f.put(f.bob, FIELD + 1);
    ask(&mut f.s, f.ann, "Bob");
    // 30 s at 20 ticks a second: 600 ticks from the request.
    let got = f.s.ticks(599);
    assert!(infos(events(&got, f.bob)).is_empty());
    let got = f.s.ticks(1);
    assert!(infos(events(&got, f.bob)).contains("The duel challenge between you and Ann is off"));
    assert!(infos(events(&got, f.ann)).contains("between you and Bob is off"));
    // Bob's answer now is a challenge of its own, not an acceptance.
    let got = ask(&mut f.s, f.bob, "Ann");
    assert!(events(&got, f.ann).contains(&ServerEvent::DuelRequest { from: "Bob".into() }));
    assert!(f.s.world.resource::<Duels>().running.is_empty());
}

#[test]
fn cancel_withdraws_declines_or_forfeits() {
    let mut f = fixture();
    f.put(f.ann, FIELD);
    f.put(f.bob, FIELD + 1);
    ask(&mut f.s, f.ann, "Bob");
    f.s.send(f.bob, ClientMsg::DuelCancel);
    let got = f.s.tick();
    assert!(infos(events(&got, f.ann)).contains("Bob is off"));
    assert!(f.s.world.resource::<Duels>().asks.is_empty());
    let mut f = dueling();
    f.s.send(f.bob, ClientMsg::DuelCancel);
    let got = f.s.tick();
    assert_eq!(ends(&got, f.ann), end("Ann", "Bob", DuelEndReason::Forfeit));
    assert_eq!(ends(&got, f.bob), end("Ann", "Bob", DuelEndReason::Forfeit));
    assert_eq!(f.counter(f.ann, "duels_won"), 1);
    assert_eq!(f.counter(f.bob, "duels_lost"), 1);
    // The text command does the same.
    let mut f = dueling();
    f.s.command(f.ann, "duel cancel");
    assert!(f.s.world.resource::<Duels>().running.is_empty());
    assert_eq!(f.counter(f.bob, "duels_won"), 1);
}

#[test]
fn drifting_more_than_20_tiles_apart_or_to_another_map_ends_it_too_far() {
    let mut f = dueling();
    f.put(f.bob, FIELD + 20);
    f.s.tick();
    assert!(
        !f.s.world.resource::<Duels>().running.is_empty(),
        "20 is near enough"
    );
    f.put(f.bob, FIELD + 21);
    let got = f.s.tick();
    // (Nobody wins: `winner` and `loser` only name the two.)
    let got_end = ends(&got, f.bob);
    assert_eq!(got_end.len(), 1);
    let mut names = [got_end[0].0.as_str(), got_end[0].1.as_str()];
    names.sort();
    assert_eq!(
        (names, got_end[0].2),
        (["Ann", "Bob"], DuelEndReason::TooFar)
    );
    assert_eq!(ends(&got, f.ann), got_end);
    assert_eq!(
        f.counter(f.ann, "duels_lost") + f.counter(f.bob, "duels_won"),
        0
    );
    let mut f = dueling();
    let bob = f.s.entity(f.bob);
    crate::world::warps::warp_to(&mut f.s.world, bob, "vault", Tile { x: 2, y: 2 }).unwrap();
    let got = f.s.tick();
    assert_eq!(ends(&got, f.ann).len(), 1);
    assert_eq!(ends(&got, f.ann)[0].2, DuelEndReason::TooFar);
}

#[test]
fn leaving_the_world_ends_it_left() {
    let mut f = dueling();
    f.s.push(WorldInput::Closed {
        conn: f.bob,
        reason: "eof".into(),
    });
    let got = f.s.tick();
    assert_eq!(ends(&got, f.ann), end("Ann", "Bob", DuelEndReason::Left));
    assert!(f.s.world.resource::<Duels>().running.is_empty());
    assert_eq!(f.counter(f.ann, "duels_won"), 0);
}

#[test]
fn a_duelist_killed_by_someone_else_ends_it_left() {
    let mut f = dueling();
    f.put(f.ann, ARENA);
    f.put(f.bob, ARENA + 1);
    let (cid, _) = crate::session::tests::account_player(&mut f.s, "Cid");
    f.put(cid, ARENA + 2);
    f.set_hp(f.bob, 5);
    let bob_id = f.bob_id;
    f.s.send(cid, ClientMsg::Attack { target: bob_id });
    let got = f.s.tick();
    assert!(f.s.world.get::<Dead>(f.s.entity(f.bob)).is_some());
    assert_eq!(ends(&got, f.ann), end("Ann", "Bob", DuelEndReason::Left));
    assert_eq!(f.counter(cid, "pvp_kills"), 1);
    assert_eq!(f.s.get::<Vitals>(f.bob).hp, 0);
}

/// An ability's last blow in a duel is capped like a swing's: 1 hp left, the duel lost.
#[test]
fn an_abilitys_last_blow_in_a_duel_also_leaves_one_hp() {
    let mut f = dueling();
    f.set_hp(f.bob, 10);
    let ev = f.ann_strikes();
    assert_eq!(error_codes(&ev), vec![], "{ev:?}");
    assert_eq!(f.hp(f.bob), 1);
    // (Announced in the same tick as the blow.)
    let got = Received::from([(f.ann, ev)]);
    assert_eq!(ends(&got, f.ann), end("Ann", "Bob", DuelEndReason::Defeat));
    assert!(f.s.world.get::<Dead>(f.s.entity(f.bob)).is_none());
    assert_eq!(f.counter(f.ann, "duels_won"), 1);
}
