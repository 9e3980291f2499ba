// The entities the client knows, as plain records: made from a `spawn`, slid between tiles,
// drawn at a fractional position, and found under a click.

/** Chebyshev distance: diagonals count as one, like the server's attack range. */
export function chebyshev(a, b) {
  return Math.max(Math.abs(a.x - b.x), Math.abs(a.y - b.y));
}

/** Which entity a click means when several are under it: lowest first. */
const CLICK_RANK = { mob: 0, item: 1, npc: 2, node: 2.2, station: 2.3, door: 2.5, player: 3 };

/** A client-side entity from a `spawn` event. */
export function newEntity(ev) {
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
    template: ev.template, // mobs and NPCs: their id in mobs.toml (what their sprite is)
    cls: ev.class, // players: their class (body sprite)
    gear: ev.gear || {}, // players: what they visibly wear, slot -> item id (`appearance`)
    open: !!ev.open,
    width: Math.max(1, ev.width || 1),
    height: Math.max(1, ev.height || 1),
    dead: !!ev.dead,
    node: ev.node, // kind "node": its id in nodes.toml (copper_rock, oak_tree, ...)
    depleted: !!ev.depleted,
    station: ev.station, // kind "station": anvil, campfire, furnace, workbench
    cast: null, // { ability, name, t0, ms } while it casts (cast_start .. cast_end)
    effects: new Map(),
    bubble: null,
    flashUntil: 0,
    swingAt: 0,
    swingTarget: null, // whom it last swung at (`hit`, `miss`): it faces them
    diedAt: 0, // when its `death` came (it falls), 0 if it came into view dead
    respawnAt: 0, // when it rose again (`respawn`, or a spawn alive after dead)
  };
}

/** Starts a slide from where the entity is drawn now to its new tile. */
export function moveEntity(e, x, y, now, durMs) {
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

/**
 * The entity a click at map point (px, py) (in tiles, fractional) means. Each entity is hit
 * on the tile the server has it on and where it is drawn now (a mob mid-step is drawn
 * between two tiles, half a second for a slow walker). A living mob wins over an item, so a
 * mob standing or walking over loot is attacked, not looted; then items, NPCs, players,
 * the dead. Among equals the one drawn nearest the point.
 */
export function entityAt(entities, selfId, px, py, now) {
  const tx = Math.floor(px);
  const ty = Math.floor(py);
  let best = null;
  for (const e of entities.values()) {
    if (e.id === selfId) continue;
    const p = renderPos(e, now);
    let d = Math.max(Math.abs(px - p.x - 0.5), Math.abs(py - p.y - 0.5));
    if (e.kind === "door") {
      // A door is hit anywhere on its tiles.
      if (tx < e.x || ty < e.y || tx >= e.x + e.width || ty >= e.y + e.height) continue;
      d = 0.5;
    } else if (d > 0.5 && (e.x !== tx || e.y !== ty)) continue;
    const rank = e.dead ? 4 : (CLICK_RANK[e.kind] ?? 4);
    if (!best || rank < best.rank || (rank === best.rank && d < best.d)) best = { e, rank, d };
  }
  return best ? best.e : null;
}
