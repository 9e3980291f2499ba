#!/usr/bin/env python3
"""Draws a 32x32 pixel-art icon for every item in assets/items.toml.

Writes web/icons/items.png (one atlas, 8 cells a row; cell 0 is the generic icon for
unknown ids) and web/icons/items.json ({"cell": 32, "generic": 0, "icons": {id: index}}).
Shapes come from the item's family (its id: sword, axe, potion, ore, ...; else its kind and
slot), colours from its material (rusty, iron, steel, bronze, leather, oak, ...). Stdlib
only. Exits non-zero, naming the item, when an item has no design (a material or junk item
whose id matches no family): add a rule to FAMILIES and run it again:

    python3 tools/gen_icons.py
"""

import json
import math
import struct
import sys
import tomllib
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CELL = 32
COLUMNS = 8
OUTLINE = (28, 20, 16, 255)

# Material tints: (base, light) colours, picked by a word in the item id.
MATERIALS = {
    "rusty": ((150, 92, 52), (196, 132, 84)),
    "iron": ((150, 156, 166), (208, 214, 222)),
    "steel": ((170, 186, 204), (232, 240, 250)),
    "bronze": ((184, 120, 56), (232, 176, 96)),
    "bandit": ((96, 100, 112), (170, 176, 190)),
    "leather": ((134, 86, 48), (176, 122, 74)),
    "oak": ((128, 88, 48), (170, 124, 72)),
    "willow": ((176, 150, 92), (214, 192, 132)),
    "wooden": ((140, 96, 52), (182, 134, 80)),
    "hunting": ((120, 80, 44), (164, 118, 70)),
    "copper": ((196, 104, 56), (236, 150, 96)),
    "tin": ((176, 180, 184), (226, 228, 230)),
}
DEFAULT_METAL = MATERIALS["iron"]
WOOD = MATERIALS["oak"]


def material(item_id, default):
    for word, tint in MATERIALS.items():
        if word in item_id.split("_"):
            return tint
    return default


def shade(c, f):
    return tuple(max(0, min(255, int(v * f))) for v in c[:3]) + (255,)


class Canvas:
    """One 32x32 RGBA cell."""

    def __init__(self):
        self.p = [[None] * CELL for _ in range(CELL)]

    def px(self, x, y, c):
        x, y = int(round(x)), int(round(y))
        if 0 <= x < CELL and 0 <= y < CELL:
            self.p[y][x] = c if len(c) == 4 else tuple(c) + (255,)

    def rect(self, x0, y0, x1, y1, c):
        for y in range(y0, y1 + 1):
            for x in range(x0, x1 + 1):
                self.px(x, y, c)

    def line(self, x0, y0, x1, y1, c, w=1):
        n = int(max(abs(x1 - x0), abs(y1 - y0), 1) * 2)
        r = (w - 1) / 2
        for i in range(n + 1):
            x = x0 + (x1 - x0) * i / n
            y = y0 + (y1 - y0) * i / n
            if r <= 0:
                self.px(x, y, c)
            else:
                self.disk(x, y, r, c)

    def disk(self, cx, cy, r, c):
        self.ellipse(cx, cy, r, r, c)

    def ellipse(self, cx, cy, rx, ry, c):
        for y in range(CELL):
            for x in range(CELL):
                if ((x - cx) / max(rx, 0.5)) ** 2 + ((y - cy) / max(ry, 0.5)) ** 2 <= 1.0:
                    self.px(x, y, c)

    def poly(self, pts, c):
        for y in range(CELL):
            for x in range(CELL):
                if inside(x + 0.5, y + 0.5, pts):
                    self.px(x, y, c)

    def outlined(self):
        """Adds a dark outline around every drawn pixel."""
        out = [row[:] for row in self.p]
        for y in range(CELL):
            for x in range(CELL):
                if self.p[y][x] is None and any(
                    0 <= x + dx < CELL and 0 <= y + dy < CELL and self.p[y + dy][x + dx]
                    for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1))
                ):
                    out[y][x] = OUTLINE
        self.p = out
        return self

    def filled(self):
        return sum(1 for row in self.p for v in row if v)


def inside(x, y, pts):
    hit = False
    for i in range(len(pts)):
        (x0, y0), (x1, y1) = pts[i], pts[i - 1]
        if (y0 > y) != (y1 > y) and x < x0 + (x1 - x0) * (y - y0) / (y1 - y0):
            hit = not hit
    return hit


