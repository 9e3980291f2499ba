// The map we are on, read from the same Tiled JSON file the server loads: the artwork layers to
// draw, the collision layer to plan paths on, the object layers (zones, spawn areas) the
// observer view shows, and the warps and levers to draw and click. Layer roles follow the
// server (src/assets/tiled.rs): a layer's name or class says what it is, group layers are
// searched, any non-zero collision tile blocks; warps and levers may sit in any object layer.
//
// The server places every map at its own `origin` in one global tile space (docs/protocol.md,
// "Several maps, one tile space"). The file's arrays are in the map's own tiles; every method
// here that takes or returns a tile takes or returns a global one, and object rectangles
// (zones, spawn areas, warps, levers) are kept in the map's own tiles (`local`).

/** Colours for tile types when the tileset image is missing, by the tileset's `type` names. */
export const TYPE_COLOURS = {
  grass: "#5d9e3c",
  flowers: "#6aa847",
  road: "#a08258",
  sand: "#d9c58b",
  shallow_water: "#4f9fd6",
  deep_water: "#2c5fa8",
  stone_floor: "#8d8d8d",
  stone_wall: "#5b5b60",
  wood_floor: "#9a6a3a",
  wood_wall: "#6b4423",
  tree: "#2f6b2a",
  rock: "#777777",
  bridge: "#8b6a3e",
  door: "#7a4a22",
  bush: "#3d7a32",
  blocked: "#333333",
};

const GID_MASK = 0x1fffffff; // Tiled keeps flip flags in the top three bits.

/** A loaded map: size, artwork layers, tilesets, collision and objects. */
export class GameMap {
  constructor(raw, baseUrl) {
    this.width = raw.width;
    this.height = raw.height;
    this.tileW = raw.tilewidth || 32;
    this.tileH = raw.tileheight || 32;
    this.layers = []; // visible tile layers to draw, in order
    this.blocked = new Uint8Array(this.width * this.height);
    this.zones = [];
    this.spawnAreas = [];
    this.playerSpawns = [];
    this.warps = [];
    this.levers = [];
    this.origin = { x: 0, y: 0 }; // global tile of the map's top-left (set from MapInfo)
    this.tilesets = (raw.tilesets || []).map((ts) => readTileset(ts, baseUrl));
    const layers = [];
    flatten(raw.layers || [], layers);
    for (const l of layers) {
      if (l.type === "tilelayer" && is(l, "collision")) {
        (l.data || []).forEach((gid, i) => {
          if (gid) this.blocked[i] = 1;
        });
      } else if (l.type === "tilelayer" && l.visible !== false && Array.isArray(l.data)) {
        this.layers.push({ name: l.name, data: l.data, opacity: l.opacity ?? 1 });
      } else if (l.type === "objectgroup") {
        this.readObjects(l);
      }
    }
  }

  readObjects(layer) {
    const tw = this.tileW;
    const th = this.tileH;
    for (const o of layer.objects || []) {
      const kind = o.type || o.class || "";
      const rect = {
        name: o.name || "",
        x: o.x / tw,
        y: o.y / th,
        w: (o.width || 0) / tw,
        h: (o.height || 0) / th,
        props: Object.fromEntries((o.properties || []).map((p) => [p.name, p.value])),
      };
      if (is(layer, "zones") && kind === "zone") this.zones.push(rect);
      else if (is(layer, "mob_spawns") && kind === "mob_spawn") this.spawnAreas.push(rect);
      else if (is(layer, "spawns") && kind === "player_spawn") this.playerSpawns.push(rect);
      else if (kind === "warp") this.warps.push(rect);
      else if (kind === "lever") {
        // A point, or a rectangle's top-left tile, as the server reads it.
        this.levers.push({ ...rect, x: Math.floor(rect.x), y: Math.floor(rect.y), door: rect.props.door || "" });
      }
    }
  }

  /** Loads every tileset image; resolves when all have loaded or failed (`onEach` after each). */
  async loadImages(onEach = () => {}) {
    await Promise.all(
      this.tilesets.map(
        (ts) =>
          new Promise((resolve) => {
            if (!ts.imageUrl) return resolve();
            const img = new Image();
            img.onload = () => {
              ts.image = img;
              onEach();
              resolve();
            };
            img.onerror = () => {
              console.warn(`tileset image ${ts.imageUrl} did not load; using plain colours`);
              onEach();
              resolve();
            };
            img.src = ts.imageUrl;
          }),
      ),
    );
  }

  /** Whether a global tile is on this map. */
  inBounds(x, y) {
    const lx = x - this.origin.x;
    const ly = y - this.origin.y;
    return lx >= 0 && ly >= 0 && lx < this.width && ly < this.height;
  }

  /** Whether a step onto a global tile is allowed by the map (off the map is blocked). */
  walkable(x, y) {
    return this.inBounds(x, y) && !this.blocked[(y - this.origin.y) * this.width + (x - this.origin.x)];
  }

  /** The lever on a global tile, if any. */
  leverAt(x, y) {
    const lx = x - this.origin.x;
    const ly = y - this.origin.y;
    return this.levers.find((l) => l.x === lx && l.y === ly) || null;
  }

  /** The tileset holding a gid, and the tile's index in it. */
  tileOf(gid) {
    gid &= GID_MASK;
    if (!gid) return null;
    let found = null;
    for (const ts of this.tilesets) if (ts.firstgid <= gid) found = ts;
    return found ? { ts: found, index: gid - found.firstgid } : null;
  }

