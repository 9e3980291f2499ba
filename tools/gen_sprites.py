#!/usr/bin/env python3
"""Draws Emberkeep's character, gear, mob and NPC sprite sheets (our own pixel art, made
here from rectangles, lines and a rotating brush) into web/sprites/, with the manifest
web/sprites/sprites.json the client reads. Standard library only (PNG written with zlib and
struct). Run from the repository root:
    python3 tools/gen_sprites.py

Every sheet has the same grid: frames of FRAME x FRAME pixels (one map tile at zoom 1),
one row per direction (down, left, right, up) and COLUMNS columns: idle, four walk frames,
three attack frames (wind-up, strike, follow-through). Gear layers are drawn on the same
grid so they line up with the body: the client stacks body, chest, head, shield and weapon.

Items get their look from ITEM_LOOKS (slot, family, tint); an item not listed there is drawn
with its slot's generic layer, and a mob or NPC template not listed with the generic sprite.
"""

import json
import math
import os
import struct
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "web", "sprites")
FRAME = 32
DIRS = ["down", "left", "right", "up"]
# (animation, first column, frames)
ANIMS = [("idle", 0, 1), ("walk", 1, 4), ("attack", 5, 3)]
COLUMNS = 8

# ---- colours -------------------------------------------------------------------------------


def hexc(s, a=255):
    s = s.lstrip("#")
    return (int(s[0:2], 16), int(s[2:4], 16), int(s[4:6], 16), a)


def shade(c, k):
    return tuple(max(0, min(255, int(v * k))) for v in c[:3]) + (c[3],)


SKIN = hexc("#f0c8a0")
OUTLINE = (28, 20, 24, 255)
WOOD = hexc("#8a5a2b")
STEEL = hexc("#c8ccd4")
IRON = hexc("#9aa0aa")
BRONZE = hexc("#c98a3a")
RUST = hexc("#a8623a")

# ---- a frame: a small RGBA raster ----------------------------------------------------------


class Frame:
    def __init__(self):
        self.px = [[None] * FRAME for _ in range(FRAME)]

    def put(self, x, y, c):
        x, y = int(round(x)), int(round(y))
        if 0 <= x < FRAME and 0 <= y < FRAME and c is not None:
            self.px[y][x] = c

    def rect(self, x, y, w, h, c):
        for yy in range(y, y + h):
            for xx in range(x, x + w):
                self.put(xx, yy, c)

    def ellipse(self, cx, cy, rx, ry, c):
        for yy in range(int(cy - ry) - 1, int(cy + ry) + 2):
            for xx in range(int(cx - rx) - 1, int(cx + rx) + 2):
                if ((xx + 0.5 - cx) / rx) ** 2 + ((yy + 0.5 - cy) / ry) ** 2 <= 1.0:
                    self.put(xx, yy, c)

    def line(self, x0, y0, x1, y1, c):
        n = int(max(abs(x1 - x0), abs(y1 - y0)) * 2) + 1
        for i in range(n + 1):
            t = i / n
            self.put(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, c)

    def outlined(self):
        """A copy with a dark one-pixel outline around everything drawn."""
        out = Frame()
        for y in range(FRAME):
            for x in range(FRAME):
                if self.px[y][x] is not None:
                    out.px[y][x] = self.px[y][x]
                    continue
                for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                    xx, yy = x + dx, y + dy
                    if 0 <= xx < FRAME and 0 <= yy < FRAME and self.px[yy][xx] is not None:
                        out.px[y][x] = OUTLINE
                        break
        return out

    def mirrored(self):
        out = Frame()
        out.px = [list(reversed(row)) for row in self.px]
        return out


def sheet(draw):
    """A whole sheet: `draw(frame, dir, anim, i)` for every cell; right is left mirrored."""
    rows = []
    for d in DIRS:
        cells = []
        for anim, _, count in ANIMS:
            for i in range(count):
                f = Frame()
                draw(f, "left" if d == "right" else d, anim, i)
                f = f.outlined()
                cells.append(f.mirrored() if d == "right" else f)
        rows.append(cells)
    return rows


def write_png(path, rows):
    w, h = FRAME * COLUMNS, FRAME * len(rows)
    raw = bytearray()
    for r, cells in enumerate(rows):
        for y in range(FRAME):
            raw.append(0)
            for f in cells:
                for c in f.px[y]:
                    raw.extend(c if c is not None else (0, 0, 0, 0))
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(bytes(raw), 9))
    png += chunk(b"IEND", b"")
    with open(path, "wb") as fh:
        fh.write(png)
    return len(png)

