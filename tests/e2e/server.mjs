// Helpers for the browser test: a small test world on disk, and the real `emberkeep` binary
// running on it. Every wait has a deadline; every process started here can be stopped.

import { execFileSync, spawn } from "node:child_process";
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const REPO = fileURLToPath(new URL("../..", import.meta.url));

/** Where the server binary is: $EMBERKEEP_BIN, or the debug build. */
export function serverBinary() {
  const bin = process.env.EMBERKEEP_BIN || join(REPO, "target", "debug", "emberkeep");
  if (!existsSync(bin)) {
    throw new Error(`no server binary at ${bin}: run \`cargo build\` first (or set EMBERKEEP_BIN)`);
  }
  return bin;
}

// Tile ids (gids) of the repo's tileset, assets/tilesets/terrain.png (firstgid 1).
const GRASS = 1;
const FLOWERS = 2;
const ROAD = 3;
const DEEP_WATER = 6;
const STONE_FLOOR = 7;
const STONE_WALL = 8;
const TREE = 11;
const TILE_TYPES = [
  "grass", "flowers", "road", "sand", "shallow_water", "deep_water", "stone_floor", "stone_wall",
  "wood_floor", "wood_wall", "tree", "rock", "bridge", "door", "bush", "blocked",
];

/** The test map's layout: where the player starts and where the mob lives. */
export const WORLD = {
  width: 36,
  height: 24,
  spawn: { x: 8, y: 10 },
  mob: { x: 13, y: 10 },
  /** Where the two NPCs of the errand (ERRAND) stand. */
  giver: { x: 5, y: 9 },
  watchman: { x: 3, y: 12 },
  displayName: "Sunny Meadow",
  zone: "Test Meadow",
  /** Stairs down into the cellar, and where the cellar's stairs up land. */
  stairs: { x: 16, y: 3 },
  back: { x: 16, y: 5 },
};

/**
 * The second map, `cellar.tmj` (tiles in its own coordinates; the server places it right of
 * the meadow): stairs up at (2, 2), arrival from the meadow at (3, 3), a wall at x = 9 with a
 * shut door 1 x 2 at (9, 5), and the lever that works it at (7, 3).
 */
export const CELLAR = {
  name: "cellar",
  width: 16,
  height: 12,
  displayName: "The Old Cellar",
  zone: "Dusty Cellar",
  arrival: { x: 3, y: 3 },
  stairs: { x: 2, y: 2 },
  door: { name: "cellar_gate", x: 9, y: 5, width: 1, height: 2 },
  lever: { x: 7, y: 3 },
};

/**
 * A 36 x 24 meadow walled in stone, with a road, a pond and a few trees; players start at
 * (8, 10) and one `rat` (from the shipped mobs.toml) lives five tiles east of them; stairs at
 * (16, 3) lead down into the cellar (`cellarMap`). The file is `meadow.tmj`; players are
 * told it is the "Sunny Meadow".
 */
export function testMap() {
  const { width: w, height: h, spawn, mob } = WORLD;
  const ground = new Array(w * h).fill(GRASS);
  const decor = new Array(w * h).fill(0);
  const collision = new Array(w * h).fill(0);
  const set = (layer, x, y, gid) => (layer[y * w + x] = gid);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (x === 0 || y === 0 || x === w - 1 || y === h - 1) {
        set(ground, x, y, STONE_WALL);
        set(collision, x, y, 16);
      } else if (y === 14) set(ground, x, y, ROAD);
      else if ((x * 7 + y * 13) % 23 === 0) set(decor, x, y, FLOWERS);
    }
  }
  for (let y = 17; y < 21; y++) {
    for (let x = 24; x < 31; x++) {
      set(ground, x, y, DEEP_WATER);
      set(decor, x, y, 0);
      set(collision, x, y, 16);
    }
  }
  for (const [x, y] of [[4, 4], [5, 4], [20, 5], [28, 8], [3, 18], [16, 19], [31, 3]]) {
    set(decor, x, y, TREE);
    set(collision, x, y, 16);
  }
  const layer = (id, name, data, visible = true) => ({
    id, name, type: "tilelayer", width: w, height: h, x: 0, y: 0, opacity: 1, visible, data,
  });
  return {
    width: w, height: h, tilewidth: 32, tileheight: 32, orientation: "orthogonal",
    renderorder: "right-down", infinite: false, type: "map", version: "1.10",
    properties: [{ name: "display_name", type: "string", value: WORLD.displayName }],
    layers: [
      layer(1, "ground", ground),
      layer(2, "decor", decor),
      layer(3, "collision", collision, false),
      { id: 4, name: "spawns", type: "objectgroup", objects: [
        { id: 1, name: "start", type: "player_spawn", point: true, x: spawn.x * 32 + 16, y: spawn.y * 32 + 16 },
      ] },
      { id: 5, name: "zones", type: "objectgroup", objects: [
        { id: 2, name: "Test Meadow", type: "zone", x: 32, y: 32, width: (w - 2) * 32, height: (h - 2) * 32,
          properties: [{ name: "safe", type: "bool", value: false }] },
      ] },
      { id: 6, name: "mob_spawns", type: "objectgroup", objects: [
        { id: 3, name: "test rat", type: "mob_spawn", x: mob.x * 32, y: mob.y * 32, width: 32, height: 32,
          properties: [{ name: "mob", type: "string", value: "rat" }, { name: "count", type: "int", value: 1 }] },
        npcSpawn(8, ERRAND.giver.id, WORLD.giver),
        npcSpawn(9, ERRAND.watchman.id, WORLD.watchman),
      ] },
      { id: 7, name: "logic", type: "objectgroup", objects: [
        warpObject(4, "cellar_stairs", WORLD.stairs, CELLAR.name, CELLAR.arrival),
      ] },
    ],
    tilesets: [TILESET],
  };
}

