// What the client knows of the world, kept up to date from server events, and what the
// player wants to do (walk a path, chase and attack a mob, pick something up, talk to an NPC,
// work a door or a lever). Also the story state the server tells us: the zone we stand in,
// the open dialogue, the quest log.
//
// The server is authoritative. Our own steps are shown at once (predicted) and confirmed by
// the server's `move`; a `correction` puts us back where the server says we are.

import { chebyshev, entityAt, moveEntity, newEntity } from "./entities.js";

export { chebyshev, renderPos } from "./entities.js";

const now = () => performance.now();

const DEFAULT_STEP_MS = 125; // the server's default 8 steps per second
const MAX_PENDING_STEPS = 3; // predicted steps the server has not confirmed yet
const ATTACK_RANGE = 1;
const FLOATER_MS = 1200;
const CONFIRM_TIMEOUT_MS = 1500; // a step neither confirmed nor refused by then was dropped
const BUMP_MS = 600; // walking into a shut door asks to open it at most this often

export class Game {
  /** `hooks.log(channel, text, cls)`, `hooks.changed(what)`, `hooks.send(msg)`. */
  constructor(hooks) {
    this.hooks = hooks;
    this.map = null;
    this.reset();
  }

  /** Forgets the world (before a new welcome). */
  reset() {
    this.me = null;
    this.entities = new Map();
    this.stats = {};
    this.inventory = { slots: 0, items: [] };
    this.equipment = {};
    this.tickRate = 20;
    this.regionSize = 16;
    this.mapInfo = null;
    this.floaters = [];
    this.pending = 0;
    this.seq = 0;
    this.path = [];
    this.goal = null;
    this.attacking = null; // id the server is swinging at for us
    this.target = null; // the entity attacked or clicked last (what abilities aim at)
    this.holdUntil = 0; // while our own cast runs, goals do not step (a step would break it)
    this.stepMs = DEFAULT_STEP_MS;
    this.nextStepAt = 0;
    this.lastStepAt = 0;
    this.bumpAt = 0;
    this.shutTiles = new Set(); // "x,y" of every tile of a shut door in view
    this.zone = null; // the `zone` event we stand in (null outside every zone)
    this.zoneKnown = false; // the server sends `zone` events (else the HUD asks the map)
    this.dialogue = null; // { npc, name, text, choices: [{ index, text }] }
    this.quests = new Map(); // quest id -> the latest quest_update / quests entry
    // NPC templates with a quest for us to start ("!") or a talk step under way ("?").
    this.offers = { start: new Set(), talk: new Set() };
    // When we last sent these (to read an unknown_type), and which NPC we asked for its shop.
    this.askedAt = { quests: 0, talk: 0, shop: 0, shopFor: null };
    this.gold = null; // the purse, from `purse`
  }

  get self() {
    return this.me ? this.entities.get(this.me.id) : null;
  }

  // ------------------------------------------------------------------ server events