# ---- poses: where the body, hands and weapon are in each frame -----------------------------


def pose(d, anim, i):
    """(body dx, dy, weapon hand x, y, weapon angle, off hand x, y). Angles in degrees, 0 up,
    90 right (screen). `d` is down, left or up (right is drawn as left, mirrored)."""
    bob = 0
    if anim == "walk":
        bob = -1 if i % 2 == 1 else 0
    if d == "down":
        if anim == "attack":
            return [(0, -1, 8, 15, 300, 22, 21), (0, 1, 12, 24, 190, 22, 21), (0, 1, 18, 25, 120, 22, 21)][i]
        swing = [0, 1, 0, -1][i] if anim == "walk" else 0
        return (0, bob, 9, 22 + swing, 350, 22, 21 - swing)
    if d == "up":
        if anim == "attack":
            return [(0, 1, 22, 21, 150, 9, 21), (0, -1, 20, 11, 10, 9, 21), (0, -1, 14, 11, 300, 9, 21)][i]
        swing = [0, 1, 0, -1][i] if anim == "walk" else 0
        return (0, bob, 22, 22 + swing, 10, 9, 21 - swing)
    # left (profile)
    if anim == "attack":
        return [(1, 0, 18, 15, 30, 18, 20), (-1, 0, 8, 19, 270, 17, 20), (-1, 1, 10, 24, 215, 17, 20)][i]
    swing = [0, 1, 0, -1][i] if anim == "walk" else 0
    return (0, bob, 12 + swing, 21, 330, 18 - swing, 20)

# ---- humanoid bodies -----------------------------------------------------------------------


def humanoid(f, d, anim, i, pal):
    """A person: `pal` has skin, hair, shirt, pants, boots, and optionally robe, beard, hat."""
    dx, dy, hx, hy, _, ox, oy = pose(d, anim, i)
    skin, hair, shirt, pants, boots = pal["skin"], pal["hair"], pal["shirt"], pal["pants"], pal["boots"]
    big = pal.get("big", 0)
    step = [0, 1, 0, -1][i] if anim == "walk" else 0
    # Legs and boots.
    if d == "left":
        for k, s in ((0, step), (1, -step)):
            lx = 14 + dx + s * 2
            f.rect(lx, 23 + dy, 3, 5, pants)
            f.rect(lx - 1, 28, 4, 2, boots)
    else:
        for k, lx in ((0, 12), (1, 17)):
            lift = (step if k == 0 else -step)
            f.rect(lx + dx, 23 + dy, 3, 6 - max(0, lift), pants)
            f.rect(lx + dx, 28 - max(0, lift), 3, 2, boots)
    # Torso (a robe reaches the ankles).
    tx, tw = (12, 8) if d == "left" else (11 - big, 10 + 2 * big)
    f.rect(tx + dx, 15 + dy, tw, 9, shirt)
    if pal.get("robe"):
        f.rect(tx + dx - 1, 22 + dy, tw + 2, 6, pal["robe"])
    f.rect(tx + dx, 22 + dy, tw, 1, shade(shirt, 0.6))  # belt
    if pal.get("apron"):
        f.rect(tx + dx + 2, 17 + dy, tw - 4, 9, pal["apron"])
    # Arms to the hands.
    arm = shade(shirt, 0.85)
    if d == "left":
        f.line(15 + dx, 16 + dy, hx, hy, arm)
        f.put(hx, hy, skin)
    else:
        f.line((10 - big if hx < 16 else 21 + big) + dx, 16 + dy, hx, hy, arm)
        f.line((21 + big if ox > 16 else 10 - big) + dx, 16 + dy, ox, oy, arm)
        f.put(hx, hy, skin)
        f.put(ox, oy, skin)
    # Head.
    head_x = 11 if d != "left" else 11
    f.rect(head_x + dx, 6 + dy, 10, 9, skin)
    if d == "down":
        f.rect(head_x + dx, 5 + dy, 10, 3, hair)
        f.rect(head_x + dx, 8 + dy, 1, 3, hair)
        f.rect(head_x + 9 + dx, 8 + dy, 1, 3, hair)
        f.put(13 + dx, 10 + dy, OUTLINE)
        f.put(18 + dx, 10 + dy, OUTLINE)
        if pal.get("beard"):
            f.rect(13 + dx, 12 + dy, 6, 3, pal["beard"])
    elif d == "up":
        f.rect(head_x + dx, 5 + dy, 10, 9, hair)
    else:
        f.rect(head_x + 3 + dx, 5 + dy, 8, 4, hair)
        f.rect(head_x + 6 + dx, 8 + dy, 4, 5, hair)
        f.put(12 + dx, 10 + dy, OUTLINE)
        if pal.get("beard"):
            f.rect(11 + dx, 12 + dy, 4, 3, pal["beard"])
    if pal.get("hat"):
        hat = pal["hat"]
        f.rect(head_x - 1 + dx, 5 + dy, 12, 2, hat)
        f.rect(head_x + 2 + dx, 2 + dy, 6, 3, hat)
        f.rect(head_x + 4 + dx, 0 + dy, 2, 2, hat)
    if pal.get("hood"):
        hood = pal["hood"]
        f.rect(head_x - 1 + dx, 4 + dy, 12, 3, hood)
        if d != "down":
            f.rect(head_x + (4 if d == "left" else 0) + dx, 6 + dy, 6 if d == "left" else 10, 6, hood)
        else:
            f.rect(head_x - 1 + dx, 6 + dy, 2, 7, hood)
            f.rect(head_x + 9 + dx, 6 + dy, 2, 7, hood)


