// The quest marker: an arrow toward the nearest NPC that has a quest for you now (its
// template in `quest_offers.start`). Where the NPC is in view its entity says where it stands;
// out of view the map's spawn areas for that template do (the client loads the same `.tmj`
// as the server). On screen the arrow bobs over the NPC; off screen it sits at the screen's
// edge, pointing at it. It hides when you stand next to the NPC or nothing is on offer.
// Also the places the minimap marks: quest givers, talk targets and kill targets.

import { chebyshev, renderPos } from "./game.js";

const EDGE = 28; // px kept between an edge arrow and the screen's border

/** The centre (global tiles) of a spawn area of the current map. */
function areaCentre(map, a) {
  return { x: Math.floor(map.origin.x + a.x + a.w / 2), y: Math.floor(map.origin.y + a.y + a.h / 2) };
}

/**
 * Every place worth a quest marker: `{kind: "start"|"talk"|"kill", template, x, y, id?, name}`.
 * NPCs in view by their entity; NPCs out of view by their spawn area; kill targets where the
 * map's spawn areas keep a mob an active quest's step names ("Kill five field rats" → `rat`).
 */
export function questPlaces(game) {
  const map = game.map;
  if (!map) return [];
  const out = [];
  const seen = new Set();
  for (const e of game.entities.values()) {
    const kind = game.offers.start.has(e.template) ? "start" : game.offers.talk.has(e.template) ? "talk" : null;
    if (e.kind !== "npc" || !kind) continue;
    seen.add(e.template);
    out.push({ kind, template: e.template, id: e.id, name: e.name, x: e.x, y: e.y });
  }
  for (const a of map.spawnAreas) {
    const mob = a.props.mob;
    if (!mob || seen.has(mob)) continue;
    const kind = game.offers.start.has(mob) ? "start" : game.offers.talk.has(mob) ? "talk" : null;
    if (kind) out.push({ kind, template: mob, name: a.name, ...areaCentre(map, a) });
  }
  const steps = [...game.quests.values()].filter((q) => q.state !== "done" && q.text).map((q) => q.text.toLowerCase());
  if (steps.length) {
    for (const a of map.spawnAreas) {
      const mob = String(a.props.mob || "");
      if (!mob || game.offers.start.has(mob) || game.offers.talk.has(mob)) continue;
      const word = new RegExp(`\\b${mob.replace(/_/g, " ").replace(/[^a-z0-9 ]/gi, "")}`, "i");
      if (steps.some((t) => /\b(kill|slay|hunt|thin)\b/.test(t) && word.test(t))) {
        out.push({ kind: "kill", template: mob, name: a.name, ...areaCentre(map, a) });
      }
    }
  }
  return out;
}

/** The nearest quest giver with a quest to start, or null. */
export function nearestGiver(game) {
  const me = game.self;
  if (!me) return null;
  let best = null;
  for (const p of questPlaces(game)) {
    if (p.kind !== "start") continue;
    const d = chebyshev(me, p);
    if (!best || d < best.d) best = { ...p, d };
  }
  return best;
}

export class QuestMarker {
  constructor(game, renderer) {
    this.game = game;
    this.renderer = renderer;
    this.arrow = document.getElementById("quest-arrow");
    /** What the arrow shows: { template, name, x, y, angle, edge } or null (the browser test reads it). */
    this.state = null;
  }

  /** Called every frame: places (or hides) the arrow. */
  tick(now) {
    const g = this.game;
    const me = g.self;
    const target = me && !me.dead ? nearestGiver(g) : null;
    if (!target || target.d <= 1) {
      this.state = null;
      this.arrow.hidden = true;
      return;
    }
    const r = this.renderer;
    const from = r.tileToScreen(renderPos(me, now).x, renderPos(me, now).y);
    const entity = target.id != null ? g.entities.get(target.id) : null;
    const at = entity ? renderPos(entity, now) : target;
    const to = r.tileToScreen(at.x, at.y);
    const angle = Math.atan2(to.y - from.y, to.x - from.x);
    const w = r.viewW;
    const h = r.viewH;
    const onScreen = to.x > EDGE && to.y > EDGE + 40 && to.x < w - EDGE && to.y < h - EDGE;
    let x;
    let y;
    let rot;
    if (onScreen) {
      // Over the NPC's head, pointing down at it.
      x = to.x;
      y = to.y - r.tile * 1.3 + Math.sin(now / 220) * 4;
      rot = Math.PI / 2;
    } else {
      // Where the line from us to it leaves the screen (less a margin).
      const cx = w / 2;
      const cy = h / 2;
      const dx = Math.cos(angle);
      const dy = Math.sin(angle);
      const sx = dx ? (dx > 0 ? w - EDGE - cx : EDGE - cx) / dx : Infinity;
      const sy = dy ? (dy > 0 ? h - EDGE - cy : EDGE + 40 - cy) / dy : Infinity;
      const s = Math.min(sx, sy);
      x = cx + dx * s;
      y = cy + dy * s;
      rot = angle;
    }
    this.state = { template: target.template, name: target.name, x: target.x, y: target.y, angle, edge: !onScreen, screen: { x, y } };
    this.arrow.hidden = false;
    this.arrow.title = `A quest: ${target.name}`;
    this.arrow.style.transform = `translate(${x.toFixed(1)}px, ${y.toFixed(1)}px) translate(-50%, -50%) rotate(${rot.toFixed(3)}rad)`;
  }
}
