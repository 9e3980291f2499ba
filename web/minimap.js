// The minimap: the current map drawn small in a corner canvas (`#minimap`), around you, with
// markers for you, party members, other players, mobs and NPCs in view, NPCs out of view
// where the map's one-NPC spawn areas put them, and quest places (givers "!", talk targets
// "?", kill targets). The terrain is drawn once per map into an offscreen canvas (a pixel a
// tile, coloured by the tileset's tile types, walls darker); the markers are redrawn a few
// times a second, not every frame. A click or tap walks there (the click-to-move goal).
// The header's button folds it away (remembered in localStorage).

import { TYPE_COLOURS } from "./map.js";
import { questPlaces } from "./questmarker.js";

const REDRAW_MS = 200; // markers at 5 Hz
const MAX_SPAN = 64; // tiles across at most (a bigger map scrolls with you)
const FOLDED_KEY = "emberkeep.minimap.folded";
const COLOURS = {
  self: "#ffffff",
  party: "#4fc3f7",
  player: "#b0bec5",
  mob: "#ff5252",
  npc: "#76ff03",
  start: "#ffd740",
  talk: "#ffd740",
  kill: "#ff9100",
};

export class Minimap {
  constructor(game, renderer) {
    this.game = game;
    this.renderer = renderer;
    this.box = document.getElementById("minimap-box");
    this.canvas = document.getElementById("minimap");
    this.ctx = this.canvas.getContext("2d");
    this.base = null; // offscreen canvas of the map, a pixel a tile
    this.baseMap = null;
    this.drawnAt = 0;
    this.party = new Set(); // ids of our party members
    this.npcTemplates = new Set(); // templates seen as NPCs (kind "npc")
    this.view = null; // { x0, y0, span, scale } in global tiles and CSS px
    /** What the last redraw marked: [{kind, x, y, name?}] (the browser test reads it). */
    this.markers = [];
    this.walks = 0; // walks started from the minimap
    this.folded = localStorage.getItem(FOLDED_KEY) === "1";
    document.getElementById("minimap-toggle").addEventListener("click", () => this.fold(!this.folded));
    this.canvas.addEventListener("click", (e) => this.click(e));
    this.fold(this.folded);
  }

  /** Server events, after the Game has seen each. */
  apply(ev) {
    if (ev.type === "party") this.party = new Set((ev.party?.members || []).map((m) => m.id).filter((id) => id != null));
    else if (ev.type === "spawn" && ev.kind === "npc" && ev.template) this.npcTemplates.add(ev.template);
    else if (ev.type === "welcome" || ev.type === "map") this.drawnAt = 0;
  }

  fold(on) {
    this.folded = on;
    this.box.classList.toggle("folded", on);
    this.canvas.hidden = on;
    const t = document.getElementById("minimap-toggle");
    t.textContent = on ? "▸" : "▾";
    t.title = on ? "Show the minimap" : "Hide the minimap";
    t.setAttribute("aria-expanded", String(!on));
    localStorage.setItem(FOLDED_KEY, on ? "1" : "0");
    this.drawnAt = 0;
  }

  /** Called every frame; redraws at a few Hz (and at once on a new map). */
  tick(now) {
    const map = this.game.map;
    this.box.hidden = !map || !this.game.self;
    if (this.box.hidden || this.folded) return;
    if (this.baseMap !== map) {
      this.base = terrain(map);
      this.baseMap = map;
      this.drawnAt = 0;
    }
    if (now - this.drawnAt < REDRAW_MS) return;
    this.drawnAt = now;
    this.draw();
  }

