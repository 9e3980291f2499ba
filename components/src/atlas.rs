//! The atlas: every map of the world placed side by side in one global tile space.
//!
//! The start map sits at the origin (so its tiles are the global ones); the others follow to
//! its right, in file-name order, each at a multiple of the region size and separated from
//! the previous one by [`GAP_REGIONS`] whole regions of blocked tiles. A client sees its
//! region and the 8 around it, so with two empty region columns between maps nobody on one
//! map can see, hear or reach anything on another. The world keeps ONE [`TileMap`] (the
//! atlas' collision) and one region grid: movement, AI and broadcast code never learn that
//! there are several maps. [`Maps`] says which map a global tile belongs to.

use bevy_ecs::prelude::{Component, Entity, Resource};

use crate::map::{DoorDef, DoorState, Lever, SpawnPoint, Tile, TileMap, Warp, Zone};
use crate::skills::PlacedObject;

/// Index of a map in [`Maps`]; 0 is the start map.
pub type MapId = u16;

/// Whole regions of blocked tiles between two maps of the atlas. Two keep every map out of
/// the 3 x 3 region view of anyone standing on another.
pub const GAP_REGIONS: i32 = 2;

/// One map as placed in the atlas; every tile here is global.
#[derive(Debug, Clone, PartialEq)]
pub struct MapDef {
    /// The map's file id (`<assets>/maps/<name>.tmj`).
    pub name: String,
    /// What players are told the map is called.
    pub display_name: String,
    /// Global tile of the map's top-left corner.
    pub origin: Tile,
    pub width: i32,
    pub height: i32,
    pub zones: Vec<Zone>,
    pub player_spawns: Vec<SpawnPoint>,
    /// Warps with a global rectangle and a global target tile.
    pub warps: Vec<Warp>,
    pub doors: Vec<DoorDef>,
    /// For each door, its tiles the map itself leaves walkable (the ones opening frees).
    pub door_tiles: Vec<Vec<Tile>>,
    pub levers: Vec<Lever>,
    /// Resource nodes, global tiles.
    pub nodes: Vec<PlacedObject>,
    /// Crafting stations, global tiles.
    pub stations: Vec<PlacedObject>,
}

impl MapDef {
    /// Whether a global tile lies on this map.
    pub fn contains(&self, t: Tile) -> bool {
        t.x >= self.origin.x
            && t.y >= self.origin.y
            && t.x < self.origin.x + self.width
            && t.y < self.origin.y + self.height
    }

    /// The zone containing a global tile (the first listed wins where zones overlap).
    pub fn zone_at(&self, t: Tile) -> Option<usize> {
        self.zones.iter().position(|z| z.contains(t))
    }

    /// The door with this name.
    pub fn door(&self, name: &str) -> Option<usize> {
        self.doors.iter().position(|d| d.name == name)
    }
}

/// Every map of the world and where it lies in the atlas.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct Maps {
    maps: Vec<MapDef>,
}

fn offset(t: Tile, by: Tile) -> Tile {
    Tile {
        x: t.x + by.x,
        y: t.y + by.y,
    }
}

/// Map objects moved to global tiles.
fn placed(objects: &[PlacedObject], o: Tile) -> Vec<PlacedObject> {
    objects
        .iter()
        .map(|p| PlacedObject {
            tile: offset(p.tile, o),
            ..p.clone()
        })
        .collect()
}

/// The first multiple of `size` at or above `n`.
fn round_up(n: i32, size: i32) -> i32 {
    (n + size - 1) / size * size
}

impl Maps {
    /// The global origins of maps of these sizes (start map first), regions of `region_size`.
    pub fn origins(sizes: &[(i32, i32)], region_size: i32) -> Vec<Tile> {
        let size = region_size.max(1);
        let mut x = 0;
        sizes
            .iter()
            .map(|&(w, _)| {
                let origin = Tile { x, y: 0 };
                x = round_up(x + w.max(1), size) + GAP_REGIONS * size;
                origin
            })
            .collect()
    }

