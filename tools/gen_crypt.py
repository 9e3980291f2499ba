#!/usr/bin/env python3
"""Writes assets/maps/crypt.tmj (a small dungeon under Emberfield) and the warp into it in
assets/maps/emberfield.tmj (a "warps" object layer, replaced if present; the rest of
emberfield is left as it is). Run from the repository root:  python3 tools/gen_crypt.py

The crypt, 32 x 24 tiles: a west hall with the stairs up (a warp back to Emberfield) and a
spawn point, a wall at x = 16 with a locked gate `crypt_gate` (key: item `crypt_key`) at
y = 11..12, and an east hall behind it with a lever that works the gate from inside. The
west hall holds restless skeletons and the Crypt Warden (who carries the gate's key, see
loot.toml); two more skeletons guard the east hall.
"""

import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAPS = os.path.join(ROOT, "assets", "maps")
W, H, TILE = 32, 24, 32
# Tile ids (gid = tileset id + 1) of assets/tilesets/terrain.png.
STONE_FLOOR, STONE_WALL, DOOR, BLOCKED = 7, 8, 14, 16
GATE = [(16, 11), (16, 12)]
STAIRS = (2, 1)  # on the crypt's side: back up
ARRIVAL = (3, 3)  # where players land in the crypt
# In Emberfield: the stairs down, and where players come back up (next to them).
FIELD_STAIRS = (86, 84)
FIELD_ARRIVAL = (86, 85)


def wall(x, y):
    if x in (0, W - 1) or y in (0, H - 1):
        return (x, y) != STAIRS
    return x == 16 and (x, y) not in GATE


def prop(name, kind, value):
    return {"name": name, "type": kind, "value": value}


def obj(id_, name, kind, x, y, w=1, h=1, props=(), point=False):
    o = {"id": id_, "name": name, "type": kind, "x": x * TILE, "y": y * TILE,
         "width": 0 if point else w * TILE, "height": 0 if point else h * TILE,
         "rotation": 0, "visible": True, "properties": list(props)}
    if point:
        o["point"] = True
        o["x"] += TILE // 2
        o["y"] += TILE // 2
    return o


def crypt():
    cells = [(x, y) for y in range(H) for x in range(W)]
    ground = [STONE_WALL if wall(x, y) else STONE_FLOOR for x, y in cells]
    decor = [DOOR if (x, y) in GATE or (x, y) == STAIRS else 0 for x, y in cells]
    collision = [BLOCKED if wall(x, y) else 0 for x, y in cells]

    def tiles(id_, name, data, visible=True):
        return {"id": id_, "name": name, "type": "tilelayer", "width": W, "height": H,
                "x": 0, "y": 0, "opacity": 1, "visible": visible, "data": data}

    def objects(id_, name, objs):
        return {"id": id_, "name": name, "type": "objectgroup", "draworder": "topdown",
                "x": 0, "y": 0, "opacity": 1, "visible": True, "objects": objs}

    layers = [
        tiles(1, "ground", ground),
        tiles(2, "decor", decor),
        tiles(3, "collision", collision, visible=False),
        objects(4, "spawns", [obj(1, "crypt_stairs", "player_spawn", *ARRIVAL, point=True)]),
        objects(5, "zones", [
            obj(2, "Crypt of Embers", "zone", 1, 1, 15, 22, [
                prop("music", "string", "cold_stone"), prop("min_level", "int", 3)]),
            obj(3, "Inner Crypt", "zone", 17, 1, 14, 22, [
                prop("music", "string", "cold_stone"), prop("min_level", "int", 5)]),
        ]),
        objects(6, "logic", [
            obj(4, "stairs_up", "warp", STAIRS[0], STAIRS[1], props=[
                prop("map", "string", "emberfield"),
                prop("x", "int", FIELD_ARRIVAL[0]), prop("y", "int", FIELD_ARRIVAL[1])]),
            obj(5, "crypt_gate", "door", GATE[0][0], GATE[0][1], 1, len(GATE), props=[
                prop("state", "string", "locked"), prop("key", "string", "crypt_key")]),
            obj(6, "gate_lever", "lever", 18, 9, point=True, props=[
                prop("door", "string", "crypt_gate")]),
        ]),
        objects(7, "mob_spawns", [
            obj(7, "Restless dead", "mob_spawn", 4, 14, 10, 7, [
                prop("mob", "string", "skeleton"), prop("count", "int", 3)]),
            obj(8, "The Warden's vigil", "mob_spawn", 12, 18, 3, 3, [
                prop("mob", "string", "crypt_warden"), prop("count", "int", 1)]),
            obj(9, "Inner crypt guardians", "mob_spawn", 22, 14, 7, 7, [
                prop("mob", "string", "skeleton"), prop("count", "int", 2)]),
        ]),
    ]
    return {
        "compressionlevel": -1, "width": W, "height": H, "tilewidth": TILE, "tileheight": TILE,
        "infinite": False, "orientation": "orthogonal", "renderorder": "right-down",
        "tiledversion": "1.10.2", "type": "map", "version": "1.10",
        "nextlayerid": 8, "nextobjectid": 10,
        "properties": [prop("display_name", "string", "Crypt of Embers")],
        "tilesets": [{"firstgid": 1, "source": None}],
        "layers": layers,
    }


def main():
    field_path = os.path.join(MAPS, "emberfield.tmj")
    with open(field_path) as f:
        field = json.load(f)
    m = crypt()
    # The same embedded tileset as Emberfield's, so clients draw both the same way.
    m["tilesets"] = field["tilesets"]
    with open(os.path.join(MAPS, "crypt.tmj"), "w") as f:
        json.dump(m, f, separators=(",", ":"), sort_keys=True)
    layers = [l for l in field["layers"] if l.get("name") != "warps"]
    next_id = field["nextobjectid"]
    warp_id = max((o["id"] for l in layers for o in l.get("objects", [])), default=0) + 1
    layers.append({
        "id": field["nextlayerid"] if not any(l.get("name") == "warps" for l in field["layers"])
        else next(l["id"] for l in field["layers"] if l.get("name") == "warps"),
        "name": "warps", "type": "objectgroup", "draworder": "topdown",
        "x": 0, "y": 0, "opacity": 1, "visible": True,
        "objects": [obj(warp_id, "crypt_stairs", "warp", *FIELD_STAIRS, props=[
            prop("map", "string", "crypt"),
            prop("x", "int", ARRIVAL[0]), prop("y", "int", ARRIVAL[1])])],
    })
    field["layers"] = layers
    field["nextlayerid"] = max(field["nextlayerid"], 8)
    field["nextobjectid"] = max(next_id, warp_id + 1)
    with open(field_path, "w") as f:
        json.dump(field, f, separators=(",", ":"), sort_keys=True)


if __name__ == "__main__":
    main()
