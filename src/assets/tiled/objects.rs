//! The objects of a map that make it a place to go: zone properties, warps, doors, levers,
//! resource nodes and crafting stations.
//! Errors are the reason only; the caller says which layer and object.

use emberkeep_components::content::SpawnArea;
use emberkeep_components::map::{DoorDef, DoorState, Lever, Tile, TileMap, Warp, Zone};
use emberkeep_components::skills::{PlacedObject, StationKind};
use serde_json::Value;

use super::{TmjMap, TmjObject, tile_of};

/// A rectangle object's tiles (inclusive corners), checked to be on the map.
fn rect(raw: &TmjMap, map: &TileMap, obj: &TmjObject, what: &str) -> Result<(Tile, Tile), String> {
    if obj.width <= 0.0 || obj.height <= 0.0 {
        return Err(format!(
            "a {what} is a rectangle with a positive width and height"
        ));
    }
    let min = tile_of(raw, obj.x, obj.y);
    let max = tile_of(raw, obj.x + obj.width - 1.0, obj.y + obj.height - 1.0);
    if !map.in_bounds(min) || !map.in_bounds(max) {
        return Err(format!("{what} reaches off the map"));
    }
    Ok((min, max))
}

/// A string property, trimmed and non-empty, if present.
fn string(obj: &TmjObject, name: &str, what: &str) -> Result<Option<String>, String> {
    match obj.property(name) {
        None => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_string())),
        Some(v) => Err(format!(
            "property {name:?} must be a non-empty string ({what}), got {v}"
        )),
    }
}

/// A whole-number property, if present.
fn number(obj: &TmjObject, name: &str) -> Result<Option<u32>, String> {
    match obj.property(name) {
        None => Ok(None),
        Some(v) => match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) => Ok(Some(n)),
            None => Err(format!("property {name:?} must be a whole number, got {v}")),
        },
    }
}

/// A bool property, if present.
fn flag(obj: &TmjObject, name: &str) -> Result<bool, String> {
    match obj.property(name) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(v) => Err(format!("property {name:?} must be a bool, got {v}")),
    }
}

/// One `zone` rectangle with its properties.
pub(super) fn zone(raw: &TmjMap, map: &TileMap, obj: &TmjObject) -> Result<Zone, String> {
    let (min, max) = rect(raw, map, obj, "zone")?;
    let (min_level, max_level) = (number(obj, "min_level")?, number(obj, "max_level")?);
    if let (Some(lo), Some(hi)) = (min_level, max_level)
        && lo > hi
    {
        return Err(format!("min_level {lo} is above max_level {hi}"));
    }
    let (safe, pvp, pvp_drops) = (
        flag(obj, "safe")?,
        flag(obj, "pvp")?,
        flag(obj, "pvp_drops")?,
    );
    if safe && pvp {
        return Err("a zone cannot be both safe and pvp".into());
    }
    if pvp_drops && !pvp {
        return Err("pvp_drops = true needs pvp = true (only PvP deaths drop items)".into());
    }
    Ok(Zone {
        name: obj.name.clone(),
        min,
        max,
        safe,
        pvp,
        pvp_drops,
        music: string(obj, "music", "a music id")?,
        min_level,
        max_level,
    })
}

/// A zone's own spawn table: its string property `spawns`, `"rat*6, wolf*2"` (a mob id from
/// mobs.toml and how many live in the zone; `*1` may be left out), one spawn area over the
/// whole zone per mob. The mob ids are checked against mobs.toml with the other spawn areas.
pub(super) fn zone_spawns(zone: &Zone, obj: &TmjObject) -> Result<Vec<SpawnArea>, String> {
    let Some(table) = string(obj, "spawns", "a spawn table such as \"rat*6, wolf*2\"")? else {
        return Ok(Vec::new());
    };
    let mut areas = Vec::new();
    for entry in table.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (mob, count) = match entry.split_once('*') {
            Some((mob, n)) => (mob.trim(), n.trim()),
            None => (entry, "1"),
        };
        let count = count
            .parse::<u64>()
            .ok()
            .filter(|c| (1..=super::MAX_SPAWN_COUNT).contains(c))
            .ok_or_else(|| {
                format!(
                    "spawns: {entry:?} must be <mob>*<count> with a count from 1 to {}",
                    super::MAX_SPAWN_COUNT
                )
            })?;
        if mob.is_empty() {
            return Err(format!("spawns: {entry:?} names no mob"));
        }
        areas.push(SpawnArea {
            name: format!("{} ({mob})", zone.name),
            mob: mob.to_string(),
            count: count as u32,
            min: zone.min,
            max: zone.max,
        });
    }
    if areas.is_empty() {
        return Err("spawns is empty; leave it out, or list \"<mob>*<count>, ...\"".into());
    }
    Ok(areas)
}

