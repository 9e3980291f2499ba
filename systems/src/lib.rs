//! Emberkeep's game rules: every rule is a bevy_ecs system, grouped one file per concern, run
//! in the fixed phase order of [`schedule::Phase`].
//!
//! Nothing here touches a socket, a file, a clock or a global RNG: time is the [`Tick`]
//! resource, randomness is [`rng::WorldRng`], input arrives in [`InboundQueue`] and output
//! leaves through [`Outbox`]. So a headless [`World`] runs any scenario in a unit test.

// System signatures are their queries: long parameter lists and nested query types are the
// normal shape of a bevy system, not a smell.
#![allow(clippy::type_complexity, clippy::too_many_arguments)]

pub(crate) mod cluster;
pub mod commands;
pub(crate) mod game;
pub mod hash;
pub(crate) mod input;
pub(crate) mod quests;
pub(crate) mod rng;
pub mod schedule;
pub(crate) mod session;
pub mod snapshot;
pub mod story;
pub mod text;
pub mod world;

#[cfg(test)]
mod scenario;

use std::sync::Arc;

use bevy_ecs::prelude::{Entity, World};
use emberkeep_components::atlas::Maps;
use emberkeep_components::config::SimConfig;
use emberkeep_components::content::{Content, GameContent};
use emberkeep_components::items::ItemIds;
use emberkeep_components::map::TileMap;
use emberkeep_components::mobs::{AreaState, MobSpawner};
use emberkeep_components::net::{InboundQueue, Outbox};
use emberkeep_components::protocol::{ServerEvent, encode_event};
use emberkeep_components::regions::RegionGrid;
use emberkeep_components::world::{
    ConnIndex, NameIndex, NetIds, NetIndex, Outgoing, SpawnRotation, Tick,
};

pub use hash::world_hash;
pub use schedule::{Phase, run_tick};

/// A world of one map ready to tick: every resource inserted and every phase's schedule
/// installed. Mob spawn areas are filled on the first tick.
pub fn build_world(map: TileMap, content: Content, config: SimConfig, seed: u64) -> World {
    let maps = Maps::single(&map);
    build_world_with_maps(map, maps, content, config, seed)
}

/// A world of several maps ready to tick: `map` is the atlas' collision grid and `maps` where
/// each map lies in it ([`Maps::build`]); `content.spawn_areas` are in global tiles. Doors
/// become entities here.
pub fn build_world_with_maps(
    map: TileMap,
    maps: Maps,
    content: Content,
    config: SimConfig,
    seed: u64,
) -> World {
    let mut world = World::new();
    let areas = content
        .spawn_areas
        .iter()
        .map(|a| AreaState {
            area: a.clone(),
            alive: 0,
            respawns: Vec::new(),
            filled: false,
        })
        .collect();
    world.insert_resource(MobSpawner { areas });
    world.insert_resource(GameContent(Arc::new(content)));
    world.insert_resource(ItemIds::default());
    world.insert_resource(emberkeep_components::economy::ShopStock::default());
    world.insert_resource(emberkeep_components::party::Parties::default());
    world.insert_resource(emberkeep_components::persist::StorageOut::default());
    world.insert_resource(emberkeep_components::cluster::Cluster::default());
    world.insert_resource(emberkeep_components::cluster::ClusterOut::default());
    world.insert_resource(session::handoff::Departures::default());
    world.insert_resource(emberkeep_components::persist::SaveSoon::default());
    world.insert_resource(emberkeep_components::persist::GroundChanges::default());
    world.insert_resource(emberkeep_components::guild::Guilds::default());
    world.insert_resource(emberkeep_components::pvp::Duels::default());
    world.insert_resource(emberkeep_components::abilities::ControlApplied::default());
    world.insert_resource(commands::staff::AuditLog::default());
    world.insert_resource(emberkeep_components::net::AdminResults::default());
    world.insert_resource(NetIndex::default());
    world.insert_resource(emberkeep_components::text::ClientLocales::default());
    world.insert_resource(emberkeep_components::story::WorldFlags::default());
    world.insert_resource(emberkeep_components::story::StoryEvents::default());
    world.insert_resource(quests::progress::LevelsChanged::default());
    world.insert_resource(quests::FinishedQuests::default());
    world.insert_resource(emberkeep_components::story::StoryLog::default());
    world.insert_resource(story::triggers::TriggerCooldowns::default());
    world.insert_resource(story::triggers::StoryTarget::default());
    world.insert_resource(story::script::ScriptEngine::new());
    world.insert_resource(RegionGrid::new(map.width, map.height, config.region_size));
    world.insert_resource(map);
    world.insert_resource(maps);
    world.insert_resource(emberkeep_components::atlas::Bumps::default());
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
    world::doors::spawn_doors(&mut world);
    world::resources::spawn_resources(&mut world);
    world
}

/// An entity's display name (empty if it has none).
pub(crate) fn name_of(world: &World, e: Entity) -> String {
    world
        .get::<emberkeep_components::world::DisplayName>(e)
        .map(|n| n.0.to_string())
        .unwrap_or_default()
}

/// Encodes an event and queues it for one entity's connection (no-op if it has none).
pub(crate) fn send_to(world: &mut World, e: Entity, event: &ServerEvent) {
    if let Some(mut out) = world.get_mut::<Outgoing>(e) {
        out.push(&encode_event(event));
    }
}
