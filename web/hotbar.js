// The hotbar: your class's active abilities from the `abilities` event (learned ones first, in
// the server's order, then the locked ones with the level that teaches them), keys 1-9 or a
// click to cast. Each slot shows a cooldown sweep (a conic shade shrinking over the `cooldown`
// ticks), greys out without the mana, and has the ability in its tooltip; passives sit beside
// it as chips. Targets: an enemy ability aims at the entity you attacked or clicked last, an
// ally ability at the player you picked (or yourself), a self ability at nothing, a ground
// ability waits for a click on a tile (a targeting cursor; Escape cancels). Also the cast bar
// for your own `cast_start`, small bars over other casters, "Interrupted" on a `cast_end` that
// was cut short. Item slots (dragdrop.js puts a consumable on a free slot): the item's icon
// and how many you carry; its key or a click uses one (through itemactions.js), a right click
// clears it; they are kept in localStorage per character and the abilities fill the other slots.

import { el } from "./ui.js";
import { chebyshev } from "./entities.js";
import { iconElement } from "./icons.js";
import { itemInfo } from "./catalog.js";

const $ = (id) => document.getElementById(id);
const SLOTS = 9;

/** Why a cast ended early, in words. */
const CAST_END = {
  moved: "Interrupted — you moved",
  stunned: "Interrupted — stunned",
  interrupted: "Interrupted",
  target_lost: "Interrupted — target lost",
  died: "Interrupted",
  out_of_range: "Interrupted — out of range",
  no_mana: "Interrupted — not enough mana",
};

export class Hotbar {
  /** `cast` is the cast bar (a Progress). */
  constructor(game, hud, send, toast, castBar) {
    this.game = game;
    this.hud = hud;
    this.send = send;
    this.toast = toast;
    this.castBar = castBar;
    this.abilities = []; // the `abilities` list
    this.slots = []; // the actives on the bar, in slot order
    this.ready = new Map(); // ability id -> { at, total } (ms) while cooling down
    this.aiming = null; // a ground ability waiting for a tile
    this.lastHit = null; // the last `hit` an ability of ours landed (for the curious, and the test)
    this.stateKey = "";
    this.items = {}; // hotbar slot number -> item template id
    this.useItem = null; // (inventory stack) => uses it (main.js: itemactions.useItem)
  }

  get msPerTick() {
    return 1000 / (this.game.tickRate || 20);
  }

  apply(ev) {
    const now = performance.now();
    switch (ev.type) {
      case "abilities":
        this.setAbilities(Array.isArray(ev.abilities) ? ev.abilities : [], now);
        break;
      case "cooldown":
        this.cooling(ev.ability, ev.ticks, now);
        break;
      case "cast_start":
        this.castStart(ev, now);
        break;
      case "cast_end":
        this.castEnd(ev, now);
        break;
      case "hit":
        if (ev.ability && ev.attacker === this.game.me?.id) this.lastHit = ev;
        break;
      case "inventory":
        if (Object.keys(this.items).length) this.render();
        break;
      case "welcome":
        this.items = this.loadItems();
        this.abilities = [];
        this.ready.clear();
        this.cancelAiming();
        this.castBar.clear();
        this.render();
        break;
      case "map":
        this.cancelAiming();
        this.castBar.clear();
        break;
      default:
        break;
    }
  }

  setAbilities(list, now) {
    const before = new Set(this.abilities.filter((a) => a.learned).map((a) => a.id));
    const first = this.abilities.length === 0;
    this.abilities = list.filter((a) => a && a.id);
    for (const a of this.abilities) {
      if (a.ready_in > 0) this.cooling(a.id, a.ready_in, now, a.cooldown_ticks);
      if (!first && a.learned && !before.has(a.id)) {
        this.toast(`New ability: ${a.name || a.id}`, "quest-done");
        this.hud.log("system", `You learned ${a.name || a.id}.`, "good");
      }
    }
    this.render();
  }

