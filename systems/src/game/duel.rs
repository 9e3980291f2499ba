//! Duels between two players, anywhere but in a safe zone: a challenge (`duel_request`,
//! within [`DUEL_RANGE`] tiles), which the other accepts by challenging back; while the duel
//! runs, the two may harm each other (`pvp::may_harm`). It ends —
//!
//! - `defeat`: a blow would take one to 0 hp; it stays at 1 hp and loses
//!   (`pvp::cap_duel_damage`, called by every damage path);
//! - `forfeit`: one sends `duel_cancel`;
//! - `left`: one leaves the world ([`leave`], from `session::presence::leave`), or dies at
//!   someone else's hand (a mob, a third player in a PvP zone);
//! - `too_far`: they drift more than [`DUEL_KEEP_RANGE`] tiles apart or onto other maps.
//!
//! Every ending goes through [`Duels::end`] and is announced by [`announce_ended`]: a
//! `duel_end` to both sides; a `defeat` or `forfeit` counts `duels_won`/`duels_lost`
//! (`StoryEvent::DuelWon`); damage over time the two put on each other stops, and neither
//! keeps attacking the other. Requests expire after [`DUEL_REQUEST_SECS`].

use bevy_ecs::prelude::*;
use emberkeep_components::atlas::OnMap;
use emberkeep_components::combat::{Dead, Target};
use emberkeep_components::config::SimConfig;
use emberkeep_components::content::{EffectKind, GameContent};
use emberkeep_components::protocol::encode_event;
use emberkeep_components::protocol::{ErrorCode, ServerEvent};
use emberkeep_components::pvp::{
    DUEL_KEEP_RANGE, DUEL_RANGE, DUEL_REQUEST_SECS, DuelAsk, DuelEndReason, Duels,
};
use emberkeep_components::regions::RegionGrid;
use emberkeep_components::stats::ActiveEffects;
use emberkeep_components::story::{StoryEvent, StoryEvents};
use emberkeep_components::text::keys;
use emberkeep_components::world::{NetId, Position, Tick};

use crate::game::channels::{online_named, quoted};
use crate::text::{say_error, say_info};
use crate::{name_of, send_to};

/// Whether `a` and `b` stand within `range` tiles of each other on the same map.
fn near(world: &World, a: Entity, b: Entity, range: i32) -> bool {
    let same_map = world.get::<OnMap>(a) == world.get::<OnMap>(b);
    same_map && crate::world::tiles_of(world, a, b).is_some_and(|(x, y)| x.distance(y) <= range)
}

