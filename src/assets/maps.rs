//! Every map of the world: reads `maps/*.tmj` (the start map first, then the others by file
//! name) and checks what links them — warp targets, door keys, resource node ids.

use std::path::{Path, PathBuf};

use emberkeep_components::content::Content;

use super::ContentProblem;
use super::tiled::{self, LoadedMap};

/// One read map and the file it came from.
pub(super) struct MapFile {
    pub path: PathBuf,
    pub loaded: LoadedMap,
}

fn problem(file: &Path, reason: String) -> ContentProblem {
    ContentProblem {
        file: file.to_owned(),
        entry: String::new(),
        reason,
    }
}

/// Reads every map; problems (a file that does not parse, a missing start map) go to
/// `problems`. The start map comes first, then the others by file name.
pub(super) fn read_all(
    dir: &Path,
    start: &str,
    problems: &mut Vec<ContentProblem>,
) -> Vec<MapFile> {
    let folder = dir.join("maps");
    let start_file = folder.join(format!("{start}.tmj"));
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(&folder) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "tmj") && p != &start_file)
            .collect(),
        Err(e) => {
            problems.push(problem(
                &folder,
                format!("cannot list the maps folder: {e}"),
            ));
            Vec::new()
        }
    };
    paths.sort();
    paths.insert(0, start_file);
    let mut out = Vec::new();
    for path in paths {
        match tiled::load(&path) {
            Ok(loaded) => out.push(MapFile { path, loaded }),
            Err(e) => problems.push(problem(&e.file, format!("{}: {}", e.where_, e.reason))),
        }
    }
    out
}

/// Problems with what points from one map to another or into the content: a warp to a map
/// that does not exist, or to a tile off it, blocked or on a warp of its own; a door key that
/// is not an item.
pub(super) fn cross_check(maps: &[MapFile], content: Option<&Content>) -> Vec<ContentProblem> {
    let mut out = Vec::new();
    for f in maps {
        let map = &f.loaded.map;
        for w in &map.warps {
            let at = format!("warp {:?}", w.name);
            let Some(target) = maps.iter().find(|t| t.loaded.map.name == w.to_map) else {
                let known: Vec<&str> = maps.iter().map(|t| t.loaded.map.name.as_str()).collect();
                out.push(problem(
                    &f.path,
                    format!(
                        "{at}: map {:?} does not exist (maps: {})",
                        w.to_map,
                        known.join(", ")
                    ),
                ));
                continue;
            };
            let t = &target.loaded.map;
            let reason = if !t.in_bounds(w.to) {
                Some(format!("is off that map ({}x{})", t.width, t.height))
            } else if !t.is_walkable(w.to) {
                Some("is blocked in that map's collision layer".to_string())
            } else if t.warps.iter().any(|o| o.contains(w.to)) {
                Some("is on a warp of that map; players would bounce".to_string())
            } else {
                None
            };
            if let Some(reason) = reason {
                out.push(problem(
                    &f.path,
                    format!(
                        "{at}: target tile ({}, {}) on map {:?} {reason}",
                        w.to.x, w.to.y, w.to_map
                    ),
                ));
            }
        }
        if let Some(content) = content {
            for d in &map.doors {
                if let Some(key) = &d.key
                    && !content.items.contains_key(key)
                {
                    out.push(problem(
                        &f.path,
                        format!("door {:?}: key {key:?} is not in items.toml", d.name),
                    ));
                }
            }
            for n in map
                .nodes
                .iter()
                .filter(|n| !content.nodes.contains_key(&n.id))
            {
                out.push(problem(
                    &f.path,
                    format!(
                        "node at ({}, {}): {:?} is not in nodes.toml",
                        n.tile.x, n.tile.y, n.id
                    ),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
#[path = "maps_tests.rs"]
mod tests;
