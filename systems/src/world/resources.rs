//! Resource nodes and crafting stations of the maps as entities (kinds `node` and `station`,
//! on their tile, like doors) so that region tracking shows them to whoever comes near.
//!
//! A node counts down its gathers; at 0 it is depleted (`Depleted`, a `node` event to its
//! viewers) and comes back full `respawn_ticks` later. Node state lives in memory only: a
//! restart refills every node.

use std::sync::Arc;

use bevy_ecs::prelude::*;
use emberkeep_components::atlas::Maps;
use emberkeep_components::content::GameContent;
use emberkeep_components::map::Tile;
use emberkeep_components::protocol::{EntityKind, ServerEvent, encode_event};
use emberkeep_components::regions::RegionGrid;
use emberkeep_components::skills::{Depleted, Node, Station, StationKind};
use emberkeep_components::world::{
    DisplayName, Kind, NetId, NetIds, NetIndex, Position, RegionCell, Tick,
};

/// Spawns one entity per node and station of every map (at world build). Objects naming a
/// node or station the content does not know are skipped (the asset checks refuse them).
pub(crate) fn spawn_resources(world: &mut World) {
    let maps = world.resource::<Maps>().clone();
    let content = world.resource::<GameContent>().0.clone();
    for def in maps.all() {
        for n in &def.nodes {
            let Some(node) = content.nodes.get(&n.id) else {
                continue;
            };
            let parts = (
                Node {
                    def: Arc::from(n.id.as_str()),
                    left: node.gathers.max(1),
                },
                DisplayName(node.name.as_str().into()),
                Kind(EntityKind::Node),
            );
            spawn_at(world, n.tile, parts);
        }
        for s in &def.stations {
            let Some(kind) = StationKind::parse(&s.id) else {
                continue;
            };
            let name = if s.name.is_empty() { &s.id } else { &s.name };
            let parts = (
                Station(kind),
                DisplayName(name.as_str().into()),
                Kind(EntityKind::Station),
            );
            spawn_at(world, s.tile, parts);
        }
    }
}

fn spawn_at(world: &mut World, tile: Tile, parts: impl Bundle) -> Entity {
    let id = world.resource_mut::<NetIds>().allocate();
    let e = world
        .spawn((parts, id, Position(tile), RegionCell::NONE))
        .id();
    world.resource_mut::<NetIndex>().0.insert(id.0, e);
    e
}

/// The entities of kind `node` or `station` within `reach` tiles of `at`, nearest first.
fn near<T: Component>(world: &World, at: Tile, reach: i32) -> Vec<(Entity, i32)> {
    let grid = world.resource::<RegionGrid>();
    let mut found: Vec<(Entity, i32)> = grid
        .regions_near(at, reach + 1)
        .flat_map(|r| grid.members[r as usize].iter().copied())
        .filter(|e| world.get::<T>(*e).is_some())
        .filter_map(|e| {
            let d = world.get::<Position>(e)?.0.distance(at);
            (d <= reach).then_some((e, d))
        })
        .collect();
    found.sort_by_key(|(e, d)| (*d, *e));
    found
}

/// The nearest node within `reach` tiles of `at`.
pub(crate) fn node_near(world: &World, at: Tile, reach: i32) -> Option<Entity> {
    near::<Node>(world, at, reach).first().map(|(e, _)| *e)
}

/// The nearest station of `kind` within `reach` tiles of `at`.
pub(crate) fn station_near(
    world: &World,
    at: Tile,
    reach: i32,
    kind: StationKind,
) -> Option<Entity> {
    near::<Station>(world, at, reach)
        .into_iter()
        .find(|(e, _)| world.get::<Station>(*e).is_some_and(|s| s.0 == kind))
        .map(|(e, _)| e)
}

/// The node or station standing on tile `t`.
pub(crate) fn object_at(world: &World, t: Tile) -> Option<Entity> {
    let grid = world.resource::<RegionGrid>();
    let region = grid.region_of(t);
    grid.members[region as usize].iter().copied().find(|e| {
        (world.get::<Node>(*e).is_some() || world.get::<Station>(*e).is_some())
            && world.get::<Position>(*e).is_some_and(|p| p.0 == t)
    })
}

/// Tells the viewers of a node whether it is depleted.
fn announce(world: &mut World, node: Entity, depleted: bool) {
    let id = world.get::<NetId>(node).map(|n| n.0);
    let cell = world.get::<RegionCell>(node).copied();
    if let (Some(id), Some(cell)) = (id, cell)
        && cell != RegionCell::NONE
    {
        let json = encode_event(&ServerEvent::Node { id, depleted });
        world.resource_mut::<RegionGrid>().broadcast(cell.0, &json);
    }
}

/// Counts one gather off a node; the last one depletes it until `respawn_ticks` from now.
/// Returns whether it is depleted now.
pub(crate) fn use_node(world: &mut World, node: Entity) -> bool {
    let Some(mut n) = world.get_mut::<Node>(node) else {
        return true;
    };
    n.left = n.left.saturating_sub(1);
    if n.left > 0 {
        return false;
    }
    let def = n.def.clone();
    let respawn = world
        .resource::<GameContent>()
        .nodes
        .get(&*def)
        .map_or(1, |d| d.respawn_ticks);
    let until = world
        .resource::<Tick>()
        .0
        .saturating_add(u64::from(respawn));
    world.entity_mut(node).insert(Depleted { until });
    announce(world, node, true);
    true
}

/// World phase: depleted nodes whose time is up come back full.
pub(crate) fn respawn_nodes(world: &mut World, depleted: &mut QueryState<(Entity, &Depleted)>) {
    let now = world.resource::<Tick>().0;
    let due: Vec<Entity> = depleted
        .iter(world)
        .filter(|(_, d)| d.until <= now)
        .map(|(e, _)| e)
        .collect();
    for node in due {
        let content = world.resource::<GameContent>().0.clone();
        world.entity_mut(node).remove::<Depleted>();
        if let Some(mut n) = world.get_mut::<Node>(node) {
            n.left = content.nodes.get(&*n.def).map_or(1, |d| d.gathers.max(1));
        }
        announce(world, node, false);
    }
}
