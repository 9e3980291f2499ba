// What you can do with an item, from its template in the catalog: Equip only for what is worn
// (a slot), Use only for what `use` does something with (consumables, items a story trigger
// listens for) — with a question first when it would be wasted (a
// heal-only item at full hp, a mana-only one at full mp) — Offer while trading, Drop always.
// Builds the inventory and equipment rows (icon, name, count, the buttons that apply),
// draggable for dragdrop.js. Before the catalog has loaded every button shows, as before.

import { el } from "./ui.js";
import { itemInfo } from "./catalog.js";
import { iconElement } from "./icons.js";
import { prompt } from "./popups.js";

/** The actions that apply to item template `id`: {equip, use}. */
export function actionsFor(id) {
  const info = itemInfo(id);
  if (!info) return { equip: true, use: true };
  return { equip: !!info.slot, use: info.usable ?? info.kind === "consumable" };
}

/** Why using `id` now would be wasted ("You are at full health."), or null. */
export function wasted(id, stats) {
  const info = itemInfo(id);
  if (!info || info.kind !== "consumable" || info.effect) return null;
  const fullHp = stats.max_hp > 0 && stats.hp >= stats.max_hp;
  const fullMp = stats.max_mp > 0 && stats.mp >= stats.max_mp;
  if (info.heal > 0 && !info.mana && fullHp) return "You are at full health.";
  if (info.mana > 0 && !info.heal && fullMp) return "Your mana is full.";
  if (info.heal > 0 && info.mana > 0 && fullHp && fullMp) return "You are at full health and mana.";
  return null;
}

/** Uses the inventory stack `it` (`{id, item, name}`), asking first when it would be wasted. */
export function useItem(it, game, send) {
  const why = wasted(it.item, game.stats);
  if (!why) return send({ type: "use", item: it.id });
  prompt("use-item", `${why} Use ${it.name || it.item} anyway?`, [
    { id: "use", label: "Use anyway", primary: true, action: () => send({ type: "use", item: it.id }) },
    { id: "cancel", label: "Cancel", action: () => {} },
  ], { timeoutMs: 15_000 });
}

/** The name cell of an item row: icon, name, count. */
export function nameCell(it, attrs = {}) {
  return el(
    "span",
    { class: "name", ...attrs },
    iconElement(it.item),
    el("span", { class: "label" }, it.name || it.item),
    it.count > 1 ? el("span", { class: "count" }, ` ×${it.count}`) : null,
  );
}

/** An inventory row: icon, name, Offer (while trading), Use / Equip where they apply, Drop. */
export function inventoryRow(it, hud) {
  const can = actionsFor(it.item);
  const send = hud.send;
  return el(
    "li",
    { "data-item": it.id, "data-template": it.item, draggable: "true" },
    nameCell(it, { title: `${it.item} #${it.id}`, onclick: () => hud.offer?.(it) }),
    hud.offer ? el("button", { class: "offer", title: "Offer in the trade", onclick: () => hud.offer(it) }, "Offer") : null,
    can.use ? el("button", { class: "use", title: "Use", onclick: () => useItem(it, hud.game, send) }, "Use") : null,
    can.equip ? el("button", { class: "equip", title: "Equip", onclick: () => send({ type: "equip", item: it.id }) }, "Equip") : null,
    el("button", { class: "drop", title: "Drop", onclick: () => send({ type: "drop", item: it.id }) }, "Drop"),
  );
}

/** An equipment row: the slot, what is worn there (icon, name) and Remove. */
export function equipmentRow(slot, it, hud) {
  return el(
    "li",
    {
      "data-slot": slot,
      class: it ? "" : "empty",
      "data-template": it?.item,
      "data-item": it?.id,
      "data-worn": it ? "1" : null,
      draggable: it ? "true" : null,
    },
    el("span", { class: "slot" }, slot),
    it ? nameCell(it) : el("span", { class: "name" }, "—"),
    it ? el("button", { title: "Remove", onclick: () => hud.send({ type: "unequip", slot }) }, "Remove") : null,
  );
}
