//! Content loading: reads and validates what designers put in `assets/` — the Tiled maps
//! (`tiled.rs`, all of them and their links in `maps.rs`), the TOML content files (`content.rs`, checked by `content_checks.rs`) and
//! the locale files with the texts players read (`locales.rs`).
//! Plain functions: the server calls them before the world thread starts.

mod ability_checks;
pub mod content;
mod content_checks;
mod locales;
mod maps;
mod quest_checks;
mod shop_checks;
mod skill_checks;
mod story_checks;
mod story_refs;
pub mod tiled;

use std::fmt;
use std::path::Path;

use emberkeep_components::atlas::Maps;
use emberkeep_components::content::{Content, SpawnArea};
use emberkeep_components::map::{Tile, TileMap};

pub use content::{ContentErrors, ContentProblem};
pub use tiled::{LoadedMap, MapError};

/// Loads and validates one map file (collision, player spawns, zones).
pub fn load_map(path: &Path) -> Result<TileMap, MapError> {
    tiled::load(path).map(|loaded| loaded.map)
}

/// Everything the world is built from: the maps and the content, spawn areas included.
#[derive(Debug, Clone, PartialEq)]
pub struct Assets {
    /// The atlas' collision grid: every map placed in one global tile space, named after
    /// the start map (the one the config selects).
    pub map: TileMap,
    /// Each map: where it lies in the atlas and its zones, warps, doors and levers.
    pub maps: Maps,
    /// Every content file; `spawn_areas` comes from the maps' `mob_spawns` layers (global
    /// tiles).
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

/// Loads and validates every map in `dir/maps/` (`start_map` first; see
/// [`emberkeep_components::atlas`] for how they are placed with regions of `region_size`
/// tiles) and every content file in `dir`, listing every problem across all of them.
pub fn load_assets(dir: &Path, start_map: &str, region_size: i32) -> Result<Assets, AssetErrors> {
    let mut problems = Vec::new();
    let files = maps::read_all(dir, start_map, &mut problems);
    let loaded = content::read_all(dir);
    for f in &files {
        for reason in
            content_checks::spawn_areas(&f.loaded.map, &f.loaded.spawn_areas, &loaded.mobs)
        {
            problems.push(ContentProblem {
                file: f.path.clone(),
                entry: String::new(),
                reason,
            });
        }
    }
    let all_maps: Vec<&emberkeep_components::map::TileMap> =
        files.iter().map(|f| &f.loaded.map).collect();
    for (entry, reason) in story_checks::zones(&loaded.triggers.defs, &all_maps) {
        problems.push(ContentProblem {
            file: loaded.triggers.file.clone(),
            entry,
            reason,
        });
    }
    if let Some(content) = &loaded.content {
        problems.extend(quest_checks::zones(content, &all_maps, dir));
        problems.extend(story_refs::check(content, &all_maps, dir));
    }
    problems.extend(maps::cross_check(&files, loaded.content.as_ref()));
    problems.extend(loaded.problems);
    let warnings = loaded.warnings;
    match loaded.content {
        Some(mut content) if problems.is_empty() => {
            let sizes: Vec<(i32, i32)> = files
                .iter()
                .map(|f| (f.loaded.map.width, f.loaded.map.height))
                .collect();
            let origins = Maps::origins(&sizes, region_size);
            content.spawn_areas = files
                .iter()
                .zip(&origins)
                .flat_map(|(f, o)| {
                    f.loaded.spawn_areas.iter().map(move |a| SpawnArea {
                        min: Tile {
                            x: a.min.x + o.x,
                            y: a.min.y + o.y,
                        },
                        max: Tile {
                            x: a.max.x + o.x,
                            y: a.max.y + o.y,
                        },
                        ..a.clone()
                    })
                })
                .collect();
            let (map, maps) = Maps::build(
                files.into_iter().map(|f| f.loaded.map).collect(),
                region_size,
            );
            Ok(Assets {
                map,
                maps,
                content,
                warnings,
            })
        }
        _ => Err(AssetErrors { problems, warnings }),
    }
}