/// `e` challenges the online player called `name`; if that player challenged `e` first, the
/// duel starts.
pub(crate) fn request(world: &mut World, e: Entity, name: &str) {
    if world.get::<Dead>(e).is_some() {
        return say_error(world, e, ErrorCode::YouAreDead, keys::YOU_ARE_DEAD, &[]);
    }
    let Some(t) = online_named(world, name) else {
        let name = quoted(name);
        let key = keys::NO_SUCH_PLAYER;
        return say_error(world, e, ErrorCode::PlayerOffline, key, &[("name", &name)]);
    };
    if t == e {
        return say_error(world, e, ErrorCode::UnknownTarget, keys::DUEL_SELF, &[]);
    }
    let their = name_of(world, t);
    let args: &[(&str, &dyn std::fmt::Display)] = &[("name", &their)];
    if world.get::<Dead>(t).is_some() {
        return say_error(world, e, ErrorCode::UnknownTarget, keys::DUEL_DEAD, args);
    }
    if !near(world, e, t, DUEL_RANGE) {
        let args: &[(&str, &dyn std::fmt::Display)] = &[("name", &their), ("range", &DUEL_RANGE)];
        return say_error(world, e, ErrorCode::OutOfRange, keys::DUEL_TOO_FAR, args);
    }
    let now = world.resource::<Tick>().0;
    let duels = world.resource::<Duels>();
    if let Some(o) = duels.opponent(e) {
        let name = name_of(world, o);
        let key = keys::DUEL_YOU_BUSY;
        return say_error(world, e, ErrorCode::DuelBusy, key, &[("name", &name)]);
    }
    let asks_other = |x: Entity, not: Entity| {
        duels
            .asks
            .get(&x)
            .is_some_and(|a| a.to != not && now < a.until)
    };
    if duels.opponent(t).is_some() || asks_other(t, e) {
        return say_error(world, e, ErrorCode::DuelBusy, keys::DUEL_BUSY, args);
    }
    let asked_back = duels
        .asks
        .get(&t)
        .is_some_and(|a| a.to == e && now < a.until);
    if asked_back {
        withdraw(world, e);
        world.resource_mut::<Duels>().start(e, t);
        for (me, other) in [(e, t), (t, e)] {
            let with = name_of(world, other);
            let id = world.get::<NetId>(other).map_or(0, |n| n.0);
            send_to(world, me, &ServerEvent::DuelStart { with, id });
        }
        return;
    }
    if asks_other(e, t) {
        withdraw(world, e);
    }
    let rate = u64::from(world.resource::<SimConfig>().tick_rate.max(1));
    let until = now.saturating_add(DUEL_REQUEST_SECS.saturating_mul(rate));
    world
        .resource_mut::<Duels>()
        .asks
        .insert(e, DuelAsk { to: t, until });
    let from = name_of(world, e);
    send_to(world, t, &ServerEvent::DuelRequest { from });
    say_info(
        world,
        e,
        keys::DUEL_ASKED,
        &[("name", &their), ("secs", &DUEL_REQUEST_SECS)],
    );
}

/// `e` forfeits its duel, withdraws its request, or declines the requests sent to it.
pub(crate) fn cancel(world: &mut World, e: Entity) {
    if world
        .resource_mut::<Duels>()
        .end(e, DuelEndReason::Forfeit)
        .is_some()
    {
        return announce_ended(world);
    }
    if world.resource::<Duels>().asks.contains_key(&e) {
        return withdraw(world, e);
    }
    let askers = askers_of(world, e);
    if askers.is_empty() {
        return say_error(world, e, ErrorCode::NotDueling, keys::DUEL_NOT_DUELING, &[]);
    }
    for a in askers {
        world.resource_mut::<Duels>().asks.remove(&a);
        request_off(world, a, e);
    }
}

/// Players with an open request to `e`.
fn askers_of(world: &World, e: Entity) -> Vec<Entity> {
    let duels = world.resource::<Duels>();
    duels
        .asks
        .iter()
        .filter(|(_, a)| a.to == e)
        .map(|(x, _)| *x)
        .collect()
}

/// Takes back `e`'s request, if it has one; both sides are told.
fn withdraw(world: &mut World, e: Entity) {
    if let Some(ask) = world.resource_mut::<Duels>().asks.remove(&e) {
        request_off(world, e, ask.to);
    }
}

/// Tells both sides of a request from `asker` to `asked` that it is off.
fn request_off(world: &mut World, asker: Entity, asked: Entity) {
    for (me, other) in [(asker, asked), (asked, asker)] {
        if world.get_entity(me).is_ok() {
            let name = name_of(world, other);
            say_info(world, me, keys::DUEL_REQUEST_OFF, &[("name", &name)]);
        }
    }
}

/// `e` leaves the world: its duel ends (`left`, `e` losing) and its requests, sent or
/// received, are dropped, everyone involved told.
pub(crate) fn leave(world: &mut World, e: Entity) {
    if world
        .resource_mut::<Duels>()
        .end(e, DuelEndReason::Left)
        .is_some()
    {
        announce_ended(world);
    }
    if let Some(ask) = world.resource_mut::<Duels>().asks.remove(&e) {
        request_off(world, e, ask.to);
    }
    for a in askers_of(world, e) {
        world.resource_mut::<Duels>().asks.remove(&a);
        request_off(world, a, e);
    }
}

