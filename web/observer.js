// The observer view for admin accounts: map overlays (region grid, zones, spawn areas),
// following any player in view with the camera, and live server stats — `/status.json` polled
// over HTTP plus what the client can count itself (tick rate, frames, entities).

import { el } from "./ui.js";

const $ = (id) => document.getElementById(id);
const POLL_MS = 2000;

export class Observer {
  constructor(game, renderer, conn) {
    this.game = game;
    this.renderer = renderer;
    this.conn = conn;
    this.allowed = false;
    this.active = false;
    this.health = { ok: null, ms: null, at: 0 };
    this.pollTimer = null;
    this.lastFrames = { n: 0, at: performance.now(), rate: 0 };
    for (const id of ["ov-regions", "ov-zones", "ov-spawns"]) {
      $(id).addEventListener("change", () => this.applyOverlays());
    }
  }

  /** Admins get the observer button; everyone else never sees it. */
  setRole(role) {
    this.allowed = role === "admin";
    $("observer-button").hidden = !this.allowed;
    if (!this.allowed && this.active) this.setActive(false);
  }

  /** Turns the observer view on or off (the panel's visibility follows it). */
  setActive(on) {
    this.active = on && this.allowed;
    this.applyOverlays();
    clearInterval(this.pollTimer);
    this.pollTimer = null;
    if (this.active) {
      this.poll();
      this.pollTimer = setInterval(() => this.poll(), POLL_MS);
    } else {
      this.renderer.follow = null;
    }
    this.refresh();
  }

  applyOverlays() {
    this.renderer.overlays = this.active
      ? { regions: $("ov-regions").checked, zones: $("ov-zones").checked, spawns: $("ov-spawns").checked }
      : null;
  }

  async poll() {
    const t0 = performance.now();
    try {
      const resp = await fetch("status.json", { cache: "no-store" });
      const status = resp.ok ? await resp.json() : null;
      this.health = { ok: !!status, ms: performance.now() - t0, at: Date.now(), status };
    } catch {
      this.health = { ok: false, ms: null, at: Date.now() };
    }
    this.refresh();
  }

  /** Re-renders the panel: stats and the list of players to follow. */
  refresh() {
    if (!this.active) return;
    const g = this.game;
    const now = performance.now();
    const dt = now - this.lastFrames.at;
    if (dt >= 1000) {
      this.lastFrames = { n: this.conn.framesIn, at: now, rate: ((this.conn.framesIn - this.lastFrames.n) * 1000) / dt };
    }
    const counts = { player: 0, mob: 0, npc: 0, item: 0 };
    for (const e of g.entities.values()) counts[e.kind] = (counts[e.kind] || 0) + 1;
    const me = g.self;
    const r = g.regionSize;
    const h = this.health;
    const rows = [
      ["server", h.ok === null ? "…" : h.ok ? `ok (${Math.round(h.ms)} ms)` : "unreachable"],
      ["online", h.status ? h.status.players : "…"],
      ["world mobs", h.status ? h.status.entities.mobs : "…"],
      ["tick", h.status ? `${(h.status.last_tick_us / 1000).toFixed(2)} ms (mean ${(h.status.mean_tick_us / 1000).toFixed(2)})` : "…"],
      ["overruns", h.status ? h.status.overruns : "…"],
      ["tick rate", `${g.tickRate} Hz`],
      ["frames in", `${this.lastFrames.rate.toFixed(1)} /s`],
      ["data in", `${(this.conn.bytesIn / 1024).toFixed(0)} KiB`],
      ["players in view", counts.player],
      ["mobs in view", counts.mob],
      ["npcs", counts.npc],
      ["items", counts.item],
      ["region", me ? `${Math.floor(me.x / r)}, ${Math.floor(me.y / r)} (size ${r})` : "–"],
      ["render", `${this.renderer.fps} fps`],
    ];
    $("obs-stats").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
    const players = [...g.entities.values()].filter((e) => e.kind === "player").sort((a, b) => a.name.localeCompare(b.name));
    const following = this.renderer.follow;
    $("obs-players").replaceChildren(
      ...players.map((p) =>
        el(
          "li",
          {},
          el("span", { class: "name" }, `${p.name}${p.id === g.me?.id ? " (you)" : ""}`),
          el("span", { class: "muted" }, `${p.x}, ${p.y}`),
          el(
            "button",
            {
              onclick: () => {
                this.renderer.follow = p.id === g.me?.id || following === p.id ? null : p.id;
                this.refresh();
              },
            },
            following === p.id ? "Unfollow" : "Follow",
          ),
        ),
      ),
    );
  }

  /** Per frame: stop following someone who left view. */
  tick() {
    const f = this.renderer.follow;
    if (f != null && !this.game.entities.has(f)) this.renderer.follow = null;
  }
}
