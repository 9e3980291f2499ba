#!/usr/bin/env python3
"""Adds (or replaces) the PvP arena zone in assets/maps/emberfield.tmj: "Ember Arena", a
10 x 5 tile rectangle of open ground just outside Emberkeep Town's east gate (tiles
x 104..113, y 78..82), flagged `pvp = true` and, explicitly, `pvp_drops = false` (a death
there costs nothing but the walk back). It goes first in the "zones" layer, so that where it
overlaps the Eastern Riverlands it is the zone players are told they entered. Everything else
in the map is left as it is; running it again changes nothing.
Run from the repository root:  python3 tools/gen_arena.py
"""

import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIELD = os.path.join(ROOT, "assets", "maps", "emberfield.tmj")
TILE = 32
NAME = "Ember Arena"
X, Y, W, H = 104, 78, 10, 5


def prop(name, kind, value):
    return {"name": name, "type": kind, "value": value}


def main():
    with open(FIELD) as f:
        field = json.load(f)
    zones = next(l for l in field["layers"] if l.get("name") == "zones")
    kept = [o for o in zones["objects"] if o.get("name") != NAME]
    old = next((o for o in zones["objects"] if o.get("name") == NAME), None)
    if old is not None:
        arena_id = old["id"]
    else:
        arena_id = field["nextobjectid"]
        field["nextobjectid"] = arena_id + 1
    collision = next(l for l in field["layers"] if l.get("name") == "collision")
    width = field["width"]
    for y in range(Y, Y + H):
        for x in range(X, X + W):
            assert collision["data"][y * width + x] == 0, f"({x}, {y}) is blocked"
    arena = {
        "id": arena_id, "name": NAME, "type": "zone", "rotation": 0, "visible": True,
        "x": X * TILE, "y": Y * TILE, "width": W * TILE, "height": H * TILE,
        "properties": [
            prop("music", "string", "river_song"),
            prop("pvp", "bool", True),
            prop("pvp_drops", "bool", False),
            prop("safe", "bool", False),
        ],
    }
    zones["objects"] = [arena] + kept
    with open(FIELD, "w") as f:
        json.dump(field, f, separators=(",", ":"), sort_keys=True)


if __name__ == "__main__":
    main()
