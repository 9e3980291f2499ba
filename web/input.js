// Keyboard and mouse: arrows/WASD walk, a click walks there (or attacks the mob, picks up the
// item, talks to the NPC, works the door or lever under the cursor), a right click on a player
// opens its menu (trade, invite, duel, ...), letters open panels, Enter opens the command line,
// 1-9 answer in a dialogue or cast from the hotbar. A click on a node gathers, on a station opens
// its crafting window, on a player picks it (and attacks it where PvP allows).

const KEY_DIRS = {
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  KeyW: [0, -1],
  KeyS: [0, 1],
  KeyA: [-1, 0],
  KeyD: [1, 0],
};

/**
 * Wires input to the game; `ctx` holds game, renderer, hud, story, observer, send, inWorld(),
 * playerMenu, hotbar, gathering, crafting, pvp and busy() (a cast, gather or craft under way).
 */
export function bindInput(ctx) {
  const { game, renderer, hud } = ctx;
  const held = []; // movement keys, most recent last
  const canvas = renderer.canvas;
  const typing = (e) => e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.target instanceof HTMLTextAreaElement;

  window.addEventListener("keydown", (e) => {
    if (typing(e) || !ctx.inWorld() || e.ctrlKey || e.metaKey || e.altKey) return;
    const digit = /^(Digit|Numpad)([1-9])$/.exec(e.code);
    if (digit && (ctx.story.key(Number(digit[2])) || ctx.hotbar.key(Number(digit[2])))) {
      e.preventDefault();
      return;
    }
    if (KEY_DIRS[e.code]) {
      e.preventDefault();
      if (!held.includes(e.code)) held.push(e.code);
      return;
    }
    switch (e.code) {
      case "Enter":
        e.preventDefault();
        document.getElementById("chat-input").focus();
        break;
      case "Slash":
        e.preventDefault();
        document.getElementById("chat-input").value = "/";
        document.getElementById("chat-input").focus();
        break;
      case "KeyI":
        hud.toggle("inventory");
        break;
      case "KeyE":
        hud.toggle("equipment");
        break;
      case "KeyC":
        hud.toggle("stats");
        break;
      case "KeyQ":
        hud.toggle("quests");
        break;
      case "KeyL":
        hud.toggle("friends");
        break;
      case "KeyP":
        hud.toggle("party");
        break;
      case "KeyG":
        hud.toggle("guild");
        break;
      case "KeyK":
        hud.toggle("skills");
        break;
      case "KeyO":
        if (ctx.observer.allowed) hud.toggle("observer");
        break;
      case "KeyF":
        game.clearGoal();
        ctx.send({ type: "flee" });
        break;
      case "Space":
        e.preventDefault();
        attackNearest(game);
        break;
      case "Escape":
        if (ctx.hotbar.cancelAiming()) break;
        if (ctx.busy()) ctx.send({ type: "interrupt" });
        game.clearGoal();
        game.closeDialogue();
        hud.closeAll();
        break;
      case "Equal":
      case "NumpadAdd":
        zoom(renderer, 1);
        break;
      case "Minus":
      case "NumpadSubtract":
        zoom(renderer, -1);
        break;
      default:
        break;
    }
  });
  window.addEventListener("keyup", (e) => {
    const i = held.indexOf(e.code);
    if (i >= 0) held.splice(i, 1);
  });
  window.addEventListener("blur", () => (held.length = 0));

  canvas.addEventListener("mousemove", (e) => {
    const at = renderer.screenToWorld(e.offsetX, e.offsetY);
    renderer.hoverTile = { x: Math.floor(at.x), y: Math.floor(at.y) };
    const hit = game.entityAt(at.x, at.y, performance.now());
    const usable = ["npc", "door", "node", "station"].includes(hit?.kind) || game.map?.leverAt(renderer.hoverTile.x, renderer.hoverTile.y);
    canvas.style.cursor = hit?.kind === "mob" || usable ? "pointer" : hit?.kind === "item" ? "grab" : "crosshair";
  });
  canvas.addEventListener("mouseleave", () => (renderer.hoverTile = null));
  // A right click on another player opens what we can do with them (trade, invite, ...).
  canvas.addEventListener("contextmenu", (e) => {
    e.preventDefault();
    if (!ctx.inWorld() || !game.map || ctx.hotbar.cancelAiming()) return;
    const at = renderer.screenToWorld(e.offsetX, e.offsetY);
    const hit = game.entityAt(at.x, at.y, performance.now());
    if (hit?.kind === "player" && !hit.dead) ctx.playerMenu(hit, e.clientX, e.clientY);
  });
  canvas.addEventListener("mousedown", (e) => {
    if (e.button !== 0 || !ctx.inWorld() || !game.map) return;
    document.activeElement?.blur?.();
    const at = renderer.screenToWorld(e.offsetX, e.offsetY);
    const tile = { x: Math.floor(at.x), y: Math.floor(at.y) };
    const now = performance.now();
    renderer.clickMarker = { ...tile, t0: now };
    if (ctx.hotbar.click(tile)) return; // a ground ability was waiting for this tile
    // A living mob under the cursor is attacked even when loot lies there too.
    const hit = game.entityAt(at.x, at.y, now);
    if (hit?.kind === "mob" && !hit.dead) game.attack(hit.id);
    else if (hit?.kind === "item") game.pickup(hit.id);
    else if (hit?.kind === "npc" && !hit.dead) game.talk(hit.id);
    else if (hit?.kind === "door") game.interact(tile.x, tile.y, hit);
    else if (hit?.kind === "node") ctx.gathering.gather(hit);
    else if (hit?.kind === "station") ctx.crafting.use(hit);
    else if (hit?.kind === "player" && ctx.pvp.mayAttack(hit)) game.attack(hit.id);
    else if (hit?.kind === "player" && !hit.dead) {
      game.target = hit.id; // picked: ally abilities aim at it
      game.walkTo(hit.x, hit.y);
    } else if (game.map.leverAt(tile.x, tile.y)) game.interact(tile.x, tile.y);
    else if (game.walkable(tile.x, tile.y)) game.walkTo(tile.x, tile.y);
  });
  canvas.addEventListener(
    "wheel",
    (e) => {
      e.preventDefault();
      zoom(renderer, e.deltaY < 0 ? 1 : -1);
    },
    { passive: false },
  );
  window.addEventListener("resize", () => renderer.resize());

  /** Per frame: a held key steps (paced by the game). */
  return function poll(now) {
    if (!held.length || !ctx.inWorld()) return;
    const [dx, dy] = KEY_DIRS[held[held.length - 1]];
    game.stepDir(dx, dy, now);
  };
}

const ZOOMS = [0.75, 1, 1.5, 2];

function zoom(renderer, dir) {
  const i = ZOOMS.indexOf(renderer.zoom);
  renderer.zoom = ZOOMS[Math.max(0, Math.min(ZOOMS.length - 1, (i < 0 ? 1 : i) + dir))];
}

/** Attacks the nearest living mob in view (Space; touch's attack button without a target). */
export function attackNearest(game) {
  const me = game.self;
  if (!me) return;
  let best = null;
  for (const e of game.entities.values()) {
    if (e.kind !== "mob" || e.dead) continue;
    const d = Math.abs(e.x - me.x) + Math.abs(e.y - me.y);
    if (!best || d < best.d) best = { e, d };
  }
  if (best) game.attack(best.e.id);
}