CLASSES = {
    "warrior": dict(skin=SKIN, hair=hexc("#6b3e1e"), shirt=hexc("#b0413e"), pants=hexc("#5a4632"),
                    boots=hexc("#3b2a1c")),
    "ranger": dict(skin=SKIN, hair=hexc("#c79a4a"), shirt=hexc("#4f7f3a"), pants=hexc("#6b5a3a"),
                   boots=hexc("#3b2a1c"), hood=hexc("#3c6630")),
    "mage": dict(skin=SKIN, hair=hexc("#d8d8e0"), shirt=hexc("#3f5fb0"), pants=hexc("#2e3f7a"),
                 boots=hexc("#2a2440"), robe=hexc("#34509a"), hat=hexc("#2c3f86")),
}

# ---- gear layers ---------------------------------------------------------------------------


def brush(f, hx, hy, angle, parts):
    """Draws `parts` [(u0, u1, v0, v1, colour)] along a weapon held at (hx, hy) pointing at
    `angle`: u runs along the weapon from the hand, v across it."""
    a = math.radians(angle)
    ux, uy = math.sin(a), -math.cos(a)
    vx, vy = math.cos(a), math.sin(a)
    for u0, u1, v0, v1, c in parts:
        u = u0
        while u <= u1:
            v = v0
            while v <= v1:
                f.put(hx + u * ux + v * vx, hy + u * uy + v * vy, c)
                v += 0.5
            u += 0.5


def weapon_parts(family, tint):
    edge = shade(tint, 1.25)
    if family == "sword":
        return [(-2, 0, 0, 0.5, WOOD), (1, 1, -2, 2.5, shade(tint, 0.6)), (2, 11, 0, 1, tint),
                (2, 10, 1, 1, edge), (11.5, 12, 0.5, 0.5, edge)]
    if family == "axe":
        return [(-2, 11, 0, 0.5, WOOD), (7, 11, 1, 4, tint), (7, 11, 4, 4.5, edge)]
    if family == "pick":
        return [(-2, 11, 0, 0.5, WOOD), (10, 11, -5, 5, tint)]
    if family == "dagger":
        return [(-1, 0, 0, 0.5, shade(WOOD, 0.8)), (1, 1, -1, 1.5, shade(tint, 0.6)), (2, 6, 0, 0.5, tint),
                (6.5, 7, 0, 0, edge)]
    if family == "staff":
        return [(-6, 13, 0, 0.5, tint), (13, 16, -1.5, 2, hexc("#7fd0ff")), (14, 15, -0.5, 1, hexc("#e8f8ff"))]
    if family == "rod":
        return [(-4, 15, 0, 0, tint), (15, 15, 0, 3, hexc("#dddddd"))]
    if family == "bow":
        parts = []
        for k in range(-14, 15):
            u = k / 2
            v = 3.5 - (u * u) / 14
            parts.append((u, u, v, v + 0.5, tint))
        parts.append((-7, 7, -0.5, -0.5, hexc("#e8e0c8")))  # the string
        return parts
    # generic: a plain stick
    return [(-2, 9, 0, 0.5, tint)]


