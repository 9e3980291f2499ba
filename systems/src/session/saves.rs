//! Saving characters: periodically for characters whose state changed, at once for key events
//! (level-up, death, logout) and, for an item moving between two characters, one batch holding
//! both — the storage writes a batch atomically, so an item is never saved in two places or
//! none. Everything one tick saves leaves as ONE batch ([`SaveSoon`], [`flush_saves`]).

use bevy_ecs::prelude::*;
use emberkeep_components::atlas::Maps;
use emberkeep_components::config::SimConfig;
use emberkeep_components::economy::{Bank, Purse};
use emberkeep_components::guild::{GuildRecord, Guilds};
use emberkeep_components::items::{Equipment, Inventory, ItemIds};
use emberkeep_components::persist::{
    AccountCharacter, CharacterRecord, EffectRecord, GroundChanges, SaveBatch, SaveDirty,
    SaveReason, SaveSoon, StorageOut, StorageRequest, WorldSave,
};
use emberkeep_components::social::{Friends, Ignores};
use emberkeep_components::stats::{ActiveEffects, ClassId, Experience, Level, Vitals};
use emberkeep_components::world::{DisplayName, Position, Tick};

use super::enter::record_of;

/// What storage keeps of a character, or `None` for guests.
pub(crate) fn snapshot(world: &World, e: Entity) -> Option<CharacterRecord> {
    let account = world.get::<AccountCharacter>(e)?;
    record(world, e, &account.account)
}

/// What `e` would be saved as, as a character of `account` (guests are never saved, but
/// staff may look at what they carry).
pub(crate) fn record(world: &World, e: Entity, account: &str) -> Option<CharacterRecord> {
    let pos = world.get::<Position>(e)?.0;
    let vitals = world.get::<Vitals>(e)?;
    let purse = world.get::<Purse>(e).copied().unwrap_or_default();
    // Stored in the map's own tiles, so moving maps around in the atlas keeps saves valid.
    let maps = world.resource::<Maps>();
    let (map, pos) = match maps.to_local(pos) {
        Some((m, local)) => (maps.get(m).map(|d| d.name.clone()), local),
        None => (Some(maps.start().name.clone()), pos),
    };
    Some(CharacterRecord {
        name: world.get::<DisplayName>(e)?.0.to_string(),
        account: account.to_string(),
        class: world.get::<ClassId>(e)?.0.clone(),
        level: world.get::<Level>(e)?.0,
        xp: world.get::<Experience>(e)?.0,
        map,
        x: pos.x,
        y: pos.y,
        hp: vitals.hp,
        mp: vitals.mp,
        inventory: world
            .get::<Inventory>(e)?
            .items
            .iter()
            .map(record_of)
            .collect(),
        equipment: world
            .get::<Equipment>(e)?
            .0
            .iter()
            .map(|(s, i)| (*s, record_of(i)))
            .collect(),
        effects: world
            .get::<ActiveEffects>(e)?
            .0
            .iter()
            .map(|a| EffectRecord {
                effect: a.effect.clone(),
                stacks: a.stacks,
                remaining: a.remaining,
                next_pulse: a.next_pulse,
            })
            .collect(),
        story: Box::new(
            world
                .get::<emberkeep_components::story::StoryState>(e)
                .cloned()
                .unwrap_or_default(),
        ),
        friends: world
            .get::<Friends>(e)
            .map(|f| f.0.0.clone())
            .unwrap_or_default(),
        ignores: world
            .get::<Ignores>(e)
            .map(|i| i.0.0.clone())
            .unwrap_or_default(),
        gold: purse.gold,
        bank: world
            .get::<Bank>(e)
            .map(|b| b.0.items.iter().map(record_of).collect())
            .unwrap_or_default(),
        bank_gold: purse.bank_gold,
        skills: world
            .get::<emberkeep_components::skills::Skills>(e)
            .map(|s| s.0.clone())
            .unwrap_or_default(),
        cooldowns: {
            let now = world.resource::<emberkeep_components::world::Tick>().0;
            world
                .get::<emberkeep_components::abilities::Cooldowns>(e)
                .map(|c| {
                    (c.0.keys())
                        .map(|id| (id.clone(), c.left(id, now)))
                        .filter(|(_, left)| *left > 0)
                        .collect()
                })
                .unwrap_or_default()
        },
    })
}