  /** Applies one server event. */
  apply(ev, now) {
    const h = this.hooks;
    switch (ev.type) {
      case "welcome": {
        this.reset();
        this.me = { id: ev.id, name: ev.name };
        this.tickRate = ev.tick_rate || 20;
        this.regionSize = ev.region_size || 16;
        this.mapInfo = ev.map;
        this.entities.set(ev.id, newEntity({ id: ev.id, kind: "player", name: ev.name, x: ev.x, y: ev.y, class: ev.class }));
        h.changed("welcome");
        break;
      }
      case "spawn": {
        const old = this.entities.get(ev.id);
        const e = newEntity(ev);
        if (old) e.effects = old.effects;
        if (old?.dead && !e.dead) e.respawnAt = now;
        this.entities.set(ev.id, e);
        if (ev.id === this.me?.id && ev.hp !== undefined) this.stats.hp = ev.hp;
        if (e.kind === "door" || old?.kind === "door") this.doorsChanged();
        h.changed("entities");
        break;
      }
      case "despawn": {
        // After a `map` the old view's despawns may still come: their ids are unknown here.
        if (ev.id === this.me?.id || !this.entities.has(ev.id)) break;
        const wasDoor = this.entities.get(ev.id).kind === "door";
        this.entities.delete(ev.id);
        if (wasDoor) this.doorsChanged();
        if (this.dialogue?.npc === ev.id) this.closeDialogue();
        if (this.attacking === ev.id) this.attacking = null;
        if (this.target === ev.id) this.target = null;
        if (this.goal?.id === ev.id) this.clearGoal();
        h.changed("entities");
        break;
      }
      case "move":
        this.onMove(ev, now);
        break;
      case "positions":
        this.onPositions(ev, now);
        break;
      case "map":
        this.onMap(ev, now);
        break;
      case "zone":
        this.zoneKnown = true;
        this.zone = ev.name ? ev : null;
        h.changed("zone");
        break;
      case "door": {
        const d = this.entities.get(ev.id);
        if (d) {
          d.open = !!ev.open;
          this.doorsChanged();
          h.changed("door");
        }
        break;
      }
      case "node": {
        const n = this.entities.get(ev.id);
        if (n) n.depleted = !!ev.depleted;
        break;
      }
      case "heal":
        this.onHeal(ev, now);
        break;
      case "dialogue":
        this.dialogue = {
          npc: ev.npc,
          name: ev.name || this.entities.get(ev.npc)?.name || "",
          text: ev.text || "",
          choices: (Array.isArray(ev.choices) ? ev.choices : []).map((c, i) => ({
            index: Number.isInteger(c?.index) ? c.index : i,
            text: typeof c === "string" ? c : c?.text || "…",
          })),
        };
        h.changed("dialogue");
        break;
      case "dialogue_end":
        this.closeDialogue();
        break;
      case "quest_update":
        this.onQuest(ev);
        break;
      case "quests":
        this.quests = new Map((Array.isArray(ev.quests) ? ev.quests : []).filter((q) => q?.quest).map((q) => [q.quest, q]));
        h.changed("quests");
        break;
      case "quest_offers":
        this.offers = {
          start: new Set(Array.isArray(ev.start) ? ev.start : []),
          talk: new Set(Array.isArray(ev.talk) ? ev.talk : []),
        };
        h.changed("offers");
        break;
      case "achievement": {
        // The region sees it too: only our own is a toast; someone else's is a log line.
        const what = `${ev.name || ev.id}${ev.description ? ` — ${ev.description}` : ""}`;
        if (ev.player !== undefined && this.me && ev.player !== this.me.id) {
          h.log("system", `${ev.by || "Someone"} earned an achievement: ${what}`, "info");
          break;
        }
        h.toast(`Achievement: ${what}`, "achievement");
        h.log("system", `Achievement: ${what}`, "good");
        break;
      }
      case "correction":
        this.pending = 0;
        this.path = [];
        this.placeSelf(ev.x, ev.y, now);
        break;
      case "chat": {
        h.chat(ev);
        // Only local chat floats over the speaker's head.
        const e = ev.channel ? null : this.entities.get(ev.id);
        if (e) e.bubble = { text: ev.text, until: now + 5000 };
        break;
      }
      case "purse":
        this.gold = ev.gold;
        h.changed("purse");
        break;
      case "shop":
        this.askedAt.shopFor = ev.npc; // its talk may find nothing to say: that is fine
        break;
      case "stat_update":
        this.onStats(ev, now);
        break;
      case "effect_start": {
        const e = this.entities.get(ev.id);
        const ms = (ev.duration_ticks / this.tickRate) * 1000;
        if (e) e.effects.set(ev.effect, { name: ev.name, kind: ev.kind, stacks: ev.stacks, until: now + ms, total: ms });
        if (ev.id === this.me?.id) {
          h.log("system", `${ev.name}${ev.stacks > 1 ? ` x${ev.stacks}` : ""} (${ev.kind}) for ${(ms / 1000).toFixed(0)} s`, "effect");
          h.changed("effects");
        }
        break;
      }
      case "effect_tick": {
        const e = this.entities.get(ev.id);
        if (e) {
          e.hp = ev.hp;
          this.floatAt(e, `${ev.amount > 0 ? "+" : ""}${ev.amount}`, ev.amount > 0 ? "#7dff8a" : "#d58cff", now);
        }
        if (ev.id === this.me?.id) {
          this.stats.hp = ev.hp;
          h.changed("stats");
        }
        break;
      }
      case "effect_end": {
        this.entities.get(ev.id)?.effects.delete(ev.effect);
        if (ev.id === this.me?.id) h.changed("effects");
        break;
      }
      case "inventory":
        this.inventory = { slots: ev.slots, items: ev.items };
        h.changed("inventory");
        break;
      case "appearance": {
        const e = this.entities.get(ev.id);
        if (e) e.gear = ev.gear || {};
        break;
      }
      case "equipment":
        this.equipment = ev.slots || {};
        // (Our own gear as others see it, until the first `appearance`.)
        if (this.self) this.self.gear = visibleGear(this.equipment);
        h.changed("equipment");
        break;
      case "hit":
        this.onHit(ev, now);
        break;
      case "miss": {
        const t = this.entities.get(ev.target);
        if (t) this.floatAt(t, "miss", "#cfd8dc", now);
        const a = this.entities.get(ev.attacker);
        if (a) Object.assign(a, { swingAt: now, swingTarget: ev.target });
        break;
      }
      case "death":
        this.onDeath(ev, now);
        break;
      case "respawn": {
        const me = this.self;
        if (me) {
          me.dead = false;
          me.hp = ev.hp;
          me.respawnAt = now;
        }
        this.stats.hp = ev.hp;
        this.pending = 0;
        this.placeSelf(ev.x, ev.y, now);
        h.log("system", "You are back on your feet.", "good");
        h.changed("stats");
        h.changed("dead");
        break;
      }
      case "xp_gain":
        Object.assign(this.stats, { xp: ev.xp, xp_next: ev.xp_next, level: ev.level });
        if (this.self) this.floatAt(this.self, `+${ev.amount} xp`, "#ffd54f", now);
        h.changed("stats");
        break;
      case "level_up": {
        const e = this.entities.get(ev.id);
        if (e) {
          e.level = ev.level;
          this.floatAt(e, "LEVEL UP!", "#ffe082", now, true);
        }
        if (ev.id === this.me?.id) {
          this.stats.level = ev.level;
          h.log("system", `You reached level ${ev.level}!`, "good");
          h.changed("stats");
        } else if (e?.kind === "player") {
          h.log("system", `${e.name} reached level ${ev.level}.`, "info");
        }
        break;
      }
      case "info":
        h.log("system", ev.text, "info");
        break;
      case "error":
        this.onError(ev);
        break;
      default:
        break;
    }
  }