# ---------------------------------------------------------------- weapons and tools


def blade(c, item_id, length):
    base, light = material(item_id, DEFAULT_METAL)
    tx, ty = 9 + length * 0.7, 22 - length * 0.7
    c.line(9, 22, tx, ty, base, 4)
    c.line(10, 21, tx, ty, light, 1)
    c.line(5, 18, 13, 26, (120, 96, 40), 2)  # crossguard
    c.line(7, 24, 4, 27, (92, 56, 32), 2)  # grip
    c.disk(3, 28, 1.5, (200, 170, 60))  # pommel


def sword(c, i):
    blade(c, i, 24)


def dagger(c, i):
    blade(c, i, 15)


def axe(c, i, small=False):
    c.line(8, 28, 22, 6, WOOD[0], 3)
    base, light = material(i, DEFAULT_METAL)
    s = 0.7 if small else 1.0
    c.poly([(19, 6), (19 + 10 * s, 2), (19 + 12 * s, 12 * s + 4), (21, 14)], base)
    c.line(19 + 10 * s, 3, 19 + 11.5 * s, 12 * s + 3, light, 1)


def hatchet(c, i):
    axe(c, i, small=True)


def pickaxe(c, i):
    c.line(9, 28, 19, 8, WOOD[0], 3)
    c.line(6, 10, 13, 4, DEFAULT_METAL[0], 3)
    c.line(13, 4, 23, 5, DEFAULT_METAL[0], 3)
    c.line(23, 5, 28, 12, DEFAULT_METAL[0], 2)
    c.line(8, 9, 22, 4, DEFAULT_METAL[1], 1)


def staff(c, i):
    base, light = material(i, WOOD)
    c.line(7, 29, 23, 8, base, 3)
    c.line(8, 28, 22, 9, light, 1)
    c.disk(24, 7, 4, (110, 80, 200))
    c.disk(23, 6, 1.5, (200, 190, 255))


def bow(c, i):
    base, light = material(i, WOOD)
    r, (cx, cy) = (23, (4, 28)) if "longbow" in i else (20, (6, 26))
    for a in range(-90, 1, 2):
        t = math.radians(a)
        c.disk(cx + r * math.cos(t), cy + r * math.sin(t), 1.3, base)
    c.line(cx, cy - r, cx + r, cy, (230, 226, 210), 1)
    c.disk(cx + r * 0.71, cy - r * 0.71, 1.8, light)  # grip


def fishing_rod(c, i):
    c.line(4, 29, 26, 4, WOOD[1], 2)
    c.line(26, 4, 27, 20, (220, 220, 230), 1)
    c.line(27, 20, 25, 23, (160, 160, 170), 1)
    c.disk(7, 26, 2, (90, 60, 40))


# ---------------------------------------------------------------- armor by slot


def head(c, i):
    base, light = material(i, MATERIALS["leather"])
    c.ellipse(16, 16, 11, 10, base)
    c.rect(4, 16, 28, 26, (0, 0, 0, 0))
    c.p = [[None if v == (0, 0, 0, 0) else v for v in row] for row in c.p]
    c.rect(5, 16, 27, 19, shade(base, 0.8))
    c.ellipse(12, 10, 3, 2, light)
    if "helm" in i:
        c.rect(15, 16, 17, 25, base)  # nose guard
        c.rect(8, 20, 12, 23, base)
        c.rect(20, 20, 24, 23, base)


def chest(c, i):
    base, light = material(i, MATERIALS["leather"])
    c.poly([(4, 9), (11, 5), (21, 5), (28, 9), (27, 16), (23, 15), (23, 28), (9, 28), (9, 15), (5, 16)], base)
    c.line(13, 5, 16, 10, shade(base, 0.6), 1)
    c.line(19, 5, 16, 10, shade(base, 0.6), 1)
    if "chain" in i:
        for y in range(8, 28, 3):
            for x in range(9 + (y % 2), 24, 3):
                c.px(x, y, light)
    else:
        c.line(16, 11, 16, 27, shade(base, 0.7), 1)
        c.line(11, 8, 11, 26, light, 1)


def legs(c, i):
    base, light = material(i, MATERIALS["leather"])
    c.poly([(8, 4), (24, 4), (26, 29), (18, 29), (16, 12), (14, 29), (6, 29)], base)
    c.rect(8, 4, 24, 6, shade(base, 0.7))
    c.line(10, 8, 9, 27, light, 1)
    if "greaves" in i:
        c.rect(7, 16, 13, 18, light)
        c.rect(19, 16, 25, 18, light)


