//! The tile map the world is played on: size, collision and named places, as read from Tiled.

use bevy_ecs::prelude::Resource;

/// A tile coordinate on the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    pub name: String,
    /// Top-left tile, inclusive.
    pub min: Tile,
    /// Bottom-right tile, inclusive.
    pub max: Tile,
    pub safe: bool,
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
    pub name: String,
    pub width: i32,
    pub height: i32,
    /// Row-major, `width * height` entries; `true` blocks movement.
    blocked: Vec<bool>,
    pub player_spawns: Vec<SpawnPoint>,
    pub zones: Vec<Zone>,
}

impl TileMap {
    /// A map of the given size with nothing blocked and no spawns.
    pub fn open(name: impl Into<String>, width: i32, height: i32) -> Self {
        let len = (width.max(0) as usize) * (height.max(0) as usize);
        TileMap {
            name: name.into(),
            width,
            height,
            blocked: vec![false; len],
            player_spawns: Vec::new(),
            zones: Vec::new(),
        }
    }

    /// Whether the tile is on the map.
    pub fn in_bounds(&self, t: Tile) -> bool {
        t.x >= 0 && t.y >= 0 && t.x < self.width && t.y < self.height
    }

    /// Whether a walker may stand on the tile (on the map and not blocked).
    pub fn is_walkable(&self, t: Tile) -> bool {
        self.in_bounds(t) && !self.blocked[self.index(t)]
    }

    /// Marks a tile as blocked or free; tiles off the map are ignored.
    pub fn set_blocked(&mut self, t: Tile, blocked: bool) {
        if self.in_bounds(t) {
            let i = self.index(t);
            self.blocked[i] = blocked;
        }
    }

    /// The zone containing the tile, if any (the first listed wins where zones overlap).
    pub fn zone_at(&self, t: Tile) -> Option<&Zone> {
        self.zones.iter().find(|z| z.contains(t))
    }

    /// Whether the tile lies in a safe zone (no fighting there).
    pub fn is_safe(&self, t: Tile) -> bool {
        self.zones.iter().any(|z| z.safe && z.contains(t))
    }

    /// Number of walkable tiles.
    pub fn walkable_count(&self) -> usize {
        self.blocked.iter().filter(|b| !**b).count()
    }

    fn index(&self, t: Tile) -> usize {
        t.y as usize * self.width as usize + t.x as usize
    }
}
