//! Warps: a player who steps onto a warp rectangle lands on its target tile, usually on
//! another map of the atlas. Region tracking does the rest as for any jump: viewers of the
//! old place get a `despawn`, viewers of the new one a `spawn`, the traveller the spawns of
//! its new view — after its `map` event ([`super::zones`]). Mobs never take warps.

use bevy_ecs::prelude::*;
use emberkeep_components::atlas::{Maps, OnMap};
use emberkeep_components::cluster::Cluster;
use emberkeep_components::map::{Tile, TileMap};
use emberkeep_components::protocol::encode_event;
use emberkeep_components::text::{Text, keys};
use emberkeep_components::world::{Outgoing, Player, Position};

use crate::session::handoff::Departures;

/// Movement phase, after the steps: moves every player standing on a warp to its target;
/// a target on a map another process hosts makes the player a departure
/// ([`crate::session::handoff`]).
pub(crate) fn take_warps(
    maps: Res<Maps>,
    map: Res<TileMap>,
    cluster: Res<Cluster>,
    mut departures: ResMut<Departures>,
    mut players: Query<(Entity, &mut Position), (With<Player>, Changed<Position>)>,
) {
    for (e, mut pos) in &mut players {
        let Some(def) = maps.map_at(pos.0).and_then(|m| maps.get(m)) else {
            continue;
        };
        if def.warps.is_empty() {
            continue;
        }
        if let Some(w) = def.warps.iter().find(|w| w.contains(pos.0))
            && map.is_walkable(w.to)
        {
            match maps.map_at(w.to) {
                Some(to) if !hosted(&maps, &cluster, to) => departures.0.push((e, to, w.to)),
                _ => pos.0 = w.to,
            }
        }
    }
}

/// Whether this process hosts map `id`.
fn hosted(maps: &Maps, cluster: &Cluster, id: emberkeep_components::atlas::MapId) -> bool {
    maps.get(id).is_none_or(|d| cluster.hosts(&d.name))
}

/// Moves player `e` to tile `local` (in the map's own coordinates) of map `map` (a file id),
/// at once: its `map` event is queued now, the region phase of this tick does the rest. For
/// triggers and staff.
pub(crate) fn warp_to(world: &mut World, e: Entity, map: &str, local: Tile) -> Result<(), Text> {
    let maps = world.resource::<Maps>();
    let Some(id) = maps.by_name(map) else {
        return Err(Text::new(keys::WORLD_NO_SUCH_MAP).arg("map", map));
    };
    let to = maps
        .to_global(id, local)
        .filter(|t| world.resource::<TileMap>().is_walkable(*t))
        .ok_or_else(|| {
            Text::new(keys::WORLD_TILE_NOT_FREE)
                .arg("map", map)
                .arg("x", local.x)
                .arg("y", local.y)
        })?;
    let event = maps
        .get(id)
        .map(|m| encode_event(&super::zones::map_event(m, to)));
    if world.get::<Player>(e).is_none() {
        return Err(Text::new(keys::NOWHERE));
    }
    if !hosted(world.resource::<Maps>(), world.resource::<Cluster>(), id) {
        world.resource_mut::<Departures>().0.push((e, id, to));
        return Ok(());
    }
    if let Some(mut p) = world.get_mut::<Position>(e) {
        p.0 = to;
    }
    let changed = world.get::<OnMap>(e).is_some_and(|on| on.0 != id);
    if changed && let Some(event) = event {
        world.entity_mut(e).insert(OnMap(id));
        if let Some(mut out) = world.get_mut::<Outgoing>(e) {
            out.push(&event);
        }
    }
    Ok(())
}
