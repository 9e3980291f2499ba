//! Reads maps saved by the Tiled editor in its JSON format (`.tmj`) — no export step.
//!
//! Layer roles come from the layer's name or its class (`collision`, `spawns`, `zones`,
//! `mob_spawns`); object roles from the object's `type` or `class` (Tiled has written both).
//! Group layers are searched too. Any other layer is artwork for clients and ignored here.
//! Any object layer may hold `warp`, `door`, `lever`, `node` and `station` objects
//! (`objects.rs`).
//! Whether a spawn area's mob exists, a warp's target and a door's key are checked later,
//! with every map and the content files.

mod objects;

use std::path::{Path, PathBuf};

use emberkeep_components::content::SpawnArea;
use emberkeep_components::map::{SpawnPoint, Tile, TileMap};
use serde::Deserialize;
use serde_json::Value;

/// Largest map side accepted, in tiles.
pub const MAX_SIDE: i32 = 4096;

/// Largest `count` of one mob spawn area.
pub const MAX_SPAWN_COUNT: u64 = 500;

/// What a map file gives the server: the tile map and the mob spawn areas drawn on it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedMap {
    /// Size, collision, player spawns and zones.
    pub map: TileMap,
    /// Rectangles of the `mob_spawns` layer, in file order.
    pub spawn_areas: Vec<SpawnArea>,
}

/// A map that could not be used: which file, where in it, and why.
#[derive(Debug, thiserror::Error)]
#[error("{}: {where_}: {reason}", file.display())]
pub struct MapError {
    pub file: PathBuf,
    pub where_: String,
    pub reason: String,
}

#[derive(Deserialize)]
struct TmjMap {
    width: i32,
    height: i32,
    tilewidth: i32,
    tileheight: i32,
    #[serde(default)]
    infinite: bool,
    #[serde(default)]
    orientation: String,
    #[serde(default)]
    layers: Vec<TmjLayer>,
    #[serde(default)]
    properties: Vec<TmjProperty>,
}

#[derive(Deserialize)]
struct TmjLayer {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    class: String,
    #[serde(default)]
    width: i32,
    #[serde(default)]
    height: i32,
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    encoding: Option<String>,
    #[serde(default)]
    objects: Vec<TmjObject>,
    #[serde(default)]
    layers: Vec<TmjLayer>,
}

#[derive(Deserialize)]
struct TmjObject {
    #[serde(default)]
    id: u64,
    #[serde(default)]
    name: String,
    #[serde(default, rename = "type")]
    type_: String,
    #[serde(default)]
    class: String,
    x: f64,
    y: f64,
    #[serde(default)]
    width: f64,
    #[serde(default)]
    height: f64,
    #[serde(default)]
    properties: Vec<TmjProperty>,
}

#[derive(Deserialize)]
struct TmjProperty {
    name: String,
    #[serde(default)]
    value: Value,
}

impl TmjLayer {
    fn is(&self, role: &str) -> bool {
        self.name.eq_ignore_ascii_case(role) || self.class.eq_ignore_ascii_case(role)
    }
}

impl TmjObject {
    fn class(&self) -> &str {
        if self.type_.is_empty() {
            &self.class
        } else {
            &self.type_
        }
    }

    fn label(&self) -> String {
        if self.name.is_empty() {
            format!("object {}", self.id)
        } else {
            format!("object {} ({:?})", self.id, self.name)
        }
    }

    fn property(&self, name: &str) -> Option<&Value> {
        self.properties
            .iter()
            .find(|p| p.name == name)
            .map(|p| &p.value)
    }
}

/// Reads and validates one `.tmj` file.
pub fn load(path: &Path) -> Result<LoadedMap, MapError> {
    let err = |where_: &str, reason: String| MapError {
        file: path.to_owned(),
        where_: where_.into(),
        reason,
    };
    let text =
        std::fs::read_to_string(path).map_err(|e| err("file", format!("cannot read: {e}")))?;
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("map")
        .to_string();
    parse(&name, &text).map_err(|(where_, reason)| err(&where_, reason))
}

