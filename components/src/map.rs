//! The tile map the world is played on: size, collision and named places, as read from Tiled.

use bevy_ecs::prelude::Resource;

/// A tile coordinate on the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Tile {
    pub x: i32,
    pub y: i32,
}

/// A named point where new players appear.
#[derive(Debug, Clone, PartialEq)]
pub struct SpawnPoint {
    pub name: String,
    pub tile: Tile,
}

/// A named rectangle of tiles with designer-set properties (town, fields, safe zones...).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Zone {
    pub name: String,
    /// Top-left tile, inclusive.
    pub min: Tile,
    /// Bottom-right tile, inclusive.
    pub max: Tile,
    pub safe: bool,
    /// Players may fight each other here (announced to clients; the rules of play are the
    /// combat code's).
    pub pvp: bool,
    /// A player killed here by a player drops its unequipped inventory, owned by the killer
    /// (only in a `pvp` zone; off by default).
    pub pvp_drops: bool,
    /// Music the client should play here (a file id of its own choosing).
    pub music: Option<String>,
    /// Suggested level range, shown to players.
    pub min_level: Option<u32>,
    pub max_level: Option<u32>,
}

/// A rectangle that moves a player who steps on it to a tile of another (or the same) map.
#[derive(Debug, Clone, PartialEq)]
pub struct Warp {
    /// The object's name, for messages.
    pub name: String,
    /// Top-left tile, inclusive.
    pub min: Tile,
    /// Bottom-right tile, inclusive.
    pub max: Tile,
    /// The target map's file id.
    pub to_map: String,
    /// The target tile: in the target map's own coordinates in a loaded map, global in
    /// [`crate::atlas::Maps`].
    pub to: Tile,
}

impl Warp {
    /// Whether the tile lies on this warp.
    pub fn contains(&self, t: Tile) -> bool {
        t.x >= self.min.x && t.x <= self.max.x && t.y >= self.min.y && t.y <= self.max.y
    }
}

/// How a door starts: open, closed (opens to a bump or an `interact`) or locked (opens only
/// for a player carrying its key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DoorState {
    Open,
    #[default]
    Closed,
    Locked,
}

/// A door: a rectangle of tiles that blocks movement while it is shut.
#[derive(Debug, Clone, PartialEq)]
pub struct DoorDef {
    /// Unique on its map; triggers and levers name the door by it.
    pub name: String,
    /// Top-left tile, inclusive.
    pub min: Tile,
    /// Bottom-right tile, inclusive.
    pub max: Tile,
    pub state: DoorState,
    /// Item template id that unlocks a locked door.
    pub key: Option<String>,
}

impl DoorDef {
    /// Whether the tile lies in the doorway.
    pub fn contains(&self, t: Tile) -> bool {
        t.x >= self.min.x && t.x <= self.max.x && t.y >= self.min.y && t.y <= self.max.y
    }

    /// Every tile of the doorway, row by row.
    pub fn tiles(&self) -> impl Iterator<Item = Tile> + '_ {
        (self.min.y..=self.max.y)
            .flat_map(move |y| (self.min.x..=self.max.x).map(move |x| Tile { x, y }))
    }
}

/// A lever: a tile that opens and shuts a door of the same map when a player next to it
/// interacts with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Lever {
    pub name: String,
    pub tile: Tile,
    /// The door's name on the same map.
    pub door: String,
}

impl Tile {
    /// Tiles between two positions, counting diagonals as one (Chebyshev distance).
    pub fn distance(self, other: Tile) -> i32 {
        (self.x - other.x).abs().max((self.y - other.y).abs())
    }
}

impl Zone {
    /// Whether the tile lies inside this zone.
    pub fn contains(&self, t: Tile) -> bool {
        t.x >= self.min.x && t.x <= self.max.x && t.y >= self.min.y && t.y <= self.max.y
    }
}

