// Drag and drop of items: an inventory row onto the equipment panel equips it (`equip`; onto
// a slot row only when the item is worn there), an equipment row onto the inventory panel
// takes it off (`unequip`), an inventory consumable onto a free or item slot of the hotbar
// puts it there (hotbar.js). A drop where none of that applies does nothing. HTML5 drag
// events for the mouse; on touch, dragging an item's icon does the same with pointer events.

import { itemInfo } from "./catalog.js";
import { iconElement } from "./icons.js";

const TOUCH_SLOP = 10; // px a finger moves before a press becomes a drag

export class DragDrop {
  constructor(game, hotbar, send) {
    this.game = game;
    this.hotbar = hotbar;
    this.send = send;
    this.drag = null; // {from: "inventory"|"equipment", id, item, slot}
    this.lastDrop = null; // what the last drop did (for tests): {to, ...} or null
    document.addEventListener("dragstart", (e) => this.start(e));
    document.addEventListener("dragover", (e) => this.over(e));
    document.addEventListener("dragleave", (e) => e.target.classList?.remove("drop-ok"));
    document.addEventListener("drop", (e) => this.dropped(e));
    document.addEventListener("dragend", () => this.end());
    this.bindTouch();
  }

  /** What is dragged from the element `row`, or null. */
  source(row) {
    const li = row?.closest?.("#inv-list li[data-template], #eq-list li[data-template]");
    if (!li) return null;
    const from = li.closest("#inv-list") ? "inventory" : "equipment";
    return { from, id: Number(li.dataset.item), item: li.dataset.template, slot: li.dataset.slot };
  }

  start(e) {
    const src = this.source(e.target);
    if (!src) return;
    this.drag = src;
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", src.item);
  }

  over(e) {
    if (!this.drag) return;
    const t = this.target(e.target);
    if (!t) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "move";
    t.el.classList.add("drop-ok");
  }

  dropped(e) {
    if (!this.drag) return;
    e.preventDefault();
    this.apply(this.target(e.target));
    this.end();
  }

  end() {
    this.drag = null;
    for (const x of document.querySelectorAll(".drop-ok")) x.classList.remove("drop-ok");
    this.ghost?.remove();
    this.ghost = null;
  }

  /** Where the dragged item would go if dropped on `node`: {to, el, ...} or null. */
  target(node) {
    const d = this.drag;
    if (!d || !node?.closest) return null;
    const info = itemInfo(d.item);
    if (d.from === "inventory") {
      const slotRow = node.closest("#eq-list li[data-slot]");
      const panel = node.closest("#panel-equipment");
      if (panel && info?.slot && (!slotRow || slotRow.dataset.slot === info.slot)) {
        return { to: "equip", el: slotRow || panel };
      }
      const cell = node.closest("#hotbar-slots [data-slot]");
      const n = cell && Number(cell.dataset.slot);
      if (cell && info?.kind === "consumable" && this.hotbar.canHoldItem(n)) return { to: "hotbar", el: cell, n };
      return null;
    }
    const panel = node.closest("#panel-inventory");
    return panel && d.slot ? { to: "unequip", el: panel } : null;
  }

  apply(t) {
    const d = this.drag;
    if (!t || !d) return;
    if (t.to === "equip") this.send({ type: "equip", item: d.id });
    else if (t.to === "unequip") this.send({ type: "unequip", slot: d.slot });
    else if (t.to === "hotbar") this.hotbar.setItem(t.n, d.item);
    this.lastDrop = { to: t.to, item: d.item, slot: t.n ?? d.slot ?? null };
  }

  /** Touch: press an item's icon and drag it; a ghost icon follows the finger. */
  bindTouch() {
    let press = null;
    document.addEventListener("pointerdown", (e) => {
      if (e.pointerType !== "touch" || !e.target.closest?.(".item-icon")) return;
      const src = this.source(e.target);
      if (src) press = { src, x: e.clientX, y: e.clientY };
    });
    document.addEventListener("pointermove", (e) => {
      if (!press || e.pointerType !== "touch") return;
      if (!this.drag && Math.hypot(e.clientX - press.x, e.clientY - press.y) > TOUCH_SLOP) {
        this.drag = press.src;
        this.ghost = iconElement(press.src.item);
        this.ghost.classList.add("drag-ghost");
        document.body.append(this.ghost);
      }
      if (this.ghost) {
        this.ghost.style.left = `${e.clientX - 16}px`;
        this.ghost.style.top = `${e.clientY - 16}px`;
      }
    });
    const finish = (e, drop) => {
      if (drop && this.drag && e.pointerType === "touch") this.apply(this.target(document.elementFromPoint(e.clientX, e.clientY)));
      press = null;
      if (this.ghost) this.end();
    };
    document.addEventListener("pointerup", (e) => finish(e, true));
    document.addEventListener("pointercancel", (e) => finish(e, false));
  }
}