/// Snapshots these characters now into this tick's batch (guests are skipped); for
/// characters about to leave the world.
pub(crate) fn save_now(world: &mut World, entities: &[Entity], reason: SaveReason) {
    let records: Vec<CharacterRecord> = entities
        .iter()
        .filter_map(|e| snapshot(world, *e))
        .collect();
    for e in entities {
        if let Ok(mut entity) = world.get_entity_mut(*e) {
            entity.remove::<SaveDirty>();
        }
    }
    let mut soon = world.resource_mut::<SaveSoon>();
    soon.records.extend(records);
    soon.note(reason);
}

/// Saves every account character at once (graceful shutdown).
pub(crate) fn save_everyone(world: &mut World, reason: SaveReason) {
    let all: Vec<Entity> = {
        let mut q = world.query_filtered::<Entity, With<AccountCharacter>>();
        q.iter(world).collect()
    };
    save_now(world, &all, reason);
}

/// Marks account characters whose saved state fell behind.
pub(crate) fn mark_dirty(
    changed: Query<
        Entity,
        (
            With<AccountCharacter>,
            Without<SaveDirty>,
            Or<(
                Changed<Position>,
                Changed<Vitals>,
                Changed<Inventory>,
                Changed<Equipment>,
                Changed<Experience>,
                Changed<ActiveEffects>,
                Changed<emberkeep_components::story::StoryState>,
                Changed<Friends>,
                Changed<Ignores>,
                Changed<emberkeep_components::skills::Skills>,
            )>,
        ),
    >,
    mut commands: Commands,
) {
    for e in &changed {
        commands.entity(e).insert(SaveDirty);
    }
}

/// Sends this tick's saves as one batch: characters asked for (snapshotted now), those that
/// left (snapshotted as they left), and every `save_interval_ticks` all dirty characters.
pub(crate) fn flush_saves(world: &mut World) {
    let mut soon = std::mem::take(&mut *world.resource_mut::<SaveSoon>());
    let interval = world.resource::<SimConfig>().save_interval_ticks.max(1);
    if world.resource::<Tick>().0.is_multiple_of(interval) {
        let mut q = world.query_filtered::<Entity, (With<SaveDirty>, With<AccountCharacter>)>();
        let dirty: Vec<Entity> = q.iter(world).collect();
        if !dirty.is_empty() {
            soon.add(&dirty, SaveReason::Periodic);
        }
    }
    let mut seen = std::collections::HashSet::new();
    let mut characters = std::mem::take(&mut soon.records);
    for e in soon.entities {
        if seen.insert(e)
            && let Some(record) = snapshot(world, e)
        {
            characters.push(record);
            world.entity_mut(e).remove::<SaveDirty>();
        }
    }
    let (guilds, removed_guilds) = guild_changes(world, soon.guilds);
    // The other processes of a cluster keep a copy of every guild.
    let changed: Vec<_> = (guilds.iter())
        .map(|g| (g.key(), Some(Box::new(g.clone()))))
        .chain(removed_guilds.iter().map(|k| (k.clone(), None)))
        .collect();
    for (key, record) in changed {
        let change = emberkeep_components::cluster::Shared::GuildChanged { key, record };
        crate::cluster::send(
            world,
            emberkeep_components::cluster::ClusterSend::Shared(change),
        );
    }
    let world_save = world_changes(world, &mut soon.reason);
    let leases = std::mem::take(&mut soon.leases);
    if !leases.is_empty() {
        soon.reason.get_or_insert(SaveReason::Logout);
    }
    let nothing = characters.is_empty()
        && guilds.is_empty()
        && removed_guilds.is_empty()
        && world_save.is_empty()
        && leases.is_empty();
    let (Some(reason), false) = (soon.reason, nothing) else {
        // Ground changes nobody asked to save yet wait for the next batch.
        let mut changes = world.resource_mut::<GroundChanges>();
        for r in world_save.ground_put {
            changes.items.entry(r.item.id).or_insert(Some(r));
        }
        for id in world_save.ground_taken {
            changes.items.entry(id).or_insert(None);
        }
        return;
    };
    let next_item_id = world.resource::<ItemIds>().peek();
    world
        .resource_mut::<StorageOut>()
        .0
        .push(StorageRequest::Save(SaveBatch {
            characters,
            guilds,
            removed_guilds,
            next_item_id,
            reason,
            world: world_save,
            leases,
        }));
}

