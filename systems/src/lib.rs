//! Emberkeep's game rules: every rule is a bevy_ecs system, grouped one file per concern, run
//! in the fixed phase order of [`schedule::Phase`].
//!
//! Nothing here touches a socket, a file, a clock or a global RNG: time is the [`Tick`]
//! resource, randomness is [`rng::WorldRng`], input arrives in [`InboundQueue`] and output
//! leaves through [`Outbox`]. So a headless [`World`] runs any scenario in a unit test.

pub mod chat;
pub mod flush;
pub mod movement;
pub mod regions;
pub mod rng;
pub mod schedule;
pub mod session;

#[cfg(test)]
mod scenario;

use bevy_ecs::prelude::{Entity, World};
use emberkeep_components::config::SimConfig;
use emberkeep_components::map::TileMap;
use emberkeep_components::net::{InboundQueue, Outbox};
use emberkeep_components::protocol::{ServerEvent, encode_event};
use emberkeep_components::regions::RegionGrid;
use emberkeep_components::world::{ConnIndex, NameIndex, NetIds, Outgoing, SpawnRotation, Tick};

pub use schedule::{Phase, run_tick};

/// A world ready to tick: every resource inserted and every phase's schedule installed.
pub fn build_world(map: TileMap, config: SimConfig, seed: u64) -> World {
    let mut world = World::new();
    world.insert_resource(RegionGrid::new(map.width, map.height, config.region_size));
    world.insert_resource(map);
    world.insert_resource(config);
    world.insert_resource(rng::WorldRng::seeded(seed));
    world.insert_resource(Tick::default());
    world.insert_resource(InboundQueue::default());
    world.insert_resource(Outbox::default());
    world.insert_resource(ConnIndex::default());
    world.insert_resource(NameIndex::default());
    world.insert_resource(NetIds::default());
    world.insert_resource(SpawnRotation::default());
    schedule::install(&mut world);
    world
}

/// Encodes an event and queues it for one entity's connection (no-op if it has none).
pub(crate) fn send_to(world: &mut World, e: Entity, event: &ServerEvent) {
    if let Some(mut out) = world.get_mut::<Outgoing>(e) {
        out.push(&encode_event(event));
    }
}
