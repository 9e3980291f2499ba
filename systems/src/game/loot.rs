//! Items on the ground: loot dropped by dying mobs (owned by the killer for a while, then
//! free for all) and items players drop; both disappear after a while.

use bevy_ecs::prelude::*;
use emberkeep_components::content::GameContent;
use emberkeep_components::items::{GroundItem, ItemIds, ItemInstance};
use emberkeep_components::map::Tile;
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

/// Puts an existing item instance on the ground (it keeps its id).
pub(crate) fn place_on_ground(
    world: &mut World,
    item: ItemInstance,
    tile: Tile,
    owner: Option<Entity>,
    tick: u64,
) -> Entity {
    let content = world.resource::<GameContent>().clone();
    let name = content
        .items
        .get(&item.template)
        .map(|d| d.name.clone())
        .unwrap_or_else(|| item.template.clone());
    let rules = &content.rules.loot;
    let ground = GroundItem {
        item,
        owner,
        owner_until: if owner.is_some() {
            tick + u64::from(rules.owner_ticks)
        } else {
            tick
        },
        despawn_at: tick + u64::from(rules.despawn_ticks),
    };
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

/// Removes ground items whose time is up.
pub(crate) fn expire_ground_items(
    tick: Res<Tick>,
    items: Query<(Entity, &GroundItem)>,
    mut commands: Commands,
) {
    for (e, g) in &items {
        if tick.0 >= g.despawn_at {
            commands.queue(move |world: &mut World| regions::remove_from_world(world, e));
        }
    }
}