const TILESET = {
  firstgid: 1, name: "terrain", image: "../tilesets/terrain.png", imagewidth: 256, imageheight: 64,
  columns: 8, tilecount: 16, tilewidth: 32, tileheight: 32, margin: 0, spacing: 0,
  tiles: TILE_TYPES.map((type, id) => ({ id, type })),
};

/** A one-tile spawn area at `at` for one NPC of template `mob`. */
function npcSpawn(id, mob, at) {
  return { id, name: mob, type: "mob_spawn", x: at.x * 32, y: at.y * 32, width: 32, height: 32,
    properties: [{ name: "mob", type: "string", value: mob }, { name: "count", type: "int", value: 1 }] };
}

/** A one-tile warp object at `at` leading to tile `to` of map `map` (in its own tiles). */
function warpObject(id, name, at, map, to) {
  return { id, name, type: "warp", x: at.x * 32, y: at.y * 32, width: 32, height: 32, properties: [
    { name: "map", type: "string", value: map },
    { name: "x", type: "int", value: to.x },
    { name: "y", type: "int", value: to.y },
  ] };
}

/** The cellar (see CELLAR): stone floor walled in, a door and its lever, stairs back up. */
export function cellarMap() {
  const { width: w, height: h, door, lever } = CELLAR;
  const ground = new Array(w * h).fill(STONE_FLOOR);
  const collision = new Array(w * h).fill(0);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inDoor = x === door.x && y >= door.y && y < door.y + door.height;
      if (x === 0 || y === 0 || x === w - 1 || y === h - 1 || (x === door.x && !inDoor)) {
        ground[y * w + x] = STONE_WALL;
        collision[y * w + x] = 16;
      }
    }
  }
  const layer = (id, name, data, visible = true) => ({
    id, name, type: "tilelayer", width: w, height: h, x: 0, y: 0, opacity: 1, visible, data,
  });
  return {
    width: w, height: h, tilewidth: 32, tileheight: 32, orientation: "orthogonal",
    renderorder: "right-down", infinite: false, type: "map", version: "1.10",
    properties: [{ name: "display_name", type: "string", value: CELLAR.displayName }],
    layers: [
      layer(1, "ground", ground),
      layer(2, "collision", collision, false),
      { id: 3, name: "spawns", type: "objectgroup", objects: [
        { id: 1, name: "cellar_start", type: "player_spawn", point: true,
          x: CELLAR.arrival.x * 32 + 16, y: CELLAR.arrival.y * 32 + 16 },
      ] },
      { id: 4, name: "zones", type: "objectgroup", objects: [
        { id: 2, name: CELLAR.zone, type: "zone", x: 32, y: 32, width: (w - 2) * 32, height: (h - 2) * 32,
          properties: [{ name: "safe", type: "bool", value: true }, { name: "min_level", type: "int", value: 1 }] },
      ] },
      { id: 5, name: "logic", type: "objectgroup", objects: [
        warpObject(3, "stairs_up", CELLAR.stairs, "meadow", WORLD.back),
        { id: 4, name: door.name, type: "door", x: door.x * 32, y: door.y * 32, width: door.width * 32,
          height: door.height * 32, properties: [{ name: "state", type: "string", value: "closed" }] },
        { id: 5, name: "gate_lever", type: "lever", point: true, x: lever.x * 32 + 16, y: lever.y * 32 + 16,
          properties: [{ name: "door", type: "string", value: door.name }] },
      ] },
    ],
    tilesets: [TILESET],
  };
}

/**
 * A mob for the tests only (added to the copied mobs.toml): hostile, so a click attacks it,
 * but it never moves and does no harm, so it stays where the admin API spawns it.
 */
