#!/usr/bin/env python3
"""Generate Emberkeep's starting world map "Emberfield" and its terrain tileset.

Run from the repository root:  python3 tools/gen_map.py

Writes (byte-for-byte identical on every run; fixed random seed, stdlib only):
  assets/maps/emberfield.tmj     Tiled 1.10 JSON map, 160x160 tiles of 32x32 px
  assets/tilesets/terrain.png    16 self-drawn 32x32 tiles, 8 columns (256x64)

Designers can open and edit the map in the Tiled editor (the tileset is
embedded in the map). Re-running this script overwrites manual edits, so either
change the generator or stop regenerating once the map is hand-edited.

Layers: "ground" (terrain everywhere), "decor" (trees, rocks, bushes, flowers,
doors), "collision" (invisible; the "blocked" gid where a tile cannot be
walked on), object groups "spawns" (player spawn points), "zones" and
"mob_spawns" (rectangles where mobs and NPCs from assets/mobs.toml live).

Collision rule (derived from ground + decor):
  blocked:  ground shallow water, deep water, stone wall, wooden wall;
            decor tree, rock, bush
  walkable: everything else - grass, flowers, road, sand, bridge, stone floor,
            wooden floor - and any tile whose decor is a door/gate (always open)
"""
import json
import math
import os
import random
import struct
import zlib
from collections import deque

SEED = 20240611
W = H = 160
TILE = 32
COLUMNS = 8
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAP_PATH = os.path.join(ROOT, "assets", "maps", "emberfield.tmj")
PNG_PATH = os.path.join(ROOT, "assets", "tilesets", "terrain.png")

# Global tile ids (gid = tile index + 1, tileset firstgid is 1).
(GRASS, FLOWERS, ROAD, SAND, SHALLOW, DEEP, STONE_FLOOR, STONE_WALL, WOOD_FLOOR,
 WOOD_WALL, TREE, ROCK, BRIDGE, DOOR, BUSH, BLOCKED) = range(1, 17)
TILE_TYPES = ["grass", "flowers", "road", "sand", "shallow_water", "deep_water",
              "stone_floor", "stone_wall", "wood_floor", "wood_wall", "tree",
              "rock", "bridge", "door", "bush", "blocked"]
BLOCKING_GROUND = {SHALLOW, DEEP, STONE_WALL, WOOD_WALL}
BLOCKING_DECOR = {TREE, ROCK, BUSH}
WATER = {SHALLOW, DEEP}

# Town layout (tile coordinates): outer wall rectangle and 2-wide gates.
TX0, TY0, TW, TH = 60, 64, 40, 32
TX1, TY1 = TX0 + TW - 1, TY0 + TH - 1
GATES = {"north": [(79, TY0), (80, TY0)], "south": [(79, TY1), (80, TY1)],
         "west": [(TX0, 79), (TX0, 80)], "east": [(TX1, 79), (TX1, 80)]}
SQUARE = (71, 72, 88, 87)                       # x0, y0, x1, y1 (inclusive)
# Buildings: x0, y0, width, height, door side.
BUILDINGS = [(62, 66, 9, 7, "S"), (72, 66, 5, 5, "S"), (88, 66, 10, 6, "S"),
             (82, 67, 5, 4, "S"), (62, 85, 8, 8, "N"), (72, 89, 6, 5, "N"),
             (89, 86, 9, 7, "N"), (82, 89, 5, 5, "N")]
SPAWN_SQUARE = (80, 80)
SPAWN_EAST = (TX1 - 1, 80)
LAKE = (122, 30, 17, 12)                        # centre x, y, radius x, y


# ---------------------------------------------------------------- PNG writer

def png_bytes(width, height, pixels):
    """Encode rows of (r, g, b, a) tuples as an 8-bit RGBA PNG."""
    raw = bytearray()
    for row in pixels:
        raw.append(0)                            # filter type 0 (None)
        for px in row:
            raw.extend(px)

    def chunk(tag, data):
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b""))


# ---------------------------------------------------------------- tileset art

def clamp(v):
    return max(0, min(255, int(round(v))))


def jitter(rng, rgb, amount, alpha=255):
    d = rng.randint(-amount, amount)
    return (clamp(rgb[0] + d), clamp(rgb[1] + d), clamp(rgb[2] + d), alpha)


def scale(rgb, f):
    return tuple(clamp(c * f) for c in rgb[:3])


def filled(rng, rgb, amount):
    return [[jitter(rng, rgb, amount) for _ in range(TILE)] for _ in range(TILE)]


def speckle(px, rng, count, colours, length=1):
    for _ in range(count):
        x, y = rng.randrange(TILE), rng.randrange(TILE)
        col = colours[rng.randrange(len(colours))]
        for i in range(length):
            px[(y - i) % TILE][x] = jitter(rng, col, 5)