  cooling(id, ticks, now, totalTicks = ticks) {
    if (!id) return;
    const ms = Math.max(0, ticks) * this.msPerTick;
    if (ms <= 0) return void this.ready.delete(id);
    this.ready.set(id, { at: now + ms, total: Math.max(ms, totalTicks * this.msPerTick) });
  }

  castStart(ev, now) {
    const ms = Math.max(1, ev.ticks) * this.msPerTick;
    const name = this.nameOf(ev.ability);
    if (ev.id === this.game.me?.id) {
      this.castBar.start(name, ms, now);
      this.game.holdUntil = now + ms + 500; // walking on would interrupt it
    }
    const e = this.game.entities.get(ev.id);
    if (e) e.cast = { ability: ev.ability, name, t0: now, ms };
  }

  castEnd(ev, now) {
    const e = this.game.entities.get(ev.id);
    if (e) e.cast = null;
    const mine = ev.id === this.game.me?.id;
    if (mine) this.game.holdUntil = 0;
    if (ev.done) {
      if (mine) this.castBar.done(now);
      return;
    }
    if (mine) {
      const why = CAST_END[ev.reason] || "Interrupted";
      this.castBar.failed(why, now);
      this.hud.log("system", `${this.nameOf(ev.ability)}: ${why.toLowerCase()}.`, "error");
    } else if (e) {
      this.game.floatAt(e, "Interrupted", "#cfd8dc", now);
    }
  }

  nameOf(id) {
    return this.abilities.find((a) => a.id === id)?.name || humanize(id);
  }

  /** Key 1-9: the ability or item in that slot. Returns true when the key was used. */
  key(digit) {
    const a = this.slots[digit - 1];
    if (!a) return false;
    if (a.item) this.useSlotItem(a.item);
    else this.use(a);
    return true;
  }

  /** localStorage key of this character's item slots. */
  get storeKey() {
    return `emberkeep.hotbar.items.${this.game.me?.name || ""}`;
  }

  loadItems() {
    try {
      const saved = JSON.parse(localStorage.getItem(this.storeKey) || "{}");
      const out = {};
      for (const [n, item] of Object.entries(saved || {})) {
        if (Number(n) >= 1 && Number(n) <= SLOTS && typeof item === "string") out[n] = item;
      }
      return out;
    } catch {
      return {};
    }
  }

  saveItems() {
    try {
      localStorage.setItem(this.storeKey, JSON.stringify(this.items));
    } catch (e) {
      console.warn("cannot keep the hotbar's items", e);
    }
  }

  /** True when slot `n` (1-9) may take an item: it is free or holds an item already. */
  canHoldItem(n) {
    return Number.isInteger(n) && n >= 1 && n <= SLOTS && !(this.slots[n - 1] && !this.slots[n - 1].item);
  }

  /** Puts item template `item` on slot `n` (off any other slot); null clears the slot. */
  setItem(n, item) {
    for (const [k, v] of Object.entries(this.items)) if (v === item || Number(k) === n) delete this.items[k];
    if (item) this.items[n] = item;
    this.saveItems();
    this.render();
  }

  /** How many of item template `item` we carry. */
  carried(item) {
    return this.game.inventory.items.filter((it) => it.item === item).reduce((n, it) => n + (it.count || 1), 0);
  }

  /** Uses one of item template `item` from the inventory (the smallest stack first). */
  useSlotItem(item) {
    const stacks = this.game.inventory.items.filter((it) => it.item === item).sort((a, b) => a.count - b.count);
    const name = itemInfo(item)?.name || humanize(item);
    if (!stacks.length) return this.hud.log("system", `You have no ${name} left.`, "error");
    if (this.useItem) this.useItem(stacks[0]);
    else this.send({ type: "use", item: stacks[0].id });
  }