def weapon_layer(family, tint):
    def draw(f, d, anim, i):
        dx, dy, hx, hy, angle, _, _ = pose(d, anim, i)
        if family in ("bow", "staff", "rod"):
            # Held out, not swung: the bow across the facing, the staff upright.
            base = {"down": 180, "up": 0, "left": 270}[d]
            if family == "bow":
                angle = base + 90 if d != "up" else 90
                if anim == "attack":
                    hx, hy = {"down": (15, 22), "up": (16, 12), "left": (8, 17)}[d]
            else:
                angle = {"down": 350, "up": 10, "left": 340}[d] if anim != "attack" else [330, base, base][i]
        brush(f, hx, hy + dy * 0, angle, weapon_parts(family, tint))
    return draw


def head_layer(kind, tint):
    def draw(f, d, anim, i):
        dx, dy, *_ = pose(d, anim, i)
        dark = shade(tint, 0.7)
        if kind == "cap":
            f.rect(10 + dx, 4 + dy, 12, 3, tint)
            f.rect(11 + dx, 3 + dy, 10, 1, dark)
            if d == "down":
                f.rect(10 + dx, 7 + dy, 12, 1, dark)
            elif d == "left":
                f.rect(8 + dx, 6 + dy, 4, 1, dark)  # the brim forward
            else:
                f.rect(10 + dx, 7 + dy, 12, 2, tint)
        else:  # helm
            f.rect(10 + dx, 3 + dy, 12, 5, tint)
            f.rect(10 + dx, 3 + dy, 12, 1, shade(tint, 1.2))
            if d == "down":
                f.rect(10 + dx, 8 + dy, 2, 5, tint)
                f.rect(20 + dx, 8 + dy, 2, 5, tint)
                f.rect(15 + dx, 8 + dy, 2, 3, dark)  # nose guard
            elif d == "up":
                f.rect(10 + dx, 8 + dy, 12, 6, tint)
                f.rect(15 + dx, 3 + dy, 2, 11, dark)
            else:
                f.rect(14 + dx, 8 + dy, 8, 6, tint)
                f.rect(10 + dx, 8 + dy, 2, 2, dark)
    return draw


def chest_layer(kind, tint):
    def draw(f, d, anim, i):
        dx, dy, *_ = pose(d, anim, i)
        x, w = (12, 8) if d == "left" else (11, 10)
        f.rect(x + dx, 15 + dy, w, 8, tint)
        f.rect(x - 1 + dx, 15 + dy, w + 2, 2, shade(tint, 1.15))  # shoulders
        if kind == "mail":
            for yy in range(17, 23):
                for xx in range(x, x + w):
                    if (xx + yy) % 2 == 0:
                        f.put(xx + dx, yy + dy, shade(tint, 0.75))
        elif d == "down":
            for yy in range(17, 22, 2):
                f.put(16 + dx, yy + dy, shade(tint, 0.6))
        f.rect(x + dx, 22 + dy, w, 1, shade(tint, 0.55))
    return draw


def shield_layer(kind, tint):
    def draw(f, d, anim, i):
        dx, dy, _, _, _, ox, oy = pose(d, anim, i)
        rim = shade(tint, 0.65)
        if d == "left":
            f.rect(ox - 1, oy - 5, 3, 9, rim)  # seen edge-on, on the far arm
            return
        if kind == "round":
            f.ellipse(ox + 0.5, oy - 1, 4.5, 5, rim)
            f.ellipse(ox + 0.5, oy - 1, 3.5, 4, tint)
            f.rect(ox, oy - 2, 1, 2, STEEL if d == "down" else rim)
        else:  # kite
            f.rect(ox - 3, oy - 6, 8, 7, rim)
            f.rect(ox - 2, oy - 5, 6, 6, tint)
            f.rect(ox - 1, oy + 1, 4, 2, rim)
            f.rect(ox, oy + 3, 2, 1, rim)
            if d == "down":
                f.rect(ox, oy - 5, 2, 7, hexc("#b03030"))
    return draw