  // In a crowd (docs/protocol.md, "Crowds"): the nearest entities' steps each tick, and the
  // farther ones' tiles now and then. Triples of id (as the difference to the one before),
  // column and row relative to (x, y).
  onPositions(ev, now) {
    const at = Array.isArray(ev.at) ? ev.at : [];
    let id = 0;
    for (let i = 0; i + 2 < at.length; i += 3) {
      id += at[i];
      const e = this.entities.get(id);
      if (!e || id === this.me?.id) continue;
      this.slide(e, ev.x + at[i + 1], ev.y + at[i + 2], now);
    }
  }

  onMove(ev, now) {
    const e = this.entities.get(ev.id);
    if (!e) return;
    if (ev.id === this.me?.id) {
      if (!this.onThisMap(ev.x, ev.y)) return; // a late step from the map we just left
      this.pending = Math.max(0, this.pending - 1);
      this.lastStepAt = now;
      this.stepMs = Math.max(DEFAULT_STEP_MS, this.stepMs * 0.98);
      // Only an unexpected tile (a flee, or the last of our steps landing elsewhere) moves us.
      if (this.pending === 0 && (e.x !== ev.x || e.y !== ev.y)) this.placeSelf(ev.x, ev.y, now);
      return;
    }
    this.slide(e, ev.x, ev.y, now);
  }