  /** Casts an ability on the right target (or starts aiming a ground one). */
  use(a) {
    const g = this.game;
    const me = g.self;
    if (!me || me.dead) return;
    if (!a.learned) return this.hud.log("system", `${a.name} is learned at level ${a.level}.`, "error");
    this.cancelAiming();
    switch (a.target) {
      case "self":
        return this.cast(a, {});
      case "ground":
        this.aiming = a;
        document.body.classList.add("aiming");
        this.hud.log("system", `${a.name}: click a tile (Escape cancels).`, "info");
        return;
      case "ally": {
        const t = g.entities.get(g.target);
        const ally = t && t.kind === "player" && !t.dead ? t : me;
        return this.castAt(a, ally);
      }
      default: {
        const t = g.entities.get(g.target ?? g.attacking);
        if (!t || t.dead || t.id === me.id) return this.hud.log("system", `${a.name}: pick a target first (click it).`, "error");
        return this.castAt(a, t);
      }
    }
  }

  /** Casts at an entity: in range at once, else walk into range first. */
  castAt(a, t) {
    const g = this.game;
    if (t.id === g.me?.id) return this.cast(a, { target: t.id });
    const range = Math.max(1, a.range || 1);
    if (chebyshev(g.self, t) <= range) return this.cast(a, { target: t.id });
    const wasAttacking = g.goal?.kind === "attack" && g.goal.id === t.id;
    g.approach(
      t.id,
      () => {
        this.cast(a, { target: t.id });
        if (wasAttacking) g.attack(t.id);
      },
      range,
    );
  }

  cast(a, where) {
    this.send({ type: "cast", ability: a.id, ...where });
  }

  /** A click on the map while aiming a ground ability: cast there. True when it was used. */
  click(tile) {
    if (!this.aiming) return false;
    const a = this.aiming;
    this.cancelAiming();
    this.cast(a, { x: tile.x, y: tile.y });
    return true;
  }

  cancelAiming() {
    if (!this.aiming) return false;
    this.aiming = null;
    document.body.classList.remove("aiming");
    return true;
  }

  /** The ground ability being aimed (the renderer marks its area under the cursor). */
  get aim() {
    return this.aiming && { radius: this.aiming.radius || 0 };
  }

  /** Rebuilds the slots and the passive chips. */
  render() {
    const actives = this.abilities.filter((a) => a.kind !== "passive");
    const ordered = [...actives.filter((a) => a.learned), ...actives.filter((a) => !a.learned)];
    // Items stay on their slots; the abilities fill the others in order.
    this.slots = Array.from({ length: SLOTS }, (_, i) => (this.items[i + 1] ? { item: this.items[i + 1] } : null));
    let k = 0;
    for (const a of ordered) {
      while (k < SLOTS && this.slots[k]) k++;
      if (k >= SLOTS) break;
      this.slots[k++] = a;
    }
    const bar = $("hotbar");
    bar.hidden = this.abilities.length === 0 && Object.keys(this.items).length === 0;
    $("hotbar-slots").replaceChildren(
      ...this.slots.map((a, i) =>
        !a ? el("span", { class: "drop-slot", "data-slot": i + 1, title: "Drag a potion or food here" }, el("kbd", {}, String(i + 1)))
        : a.item ? this.itemSlot(a.item, i + 1)
        : el(
          "button",
          {
            class: `slot target-${a.target || "enemy"}${a.learned ? "" : " locked"}`,
            "data-slot": i + 1,
            "data-ability": a.id,
            title: tooltip(a),
            onclick: () => this.use(a),
          },
          el("span", { class: "icon" }, initials(a.name || a.id)),
          el("span", { class: "sweep" }),
          el("span", { class: "cd" }),
          a.learned ? null : el("span", { class: "lock" }, `Lv ${a.level}`),
          el("kbd", {}, String(i + 1)),
        ),
      ),
    );
    while (this.slots.length && !this.slots[this.slots.length - 1]) this.slots.pop();
    const passives = this.abilities.filter((a) => a.kind === "passive");
    $("passives").replaceChildren(
      ...passives.map((a) =>
        el("span", { class: `passive${a.learned ? "" : " locked"}`, "data-ability": a.id, title: tooltip(a) }, initials(a.name || a.id)),
      ),
    );
    this.stateKey = "";
  }

