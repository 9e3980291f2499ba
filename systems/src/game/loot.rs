//! Items on the ground: loot dropped by dying mobs (owned by the killer for a while, then
//! free for all) and items players drop; both disappear after a while.
//!
//! Every item that lands on or leaves the ground is noted in [`GroundChanges`], which the
//! tick's save batch carries (with the character it came from or went to, when there is
//! one), so a stored item is on the ground or with a character, never both.

use bevy_ecs::prelude::*;
use emberkeep_components::atlas::Maps;
use emberkeep_components::content::GameContent;
use emberkeep_components::items::{GroundItem, ItemIds, ItemInstance};
use emberkeep_components::map::Tile;
use emberkeep_components::persist::{GroundChanges, GroundRecord, ItemRecord};
use emberkeep_components::protocol::EntityKind;
use emberkeep_components::world::{
    DisplayName, Kind, NetIds, NetIndex, Position, RegionCell, Tick,
};

use crate::world::regions;

/// Queues a new stack of `template` (fresh item id) to land on `tile`, owned by `owner` for
/// the configured time.
pub(crate) fn queue_drop(
    commands: &mut Commands,
    template: &str,
    count: u32,
    tile: Tile,
    owner: Option<Entity>,
    tick: u64,
) {
    let template = template.to_string();
    commands.queue(move |world: &mut World| {
        let id = world.resource_mut::<ItemIds>().allocate();
        let item = ItemInstance {
            id,
            template,
            count,
        };
        place_on_ground(world, item, tile, owner, tick);
    });
}

/// Puts an existing item instance on the ground (it keeps its id), owned by `owner` (a
/// player) for the configured time.
pub(crate) fn place_on_ground(
    world: &mut World,
    item: ItemInstance,
    tile: Tile,
    owner: Option<Entity>,
    tick: u64,
) -> Entity {
    let rules = world.resource::<GameContent>().rules.loot.clone();
    let owner = owner.map(|o| crate::name_of(world, o).to_lowercase().into_boxed_str());
    let ground = GroundItem {
        owner_until: if owner.is_some() {
            tick + u64::from(rules.owner_ticks)
        } else {
            tick
        },
        owner,
        item,
        despawn_at: tick + u64::from(rules.despawn_ticks),
    };
    let e = spawn_ground(world, ground, tile);
    note_change(world, e);
    e
}

/// Spawns a ground item entity as it is (a restored one, or a new one).
pub(crate) fn spawn_ground(world: &mut World, ground: GroundItem, tile: Tile) -> Entity {
    let content = world.resource::<GameContent>().clone();
    let name = content
        .items
        .get(&ground.item.template)
        .map(|d| d.name.clone())
        .unwrap_or_else(|| ground.item.template.clone());
    let id = world.resource_mut::<NetIds>().allocate();
    let e = world
        .spawn((
            ground,
            id,
            Position(tile),
            DisplayName(name.into()),
            Kind(EntityKind::Item),
            RegionCell::NONE,
        ))
        .id();
    world.resource_mut::<NetIndex>().0.insert(id.0, e);
    e
}

/// Takes a ground item out of the world (picked up, or its time is up), noting it for the
/// next save batch.
pub(crate) fn take_off_ground(world: &mut World, e: Entity) {
    if let Some(id) = world.get::<GroundItem>(e).map(|g| g.item.id) {
        world.resource_mut::<GroundChanges>().items.insert(id, None);
    }
    regions::remove_from_world(world, e);
}

/// Notes the ground item `e` as it is now for the next save batch.
fn note_change(world: &mut World, e: Entity) {
    let record = world
        .get::<GroundItem>(e)
        .zip(world.get::<Position>(e))
        .map(|(g, p)| record(world.resource::<Maps>(), g, p.0));
    if let Some(r) = record {
        world
            .resource_mut::<GroundChanges>()
            .items
            .insert(r.item.id, Some(r));
    }
}

/// What storage keeps of a ground item at global tile `at`: its map's own tiles (the start
/// map's if it lies on none).
pub(crate) fn record(maps: &Maps, g: &GroundItem, at: Tile) -> GroundRecord {
    let (map, local) = match maps.to_local(at) {
        Some((m, local)) => (maps.get(m).map(|d| d.name.clone()), local),
        None => (None, at),
    };
    GroundRecord {
        item: ItemRecord {
            id: g.item.id,
            template: g.item.template.clone(),
            count: g.item.count,
        },
        map: map.unwrap_or_else(|| maps.start().name.clone()),
        x: local.x,
        y: local.y,
        owner: g.owner.as_deref().map(str::to_string),
        owner_until: g.owner_until,
        despawn_at: g.despawn_at,
    }
}

/// Removes ground items whose time is up.
pub(crate) fn expire_ground_items(
    tick: Res<Tick>,
    items: Query<(Entity, &GroundItem)>,
    mut commands: Commands,
) {
    for (e, g) in &items {
        if tick.0 >= g.despawn_at {
            commands.queue(move |world: &mut World| take_off_ground(world, e));
        }
    }
}
