#!/usr/bin/env python3
"""Places resource nodes and crafting stations on assets/maps/emberfield.tmj, in its own
object layer "resources" (replaced if present; the rest of the map is left as it is), so
running it again gives the same file. Run from the repository root:
    python3 tools/gen_resources.py

Nodes (class `node`, property `node` = an id in assets/nodes.toml) sit on one tile each;
players gather from that tile or next to it, so a node may be on a blocked tile (a tree, a
rock, water) as long as a walkable tile touches it:
  - oak trees along the north edge of the Old Forest, willows deeper in;
  - copper and tin rocks nearest the town, iron rocks farther out;
  - fishing spots on Mirror Lake's shallow rim, trout pools on the southern shore;
  - marigold on flowers in the meadows near town, sageleaf on the Old Forest's flowers.
Stations (class `station`, property `station` = anvil | campfire | workbench | furnace) stand
in the town square around the player spawn (80, 80).
"""

import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAP_PATH = os.path.join(ROOT, "assets", "maps", "emberfield.tmj")
TILE = 32
LAYER = "resources"
# Tile ids (gid) of assets/tilesets/terrain.png, as tools/gen_map.py writes them.
FLOWERS, SHALLOW, TREE, ROCK = 2, 5, 11, 12
TOWN = (60, 64, 99, 95)  # x0, y0, x1, y1 of the town walls (inclusive)
STATIONS = [("campfire", 76, 84), ("furnace", 84, 76), ("anvil", 85, 76),
            ("workbench", 76, 76)]
# (node id, tile kind, reference tile (nearest first), how many, area x0, y0, x1, y1)
NODES = [
    ("oak_tree", TREE, (40, 100), 6, (0, 100, 59, 106)),
    ("willow_tree", TREE, (30, 118), 3, (0, 110, 59, 137)),
    ("copper_rock", ROCK, (80, 80), 4, (0, 0, 159, 159)),
    ("tin_rock", ROCK, (80, 80), 4, (0, 0, 159, 159)),
    ("iron_rock", ROCK, (140, 20), 3, (100, 0, 159, 63)),
    ("fishing_spot", SHALLOW, (110, 40), 4, (100, 0, 159, 63)),
    ("trout_spot", SHALLOW, (80, 140), 3, (60, 136, 159, 159)),
    ("marigold_patch", FLOWERS, (80, 80), 5, (0, 0, 159, 159)),
    ("sageleaf_patch", FLOWERS, (30, 110), 3, (0, 100, 59, 137)),
]
SPACING = 3  # tiles between two nodes at least (Chebyshev)


def layer_data(field, name):
    return next(l for l in field["layers"] if l.get("name") == name)["data"]


def main():
    with open(MAP_PATH) as f:
        field = json.load(f)
    w, h = field["width"], field["height"]
    ground, decor = layer_data(field, "ground"), layer_data(field, "decor")
    collision = layer_data(field, "collision")

    def at(data, x, y):
        return data[y * w + x]

    def walkable(x, y):
        return 0 <= x < w and 0 <= y < h and at(collision, x, y) == 0

    def in_town(x, y):
        return TOWN[0] <= x <= TOWN[2] and TOWN[1] <= y <= TOWN[3]

    def kind(x, y):
        return at(ground, x, y) if at(decor, x, y) == 0 else at(decor, x, y)

    taken = [(x, y) for _, x, y in STATIONS]
    spawns = [(o["x"] // TILE, o["y"] // TILE) for l in field["layers"]
              for o in l.get("objects", []) if o.get("type") in ("player_spawn", "warp")]

    def free(x, y):
        return all(max(abs(x - a), abs(y - b)) >= SPACING for a, b in taken + spawns)

    objects = []
    for station, x, y in STATIONS:
        assert walkable(x, y), f"station {station} at ({x}, {y}) is blocked"
        objects.append((station.capitalize(), "station", x, y, "station", station))
    for node, tile, ref, count, (x0, y0, x1, y1) in NODES:
        candidates = [
            (x, y) for y in range(y0, y1 + 1) for x in range(x0, x1 + 1)
            if kind(x, y) == tile and not in_town(x, y)
            and any(walkable(x + dx, y + dy) for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)))
            and (tile != FLOWERS or walkable(x, y))
        ]
        candidates.sort(key=lambda t: (abs(t[0] - ref[0]) + abs(t[1] - ref[1]), t[1], t[0]))
        placed = 0
        for x, y in candidates:
            if placed == count:
                break
            if free(x, y):
                taken.append((x, y))
                objects.append(("", "node", x, y, "node", node))
                placed += 1
        assert placed == count, f"only {placed} places for {node}"

    layers = [l for l in field["layers"] if l.get("name") != LAYER]
    old = next((l for l in field["layers"] if l.get("name") == LAYER), None)
    first_id = max((o["id"] for l in layers for o in l.get("objects", [])), default=0) + 1
    layer_id = old["id"] if old else field["nextlayerid"]
    layers.append({
        "id": layer_id, "name": LAYER, "type": "objectgroup", "draworder": "topdown",
        "x": 0, "y": 0, "opacity": 1, "visible": True,
        "objects": [
            {"id": first_id + i, "name": name, "type": cls, "x": x * TILE, "y": y * TILE,
             "width": TILE, "height": TILE, "rotation": 0, "visible": True,
             "properties": [{"name": prop, "type": "string", "value": value}]}
            for i, (name, cls, x, y, prop, value) in enumerate(objects)
        ],
    })
    field["layers"] = layers
    field["nextlayerid"] = max(field["nextlayerid"], layer_id + 1)
    field["nextobjectid"] = max(field["nextobjectid"], first_id + len(objects))
    with open(MAP_PATH, "w") as f:
        json.dump(field, f, separators=(",", ":"), sort_keys=True)
    for name, cls, x, y, prop, value in objects:
        print(f"{value:16} ({x}, {y})")


if __name__ == "__main__":
    main()
