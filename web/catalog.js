// The item catalog: every item template the server has loaded (`GET /content/items.json`:
// name, kind, slot, modifiers, percent, heal, mana, effect, description, max_stack), for
// icons, tooltips and which actions apply. Fetched once per session (revalidated with the
// server's ETag); `itemInfo` is null until it has loaded, and for unknown ids.

let items = null;
let loading = null;

/** Fetches the catalog (again when `fresh`, e.g. after a reconnect); resolves when it is in. */
export function loadCatalog(fresh = false) {
  if (loading && !fresh) return loading;
  loading = fetch("content/items.json", { cache: "no-cache" })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
    .then((doc) => {
      items = doc && typeof doc.items === "object" ? doc.items : {};
      return items;
    })
    .catch((e) => {
      console.warn("no item catalog; items show without stats", e);
      loading = null;
      return items;
    });
  return loading;
}

/** The template `id` ({name, kind, slot, modifiers, percent, heal, mana, effect, ...}) or null. */
export function itemInfo(id) {
  return (items && Object.hasOwn(items, id) && items[id]) || null;
}

/** True once the catalog has loaded. */
export const catalogReady = () => items !== null;