def paint_grass(rng):
    px = filled(rng, (84, 152, 64), 7)
    speckle(px, rng, 45, [(60, 124, 48), (66, 132, 50)], length=2)
    speckle(px, rng, 25, [(122, 186, 88)])
    return px


def paint_flowers(rng):
    px = paint_grass(rng)
    petals = [(236, 80, 90), (250, 220, 90), (245, 245, 250), (180, 120, 230)]
    for i in range(7):
        cx, cy = 3 + (i * 11 + rng.randrange(4)) % 26, 3 + (i * 7 + rng.randrange(5)) % 26
        col = petals[i % len(petals)]
        for dx, dy in ((0, -1), (-1, 0), (1, 0), (0, 1)):
            px[cy + dy][cx + dx] = jitter(rng, col, 8)
        px[cy][cx] = (250, 200, 60, 255) if col != (250, 220, 90) else (200, 110, 40, 255)
    return px


def paint_water(rng, base, wave, amount):
    px = filled(rng, base, amount)
    for _ in range(7):
        x0, y0 = rng.randrange(TILE), rng.randrange(TILE)
        for i in range(6):
            dy = 0 if 1 <= i <= 4 else 1
            px[(y0 + dy) % TILE][(x0 + i) % TILE] = jitter(rng, wave, 6)
    return px


