//! Where the warps are, for handoff mode: each map's warp rectangles in the map's own tiles,
//! from `--warp MAP:X,Y` flags or read from the maps' Tiled files (`--warps-from DIR`), and
//! the way to the nearest one from where a bot stands (in the atlas's global tiles, which the
//! server's `move` takes: a map's own tile plus its origin, from `welcome` or `map`).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

/// A tile (x, y).
pub type Tile = (i32, i32);

/// A warp's tiles, inclusive corners, in its map's own tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub min: Tile,
    pub max: Tile,
}

impl Rect {
    fn tile(t: Tile) -> Rect {
        Rect { min: t, max: t }
    }

    /// The rectangle's tile nearest to `t` (`t` itself when inside).
    fn nearest(&self, t: Tile) -> Tile {
        (
            t.0.clamp(self.min.0, self.max.0),
            t.1.clamp(self.min.1, self.max.1),
        )
    }

    fn contains(&self, t: Tile) -> bool {
        (self.min.0..=self.max.0).contains(&t.0) && (self.min.1..=self.max.1).contains(&t.1)
    }
}

/// Every map's warps, by map file id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Warps(pub BTreeMap<String, Vec<Rect>>);

/// Parses `MAP:X,Y` (a warp tile in the map's own tiles).
pub fn parse_flag(text: &str) -> Result<(String, Tile), String> {
    let bad = || format!("{text:?}: expected MAP:X,Y (a warp tile in the map's own tiles)");
    let (map, xy) = text.split_once(':').ok_or_else(bad)?;
    let (x, y) = xy.split_once(',').ok_or_else(bad)?;
    let num = |v: &str| v.trim().parse::<i32>().ok().filter(|n| *n >= 0);
    match (num(x), num(y)) {
        (Some(x), Some(y)) if !map.trim().is_empty() => Ok((map.trim().to_string(), (x, y))),
        _ => Err(bad()),
    }
}

impl Warps {
    /// The warps of `--warp` flags.
    pub fn from_flags(flags: &[(String, Tile)]) -> Warps {
        let mut w = Warps::default();
        for (map, t) in flags {
            w.0.entry(map.clone()).or_default().push(Rect::tile(*t));
        }
        w
    }

    /// Adds the warps of every `*.tmj` in `dir` (the map's file id is its name).
    pub fn read_dir(&mut self, dir: &Path) -> Result<(), String> {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
            if path.extension().is_none_or(|e| e != "tmj") {
                continue;
            }
            let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let map: Value = serde_json::from_str(&text)
                .map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
            let rects = in_map(&map);
            if !rects.is_empty() {
                self.0.entry(name.to_string()).or_default().extend(rects);
            }
        }
        Ok(())
    }

    /// How many warps there are in all.
    pub fn count(&self) -> usize {
        self.0.values().map(Vec::len).sum()
    }

    /// Where to go from `at` (global) on map `map` whose origin is `origin`: the nearest warp
    /// tile (by steps), in global tiles; `None` when the map has no warp.
    pub fn nearest(&self, map: &str, origin: Tile, at: Tile) -> Option<Tile> {
        let local = (at.0 - origin.0, at.1 - origin.1);
        let rects = self.0.get(map)?;
        let best = rects
            .iter()
            .map(|r| r.nearest(local))
            .min_by_key(|t| steps(local, *t))?;
        Some((best.0 + origin.0, best.1 + origin.1))
    }

    /// Whether global tile `at` is on a warp of `map` (origin `origin`).
    pub fn on_warp(&self, map: &str, origin: Tile, at: Tile) -> bool {
        let local = (at.0 - origin.0, at.1 - origin.1);
        self.0
            .get(map)
            .is_some_and(|rs| rs.iter().any(|r| r.contains(local)))
    }
}

/// The warp rectangles of a Tiled map (objects of type or class `warp` in any object layer,
/// group layers included), in its tiles: a rectangle covers every tile it touches, a point
/// its tile.
pub fn in_map(map: &Value) -> Vec<Rect> {
    let tw = map["tilewidth"]
        .as_f64()
        .filter(|w| *w > 0.0)
        .unwrap_or(32.0);
    let th = map["tileheight"]
        .as_f64()
        .filter(|h| *h > 0.0)
        .unwrap_or(32.0);
    let tile = |px: f64, py: f64| ((px / tw).floor() as i32, (py / th).floor() as i32);
    let mut out = Vec::new();
    let mut layers: Vec<&Value> = map["layers"].as_array().into_iter().flatten().collect();
    while let Some(layer) = layers.pop() {
        layers.extend(layer["layers"].as_array().into_iter().flatten());
        for obj in layer["objects"].as_array().into_iter().flatten() {
            let is_warp = |key: &str| {
                obj[key]
                    .as_str()
                    .is_some_and(|k| k.eq_ignore_ascii_case("warp"))
            };
            if !(is_warp("type") || is_warp("class")) {
                continue;
            }
            let (x, y) = (
                obj["x"].as_f64().unwrap_or(0.0),
                obj["y"].as_f64().unwrap_or(0.0),
            );
            let (w, h) = (
                obj["width"].as_f64().unwrap_or(0.0),
                obj["height"].as_f64().unwrap_or(0.0),
            );
            let min = tile(x, y);
            let max = if w > 0.0 && h > 0.0 {
                tile(x + w - 1.0, y + h - 1.0)
            } else {
                min
            };
            out.push(Rect { min, max });
        }
    }
    out
}