def feet(c, i):
    base, light = material(i, MATERIALS["leather"])
    for ox in (0, 13):
        c.poly([(4 + ox, 6), (11 + ox, 6), (11 + ox, 22), (16 + ox, 24), (16 + ox, 28), (4 + ox, 28)], base)
        c.rect(4 + ox, 6, 11 + ox, 8, light)
        c.rect(4 + ox, 27, 16 + ox, 28, shade(base, 0.6))


def hands(c, i):
    base, light = material(i, MATERIALS["leather"])
    c.rect(9, 16, 22, 28, base)
    for k, x in enumerate((9, 13, 17)):
        c.rect(x, 5 + (k % 2) * 2, x + 3, 17, base)
    c.rect(21, 10, 25, 20, base)  # thumb
    c.rect(8, 24, 23, 26, light)


def shield(c, i):
    base, light = material(i, MATERIALS["wooden"])
    if "iron" in i or "steel" in i:
        c.poly([(5, 4), (27, 4), (27, 16), (16, 29), (5, 16)], base)
        c.line(16, 6, 16, 25, light, 2)
        c.line(7, 12, 25, 12, light, 2)
    else:
        c.disk(16, 16, 13, base)
        for x in (10, 16, 22):
            c.line(x, 4, x, 28, shade(base, 0.75), 1)
        c.disk(16, 16, 3, DEFAULT_METAL[1])


# ---------------------------------------------------------------- consumables


def flask(c, liquid, big=False):
    r = 10 if big else 8
    c.disk(16, 20, r, (200, 220, 230))
    c.rect(13, 5, 19, 12, (200, 220, 230))
    c.ellipse(16, 22, r - 2, r - 3, liquid)
    c.ellipse(13, 20, 2, 3, shade(liquid, 1.5))
    c.rect(12, 3, 20, 6, (140, 96, 56))  # cork


def potion(c, i, item):
    if item.get("mana"):
        colour = (60, 90, 220)
    elif item.get("effect") == "regeneration":
        colour = (60, 180, 80)
    elif item.get("effect") == "fortify":
        colour = (220, 150, 40)
    else:
        colour = (200, 40, 50) if "major" not in i else (150, 20, 60)
    flask(c, colour, big="major" in i or "elixir" in i)


def horn(c, i):
    c.poly([(4, 10), (8, 6), (26, 20), (26, 28), (20, 28)], (220, 200, 150))
    c.line(6, 8, 24, 24, (250, 240, 210), 1)
    c.ellipse(23, 26, 4, 3, (160, 120, 70))
    c.rect(10, 10, 12, 14, (150, 100, 50))


def feather(c, i):
    c.line(8, 28, 24, 4, (240, 240, 230), 1)
    for k in range(14):
        y = 6 + k * 1.5
        x = 23 - k * 1.1
        c.line(x, y, x - 6 + k * 0.2, y - 2, (170, 120, 70), 1)
        c.line(x, y, x + 4, y + 3, (200, 150, 90), 1)
    c.disk(8, 28, 2, (200, 60, 60))


def bread(c, i):
    c.ellipse(16, 18, 13, 9, (196, 140, 64))
    c.ellipse(16, 15, 11, 6, (220, 170, 90))
    for x in (9, 15, 21):
        c.line(x, 17, x + 3, 12, (150, 96, 40), 1)


def fish(c, i):
    cooked = "cooked" in i
    body = (190, 120, 60) if cooked else ((120, 150, 170) if "trout" not in i else (150, 160, 110))
    c.ellipse(14, 16, 11, 6, body)
    c.poly([(23, 16), (30, 9), (30, 23)], shade(body, 0.8))
    c.disk(8, 14, 1.5, (20, 20, 20))
    c.line(6, 19, 20, 19, shade(body, 1.3), 1)
    if "trout" in i:
        for x in (11, 15, 19):
            c.px(x, 14, (200, 90, 90))
    if cooked:
        for x in (10, 14, 18):
            c.line(x, 11, x - 2, 20, (110, 60, 30), 1)


# ---------------------------------------------------------------- materials and junk