  draw() {
    const { game, canvas, ctx } = this;
    const map = game.map;
    const me = game.self;
    const size = canvas.clientWidth || 160;
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(size * dpr)) {
      canvas.width = Math.round(size * dpr);
      canvas.height = Math.round(size * dpr);
    }
    const span = Math.min(MAX_SPAN, Math.max(map.width, map.height));
    const scale = size / span;
    const clampStart = (c, len) => (len <= span ? (len - span) / 2 : Math.max(0, Math.min(len - span, c - span / 2)));
    const x0 = map.origin.x + clampStart(me.x - map.origin.x, map.width);
    const y0 = map.origin.y + clampStart(me.y - map.origin.y, map.height);
    this.view = { x0, y0, span, scale };
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.fillStyle = "#0b0e14";
    ctx.fillRect(0, 0, size, size);
    ctx.drawImage(this.base, 0, 0, map.width, map.height, (map.origin.x - x0) * scale, (map.origin.y - y0) * scale, map.width * scale, map.height * scale);
    this.markers = this.collect();
    for (const m of this.markers) this.mark(m, scale);
  }

  /** Every marker: entities in view, NPCs by their spawn areas, quest places; you last (on top). */
  collect() {
    const { game } = this;
    const map = game.map;
    const me = game.self;
    const out = [];
    const inView = new Set();
    for (const e of game.entities.values()) {
      if (e.id === me.id || e.dead) continue;
      let kind = null;
      if (e.kind === "player") kind = this.party.has(e.id) ? "party" : "player";
      else if (e.kind === "mob") kind = "mob";
      else if (e.kind === "npc") kind = "npc";
      if (!kind) continue;
      if (e.template) inView.add(e.template);
      out.push({ kind, x: e.x, y: e.y, name: e.name, id: e.id });
    }
    for (const a of map.spawnAreas) {
      const mob = a.props.mob;
      const single = a.w <= 1 && a.h <= 1 && Number(a.props.count ?? 1) === 1;
      if (!mob || inView.has(mob) || !(this.npcTemplates.has(mob) || single)) continue;
      out.push({ kind: "npc", x: Math.floor(map.origin.x + a.x), y: Math.floor(map.origin.y + a.y), name: a.name, template: mob });
    }
    for (const q of questPlaces(game)) out.push({ kind: q.kind, x: q.x, y: q.y, name: q.name, template: q.template, quest: true });
    out.push({ kind: "self", x: me.x, y: me.y, name: me.name, id: me.id });
    return out;
  }

  mark(m, scale) {
    const { ctx } = this;
    const { x0, y0 } = this.view;
    const px = (m.x - x0 + 0.5) * scale;
    const py = (m.y - y0 + 0.5) * scale;
    ctx.fillStyle = COLOURS[m.kind] || "#ffffff";
    if (m.quest) {
      ctx.font = "bold 12px system-ui, sans-serif";
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.strokeStyle = "#000";
      ctx.lineWidth = 3;
      const text = m.kind === "start" ? "!" : m.kind === "talk" ? "?" : "✕";
      ctx.strokeText(text, px, py - 6);
      ctx.fillText(text, px, py - 6);
      return;
    }
    const r = m.kind === "self" ? 3.5 : m.kind === "party" ? 3 : 2.2;
    ctx.beginPath();
    ctx.arc(px, py, r, 0, Math.PI * 2);
    ctx.fill();
    if (m.kind === "self" || m.kind === "party") {
      ctx.strokeStyle = "#000";
      ctx.lineWidth = 1;
      ctx.stroke();
    }
  }

  /** The global tile under a point of the minimap (CSS px from its top-left), or null. */
  tileAt(px, py) {
    const v = this.view;
    if (!v) return null;
    return { x: Math.floor(v.x0 + px / v.scale), y: Math.floor(v.y0 + py / v.scale) };
  }

  /** The page point (CSS px) of a global tile's centre on the minimap (for the browser test). */
  tileToScreen(x, y) {
    const v = this.view;
    if (!v) return null;
    const r = this.canvas.getBoundingClientRect();
    return { x: r.left + (x - v.x0 + 0.5) * v.scale, y: r.top + (y - v.y0 + 0.5) * v.scale };
  }

  /** A click or tap: walk to that tile, or the nearest walkable one near it. */
  click(e) {
    const r = this.canvas.getBoundingClientRect();
    const at = this.tileAt(e.clientX - r.left, e.clientY - r.top);
    const game = this.game;
    if (!at || !game.map || !game.self) return;
    const tile = nearestWalkable(game, at.x, at.y, 3);
    if (!tile) return;
    game.clearGoal();
    game.walkTo(tile.x, tile.y);
    this.renderer.clickMarker = { ...tile, t0: performance.now() };
    this.walks += 1;
  }
}

/** The walkable tile nearest (x, y) within `radius`, or null. */
function nearestWalkable(game, x, y, radius) {
  for (let r = 0; r <= radius; r++) {
    for (let dy = -r; dy <= r; dy++) {
      for (let dx = -r; dx <= r; dx++) {
        if (Math.max(Math.abs(dx), Math.abs(dy)) === r && game.walkable(x + dx, y + dy)) return { x: x + dx, y: y + dy };
      }
    }
  }
  return null;
}

/** The map as an offscreen canvas, a pixel a tile: the top tile's type colour, walls darker. */
function terrain(map) {
  const c = document.createElement("canvas");
  c.width = map.width;
  c.height = map.height;
  const ctx = c.getContext("2d");
  const img = ctx.createImageData(map.width, map.height);
  const rgbCache = new Map();
  for (let i = 0; i < map.width * map.height; i++) {
    let type = null;
    for (let l = map.layers.length - 1; l >= 0 && !type; l--) {
      const t = map.tileOf(map.layers[l].data[i] || 0);
      if (t) type = t.ts.types[t.index] || "tile";
    }
    const blocked = map.blocked[i] === 1;
    const key = `${type}|${blocked}`;
    let rgb = rgbCache.get(key);
    if (!rgb) {
      const hex = TYPE_COLOURS[type] || (blocked ? "#555a66" : "#5d9e3c");
      rgb = [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16) * (blocked ? 0.7 : 1));
      rgbCache.set(key, rgb);
    }
    img.data.set([rgb[0], rgb[1], rgb[2], 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
  return c;
}
