//! Moving an entity to a tile of a map.
// placeholder: replaced by the maps branch

use bevy_ecs::prelude::{Entity, World};
use emberkeep_components::map::{Tile, TileMap};
use emberkeep_components::text::{Text, keys};
use emberkeep_components::world::Position;

/// Moves `e` to `local` (the map's own coordinates) on map `map`; only the current map exists.
pub(crate) fn warp_to(world: &mut World, e: Entity, map: &str, local: Tile) -> Result<(), Text> {
    let tiles = world.resource::<TileMap>();
    if tiles.name != map {
        return Err(Text::new(keys::STORY_NO_SUCH_MAP).arg("map", map));
    }
    if !tiles.is_walkable(local) {
        return Err(Text::new(keys::GM_TILE_BLOCKED)
            .arg("x", local.x)
            .arg("y", local.y));
    }
    if let Some(mut p) = world.get_mut::<Position>(e) {
        p.0 = local;
    }
    Ok(())
}
