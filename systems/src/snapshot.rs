//! The world's own state across restarts: items on the ground, doors, world flags, the tick
//! (the phase of timer triggers) and world-wide trigger cooldowns. [`take`] builds the
//! snapshot that `session::saves::flush_saves` puts into a save batch every
//! `snapshot_interval_ticks` and on shutdown; [`restore`] puts a stored one back into a
//! freshly built world before it runs.
//!
//! Ground items also travel between snapshots: every item that lands on or leaves the ground
//! is noted in `GroundChanges` and written with the tick's batch — in the same batch as the
//! character it came from or went to — so a crash never leaves a stored item both on the
//! ground and with a character. What nobody had (mob loot, expiries) may wait for the next
//! batch; a crash loses at most that.

use bevy_ecs::prelude::*;
use emberkeep_components::atlas::{Door, DoorEntities, Maps};
use emberkeep_components::content::GameContent;
use emberkeep_components::items::{GroundItem, ItemIds, ItemInstance};
use emberkeep_components::map::Tile;
use emberkeep_components::persist::{DoorRecord, MapRecord, WorldRecord, WorldSnapshot};
use emberkeep_components::story::WorldFlags;
use emberkeep_components::world::{Position, Tick};

use crate::story::triggers::TriggerCooldowns;

/// The world's state now, as stored.
pub(crate) fn take(world: &mut World) -> WorldSnapshot {
    let now = world.resource::<Tick>().0;
    let record = WorldRecord {
        tick: now,
        flags: world.resource::<WorldFlags>().0.clone(),
        trigger_cooldowns: world.resource::<TriggerCooldowns>().world_wide(now),
    };
    let maps = world.resource::<Maps>();
    let doors = world.resource::<DoorEntities>();
    // In a cluster, each process stores the maps it hosts (and their ground) only.
    let cluster = world.resource::<emberkeep_components::cluster::Cluster>();
    let map_records = (maps.all().iter().enumerate())
        .filter(|(_, def)| cluster.hosts(&def.name))
        .map(|(m, def)| MapRecord {
            map: def.name.clone(),
            doors: (def.doors.iter().enumerate())
                .filter_map(|(i, d)| {
                    let e = *doors.0.get(m)?.get(i)?;
                    let state = world.get::<Door>(e)?;
                    Some(DoorRecord {
                        name: d.name.clone(),
                        open: state.open,
                        locked: state.locked,
                    })
                })
                .collect(),
        })
        .collect();
    let mut q = world.query::<(&GroundItem, &Position)>();
    let maps = world.resource::<Maps>();
    let mut ground: Vec<_> = (q.iter(world))
        .map(|(g, p)| crate::game::loot::record(maps, g, p.0))
        .collect();
    ground.sort_unstable_by_key(|g| g.item.id);
    WorldSnapshot {
        world: record,
        maps: map_records,
        ground,
    }
}

/// Puts a stored snapshot back into a world that has not run yet: the tick, world flags and
/// trigger cooldowns, door states (and the tiles they block), and ground items with what is
/// left of their ownership and time (never more than a fresh drop gets). Records naming a
/// map, door, trigger or item template the content no longer has are skipped; the returned
/// lines say which and why, for the log.
pub fn restore(world: &mut World, snapshot: WorldSnapshot) -> Vec<String> {
    let mut skipped = Vec::new();
    let now = snapshot.world.tick;
    world.resource_mut::<Tick>().0 = now;
    world.resource_mut::<WorldFlags>().0 = snapshot.world.flags;
    let content = world.resource::<GameContent>().clone();
    for (id, until) in snapshot.world.trigger_cooldowns {
        if content.story.triggers.contains_key(&id) {
            world.resource_mut::<TriggerCooldowns>().restore(id, until);
        } else {
            skipped.push(format!(
                "world snapshot: cooldown of trigger {id:?} skipped: no such trigger in triggers.toml"
            ));
        }
    }
    let cluster = world
        .resource::<emberkeep_components::cluster::Cluster>()
        .clone();
    for m in snapshot.maps {
        if !cluster.hosts(&m.map) {
            continue; // another process of the cluster keeps it
        }
        if world.resource::<Maps>().by_name(&m.map).is_none() {
            skipped.push(format!(
                "world snapshot: doors of map {:?} skipped: no such map in assets/maps",
                m.map
            ));
            continue;
        }
        for d in m.doors {
            if crate::world::doors::restore_door(world, &m.map, &d.name, d.open, d.locked).is_none()
            {
                skipped.push(format!(
                    "world snapshot: door {:?} of map {:?} skipped: the map has no such door",
                    d.name, m.map
                ));
            }
        }
    }
    let rules = content.rules.loot.clone();
    let mut highest = 0;
    for g in snapshot.ground {
        if !cluster.hosts(&g.map) {
            continue;
        }
        let what = format!(
            "ground item {} ({} x{})",
            g.item.id, g.item.template, g.item.count
        );
        let maps = world.resource::<Maps>();
        let Some(m) = maps.by_name(&g.map) else {
            skipped.push(format!(
                "world snapshot: {what} skipped: no map {:?} in assets/maps",
                g.map
            ));
            continue;
        };
        let Some(tile) = maps.to_global(m, Tile { x: g.x, y: g.y }) else {
            skipped.push(format!(
                "world snapshot: {what} skipped: ({}, {}) is off map {:?}",
                g.x, g.y, g.map
            ));
            continue;
        };
        if !content.items.contains_key(&g.item.template) {
            skipped.push(format!(
                "world snapshot: {what} skipped: no item template {:?} in items.toml",
                g.item.template
            ));
            continue;
        }
        highest = highest.max(g.item.id);
        let ground = GroundItem {
            item: ItemInstance {
                id: g.item.id,
                template: g.item.template,
                count: g.item.count,
            },
            owner: g.owner.map(String::into_boxed_str),
            owner_until: (g.owner_until).min(now.saturating_add(u64::from(rules.owner_ticks))),
            despawn_at: (g.despawn_at).min(now.saturating_add(u64::from(rules.despawn_ticks))),
        };
        crate::game::loot::spawn_ground(world, ground, tile);
    }
    // Ids never repeat: the next one is above every item now on the ground.
    world.resource_mut::<ItemIds>().lift_above(highest);
    skipped
}

#[cfg(test)]
#[path = "snapshot_tests.rs"]
mod tests;
