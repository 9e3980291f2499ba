// Canvas drawing: the map around the camera (pre-rendered in chunks) at its origin in the
// global tile space, warps, levers and doors, entities with name labels and hp bars, chat
// bubbles, floating damage numbers, and the observer's overlays. A new map fades in; the
// world fades out while a handoff moves us to another server.
// Nothing here changes game state.

import { renderPos } from "./entities.js";
import { drawAim, drawCastBar, drawNode, drawStation } from "./objects.js";
import { drawSprite, forgetGone } from "./sprites.js";

const CHUNK = 16; // tiles per side of a cached map chunk
const FLOATER_MS = 1200;
const FADE_MS = 450; // a newly shown map fades in from black
const FADE_OUT_MS = 250; // the world fades out when a handoff begins

const KIND_COLOURS = {
  player: { body: "#3f7fd9", dark: "#1f3f70" },
  self: { body: "#e8a33d", dark: "#7a4c10" },
  mob: { body: "#b5523b", dark: "#5a2418" },
  npc: { body: "#5fae5a", dark: "#2c5a29" },
};

export class Renderer {
  constructor(canvas, game) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.game = game;
    this.zoom = 1;
    this.cam = { x: 0, y: 0 }; // world pixel at the centre of the screen
    this.follow = null; // entity id the camera follows (observer), else ourselves
    this.chunks = new Map();
    this.chunkMap = null;
    this.fadeAt = 0;
    this.fadeOutAt = null; // while a handoff is under way: when the world began to fade out
    this.hoverTile = null;
    this.clickMarker = null;
    this.overlays = null; // set by the observer view: { regions, zones, spawns }
    this.aim = () => null; // a ground ability being aimed: { radius } (set by main.js)
    this.fps = 0;
    this.frames = 0;
    this.fpsAt = 0;
    this.resize();
  }

  resize() {
    const dpr = window.devicePixelRatio || 1;
    const w = this.canvas.clientWidth || window.innerWidth;
    const h = this.canvas.clientHeight || window.innerHeight;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(h * dpr);
    this.dpr = dpr;
    this.viewW = w;
    this.viewH = h;
  }

  get tile() {
    return (this.game.map?.tileW || 32) * this.zoom;
  }

  /** Screen (CSS pixel) position of a tile's centre. */
  tileToScreen(x, y) {
    const t = this.tile;
    return {
      x: (x + 0.5) * t - this.cam.x + this.viewW / 2,
      y: (y + 0.5) * t - this.cam.y + this.viewH / 2,
    };
  }

  /** The map point under a screen (CSS pixel) position, in (fractional) tiles. */
  screenToWorld(sx, sy) {
    const t = this.tile;
    return {
      x: (sx + this.cam.x - this.viewW / 2) / t,
      y: (sy + this.cam.y - this.viewH / 2) / t,
    };
  }

  draw(now) {
    const { ctx, game } = this;
    const map = game.map;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.fillStyle = "#10141c";
    ctx.fillRect(0, 0, this.viewW, this.viewH);
    this.countFrame(now);
    if (!map) return;
    if (this.chunkMap !== map) {
      this.chunks.clear();
      this.chunkMap = map;
      this.fadeAt = now;
    }
    const focus = game.entities.get(this.follow ?? game.me?.id);
    if (focus) {
      const p = renderPos(focus, now);
      const t = this.tile;
      this.cam.x = Math.round((p.x + 0.5) * t);
      this.cam.y = Math.round((p.y + 0.5) * t);
    }
    ctx.imageSmoothingEnabled = false;
    ctx.save();
    ctx.translate(Math.round(this.viewW / 2 - this.cam.x), Math.round(this.viewH / 2 - this.cam.y));
    // The map's own layers and objects are in its own tiles: draw them from its origin.
    ctx.save();
    ctx.translate(map.origin.x * this.tile, map.origin.y * this.tile);
    this.drawMap(map);
    this.drawWarps(map, now);
    this.drawLevers(map, game);
    if (this.overlays) this.drawOverlays(map, game);
    ctx.restore();
    this.drawMarkers(now);
    const sorted = [...game.entities.values()].sort((a, b) => order(a) - order(b) || a.y - b.y);
    const positions = new Map(sorted.map((e) => [e.id, renderPos(e, now)]));
    forgetGone(game.entities);
    for (const e of sorted) this.drawEntity(e, positions.get(e.id), now);
    for (const e of sorted) this.drawLabel(e, positions.get(e.id), now);
    this.drawFloaters(now);
    ctx.restore();
    const fade = this.shade(now);
    if (fade > 0) {
      ctx.fillStyle = `rgba(16,20,28,${fade.toFixed(3)})`;
      ctx.fillRect(0, 0, this.viewW, this.viewH);
    }
  }

  /** Darkens the world until `fadeIn` (a handoff to another server has begun). */
  fadeOut(now) {
    if (this.fadeOutAt === null) this.fadeOutAt = now;
  }

  /** Ends a fade-out: the world fades in from black. Nothing to do without one. */
  fadeIn(now) {
    if (this.fadeOutAt === null) return;
    this.fadeOutAt = null;
    this.fadeAt = now;
  }

  /** How dark the veil over the world is: 0 none, 1 black. */
  shade(now) {
    if (this.fadeOutAt !== null) return Math.min(1, (now - this.fadeOutAt) / FADE_OUT_MS);
    return Math.max(0, 1 - (now - this.fadeAt) / FADE_MS);
  }

  countFrame(now) {
    this.frames += 1;
    if (now - this.fpsAt >= 1000) {
      this.fps = Math.round((this.frames * 1000) / (now - this.fpsAt || 1));
      this.frames = 0;
      this.fpsAt = now;
    }
  }

  drawMap(map) {
    const size = CHUNK * map.tileW;
    const scaled = size * this.zoom;
    const left = this.cam.x - this.viewW / 2 - map.origin.x * this.tile;
    const top = this.cam.y - this.viewH / 2 - map.origin.y * this.tile;
    const cx0 = Math.max(0, Math.floor(left / scaled));
    const cy0 = Math.max(0, Math.floor(top / scaled));
    const cx1 = Math.min(Math.ceil(map.width / CHUNK) - 1, Math.floor((left + this.viewW) / scaled));
    const cy1 = Math.min(Math.ceil(map.height / CHUNK) - 1, Math.floor((top + this.viewH) / scaled));
    for (let cy = cy0; cy <= cy1; cy++) {
      for (let cx = cx0; cx <= cx1; cx++) {
        this.ctx.drawImage(this.chunk(map, cx, cy), cx * scaled, cy * scaled, scaled, scaled);
      }
    }
  }

  /** A 16 x 16-tile piece of the map drawn once into its own canvas. */
  chunk(map, cx, cy) {
    const key = `${cx},${cy}`;
    let c = this.chunks.get(key);
    if (c) return c;
    c = document.createElement("canvas");
    c.width = c.height = CHUNK * map.tileW;
    const g = c.getContext("2d");
    // Only the map's own tiles: past its right or bottom edge the chunk stays see-through.
    g.fillStyle = "#1b2a1b";
    g.fillRect(0, 0, Math.min(CHUNK, map.width - cx * CHUNK) * map.tileW, Math.min(CHUNK, map.height - cy * CHUNK) * map.tileH);
    for (const layer of map.layers) {
      g.globalAlpha = layer.opacity;
      for (let ty = 0; ty < CHUNK; ty++) {
        const y = cy * CHUNK + ty;
        if (y >= map.height) break;
        for (let tx = 0; tx < CHUNK; tx++) {
          const x = cx * CHUNK + tx;
          if (x >= map.width) break;
          const gid = layer.data[y * map.width + x];
          if (gid) map.drawTile(g, gid, tx * map.tileW, ty * map.tileH);
        }
      }
    }
    g.globalAlpha = 1;
    if (map.layers.length === 0) this.plainChunk(map, g, cx, cy);
    this.chunks.set(key, c);
    return c;
  }

  /** A map without artwork layers: grass and walls from the collision layer. */
  plainChunk(map, g, cx, cy) {
    for (let ty = 0; ty < CHUNK; ty++) {
      for (let tx = 0; tx < CHUNK; tx++) {
        const x = cx * CHUNK + tx;
        const y = cy * CHUNK + ty;
        if (!map.inBounds(x, y)) continue;
        g.fillStyle = map.walkable(x, y) ? ((x + y) % 2 ? "#5d9e3c" : "#58963a") : "#55555c";
        g.fillRect(tx * map.tileW, ty * map.tileH, map.tileW, map.tileH);
      }
    }
  }

  /** Warps (stairs, portals) as a soft pulsing glow over their tiles; map-local. */
  drawWarps(map, now) {
    const { ctx } = this;
    const t = this.tile;
    const pulse = 0.5 + 0.5 * Math.sin(now / 400);
    for (const w of map.warps) {
      const x = Math.floor(w.x) * t;
      const y = Math.floor(w.y) * t;
      const ww = Math.max(1, Math.ceil(w.x + w.w) - Math.floor(w.x)) * t;
      const hh = Math.max(1, Math.ceil(w.y + w.h) - Math.floor(w.y)) * t;
      ctx.fillStyle = `rgba(170,130,255,${(0.18 + 0.12 * pulse).toFixed(3)})`;
      ctx.fillRect(x + 2, y + 2, ww - 4, hh - 4);
      ctx.strokeStyle = `rgba(210,190,255,${(0.5 + 0.4 * pulse).toFixed(3)})`;
      ctx.lineWidth = 2;
      ctx.strokeRect(x + 3, y + 3, ww - 6, hh - 6);
      // Three steps going down.
      ctx.fillStyle = "rgba(40,20,70,0.55)";
      for (let i = 0; i < 3; i++) ctx.fillRect(x + ww * (0.25 + i * 0.08), y + hh * (0.3 + i * 0.16), ww * (0.5 - i * 0.16), hh * 0.1);
    }
  }

  /** Levers, tilted the way of their door (open: right); map-local. */
  drawLevers(map, game) {
    if (!map.levers.length) return;
    const { ctx } = this;
    const t = this.tile;
    const s = t / 32;
    const doors = new Map();
    for (const e of game.entities.values()) if (e.kind === "door") doors.set(e.name, e);
    for (const l of map.levers) {
      const cx = (l.x + 0.5) * t;
      const cy = (l.y + 0.5) * t;
      const open = doors.get(l.door)?.open;
      ctx.fillStyle = "#4a4a52";
      ctx.strokeStyle = "#1e1e22";
      ctx.lineWidth = 1.5 * s;
      ctx.fillRect(cx - 8 * s, cy + 4 * s, 16 * s, 6 * s);
      ctx.strokeRect(cx - 8 * s, cy + 4 * s, 16 * s, 6 * s);
      const angle = open ? 0.6 : -0.6;
      const hx = cx + Math.sin(angle) * 13 * s;
      const hy = cy + 6 * s - Math.cos(angle) * 13 * s;
      ctx.strokeStyle = "#6b4a2a";
      ctx.lineWidth = 3 * s;
      ctx.beginPath();
      ctx.moveTo(cx, cy + 6 * s);
      ctx.lineTo(hx, hy);
      ctx.stroke();
      ctx.fillStyle = open ? "#7dd35a" : "#d9534f";
      ctx.beginPath();
      ctx.arc(hx, hy, 3.2 * s, 0, Math.PI * 2);
      ctx.fill();
    }
  }

  drawMarkers(now) {
    const { ctx } = this;
    const t = this.tile;
    if (this.hoverTile && this.game.map?.inBounds(this.hoverTile.x, this.hoverTile.y)) {
      ctx.strokeStyle = "rgba(255,255,255,0.35)";
      ctx.lineWidth = 1;
      ctx.strokeRect(this.hoverTile.x * t + 0.5, this.hoverTile.y * t + 0.5, t - 1, t - 1);
    }
    const m = this.clickMarker;
    if (m && now - m.t0 < 600) {
      const k = (now - m.t0) / 600;
      ctx.strokeStyle = `rgba(255,230,120,${1 - k})`;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc((m.x + 0.5) * t, (m.y + 0.5) * t, t * (0.2 + 0.3 * k), 0, Math.PI * 2);
      ctx.stroke();
    }
    const aim = this.aim();
    if (aim && this.hoverTile) drawAim(ctx, this.hoverTile, aim.radius, t);
    const goal = this.game.goal;
    if (goal?.kind === "tile") {
      ctx.fillStyle = "rgba(255,230,120,0.25)";
      ctx.fillRect(goal.x * t + 4, goal.y * t + 4, t - 8, t - 8);
    }
  }

  drawEntity(e, p, now) {
    const { ctx, game } = this;
    const t = this.tile;
    const cx = (p.x + 0.5) * t;
    const cy = (p.y + 0.5) * t;
    const isSelf = e.id === game.me?.id;
    if (e.kind === "item") return drawItem(ctx, cx, cy, t);
    if (e.kind === "door") return drawDoor(ctx, e, t);
    if (e.kind === "node") return drawNode(ctx, e, cx, cy, t, now);
    if (e.kind === "station") return drawStation(ctx, e, cx, cy, t, now);
    const targeted = game.goal?.id === e.id || game.attacking === e.id || (game.target === e.id && !isSelf);
    const being = e.kind === "player" || e.kind === "mob" || e.kind === "npc";
    ctx.save();
    if (e.dead) ctx.globalAlpha = 0.45;
    // Shadow.
    ctx.fillStyle = "rgba(0,0,0,0.28)";
    ctx.beginPath();
    ctx.ellipse(cx, cy + t * 0.32, t * 0.3, t * 0.12, 0, 0, Math.PI * 2);
    ctx.fill();
    if (isSelf) {
      // (Sprites look alike: a gold ring under your own feet.)
      ctx.strokeStyle = "rgba(255,205,90,0.75)";
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.ellipse(cx, cy + t * 0.32, t * 0.34, t * 0.14, 0, 0, Math.PI * 2);
      ctx.stroke();
    }
    if (targeted) {
      ctx.strokeStyle = "#ff5252";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.ellipse(cx, cy + t * 0.32, t * 0.42, t * 0.18, 0, 0, Math.PI * 2);
      ctx.stroke();
    }
    const colours = KIND_COLOURS[isSelf ? "self" : e.kind] || KIND_COLOURS.npc;
    const flash = now < e.flashUntil;
    const lunge = now - e.swingAt < 150 ? Math.sin(((now - e.swingAt) / 150) * Math.PI) * t * 0.08 : 0;
    // Sprites once their sheets have loaded (they swing on their own); plain shapes until then.
    const sprite = being && drawSprite(ctx, e, cx, cy, t, now, game.entities);
    if (!sprite && e.kind === "mob") drawMob(ctx, cx, cy - lunge, t, colours, flash, e.name);
    else if (!sprite) drawPerson(ctx, cx, cy - lunge, t, colours, flash);
    ctx.restore();
  }

  drawLabel(e, p, now) {
    const { ctx, game } = this;
    const t = this.tile;
    const cx = (p.x + 0.5) * t;
    const top = p.y * t - 4;
    const isSelf = e.id === game.me?.id;
    if (e.kind === "door") return; // its name is an id for map makers, not for players
    ctx.font = "bold 11px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    // Ground items, nodes and stations are things, not beings: named under the cursor only.
    const thing = e.kind === "item" || e.kind === "node" || e.kind === "station";
    const thingName = e.name || String(e.station ?? e.node ?? "").replace(/_/g, " ");
    const label = thing ? `${thingName}${e.depleted ? " (depleted)" : ""}` : `${e.name}${e.level ? ` · ${e.level}` : ""}`;
    const colour = e.kind === "mob" ? "#ffb3a7" : e.kind === "item" ? "#ffe08a" : thing ? "#d7f0c8" : "#e3ecff";
    const labelY = thing ? top + t * 0.35 : top - 5;
    // Less clutter: your own name is in the HUD.
    const hovered = this.hoverTile && this.hoverTile.x === e.x && this.hoverTile.y === e.y;
    if (!isSelf && (!thing || hovered)) outlinedText(ctx, label, cx, labelY, colour);
    if (thing) return;
    if (e.cast && !isSelf) drawCastBar(ctx, e.cast, cx, top + 7, t, now);
    if (e.maxHp) {
      const w = Math.max(28, t * 0.9);
      const frac = Math.max(0, Math.min(1, (e.hp ?? e.maxHp) / e.maxHp));
      ctx.fillStyle = "rgba(0,0,0,0.65)";
      ctx.fillRect(cx - w / 2 - 1, top - 4, w + 2, 5);
      ctx.fillStyle = frac > 0.5 ? "#4caf50" : frac > 0.25 ? "#ffb300" : "#e53935";
      ctx.fillRect(cx - w / 2, top - 3, w * frac, 3);
    }
    const marker = game.questMarker(e);
    if (marker) {
      // A quest for us: a bobbing "!" (to start) or "?" (to talk to) over the name.
      ctx.font = "bold 20px system-ui, sans-serif";
      const bob = Math.sin(now / 300) * 2;
      outlinedText(ctx, marker, cx, labelY - 13 + bob, marker === "!" ? "#ffd54a" : "#cfd8dc");
    }
    if (e.bubble && now < e.bubble.until) this.drawBubble(e.bubble.text, cx, labelY - (marker ? 34 : 14));
  }

  drawBubble(text, cx, bottom) {
    const { ctx } = this;
    const shown = text.length > 60 ? `${text.slice(0, 57)}…` : text;
    ctx.font = "12px system-ui, sans-serif";
    const w = Math.min(260, ctx.measureText(shown).width + 12);
    ctx.fillStyle = "rgba(255,255,255,0.92)";
    roundRect(ctx, cx - w / 2, bottom - 20, w, 18, 5);
    ctx.fill();
    ctx.fillStyle = "#1d2230";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText(shown, cx, bottom - 11, w - 8);
  }

  drawFloaters(now) {
    const { ctx, game } = this;
    const t = this.tile;
    game.pruneFloaters(now);
    for (const f of game.floaters) {
      const k = (now - f.t0) / FLOATER_MS;
      const e = game.entities.get(f.id);
      const p = e ? renderPos(e, now) : { x: f.x, y: f.y };
      const x = (p.x + 0.5) * t;
      const y = p.y * t - 22 - f.dy - k * 28;
      ctx.globalAlpha = Math.max(0, 1 - k * k);
      ctx.font = `bold ${f.big ? 17 : 14}px system-ui, sans-serif`;
      ctx.textAlign = "center";
      ctx.textBaseline = "bottom";
      outlinedText(ctx, f.text, x, y, f.colour);
      ctx.globalAlpha = 1;
    }
  }

  drawOverlays(map, game) {
    const { ctx } = this;
    const t = this.tile;
    const o = this.overlays;
    if (o.regions) {
      const r = game.regionSize;
      ctx.strokeStyle = "rgba(120,200,255,0.45)";
      ctx.lineWidth = 1;
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      for (let x = 0; x <= map.width; x += r) {
        ctx.moveTo(x * t + 0.5, 0);
        ctx.lineTo(x * t + 0.5, map.height * t);
      }
      for (let y = 0; y <= map.height; y += r) {
        ctx.moveTo(0, y * t + 0.5);
        ctx.lineTo(map.width * t, y * t + 0.5);
      }
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.font = "10px ui-monospace, monospace";
      ctx.textAlign = "left";
      ctx.textBaseline = "top";
      ctx.fillStyle = "rgba(160,220,255,0.8)";
      // Maps lie on region boundaries: label each region by its global number.
      const ox = Math.floor(map.origin.x / r);
      const oy = Math.floor(map.origin.y / r);
      for (let y = 0; y < map.height; y += r) {
        for (let x = 0; x < map.width; x += r) ctx.fillText(`r${ox + x / r},${oy + y / r}`, x * t + 3, y * t + 3);
      }
    }
    if (o.zones) {
      for (const z of map.zones) {
        const safe = z.props.safe === true;
        ctx.strokeStyle = safe ? "rgba(120,255,140,0.9)" : "rgba(255,210,90,0.8)";
        ctx.fillStyle = safe ? "rgba(120,255,140,0.08)" : "rgba(255,210,90,0.05)";
        ctx.lineWidth = 2;
        ctx.fillRect(z.x * t, z.y * t, z.w * t, z.h * t);
        ctx.strokeRect(z.x * t + 1, z.y * t + 1, z.w * t - 2, z.h * t - 2);
        ctx.font = "bold 12px system-ui, sans-serif";
        ctx.textAlign = "left";
        ctx.textBaseline = "top";
        outlinedText(ctx, `${z.name}${safe ? " (safe)" : ""}`, z.x * t + 6, z.y * t + 16, ctx.strokeStyle);
      }
    }
    if (o.spawns) {
      ctx.setLineDash([4, 3]);
      for (const s of map.spawnAreas) {
        ctx.strokeStyle = "rgba(255,90,90,0.9)";
        ctx.fillStyle = "rgba(255,90,90,0.10)";
        ctx.lineWidth = 1.5;
        ctx.fillRect(s.x * t, s.y * t, s.w * t, s.h * t);
        ctx.strokeRect(s.x * t, s.y * t, s.w * t, s.h * t);
        ctx.font = "11px system-ui, sans-serif";
        ctx.textAlign = "left";
        ctx.textBaseline = "top";
        const what = s.props.mob ? `${s.props.mob} x${s.props.count ?? 1}` : s.name;
        outlinedText(ctx, what, s.x * t + 4, s.y * t + 4, "#ffb0b0");
      }
      ctx.setLineDash([]);
      for (const p of map.playerSpawns) {
        ctx.fillStyle = "rgba(120,200,255,0.9)";
        ctx.beginPath();
        ctx.arc(p.x * t, p.y * t, 5, 0, Math.PI * 2);
        ctx.fill();
      }
    }
  }
}