/// Each tick (World phase): duels whose sides died, vanished, drifted apart or changed maps
/// end; requests past their time expire; every duel ended this tick is announced. Only the
/// running duels and open requests are looked at.
pub(crate) fn end_broken_duels(world: &mut World) {
    let duels = world.resource::<Duels>();
    if duels.running.is_empty() && duels.asks.is_empty() && duels.ended.is_empty() {
        return;
    }
    let pairs: Vec<(Entity, Entity)> = duels
        .running
        .iter()
        .filter(|(a, b)| a < b)
        .map(|(a, b)| (*a, *b))
        .collect();
    for (a, b) in pairs {
        let gone = [a, b]
            .into_iter()
            .find(|x| world.get::<Position>(*x).is_none() || world.get::<Dead>(*x).is_some());
        let reason = match gone {
            Some(x) => Some((x, DuelEndReason::Left)),
            None if !near(world, a, b, DUEL_KEEP_RANGE) => Some((a, DuelEndReason::TooFar)),
            None => None,
        };
        if let Some((loser, why)) = reason {
            world.resource_mut::<Duels>().end(loser, why);
        }
    }
    let now = world.resource::<Tick>().0;
    let due: Vec<(Entity, Entity)> = (world.resource::<Duels>().asks.iter())
        .filter(|(_, a)| now >= a.until)
        .map(|(e, a)| (*e, a.to))
        .collect();
    for (asker, asked) in due {
        world.resource_mut::<Duels>().asks.remove(&asker);
        request_off(world, asker, asked);
    }
    announce_ended(world);
}

/// Announces the duels ended since the last call: `duel_end` to both sides, the win and the
/// loss counted (`defeat`, `forfeit`), the two's damage over time on each other removed and
/// their attacks on each other stopped.
pub(crate) fn announce_ended(world: &mut World) {
    let ended = std::mem::take(&mut world.resource_mut::<Duels>().ended);
    for end in ended {
        let (winner, loser) = (name_of(world, end.winner), name_of(world, end.loser));
        let event = ServerEvent::DuelEnd {
            winner,
            loser,
            reason: end.reason,
        };
        for (me, other) in [(end.winner, end.loser), (end.loser, end.winner)] {
            if world.get_entity(me).is_err() {
                continue;
            }
            send_to(world, me, &event);
            if let Some(mut t) = world.get_mut::<Target>(me)
                && t.0 == Some(other)
            {
                t.0 = None;
            }
            stop_dots_from(world, me, other);
        }
        if matches!(end.reason, DuelEndReason::Defeat | DuelEndReason::Forfeit) {
            world
                .resource_mut::<StoryEvents>()
                .0
                .push(StoryEvent::DuelWon {
                    winner: end.winner,
                    loser: end.loser,
                });
        }
    }
}

/// Removes the damage over time `source` put on `e` (a finished duel leaves no lasting
/// harm); those who see `e` get an `effect_end` for each.
fn stop_dots_from(world: &mut World, e: Entity, source: Entity) {
    let content = world.resource::<GameContent>().clone();
    let Some(mut effects) = world.get_mut::<ActiveEffects>(e) else {
        return;
    };
    let mut stopped = Vec::new();
    effects.0.retain(|a| {
        let dot = (content.effects.get(&a.effect)).is_some_and(|d| d.kind == EffectKind::Dot);
        let keep = a.source != Some(source) || !dot;
        if !keep {
            stopped.push(a.effect.clone());
        }
        keep
    });
    let (Some(id), Some(tile)) = (
        world.get::<NetId>(e).map(|n| n.0),
        world.get::<Position>(e).map(|p| p.0),
    ) else {
        return;
    };
    let mut grid = world.resource_mut::<RegionGrid>();
    let region = grid.region_of(tile);
    for effect in stopped {
        grid.broadcast(
            region,
            &encode_event(&ServerEvent::EffectEnd { id, effect }),
        );
    }
}
