// Canvas drawing: the map around the camera (pre-rendered in chunks), entities with name
// labels and hp bars, chat bubbles, floating damage numbers, and the observer's overlays.
// Nothing here changes game state.

import { renderPos } from "./game.js";

const CHUNK = 16; // tiles per side of a cached map chunk
const FLOATER_MS = 1200;

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
    this.hoverTile = null;
    this.clickMarker = null;
    this.overlays = null; // set by the observer view: { regions, zones, spawns }
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
    this.drawMap(map);
    if (this.overlays) this.drawOverlays(map, game);
    this.drawMarkers(now);
    const sorted = [...game.entities.values()].sort((a, b) => order(a) - order(b) || a.y - b.y);
    const positions = new Map(sorted.map((e) => [e.id, renderPos(e, now)]));
    for (const e of sorted) this.drawEntity(e, positions.get(e.id), now);
    for (const e of sorted) this.drawLabel(e, positions.get(e.id), now);
    this.drawFloaters(now);
    ctx.restore();
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
    const left = this.cam.x - this.viewW / 2;
    const top = this.cam.y - this.viewH / 2;
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
    g.fillStyle = "#1b2a1b";
    g.fillRect(0, 0, c.width, c.height);
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
    const targeted = game.goal?.id === e.id || game.attacking === e.id;
    ctx.save();
    if (e.dead) ctx.globalAlpha = 0.45;
    // Shadow.
    ctx.fillStyle = "rgba(0,0,0,0.28)";
    ctx.beginPath();
    ctx.ellipse(cx, cy + t * 0.32, t * 0.3, t * 0.12, 0, 0, Math.PI * 2);
    ctx.fill();
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
    if (e.kind === "mob") drawMob(ctx, cx, cy - lunge, t, colours, flash, e.name);
    else drawPerson(ctx, cx, cy - lunge, t, colours, flash);
    ctx.restore();
  }

  drawLabel(e, p, now) {
    const { ctx, game } = this;
    const t = this.tile;
    const cx = (p.x + 0.5) * t;
    const top = p.y * t - 4;
    const isSelf = e.id === game.me?.id;
    ctx.font = "bold 11px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    const label = e.kind === "item" ? e.name : `${e.name}${e.level ? ` · ${e.level}` : ""}`;
    const colour = e.kind === "mob" ? "#ffb3a7" : e.kind === "item" ? "#ffe08a" : "#e3ecff";
    const labelY = e.kind === "item" ? top + t * 0.35 : top - 5;
    // Less clutter: your own name is in the HUD, ground items are named under the cursor.
    const hovered = this.hoverTile && this.hoverTile.x === e.x && this.hoverTile.y === e.y;
    if (!isSelf && (e.kind !== "item" || hovered)) outlinedText(ctx, label, cx, labelY, colour);
    if (e.kind !== "item" && e.maxHp) {
      const w = Math.max(28, t * 0.9);
      const frac = Math.max(0, Math.min(1, (e.hp ?? e.maxHp) / e.maxHp));
      ctx.fillStyle = "rgba(0,0,0,0.65)";
      ctx.fillRect(cx - w / 2 - 1, top - 4, w + 2, 5);
      ctx.fillStyle = frac > 0.5 ? "#4caf50" : frac > 0.25 ? "#ffb300" : "#e53935";
      ctx.fillRect(cx - w / 2, top - 3, w * frac, 3);
    }
    if (e.bubble && now < e.bubble.until) this.drawBubble(e.bubble.text, cx, labelY - 14);
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
      for (let y = 0; y < map.height; y += r) {
        for (let x = 0; x < map.width; x += r) ctx.fillText(`r${x / r},${y / r}`, x * t + 3, y * t + 3);
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
  return e.kind === "item" ? 0 : e.dead ? 1 : 2;
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
