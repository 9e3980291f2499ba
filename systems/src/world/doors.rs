//! Doors and levers. A door is an entity (kind `door`, on its top-left tile) so that region
//! tracking shows it, open or shut, to whoever comes into view; a state change is a `door`
//! event to the viewers of its region. A shut door blocks its tiles in the atlas collision
//! (only those the map itself leaves walkable, so opening never frees a wall).
//!
//! A player opens a shut door by bumping into it (a refused step into it) or by `interact`
//! next to it; a locked one only while carrying its key, which unlocks it for good. A lever
//! toggles its door. A door does not shut on someone standing in it: that is refused.

use bevy_ecs::prelude::*;
use emberkeep_components::atlas::{Bumps, Door, DoorEntities, Maps};
use emberkeep_components::items::Inventory;
use emberkeep_components::map::{DoorState, Tile, TileMap};
use emberkeep_components::protocol::{EntityKind, ErrorCode, ServerEvent, encode_event};
use emberkeep_components::regions::RegionGrid;
use emberkeep_components::story::{StoryEvent, StoryEvents};
use emberkeep_components::text::{Text, keys};
use emberkeep_components::world::{
    DisplayName, Kind, NetIds, NetIndex, Player, Position, RegionCell,
};

/// Spawns one entity per door of every map (at world build).
pub(crate) fn spawn_doors(world: &mut World) {
    let maps = world.resource::<Maps>().clone();
    let mut by_map = Vec::with_capacity(maps.all().len());
    for (m, def) in maps.all().iter().enumerate() {
        let mut doors = Vec::with_capacity(def.doors.len());
        for (i, d) in def.doors.iter().enumerate() {
            let id = world.resource_mut::<NetIds>().allocate();
            let e = world
                .spawn((
                    Door {
                        map: m as u16,
                        index: i as u16,
                        open: d.state == DoorState::Open,
                        locked: d.state == DoorState::Locked,
                        width: d.max.x - d.min.x + 1,
                        height: d.max.y - d.min.y + 1,
                    },
                    id,
                    Position(d.min),
                    DisplayName(d.name.as_str().into()),
                    Kind(EntityKind::Door),
                    RegionCell::NONE,
                ))
                .id();
            world.resource_mut::<NetIndex>().0.insert(id.0, e);
            doors.push(e);
        }
        by_map.push(doors);
    }
    world.insert_resource(DoorEntities(by_map));
}

/// The door entity covering a global tile.
pub(crate) fn door_at(world: &World, t: Tile) -> Option<Entity> {
    let maps = world.resource::<Maps>();
    let m = maps.map_at(t)?;
    let i = maps.get(m)?.doors.iter().position(|d| d.contains(t))?;
    world
        .resource::<DoorEntities>()
        .0
        .get(usize::from(m))?
        .get(i)
        .copied()
}

/// Opens or shuts a door by name on a map (a file id) — for triggers. Refused if there is no
/// such door, or if it would shut on someone. Opening does not unlock it for players.
pub(crate) fn set_door(world: &mut World, map: &str, door: &str, open: bool) -> Result<(), Text> {
    let no_door = || {
        Text::new(keys::WORLD_NO_SUCH_DOOR)
            .arg("door", door)
            .arg("map", map)
    };
    let maps = world.resource::<Maps>();
    let m = maps.by_name(map).ok_or_else(no_door)?;
    let i = maps.get(m).and_then(|d| d.door(door)).ok_or_else(no_door)?;
    let e = world.resource::<DoorEntities>().0[usize::from(m)][i];
    apply(world, e, open)
}

/// Restores a saved door's state (at start, before anyone is in the world); `None` if the
/// map has no such door.
pub(crate) fn restore_door(
    world: &mut World,
    map: &str,
    door: &str,
    open: bool,
    locked: bool,
) -> Option<()> {
    let maps = world.resource::<Maps>();
    let m = maps.by_name(map)?;
    let i = maps.get(m)?.door(door)?;
    let e = *world
        .resource::<DoorEntities>()
        .0
        .get(usize::from(m))?
        .get(i)?;
    // Nobody stands in a doorway before the world runs: shutting is never refused here.
    apply(world, e, open).ok()?;
    if let Some(mut d) = world.get_mut::<Door>(e) {
        d.locked = locked;
    }
    Some(())
}

/// Sets a door open or shut: collision, the entity, a `door` event to its viewers.
fn apply(world: &mut World, e: Entity, open: bool) -> Result<(), Text> {
    let Some(door) = world.get::<Door>(e).copied() else {
        return Ok(());
    };
    if door.open == open {
        return Ok(());
    }
    let maps = world.resource::<Maps>().clone();
    let Some(def) = maps.get(door.map) else {
        return Ok(());
    };
    let tiles = &def.door_tiles[usize::from(door.index)];
    let name = &def.doors[usize::from(door.index)].name;
    if !open && occupied(world, &def.doors[usize::from(door.index)]) {
        return Err(Text::new(keys::WORLD_DOOR_BLOCKED).arg("door", name.as_str()));
    }
    {
        let mut map = world.resource_mut::<TileMap>();
        for t in tiles {
            map.set_blocked(*t, !open);
        }
    }
    if let Some(mut d) = world.get_mut::<Door>(e) {
        d.open = open;
    }
    let id = world
        .get::<emberkeep_components::world::NetId>(e)
        .map(|n| n.0);
    let cell = world.get::<RegionCell>(e).copied();
    if let (Some(id), Some(cell)) = (id, cell)
        && cell != RegionCell::NONE
    {
        let json = encode_event(&ServerEvent::Door { id, open });
        world.resource_mut::<RegionGrid>().broadcast(cell.0, &json);
    }
    Ok(())
}