def ore(c, i):
    c.poly([(5, 22), (9, 10), (18, 6), (27, 12), (28, 24), (18, 28)], (110, 104, 100))
    c.line(10, 12, 17, 8, (150, 144, 140), 1)
    speck = material(i, DEFAULT_METAL)[1] if "iron" not in i else (170, 100, 80)
    for x, y in ((12, 16), (19, 13), (22, 21), (14, 23), (17, 18), (9, 20)):
        c.rect(x, y, x + 1, y + 1, speck)


def bar(c, i):
    base, light = material(i, DEFAULT_METAL)
    c.poly([(3, 24), (8, 12), (24, 12), (29, 24)], base)
    c.poly([(8, 12), (24, 12), (22, 16), (10, 16)], light)


def log(c, i):
    base, light = material(i, WOOD)
    c.poly([(4, 12), (24, 6), (28, 16), (8, 24)], base)
    c.ellipse(7, 18, 4, 6, light)
    c.ellipse(7, 18, 2, 3, shade(light, 0.8))
    c.line(12, 12, 24, 9, shade(base, 0.7), 1)


def plank(c, i):
    base, light = material(i, WOOD)
    for k in range(2):
        y = 9 + k * 8
        c.poly([(3, y + 4), (26, y), (29, y + 4), (6, y + 8)], light if k else base)
        c.line(6, y + 5, 26, y + 2, shade(base, 0.7), 1)


def flower(c, i):
    c.line(16, 30, 16, 16, (60, 140, 50), 2)
    c.ellipse(11, 23, 4, 2, (70, 160, 60))
    for a in range(0, 360, 45):
        t = math.radians(a)
        c.disk(16 + 6 * math.cos(t), 11 + 6 * math.sin(t), 3, (240, 150, 30))
    c.disk(16, 11, 3, (180, 80, 20))


def leaf(c, i):
    for dx, a in ((0, 0), (6, 8)):
        c.poly([(8 + dx, 28 - a), (4 + dx, 14 - a / 2), (14 + dx, 3 + a / 2), (18 + dx, 17 - a / 3)], (110, 160, 110))
        c.line(8 + dx, 28 - a, 14 + dx, 6 + a / 2, (70, 110, 70), 1)


def pelt(c, i):
    c.poly([(6, 6), (26, 6), (29, 12), (26, 26), (18, 29), (14, 29), (6, 26), (3, 12)], (130, 130, 136))
    c.ellipse(16, 16, 7, 8, (170, 170, 176))


def shell(c, i):
    c.ellipse(16, 18, 12, 9, (200, 70, 50))
    for x in (10, 16, 22):
        c.line(x, 12, 16, 26, (150, 40, 30), 1)
    c.line(4, 12, 9, 7, (200, 70, 50), 2)
    c.line(28, 12, 23, 7, (200, 70, 50), 2)


def silk(c, i):
    for r in (12, 8, 4):
        for a in range(0, 360, 10):
            t = math.radians(a)
            c.px(16 + r * math.cos(t), 16 + r * math.sin(t), (236, 236, 244))
    for a in range(0, 360, 45):
        t = math.radians(a)
        c.line(16, 16, 16 + 13 * math.cos(t), 16 + 13 * math.sin(t), (210, 210, 226), 1)


def bone(c, i):
    c.line(8, 24, 24, 8, (236, 230, 210), 3)
    for x, y in ((6, 23), (9, 26), (23, 6), (26, 9)):
        c.disk(x, y, 2.5, (236, 230, 210))


def tail(c, i):
    pts = [(4 + k * 1.6, 16 + 7 * math.sin(k / 2.4)) for k in range(16)]
    for k, (x, y) in enumerate(pts):
        c.disk(x, y, 2.4 - k * 0.12, (220, 150, 160))
    c.disk(4, 16, 3, (120, 100, 96))


def nail(c, i):
    c.line(10, 26, 22, 8, (150, 92, 52), 2)
    c.line(18, 6, 26, 11, (120, 76, 44), 2)


def broken_arrow(c, i):
    c.line(4, 28, 14, 18, WOOD[1], 2)
    c.line(17, 15, 22, 10, WOOD[1], 2)
    c.poly([(22, 6), (28, 4), (26, 10)], DEFAULT_METAL[0])
    c.line(4, 28, 3, 24, (220, 220, 220), 2)
    c.line(4, 28, 8, 29, (220, 220, 220), 2)


def cloth(c, i):
    c.poly([(5, 7), (14, 5), (27, 8), (25, 16), (28, 26), (18, 24), (12, 28), (6, 22), (8, 15)], (170, 160, 130))
    c.line(9, 10, 22, 20, (130, 120, 96), 1)