/// The playable map: dimensions, which tiles block movement, spawn points and zones.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct TileMap {
    /// The map's file id (`<assets>/maps/<name>.tmj`); clients load the map by it.
    pub name: String,
    /// What players are told the map is called (the map's `display_name` property in Tiled,
    /// or else its file id).
    pub display_name: String,
    pub width: i32,
    pub height: i32,
    /// Row-major, `width * height` bits; a set bit blocks movement. (Bits, not bools: a
    /// 2048 x 2048 map is 512 KiB and stays in cache for the many lookups of a tick.)
    blocked: Vec<u64>,
    /// One bit per 8 x 8 block of tiles, row-major: set if any tile in the block is blocked.
    /// Most lookups land in open ground and are answered here (8 KiB for 2048 x 2048, where
    /// the tile bits would miss the cache at a mob's random spot).
    closed: Vec<u64>,
    pub player_spawns: Vec<SpawnPoint>,
    pub zones: Vec<Zone>,
    /// Warp rectangles (object class `warp`).
    pub warps: Vec<Warp>,
    /// Doors (object class `door`), in their starting state.
    pub doors: Vec<DoorDef>,
    /// Levers (object class `lever`).
    pub levers: Vec<Lever>,
    /// Resource nodes (object class `node`), one tile each.
    pub nodes: Vec<crate::skills::PlacedObject>,
    /// Crafting stations (object class `station`), one tile each.
    pub stations: Vec<crate::skills::PlacedObject>,
}

impl TileMap {
    /// A map of the given size with nothing blocked and no spawns.
    pub fn open(name: impl Into<String>, width: i32, height: i32) -> Self {
        let len = (width.max(0) as usize) * (height.max(0) as usize);
        let blocks =
            (width.max(0) as usize).div_ceil(BLOCK) * (height.max(0) as usize).div_ceil(BLOCK);
        let name = name.into();
        TileMap {
            display_name: name.clone(),
            name,
            width,
            height,
            blocked: vec![0; len.div_ceil(64)],
            closed: vec![0; blocks.div_ceil(64)],
            player_spawns: Vec::new(),
            zones: Vec::new(),
            warps: Vec::new(),
            doors: Vec::new(),
            levers: Vec::new(),
            nodes: Vec::new(),
            stations: Vec::new(),
        }
    }

    /// Whether the tile is on the map.
    pub fn in_bounds(&self, t: Tile) -> bool {
        t.x >= 0 && t.y >= 0 && t.x < self.width && t.y < self.height
    }

    /// Whether a walker may stand on the tile (on the map and not blocked).
    pub fn is_walkable(&self, t: Tile) -> bool {
        self.in_bounds(t) && {
            let b = self.block(t);
            self.closed[b / 64] & (1 << (b % 64)) == 0 || {
                let i = self.index(t);
                self.blocked[i / 64] & (1 << (i % 64)) == 0
            }
        }
    }

    /// Marks a tile as blocked or free; tiles off the map are ignored.
    pub fn set_blocked(&mut self, t: Tile, blocked: bool) {
        if self.in_bounds(t) {
            let i = self.index(t);
            let (word, bit) = (&mut self.blocked[i / 64], 1u64 << (i % 64));
            if blocked {
                *word |= bit;
            } else {
                *word &= !bit;
            }
            let b = self.block(t);
            let closed = blocked || self.block_has_blocked(t);
            let (word, bit) = (&mut self.closed[b / 64], 1u64 << (b % 64));
            if closed {
                *word |= bit;
            } else {
                *word &= !bit;
            }
        }
    }

    /// Whether any tile of the 8 x 8 block holding `t` is blocked.
    fn block_has_blocked(&self, t: Tile) -> bool {
        let (x0, y0) = (t.x - t.x % BLOCK as i32, t.y - t.y % BLOCK as i32);
        (y0..(y0 + BLOCK as i32).min(self.height)).any(|y| {
            (x0..(x0 + BLOCK as i32).min(self.width)).any(|x| {
                let i = self.index(Tile { x, y });
                self.blocked[i / 64] & (1 << (i % 64)) != 0
            })
        })
    }

    /// The zone containing the tile, if any (the first listed wins where zones overlap).
    pub fn zone_at(&self, t: Tile) -> Option<&Zone> {
        self.zones.iter().find(|z| z.contains(t))
    }