    /// Places the maps (start map first; the caller orders the rest) and returns the atlas'
    /// collision grid with them. The atlas is named after the start map; its zones are every
    /// map's (so `is_safe` answers for any tile) and its player spawns the start map's. Shut
    /// doors block their tiles. A single map is returned as it is.
    pub fn build(maps: Vec<TileMap>, region_size: i32) -> (TileMap, Maps) {
        let sizes: Vec<(i32, i32)> = maps.iter().map(|m| (m.width, m.height)).collect();
        let origins = Maps::origins(&sizes, region_size);
        let Some(start) = maps.first() else {
            let empty = TileMap::open("empty", 1, 1);
            let defs = Maps::build(vec![empty.clone()], region_size).1;
            return (empty, defs);
        };
        let mut atlas = if maps.len() == 1 {
            start.clone()
        } else {
            let last = origins.len() - 1;
            let width = origins[last].x + maps[last].width;
            let height = maps.iter().map(|m| m.height).max().unwrap_or(1);
            let mut atlas = TileMap::open(start.name.clone(), width, height);
            atlas.display_name = start.display_name.clone();
            atlas.player_spawns = start.player_spawns.clone();
            for y in 0..height {
                for x in 0..width {
                    let t = Tile { x, y };
                    let free = maps.iter().zip(&origins).any(|(m, o)| {
                        m.is_walkable(Tile {
                            x: x - o.x,
                            y: y - o.y,
                        })
                    });
                    if !free {
                        atlas.set_blocked(t, true);
                    }
                }
            }
            atlas
        };
        let mut defs = Vec::with_capacity(maps.len());
        let mut zones = Vec::new();
        for (m, &o) in maps.iter().zip(&origins) {
            let shift_rect = |min: Tile, max: Tile| (offset(min, o), offset(max, o));
            let map_zones: Vec<Zone> = m
                .zones
                .iter()
                .map(|z| {
                    let (min, max) = shift_rect(z.min, z.max);
                    Zone {
                        min,
                        max,
                        ..z.clone()
                    }
                })
                .collect();
            zones.extend(map_zones.iter().cloned());
            let doors: Vec<DoorDef> = m
                .doors
                .iter()
                .map(|d| {
                    let (min, max) = shift_rect(d.min, d.max);
                    DoorDef {
                        min,
                        max,
                        ..d.clone()
                    }
                })
                .collect();
            let door_tiles: Vec<Vec<Tile>> = doors
                .iter()
                .map(|d| d.tiles().filter(|t| atlas.is_walkable(*t)).collect())
                .collect();
            defs.push(MapDef {
                name: m.name.clone(),
                display_name: m.display_name.clone(),
                origin: o,
                width: m.width,
                height: m.height,
                zones: map_zones,
                player_spawns: m
                    .player_spawns
                    .iter()
                    .map(|s| SpawnPoint {
                        name: s.name.clone(),
                        tile: offset(s.tile, o),
                    })
                    .collect(),
                warps: Vec::new(),
                doors,
                door_tiles,
                levers: m
                    .levers
                    .iter()
                    .map(|l| Lever {
                        tile: offset(l.tile, o),
                        ..l.clone()
                    })
                    .collect(),
                nodes: placed(&m.nodes, o),
                stations: placed(&m.stations, o),
            });
        }
        // Warp targets are in the target map's coordinates: resolved once every map is placed.
        for (i, m) in maps.iter().enumerate() {
            let warps = m
                .warps
                .iter()
                .filter_map(|w| {
                    let target = maps.iter().position(|t| t.name == w.to_map)?;
                    let (o, to) = (origins[i], offset(w.to, origins[target]));
                    Some(Warp {
                        min: offset(w.min, o),
                        max: offset(w.max, o),
                        to,
                        ..w.clone()
                    })
                })
                .collect();
            defs[i].warps = warps;
        }
        for (m, tiles) in defs.iter().flat_map(|m| m.doors.iter().zip(&m.door_tiles)) {
            if m.state != DoorState::Open {
                for t in tiles {
                    atlas.set_blocked(*t, true);
                }
            }
        }
        if maps.len() > 1 {
            atlas.zones = zones;
        }
        (atlas, Maps { maps: defs })
    }

    /// A world of one map at the origin, its collision as it is (for tests and benches).
    pub fn single(map: &TileMap) -> Maps {
        Maps::build(vec![map.clone()], 1).1
    }

    /// Every map, the start map first.
    pub fn all(&self) -> &[MapDef] {
        &self.maps
    }

    /// The map with this index.
    pub fn get(&self, id: MapId) -> Option<&MapDef> {
        self.maps.get(usize::from(id))
    }

    /// The start map (where new characters appear).
    pub fn start(&self) -> &MapDef {
        &self.maps[0]
    }

    /// The map with this file id.
    pub fn by_name(&self, name: &str) -> Option<MapId> {
        self.maps
            .iter()
            .position(|m| m.name == name)
            .map(|i| i as MapId)
    }

    /// The map a global tile lies on (none in the gaps between maps).
    pub fn map_at(&self, t: Tile) -> Option<MapId> {
        self.maps
            .iter()
            .position(|m| m.contains(t))
            .map(|i| i as MapId)
    }

    /// A global tile as (map, tile in that map's own coordinates).
    pub fn to_local(&self, t: Tile) -> Option<(MapId, Tile)> {
        let id = self.map_at(t)?;
        let o = self.maps[usize::from(id)].origin;
        Some((
            id,
            Tile {
                x: t.x - o.x,
                y: t.y - o.y,
            },
        ))
    }