# item id -> (slot, family, tint). An item not listed uses its slot's generic layer.
ITEM_LOOKS = {
    "rusty_sword": ("weapon", "sword", RUST),
    "iron_sword": ("weapon", "sword", STEEL),
    "bandit_dagger": ("weapon", "dagger", hexc("#8d9aa8")),
    "bronze_dagger": ("weapon", "dagger", BRONZE),
    "iron_dagger": ("weapon", "dagger", STEEL),
    "steel_axe": ("weapon", "axe", hexc("#dfe4ec")),
    "hatchet": ("weapon", "axe", IRON),
    "pickaxe": ("weapon", "pick", IRON),
    "oak_staff": ("weapon", "staff", WOOD),
    "fishing_rod": ("weapon", "rod", hexc("#b08050")),
    "hunting_bow": ("weapon", "bow", WOOD),
    "oak_shortbow": ("weapon", "bow", hexc("#a06a34")),
    "willow_longbow": ("weapon", "bow", hexc("#c8b070")),
    "leather_cap": ("head", "cap", hexc("#8a5a32")),
    "iron_helm": ("head", "helm", IRON),
    "bronze_helm": ("head", "helm", BRONZE),
    "leather_vest": ("chest", "leather", hexc("#7a4e2a")),
    "chainmail": ("chest", "mail", IRON),
    "wooden_shield": ("shield", "round", hexc("#9a6a36")),
    "iron_shield": ("shield", "kite", IRON),
}
GENERIC = {
    "weapon": ("weapon", "generic", hexc("#b0b0b0")),
    "head": ("head", "cap", hexc("#909090")),
    "chest": ("chest", "leather", hexc("#808080")),
    "shield": ("shield", "round", hexc("#909090")),
}


def gear_draw(slot, family, tint):
    if slot == "weapon":
        return weapon_layer(family, tint)
    if slot == "head":
        return head_layer(family, tint)
    if slot == "chest":
        return chest_layer(family, tint)
    return shield_layer(family, tint)

# ---- mobs and NPCs -------------------------------------------------------------------------