def paint_bricks(rng, base, mortar, bw, bh, var):
    """Running-bond bricks / cobbles with lit top-left and shaded bottom-right."""
    px = [[None] * TILE for _ in range(TILE)]
    for row in range(TILE // bh):
        off = (bw // 2) * (row % 2)
        shades = [rng.randint(-var, var) for _ in range(TILE // bw)]
        for ly in range(bh):
            y = row * bh + ly
            for x in range(TILE):
                lx = (x + off) % bw
                if lx == 0 or ly == 0:
                    px[y][x] = jitter(rng, mortar, 4)
                    continue
                s = shades[((x + off) % TILE) // bw]
                col = tuple(c + s for c in base)
                if lx == 1 or ly == 1:
                    col = scale(col, 1.12)
                elif lx == bw - 1 or ly == bh - 1:
                    col = scale(col, 0.85)
                px[y][x] = jitter(rng, col, 5)
    return px


def paint_wood_floor(rng):
    px = [[None] * TILE for _ in range(TILE)]
    for row in range(4):
        base = tuple(c + rng.randint(-12, 12) for c in (172, 122, 74))
        joint = rng.randrange(4, 28)
        grain = {rng.randrange(1, 7) for _ in range(2)}
        for ly in range(8):
            y = row * 8 + ly
            for x in range(TILE):
                if ly == 7 or x == joint:
                    px[y][x] = jitter(rng, (96, 62, 36), 4)
                else:
                    col = scale(base, 0.9) if ly in grain and rng.random() < 0.7 else base
                    px[y][x] = jitter(rng, col, 5)
    return px


def paint_wood_wall(rng):
    profile = [0.62, 0.86, 1.02, 1.1, 1.06, 0.98, 0.86, 0.7]
    px = [[None] * TILE for _ in range(TILE)]
    for row in range(4):
        base = tuple(c + rng.randint(-10, 10) for c in (128, 84, 48))
        for ly in range(8):
            for x in range(TILE):
                px[row * 8 + ly][x] = jitter(rng, scale(base, profile[ly]), 6)
        kx = rng.randrange(3, 29)                # a knot in every log
        px[row * 8 + 3][kx] = px[row * 8 + 4][kx + 1] = (78, 50, 28, 255)
    for y in range(TILE):                        # corner posts
        for x in (0, 31):
            px[y][x] = jitter(rng, (82, 52, 30), 4)
    return px


def paint_bridge(rng):
    px = [[None] * TILE for _ in range(TILE)]
    for x in range(TILE):
        plank = x // 4
        base = (166 + (plank * 37) % 17 - 8, 126 + (plank * 23) % 13 - 6, 80)
        for y in range(TILE):
            if y < 3 or y > 28:
                col = (104, 68, 40) if y not in (0, 29) else (140, 98, 60)
            elif x % 4 == 3:
                col = (66, 48, 34)
            elif y in (5, 26) and x % 4 == 1:
                col = (72, 72, 78)               # nail heads
            else:
                col = base
            px[y][x] = jitter(rng, col, 5)
    return px


def paint_door(rng):
    px = paint_bricks(rng, (128, 122, 114), (70, 66, 62), 16, 8, 10)

    def in_door(x, y):
        return 7 <= x <= 24 and (y >= 12 or (x - 15.5) ** 2 + (y - 12) ** 2 <= 8.5 ** 2) and y >= 3

    for y in range(TILE):
        for x in range(TILE):
            if not in_door(x, y):
                if any(in_door(x + dx, y + dy) for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1))):
                    px[y][x] = jitter(rng, (62, 58, 54), 3)
                continue
            col = (144, 92, 52) if ((x - 7) // 4) % 2 == 0 else (128, 82, 46)
            if (x - 7) % 4 == 3:
                col = (84, 54, 30)
            if y in (11, 12, 24, 25):
                col = (64, 64, 70)
            px[y][x] = jitter(rng, col, 5)
    px[18][20] = px[18][21] = px[19][20] = (228, 192, 84, 255)
    return px


def transparent():
    return [[(0, 0, 0, 0)] * TILE for _ in range(TILE)]


def draw_shadow(px, cx, cy, rx, ry):
    for y in range(TILE):
        for x in range(TILE):
            if ((x + 0.5 - cx) / rx) ** 2 + ((y + 0.5 - cy) / ry) ** 2 <= 1 and px[y][x][3] == 0:
                px[y][x] = (0, 0, 0, 70)


def draw_blob(px, rng, circles, base, dark, light, outline):
    """Union of circles, lit from the top-left, with a dark 1 px outline."""
    def inside(x, y):
        return any((x - cx) ** 2 + (y - cy) ** 2 <= r * r for cx, cy, r in circles)

    for y in range(TILE):
        for x in range(TILE):
            fx, fy = x + 0.5, y + 0.5
            if not inside(fx, fy):
                continue
            if not all(inside(fx + dx, fy + dy) for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1))):
                px[y][x] = outline + (255,)
                continue
            cx, cy, r = max(circles, key=lambda c: c[2] - math.hypot(fx - c[0], fy - c[1]))
            t = ((fx - cx) + (fy - cy)) / (2 * r)
            col = light if t < -0.22 else dark if t > 0.2 else base
            px[y][x] = jitter(rng, col, 7)


def paint_tree(rng):
    px = transparent()
    for y in range(19, 29):
        for x in range(14, 18):
            px[y][x] = jitter(rng, (112, 74, 40) if x < 16 else (86, 56, 30), 5)
    draw_shadow(px, 16, 28.5, 11, 3)
    draw_blob(px, rng, [(16, 10, 8.5), (9.5, 15, 6.5), (22.5, 15, 6.5), (16, 17, 7)],
              (46, 122, 52), (30, 92, 40), (86, 164, 74), (20, 56, 26))
    return px


def paint_rock(rng):
    px = transparent()
    draw_shadow(px, 16, 27, 13, 3.5)
    draw_blob(px, rng, [(14.5, 18, 9.5), (22, 21, 7), (8.5, 22, 6)],
              (138, 138, 144), (102, 102, 110), (180, 180, 186), (58, 58, 66))
    for i in range(6):                            # a small crack
        px[14 + i][16 + i // 2] = (78, 78, 86, 255)
    return px


def paint_bush(rng):
    px = transparent()
    draw_shadow(px, 16, 27, 12, 3)
    draw_blob(px, rng, [(16, 17, 8), (9, 21, 6), (23, 21, 6)],
              (72, 152, 66), (50, 116, 50), (112, 186, 92), (30, 70, 32))
    for bx, by in ((12, 16), (19, 14), (22, 21), (9, 22), (16, 22), (14, 11)):
        px[by][bx] = (206, 42, 54, 255)
    return px


def paint_blocked(rng):
    px = transparent()
    for y in range(TILE):
        for x in range(TILE):
            if abs(x - y) <= 1.5 or abs(x + y - 31) <= 1.5 or x in (0, 31) or y in (0, 31):
                px[y][x] = (222, 30, 30, 190)
    return px


def build_tileset():
    """Return the 16 tiles (each 32 rows of 32 RGBA tuples) in gid order."""
    rng = random.Random(SEED)
    return [
        paint_grass(rng), paint_flowers(rng),
        speckled(rng, (158, 122, 82), [(124, 96, 66), (188, 156, 116)], 45),
        speckled(rng, (228, 208, 152), [(196, 170, 118), (244, 232, 196)], 40),
        paint_water(rng, (86, 168, 204), (166, 218, 238), 5),
        paint_water(rng, (36, 84, 156), (72, 124, 192), 4),
        paint_bricks(rng, (152, 148, 140), (94, 90, 84), 8, 8, 14),
        paint_bricks(rng, (116, 110, 104), (56, 53, 50), 16, 8, 10),
        paint_wood_floor(rng), paint_wood_wall(rng), paint_tree(rng),
        paint_rock(rng), paint_bridge(rng), paint_door(rng), paint_bush(rng),
        paint_blocked(rng)]


def speckled(rng, base, specks, count):
    px = filled(rng, base, 7)
    speckle(px, rng, count, specks)
    speckle(px, rng, count // 4, specks, length=2)
    return px


def tileset_image(tiles):
    rows = len(tiles) // COLUMNS
    img = [[None] * (COLUMNS * TILE) for _ in range(rows * TILE)]
    for i, tile in enumerate(tiles):
        ox, oy = (i % COLUMNS) * TILE, (i // COLUMNS) * TILE
        for y in range(TILE):
            img[oy + y][ox:ox + TILE] = tile[y]
    return img


# ---------------------------------------------------------------- noise helpers

def value_noise(rng, cell):
    """Smooth value noise on the map grid, values in [0, 1)."""
    grid = [[rng.random() for _ in range(W // cell + 2)] for _ in range(H // cell + 2)]
    out = []
    for y in range(H):
        iy, ty = divmod(y / cell, 1)
        iy, ty = int(iy), ty * ty * (3 - 2 * ty)
        row = []
        for x in range(W):
            ix, tx = divmod(x / cell, 1)
            ix, tx = int(ix), tx * tx * (3 - 2 * tx)
            a = grid[iy][ix] + (grid[iy][ix + 1] - grid[iy][ix]) * tx
            b = grid[iy + 1][ix] + (grid[iy + 1][ix + 1] - grid[iy + 1][ix]) * tx
            row.append(a + (b - a) * ty)
        out.append(row)
    return out


def fractal_noise(rng, cells=(24, 12, 6), weights=(0.55, 0.3, 0.15)):
    layers = [value_noise(rng, c) for c in cells]
    return [[sum(w * l[y][x] for w, l in zip(weights, layers)) for x in range(W)]
            for y in range(H)]


def chaikin(points, iterations=3):
    """Round the corners of a polyline (Chaikin's corner cutting)."""
    for _ in range(iterations):
        out = [points[0]]
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            out += [(0.75 * x0 + 0.25 * x1, 0.75 * y0 + 0.25 * y1),
                    (0.25 * x0 + 0.75 * x1, 0.25 * y0 + 0.75 * y1)]
        points = out + [points[-1]]
    return points


def trace(points, step=0.25):
    """Points every `step` tiles along a polyline."""
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        n = max(1, int(math.hypot(x1 - x0, y1 - y0) / step))
        for i in range(n):
            yield x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n
    yield points[-1]


def inside_map(x, y):
    return 0 <= x < W and 0 <= y < H


def in_town(x, y, margin=0):
    return TX0 - margin <= x <= TX1 + margin and TY0 - margin <= y <= TY1 + margin


# ---------------------------------------------------------------- world features

class World:
    def __init__(self):
        self.rng = random.Random(SEED)
        self.ground = [[GRASS] * W for _ in range(H)]
        self.decor = [[0] * W for _ in range(H)]
        self.shoreline = []


def make_terrain(w):
    """Grass everywhere, then a sandy beach and the sea along the south edge."""
    coast = value_noise(w.rng, 14)
    width = value_noise(w.rng, 9)
    for x in range(W):
        shore = 146 + int(round(8 * (coast[5][x] - 0.5)))
        w.shoreline.append(shore)
        sand_top = shore - 4 - int(4 * width[7][x])
        for y in range(sand_top, H):
            if y >= shore + 2 or y >= H - 5:
                w.ground[y][x] = DEEP
            elif y >= shore:
                w.ground[y][x] = SHALLOW
            else:
                w.ground[y][x] = SAND


def make_lake_and_river(w, noise):
    """Mirror Lake (deep middle, shallow rim, a few beaches) and its river to the sea."""
    cx, cy, rx, ry = LAKE
    for y in range(H):
        for x in range(W):
            d = math.hypot((x - cx) / rx, (y - cy) / ry) + (noise[y][x] - 0.5) * 0.9
            if d < 0.62:
                w.ground[y][x] = DEEP
            elif d < 1.0:
                w.ground[y][x] = SHALLOW
            elif d < 1.14 and noise[y][(x + 40) % W] > 0.52:
                w.ground[y][x] = SAND
    course = chaikin([(124, 34), (127, 50), (121, 64), (126, 80), (133, 94), (128, 110),
                      (134, 128), (129, 142), (131, 159)])
    for px, py in trace(course):
        r = 2.0 + 1.3 * py / H
        for y in range(int(py - r) - 1, int(py + r) + 2):
            for x in range(int(px - r) - 1, int(px + r) + 2):
                if not inside_map(x, y):
                    continue
                d = math.hypot(x + 0.5 - px, y + 0.5 - py)
                if d <= r * 0.55:
                    w.ground[y][x] = DEEP
                elif d <= r and w.ground[y][x] != DEEP:
                    w.ground[y][x] = SHALLOW


def make_forest(w, noise):
    """The Old Forest: dense trees in the south-west, thinning out at its edges."""
    for y in range(90, H):
        for x in range(W):
            if w.ground[y][x] != GRASS:
                continue
            f = 1 - math.hypot((x - 26) / 38, (y - 118) / 25) + (noise[y][x] - 0.5) * 1.1
            p = 0.85 if f > 0.35 else 0.4 if f > 0.15 else 0.1 if f > 0 else 0
            r = w.rng.random()
            if r < p:
                w.decor[y][x] = TREE
            elif r < p + 0.07 * (p > 0):
                w.decor[y][x] = BUSH


def make_town(w):
    """Walled town: stone walls, corner towers, gates, streets, square, buildings."""
    for y in range(TY0 - 3, TY1 + 4):            # clear a strip around the walls
        for x in range(TX0 - 3, TX1 + 4):
            w.ground[y][x], w.decor[y][x] = GRASS, 0
    for y in range(TY0, TY1 + 1):
        for x in range(TX0, TX1 + 1):
            edge = x in (TX0, TX1) or y in (TY0, TY1)
            w.ground[y][x] = STONE_WALL if edge else GRASS
    for cx, cy in ((TX0, TY0), (TX1, TY0), (TX0, TY1), (TX1, TY1)):
        for y in range(cy - 1, cy + 2):
            for x in range(cx - 1, cx + 2):
                w.ground[y][x] = STONE_WALL
    for y in range(TY0 + 1, TY1):                # main streets, 4 wide
        for x in range(78, 82):
            w.ground[y][x] = STONE_FLOOR
    for x in range(TX0 + 1, TX1):
        for y in range(78, 82):
            w.ground[y][x] = STONE_FLOOR
    x0, y0, x1, y1 = SQUARE
    for y in range(y0, y1 + 1):
        for x in range(x0, x1 + 1):
            w.ground[y][x] = STONE_FLOOR
    for bx, by in ((x0 + 1, y0 + 1), (x1 - 2, y0 + 1), (x0 + 1, y1 - 2), (x1 - 2, y1 - 2)):
        for y in range(by, by + 2):              # flower beds in the square's corners
            for x in range(bx, bx + 2):
                w.decor[y][x] = FLOWERS
    for side, tiles in GATES.items():
        for x, y in tiles:
            w.ground[y][x], w.decor[y][x] = STONE_FLOOR, DOOR
    for bx, by, bw, bh, side in BUILDINGS:
        build_house(w, bx, by, bw, bh, side)
    for y in range(TY0 + 1, TY1):                # garden trees on spare grass
        for x in range(TX0 + 1, TX1):
            near = [w.ground[y + dy][x + dx] for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
            if all(g == GRASS for g in near) and w.rng.random() < 0.09:
                w.decor[y][x] = TREE if w.rng.random() < 0.6 else BUSH


def build_house(w, bx, by, bw, bh, side):
    """Wooden walls, wooden floor, one door, and a stone path to the street."""
    for y in range(by, by + bh):
        for x in range(bx, bx + bw):
            edge = x in (bx, bx + bw - 1) or y in (by, by + bh - 1)
            w.ground[y][x] = WOOD_WALL if edge else WOOD_FLOOR
    dx = bx + bw // 2
    dy, step = (by + bh - 1, 1) if side == "S" else (by, -1)
    w.ground[dy][dx], w.decor[dy][dx] = WOOD_FLOOR, DOOR
    y = dy + step
    while w.ground[y][dx] != STONE_FLOOR:
        w.ground[y][dx] = STONE_FLOOR
        y += step


def carve_path(w, waypoints, width=2, smooth=3):
    """Dirt road along a smoothed polyline; water crossings become bridges."""
    prev = None
    for px, py in trace(chaikin(waypoints, smooth)):
        x0, y0 = math.floor(px - width / 2 + 0.5), math.floor(py - width / 2 + 0.5)
        cells = [(x0 + i, y0 + j) for j in range(width) for i in range(width)]
        if prev and prev[0] != x0 and prev[1] != y0:
            cells.append((x0, prev[1]))          # keep 1-wide paths 4-connected
        prev = (x0, y0)
        for x, y in cells:
            if not inside_map(x, y) or in_town(x, y):
                continue
            if w.ground[y][x] in WATER or w.ground[y][x] == BRIDGE:
                w.ground[y][x] = BRIDGE
            else:
                w.ground[y][x] = ROAD
            w.decor[y][x] = 0


def make_roads(w):
    """Roads from the four gates, a lake pier, forest paths and a coast road."""
    south_end = w.shoreline[80] - 1
    carve_path(w, [(80, 63), (80, 52), (76, 38), (69, 24), (73, 10), (72, -1)])      # north
    carve_path(w, [(77, 40), (90, 37), (100, 34), (109, 32)], smooth=2)            # to pier
    carve_path(w, [(59, 80), (46, 78), (32, 82), (16, 79), (-1, 80)])              # west
    carve_path(w, [(100, 80), (110, 81), (116, 80), (138, 80), (146, 77), (161, 78)])  # east
    carve_path(w, [(80, 96), (81, 110), (77, 124), (80, 136), (80, south_end)])   # south
    carve_path(w, [(79, 131), (98, 129), (112, 133), (122, 133), (146, 133),
                   (152, w.shoreline[152] - 2)])                                     # coast
    carve_path(w, [(32, 82), (27, 95), (34, 108), (26, 122), (31, 134), (29, 146)], width=1)
    carve_path(w, [(78, 118), (64, 117), (52, 124), (42, 126), (34, 119), (29, 116)], width=1)
    for y in range(121, 132):                    # a clearing with old standing stones
        for x in range(37, 48):
            d = math.hypot(x - 42, y - 126)
            if d < 5.5 and w.ground[y][x] == GRASS:
                w.decor[y][x] = ROCK if 4.2 < d and (x + y) % 3 == 0 else 0


def make_border(w, noise):
    """Block the map edge: a ragged tree line (rocks on sand); the sea in the south."""
    for y in range(H):
        for x in range(W):
            depth = min(x, y, W - 1 - x, H - 1 - y)
            thick = max(1, min(4, 1 + int(6 * (noise[y][x] - 0.35))))
            if depth >= thick or w.ground[y][x] in WATER:
                continue
            if w.ground[y][x] in (ROAD, BRIDGE):
                w.ground[y][x] = GRASS if w.ground[y][x] == ROAD else DEEP
            w.decor[y][x] = ROCK if w.ground[y][x] == SAND else TREE


def scatter(w, groves, meadows):
    """Trees, rocks, bushes and flower patches on open grass and sand."""
    near_road = [[False] * W for _ in range(H)]
    for y in range(H):
        for x in range(W):
            if w.ground[y][x] in (ROAD, BRIDGE):
                for dy in (-1, 0, 1):
                    for dx in (-1, 0, 1):
                        if inside_map(x + dx, y + dy):
                            near_road[y + dy][x + dx] = True
    for y in range(H):
        for x in range(W):
            if w.decor[y][x] or in_town(x, y, 3):
                continue
            g, r = w.ground[y][x], w.rng.random()
            if g == SAND and not near_road[y][x]:
                w.decor[y][x] = ROCK if r < 0.012 else 0
            elif g == GRASS and near_road[y][x]:
                w.decor[y][x] = FLOWERS if r < 0.04 else 0
            elif g == GRASS:
                p_tree = 0.5 if groves[y][x] > 0.66 else 0.018
                if r < p_tree:
                    w.decor[y][x] = TREE
                elif r < p_tree + 0.006:
                    w.decor[y][x] = ROCK
                elif r < p_tree + 0.018:
                    w.decor[y][x] = BUSH
                elif w.rng.random() < (0.3 if meadows[y][x] > 0.6 else 0.015):
                    w.decor[y][x] = FLOWERS


def derive_collision(w):
    """1 where a tile is blocked, 0 where it is walkable (see module docstring)."""
    grid = [[0] * W for _ in range(H)]
    for y in range(H):
        for x in range(W):
            g, d = w.ground[y][x], w.decor[y][x]
            if d != DOOR and (g in BLOCKING_GROUND or d in BLOCKING_DECOR):
                grid[y][x] = 1
    return grid


def flood(blocked, start):
    seen = [[False] * W for _ in range(H)]
    sx, sy = start
    seen[sy][sx] = True
    queue = deque([start])
    while queue:
        x, y = queue.popleft()
        for nx, ny in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
            if inside_map(nx, ny) and not seen[ny][nx] and not blocked[ny][nx]:
                seen[ny][nx] = True
                queue.append((nx, ny))
    return seen


def ensure_connectivity(w):
    """Fill every walkable tile not reachable from the town square spawn."""
    blocked = derive_collision(w)
    seen = flood(blocked, SPAWN_SQUARE)
    filled_tiles = 0
    for y in range(H):
        for x in range(W):
            if not blocked[y][x] and not seen[y][x]:
                w.decor[y][x] = BUSH if w.ground[y][x] == GRASS else ROCK
                filled_tiles += 1
    blocked = derive_collision(w)
    seen = flood(blocked, SPAWN_SQUARE)
    for name, (x, y) in (("town_square", SPAWN_SQUARE), ("east_gate", SPAWN_EAST)):
        assert not blocked[y][x] and seen[y][x], f"spawn {name} unreachable"
    for x in range(W):                           # nothing walkable on the map edge
        for y in (0, H - 1):
            assert blocked[y][x] and blocked[x][y], "map border must be blocked"
    return blocked, seen, filled_tiles


# ---------------------------------------------------------------- Tiled output

ZONES = [("Emberkeep Town", (TX0, TY0, TW, TH), True, "hearth_and_hammer"),
         ("Western Fields", (0, 0, 60, 100), False, "open_skies"),
         ("Northern Meadows", (60, 0, 40, 64), False, "open_skies"),
         ("Mirror Lake", (100, 0, 60, 64), False, "still_waters"),
         ("Eastern Riverlands", (100, 64, 60, 74), False, "river_song"),
         ("Southern Meadows", (60, 96, 40, 42), False, "open_skies"),
         ("Old Forest", (0, 100, 60, 38), False, "whispering_pines"),
         ("Southern Shore", (0, 138, 160, 22), False, "gulls_and_tide")]


# Mob spawn areas: name, mob id (assets/mobs.toml), count, (x, y, width, height) in tiles.
# Only the non-hostile NPCs in TOWN_NPCS may live inside the (safe) town.
MOB_SPAWNS = [
    ("Western Fields rats", "rat", 6, (36, 58, 18, 14)),
    ("Northern Meadows rats", "rat", 5, (82, 40, 14, 14)),
    ("Southern Meadows rats", "rat", 5, (84, 100, 14, 12)),
    ("Western Fields wolves", "wolf", 5, (6, 14, 22, 18)),
    ("Northern Meadows wolves", "wolf", 4, (84, 2, 14, 12)),
    ("Old Forest edge spiders", "forest_spider", 4, (2, 98, 18, 6)),
    ("Standing stones spiders", "forest_spider", 5, (37, 120, 12, 12)),
    ("Old Forest goblin camp", "goblin", 4, (2, 130, 14, 8)),
    ("Old Forest path goblins", "goblin", 3, (46, 116, 16, 8)),
    ("Western beach crabs", "crab", 5, (8, 139, 20, 6)),
    ("Southern beach crabs", "crab", 5, (84, 138, 24, 6)),
    ("West road bandits", "bandit", 3, (4, 74, 14, 14)),
    ("East road bandits", "bandit", 4, (132, 70, 20, 16)),
    ("Coast road bandits", "bandit", 3, (126, 128, 22, 8)),
    ("North-east barrow skeletons", "skeleton", 4, (140, 2, 18, 14)),
    ("Town square villagers", "villager", 4, (72, 73, 16, 14)),
    ("West street villagers", "villager", 3, (62, 78, 16, 4)),
    ("North gate guards", "town_guard", 2, (76, 65, 8, 4)),
    ("South gate guards", "town_guard", 2, (76, 91, 8, 4)),
]
TOWN_NPCS = {"villager", "town_guard"}


def check_mob_spawns(blocked):
    """Every area has room for its mobs; hostile ones stay out of the town."""
    for name, mob, count, (x, y, w, h) in MOB_SPAWNS:
        assert inside_map(x, y) and inside_map(x + w - 1, y + h - 1), f"{name} is off the map"
        open_ = sum(1 for ty in range(y, y + h) for tx in range(x, x + w) if not blocked[ty][tx])
        assert open_ >= count, f"{name}: {open_} walkable tiles for {count} {mob}"
        overlaps = x <= TX1 and TX0 <= x + w - 1 and y <= TY1 and TY0 <= y + h - 1
        assert mob in TOWN_NPCS or not overlaps, f"{name}: hostile {mob} inside the town"


def map_json(w, collision):
    spawns = []
    for oid, (name, (tx, ty)) in enumerate((("town_square", SPAWN_SQUARE),
                                            ("east_gate", SPAWN_EAST)), start=1):
        spawns.append({"height": 0, "id": oid, "name": name, "point": True, "rotation": 0,
                       "type": "player_spawn", "visible": True, "width": 0,
                       "x": tx * TILE + TILE // 2, "y": ty * TILE + TILE // 2})
    zones = []
    for oid, (name, (zx, zy, zw, zh), safe, music) in enumerate(ZONES, start=len(spawns) + 1):
        zones.append({"height": zh * TILE, "id": oid, "name": name, "rotation": 0,
                      "type": "zone", "visible": True, "width": zw * TILE,
                      "x": zx * TILE, "y": zy * TILE,
                      "properties": [{"name": "music", "type": "string", "value": music},
                                     {"name": "safe", "type": "bool", "value": safe}]})

    mob_spawns = []
    for oid, (name, mob, count, (x, y, sw, sh)) in enumerate(
            MOB_SPAWNS, start=len(spawns) + len(zones) + 1):
        mob_spawns.append({"height": sh * TILE, "id": oid, "name": name, "rotation": 0,
                           "type": "mob_spawn", "visible": True, "width": sw * TILE,
                           "x": x * TILE, "y": y * TILE,
                           "properties": [{"name": "mob", "type": "string", "value": mob},
                                          {"name": "count", "type": "int", "value": count}]})

    def tile_layer(lid, name, grid, visible=True, cls=None):
        layer = {"data": [v for row in grid for v in row], "height": H, "id": lid,
                 "name": name, "opacity": 1, "type": "tilelayer", "visible": visible,
                 "width": W, "x": 0, "y": 0}
        if cls:
            layer["class"] = cls
        return layer

    def object_layer(lid, name, objects, cls=None):
        layer = {"draworder": "topdown", "id": lid, "name": name, "objects": objects,
                 "opacity": 1, "type": "objectgroup", "visible": True, "x": 0, "y": 0}
        if cls:
            layer["class"] = cls
        return layer

    tiles = [{"id": i, "type": t, "properties": [{"name": "blocks", "type": "bool",
              "value": (i + 1 in BLOCKING_GROUND | BLOCKING_DECOR) or i + 1 == BLOCKED}]}
             for i, t in enumerate(TILE_TYPES)]
    layers = [tile_layer(1, "ground", w.ground), tile_layer(2, "decor", w.decor),
              tile_layer(3, "collision", [[BLOCKED if b else 0 for b in row] for row in collision],
                         visible=False, cls="collision"),
              object_layer(4, "spawns", spawns), object_layer(5, "zones", zones, "zones"),
              object_layer(6, "mob_spawns", mob_spawns, "mob_spawns")]
    next_object = len(spawns) + len(zones) + len(mob_spawns) + 1
    return {"compressionlevel": -1, "height": H, "infinite": False, "layers": layers,
            "nextlayerid": len(layers) + 1, "nextobjectid": next_object,
            "orientation": "orthogonal",
            # What players are told the map is called (welcome.map.display_name).
            "properties": [{"name": "display_name", "type": "string", "value": "Emberfield"}],
            "renderorder": "right-down",
            "tiledversion": "1.10.2", "tileheight": TILE, "tilewidth": TILE,
            "tilesets": [{"columns": COLUMNS, "firstgid": 1, "image": "../tilesets/terrain.png",
                          "imageheight": TILE * len(TILE_TYPES) // COLUMNS,
                          "imagewidth": TILE * COLUMNS, "margin": 0, "name": "terrain",
                          "spacing": 0, "tilecount": len(TILE_TYPES), "tileheight": TILE,
                          "tiles": tiles, "tilewidth": TILE}],
            "type": "map", "version": "1.10", "width": W}


def generate():
    """Build the world; returns (world, collision grid, reachable grid, filled count)."""
    w = World()
    noise = fractal_noise(w.rng)
    groves, meadows = value_noise(w.rng, 7), value_noise(w.rng, 9)
    make_terrain(w)
    make_lake_and_river(w, noise)
    make_forest(w, noise)
    make_town(w)
    make_roads(w)
    make_border(w, noise)
    scatter(w, groves, meadows)
    return (w,) + ensure_connectivity(w)


def print_stats(w, blocked, seen, filled_tiles):
    walkable = sum(1 for row in blocked for b in row if not b)
    reach = sum(1 for row in seen for s in row if s)
    print(f"walkable: {walkable}/{W * H} tiles ({100 * walkable / (W * H):.1f}%), "
          f"reachable from town_square: {reach}, pockets filled: {filled_tiles}")
    for name, (zx, zy, zw, zh), _, _ in ZONES:
        cells = [(x, y) for y in range(zy, zy + zh) for x in range(zx, zx + zw)]
        open_ = sum(1 for x, y in cells if not blocked[y][x])
        print(f"  {name:<20} {zw:>3}x{zh:<3} walkable {100 * open_ / len(cells):5.1f}%")
    counts = {}
    for layer in (w.ground, w.decor):
        for row in layer:
            for v in row:
                counts[v] = counts.get(v, 0) + 1
    print("  tiles: " + ", ".join(f"{TILE_TYPES[g - 1]}={counts[g]}"
                                  for g in sorted(counts) if g))


def main():
    w, blocked, seen, filled_tiles = generate()
    check_mob_spawns(blocked)
    tiles = build_tileset()
    os.makedirs(os.path.dirname(PNG_PATH), exist_ok=True)
    os.makedirs(os.path.dirname(MAP_PATH), exist_ok=True)
    with open(PNG_PATH, "wb") as f:
        f.write(png_bytes(COLUMNS * TILE, TILE * len(tiles) // COLUMNS, tileset_image(tiles)))
    with open(MAP_PATH, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(map_json(w, blocked), indent=None, separators=(",", ":"),
                           sort_keys=True) + "\n")
    print_stats(w, blocked, seen, filled_tiles)
    print(f"  mob spawn areas: {len(MOB_SPAWNS)}, "
          f"mobs: {sum(count for _, _, count, _ in MOB_SPAWNS)}")
    print(f"wrote {os.path.relpath(MAP_PATH, ROOT)} and {os.path.relpath(PNG_PATH, ROOT)}")


if __name__ == "__main__":
    main()