    /// Whether the tile lies in a safe zone (no fighting there).
    pub fn is_safe(&self, t: Tile) -> bool {
        self.zones.iter().any(|z| z.safe && z.contains(t))
    }

    /// Whether the tile lies in a zone where players may fight each other: a `pvp` zone,
    /// and no safe zone.
    pub fn is_pvp(&self, t: Tile) -> bool {
        self.zones.iter().any(|z| z.pvp && z.contains(t)) && !self.is_safe(t)
    }

    /// Whether a player killed by a player on this tile drops its unequipped inventory: a
    /// `pvp` zone holding the tile says `pvp_drops`.
    pub fn pvp_drops(&self, t: Tile) -> bool {
        self.zones
            .iter()
            .any(|z| z.pvp && z.pvp_drops && z.contains(t))
    }

    /// Number of walkable tiles.
    pub fn walkable_count(&self) -> usize {
        let blocked: usize = self.blocked.iter().map(|w| w.count_ones() as usize).sum();
        self.width.max(0) as usize * self.height.max(0) as usize - blocked
    }

    fn index(&self, t: Tile) -> usize {
        t.y as usize * self.width as usize + t.x as usize
    }

    fn block(&self, t: Tile) -> usize {
        let per_row = (self.width as usize).div_ceil(BLOCK);
        (t.y as usize / BLOCK) * per_row + t.x as usize / BLOCK
    }
}

/// Side of a block of tiles in [`TileMap`]'s summary of where anything is blocked.
const BLOCK: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocked_tiles_are_kept_per_tile_across_word_boundaries() {
        // 13 x 11 = 143 tiles: three words, the last partly used.
        let mut map = TileMap::open("t", 13, 11);
        assert_eq!(map.walkable_count(), 143);
        let marked = [(0, 0), (11, 4), (12, 4), (0, 5), (12, 10)];
        for (x, y) in marked {
            map.set_blocked(Tile { x, y }, true);
        }
        map.set_blocked(Tile { x: 13, y: 0 }, true); // off the map: ignored
        for y in 0..11 {
            for x in 0..13 {
                assert_eq!(
                    map.is_walkable(Tile { x, y }),
                    !marked.contains(&(x, y)),
                    "({x}, {y})"
                );
            }
        }
        assert_eq!(map.walkable_count(), 138);
        assert!(!map.is_walkable(Tile { x: 13, y: 0 }) && !map.is_walkable(Tile { x: -1, y: 0 }));
        map.set_blocked(Tile { x: 11, y: 4 }, false);
        assert!(map.is_walkable(Tile { x: 11, y: 4 }) && !map.is_walkable(Tile { x: 12, y: 4 }));
        assert_eq!(map.walkable_count(), 139);
    }

    #[test]
    fn walkability_matches_the_blocked_set_through_blocking_and_clearing() {
        // 37 x 29: blocks of 8 that end part-way at both edges; tiles blocked and cleared in
        // a scrambled order so that blocks close, reopen and stay closed.
        let (w, h) = (37, 29);
        let mut map = TileMap::open("t", w, h);
        let mut truth = std::collections::HashSet::new();
        let mut seed = 7u32;
        for round in 0..2000 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let t = Tile {
                x: (seed >> 8) as i32 % w,
                y: (seed >> 20) as i32 % h,
            };
            let block = round % 3 != 0 || truth.is_empty();
            map.set_blocked(t, block);
            if block {
                truth.insert(t);
            } else {
                truth.remove(&t);
            }
            if round % 97 == 0 {
                for y in 0..h {
                    for x in 0..w {
                        let t = Tile { x, y };
                        assert_eq!(
                            map.is_walkable(t),
                            !truth.contains(&t),
                            "{t:?}, round {round}"
                        );
                    }
                }
            }
        }
        for t in truth.clone() {
            map.set_blocked(t, false);
        }
        assert_eq!(map.walkable_count(), (w * h) as usize);
        assert!(map.closed.iter().all(|w| *w == 0), "every block open again");
    }
}