/// Parses map JSON; errors are `(where, reason)`.
pub fn parse(name: &str, text: &str) -> Result<LoadedMap, (String, String)> {
    let fail = |where_: &str, reason: String| Err((where_.to_string(), reason));
    let raw: TmjMap = match serde_json::from_str(text) {
        Ok(m) => m,
        Err(e) => return fail("map", format!("not a Tiled JSON map: {e}")),
    };
    if raw.infinite {
        return fail(
            "map",
            "infinite maps are not supported; untick Map > Map Properties > Infinite".into(),
        );
    }
    if !raw.orientation.is_empty() && raw.orientation != "orthogonal" {
        return fail(
            "map",
            format!(
                "orientation {:?} is not supported; use orthogonal",
                raw.orientation
            ),
        );
    }
    if !(1..=MAX_SIDE).contains(&raw.width) || !(1..=MAX_SIDE).contains(&raw.height) {
        return fail(
            "map",
            format!(
                "size {}x{} is outside 1..={MAX_SIDE} tiles per side",
                raw.width, raw.height
            ),
        );
    }
    if raw.tilewidth <= 0 || raw.tileheight <= 0 {
        return fail(
            "map",
            format!(
                "tile size {}x{} must be positive",
                raw.tilewidth, raw.tileheight
            ),
        );
    }
    let mut map = TileMap::open(name, raw.width, raw.height);
    if let Some(p) = raw.properties.iter().find(|p| p.name == "display_name") {
        match p.value.as_str().map(str::trim) {
            Some(shown) if !shown.is_empty() => map.display_name = shown.to_string(),
            _ => {
                return fail(
                    "map",
                    format!(
                        "map property \"display_name\" must be a non-empty string (the name players see), got {}",
                        p.value
                    ),
                );
            }
        }
    }
    let mut spawn_areas = Vec::new();
    let mut found_collision = false;
    let mut layers: Vec<&TmjLayer> = Vec::new();
    flatten(&raw.layers, &mut layers);
    for layer in layers {
        let where_ = format!("layer {:?}", layer.name);
        match layer.kind.as_str() {
            "tilelayer" if layer.is("collision") => {
                found_collision = true;
                apply_collision(&mut map, layer).map_err(|reason| (where_.clone(), reason))?;
            }
            "objectgroup" if layer.is("spawns") => {
                for obj in &layer.objects {
                    if obj.class() != "player_spawn" {
                        continue;
                    }
                    let tile = tile_of(&raw, obj.x, obj.y);
                    let at = format!("{where_}, {}", obj.label());
                    if !map.in_bounds(tile) {
                        return fail(
                            &at,
                            format!(
                                "player spawn at tile ({}, {}) is off the map",
                                tile.x, tile.y
                            ),
                        );
                    }
                    map.player_spawns.push(SpawnPoint {
                        name: obj.name.clone(),
                        tile,
                    });
                }
            }
            "objectgroup" if layer.is("zones") => {
                for obj in layer.objects.iter().filter(|o| o.class() == "zone") {
                    let at = format!("{where_}, {}", obj.label());
                    let zone =
                        objects::zone(&raw, &map, obj).map_err(|reason| (at.clone(), reason))?;
                    let spawns = objects::zone_spawns(&zone, obj).map_err(|reason| (at, reason))?;
                    spawn_areas.extend(spawns);
                    map.zones.push(zone);
                }
            }
            "objectgroup" if layer.is("mob_spawns") => {
                for obj in layer.objects.iter().filter(|o| o.class() == "mob_spawn") {
                    let at = format!("{where_}, {}", obj.label());
                    let area = mob_spawn(&raw, &map, obj).map_err(|reason| (at, reason))?;
                    spawn_areas.push(area);
                }
            }
            _ => {}
        }
    }
    // Warps, doors and levers may sit in any object layer; collision is read by now.
    let mut layers: Vec<&TmjLayer> = Vec::new();
    flatten(&raw.layers, &mut layers);
    for layer in layers.iter().filter(|l| l.kind == "objectgroup") {
        for obj in &layer.objects {
            let at = || format!("layer {:?}, {}", layer.name, obj.label());
            match obj.class() {
                "warp" => {
                    let warp = objects::warp(&raw, &map, obj).map_err(|r| (at(), r))?;
                    map.warps.push(warp);
                }
                "door" => {
                    let door = objects::door(&raw, &map, obj).map_err(|r| (at(), r))?;
                    map.doors.push(door);
                }
                "lever" => {
                    let lever = objects::lever(&raw, &map, obj).map_err(|r| (at(), r))?;
                    map.levers.push(lever);
                }
                "node" => {
                    let node = objects::node(&raw, &map, obj).map_err(|r| (at(), r))?;
                    map.nodes.push(node);
                }
                "station" => {
                    let station = objects::station(&raw, &map, obj).map_err(|r| (at(), r))?;
                    map.stations.push(station);
                }
                _ => {}
            }
        }
    }
    objects::check_levers(&map)?;
    if !found_collision {
        return fail(
            "map",
            "no tile layer named or classed \"collision\"; add one and paint the walls".into(),
        );
    }
    if map.player_spawns.is_empty() {
        return fail(
            "map",
            "no player spawn: add a point object of type \"player_spawn\" to an object layer named \"spawns\"".into(),
        );
    }
    for s in &map.player_spawns {
        if !map.is_walkable(s.tile) {
            let at = format!("player spawn {:?}", s.name);
            return fail(
                &at,
                format!(
                    "tile ({}, {}) is blocked in the collision layer",
                    s.tile.x, s.tile.y
                ),
            );
        }
    }
    Ok(LoadedMap { map, spawn_areas })
}