  // Slide another entity to its new tile over the time since its last step (its walking
  // pace), so a steady walker moves continuously; a jump of several tiles (a far one in a
  // crowd) takes that time shared by the tiles. Never under one step's time nor over half a
  // second, so a first step or a long pause does not crawl.
  slide(e, x, y, now) {
    if (e.x === x && e.y === y) return;
    const since = e.lastMoveAt ? now - e.lastMoveAt : 250;
    const tiles = Math.max(Math.abs(e.x - x), Math.abs(e.y - y));
    e.lastMoveAt = now;
    moveEntity(e, x, y, now, Math.min(500, Math.max(DEFAULT_STEP_MS, since / tiles)));
  }

  /** We are on another map now: forget the old one's entities and stand where it says. */
  onMap(ev, now) {
    const me = this.self;
    this.entities = new Map(me ? [[me.id, me]] : []);
    this.mapInfo = ev.map || this.mapInfo;
    this.floaters = [];
    this.attacking = null;
    this.target = null;
    this.pending = 0;
    this.clearGoal();
    this.closeDialogue();
    if (me) {
      me.x = me.fx = ev.x;
      me.y = me.fy = ev.y;
      me.t0 = now;
      me.bubble = null;
    }
    this.doorsChanged();
    this.hooks.changed("map");
  }

  /** Whether a global tile lies on the map the server says we are on. */
  onThisMap(x, y) {
    const m = this.mapInfo;
    if (!m || !m.width || !m.height) return true;
    const o = m.origin || { x: 0, y: 0 };
    return x >= o.x && y >= o.y && x < o.x + m.width && y < o.y + m.height;
  }

  /** Rebuilds the set of tiles shut doors block. */
  doorsChanged() {
    this.shutTiles = new Set();
    for (const d of this.entities.values()) {
      if (d.kind !== "door" || d.open) continue;
      for (let y = d.y; y < d.y + d.height; y++) for (let x = d.x; x < d.x + d.width; x++) this.shutTiles.add(`${x},${y}`);
    }
  }

  /** The door entity covering a tile, if any. */
  doorAt(x, y) {
    for (const d of this.entities.values()) {
      if (d.kind === "door" && x >= d.x && y >= d.y && x < d.x + d.width && y < d.y + d.height) return d;
    }
    return null;
  }

  /** Whether a step onto a global tile is allowed as far as we know: the map, shut doors. */
  walkable(x, y) {
    return !!this.map && this.map.walkable(x, y) && !this.shutTiles.has(`${x},${y}`);
  }

  onQuest(ev) {
    if (!ev.quest) return;
    const old = this.quests.get(ev.quest);
    const q = { ...old, ...ev };
    delete q.type;
    this.quests.set(ev.quest, q);
    const name = q.name || q.quest;
    let text;
    if (q.state === "done") text = old?.state === "done" ? null : `Quest complete: ${name}`;
    else if (!old) text = `New quest: ${name}${q.text ? ` — ${q.text}` : ""}`;
    else text = `${name}: ${questProgress(q)}`;
    if (text) {
      this.hooks.toast(text, q.state === "done" ? "quest-done" : "quest");
      // The server says "started" and "finished" itself (an `info`, in the player's language):
      // the log only gets the progress lines it does not send.
      if (old && q.state !== "done") this.hooks.log("system", text, "info");
    }
    this.hooks.changed("quests");
  }

  /** The marker over an NPC: "!" (a quest to start), "?" (a quest step to talk) or null. */
  questMarker(e) {
    if (e?.kind !== "npc" || !e.template) return null;
    if (this.offers.start.has(e.template)) return "!";
    if (this.offers.talk.has(e.template)) return "?";
    return null;
  }

  /** Asks the server for the whole quest log (answered by `quests`). */
  requestQuests() {
    this.askedAt.quests = performance.now();
    this.hooks.send({ type: "quests" });
  }

  closeDialogue() {
    if (!this.dialogue) return;
    this.dialogue = null;
    this.hooks.changed("dialogue");
  }

  /** Picks a dialogue choice (by its `index`); the server answers with the next line. */
  choose(index) {
    if (!this.dialogue) return;
    this.hooks.send({ type: "choose", choice: index });
  }

