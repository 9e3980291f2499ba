// Item tooltips: hovering (or a long press on touch) any element with `data-template` (an item
// template id: inventory, equipment, shop, bank and trade rows, hotbar item slots) shows the
// item's name, kind and slot, its stats (flat and percent), what using it does, its
// description and stack size; for a piece of equipment, how it compares with what is worn in
// that slot, stat by stat (+ green, - red). Reads the catalog (catalog.js) and the Game's
// equipment.

import { el } from "./ui.js";
import { itemInfo } from "./catalog.js";
import { iconElement } from "./icons.js";

const STAT_NAMES = {
  str: "Strength",
  dex: "Dexterity",
  int: "Intellect",
  vit: "Vitality",
  attack: "Attack",
  defense: "Defense",
  max_hp: "Max hp",
  max_mp: "Max mp",
  crit_pct: "Critical %",
};
const LONG_PRESS_MS = 450;

export const statName = (s) => STAT_NAMES[s] || s;

/** Stat changes of wearing `next` instead of `worn` (either may be null): [{stat, pct, diff}]. */
export function compare(next, worn) {
  const out = [];
  for (const kind of ["modifiers", "percent"]) {
    const a = next?.[kind] || {};
    const b = worn?.[kind] || {};
    for (const stat of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const diff = (a[stat] || 0) - (b[stat] || 0);
      if (diff) out.push({ stat, pct: kind === "percent", diff });
    }
  }
  return out;
}

export class Tooltip {
  constructor(game) {
    this.game = game;
    this.box = el("div", { id: "item-tooltip", role: "tooltip", hidden: true });
    document.body.append(this.box);
    this.shown = null; // the template id shown, for tests
    this.anchor = null;
    this.pressTimer = 0;
    document.addEventListener("pointerover", (e) => {
      if (e.pointerType === "touch") return;
      const t = e.target.closest?.("[data-template]");
      if (t) this.show(t, e.clientX, e.clientY);
      else if (this.anchor) this.hide();
    });
    document.addEventListener("pointermove", (e) => {
      if (e.pointerType !== "touch") {
        if (this.anchor) this.place(e.clientX, e.clientY);
      } else if (this.press && Math.hypot(e.clientX - this.press.x, e.clientY - this.press.y) > 10) {
        clearTimeout(this.pressTimer); // a finger that moves scrolls or drags: no tooltip
      }
    });
    document.addEventListener("pointerdown", (e) => {
      clearTimeout(this.pressTimer);
      if (e.pointerType !== "touch") return this.hide();
      const t = e.target.closest?.("[data-template]");
      this.hide();
      this.press = { x: e.clientX, y: e.clientY };
      if (t) this.pressTimer = setTimeout(() => this.show(t, e.clientX, e.clientY), LONG_PRESS_MS);
    });
    for (const type of ["pointerup", "pointercancel"]) {
      document.addEventListener(type, () => clearTimeout(this.pressTimer));
    }
    document.addEventListener("dragstart", () => this.hide());
  }

  /** Shows the tooltip of the item element `target` near (x, y). */
  show(target, x, y) {
    const id = target.dataset.template;
    if (this.anchor === target && this.shown === id) return;
    const info = itemInfo(id);
    if (!info) return this.hide();
    this.anchor = target;
    this.shown = id;
    this.box.replaceChildren(...this.lines(id, info, target.dataset.worn === "1"));
    this.box.dataset.item = id;
    this.box.hidden = false;
    this.place(x, y);
  }

  hide() {
    this.anchor = null;
    this.shown = null;
    this.box.hidden = true;
  }

  /** Re-renders after the equipment or the catalog changed (a comparison may be stale). */
  refresh() {
    if (!this.anchor?.isConnected) return this.hide();
    const a = this.anchor;
    this.anchor = null;
    const r = a.getBoundingClientRect();
    this.show(a, r.right, r.top);
  }

  place(x, y) {
    const b = this.box;
    const w = b.offsetWidth;
    const h = b.offsetHeight;
    const left = x + 16 + w > innerWidth ? Math.max(4, x - w - 12) : x + 16;
    const top = Math.max(4, Math.min(innerHeight - h - 4, y + 12));
    b.style.left = `${left}px`;
    b.style.top = `${top}px`;
  }

  lines(id, info, isWorn) {
    const out = [
      el("div", { class: "tt-head" }, iconElement(id), el("span", { class: "tt-name" }, info.name || id)),
      el("div", { class: "tt-kind" }, [info.kind, info.slot && info.slot !== info.kind ? info.slot : null].filter(Boolean).join(" · ")),
    ];
    const stats = [
      ...Object.entries(info.modifiers || {}).map(([s, v]) => `${sign(v)} ${statName(s)}`),
      ...Object.entries(info.percent || {}).map(([s, v]) => `${sign(v)}% ${statName(s)}`),
    ];
    if (stats.length) out.push(el("ul", { class: "tt-stats" }, stats.map((s) => el("li", {}, s))));
    const does = [];
    if (info.heal) does.push(`Restores ${info.heal} hp`);
    if (info.mana) does.push(`Restores ${info.mana} mp`);
    if (info.effect) does.push(`Effect: ${info.effect.replace(/_/g, " ")}`);
    if (does.length) out.push(el("div", { class: "tt-use" }, `Use: ${does.join(", ")}.`));
    if (info.description) out.push(el("div", { class: "tt-desc" }, info.description));
    if (info.max_stack > 1) out.push(el("div", { class: "tt-stack" }, `Stacks to ${info.max_stack}.`));
    if (info.slot) out.push(this.comparison(id, info, isWorn));
    return out;
  }

  /** How `info` compares with what is worn in its slot. */
  comparison(id, info, isWorn) {
    const box = el("div", { class: "tt-compare", "data-slot": info.slot });
    if (isWorn) {
      box.append("Worn.");
      return box;
    }
    const worn = this.game.equipment?.[info.slot];
    const wornInfo = worn ? itemInfo(worn.item) : null;
    box.append(el("div", { class: "tt-vs" }, worn ? `Compared with ${worn.name || worn.item} (worn):` : `Nothing worn on ${info.slot}:`));
    const diffs = compare(info, wornInfo);
    if (!diffs.length) box.append(el("div", { class: "tt-same" }, "No change."));
    for (const d of diffs) {
      box.append(
        el("div", { class: d.diff > 0 ? "tt-up" : "tt-down", "data-stat": d.stat, "data-diff": d.diff }, `${sign(d.diff)}${d.pct ? "%" : ""} ${statName(d.stat)}`),
      );
    }
    return box;
  }
}

const sign = (v) => (v > 0 ? `+${v}` : `${v}`);