def key(c, i):
    c.disk(9, 10, 6, (120, 140, 110))
    c.disk(9, 10, 2.5, (0, 0, 0, 0))
    c.p = [[None if v == (0, 0, 0, 0) else v for v in row] for row in c.p]
    c.line(13, 14, 26, 27, (120, 140, 110), 3)
    c.rect(20, 24, 22, 28, (120, 140, 110))
    c.rect(24, 20, 28, 22, (120, 140, 110))


def generic(c, i=None):
    c.poly([(8, 10), (24, 10), (27, 28), (5, 28)], (150, 120, 80))
    c.ellipse(16, 9, 6, 3, (120, 96, 64))
    c.line(13, 15, 16, 13, (240, 230, 200), 2)
    c.line(16, 13, 19, 16, (240, 230, 200), 2)
    c.line(19, 16, 16, 20, (240, 230, 200), 2)
    c.disk(16, 24, 1.2, (240, 230, 200))


# (word in the id, drawer): the first match wins, then the kind/slot fallbacks below.
FAMILIES = [
    ("fishing_rod", fishing_rod), ("pickaxe", pickaxe), ("hatchet", hatchet),
    ("dagger", dagger), ("sword", sword), ("axe", axe), ("staff", staff), ("bow", bow),
    ("potion", potion), ("elixir", potion), ("tonic", potion), ("horn", horn),
    ("feather", feather), ("bread", bread), ("fish", fish), ("trout", fish),
    ("ore", ore), ("bar", bar), ("log", log), ("plank", plank), ("marigold", flower),
    ("leaf", leaf), ("pelt", pelt), ("hide", pelt), ("shell", shell), ("silk", silk),
    ("bone", bone), ("tail", tail), ("nail", nail), ("arrow", broken_arrow),
    ("cloth", cloth), ("key", key),
]
SLOTS = {"weapon": sword, "head": head, "chest": chest, "legs": legs, "feet": feet,
         "hands": hands, "shield": shield}


def design(item_id, item):
    words = item_id.split("_")
    for word, draw in FAMILIES:
        if word in words or ("_" in word and word in item_id) or any(w.endswith(word) for w in words):
            return draw
    if item.get("slot") in SLOTS:
        return SLOTS[item["slot"]]
    if item.get("kind") == "consumable":
        return potion
    return None


def draw(drawer, item_id, item):
    c = Canvas()
    if drawer is potion:
        drawer(c, item_id, item)
    else:
        drawer(c, item_id)
    return c.outlined()


def png(width, height, rows):
    raw = b"".join(b"\x00" + bytes(v for px in row for v in px) for row in rows)

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    head = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main():
    items = tomllib.loads((ROOT / "assets/items.toml").read_text())
    cells = [draw(generic, "", {})]
    icons, missing = {}, []
    for item_id, item in items.items():
        drawer = design(item_id, item)
        if drawer is None:
            missing.append(item_id)
            continue
        cell = draw(drawer, item_id, item)
        if cell.filled() < 40:
            missing.append(item_id)
            continue
        icons[item_id] = len(cells)
        cells.append(cell)
    if missing:
        for item_id in missing:
            print(f"no icon design for item '{item_id}' ({items[item_id].get('kind')}): "
                  "add a family rule to FAMILIES in tools/gen_icons.py", file=sys.stderr)
        return 1
    rows_n = math.ceil(len(cells) / COLUMNS)
    rows = [[(0, 0, 0, 0)] * (COLUMNS * CELL) for _ in range(rows_n * CELL)]
    for n, cell in enumerate(cells):
        ox, oy = (n % COLUMNS) * CELL, (n // COLUMNS) * CELL
        for y in range(CELL):
            for x in range(CELL):
                if cell.p[y][x]:
                    rows[oy + y][ox + x] = cell.p[y][x]
    out = ROOT / "web/icons"
    out.mkdir(parents=True, exist_ok=True)
    (out / "items.png").write_bytes(png(COLUMNS * CELL, rows_n * CELL, rows))
    index = {"cell": CELL, "columns": COLUMNS, "generic": 0, "icons": icons}
    (out / "items.json").write_text(json.dumps(index, indent=1, sort_keys=True) + "\n")
    print(f"{len(icons)} item icons + generic -> web/icons/items.png, web/icons/items.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