/// One `mob_spawn` rectangle: where it is, which mob (a mobs.toml id) and how many.
fn mob_spawn(raw: &TmjMap, map: &TileMap, obj: &TmjObject) -> Result<SpawnArea, String> {
    if obj.width <= 0.0 || obj.height <= 0.0 {
        return Err("a mob spawn is a rectangle with a positive width and height".into());
    }
    let min = tile_of(raw, obj.x, obj.y);
    let max = tile_of(raw, obj.x + obj.width - 1.0, obj.y + obj.height - 1.0);
    if !map.in_bounds(min) || !map.in_bounds(max) {
        return Err("mob spawn area reaches off the map".into());
    }
    let mob = match obj.property("mob") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        _ => {
            return Err("needs a string property \"mob\" naming a mob id from mobs.toml".into());
        }
    };
    let count = match obj.property("count") {
        None => {
            return Err("needs an int property \"count\": how many of the mob live here".into());
        }
        Some(v) => match v.as_u64().filter(|c| (1..=MAX_SPAWN_COUNT).contains(c)) {
            Some(c) => c as u32,
            None => {
                return Err(format!(
                    "property \"count\" must be a whole number from 1 to {MAX_SPAWN_COUNT}, got {v}"
                ));
            }
        },
    };
    let name = if obj.name.is_empty() {
        format!("object {}", obj.id)
    } else {
        obj.name.clone()
    };
    Ok(SpawnArea {
        name,
        mob,
        count,
        min,
        max,
    })
}

fn flatten<'a>(layers: &'a [TmjLayer], out: &mut Vec<&'a TmjLayer>) {
    for l in layers {
        if l.kind == "group" {
            flatten(&l.layers, out);
        } else {
            out.push(l);
        }
    }
}

fn tile_of(raw: &TmjMap, px: f64, py: f64) -> Tile {
    Tile {
        x: (px / f64::from(raw.tilewidth)).floor() as i32,
        y: (py / f64::from(raw.tileheight)).floor() as i32,
    }
}