/// Whether any creature (player or mob) stands in the doorway.
fn occupied(world: &mut World, d: &emberkeep_components::map::DoorDef) -> bool {
    // Membership is at most one step behind: look a region further than the door reaches.
    let grid = world.resource::<RegionGrid>();
    let reach = (d.max.x - d.min.x).max(d.max.y - d.min.y) + grid.size;
    let mut near: Vec<Entity> = Vec::new();
    for r in grid.regions_near(d.min, reach) {
        near.extend(&grid.members[r as usize]);
    }
    near.iter().any(|e| {
        world.get::<Door>(*e).is_none()
            && world.get::<Position>(*e).is_some_and(|p| d.contains(p.0))
    })
}

/// A player's attempt to open a door (a bump or `interact`): opens a closed one, and a
/// locked one if the player carries its key (unlocking it for good).
fn open_by(world: &mut World, player: Entity, e: Entity) -> Result<(), (ErrorCode, Text)> {
    let Some(door) = world.get::<Door>(e).copied() else {
        return Ok(());
    };
    if door.locked {
        let maps = world.resource::<Maps>();
        let Some(def) = maps
            .get(door.map)
            .map(|m| &m.doors[usize::from(door.index)])
        else {
            return Ok(());
        };
        let (name, key) = (def.name.clone(), def.key.clone());
        let has_key = key.as_ref().is_some_and(|k| {
            world
                .get::<Inventory>(player)
                .is_some_and(|inv| inv.items.iter().any(|i| &i.template == k))
        });
        if !has_key {
            let text = Text::new(keys::WORLD_DOOR_LOCKED).arg("door", name);
            return Err((ErrorCode::DoorLocked, text));
        }
        if let Some(mut d) = world.get_mut::<Door>(e) {
            d.locked = false;
        }
        let text = Text::new(keys::WORLD_DOOR_UNLOCKED)
            .arg("door", name)
            .arg("key", key.unwrap_or_default());
        crate::text::say_info_text(world, player, &text);
    }
    apply(world, e, true).map_err(|t| (ErrorCode::DoorBlocked, t))
}

/// Movement phase, after the steps: players whose step was refused by a shut door try to open
/// it (the step itself stays refused; the next one goes through).
pub(crate) fn open_bumped_doors(world: &mut World) {
    let bumps = std::mem::take(&mut world.resource_mut::<Bumps>().0);
    for &(player, tile) in &bumps {
        if let Some(door) = door_at(world, tile)
            && world.get::<Door>(door).is_some_and(|d| !d.open)
            && let Err((code, text)) = open_by(world, player, door)
        {
            crate::text::say_error_text(world, player, code, &text);
        }
    }
    // Hand the buffer back, emptied, for the next tick's bumps.
    let mut reuse = bumps;
    reuse.clear();
    world.resource_mut::<Bumps>().0 = reuse;
}

/// Tells the story engine that `player` worked map object `object` of `map`.
fn worked(world: &mut World, player: Entity, map: String, object: String) {
    (world.resource_mut::<StoryEvents>().0).push(StoryEvent::Interact {
        player,
        map,
        object,
    });
}

/// The map and name of a door entity.
fn door_name(world: &World, door: Entity) -> Option<(String, String)> {
    let d = world.get::<Door>(door)?;
    let def = world.resource::<Maps>().get(d.map)?;
    let name = def.doors.get(usize::from(d.index))?.name.clone();
    Some((def.name.clone(), name))
}

/// `interact` at a tile: a lever toggles its door, a door opens (as by a bump) or shuts. The
/// tile must be the player's or next to it.
pub(crate) fn interact(
    world: &mut World,
    player: Entity,
    at: Tile,
) -> Result<(), (ErrorCode, Text)> {
    let Some(here) = world.get::<Position>(player).map(|p| p.0) else {
        return Err((ErrorCode::NotInWorld, Text::new(keys::NOWHERE)));
    };
    if world.get::<Player>(player).is_none() {
        return Err((ErrorCode::NotInWorld, Text::new(keys::NOWHERE)));
    }
    if here.distance(at) > 1 {
        let text = Text::new(keys::WORLD_TOO_FAR).arg("x", at.x).arg("y", at.y);
        return Err((ErrorCode::OutOfRange, text));
    }
    let maps = world.resource::<Maps>();
    let lever = maps.map_at(at).and_then(|m| {
        let def = maps.get(m)?;
        let lever = def.levers.iter().find(|l| l.tile == at)?;
        let i = def.door(&lever.door)?;
        let door = world
            .resource::<DoorEntities>()
            .0
            .get(usize::from(m))?
            .get(i)
            .copied()?;
        Some((door, def.name.clone(), lever.name.clone()))
    });
    if let Some((door, map, name)) = lever {
        worked(world, player, map, name);
        let open = world.get::<Door>(door).is_some_and(|d| d.open);
        return apply(world, door, !open).map_err(|t| (ErrorCode::DoorBlocked, t));
    }
    if let Some(door) = door_at(world, at) {
        if let Some((map, name)) = door_name(world, door) {
            worked(world, player, map, name);
        }
        return if world.get::<Door>(door).is_some_and(|d| d.open) {
            apply(world, door, false).map_err(|t| (ErrorCode::DoorBlocked, t))
        } else {
            open_by(world, player, door)
        };
    }
    let text = Text::new(keys::WORLD_NOTHING_THERE)
        .arg("x", at.x)
        .arg("y", at.y);
    Err((ErrorCode::NothingThere, text))
}