function order(e) {
  if (e.kind === "node" || e.kind === "station") return -0.5;
  return e.kind === "door" ? -1 : e.kind === "item" ? 0 : e.dead ? 1 : 2;
}

/** A door over its tiles: wooden planks when shut; when open, only its frame and the leaf. */
function drawDoor(ctx, e, t) {
  const x = e.x * t;
  const y = e.y * t;
  const w = e.width * t;
  const h = e.height * t;
  const s = t / 32;
  ctx.save();
  if (!e.open) {
    ctx.fillStyle = "#7a4a22";
    ctx.fillRect(x + 2 * s, y + 1 * s, w - 4 * s, h - 2 * s);
    ctx.strokeStyle = "#4a2a10";
    ctx.lineWidth = 1.5 * s;
    const vertical = h >= w;
    const planks = Math.max(2, Math.round((vertical ? w : h) / (8 * s)));
    ctx.beginPath();
    for (let i = 1; i < planks; i++) {
      if (vertical) {
        const px = x + 2 * s + ((w - 4 * s) * i) / planks;
        ctx.moveTo(px, y + 2 * s);
        ctx.lineTo(px, y + h - 2 * s);
      } else {
        const py = y + 1 * s + ((h - 2 * s) * i) / planks;
        ctx.moveTo(x + 3 * s, py);
        ctx.lineTo(x + w - 3 * s, py);
      }
    }
    ctx.stroke();
    // Iron bands and a ring.
    ctx.fillStyle = "#3a3a40";
    ctx.fillRect(x + 2 * s, y + h * 0.2, w - 4 * s, 3 * s);
    ctx.fillRect(x + 2 * s, y + h * 0.75, w - 4 * s, 3 * s);
    ctx.strokeStyle = "#c9a14a";
    ctx.lineWidth = 2 * s;
    ctx.beginPath();
    ctx.arc(x + w * 0.5, y + h * 0.5, 3.5 * s, 0, Math.PI * 2);
    ctx.stroke();
    ctx.strokeStyle = "#2a1808";
    ctx.lineWidth = 2 * s;
    ctx.strokeRect(x + 2 * s, y + 1 * s, w - 4 * s, h - 2 * s);
  } else {
    // The open leaf, swung against the left post, and a dark threshold.
    ctx.fillStyle = "rgba(20,12,6,0.35)";
    ctx.fillRect(x + 2 * s, y + 1 * s, w - 4 * s, h - 2 * s);
    ctx.fillStyle = "#7a4a22";
    ctx.strokeStyle = "#2a1808";
    ctx.lineWidth = 1.5 * s;
    ctx.fillRect(x + 1 * s, y + 1 * s, 5 * s, h - 2 * s);
    ctx.strokeRect(x + 1 * s, y + 1 * s, 5 * s, h - 2 * s);
  }
  ctx.restore();
}