  /** Draws one tile (by gid) at a pixel position of a 2D context. */
  drawTile(ctx, gid, px, py) {
    const t = this.tileOf(gid);
    if (!t) return;
    const { ts, index } = t;
    if (ts.image && index < ts.tilecount) {
      const sx = ts.margin + (index % ts.columns) * (ts.tileW + ts.spacing);
      const sy = ts.margin + Math.floor(index / ts.columns) * (ts.tileH + ts.spacing);
      ctx.drawImage(ts.image, sx, sy, ts.tileW, ts.tileH, px, py, this.tileW, this.tileH);
    } else {
      const type = ts.types[index];
      const colour = TYPE_COLOURS[type] || (index % 2 ? "#4a7a36" : "#55883d");
      ctx.fillStyle = colour;
      if (ts.decorTypes.has(type)) {
        ctx.beginPath();
        ctx.arc(px + this.tileW / 2, py + this.tileH / 2, this.tileW * 0.38, 0, Math.PI * 2);
        ctx.fill();
      } else {
        ctx.fillRect(px, py, this.tileW, this.tileH);
      }
    }
  }

  /** The zone containing a global tile (the smallest, so a town inside a field wins). */
  zoneAt(gx, gy) {
    const x = gx - this.origin.x;
    const y = gy - this.origin.y;
    let best = null;
    for (const z of this.zones) {
      if (x >= z.x && y >= z.y && x < z.x + z.w && y < z.y + z.h) {
        if (!best || z.w * z.h < best.w * best.h) best = z;
      }
    }
    return best;
  }

  /**
   * Shortest 4-way path from one global tile to the nearest goal tile (`isGoal(x, y)`),
   * stepping only where `passable(x, y)` (default: the map's walkable tiles) and searching at
   * most `limit` tiles. Returns the global steps after the start, or null when unreachable.
   */
  findPath(fromX, fromY, isGoal, limit = 20_000, passable = (x, y) => this.walkable(x, y)) {
    if (isGoal(fromX, fromY)) return [];
    if (!this.inBounds(fromX, fromY)) return null;
    const { x: ox, y: oy } = this.origin;
    const w = this.width;
    const prev = new Int32Array(w * this.height).fill(-1);
    const start = (fromY - oy) * w + (fromX - ox);
    prev[start] = start;
    const queue = [start];
    for (let head = 0; head < queue.length && head < limit; head++) {
      const cur = queue[head];
      const cx = (cur % w) + ox;
      const cy = Math.floor(cur / w) + oy;
      for (const [dx, dy] of DIRS) {
        const nx = cx + dx;
        const ny = cy + dy;
        if (!this.inBounds(nx, ny) || !passable(nx, ny)) continue;
        const n = (ny - oy) * w + (nx - ox);
        if (prev[n] !== -1) continue;
        prev[n] = cur;
        if (isGoal(nx, ny)) return unwind(prev, n, start, w, this.origin);
        queue.push(n);
      }
    }
    return null;
  }
}

const DIRS = [
  [1, 0],
  [-1, 0],
  [0, 1],
  [0, -1],
];

function unwind(prev, end, start, w, origin) {
  const path = [];
  for (let n = end; n !== start; n = prev[n]) path.push({ x: (n % w) + origin.x, y: Math.floor(n / w) + origin.y });
  return path.reverse();
}

function is(layer, role) {
  const r = role.toLowerCase();
  return (layer.name || "").toLowerCase() === r || (layer.class || "").toLowerCase() === r;
}

function flatten(layers, out) {
  for (const l of layers) {
    if (l.type === "group") {
      if (l.visible !== false) flatten(l.layers || [], out);
    } else out.push(l);
  }
}

function readTileset(ts, baseUrl) {
  const types = {};
  for (const t of ts.tiles || []) types[t.id] = t.type || t.class || "";
  let imageUrl = null;
  if (ts.image) {
    // Only the assets folder's tilesets are served: keep the file name, drop the folders.
    const file = ts.image.split("/").pop();
    imageUrl = new URL(`../tilesets/${file}`, baseUrl).href;
  }
  return {
    firstgid: ts.firstgid || 1,
    columns: ts.columns || 1,
    tilecount: ts.tilecount || 0,
    tileW: ts.tilewidth || 32,
    tileH: ts.tileheight || 32,
    margin: ts.margin || 0,
    spacing: ts.spacing || 0,
    types,
    decorTypes: new Set(["tree", "rock", "bush", "flowers"]),
    imageUrl,
    image: null,
  };
}

/**
 * Fetches and parses a map by name (`/assets/maps/<name>.tmj`), with its tileset images.
 * `progress({done, total, bytes, bytesTotal})` follows it (files: the `.tmj`, then each image).
 */
export async function loadMap(name, progress = () => {}) {
  const url = new URL(`assets/maps/${encodeURIComponent(name)}.tmj`, document.baseURI).href;
  const resp = await fetch(url);
  if (!resp.ok) throw new Error(`map ${name}: HTTP ${resp.status}`);
  const raw = JSON.parse(await readCounting(resp, (bytes, bytesTotal) => progress({ done: 0, total: 1, bytes, bytesTotal })));
  const map = new GameMap(raw, url);
  const total = 1 + map.tilesets.filter((ts) => ts.imageUrl).length;
  let done = 1;
  progress({ done, total });
  await map.loadImages(() => progress({ done: ++done, total }));
  return map;
}

/** A response's text, read in chunks so `onBytes(received, contentLength)` can follow it. */
async function readCounting(resp, onBytes) {
  const length = Number(resp.headers.get("content-length")) || 0;
  if (!resp.body?.getReader) return resp.text();
  const reader = resp.body.getReader();
  const parts = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    received += value.length;
    onBytes(received, length);
  }
  const all = new Uint8Array(received);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return new TextDecoder().decode(all);
}
