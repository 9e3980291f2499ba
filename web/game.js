// What the client knows of the world, kept up to date from server events, and what the
// player wants to do (walk a path, chase and attack a mob, pick something up).
//
// The server is authoritative. Our own steps are shown at once (predicted) and confirmed by
// the server's `move`; a `correction` puts us back where the server says we are.

/** Chebyshev distance: diagonals count as one, like the server's attack range. */
export function chebyshev(a, b) {
  return Math.max(Math.abs(a.x - b.x), Math.abs(a.y - b.y));
}

const DEFAULT_STEP_MS = 125; // the server's default 8 steps per second
const MAX_PENDING_STEPS = 3; // predicted steps the server has not confirmed yet
const ATTACK_RANGE = 1;
const FLOATER_MS = 1200;
const CONFIRM_TIMEOUT_MS = 1500; // a step neither confirmed nor refused by then was dropped
/** Which entity a click means when several are under it: lowest first. */
const CLICK_RANK = { mob: 0, item: 1, npc: 2, player: 3 };

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
    this.stepMs = DEFAULT_STEP_MS;
    this.nextStepAt = 0;
    this.lastStepAt = 0;
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
        this.entities.set(ev.id, newEntity({ id: ev.id, kind: "player", name: ev.name, x: ev.x, y: ev.y }));
        h.changed("welcome");
        break;
      }
      case "spawn": {
        const old = this.entities.get(ev.id);
        const e = newEntity(ev);
        if (old) e.effects = old.effects;
        this.entities.set(ev.id, e);
        if (ev.id === this.me?.id && ev.hp !== undefined) this.stats.hp = ev.hp;
        h.changed("entities");
        break;
      }
      case "despawn":
        this.entities.delete(ev.id);
        if (this.attacking === ev.id) this.attacking = null;
        if (this.goal?.id === ev.id) this.clearGoal();
        h.changed("entities");
        break;
      case "move":
        this.onMove(ev, now);
        break;
      case "correction":
        this.pending = 0;
        this.path = [];
        this.placeSelf(ev.x, ev.y, now);
        break;
      case "chat": {
        h.log("chat", `${ev.name}: ${ev.text}`, "chat");
        const e = this.entities.get(ev.id);
        if (e) e.bubble = { text: ev.text, until: now + 5000 };
        break;
      }
      case "stat_update":
        this.onStats(ev);
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
      case "equipment":
        this.equipment = ev.slots || {};
        h.changed("equipment");
        break;
      case "hit":
        this.onHit(ev, now);
        break;
      case "miss": {
        const t = this.entities.get(ev.target);
        if (t) this.floatAt(t, "miss", "#cfd8dc", now);
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

  onMove(ev, now) {
    const e = this.entities.get(ev.id);
    if (!e) return;
    if (ev.id === this.me?.id) {
      this.pending = Math.max(0, this.pending - 1);
      this.lastStepAt = now;
      this.stepMs = Math.max(DEFAULT_STEP_MS, this.stepMs * 0.98);
      // Only an unexpected tile (a flee, or the last of our steps landing elsewhere) moves us.
      if (this.pending === 0 && (e.x !== ev.x || e.y !== ev.y)) this.placeSelf(ev.x, ev.y, now);
      return;
    }
    // Slide over the time since its last step (its walking pace), so a steady walker moves
    // continuously; bounded so a first step or a long pause does not crawl.
    const since = e.lastMoveAt ? now - e.lastMoveAt : 250;
    e.lastMoveAt = now;
    moveEntity(e, ev.x, ev.y, now, Math.min(500, Math.max(DEFAULT_STEP_MS, since)));
  }

  onStats(ev) {
    const e = this.entities.get(ev.id);
    if (e) {
      if (ev.hp !== undefined) e.hp = ev.hp;
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
    if (a) a.swingAt = now;
  }

  onDeath(ev, now) {
    const e = this.entities.get(ev.id);
    const killer = this.entities.get(ev.killer);
    if (e) {
      e.dead = true;
      e.hp = 0;
    }
    if (this.attacking === ev.id) this.attacking = null;
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
    this.goal = { kind: "attack", id };
    this.path = [];
  }

  /** Walk to a ground item and pick it up. */
  pickup(id) {
    this.goal = { kind: "pickup", id };
    this.path = [];
  }

  /** One step in a direction (keyboard); cancels a click-to-move. */
  stepDir(dx, dy, now) {
    this.clearGoal();
    const me = this.self;
    if (me) this.tryStep(me.x + dx, me.y + dy, now);
  }

  /** Sends a step if the pace, the map and our unconfirmed steps allow it. */
  tryStep(x, y, now) {
    const me = this.self;
    if (!me || me.dead || !this.map || now < this.nextStepAt) return false;
    if (this.pending >= MAX_PENDING_STEPS) return false;
    if (!this.map.walkable(x, y)) return false;
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
    if (!me || !g || me.dead || !this.map) return;
    if (g.kind === "tile") {
      if (me.x === g.x && me.y === g.y) return this.clearGoal();
      this.follow(now, (x, y) => x === g.x && y === g.y);
      return;
    }
    const target = this.entities.get(g.id);
    if (!target || target.dead) return this.clearGoal();
    const range = g.kind === "attack" ? ATTACK_RANGE : 1;
    if (chebyshev(me, target) <= range && this.pending === 0) {
      if (g.kind === "pickup") {
        this.hooks.send({ type: "pickup", item: g.id });
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
    if (!next || Math.abs(next.x - me.x) + Math.abs(next.y - me.y) !== 1) {
      const path = this.map.findPath(me.x, me.y, isGoal);
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

  /**
   * The entity a click at map point (px, py) (in tiles, fractional) means. Each entity is hit
   * on the tile the server has it on and where it is drawn now (a mob mid-step is drawn
   * between two tiles, half a second for a slow walker). A living mob wins over an item, so a
   * mob standing or walking over loot is attacked, not looted; then items, NPCs, players,
   * the dead. Among equals the one drawn nearest the point.
   */
  entityAt(px, py, now) {
    const tx = Math.floor(px);
    const ty = Math.floor(py);
    let best = null;
    for (const e of this.entities.values()) {
      if (e.id === this.me?.id) continue;
      const p = renderPos(e, now);
      const d = Math.max(Math.abs(px - p.x - 0.5), Math.abs(py - p.y - 0.5));
      if (d > 0.5 && (e.x !== tx || e.y !== ty)) continue;
      const rank = e.dead ? 4 : (CLICK_RANK[e.kind] ?? 4);
      if (!best || rank < best.rank || (rank === best.rank && d < best.d)) best = { e, rank, d };
    }
    return best ? best.e : null;
  }
}

function newEntity(ev) {
  return {
    id: ev.id,
    kind: ev.kind,
    name: ev.name,
    x: ev.x,
    y: ev.y,
    fx: ev.x,
    fy: ev.y,
    t0: 0,
    dur: 1,
    level: ev.level,
    hp: ev.hp,
    maxHp: ev.max_hp,
    item: ev.item,
    dead: !!ev.dead,
    effects: new Map(),
    bubble: null,
    flashUntil: 0,
    swingAt: 0,
  };
}

/** Starts a slide from where the entity is drawn now to its new tile. */
function moveEntity(e, x, y, now, durMs) {
  const p = renderPos(e, now);
  if (Math.abs(p.x - x) > 2 || Math.abs(p.y - y) > 2) {
    e.fx = x; // teleport (respawn, long correction): no slide across the map
    e.fy = y;
  } else {
    e.fx = p.x;
    e.fy = p.y;
  }
  e.x = x;
  e.y = y;
  e.t0 = now;
  e.dur = Math.max(1, durMs);
}

/** Where to draw an entity at time `now`, in (fractional) tiles. */
export function renderPos(e, now) {
  const t = Math.min(1, Math.max(0, (now - e.t0) / e.dur));
  return { x: e.fx + (e.x - e.fx) * t, y: e.fy + (e.y - e.fy) * t };
}
