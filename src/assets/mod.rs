//! Content loading: reads and validates what designers put in `assets/` — the Tiled map
//! (`tiled.rs`), the TOML content files (`content.rs`, checked by `content_checks.rs`) and
//! the locale files with the texts players read (`locales.rs`).
//! Plain functions: the server calls them before the world thread starts.

pub mod content;
mod content_checks;
mod locales;
mod story_checks;
pub mod tiled;

use std::fmt;
use std::path::Path;

use emberkeep_components::content::Content;
use emberkeep_components::map::TileMap;

pub use content::{ContentErrors, ContentProblem};
pub use tiled::{LoadedMap, MapError};

/// Loads and validates one map file (collision, player spawns, zones).
pub fn load_map(path: &Path) -> Result<TileMap, MapError> {
    tiled::load(path).map(|loaded| loaded.map)
}

/// Everything the world is built from: the map and the content, spawn areas included.
#[derive(Debug, Clone, PartialEq)]
pub struct Assets {
    /// The map the config selects.
    pub map: TileMap,
    /// Every content file; `spawn_areas` comes from the map's `mob_spawns` layer.
    pub content: Content,
    /// What is worth fixing but did not stop the assets from loading (a missing translation).
    pub warnings: Vec<ContentProblem>,
}

/// Every problem found in the map and the content files (never empty).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct AssetErrors {
    /// Map problems first, then the content files in order.
    pub problems: Vec<ContentProblem>,
    /// Warnings, which alone would not have stopped the assets from loading.
    pub warnings: Vec<ContentProblem>,
}

impl fmt::Display for AssetErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        content::write_lines(f, &self.problems)
    }
}

/// The shipped locale files (`assets/locales/`), for tests that check what a client reads.
#[cfg(test)]
pub(crate) fn shipped_locales() -> emberkeep_components::text::Locales {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    let (mut problems, mut warnings) = (Vec::new(), Vec::new());
    let locales = locales::read(&dir, &mut problems, &mut warnings);
    assert!(problems.is_empty(), "{problems:?}");
    locales.expect("the shipped locale files load")
}

/// Loads and validates the map `dir/maps/<map_name>.tmj` and every content file in `dir`,
/// listing every problem across all of them.
pub fn load_assets(dir: &Path, map_name: &str) -> Result<Assets, AssetErrors> {
    let map_file = dir.join("maps").join(format!("{map_name}.tmj"));
    let mut problems = Vec::new();
    let map = match tiled::load(&map_file) {
        Ok(map) => Some(map),
        Err(e) => {
            problems.push(ContentProblem {
                file: e.file,
                entry: String::new(),
                reason: format!("{}: {}", e.where_, e.reason),
            });
            None
        }
    };
    let loaded = content::read_all(dir);
    if let Some(map) = &map {
        for reason in content_checks::spawn_areas(&map.map, &map.spawn_areas, &loaded.mobs) {
            problems.push(ContentProblem {
                file: map_file.clone(),
                entry: String::new(),
                reason,
            });
        }
        let triggers_file = &loaded.triggers.file;
        for (entry, reason) in story_checks::zones(&loaded.triggers.defs, &map.map) {
            problems.push(ContentProblem {
                file: triggers_file.clone(),
                entry,
                reason,
            });
        }
    }
    problems.extend(loaded.problems);
    let warnings = loaded.warnings;
    match (map, loaded.content) {
        (Some(LoadedMap { map, spawn_areas }), Some(mut content)) if problems.is_empty() => {
            content.spawn_areas = spawn_areas;
            Ok(Assets {
                map,
                content,
                warnings,
            })
        }
        _ => Err(AssetErrors { problems, warnings }),
    }
}