  onStats(ev, now) {
    const e = this.entities.get(ev.id);
    if (e) {
      if (ev.hp !== undefined) e.hp = ev.hp;
      // A fallen player back on their feet in view (their own client has `respawn`).
      if (e.dead && ev.hp > 0 && ev.id !== this.me?.id) Object.assign(e, { dead: false, respawnAt: now });
      if (ev.max_hp !== undefined) e.maxHp = ev.max_hp;
      if (ev.level !== undefined) e.level = ev.level;
    }
    if (ev.id === this.me?.id) {
      const { id: _id, type: _type, ...rest } = ev;
      Object.assign(this.stats, rest);
      this.hooks.changed("stats");
    }
  }

  onHit(ev, now) {
    const t = this.entities.get(ev.target);
    if (t) {
      t.hp = ev.hp;
      const mine = ev.target === this.me?.id;
      const colour = mine ? "#ff6b6b" : ev.crit ? "#ffb74d" : "#ffffff";
      this.floatAt(t, `${ev.crit ? "CRIT " : ""}${ev.damage}`, colour, now, ev.crit);
      t.flashUntil = now + 150;
    }
    if (ev.target === this.me?.id) {
      this.stats.hp = ev.hp;
      this.hooks.changed("stats");
    }
    const a = this.entities.get(ev.attacker);
    if (a) Object.assign(a, { swingAt: now, swingTarget: ev.target });
  }

  /** A heal (an ability): the target's hp, a green number. */
  onHeal(ev, now) {
    const t = this.entities.get(ev.target);
    if (t) {
      if (ev.hp !== undefined) t.hp = ev.hp;
      this.floatAt(t, `+${ev.amount}`, "#7dff8a", now);
    }
    if (ev.target === this.me?.id && ev.hp !== undefined) {
      this.stats.hp = ev.hp;
      this.hooks.changed("stats");
    }
  }

  onDeath(ev, now) {
    const e = this.entities.get(ev.id);
    const killer = this.entities.get(ev.killer);
    if (e) {
      e.dead = true;
      e.hp = 0;
      e.diedAt = now;
    }
    if (this.attacking === ev.id) this.attacking = null;
    if (this.target === ev.id) this.target = null;
    if (this.goal?.id === ev.id) this.clearGoal();
    if (ev.id === this.me?.id) {
      this.clearGoal();
      this.stats.hp = 0;
      this.hooks.log("system", `You were slain${killer ? ` by ${killer.name}` : ""}.`, "bad");
      this.hooks.changed("dead");
      this.hooks.changed("stats");
    } else if (e && ev.killer === this.me?.id) {
      this.hooks.log("system", `You defeated ${e.name}.`, "good");
    }
    if (e) this.floatAt(e, "☠", "#eeeeee", now, true);
  }

  onError(ev) {
    const code = ev.code;
    if (code === "unknown_type") {
      // A server without quests or dialogue yet: the quest log stays empty, NPCs stay quiet.
      const now = performance.now();
      if (now - this.askedAt.quests < 3000) return void (this.askedAt.quests = 0);
      if (now - this.askedAt.talk < 3000) {
        this.askedAt.talk = 0;
        return this.hooks.log("system", "They have nothing to say.", "info");
      }
    }
    // A click on an NPC also asks for its shop: most keep none, and those may have no words.
    if (now() - this.askedAt.shop < 3000) {
      if (code === "no_shop") return;
      if (code === "unknown_target" && this.askedAt.shopFor != null) return void (this.askedAt.shopFor = null);
    }
    if (code === "move_too_fast") this.stepMs = Math.min(400, this.stepMs * 1.2);
    // Refused steps are routine (a correction follows); keep them out of the log.
    if (code === "move_blocked" || code === "move_not_adjacent" || code === "move_too_fast") return;
    if (code === "out_of_range" && this.goal?.kind === "attack") {
      this.attacking = null; // it stepped away: chase, then swing again
      return;
    }
    if (["not_attackable", "unknown_target", "you_are_dead"].includes(code)) {
      this.attacking = null;
      this.clearGoal();
    }
    this.hooks.log("system", ev.message || code, "error");
  }

