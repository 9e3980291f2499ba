//! The world hash: one number that changes when any state that matters changes. A replay
//! (`emberkeep replay`) compares it with the recorded run's; scenario tests compare two worlds.
//!
//! It is stable: a fixed, unkeyed hasher (Fx) over a canonical encoding, entities in id order,
//! never the iteration order of a hash map. Bevy hands out the same entity ids for the same
//! operations, so the ids themselves are part of the state.

use std::hash::Hasher;

use bevy_ecs::prelude::{Entity, World};
use emberkeep_components::atlas::Door;
use emberkeep_components::combat::Dead;
use emberkeep_components::economy::{Bank, Purse, ShopStock};
use emberkeep_components::items::{Equipment, GroundItem, Inventory, ItemIds, ItemInstance};
use emberkeep_components::map::Tile;
use emberkeep_components::mobs::{AiState, Mind, Mob};
use emberkeep_components::stats::{ActiveEffects, Experience, Level, Vitals};
use emberkeep_components::story::{StoryState, WorldFlags};
use emberkeep_components::world::{DisplayName, Kind, NetId, Position, Tick};
use rand_core::Rng;
use rustc_hash::FxHasher;

use crate::rng::WorldRng;
use crate::story::triggers::TriggerCooldowns;

/// A stable hash of the state that matters: the tick, the RNG's state, the next item id, the
/// world flags, trigger cooldowns, shop stock and, for every entity in id order, its kind, net id, name or template,
/// position, vitals, level and experience, items (inventory, equipment, bank, on the ground)
/// with their ids and counts, gold, effects, door state, death and AI state, and story state.
pub fn world_hash(world: &mut World) -> u64 {
    let mut h = Canon(FxHasher::default());
    h.u64(world.resource::<Tick>().0);
    // The generator's state, read through a copy so the world's is left alone.
    h.u64(world.resource::<WorldRng>().0.clone().next_u64());
    h.u64(world.resource::<ItemIds>().peek());
    let flags = &world.resource::<WorldFlags>().0;
    h.u64(flags.len() as u64);
    for f in flags {
        h.str(f);
    }
    // Trigger cooldowns (when each may fire again) and shop stock, in key order.
    let mut cooldowns: Vec<_> = world.resource::<TriggerCooldowns>().0.iter().collect();
    cooldowns.sort_unstable();
    h.u64(cooldowns.len() as u64);
    for ((trigger, player), until) in cooldowns {
        h.str(trigger);
        h.u64(player.map_or(u64::MAX, Entity::to_bits));
        h.u64(*until);
    }
    let mut stock: Vec<_> = world.resource::<ShopStock>().0.iter().collect();
    stock.sort_unstable();
    h.u64(stock.len() as u64);
    for ((shop, item), (sold, full_at)) in stock {
        h.str(shop);
        h.str(item);
        h.u64(u64::from(*sold));
        h.u64(*full_at);
    }
    let mut q = world.query::<(Entity, &Kind)>();
    let mut entities: Vec<Entity> = q.iter(world).map(|(e, _)| e).collect();
    entities.sort();
    h.u64(entities.len() as u64);
    for e in entities {
        let at = world.entity(e);
        let kind = at.get::<Kind>().map(|k| k.0 as u64);
        let (net, name, mob, pos) = (
            at.get::<NetId>(),
            at.get::<DisplayName>(),
            at.get::<Mob>(),
            at.get::<Position>(),
        );
        let (vitals, inv, eq, fx) = (
            at.get::<Vitals>(),
            at.get::<Inventory>(),
            at.get::<Equipment>(),
            at.get::<ActiveEffects>(),
        );
        let level = at.get::<Level>().zip(at.get::<Experience>());
        let purse = at.get::<Purse>().zip(at.get::<Bank>());
        let (ground, door, dead) = (at.get::<GroundItem>(), at.get::<Door>(), at.get::<Dead>());
        let (mind, story) = (at.get::<Mind>(), at.get::<StoryState>());
        h.u64(e.to_bits());
        h.opt(kind, |h, k| h.u64(k));
        h.opt(net, |h, n| h.u64(n.0));
        h.opt(name, |h, n| h.str(&n.0));
        h.opt(mob, |h, m| h.str(&m.template));
        h.opt(pos, |h, p| {
            h.i32(p.0.x);
            h.i32(p.0.y);
        });
        h.opt(vitals, |h, v| {
            for n in [v.hp, v.max_hp, v.mp, v.max_mp] {
                h.i32(n);
            }
        });
        h.opt(level, |h, (l, xp)| {
            h.u64(u64::from(l.0));
            h.u64(xp.0);
        });
        h.opt(inv, |h, i| h.items(&i.items));
        h.opt(eq, |h, eq| {
            h.u64(eq.0.len() as u64);
            for (slot, item) in &eq.0 {
                h.u64(*slot as u64);
                h.item(item);
            }
        });
        h.opt(purse, |h, (p, bank)| {
            h.u64(p.gold);
            h.u64(p.bank_gold);
            h.items(&bank.0.items);
        });
        h.opt(fx, |h, fx| {
            h.u64(fx.0.len() as u64);
            for f in &fx.0 {
                h.str(&f.effect);
                for n in [f.stacks, f.remaining, f.next_pulse] {
                    h.u64(u64::from(n));
                }
                h.i32(f.shield);
                h.u64(f.source.map_or(u64::MAX, Entity::to_bits));
            }
        });
        h.opt(ground, |h, g| {
            h.item(&g.item);
            h.opt(g.owner.as_deref(), |h, owner| h.str(owner));
            h.u64(g.owner_until);
            h.u64(g.despawn_at);
        });
        h.opt(door, |h, d| {
            h.u64(u64::from(d.open));
            h.u64(u64::from(d.locked));
        });
        h.opt(dead, |h, d| h.u64(d.respawn_at));
        h.opt(mind, |h, m| h.ai(&m.state));
        // Debug output of plain data (BTree maps and sets, numbers) is canonical.
        h.opt(story, |h, s| h.str(&format!("{s:?}")));
    }
    h.0.finish()
}