function drawPerson(ctx, cx, cy, t, c, flash) {
  const s = t / 32;
  ctx.fillStyle = flash ? "#ffffff" : c.body;
  ctx.strokeStyle = c.dark;
  ctx.lineWidth = 2 * s;
  // Body.
  ctx.beginPath();
  roundRect(ctx, cx - 8 * s, cy - 3 * s, 16 * s, 15 * s, 5 * s);
  ctx.fill();
  ctx.stroke();
  // Head.
  ctx.fillStyle = flash ? "#ffffff" : "#f1c9a0";
  ctx.beginPath();
  ctx.arc(cx, cy - 8 * s, 6.5 * s, 0, Math.PI * 2);
  ctx.fill();
  ctx.stroke();
  // Eyes.
  ctx.fillStyle = "#222";
  ctx.fillRect(cx - 3 * s, cy - 9 * s, 2 * s, 2 * s);
  ctx.fillRect(cx + 1 * s, cy - 9 * s, 2 * s, 2 * s);
}

function drawMob(ctx, cx, cy, t, c, flash, name) {
  const s = t / 32;
  const big = /wolf|bear|boar|troll|ogre/i.test(name || "") ? 1.2 : 1;
  ctx.fillStyle = flash ? "#ffffff" : c.body;
  ctx.strokeStyle = c.dark;
  ctx.lineWidth = 2 * s;
  // Ears.
  ctx.beginPath();
  ctx.arc(cx - 6 * s * big, cy - 6 * s * big, 4 * s, 0, Math.PI * 2);
  ctx.arc(cx + 6 * s * big, cy - 6 * s * big, 4 * s, 0, Math.PI * 2);
  ctx.fill();
  // Body.
  ctx.beginPath();
  ctx.ellipse(cx, cy + 2 * s, 11 * s * big, 9 * s * big, 0, 0, Math.PI * 2);
  ctx.fill();
  ctx.stroke();
  // Eyes.
  ctx.fillStyle = "#ffe9a8";
  ctx.beginPath();
  ctx.arc(cx - 4 * s, cy, 2.2 * s, 0, Math.PI * 2);
  ctx.arc(cx + 4 * s, cy, 2.2 * s, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = "#1a1a1a";
  ctx.fillRect(cx - 4.5 * s, cy - 0.5 * s, 1.5 * s, 1.5 * s);
  ctx.fillRect(cx + 3.5 * s, cy - 0.5 * s, 1.5 * s, 1.5 * s);
}

function drawItem(ctx, cx, cy, t) {
  const s = t / 32;
  ctx.fillStyle = "#c9a14a";
  ctx.strokeStyle = "#5a4212";
  ctx.lineWidth = 1.5 * s;
  ctx.beginPath();
  ctx.moveTo(cx, cy - 7 * s);
  ctx.lineTo(cx + 7 * s, cy);
  ctx.lineTo(cx, cy + 7 * s);
  ctx.lineTo(cx - 7 * s, cy);
  ctx.closePath();
  ctx.fill();
  ctx.stroke();
  ctx.fillStyle = "rgba(255,255,255,0.7)";
  ctx.fillRect(cx - 2 * s, cy - 3 * s, 2 * s, 2 * s);
}

function outlinedText(ctx, text, x, y, colour) {
  ctx.lineWidth = 3;
  ctx.strokeStyle = "rgba(0,0,0,0.8)";
  ctx.lineJoin = "round";
  ctx.strokeText(text, x, y);
  ctx.fillStyle = colour;
  ctx.fillText(text, x, y);
}

function roundRect(ctx, x, y, w, h, r) {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
}
