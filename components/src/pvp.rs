//! Players fighting players: the running duels and the duel requests waiting for an answer
//! ([`Duels`]), the duel distances and times, and why a duel ended ([`DuelEndReason`]).
//! The rule of who may harm whom is `systems::game::pvp::may_harm`.

use std::collections::BTreeMap;

use bevy_ecs::prelude::{Entity, Resource};
use serde::{Deserialize, Serialize};

/// How near (Chebyshev tiles, same map) the asked player must stand for a duel request.
pub const DUEL_RANGE: i32 = 10;

/// How far apart two duelists may drift before their duel ends (`too_far`).
pub const DUEL_KEEP_RANGE: i32 = 20;

/// How long a duel request stays open, in seconds.
pub const DUEL_REQUEST_SECS: u64 = 30;

/// Why a duel ended, as `duel_end` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuelEndReason {
    /// The loser would have dropped to 0 hp: it stays at 1 hp and loses.
    Defeat,
    /// The loser gave up (`duel_cancel`).
    Forfeit,
    /// The loser left the world, or died to someone else.
    Left,
    /// The two drifted more than [`DUEL_KEEP_RANGE`] tiles apart or onto other maps; nobody
    /// wins (`winner` and `loser` only name the two sides).
    TooFar,
}

/// A duel request `from` sent, open until tick `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DuelAsk {
    pub to: Entity,
    pub until: u64,
}

/// A duel that ended and is still to be announced (and counted) by the World phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DuelEnded {
    pub winner: Entity,
    pub loser: Entity,
    pub reason: DuelEndReason,
}

/// Every running duel and open duel request. Ordered maps: whatever walks them does so in
/// the same order every run.
#[derive(Resource, Debug, Default)]
pub struct Duels {
    /// Each duelist → its opponent (both directions are kept).
    pub running: BTreeMap<Entity, Entity>,
    /// Asker → its open request.
    pub asks: BTreeMap<Entity, DuelAsk>,
    /// Duels that ended this tick, in order, for the World phase to announce.
    pub ended: Vec<DuelEnded>,
}

impl Duels {
    /// `e`'s opponent in a running duel.
    pub fn opponent(&self, e: Entity) -> Option<Entity> {
        self.running.get(&e).copied()
    }

    /// Whether `a` and `b` duel each other.
    pub fn dueling(&self, a: Entity, b: Entity) -> bool {
        !self.running.is_empty() && self.running.get(&a) == Some(&b)
    }

    /// Starts a duel between `a` and `b` (their requests are dropped).
    pub fn start(&mut self, a: Entity, b: Entity) {
        self.asks.remove(&a);
        self.asks.remove(&b);
        self.running.insert(a, b);
        self.running.insert(b, a);
    }

    /// Ends `loser`'s running duel for `reason`, queueing it to be announced; returns the
    /// winner, or `None` when `loser` duels nobody.
    pub fn end(&mut self, loser: Entity, reason: DuelEndReason) -> Option<Entity> {
        let winner = self.running.remove(&loser)?;
        self.running.remove(&winner);
        self.ended.push(DuelEnded {
            winner,
            loser,
            reason,
        });
        Some(winner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duel_is_kept_both_ways_and_ends_for_both() {
        let mut w = bevy_ecs::world::World::new();
        let (a, b, c) = (
            w.spawn_empty().id(),
            w.spawn_empty().id(),
            w.spawn_empty().id(),
        );
        let mut d = Duels::default();
        d.asks.insert(a, DuelAsk { to: b, until: 10 });
        d.start(a, b);
        assert!(d.asks.is_empty());
        assert!(d.dueling(a, b) && d.dueling(b, a) && !d.dueling(a, c));
        assert_eq!(d.end(b, DuelEndReason::Forfeit), Some(a));
        assert!(d.running.is_empty());
        assert_eq!(d.end(b, DuelEndReason::Forfeit), None);
        assert_eq!(
            d.ended,
            vec![DuelEnded {
                winner: a,
                loser: b,
                reason: DuelEndReason::Forfeit
            }]
        );
    }
}