export const DUMMY = { id: "training_dummy", name: "Training Dummy" };
const DUMMY_TOML = `
[${DUMMY.id}]
name = "${DUMMY.name}"
level = 1
hp = 1000
attack = 0
defense = 0
xp = 1
hostile = true
leash_range = 1
wander_radius = 0
move_every_ticks = 20
attack_cooldown_ticks = 40
respawn_ticks = 600
`;

/**
 * A short quest with real content (the test world's dialogue.toml and quests.toml; its NPCs
 * are added to the copied mobs.toml):
 * Old Tamsin (`giver`, at WORLD.giver) asks you to take word to Watchman Odo (`watchman`, at
 * WORLD.watchman); talking to him finishes it, for 30 xp and two minor health potions. Both
 * NPCs are peaceful and stay on their tile.
 */
export const ERRAND = {
  id: "word_to_odo",
  name: "Word to the Watch",
  step: "Tell Watchman Odo the news",
  accept: "I will take it to him.",
  giver: { id: "tamsin", name: "Old Tamsin" },
  watchman: { id: "watchman_odo", name: "Watchman Odo" },
  reward: { item: "minor_health_potion", name: "Minor Health Potion", count: 2, xp: 30 },
  /** Earned with the first quest done (added to the copied achievements.toml). */
  achievement: { id: "first_errand", name: "Errand Runner" },
};
const ERRAND_ACHIEVEMENT = `
[${ERRAND.achievement.id}]
name = "${ERRAND.achievement.name}"
description = "Finish a quest."
counter = "quests_done"
threshold = 1
`;
const npcToml = ({ id, name }) => `
[${id}]
name = "${name}"
level = 5
hp = 100
attack = 0
defense = 5
xp = 0
hostile = false
leash_range = 1
wander_radius = 0
move_every_ticks = 20
attack_cooldown_ticks = 30
respawn_ticks = 600
`;
const ERRAND_DIALOGUE = `
[${ERRAND.giver.id}]
npc = "${ERRAND.giver.id}"

[${ERRAND.giver.id}.nodes.start]
text = "Ah, a fresh face. The watch should hear what I saw by the pond last night."
choices = [
  { text = "${ERRAND.accept}", conditions = [{ if = "quest", quest = "${ERRAND.id}", state = "not_started" }], actions = [{ do = "start_quest", quest = "${ERRAND.id}" }] },
  { text = "Goodbye." },
]

[${ERRAND.watchman.id}]
npc = "${ERRAND.watchman.id}"

[${ERRAND.watchman.id}.nodes.start]
text = "Tamsin sent you? Then I will keep an eye on the pond. Thank you."
`;
const ERRAND_QUEST = `
[${ERRAND.id}]
name = "${ERRAND.name}"
description = "Old Tamsin saw something by the pond."
giver = "${ERRAND.giver.id}"
steps = [{ talk = "${ERRAND.watchman.id}", text = "${ERRAND.step}" }]
rewards = { xp = ${ERRAND.reward.xp}, items = [{ item = "${ERRAND.reward.item}", count = ${ERRAND.reward.count} }] }
`;

/**
 * A temp folder with the test map, the repo's tileset and content files (plus the training
 * dummy and the errand's NPCs; its own dialogue, quests and no triggers), a config file pointing at them with an
 * admin API token, and the database the server creates there. No `web_root`: the page is the client built into the binary, as
 * shipped.
 */
export function writeTestWorld() {
  const dir = mkdtempSync(join(tmpdir(), "emberkeep-e2e-"));
  const assets = join(dir, "assets");
  mkdirSync(join(assets, "maps"), { recursive: true });
  mkdirSync(join(assets, "tilesets"), { recursive: true });
  writeFileSync(join(assets, "maps", "meadow.tmj"), JSON.stringify(testMap()));
  writeFileSync(join(assets, "maps", `${CELLAR.name}.tmj`), JSON.stringify(cellarMap()));
  copyFileSync(join(REPO, "assets", "tilesets", "terrain.png"), join(assets, "tilesets", "terrain.png"));
  // The shipped stories name the shipped maps' zones and scripts: the test world has its own.
  const OWN = ["quests.toml", "dialogue.toml", "triggers.toml"];
  for (const f of readdirSync(join(REPO, "assets")).filter((f) => f.endsWith(".toml") && !OWN.includes(f))) {
    copyFileSync(join(REPO, "assets", f), join(assets, f));
  }
  mkdirSync(join(assets, "locales"), { recursive: true });
  for (const f of readdirSync(join(REPO, "assets", "locales")).filter((f) => f.endsWith(".toml"))) {
    copyFileSync(join(REPO, "assets", "locales", f), join(assets, "locales", f));
  }
  appendFileSync(join(assets, "mobs.toml"), DUMMY_TOML + npcToml(ERRAND.giver) + npcToml(ERRAND.watchman));
  writeFileSync(join(assets, "dialogue.toml"), ERRAND_DIALOGUE);
  writeFileSync(join(assets, "quests.toml"), ERRAND_QUEST);
  appendFileSync(join(assets, "achievements.toml"), ERRAND_ACHIEVEMENT);
  writeFileSync(join(assets, "triggers.toml"), "# No triggers in the test world.\n");
  const adminToken = randomBytes(16).toString("hex");
  const config = join(dir, "emberkeep.toml");
  writeFileSync(
    config,
    [
      "[server]",
      `assets = ${JSON.stringify(assets)}`,
      `admin_token = ${JSON.stringify(adminToken)}`,
      `database = ${JSON.stringify(`sqlite://${join(dir, "e2e.db")}`)}`,
      "stats_interval_secs = 0",
      "[world]",
      'map = "meadow"',
      "",
    ].join("\n"),
  );
  return { dir, assets, config, database: join(dir, "e2e.db"), adminToken };
}

