// The observer view for admin accounts: map overlays (region grid, zones, spawn areas),
// following any online player (one out of view is reached by teleporting the admin next to
// them through the admin API), and live server stats — `/status.json` and `/admin/players`
// polled over HTTP plus what the client can count itself (tick rate, frames, entities).

import { el } from "./ui.js";
import { loadToken } from "./net.js";

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
    // Everyone online, from the admin API (positions included), beyond what is in view.
    this.online = [];
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
    this.online = (await this.admin("GET", "admin/players"))?.players ?? this.online;
    this.refresh();
  }

  /** Calls the admin API with this admin's session token; null on any failure. */
  async admin(method, path, body) {
    const token = loadToken();
    if (!token) return null;
    try {
      const resp = await fetch(path, {
        method,
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: body ? JSON.stringify(body) : undefined,
        cache: "no-store",
      });
      return resp.ok ? await resp.json() : null;
    } catch {
      return null;
    }
  }

  /** Follows a player anywhere: out of view, the admin is first moved next to them. */
  async goTo(p) {
    const me = this.game.self;
    if (me && p.name !== me.name && !this.game.entities.has(p.id)) {
      await this.admin("POST", "admin/teleport", { name: me.name, x: p.x, y: p.y });
      this.arriving = { id: p.id, until: performance.now() + 3000 };
    }
    this.renderer.follow = p.id === this.game.me?.id ? null : p.id;
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
    // Everyone online (admin API), with those in view merged in for live positions.
    const inView = new Map([...g.entities.values()].filter((e) => e.kind === "player").map((e) => [e.id, e]));
    const players = this.online
      .map((p) => inView.get(p.id) ?? { id: p.id, name: p.name, x: p.x, y: p.y, far: true })
      .concat([...inView.values()].filter((e) => !this.online.some((p) => p.id === e.id)))
      .sort((a, b) => a.name.localeCompare(b.name));
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
                if (following === p.id || p.id === g.me?.id) {
                  this.renderer.follow = null;
                  this.refresh();
                } else {
                  this.goTo(p);
                }
              },
            },
            following === p.id ? "Unfollow" : p.far ? "Go to" : "Follow",
          ),
        ),
      ),
    );
  }

  /** Per frame: stop following someone who left view. */
  tick() {
    const f = this.renderer.follow;
    const arriving = this.arriving && this.arriving.id === f && performance.now() < this.arriving.until;
    if (f != null && !arriving && !this.game.entities.has(f)) this.renderer.follow = null;
  }
}
