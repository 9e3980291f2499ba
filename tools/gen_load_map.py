#!/usr/bin/env python3
"""tools/gen_load_map.py — open load-test maps for tools/load.sh, tools/soak.sh and
tools/cluster_load.sh.

  gen_load_map.py OUT.tmj SIDE PLAYERS MOBS CROWD
  gen_load_map.py --pair OUT_DIR SIDE PLAYERS MOBS

SIDE x SIDE walkable tiles; PLAYERS player spawn points on an even grid (the server hands
newcomers the next one in turn), over the whole map or, with CROWD > 0, over one CROWD x CROWD
square in the middle (with 40 rats among them); MOBS hostile mobs in spawn areas of up to 100
each, one per cell of an even grid, the kinds in turn.

--pair writes two such maps, OUT_DIR/west.tmj and OUT_DIR/east.tmj (no crowd), for a cluster
of two processes. Both have the same spawn grid, and next to every spawn point a one-tile
warp (WARP_DX tiles east of it) to the other map: the warp by spawn point i of one map lands
on the tile ARRIVAL_DX tiles east of spawn point i of the other, two steps east of that map's
own warp i, so a player who arrives walks two steps west and is on its way back.
Standard library only.
"""
import json
import math
import sys

T = 32
KINDS = ["rat", "wolf", "crab", "goblin", "forest_spider"]
# Where a spawn point's warp and the other map's arrival tile are, in tiles east of it.
WARP_DX = 3
ARRIVAL_DX = 5
PAIR = ("west", "east")


def spawn_tiles(side, players, crowd=0):
    """The PLAYERS spawn tiles (x, y) on an even grid: over the whole map, or over one
    CROWD x CROWD square in its middle."""
    per_row = max(1, math.ceil(math.sqrt(players)))
    if crowd > 0:
        x0 = y0 = (side - crowd) // 2
        spread = crowd
    else:
        x0 = y0 = 0
        spread = side
    gap = spread / (per_row + 1)
    return [(x0 + int(gap * (1 + i % per_row)), y0 + int(gap * (1 + i // per_row)))
            for i in range(players)]


def spawn_gap(side, players):
    """Tiles between two neighbouring spawn points of an uncrowded map (at least)."""
    return int(side / (max(1, math.ceil(math.sqrt(players))) + 1))


def mob_areas(side, mobs):
    """Mob spawn areas of (up to) 100 each, one per cell of an even grid, kinds in turn."""
    areas, left = [], mobs
    n_areas = math.ceil(mobs / 100)
    cols = max(1, math.ceil(math.sqrt(n_areas)))
    cell = side // cols
    for a in range(n_areas):
        count = min(100, left)
        left -= count
        cx, cy = a % cols, a // cols
        x0, y0, w = cx * cell + 2, cy * cell + 2, max(1, cell - 4)
        areas.append({"id": 100000 + a, "name": f"area{a}", "type": "mob_spawn",
                      "x": x0 * T, "y": y0 * T, "width": w * T, "height": w * T,
                      "properties": [{"name": "mob", "type": "string", "value": KINDS[a % len(KINDS)]},
                                     {"name": "count", "type": "int", "value": count}]})
    return areas


def tile_rect(oid, name, kind, x, y, properties):
    """A one-tile rectangle object on tile (x, y)."""
    return {"id": oid, "name": name, "type": kind, "x": x * T, "y": y * T,
            "width": T, "height": T, "properties": properties}


def warps_to(other, spawns):
    """One warp next to each spawn point, to the arrival tile by the same spawn point of map
    `other` (in that map's own tiles)."""
    return [tile_rect(300000 + i, f"to_{other}_{i}", "warp", x + WARP_DX, y,
                      [{"name": "map", "type": "string", "value": other},
                       {"name": "x", "type": "int", "value": x + ARRIVAL_DX},
                       {"name": "y", "type": "int", "value": y}])
            for i, (x, y) in enumerate(spawns)]


def load_map(side, players, mobs, crowd=0, warps=()):
    """The map as a Tiled JSON value."""
    spawns = [{"id": 1 + i, "name": f"s{i}", "type": "player_spawn", "point": True,
               "x": (x + 0.5) * T, "y": (y + 0.5) * T}
              for i, (x, y) in enumerate(spawn_tiles(side, players, crowd))]
    areas = mob_areas(side, mobs)
    if crowd > 0:
        # A few rats among the crowd, for it to fight.
        c0 = (side - crowd) // 2
        areas.append({"id": 200000, "name": "crowd_rats", "type": "mob_spawn",
                      "x": c0 * T, "y": c0 * T, "width": crowd * T, "height": crowd * T,
                      "properties": [{"name": "mob", "type": "string", "value": "rat"},
                                     {"name": "count", "type": "int", "value": 40}]})
    layers = [
        {"id": 1, "type": "tilelayer", "name": "collision", "width": side, "height": side,
         "data": [0] * (side * side)},
        {"id": 2, "type": "objectgroup", "name": "spawns", "objects": spawns},
        {"id": 3, "type": "objectgroup", "name": "mob_spawns", "objects": areas}]
    if warps:
        layers.append({"id": 4, "type": "objectgroup", "name": "warps", "objects": list(warps)})
    return {"width": side, "height": side, "tilewidth": T, "tileheight": T,
            "orientation": "orthogonal", "infinite": False, "type": "map", "version": "1.10",
            "tilesets": [], "layers": layers}


def pair_maps(side, players, mobs):
    """{"west": map, "east": map}: two open maps whose warps lead to each other."""
    if spawn_gap(side, players) < ARRIVAL_DX + 3:
        raise ValueError(f"{players} spawn points on {side} x {side} tiles are closer than "
                         f"{ARRIVAL_DX + 3} tiles: no room for the warps; make SIDE larger")
    spawns = spawn_tiles(side, players)
    a, b = PAIR
    return {a: load_map(side, players, mobs, warps=warps_to(b, spawns)),
            b: load_map(side, players, mobs, warps=warps_to(a, spawns))}


def write(path, value):
    with open(path, "w") as f:
        json.dump(value, f, separators=(",", ":"))


def main(argv):
    pair = bool(argv) and argv[0] == "--pair"
    args = argv[1:] if pair else argv
    want = 4 if pair else 5
    try:
        if len(args) != want:
            raise ValueError(f"expected {want} arguments")
        out, side, players, mobs = args[0], *(int(a) for a in args[1:4])
        crowd = 0 if pair else int(args[4])
        if side < 8 or players < 1 or mobs < 0 or not 0 <= crowd <= side:
            raise ValueError("out of range")
        maps = pair_maps(side, players, mobs) if pair else None
    except ValueError as e:
        sys.exit("gen_load_map.py: usage: OUT.tmj SIDE PLAYERS MOBS CROWD, or --pair OUT_DIR "
                 "SIDE PLAYERS MOBS (integers; SIDE >= 8, PLAYERS >= 1, MOBS >= 0, "
                 f"0 <= CROWD <= SIDE); got {argv}: {e}")
    if pair:
        for name, value in maps.items():
            write(f"{out}/{name}.tmj", value)
    else:
        write(out, load_map(side, players, mobs, crowd))


if __name__ == "__main__":
    main(sys.argv[1:])