/// Orthogonal steps from `a` to `b` on open ground.
pub fn steps(a: Tile, b: Tile) -> u32 {
    a.0.abs_diff(b.0) + a.1.abs_diff(b.1)
}

/// The next step from `at` towards `to` on open ground: along the longer axis first, or
/// along the other one when `sideways` (to get round something in the way).
pub fn step_towards(at: Tile, to: Tile, sideways: bool) -> Tile {
    let (dx, dy) = (to.0 - at.0, to.1 - at.1);
    let along_x = (dx.abs() >= dy.abs()) != sideways;
    if (along_x && dx != 0) || dy == 0 {
        (at.0 + dx.signum(), at.1)
    } else {
        (at.0, at.1 + dy.signum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn warp_flags_name_a_map_and_a_tile() {
        assert_eq!(parse_flag("west:12,7"), Ok(("west".into(), (12, 7))));
        assert_eq!(parse_flag(" east : 3, 4"), Ok(("east".into(), (3, 4))));
        for bad in [
            "west",
            "west:1",
            ":1,2",
            "west:-1,2",
            "west:a,2",
            "west:1,2,3",
        ] {
            let e = parse_flag(bad).unwrap_err();
            assert!(e.contains("expected MAP:X,Y"), "{bad}: {e}");
        }
    }

    #[test]
    fn warps_are_read_from_object_layers_as_the_server_reads_rectangles() {
        let map = json!({"tilewidth": 32, "tileheight": 32, "layers": [
            {"type": "tilelayer", "name": "collision", "data": [0]},
            {"type": "objectgroup", "name": "warps", "objects": [
                // One tile.
                {"type": "warp", "x": 96, "y": 64, "width": 32, "height": 32},
                // Tiles 2..3 x 1..3: "a rectangle from pixel (64, 32), 64 px wide and 96 px
                // tall, covers tiles x 2 to 3, y 1 to 3" (docs/content.md).
                {"class": "Warp", "x": 64, "y": 32, "width": 64, "height": 96},
                {"type": "zone", "x": 0, "y": 0, "width": 32, "height": 32},
            ]},
            {"type": "group", "layers": [{"type": "objectgroup", "objects": [
                {"type": "warp", "x": 330, "y": 10, "point": true},
            ]}]},
        ]});
        let mut got = in_map(&map);
        got.sort_by_key(|r| r.min);
        assert_eq!(
            got,
            vec![
                Rect {
                    min: (2, 1),
                    max: (3, 3)
                },
                Rect {
                    min: (3, 2),
                    max: (3, 2)
                },
                Rect {
                    min: (10, 0),
                    max: (10, 0)
                },
            ]
        );
    }

    #[test]
    fn the_nearest_warp_is_found_in_global_tiles() {
        let w = Warps::from_flags(&[
            ("west".into(), (10, 10)),
            ("west".into(), (40, 10)),
            ("east".into(), (3, 3)),
        ]);
        // West at (0, 0), standing at (13, 12): (10, 10) is 5 steps, (40, 10) 29.
        assert_eq!(w.nearest("west", (0, 0), (13, 12)), Some((10, 10)));
        // East placed at (1056, 0) in this process's atlas.
        assert_eq!(w.nearest("east", (1056, 0), (1064, 3)), Some((1059, 3)));
        assert!(w.on_warp("east", (1056, 0), (1059, 3)));
        assert!(!w.on_warp("east", (0, 0), (1059, 3)));
        assert_eq!(w.nearest("crypt", (0, 0), (1, 1)), None);
        // A rectangle's nearest tile, not its corner.
        let r = Warps(BTreeMap::from([(
            "m".into(),
            vec![Rect {
                min: (5, 0),
                max: (5, 9),
            }],
        )]));
        assert_eq!(r.nearest("m", (0, 0), (0, 4)), Some((5, 4)));
        assert_eq!(w.count(), 3);
    }

    #[test]
    fn steps_go_along_the_longer_axis_unless_sideways() {
        assert_eq!(step_towards((0, 0), (5, 2), false), (1, 0));
        assert_eq!(step_towards((0, 0), (5, 2), true), (0, 1));
        assert_eq!(step_towards((0, 0), (1, -4), false), (0, -1));
        // Sideways on a straight line has no other axis: it goes straight.
        assert_eq!(step_towards((0, 0), (-3, 0), true), (-1, 0));
        assert_eq!(step_towards((2, 2), (2, 0), true), (2, 1));
        assert_eq!(steps((0, 0), (3, -4)), 7);
    }
}