    /// A tile of a map, in its own coordinates, as a global tile (none if off that map).
    pub fn to_global(&self, map: MapId, local: Tile) -> Option<Tile> {
        let m = self.get(map)?;
        let t = offset(local, m.origin);
        m.contains(t).then_some(t)
    }
}

/// The map a player was last told it is on.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnMap(pub MapId);

/// The zone a player stands in: its map and its index among that map's zones.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InZone(pub Option<(MapId, u16)>);

/// A door in the world (an entity, so that region tracking shows it to whoever comes near).
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Door {
    pub map: MapId,
    /// Index among the map's doors.
    pub index: u16,
    pub open: bool,
    /// Opens only for a player carrying the key; cleared once opened with it.
    pub locked: bool,
    /// Size in tiles (the entity stands on the top-left tile).
    pub width: i32,
    pub height: i32,
}

/// The door entities, by map and then by the door's index on it.
#[derive(Resource, Debug, Clone, Default)]
pub struct DoorEntities(pub Vec<Vec<Entity>>);

/// Steps refused by a blocked tile this tick (player, tile): a bump may open a door.
#[derive(Resource, Debug, Clone, Default)]
pub struct Bumps(pub Vec<(Entity, Tile)>);

#[cfg(test)]
mod tests {
    use super::*;

    fn map(name: &str, w: i32, h: i32) -> TileMap {
        let mut m = TileMap::open(name, w, h);
        m.player_spawns.push(SpawnPoint {
            name: "s".into(),
            tile: Tile { x: 1, y: 1 },
        });
        m
    }

    #[test]
    fn maps_are_placed_at_region_multiples_with_two_empty_regions_between() {
        let origins = Maps::origins(&[(40, 30), (16, 10), (1, 1)], 16);
        // 40 wide ends in region column 2; two empty columns (3, 4); next at column 5.
        assert_eq!(
            origins,
            vec![
                Tile { x: 0, y: 0 },
                Tile { x: 80, y: 0 },
                Tile { x: 128, y: 0 }
            ]
        );
    }

    #[test]
    fn the_atlas_blocks_the_gaps_and_converts_between_global_and_local_tiles() {
        let mut crypt = map("crypt", 8, 4);
        crypt.set_blocked(Tile { x: 2, y: 2 }, true);
        crypt.warps.push(Warp {
            name: "out".into(),
            min: Tile { x: 0, y: 0 },
            max: Tile { x: 0, y: 0 },
            to_map: "field".into(),
            to: Tile { x: 3, y: 3 },
        });
        let (atlas, maps) = Maps::build(vec![map("field", 20, 20), crypt], 8);
        assert_eq!(maps.get(1).unwrap().origin, Tile { x: 40, y: 0 });
        assert_eq!((atlas.width, atlas.height), (48, 20));
        assert_eq!(atlas.name, "field");
        assert!(atlas.is_walkable(Tile { x: 19, y: 19 }));
        for x in 20..40 {
            assert!(!atlas.is_walkable(Tile { x, y: 0 }), "gap at {x}");
        }
        assert!(
            !atlas.is_walkable(Tile { x: 42, y: 2 }),
            "the crypt's own wall"
        );
        assert!(!atlas.is_walkable(Tile { x: 41, y: 4 }), "below the crypt");
        assert!(atlas.is_walkable(Tile { x: 41, y: 3 }));
        let inside = Tile { x: 43, y: 1 };
        assert_eq!(maps.map_at(inside), Some(1));
        assert_eq!(maps.map_at(Tile { x: 30, y: 1 }), None);
        assert_eq!(maps.to_local(inside), Some((1, Tile { x: 3, y: 1 })));
        assert_eq!(maps.to_global(1, Tile { x: 3, y: 1 }), Some(inside));
        assert_eq!(maps.to_global(1, Tile { x: 8, y: 1 }), None);
        assert_eq!(
            maps.get(1).unwrap().player_spawns[0].tile,
            Tile { x: 41, y: 1 }
        );
        let out = &maps.get(1).unwrap().warps[0];
        assert_eq!(
            (out.min, out.to),
            (Tile { x: 40, y: 0 }, Tile { x: 3, y: 3 })
        );
    }

    #[test]
    fn shut_doors_block_only_their_free_tiles() {
        let mut m = map("field", 10, 10);
        m.set_blocked(Tile { x: 5, y: 2 }, true);
        m.doors.push(DoorDef {
            name: "gate".into(),
            min: Tile { x: 4, y: 2 },
            max: Tile { x: 5, y: 2 },
            state: DoorState::Locked,
            key: None,
        });
        let (atlas, maps) = Maps::build(vec![m], 8);
        assert!(!atlas.is_walkable(Tile { x: 4, y: 2 }));
        assert_eq!(maps.start().door_tiles[0], vec![Tile { x: 4, y: 2 }]);
    }
}