  /** Puts our own character on a tile: a short slide for one step, a jump for more. */
  placeSelf(x, y, now) {
    const me = this.self;
    if (!me) return;
    if (Math.abs(me.x - x) + Math.abs(me.y - y) > 1) {
      me.x = me.fx = x;
      me.y = me.fy = y;
      me.t0 = now;
    } else moveEntity(me, x, y, now, this.stepMs);
  }

  floatAt(e, text, colour, now, big = false) {
    // Stagger numbers that land together so they stay readable.
    const same = this.floaters.filter((f) => f.id === e.id && now - f.t0 < 300).length;
    this.floaters.push({ id: e.id, x: e.x, y: e.y, text, colour, big, t0: now, dy: same * 14 });
  }

  /** Drops floating numbers that have faded. */
  pruneFloaters(now) {
    this.floaters = this.floaters.filter((f) => now - f.t0 < FLOATER_MS);
  }

  // ------------------------------------------------------------------ player intentions

  clearGoal() {
    this.goal = null;
    this.path = [];
  }

  /** Walk to a tile (click on the ground). */
  walkTo(x, y) {
    this.goal = { kind: "tile", x, y };
    this.path = [];
  }

  /** Walk next to an entity and attack it (click on a mob). */
  attack(id) {
    this.target = id;
    this.goal = { kind: "attack", id };
    this.path = [];
  }

  /** Walk to a ground item and pick it up. */
  pickup(id) {
    this.goal = { kind: "pickup", id };
    this.path = [];
  }

  /** Walk next to an NPC and talk to it. */
  talk(id) {
    this.goal = { kind: "talk", id };
    this.path = [];
  }

  /**
   * Walk within `range` tiles of an entity (next to it by default), then `then(entity)`: ask a
   * player to trade, cast an ability, gather from a node.
   */
  approach(id, then, range = 1) {
    this.goal = { kind: "near", id, then, range };
    this.path = [];
  }

  /**
   * Walk next to a door or lever tile and `interact` with it. For a door, `door` is its
   * entity: we stop outside its tiles, so it can shut behind us.
   */
  interact(x, y, door = null) {
    const rect = door && { x: door.x, y: door.y, w: door.width, h: door.height };
    this.goal = { kind: "interact", x, y, rect };
    this.path = [];
  }

  /** One step in a direction (keyboard); cancels a click-to-move. */
  stepDir(dx, dy, now) {
    this.clearGoal();
    const me = this.self;
    if (!me) return;
    const x = me.x + dx;
    const y = me.y + dy;
    // Walking into a shut door asks to open it, as the server does for a refused step.
    if (this.shutTiles.has(`${x},${y}`) && !me.dead) {
      if (now >= this.bumpAt && this.pending === 0) {
        this.bumpAt = now + BUMP_MS;
        this.hooks.send({ type: "interact", x, y });
      }
      return;
    }
    this.tryStep(x, y, now);
  }

  /** Sends a step if the pace, the map and our unconfirmed steps allow it. */
  tryStep(x, y, now) {
    const me = this.self;
    if (!me || me.dead || !this.map || now < this.nextStepAt) return false;
    if (this.pending >= MAX_PENDING_STEPS) return false;
    if (!this.walkable(x, y)) return false;
    this.seq = (this.seq + 1) >>> 0;
    if (!this.hooks.send({ type: "move", x, y, seq: this.seq })) return false;
    this.pending += 1;
    this.nextStepAt = now + this.stepMs;
    this.lastStepAt = now;
    moveEntity(me, x, y, now, this.stepMs);
    return true;
  }

