//! Parties: small groups of players who chat together, share kill experience and see each
//! other's hp. In memory only: a party ends when its last member but one leaves, and leaving
//! the world is leaving the party.

use bevy_ecs::prelude::{Component, Entity, Resource};
use rustc_hash::FxHashMap;

/// Seconds an invite stays open.
pub const INVITE_SECS: u64 = 60;

/// Which party a player is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartyId(pub u64);

/// One party: its leader and its members in the order they joined (the leader among them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub leader: Entity,
    pub members: Vec<Entity>,
}

/// Every party, by id; and the parties whose members are to be sent the `party` event at the
/// end of this tick (at most once each).
#[derive(Resource, Debug, Default)]
pub struct Parties {
    pub by_id: FxHashMap<PartyId, Party>,
    next: u64,
    /// Parties to announce this tick (a party may be listed twice; it is announced once).
    pub dirty: Vec<PartyId>,
    /// Parties whose members' hp, max hp or level changed: announced with the next
    /// [`HP_EVERY`]-th tick, so a fight sends a party a few updates a second, not twenty.
    pub hp_dirty: Vec<PartyId>,
}

/// How often, in parts of a second, parties hear of their members' hp (4: every 250 ms).
pub const HP_PER_SEC: u32 = 4;

/// Every how many ticks hp changes are announced at `tick_rate`.
pub fn hp_every(tick_rate: u32) -> u64 {
    u64::from((tick_rate / HP_PER_SEC).max(1))
}

impl Parties {
    /// Starts a party of `leader` and `member`; returns its id.
    pub fn create(&mut self, leader: Entity, member: Entity) -> PartyId {
        self.next = self.next.wrapping_add(1);
        let id = PartyId(self.next);
        self.by_id.insert(
            id,
            Party {
                leader,
                members: vec![leader, member],
            },
        );
        id
    }

    /// Marks a party to be announced to its members at the end of the tick.
    pub fn mark(&mut self, id: PartyId) {
        self.dirty.push(id);
    }

    /// Marks a party whose member's hp, max hp or level changed (announced at most
    /// [`HP_PER_SEC`] times a second).
    pub fn mark_hp(&mut self, id: PartyId) {
        self.hp_dirty.push(id);
    }

    /// Takes `e` out of party `id`: the longest-standing member leads if `e` led; a party left
    /// with one member ends.
    pub fn remove(&mut self, id: PartyId, e: Entity) -> Removed {
        let Some(party) = self.by_id.get_mut(&id) else {
            return Removed::NotThere;
        };
        let before = party.members.len();
        party.members.retain(|m| *m != e);
        if party.members.len() == before {
            return Removed::NotThere;
        }
        if party.members.len() <= 1 {
            let alone = party.members.first().copied();
            self.by_id.remove(&id);
            return Removed::Dissolved { alone };
        }
        if party.leader == e {
            party.leader = party.members[0];
        }
        self.mark(id);
        Removed::Left
    }
}

/// What [`Parties::remove`] came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removed {
    /// `e` was not in that party.
    NotThere,
    /// `e` left; the party goes on (and is marked to be announced).
    Left,
    /// The party ended; `alone` is the member left without a party.
    Dissolved { alone: Option<Entity> },
}

/// A player's party, and the hp, max hp and level its party was last told.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartyMember {
    pub party: PartyId,
    /// (hp, max hp, level) as last announced to the party.
    pub shown: (i32, i32, u32),
}

/// The latest party invite a player got: from whom, and until which tick it is open.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct PartyInvite {
    pub from: Entity,
    pub until: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entities() -> [Entity; 4] {
        let mut w = bevy_ecs::world::World::new();
        [(); 4].map(|_| w.spawn_empty().id())
    }

    #[test]
    fn the_longest_standing_member_leads_after_the_leader_and_one_alone_ends_it() {
        let [a, b, c, d] = entities();
        let mut p = Parties::default();
        let id = p.create(a, b);
        p.by_id.get_mut(&id).unwrap().members.push(c);
        p.dirty.clear();
        assert_eq!(p.remove(id, d), Removed::NotThere);
        assert_eq!(p.remove(id, a), Removed::Left);
        assert_eq!(p.by_id[&id].leader, b);
        assert_eq!(p.dirty, vec![id]);
        assert_eq!(p.remove(id, b), Removed::Dissolved { alone: Some(c) });
        assert!(p.by_id.is_empty());
        assert_eq!(p.remove(id, c), Removed::NotThere);
    }
}

/// The names of a player's party-mates who play on other processes of a cluster (they went
/// there, or this player came from there): party chat lines reach them over the cluster.
/// The party itself (roster, shared experience) is per process.
#[derive(bevy_ecs::prelude::Component, Debug, Clone, Default, PartialEq, Eq)]
pub struct PartyAway(pub Vec<String>);