/// One `warp` rectangle: where it is and where it leads (checked against the target map
/// once every map is read).
pub(super) fn warp(raw: &TmjMap, map: &TileMap, obj: &TmjObject) -> Result<Warp, String> {
    let (min, max) = rect(raw, map, obj, "warp")?;
    let Some(to_map) = string(obj, "map", "the target map's file id")? else {
        return Err("needs a string property \"map\": the target map's file id".into());
    };
    let coordinate = |name: &str| match obj.property(name).and_then(Value::as_i64) {
        Some(n) => i32::try_from(n).map_err(|_| format!("property {name:?} is out of range")),
        None => Err(format!(
            "needs int properties \"x\" and \"y\": the target tile in the target map's own tiles (bad or missing {name:?})"
        )),
    };
    let to = Tile {
        x: coordinate("x")?,
        y: coordinate("y")?,
    };
    Ok(Warp {
        name: obj.name.clone(),
        min,
        max,
        to_map,
        to,
    })
}

/// One `door` rectangle: its unique name, starting state and key.
pub(super) fn door(raw: &TmjMap, map: &TileMap, obj: &TmjObject) -> Result<DoorDef, String> {
    let (min, max) = rect(raw, map, obj, "door")?;
    if obj.name.trim().is_empty() {
        return Err("a door needs a name (unique on its map): levers and triggers use it".into());
    }
    if map.doors.iter().any(|d| d.name == obj.name) {
        return Err(format!(
            "another door on this map is already named {:?}",
            obj.name
        ));
    }
    let state = match string(obj, "state", "open, closed or locked")?.as_deref() {
        None | Some("closed") => DoorState::Closed,
        Some("open") => DoorState::Open,
        Some("locked") => DoorState::Locked,
        Some(other) => {
            return Err(format!(
                "property \"state\" must be open, closed or locked, got {other:?}"
            ));
        }
    };
    let key = string(obj, "key", "an item id from items.toml")?;
    Ok(DoorDef {
        name: obj.name.clone(),
        min,
        max,
        state,
        key,
    })
}

/// One `lever`: its tile (a point, or a rectangle's top-left) and the door it works.
pub(super) fn lever(raw: &TmjMap, map: &TileMap, obj: &TmjObject) -> Result<Lever, String> {
    let tile = tile_of(raw, obj.x, obj.y);
    if !map.in_bounds(tile) {
        return Err(format!(
            "lever at tile ({}, {}) is off the map",
            tile.x, tile.y
        ));
    }
    let Some(door) = string(obj, "door", "a door's name on this map")? else {
        return Err("needs a string property \"door\": the name of a door on this map".into());
    };
    Ok(Lever {
        name: obj.name.clone(),
        tile,
        door,
    })
}

/// The one tile of a `node` or `station` object: a point, or a rectangle of one tile.
fn single_tile(raw: &TmjMap, map: &TileMap, obj: &TmjObject, what: &str) -> Result<Tile, String> {
    let tile = tile_of(raw, obj.x, obj.y);
    if obj.width > 0.0 || obj.height > 0.0 {
        let end = tile_of(raw, obj.x + obj.width - 1.0, obj.y + obj.height - 1.0);
        if end != tile {
            return Err(format!(
                "a {what} takes one tile: make it a point or a one-tile rectangle"
            ));
        }
    }
    if !map.in_bounds(tile) {
        return Err(format!(
            "{what} at tile ({}, {}) is off the map",
            tile.x, tile.y
        ));
    }
    Ok(tile)
}

/// One resource `node`: its tile and its string property `node` (an id in nodes.toml,
/// checked with the content).
pub(super) fn node(raw: &TmjMap, map: &TileMap, obj: &TmjObject) -> Result<PlacedObject, String> {
    let tile = single_tile(raw, map, obj, "node")?;
    let Some(id) = string(obj, "node", "an id from nodes.toml")? else {
        return Err("needs a string property \"node\": an id from nodes.toml".into());
    };
    Ok(PlacedObject {
        name: obj.name.clone(),
        tile,
        id,
    })
}

/// One crafting `station`: its tile and its string property `station` (a kind).
pub(super) fn station(
    raw: &TmjMap,
    map: &TileMap,
    obj: &TmjObject,
) -> Result<PlacedObject, String> {
    let tile = single_tile(raw, map, obj, "station")?;
    let kinds: Vec<&str> = StationKind::ALL.iter().map(|k| k.as_str()).collect();
    let kinds = kinds.join(", ");
    let Some(id) = string(obj, "station", "a station kind")? else {
        return Err(format!(
            "needs a string property \"station\": one of {kinds}"
        ));
    };
    if StationKind::parse(&id).is_none() {
        return Err(format!(
            "property \"station\" {id:?} is not a station kind; use one of {kinds}"
        ));
    }
    Ok(PlacedObject {
        name: obj.name.clone(),
        tile,
        id,
    })
}

/// Checks that need every object of the map: each lever's door exists.
pub(super) fn check_levers(map: &TileMap) -> Result<(), (String, String)> {
    for l in &map.levers {
        if !map.doors.iter().any(|d| d.name == l.door) {
            return Err((
                format!("lever {:?}", l.name),
                format!("names door {:?}, which is not on this map", l.door),
            ));
        }
    }
    Ok(())
}