  /** Advances the current goal by at most one step; called every animation frame. */
  update(now) {
    // A step can vanish without an answer (e.g. dropped by the server's rate limit): stop
    // waiting for it so walking does not stall.
    if (this.pending > 0 && now - this.lastStepAt > CONFIRM_TIMEOUT_MS) this.pending = 0;
    const me = this.self;
    const g = this.goal;
    if (!me || !g || me.dead || !this.map || now < this.holdUntil) return;
    if (g.kind === "tile") {
      if (me.x === g.x && me.y === g.y) return this.clearGoal();
      this.follow(now, (x, y) => x === g.x && y === g.y);
      return;
    }
    if (g.kind === "interact") {
      const outside = (x, y) => !g.rect || x < g.rect.x || y < g.rect.y || x >= g.rect.x + g.rect.w || y >= g.rect.y + g.rect.h;
      const there = (x, y) => chebyshev({ x, y }, g) <= 1 && outside(x, y);
      if (there(me.x, me.y)) {
        if (this.pending === 0) {
          this.hooks.send({ type: "interact", x: g.x, y: g.y });
          this.clearGoal();
        }
        return;
      }
      this.follow(now, there);
      return;
    }
    const target = this.entities.get(g.id);
    if (!target || target.dead) return this.clearGoal();
    const range = g.kind === "attack" ? ATTACK_RANGE : (g.range ?? 1);
    if (chebyshev(me, target) <= range && this.pending === 0) {
      if (g.kind === "near") {
        this.clearGoal();
        return g.then(target);
      }
      if (g.kind === "pickup" || g.kind === "talk") {
        if (g.kind === "talk") {
          // Its shop first: the shop's answer comes before the talk's "nothing to say".
          this.askedAt = { ...this.askedAt, talk: now, shop: now, shopFor: null };
          this.hooks.send({ type: "shop", npc: g.id });
        }
        this.hooks.send(g.kind === "pickup" ? { type: "pickup", item: g.id } : { type: "talk", npc: g.id });
        return this.clearGoal();
      }
      if (this.attacking !== g.id) {
        this.hooks.send({ type: "attack", target: g.id });
        this.attacking = g.id;
      }
      this.path = [];
      return;
    }
    if (chebyshev(me, target) > range) {
      if (this.attacking === g.id) this.attacking = null;
      const goalKey = `${target.x},${target.y}`;
      if (g.planned !== goalKey) {
        this.path = [];
        g.planned = goalKey;
      }
      this.follow(now, (x, y) => Math.max(Math.abs(x - target.x), Math.abs(y - target.y)) <= range && !(x === target.x && y === target.y));
    }
  }

  /** Takes the next step of the path, planning one (BFS) when there is none. */
  follow(now, isGoal) {
    const me = this.self;
    if (now < this.nextStepAt || this.pending >= MAX_PENDING_STEPS) return;
    let next = this.path[0];
    // Replan when off the path, or when a door shut across it.
    if (!next || Math.abs(next.x - me.x) + Math.abs(next.y - me.y) !== 1 || !this.walkable(next.x, next.y)) {
      const path = this.map.findPath(me.x, me.y, isGoal, undefined, (x, y) => this.walkable(x, y));
      if (!path) {
        this.hooks.log("system", "You cannot find a way there.", "error");
        return this.clearGoal();
      }
      this.path = path;
      next = path[0];
      if (!next) return;
    }
    if (this.tryStep(next.x, next.y, now)) this.path.shift();
  }

  /** The entity a click at map point (px, py) (in tiles, fractional) means: see entities.js. */
  entityAt(px, py, now) {
    return entityAt(this.entities, this.me?.id, px, py, now);
  }
}

/** A quest's progress in words: "Kill rats 2/5 (step 1/3)". */
export function questProgress(q) {
  if (q.state === "done") return "done";
  const parts = [];
  if (q.text) parts.push(q.text);
  if (Number.isFinite(q.needed) && q.needed > 0) parts.push(`${q.count ?? 0}/${q.needed}`);
  if (Number.isFinite(q.steps) && q.steps > 1 && Number.isFinite(q.step)) parts.push(`(step ${q.step}/${q.steps})`);
  return parts.join(" ") || "in progress";
}

/** The drawn part of an `equipment` event's slots: slot -> item template id. */
function visibleGear(slots) {
  const gear = {};
  for (const slot of ["weapon", "head", "chest", "shield"]) if (slots[slot]?.item) gear[slot] = slots[slot].item;
  return gear;
}
