//! The world itself: where entities stand and who sees them — steps (`movement`), region
//! membership and what enters or leaves each view (`regions`), mob spawn areas (`spawner`),
//! and the per-client frames that end every tick (`flush`); the maps of the atlas: warps
//! (`warps`), the map and zone each player is in (`zones`), doors and levers (`doors`).
//!
//! Knows nothing of sessions or commands: it never imports `session` or `commands`.

pub(crate) mod doors;
pub mod flush;
pub(crate) mod interest;
pub(crate) mod movement;
pub(crate) mod regions;
pub(crate) mod resources;
pub(crate) mod spawner;
pub(crate) mod warps;
pub(crate) mod zones;

#[cfg(test)]
mod atlas_tests;

use bevy_ecs::prelude::{Entity, World};
use emberkeep_components::map::Tile;
use emberkeep_components::world::Position;

/// The tiles two entities stand on, if both are placed.
pub(crate) fn tiles_of(world: &World, a: Entity, b: Entity) -> Option<(Tile, Tile)> {
    Some((world.get::<Position>(a)?.0, world.get::<Position>(b)?.0))
}