fn apply_collision(map: &mut TileMap, layer: &TmjLayer) -> Result<(), String> {
    if let Some(enc) = &layer.encoding
        && enc != "csv"
    {
        return Err(format!(
            "tile layer format {enc:?} is not supported; set Map > Map Properties > Tile Layer Format to CSV"
        ));
    }
    if (layer.width, layer.height) != (map.width, map.height) {
        return Err(format!(
            "layer is {}x{} tiles but the map is {}x{}",
            layer.width, layer.height, map.width, map.height
        ));
    }
    let Some(Value::Array(data)) = &layer.data else {
        return Err("tile layer has no data array".into());
    };
    let expected = (map.width * map.height) as usize;
    if data.len() != expected {
        return Err(format!(
            "data has {} entries, expected {}x{} = {expected}",
            data.len(),
            map.width,
            map.height
        ));
    }
    for (i, gid) in data.iter().enumerate() {
        let Some(gid) = gid.as_u64() else {
            return Err(format!("data entry {i} is {gid}, not a tile id"));
        };
        if gid != 0 {
            let t = Tile {
                x: (i % map.width as usize) as i32,
                y: (i / map.width as usize) as i32,
            };
            map.set_blocked(t, true);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map_json(collision: Value, objects_key: &str) -> String {
        json!({
            "width": 4, "height": 3, "tilewidth": 32, "tileheight": 32, "orientation": "orthogonal",
            "layers": [
                {"type": "tilelayer", "name": "ground", "width": 4, "height": 3, "data": [1,1,1,1, 1,1,1,1, 1,1,1,1]},
                {"type": "group", "name": "logic", "layers": [
                    {"type": "tilelayer", "name": "walls", "class": "collision", "width": 4, "height": 3, "data": collision},
                ]},
                {"type": "objectgroup", "name": "spawns", "objects": [
                    {"id": 1, "name": "start", objects_key: "player_spawn", "x": 16.0, "y": 16.0, "point": true},
                ]},
                {"type": "objectgroup", "name": "zones", "objects": [
                    {"id": 2, "name": "Town", "type": "zone", "x": 0.0, "y": 0.0, "width": 64.0, "height": 64.0,
                     "properties": [{"name": "safe", "type": "bool", "value": true}]},
                ]},
                {"type": "objectgroup", "name": "monsters", "class": "mob_spawns", "objects": [
                    {"id": 3, "name": "rats", objects_key: "mob_spawn", "x": 64.0, "y": 32.0, "width": 64.0, "height": 64.0,
                     "properties": [{"name": "mob", "type": "string", "value": "rat"},
                                    {"name": "count", "type": "int", "value": 3}]},
                    {"id": 4, "name": "a note", "x": 0.0, "y": 0.0, "width": 32.0, "height": 32.0},
                ]},
            ]
        })
        .to_string()
    }

    /// The test map with its mob spawn object replaced by `spawn`.
    fn with_mob_spawn(spawn: Value) -> String {
        let mut map: Value = serde_json::from_str(&map_json(json!(vec![0; 12]), "type")).unwrap();
        map["layers"][4]["objects"][0] = spawn;
        map.to_string()
    }

    #[test]
    fn reads_collision_spawns_and_zones_with_type_or_class() {
        for key in ["type", "class"] {
            let LoadedMap {
                map: m,
                spawn_areas,
            } = parse(
                "t",
                &map_json(json!([0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0]), key),
            )
            .unwrap();
            let rats = SpawnArea {
                name: "rats".into(),
                mob: "rat".into(),
                count: 3,
                min: Tile { x: 2, y: 1 },
                max: Tile { x: 3, y: 2 },
            };
            assert_eq!(spawn_areas, vec![rats]);
            assert_eq!((m.width, m.height), (4, 3));
            assert!(!m.is_walkable(Tile { x: 2, y: 1 }));
            assert!(m.is_walkable(Tile { x: 1, y: 1 }));
            assert_eq!(m.player_spawns[0].tile, Tile { x: 0, y: 0 });
            let town = m.zone_at(Tile { x: 1, y: 1 }).unwrap();
            assert!(town.safe && town.name == "Town");
            assert!(m.zone_at(Tile { x: 3, y: 2 }).is_none());
        }
    }

    #[test]
    fn the_display_name_comes_from_the_map_property_or_else_the_file_id() {
        let mut raw: Value = serde_json::from_str(&map_json(json!(vec![0; 12]), "type")).unwrap();
        assert_eq!(parse("t", &raw.to_string()).unwrap().map.display_name, "t");
        raw["properties"] =
            json!([{"name": "display_name", "type": "string", "value": "The Old Vale"}]);
        let m = parse("vale", &raw.to_string()).unwrap().map;
        assert_eq!(
            (m.name.as_str(), m.display_name.as_str()),
            ("vale", "The Old Vale")
        );
        for bad in [json!(""), json!(3)] {
            raw["properties"] = json!([{"name": "display_name", "value": bad}]);
            let (where_, reason) = parse("t", &raw.to_string()).unwrap_err();
            assert!(
                where_ == "map" && reason.contains("display_name"),
                "{reason}"
            );
        }
    }

    #[test]
    fn broken_maps_say_where_and_why() {
        let cases = [
            (map_json(json!([0, 0]), "type"), "data has 2 entries"),
            (map_json(json!([1,0,0,0, 0,0,0,0, 0,0,0,0]), "type"), "is blocked"),
            (map_json(json!([0,0,0,0, 0,"x",0,0, 0,0,0,0]), "type"), "data entry 5"),
            ("{\"width\": 4".to_string(), "not a Tiled JSON map"),
            (json!({"width": 4, "height": 3, "tilewidth": 32, "tileheight": 32, "infinite": true}).to_string(), "infinite"),
            (json!({"width": 4, "height": 3, "tilewidth": 32, "tileheight": 32, "layers": []}).to_string(), "collision"),
        ];
        for (text, want) in cases {
            let (where_, reason) = parse("t", &text).unwrap_err();
            assert!(
                format!("{where_}: {reason}").contains(want),
                "{where_}: {reason} (wanted {want:?})"
            );
        }
    }

    #[test]
    fn broken_mob_spawns_say_which_object_and_why() {
        let rect = |props: Value, w: f64| {
            json!({"id": 7, "name": "wolves", "class": "mob_spawn", "x": 0.0, "y": 0.0,
                   "width": w, "height": 32.0, "properties": props})
        };
        let mob = json!({"name": "mob", "type": "string", "value": "wolf"});
        let count = |v: Value| json!({"name": "count", "type": "int", "value": v});
        let cases = [
            (rect(json!([mob, count(json!(2))]), 0.0), "positive width"),
            (rect(json!([mob, count(json!(2))]), 160.0), "off the map"),
            (rect(json!([count(json!(2))]), 32.0), "property \"mob\""),
            (rect(json!([mob]), 32.0), "property \"count\""),
            (rect(json!([mob, count(json!(0))]), 32.0), "got 0"),
            (rect(json!([mob, count(json!(-4))]), 32.0), "got -4"),
            (
                rect(json!([mob, count(json!("many"))]), 32.0),
                "whole number",
            ),
        ];
        for (spawn, want) in cases {
            let (where_, reason) = parse("t", &with_mob_spawn(spawn)).unwrap_err();
            let text = format!("{where_}: {reason}");
            assert!(
                text.contains(want) && text.contains("\"monsters\", object 7 (\"wolves\")"),
                "{text} (wanted {want:?})"
            );
        }
    }
}
