// Sprite sheets for players, mobs and NPCs (web/sprites/, drawn by tools/gen_sprites.py):
// a player is its class's body with the gear it visibly wears stacked on top (body, chest,
// head, shield, weapon; the weapon behind the body when facing up), a mob or NPC its
// template's sheet. Each entity faces the way of its last step, walks while it slides,
// swings on its `hit`/`miss` as attacker, falls and fades on `death` and rises with a glow
// on `respawn`. Sheets load after the first frame; until then (or if one is missing) the
// renderer keeps drawing its plain shapes.

const MANIFEST_URL = "sprites/sprites.json";
const WALK_FRAME_MS = 130;
const ATTACK_MS = 360;
const FALL_MS = 600;
const RISE_MS = 700;
const GEAR_ORDER = ["chest", "head", "shield", "weapon"];

let manifest = null;
let loading = null;
const images = new Map(); // file name -> { img, ready, failed }
const facing = new Map(); // entity id -> { x, y, dir }
const drawn = new Map(); // entity id -> { at, layers } (the layers of its last drawing)
let lastFrame = -1;

/** Fetches the manifest (once); sheets are fetched when first needed. */
export function loadSprites() {
  if (!loading) {
    loading = fetch(MANIFEST_URL)
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`${MANIFEST_URL}: ${r.status}`))))
      .then((m) => {
        manifest = m;
      })
      .catch((e) => console.warn("sprites unavailable, drawing plain shapes", e));
  }
  return loading;
}

/** The sheet image `file`, or null while it loads (or if it failed). */
function sheet(file) {
  let s = images.get(file);
  if (!s) {
    s = { img: new Image(), ready: false, failed: false };
    s.img.onload = () => (s.ready = true);
    s.img.onerror = () => {
      s.failed = true;
      console.warn(`sprite sheet ${file} failed to load`);
    };
    s.img.src = `sprites/${file}`;
    images.set(file, s);
  }
  return s.ready ? s.img : null;
}

/** The layers an entity is made of: [{ name, file }], body (or creature) first. */
export function layersFor(e) {
  if (!manifest) return [];
  if (e.kind === "player") {
    const cls = manifest.bodies[e.cls] ? e.cls : manifest.default_body;
    const layers = [{ name: `body:${cls}`, file: manifest.bodies[cls] }];
    const gear = e.gear || {};
    for (const slot of GEAR_ORDER) {
      const id = gear[slot];
      if (!id) continue;
      const look = manifest.items[id];
      const file = look && look.slot === slot ? look.image : manifest.generic[slot];
      if (file) layers.push({ name: `${slot}:${id}`, file, slot });
    }
    return layers;
  }
  const known = manifest.sprites[e.template];
  const template = known ? e.template : manifest.default_sprite;
  return [{ name: `sprite:${template}`, file: manifest.sprites[template] }];
}

/** Which row the entity faces: from its last step, or towards what it swings at. */
function directionOf(e, entities, now) {
  let f = facing.get(e.id);
  if (!f) {
    f = { x: e.x, y: e.y, dir: "down" };
    facing.set(e.id, f);
  }
  if (e.x !== f.x || e.y !== f.y) {
    f.dir = dirBetween(f, e) || f.dir;
    f.x = e.x;
    f.y = e.y;
  }
  const target = now - e.swingAt < ATTACK_MS && entities?.get(e.swingTarget);
  if (target) return dirBetween(e, target) || f.dir;
  return f.dir;
}

function dirBetween(a, b) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  if (!dx && !dy) return null;
  if (Math.abs(dx) >= Math.abs(dy)) return dx < 0 ? "left" : "right";
  return dy < 0 ? "up" : "down";
}

/** The sheet column: attack frames while swinging, walk frames while sliding, else idle. */
function columnOf(e, now) {
  const anims = manifest.anims;
  const swing = now - e.swingAt;
  if (swing >= 0 && swing < ATTACK_MS) {
    const a = anims.attack;
    return a.col + Math.min(a.frames - 1, Math.floor((swing / ATTACK_MS) * a.frames));
  }
  const sliding = now - e.t0 < e.dur && (e.fx !== e.x || e.fy !== e.y);
  if (sliding && !e.dead) {
    const w = anims.walk;
    return w.col + (Math.floor(now / WALK_FRAME_MS) % w.frames);
  }
  return anims.idle.col;
}

/**
 * Draws a player, mob or NPC from its sheets with its feet at the bottom of its tile
 * (centre cx, cy; tile size t). Returns false when its body sheet is not loaded yet: the
 * caller draws its plain shape instead.
 */
export function drawSprite(ctx, e, cx, cy, t, now, entities) {
  lastFrame = now;
  const layers = layersFor(e);
  const body = layers.length ? sheet(layers[0].file) : null;
  if (!body) {
    drawn.set(e.id, { at: now, layers: [] });
    return false;
  }
  const dir = directionOf(e, entities, now);
  const row = Math.max(0, manifest.rows.indexOf(dir));
  const col = columnOf(e, now);
  const fs = manifest.frame;
  let order = layers;
  if (dir === "up") {
    // Facing away: the weapon is behind the body.
    const weapon = layers.filter((l) => l.slot === "weapon");
    order = [...weapon, ...layers.filter((l) => l.slot !== "weapon")];
  }
  ctx.save();
  ctx.imageSmoothingEnabled = false;
  const feetX = cx;
  const feetY = cy + t / 2;
  ctx.translate(feetX, feetY);
  if (e.dead) {
    // Fall over sideways and fade to a ghost of itself.
    const k = e.diedAt ? Math.min(1, Math.max(0, (now - e.diedAt) / FALL_MS)) : 1;
    ctx.globalAlpha = 1 - 0.55 * k;
    ctx.rotate(((dir === "left" ? -1 : 1) * Math.PI * k) / 2);
  }
  const rise = e.respawnAt ? (now - e.respawnAt) / RISE_MS : 1;
  if (rise >= 0 && rise < 1) {
    // Back on its feet: a column of light and a body that grows up out of the ground.
    const glow = ctx.createRadialGradient(0, -t * 0.4, 1, 0, -t * 0.4, t * 0.8);
    glow.addColorStop(0, `rgba(255,240,170,${(0.8 * (1 - rise)).toFixed(3)})`);
    glow.addColorStop(1, "rgba(255,240,170,0)");
    ctx.fillStyle = glow;
    ctx.fillRect(-t, -t * 1.4, t * 2, t * 1.6);
    ctx.scale(1, 0.3 + 0.7 * rise);
  }
  if (now < e.flashUntil) ctx.filter = "brightness(2.2)";
  for (const layer of order) {
    layer.img = layer === layers[0] ? body : sheet(layer.file);
    if (layer.img) ctx.drawImage(layer.img, col * fs, row * fs, fs, fs, -t / 2, -t, t, t);
  }
  ctx.restore();
  // (Reported body first, as the layers are listed, whatever the drawing order.)
  drawn.set(e.id, { at: now, layers: layers.filter((l) => l.img).map((l) => l.name) });
  return true;
}

/** The layer names drawn for entity `id` in the last frame (empty if not drawn). */
export function layersOf(id) {
  const d = drawn.get(id);
  return d && d.at === lastFrame ? [...d.layers] : [];
}

/** Forgets the animation state of entities no longer known (each frame: one pass over two small maps). */
export function forgetGone(entities) {
  for (const id of facing.keys()) if (!entities.has(id)) facing.delete(id);
  for (const id of drawn.keys()) if (!entities.has(id)) drawn.delete(id);
}