/// Feeds a hasher a canonical encoding: fixed-width numbers, length-prefixed strings, a tag
/// for every optional part.
struct Canon(FxHasher);

impl Canon {
    fn u64(&mut self, n: u64) {
        self.0.write_u64(n);
    }

    fn i32(&mut self, n: i32) {
        self.0.write_u64(n as u32 as u64);
    }

    fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.0.write(s.as_bytes());
    }

    fn opt<T>(&mut self, part: Option<T>, f: impl FnOnce(&mut Self, T)) {
        match part {
            None => self.u64(0),
            Some(p) => {
                self.u64(1);
                f(self, p);
            }
        }
    }

    fn ai(&mut self, state: &AiState) {
        let tile = |h: &mut Self, t: &Tile| {
            h.i32(t.x);
            h.i32(t.y);
        };
        match state {
            AiState::Idle { until } => {
                self.u64(0);
                self.u64(*until);
            }
            AiState::Wander { goal } => {
                self.u64(1);
                tile(self, goal);
            }
            AiState::Chase { target } => {
                self.u64(2);
                self.u64(target.to_bits());
            }
            AiState::Return => self.u64(3),
            AiState::Flee { from, until } => {
                self.u64(4);
                self.u64(from.to_bits());
                self.u64(*until);
            }
        }
    }

    fn item(&mut self, i: &ItemInstance) {
        self.u64(i.id);
        self.str(&i.template);
        self.u64(u64::from(i.count));
    }

    fn items(&mut self, items: &[ItemInstance]) {
        self.u64(items.len() as u64);
        for i in items {
            self.item(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use emberkeep_components::map::Tile;
    use emberkeep_components::protocol::ClientMsg;

    use super::world_hash;
    use crate::scenario::Scenario;

    /// The common fixture with a rat next to the spawn, a guest attacking it (the RNG rolls
    /// hits and crits), walking and chatting; `last_step` is where the guest's final step goes.
    /// Returns the world hash after every tick.
    fn fight(last_step: (i32, i32)) -> Vec<u64> {
        let mut s = Scenario::field();
        let mut hashes = Vec::new();
        let (_, rat) = s.spawn_mob("rat", Tile { x: 5, y: 3 });
        let (conn, _) = s.join("Ann");
        s.step(conn, 4, 3);
        s.send(conn, ClientMsg::Attack { target: rat });
        s.send(
            conn,
            ClientMsg::Say {
                text: "hello".into(),
            },
        );
        for _ in 0..120 {
            s.tick();
            hashes.push(world_hash(&mut s.world));
        }
        s.step(conn, last_step.0, last_step.1);
        for _ in 0..5 {
            s.tick();
            hashes.push(world_hash(&mut s.world));
        }
        hashes
    }

    #[test]
    fn two_worlds_fed_the_same_inputs_hash_the_same_every_tick() {
        // Two worlds in one process: every std HashMap in them has its own random seed, so an
        // outcome that depended on a map's order would show up here.
        let (a, b) = (fight((4, 4)), fight((4, 4)));
        assert_eq!(a, b);
        // The hash moves with the world (the tick at least), so equal lists are not vacuous.
        assert!(a.windows(2).all(|w| w[0] != w[1]));
    }

    #[test]
    fn one_different_input_changes_the_hash_from_its_tick_on() {
        let (a, b) = (fight((4, 4)), fight((4, 2)));
        assert_eq!(a[..120], b[..120], "the same until the last step");
        assert_ne!(a[120..], b[120..]);
    }
}
