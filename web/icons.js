// Item icons: one 32 x 32 cell per item template in `icons/items.png`, indexed by
// `icons/items.json` ({cell, columns, generic, icons: {id: index}}), both made by
// tools/gen_icons.py. `iconElement(id)` is a span showing that cell as a CSS sprite; an id
// the atlas lacks gets the generic icon (a sack with a "?").

let index = null;
let loading = null;
const waiting = new Set(); // elements made before the index loaded

/** Fetches the icon index once; elements made before it arrived are filled in then. */
export function loadIcons() {
  loading ??= fetch("icons/items.json")
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
    .then((doc) => {
      index = doc;
      for (const e of waiting) if (e.isConnected) paint(e, e.dataset.item);
      waiting.clear();
    })
    .catch((e) => console.warn("no item icons; items show with the generic icon", e));
  return loading;
}

/** A span showing the icon of item template `itemId` (`data-icon` is the cell's id or "generic"). */
export function iconElement(itemId) {
  const e = document.createElement("span");
  e.className = "item-icon";
  e.setAttribute("aria-hidden", "true");
  e.dataset.item = itemId ?? "";
  if (index) paint(e, itemId);
  else {
    e.dataset.icon = "generic";
    waiting.add(e);
    loadIcons();
  }
  return e;
}

function paint(e, itemId) {
  const known = Object.hasOwn(index.icons || {}, itemId);
  const n = known ? index.icons[itemId] : (index.generic ?? 0);
  const cell = index.cell || 32;
  const columns = index.columns || 8;
  e.dataset.icon = known ? itemId : "generic";
  e.style.backgroundPosition = `-${(n % columns) * cell}px -${Math.floor(n / columns) * cell}px`;
}
