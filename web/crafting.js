// Stations and the crafting window. A click on a station (anvil, campfire, furnace,
// workbench) walks next to it and sends `interact` on its tile; the server's `station` event
// opens the window: each recipe with what it takes and makes (and how many of the inputs you
// carry), the skill level it needs, a count field and Craft (greyed out when the server says
// it cannot be crafted now). `craft_start` .. `craft_end` fill the work bar ("Cooking Cooked
// Fish · 2 more"); when the run ends the window asks the station again, so it shows what can
// be crafted now. Walking away, the station leaving view, a map change or Escape close it.

import { el } from "./ui.js";
import { chebyshev } from "./entities.js";
import { humanize } from "./hotbar.js";

const $ = (id) => document.getElementById(id);
const STATION_RANGE = 2; // the window closes beyond this (the server wants 1 to craft)
const MAX_COUNT = 100;

const CRAFT_END = {
  moved: "Stopped — you moved",
  interrupted: "Stopped",
  missing_items: "Missing items",
  inventory_full: "Your bag is full",
  died: "Stopped",
};

export class Crafting {
  /** `work` is the work bar (a Progress) crafting shares with gathering. */
  constructor(game, hud, send, work) {
    this.game = game;
    this.hud = hud;
    this.send = send;
    this.work = work;
    this.station = null; // the last `station` event
    this.crafting = null; // { recipe, left } while a run goes on
    hud.register("crafting", this);
  }

  /** A click on a station: walk next to it, then `interact` on its tile. */
  use(st) {
    this.game.approach(st.id, () => this.send({ type: "interact", x: st.x, y: st.y }));
  }

  get busy() {
    return this.crafting != null;
  }

  apply(ev) {
    const now = performance.now();
    switch (ev.type) {
      case "station":
        this.station = ev;
        this.hud.toggle("crafting", true);
        this.render();
        break;
      case "craft_start": {
        this.crafting = { recipe: ev.recipe, left: ev.left };
        const more = ev.left > 1 ? ` · ${ev.left - 1} more` : "";
        this.work.start(`${verb(this.station?.station)} ${this.recipeName(ev.recipe)}${more}`, Math.max(1, ev.ticks) * (1000 / (this.game.tickRate || 20)), now);
        break;
      }
      case "craft_end":
        if (ev.done) this.work.done(now);
        else this.work.failed(CRAFT_END[ev.reason] || "Stopped", now);
        if (!ev.done || !(ev.left > 0)) {
          this.crafting = null;
          this.refresh();
        }
        break;
      case "inventory":
        this.render();
        break;
      case "welcome":
      case "map":
        this.crafting = null;
        this.close();
        break;
      default:
        break;
    }
  }

  /** Asks the station again (what can be crafted now). */
  refresh() {
    const st = this.station && this.game.entities.get(this.station.id);
    if (st && this.hud.open.has("crafting")) this.send({ type: "interact", x: st.x, y: st.y });
  }

  /** Per frame: walking away from the station (or losing sight of it) closes the window. */
  tick() {
    if (!this.hud.open.has("crafting") || !this.station) return;
    const me = this.game.self;
    const st = this.game.entities.get(this.station.id);
    if (!me || !st || chebyshev(me, st) > STATION_RANGE) this.close();
  }

  close() {
    this.hud.toggle("crafting", false);
    this.station = null;
  }

  recipeName(id) {
    return this.station?.recipes?.find((r) => r.id === id)?.name || humanize(id);
  }

  craft(recipe, count) {
    const n = Math.max(1, Math.min(MAX_COUNT, Math.floor(Number(count) || 1)));
    this.send({ type: "craft", recipe, count: n });
  }

  render() {
    const s = this.station;
    if (!s || !this.hud.open.has("crafting")) return;
    $("crafting-name").textContent = humanize(s.station || "Station");
    const recipes = Array.isArray(s.recipes) ? s.recipes : [];
    if (!recipes.length) return $("crafting-list").replaceChildren(el("li", { class: "empty" }, "Nothing to make here."));
    // Keep what was typed in the count fields across a redraw.
    const typed = new Map([...document.querySelectorAll("#crafting-list input[name=count]")].map((i) => [i.dataset.recipe, i.value]));
    $("crafting-list").replaceChildren(
      ...recipes.map((r) => {
        const count = el("input", { name: "count", type: "number", min: "1", max: String(MAX_COUNT), step: "1", value: typed.get(r.id) || "1", "data-recipe": r.id, title: "How many" });
        return el(
          "li",
          { "data-recipe": r.id, class: r.can_craft ? "can" : "cannot" },
          el("div", { class: "head" }, el("span", { class: "name" }, r.name || humanize(r.id)), el("span", { class: "muted" }, `${humanize(r.skill)} ${r.level ?? 1}`)),
          el("div", { class: "io" }, ...(r.inputs || []).map((i) => this.part(i, true)), el("span", { class: "arrow" }, "→"), ...(r.outputs || []).map((o) => this.part(o, false))),
          el(
            "form",
            {
              class: "inline",
              onsubmit: (e) => {
                e.preventDefault();
                this.craft(r.id, count.value);
              },
            },
            count,
            el("button", { class: "craft primary", disabled: !r.can_craft, title: r.can_craft ? "Craft" : "You cannot craft this now" }, "Craft"),
          ),
        );
      }),
    );
  }

  /** "1× Raw Fish (3)": an input with how many we carry, or an output. */
  part(p, input) {
    const have = this.game.inventory.items.filter((i) => i.item === p.item).reduce((n, i) => n + (i.count || 1), 0);
    const name = this.game.inventory.items.find((i) => i.item === p.item)?.name || humanize(p.item);
    const short = input && have < p.count;
    return el("span", { class: `part${input ? " in" : " out"}${short ? " short" : ""}`, "data-item": p.item }, `${p.count}× ${name}`, input ? el("span", { class: "have" }, ` (${have})`) : null);
  }
}

/** What the work bar says while crafting at a station. */
function verb(station) {
  return { campfire: "Cooking", anvil: "Smithing", furnace: "Smelting", workbench: "Making" }[station] || "Crafting";
}