def quadruped(f, d, anim, i, body, belly, size, tail):
    """A four-legged beast (rat, wolf): side view facing left, front and back views."""
    step = [0, 1, 0, -1][i] if anim == "walk" else 0
    lunge = [1, -2, -1][i] if anim == "attack" else 0
    if d == "left":
        cx, cy = 17 + lunge, 22
        f.ellipse(cx, cy, size * 1.4, size * 0.8, body)
        f.ellipse(cx, cy + 2, size * 1.1, size * 0.4, belly)
        for k, lx in enumerate((cx - size, cx - size + 3, cx + size - 3, cx + size)):
            s = step if k % 2 else -step
            f.rect(int(lx + s), int(cy + size * 0.5), 2, 4, shade(body, 0.8))
        hx = cx - size * 1.4
        f.ellipse(hx, cy - size * 0.5, size * 0.7, size * 0.6, body)
        f.ellipse(hx - size * 0.6, cy - size * 0.3, size * 0.4, size * 0.3, belly)  # snout
        f.rect(int(hx - 1), int(cy - size * 1.1), 2, 3, shade(body, 0.7))  # ear
        f.put(hx - 1, cy - size * 0.6, OUTLINE)  # eye
        if anim == "attack" and i == 1:
            f.rect(int(hx - size), int(cy - size * 0.1), 3, 1, hexc("#ffffff"))
        f.line(cx + size * 1.3, cy, cx + size * 1.3 + tail, cy - 2 + step, shade(body, 0.85))
    else:
        cx, cy = 16, 21 + (lunge if d == "down" else -lunge)
        f.ellipse(cx, cy, size * 0.9, size * 1.1, body)
        for k, lx in enumerate((cx - size * 0.8, cx + size * 0.8 - 2)):
            s = step if k else -step
            f.rect(int(lx), int(cy + size * 0.6 + s), 2, 4, shade(body, 0.8))
        if d == "down":
            # Facing us: the head in front of the body, ears up, eyes and a pale snout.
            hy = cy + size * 0.4
            f.rect(int(cx - size * 0.7), int(hy - size * 1.1), 2, 3 + size // 3, shade(body, 0.7))
            f.rect(int(cx + size * 0.7 - 1), int(hy - size * 1.1), 2, 3 + size // 3, shade(body, 0.7))
            f.ellipse(cx, hy, size * 0.75, size * 0.65, shade(body, 1.1))
            f.ellipse(cx, hy + size * 0.35, size * 0.4, size * 0.3, belly)
            f.put(cx - 2, hy - 1, OUTLINE)
            f.put(cx + 1, hy - 1, OUTLINE)
            f.put(cx - 0.5, hy + size * 0.2, OUTLINE)  # nose
        else:
            f.line(cx, cy + size, cx + step, cy + size + tail * 0.6, shade(body, 0.85))
            f.ellipse(cx, cy - size * 1.0, size * 0.7, size * 0.6, shade(body, 1.1))
            f.rect(int(cx - size * 0.7), int(cy - size * 1.6), 2, 3 + size // 3, shade(body, 0.7))
            f.rect(int(cx + size * 0.7 - 1), int(cy - size * 1.6), 2, 3 + size // 3, shade(body, 0.7))


def crab(f, d, anim, i):
    shell, claw = hexc("#d2553a"), hexc("#e8744f")
    step = [0, 1, 0, -1][i] if anim == "walk" else 0
    raise_ = [2, 4, 1][i] if anim == "attack" else 0
    for k in range(3):
        f.line(10, 21 + k * 2, 5, 24 + k * 2 + (step if k % 2 else -step), shade(shell, 0.7))
        f.line(22, 21 + k * 2, 27, 24 + k * 2 + (-step if k % 2 else step), shade(shell, 0.7))
    f.ellipse(16, 22, 8, 5, shell)
    f.ellipse(16, 21, 6, 3, shade(shell, 1.15))
    for side in (-1, 1):
        cx = 16 + side * 9
        f.ellipse(cx, 15 - raise_, 3, 3, claw)
        f.put(cx, 13 - raise_, OUTLINE if d != "up" else claw)
        f.line(16 + side * 6, 20, cx, 17 - raise_, claw)
    if d != "up":
        f.rect(13, 16, 1, 2, OUTLINE)
        f.rect(18, 16, 1, 2, OUTLINE)


def spider(f, d, anim, i):
    body, leg = hexc("#3a3440"), hexc("#5a5064")
    step = [0, 1, 0, -1][i] if anim == "walk" else 0
    lunge = [1, -2, -1][i] if anim == "attack" else 0
    cy = 20 + (lunge if d != "up" else -lunge)
    for k in range(4):
        s = step if k % 2 else -step
        f.line(13, cy - 2 + k * 2, 5, cy - 6 + k * 4 + s, leg)
        f.line(19, cy - 2 + k * 2, 27, cy - 6 + k * 4 - s, leg)
    f.ellipse(16, cy + 3, 6, 5, body)
    f.ellipse(16, cy - 3, 4, 3.5, shade(body, 1.2))
    f.rect(15, cy + 2, 2, 3, hexc("#c0392b"))
    if d != "up":
        for x in (14, 15, 17, 18):
            f.put(x, cy - 4, hexc("#ff4a4a"))


def with_gear(pal, *layers):
    def draw(f, d, anim, i):
        humanoid(f, d, anim, i, pal)
        for layer in layers:
            layer(f, d, anim, i)
    return draw


def skeleton_pal():
    bone = hexc("#e8e4d4")
    return dict(skin=bone, hair=bone, shirt=hexc("#cfcab8"), pants=hexc("#bdb8a6"), boots=bone)


def skeleton(f, d, anim, i):
    humanoid(f, d, anim, i, skeleton_pal())
    dx, dy, *_ = pose(d, anim, i)
    x = 12 if d == "left" else 11
    for yy in (16, 18, 20):
        f.rect(x + 1 + dx, yy + dy, 8 if d != "left" else 6, 1, hexc("#6a6658"))  # ribs
    if d == "down":
        f.rect(12 + dx, 9 + dy, 3, 2, OUTLINE)
        f.rect(17 + dx, 9 + dy, 3, 2, OUTLINE)
    weapon_layer("sword", hexc("#8a7a5a"))(f, d, anim, i)


MOBS = {
    "rat": lambda f, d, a, i: quadruped(f, d, a, i, hexc("#8a8078"), hexc("#c8b8a8"), 4, 6),
    "wolf": lambda f, d, a, i: quadruped(f, d, a, i, hexc("#6e7480"), hexc("#c8ccd0"), 6, 7),
    "crab": crab,
    "forest_spider": spider,
    "goblin": with_gear(dict(skin=hexc("#7cb342"), hair=hexc("#3e5a1e"), shirt=hexc("#6d5a3a"),
                             pants=hexc("#4e3f28"), boots=hexc("#2e2418")),
                        weapon_layer("dagger", IRON)),
    "bandit": with_gear(dict(skin=SKIN, hair=hexc("#2a2a2a"), shirt=hexc("#5a4a6a"), pants=hexc("#3a3040"),
                             boots=hexc("#20181c"), hood=hexc("#2e2636")),
                        weapon_layer("dagger", hexc("#8d9aa8"))),
    "skeleton": skeleton,
    "crypt_warden": with_gear(dict(skin=hexc("#9a8fb0"), hair=hexc("#403a50"), shirt=hexc("#4a4458"),
                                   pants=hexc("#2c2838"), boots=hexc("#1c1824"), big=1),
                              chest_layer("mail", hexc("#5a5470")), head_layer("helm", hexc("#6a6080")),
                              shield_layer("kite", hexc("#4a3f66")), weapon_layer("axe", hexc("#b090ff"))),
    "villager": with_gear(dict(skin=SKIN, hair=hexc("#7a5230"), shirt=hexc("#c9a36a"), pants=hexc("#6a5038"),
                               boots=hexc("#3b2a1c"))),
    "town_guard": with_gear(dict(skin=SKIN, hair=hexc("#4a3020"), shirt=hexc("#2f5aa8"), pants=hexc("#3a3a48"),
                                 boots=hexc("#222228")),
                            chest_layer("mail", IRON), head_layer("helm", IRON), weapon_layer("staff", WOOD)),
    "elder_maren": with_gear(dict(skin=SKIN, hair=hexc("#f0f0f0"), shirt=hexc("#6a3f8a"), pants=hexc("#4a2c62"),
                                  boots=hexc("#2a1c36"), robe=hexc("#5e3880"))),
    "smith_brann": with_gear(dict(skin=hexc("#e0b088"), hair=hexc("#3a2414"), shirt=hexc("#7a4a30"),
                                  pants=hexc("#3e3028"), boots=hexc("#241a14"), apron=hexc("#3a3030"),
                                  beard=hexc("#5a3418"), big=1)),
    "banker_odo": with_gear(dict(skin=SKIN, hair=hexc("#8a8a8a"), shirt=hexc("#2f6a4a"), pants=hexc("#24302a"),
                                 boots=hexc("#1a1a1a"), hat=hexc("#c9a13a"))),
    "herbalist_ilsa": with_gear(dict(skin=SKIN, hair=hexc("#b8502a"), shirt=hexc("#5a8a3a"), pants=hexc("#3e5a2a"),
                                     boots=hexc("#2c2418"), robe=hexc("#4e7a34"))),
    "generic": with_gear(dict(skin=hexc("#b0a0a0"), hair=hexc("#505050"), shirt=hexc("#707070"),
                              pants=hexc("#505050"), boots=hexc("#303030"))),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    sizes = {}
    bodies = {}
    for cls, pal in CLASSES.items():
        name = f"body_{cls}.png"
        sizes[name] = write_png(os.path.join(OUT, name), sheet(lambda f, d, a, i, pal=pal: humanoid(f, d, a, i, pal)))
        bodies[cls] = name
    items = {}
    generic = {}
    for slot, look in GENERIC.items():
        name = f"{slot}_generic.png"
        sizes[name] = write_png(os.path.join(OUT, name), sheet(gear_draw(*look)))
        generic[slot] = name
    for item, look in ITEM_LOOKS.items():
        name = f"{look[0]}_{item}.png"
        sizes[name] = write_png(os.path.join(OUT, name), sheet(gear_draw(*look)))
        items[item] = {"slot": look[0], "family": look[1], "image": name}
    mobs = {}
    for template, draw in MOBS.items():
        name = f"mob_{template}.png"
        sizes[name] = write_png(os.path.join(OUT, name), sheet(draw))
        mobs[template] = name
    manifest = {
        "frame": FRAME,
        "columns": COLUMNS,
        "rows": DIRS,
        "anims": {a: {"col": c, "frames": n} for a, c, n in ANIMS},
        "bodies": bodies,
        "default_body": "warrior",
        "items": items,
        "generic": generic,
        "sprites": mobs,
        "default_sprite": "generic",
    }
    with open(os.path.join(OUT, "sprites.json"), "w") as fh:
        json.dump(manifest, fh, indent=1, sort_keys=True)
        fh.write("\n")
    total = sum(sizes.values())
    print(f"{len(sizes)} sheets, {total} bytes ({min(sizes.values())}..{max(sizes.values())} each)")


if __name__ == "__main__":
    main()
