//! Content loading: reads and validates what designers put in `assets/`.

pub mod tiled;

use std::path::Path;

use emberkeep_components::map::TileMap;

pub use tiled::MapError;

/// Loads and validates the map a config selects.
pub fn load_map(path: &Path) -> Result<TileMap, MapError> {
    tiled::load(path)
}
