//! Which map and which zone each player is in: a `map` event when a player lands on another
//! map, a `zone` event and a [`StoryEvent::Zone`] when the zone under it changes.
//!
//! [`track_zones`] runs right after the steps and warps of the Movement phase, so the World
//! phase (triggers) reads this tick's crossings; [`announce_maps`] runs first in the
//! Broadcast phase and catches jumps made later in the tick (a respawn), so a `map` event
//! always comes before the spawns of the new surroundings.

use bevy_ecs::prelude::*;
use emberkeep_components::atlas::{InZone, MapDef, Maps, OnMap};
use emberkeep_components::map::Tile;
use emberkeep_components::protocol::{MapInfo, Origin, ServerEvent, ZoneInfo, encode_event};
use emberkeep_components::story::{StoryEvent, StoryEvents};
use emberkeep_components::world::{Outgoing, Player, Position};

/// What `welcome` and `map` say about a map.
pub(crate) fn map_info(m: &MapDef) -> MapInfo {
    MapInfo {
        name: m.name.clone(),
        display_name: m.display_name.clone(),
        width: m.width,
        height: m.height,
        origin: Origin {
            x: m.origin.x,
            y: m.origin.y,
        },
    }
}

/// The `map` event for a player now standing on `at` of map `m`.
pub(crate) fn map_event(m: &MapDef, at: Tile) -> ServerEvent {
    ServerEvent::Map {
        map: map_info(m),
        x: at.x,
        y: at.y,
    }
}

/// The `zone` event for a zone (or none) of a map.
fn zone_event(maps: &Maps, zone: Option<(u16, u16)>) -> ServerEvent {
    let z = zone.and_then(|(m, z)| maps.get(m)?.zones.get(usize::from(z)));
    ServerEvent::Zone(ZoneInfo {
        name: z.map(|z| z.name.clone()),
        safe: z.is_some_and(|z| z.safe),
        pvp: z.is_some_and(|z| z.pvp),
        music: z.and_then(|z| z.music.clone()),
        min_level: z.and_then(|z| z.min_level),
        max_level: z.and_then(|z| z.max_level),
    })
}

/// Sends `map` to a player whose tile is on another map than it was told.
fn check_map(maps: &Maps, at: Tile, on: &mut OnMap, out: &mut Outgoing) {
    if let Some(id) = maps.map_at(at)
        && id != on.0
        && let Some(m) = maps.get(id)
    {
        on.0 = id;
        out.push(&encode_event(&map_event(m, at)));
    }
}

/// Movement phase, after steps and warps: for each player who moved, announces a change of
/// map and of zone (`zone` event; [`StoryEvent::Zone`] for the World phase's triggers, quests
/// and achievements).
pub(crate) fn track_zones(
    maps: Res<Maps>,
    mut story: ResMut<StoryEvents>,
    mut players: Query<
        (Entity, &Position, &mut OnMap, &mut InZone, &mut Outgoing),
        (With<Player>, Changed<Position>),
    >,
) {
    let several = maps.all().len() > 1;
    for (e, pos, mut on, mut in_zone, mut out) in &mut players {
        if several {
            check_map(&maps, pos.0, &mut on, &mut out);
        }
        let now = maps.map_at(pos.0).and_then(|m| {
            let z = maps.get(m)?.zone_at(pos.0)?;
            Some((m, z as u16))
        });
        if now == in_zone.0 {
            continue;
        }
        for (zone, entered) in [(in_zone.0, false), (now, true)] {
            if let Some((m, z)) = zone
                && let Some(def) = maps.get(m)
                && let Some(zone) = def.zones.get(usize::from(z))
            {
                story.0.push(StoryEvent::Zone {
                    player: e,
                    map: def.name.clone(),
                    zone: zone.name.clone(),
                    entered,
                });
            }
        }
        in_zone.0 = now;
        out.push(&encode_event(&zone_event(&maps, now)));
    }
}

/// Broadcast phase, before region tracking: a `map` event for players moved to another map
/// after the Movement phase (a respawn), ahead of the spawns of their new view.
pub(crate) fn announce_maps(
    maps: Res<Maps>,
    mut players: Query<(&Position, &mut OnMap, &mut Outgoing), (With<Player>, Changed<Position>)>,
) {
    if maps.all().len() < 2 {
        return;
    }
    for (pos, mut on, mut out) in &mut players {
        check_map(&maps, pos.0, &mut on, &mut out);
    }
}
