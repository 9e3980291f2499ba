#!/usr/bin/env python3
"""Adds (or replaces) the "West gate rats" spawn area in assets/maps/emberfield.tmj: four
field rats on open ground just outside Emberkeep Town's west gate (tiles x 48..54, y 75..83,
in the Western Fields), so that a newcomer meets a level-1 mob a few steps out of town
instead of 25 tiles away. The area stays 6 tiles clear of the town wall (x = 60), more than
a rat's wander radius (4), so no rat walks into the safe town. It goes last in the
"mob_spawns" layer; everything else in the map is left as it is, and running it again
changes nothing.
Run from the repository root:  python3 tools/gen_gate_rats.py
"""

import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIELD = os.path.join(ROOT, "assets", "maps", "emberfield.tmj")
TILE = 32
NAME = "West gate rats"
MOB, COUNT = "rat", 4
X, Y, W, H = 48, 75, 7, 9
TOWN_WALL_X = 60
RAT_WANDER = 4


def prop(name, kind, value):
    return {"name": name, "type": kind, "value": value}


def main():
    assert X + W - 1 + RAT_WANDER < TOWN_WALL_X, "rats could wander into the town"
    with open(FIELD) as f:
        field = json.load(f)
    spawns = next(l for l in field["layers"] if l.get("name") == "mob_spawns")
    old = next((o for o in spawns["objects"] if o.get("name") == NAME), None)
    kept = [o for o in spawns["objects"] if o.get("name") != NAME]
    if old is not None:
        area_id = old["id"]
    else:
        area_id = field["nextobjectid"]
        field["nextobjectid"] = area_id + 1
    collision = next(l for l in field["layers"] if l.get("name") == "collision")
    width = field["width"]
    walkable = sum(1 for y in range(Y, Y + H) for x in range(X, X + W)
                   if collision["data"][y * width + x] == 0)
    assert walkable >= COUNT * 4, f"only {walkable} walkable tiles for {COUNT} rats"
    area = {
        "id": area_id, "name": NAME, "type": "mob_spawn", "rotation": 0, "visible": True,
        "x": X * TILE, "y": Y * TILE, "width": W * TILE, "height": H * TILE,
        "properties": [prop("mob", "string", MOB), prop("count", "int", COUNT)],
    }
    spawns["objects"] = kept + [area]
    with open(FIELD, "w") as f:
        json.dump(field, f, separators=(",", ":"), sort_keys=True)


if __name__ == "__main__":
    main()