/** Calls the admin API (docs/admin-api.md) with the test world's token; returns the JSON. */
export async function admin(server, world, path, body) {
  const resp = await fetch(new URL(`admin/${path}`, server.url), {
    method: "POST",
    headers: { Authorization: `Bearer ${world.adminToken}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const answer = await resp.json();
  if (!resp.ok) throw new Error(`POST /admin/${path} ${JSON.stringify(body)}: ${resp.status} ${JSON.stringify(answer)}`);
  return answer;
}

/**
 * Starts the server binary in the config file's folder (outside the repository, as an
 * installed server runs) and resolves once it has logged both listening addresses.
 * `ws` and `http` are addresses to bind ("127.0.0.1:0" for any free port); `env` adds
 * variables (`EMBERKEEP_<SECTION>_<KEY>` settings over the file's).
 */
export async function startServer({ config, ws = "127.0.0.1:0", http = "127.0.0.1:0", env = {}, timeoutMs = 15_000 }) {
  const child = spawn(serverBinary(), ["--config", config, "--ws-addr", ws, "--http-addr", http], {
    cwd: dirname(config),
    env: { ...process.env, NO_COLOR: "1", RUST_LOG: process.env.RUST_LOG || "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log = [];
  const remember = (line) => {
    log.push(line);
    if (log.length > 400) log.shift();
  };
  createInterface({ input: child.stderr }).on("line", remember);
  const lines = createInterface({ input: child.stdout });
  lines.on("line", remember);
  const addrs = await new Promise((resolve, reject) => {
    const found = {};
    const onExit = (code) => fail(`server exited early with ${code}`);
    const onLine = (line) => {
      const ws = /listening for WebSocket clients.*\bws_addr=(\S+)/.exec(line);
      const http = /\bhttp_addr=(\S+)/.exec(line);
      if (ws) found.ws = ws[1];
      if (http) found.http = http[1];
      if (found.ws && found.http) {
        done();
        resolve(found);
      }
    };
    const done = () => {
      clearTimeout(timer);
      child.off("exit", onExit);
      lines.off("line", onLine);
    };
    const fail = (why) => {
      done();
      child.kill("SIGKILL");
      reject(new Error(`${why}\n--- server log ---\n${log.join("\n")}`));
    };
    const timer = setTimeout(() => fail(`server did not report its addresses within ${timeoutMs} ms`), timeoutMs);
    child.once("exit", onExit);
    lines.on("line", onLine);
  });
  return { child, log, ...addrs, url: `http://${addrs.http}/` };
}

/** Stops a server: SIGTERM, then SIGKILL if it is still there after `graceMs`. */
export async function stopServer(server, graceMs = 8_000) {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  let giveUp;
  const stuck = new Promise((_, reject) => {
    giveUp = setTimeout(() => reject(new Error(`server ${child.pid} did not exit, even after SIGKILL`)), graceMs + 5_000);
  });
  try {
    await Promise.race([exited, stuck]);
  } finally {
    clearTimeout(timer);
    clearTimeout(giveUp);
  }
}

/**
 * Makes an account an admin straight in the SQLite database (the server has no command for
 * it yet); the role shows in the next `logged_in`. Uses python3's sqlite3 module.
 */
export function promoteToAdmin(database, username) {
  const script = [
    "import sqlite3, sys",
    "db = sqlite3.connect(sys.argv[1], timeout=10)",
    "n = db.execute(\"UPDATE accounts SET role = 'admin' WHERE key = ?\", (sys.argv[2].lower(),)).rowcount",
    "db.commit()",
    "sys.exit(0 if n == 1 else f'no account {sys.argv[2]!r} in {sys.argv[1]}')",
  ].join("\n");
  execFileSync("python3", ["-c", script, database, username], { stdio: ["ignore", "inherit", "inherit"], timeout: 15_000 });
}
