#!/usr/bin/env python3
"""tools/gen_load_map.py — an open load-test map for tools/load.sh and tools/soak.sh.

  gen_load_map.py OUT.tmj SIDE PLAYERS MOBS CROWD

SIDE x SIDE walkable tiles; PLAYERS player spawn points on an even grid (the server hands
newcomers the next one in turn), over the whole map or, with CROWD > 0, over one CROWD x CROWD
square in the middle (with 40 rats among them); MOBS hostile mobs in spawn areas of up to 100
each, one per cell of an even grid, the kinds in turn. Standard library only.
"""
import json, math, sys
try:
    path, side, players, mobs, crowd = sys.argv[1], *(int(a) for a in sys.argv[2:6])
    if len(sys.argv) != 6 or side < 8 or players < 1 or mobs < 0 or not 0 <= crowd <= side:
        raise ValueError("out of range")
except ValueError as e:
    sys.exit(f"gen_load_map.py: usage: OUT.tmj SIDE PLAYERS MOBS CROWD (integers; SIDE >= 8, "
             f"PLAYERS >= 1, MOBS >= 0, 0 <= CROWD <= SIDE); got {sys.argv[1:]}: {e}")
T = 32
# Player spawn points on an even grid (newcomers are handed them in turn): over the whole map,
# or (--crowd) over one CROWD x CROWD square in its middle.
per_row = max(1, math.ceil(math.sqrt(players)))
if crowd > 0:
    x0 = y0 = (side - crowd) // 2
    spread = crowd
else:
    x0 = y0 = 0
    spread = side
gap = spread / (per_row + 1)
spawns = [{"id": 1 + i, "name": f"s{i}", "type": "player_spawn", "point": True,
           "x": (x0 + int(gap * (1 + i % per_row)) + 0.5) * T, "y": (y0 + int(gap * (1 + i // per_row)) + 0.5) * T}
          for i in range(players)]
# Mob areas of (up to) 100 each, one per cell of an even grid, hostile kinds in turn.
kinds = ["rat", "wolf", "crab", "goblin", "forest_spider"]
areas, left = [], mobs
n_areas = math.ceil(mobs / 100)
cols = max(1, math.ceil(math.sqrt(n_areas)))
cell = side // cols
for a in range(n_areas):
    count = min(100, left); left -= count
    cx, cy = a % cols, a // cols
    x0, y0, w = cx * cell + 2, cy * cell + 2, max(1, cell - 4)
    areas.append({"id": 100000 + a, "name": f"area{a}", "type": "mob_spawn",
                  "x": x0 * T, "y": y0 * T, "width": w * T, "height": w * T,
                  "properties": [{"name": "mob", "type": "string", "value": kinds[a % len(kinds)]},
                                 {"name": "count", "type": "int", "value": count}]})
if crowd > 0:
    # A few rats among the crowd, for it to fight.
    c0 = (side - crowd) // 2
    areas.append({"id": 200000, "name": "crowd_rats", "type": "mob_spawn",
                  "x": c0 * T, "y": c0 * T, "width": crowd * T, "height": crowd * T,
                  "properties": [{"name": "mob", "type": "string", "value": "rat"},
                                 {"name": "count", "type": "int", "value": 40}]})
m = {"width": side, "height": side, "tilewidth": T, "tileheight": T, "orientation": "orthogonal",
     "infinite": False, "type": "map", "version": "1.10", "tilesets": [],
     "layers": [
         {"id": 1, "type": "tilelayer", "name": "collision", "width": side, "height": side,
          "data": [0] * (side * side)},
         {"id": 2, "type": "objectgroup", "name": "spawns", "objects": spawns},
         {"id": 3, "type": "objectgroup", "name": "mob_spawns", "objects": areas}]}
with open(path, "w") as f:
    json.dump(m, f, separators=(",", ":"))