/// The world's part of this tick's batch: a whole snapshot every `snapshot_interval_ticks`
/// (or when one was asked for), else the ground changes since the last batch. Taking them
/// empties [`GroundChanges`]; a snapshot notes [`SaveReason::World`].
fn world_changes(world: &mut World, reason: &mut Option<SaveReason>) -> WorldSave {
    let every = world.resource::<SimConfig>().snapshot_interval_ticks.max(1);
    let due = world.resource::<Tick>().0.is_multiple_of(every);
    let changes = std::mem::take(&mut *world.resource_mut::<GroundChanges>());
    if due || changes.snapshot_now {
        // The snapshot holds every ground item as it is now: the changes are in it.
        reason.get_or_insert(SaveReason::World);
        return WorldSave {
            snapshot: Some(Box::new(crate::snapshot::take(world))),
            ..WorldSave::default()
        };
    }
    let mut save = WorldSave::default();
    for (id, change) in changes.items {
        match change {
            Some(r) => save.ground_put.push(r),
            None => save.ground_taken.push(id),
        }
    }
    save
}

/// The guilds changed this tick as they are now, and the keys of those that are gone.
fn guild_changes(world: &World, mut keys: Vec<String>) -> (Vec<GuildRecord>, Vec<String>) {
    keys.sort_unstable();
    keys.dedup();
    let guilds = world.resource::<Guilds>();
    let (kept, gone): (Vec<String>, Vec<String>) =
        keys.into_iter().partition(|k| guilds.get(k).is_some());
    let kept = kept.iter().filter_map(|k| guilds.get(k).cloned()).collect();
    (kept, gone)
}

#[cfg(test)]
mod tests {
    use emberkeep_components::config::SimConfig;
    use emberkeep_components::map::Tile;
    use emberkeep_components::persist::SaveReason;
    use emberkeep_components::protocol::ClientMsg;

    use crate::scenario::{Scenario, open_map};
    use crate::session::tests::{account_player, saves};

    /// Regression: two gives in one tick were saved as two batches snapshotted at the same
    /// moment; a crash between them stored the middle player's new item twice.
    #[test]
    fn regression_gives_in_one_tick_are_saved_as_one_batch() {
        let mut s = Scenario::new(open_map(8, 8, Tile { x: 2, y: 2 }), SimConfig::default());
        let (a, _) = account_player(&mut s, "Ann");
        let (b, bob) = account_player(&mut s, "Bob");
        let (_c, cid) = account_player(&mut s, "Cid");
        let x = s.grant(a, "sword", 1);
        let y = s.grant(b, "helm", 1);
        s.tick();
        saves(&mut s);
        s.send(
            b,
            ClientMsg::Give {
                item: y,
                to: cid,
                count: None,
            },
        );
        s.send(
            a,
            ClientMsg::Give {
                item: x,
                to: bob,
                count: None,
            },
        );
        s.tick();
        let got = saves(&mut s);
        assert_eq!(got.len(), 1, "{got:?}");
        let (reason, mut names) = got[0].clone();
        names.sort();
        assert_eq!(
            (reason, names),
            (
                SaveReason::Transfer,
                vec!["Ann".to_string(), "Bob".into(), "Cid".into()]
            )
        );
    }

    #[test]
    fn guests_are_never_saved_and_quiet_ticks_save_nothing() {
        let mut s = Scenario::new(open_map(8, 8, Tile { x: 2, y: 2 }), SimConfig::default());
        let (a, _) = s.join("Guest");
        let (_b, bob) = s.join("Other");
        let x = s.grant(a, "sword", 1);
        s.send(
            a,
            ClientMsg::Give {
                item: x,
                to: bob,
                count: None,
            },
        );
        s.ticks(3);
        assert!(saves(&mut s).is_empty());
    }
}