  /** An item slot: icon, how many we carry, its key. */
  itemSlot(item, n) {
    const count = this.carried(item);
    return el(
      "button",
      {
        class: `slot item-slot${count ? "" : " none-left"}`,
        "data-slot": n,
        "data-template": item,
        "data-count": count,
        onclick: () => this.useSlotItem(item),
        oncontextmenu: (e) => {
          e.preventDefault();
          this.setItem(n, null);
        },
      },
      iconElement(item),
      el("span", { class: "item-count" }, String(count)),
      el("kbd", {}, String(n)),
    );
  }

  /** Per frame: cooldown sweeps, mana, the cast bars. */
  tick(now) {
    this.castBar.tick(now);
    const mp = this.game.stats.mp;
    const dead = !!this.game.self?.dead;
    for (const b of $("hotbar-slots").children) {
      const a = this.slots[Number(b.dataset.slot) - 1];
      if (!a || a.item) continue;
      const cd = this.ready.get(a.id);
      const left = cd ? cd.at - now : 0;
      if (cd && left <= 0) this.ready.delete(a.id);
      const cooling = left > 0;
      const sweep = cooling ? `${((left / cd.total) * 360).toFixed(1)}deg` : "0deg";
      if (b.style.getPropertyValue("--cd") !== sweep) b.style.setProperty("--cd", sweep);
      if (cooling) b.dataset.cooldown = "1";
      else delete b.dataset.cooldown;
      const cdText = cooling ? (left >= 1000 ? `${Math.ceil(left / 1000)}` : (left / 1000).toFixed(1)) : "";
      const cdBox = b.querySelector(".cd");
      if (cdBox.textContent !== cdText) cdBox.textContent = cdText;
      b.classList.toggle("no-mana", a.learned && Number.isFinite(mp) && mp < (a.mana || 0));
      b.classList.toggle("dead", dead);
    }
    // The other casters' bars are drawn by the renderer; forget casts that ran far over.
    for (const e of this.game.entities.values()) if (e.cast && now - e.cast.t0 > e.cast.ms + 3000) e.cast = null;
  }
}

function tooltip(a) {
  const lines = [`${a.name || a.id}${a.kind === "passive" ? " (passive)" : ""}`];
  if (a.description) lines.push(a.description);
  if (a.kind !== "passive") {
    const parts = [];
    if (a.mana) parts.push(`${a.mana} mana`);
    if (a.cooldown_ticks) parts.push(`${seconds(a.cooldown_ticks)} cooldown`);
    parts.push(a.cast_ticks ? `${seconds(a.cast_ticks)} cast` : "instant");
    if (a.range) parts.push(`range ${a.range}`);
    if (a.radius) parts.push(`radius ${a.radius}`);
    parts.push(`target: ${a.target}`);
    lines.push(parts.join(" · "));
  }
  if (!a.learned) lines.push(`Learned at level ${a.level}.`);
  return lines.join("\n");
}

const seconds = (ticks) => `${+(ticks / 20).toFixed(1)} s`;

/** "Power Strike" -> "PS"; "firebolt" -> "Fi". */
function initials(name) {
  const words = String(name).split(/[\s_-]+/).filter(Boolean);
  if (words.length > 1) return words.slice(0, 2).map((w) => w[0].toUpperCase()).join("");
  const w = words[0] || "?";
  return w[0].toUpperCase() + (w[1] || "");
}

/** "raw_fish" -> "Raw fish". */
export function humanize(id) {
  const s = String(id ?? "").replace(/_/g, " ");
  return s ? s[0].toUpperCase() + s.slice(1) : "";
}
