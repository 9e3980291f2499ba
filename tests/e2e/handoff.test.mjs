// The web client follows a cluster handoff (issue 20), in a real browser against the real
// cluster: nats-server, the MongoDB-compatible server in MONGODB_URI, and two emberkeep
// processes sharing one fresh database — A hosts Emberfield, B the Crypt of Embers, both from
// the repo's assets. An account registers on A, creates a character, is given two potions and
// walks onto Emberfield's stairs into the crypt: A hands the character to B and the page must
// follow — connected to B, on the crypt's arrival tile, with the same name, bag and gear and a
// new session token, and no "disconnected" banner or status on the way. Any console error or
// page error fails the test. Screenshot: target/e2e/handoff.png.
//
// Skipped (with the reason) without MONGODB_URI or a nats-server binary (NATS_SERVER_BIN, or
// `nats-server` on PATH). Run: cargo build && (cd tests/e2e && npm ci) &&
//   MONGODB_URI=mongodb://127.0.0.1:27017 node --test tests/e2e/handoff.test.mjs

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";

import { ARTIFACTS, CHROMIUM, FLAGS } from "./browser.mjs";
import { assertNoProblems, enterAsAccount, openPage } from "./pages.mjs";
import { REPO, admin, startServer, stopServer } from "./server.mjs";

const T0 = performance.now();
const step = (what) => console.log(`# ${((performance.now() - T0) / 1000).toFixed(1)} s: ${what}`);

/** How long the handoff may take: A saves the character, B loads it, the page reconnects. */
const HANDOFF_WAIT = 30_000;

/** Why this test cannot run here, or null. */
function missing() {
  if (!process.env.MONGODB_URI) {
    return "MONGODB_URI is not set: the cluster handoff test DID NOT RUN (scripts/test.sh starts a MongoDB-compatible server)";
  }
  if (!natsBinary()) {
    return "no nats-server (set NATS_SERVER_BIN or put nats-server on PATH): the cluster handoff test DID NOT RUN";
  }
  return null;
}

/** $NATS_SERVER_BIN, or `nats-server` on PATH; null when there is none. */
function natsBinary() {
  const named = process.env.NATS_SERVER_BIN;
  if (named) return existsSync(named) ? named : null;
  const dirs = (process.env.PATH || "").split(delimiter).filter(Boolean);
  return dirs.map((d) => join(d, "nats-server")).find((f) => existsSync(f)) ?? null;
}

/** A TCP port free on 127.0.0.1 right now (for nats-server, which cannot report one it picked). */
async function freePort() {
  const probe = createServer();
  await new Promise((resolve, reject) => probe.once("error", reject).listen(0, "127.0.0.1", resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Starts nats-server on 127.0.0.1:`port` and resolves once it accepts connections. */
async function startNats(port, timeoutMs = 10_000) {
  const child = spawn(natsBinary(), ["-a", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "pipe", "pipe"] });
  const log = [];
  for (const s of [child.stdout, child.stderr]) s.on("data", (d) => log.push(String(d)));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}:\n${log.join("")}`);
    const up = await new Promise((resolve) => {
      const sock = createConnection({ host: "127.0.0.1", port }, () => {
        sock.destroy();
        resolve(true);
      });
      sock.once("error", () => resolve(false));
    });
    if (up) return { child, log, url: `nats://127.0.0.1:${port}` };
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`nats-server did not listen on ${port} within ${timeoutMs} ms:\n${log.join("")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100)); // polling a port: nothing to wait on
  }
}

/**
 * The warp from Emberfield into the crypt, read from the map file (a Tiled object of type or
 * class `warp` whose `map` is `crypt`): its tile, and the crypt tile it leads to.
 */
function cryptStairs() {
  const read = (name) => JSON.parse(readFileSync(join(REPO, "assets", "maps", `${name}.tmj`), "utf8"));
  const field = read("emberfield");
  const prop = (o, name) => o.properties?.find((p) => p.name === name)?.value;
  const objects = field.layers.flatMap((l) => l.objects || []);
  const warp = objects.find((o) => (o.type === "warp" || o.class === "warp") && prop(o, "map") === "crypt");
  assert.ok(warp, "assets/maps/emberfield.tmj has a warp into the crypt");
  const crypt = read("crypt");
  return {
    tile: { x: Math.floor(warp.x / field.tilewidth), y: Math.floor(warp.y / field.tileheight) },
    arrival: { x: prop(warp, "x"), y: prop(warp, "y") },
    displayName: crypt.properties?.find((p) => p.name === "display_name")?.value ?? "crypt",
  };
}

/** Installed before the page's own scripts: notes each sign that the page lost its server. */
function watchForLostServer() {
  window.lostServer = [];
  const note = () => {
    if (!window.watchingForLostServer) return;
    const banner = document.getElementById("banner");
    const status = document.getElementById("conn")?.dataset.status;
    if (banner && !banner.hidden) window.lostServer.push(`banner: ${banner.textContent}`);
    if (status === "waiting" || status === "stopped") window.lostServer.push(`status: ${status}`);
  };
  new MutationObserver(note).observe(document, { subtree: true, attributes: true, attributeFilter: ["hidden", "data-status"] });
}

/** Who we are as the page knows it: name, bag and gear (item ids and counts, sorted). */
function readCharacter() {
  const g = window.emberkeep.game;
  return {
    name: g.me?.name ?? null,
    bag: g.inventory.items.map(({ item, count }) => `${item} x${count}`).sort(),
    gear: Object.entries(g.equipment)
      .filter(([, it]) => it)
      .map(([slot, it]) => `${slot}: ${it.item}`)
      .sort(),
  };
}

/**
 * Polls a server's `/status.json` until its count of players in the world satisfies `ok`
 * (the count is all it says about them; there is no event to wait on).
 */
async function playersOn(server, ok, timeoutMs = 10_000) {
  const url = new URL("status.json", server.url);
  const deadline = Date.now() + timeoutMs;
  let n;
  for (;;) {
    const status = await (await fetch(url, { signal: AbortSignal.timeout(5_000) })).json();
    n = status.entities?.players;
    if (ok(n)) return n;
    if (Date.now() > deadline) assert.fail(`${url}: ${n} players in the world, after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The port of a WebSocket URL or of a `host:port` address. */
const portOf = (addr) => (addr.includes("://") ? new URL(addr).port : addr.split(":").pop());

/**
 * Walks onto `tile` with clicks on the canvas. When the tile is off screen or under a panel,
 * it first walks to the farthest walkable tile on the straight way there that shows the canvas.
 * Returns once it has clicked the tile itself (stepping on a warp takes us away).
 */
async function walkOnto(page, tile) {
  for (let leg = 0; leg < 8; leg++) {
    const aim = await page.evaluate(([tx, ty]) => {
      const { game, renderer, tileToScreen } = window.emberkeep;
      const me = game.self;
      const n = Math.max(Math.abs(tx - me.x), Math.abs(ty - me.y));
      for (let i = n; i > 0; i--) {
        const x = Math.round(me.x + ((tx - me.x) * i) / n);
        const y = Math.round(me.y + ((ty - me.y) * i) / n);
        const at = tileToScreen(x, y);
        const onCanvas = document.elementFromPoint(at.x, at.y) === renderer.canvas;
        if (onCanvas && (i === n || game.walkable(x, y))) return { x, y, at, last: i === n };
      }
      return null;
    }, [tile.x, tile.y]);
    assert.ok(aim, `no tile on the way to (${tile.x}, ${tile.y}) shows on the canvas`);
    await page.mouse.click(aim.at.x, aim.at.y);
    if (aim.last) return;
    await page.waitForFunction(
      ([x, y]) => {
        const g = window.emberkeep.game;
        return g.self.x === x && g.self.y === y && g.pending === 0;
      },
      [aim.x, aim.y],
    );
  }
  assert.fail(`could not walk to (${tile.x}, ${tile.y})`);
}

const skipReason = missing();
const problems = [];
let dir;
let profile;
let nats;
let a;
let b;
let browser;
const adminToken = randomBytes(16).toString("hex");

before(async () => {
  if (skipReason) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), "emberkeep-handoff-"));
  const config = join(dir, "emberkeep.toml");
  writeFileSync(
    config,
    [
      "[server]",
      `assets = ${JSON.stringify(join(REPO, "assets"))}`,
      `admin_token = ${JSON.stringify(adminToken)}`,
      "stats_interval_secs = 0",
      "watch_assets = false",
      "",
    ].join("\n"),
  );
  nats = await startNats(await freePort());
  step(`nats-server on ${nats.url}`);
  const database = `${process.env.MONGODB_URI.replace(/\/+$/, "")}/handoff_${randomBytes(6).toString("hex")}`;
  const shared = { EMBERKEEP_SERVER_NATS: nats.url, EMBERKEEP_SERVER_DATABASE: database };
  const started = await Promise.allSettled([
    startServer({ config, env: { ...shared, EMBERKEEP_CLUSTER_NAME: "a", EMBERKEEP_WORLD_MAPS: "emberfield" } }),
    startServer({ config, env: { ...shared, EMBERKEEP_CLUSTER_NAME: "b", EMBERKEEP_WORLD_MAPS: "crypt" } }),
  ]);
  // Whichever started is stopped in `after`, also when the other did not.
  [a, b] = started.map((r) => (r.status === "fulfilled" ? r.value : null));
  const failed = started.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  step(`A (emberfield) on ${a.ws}, B (crypt) on ${b.ws}, database ${database}`);
  profile = mkdtempSync(join(tmpdir(), "emberkeep-chromium-"));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 720 },
  });
  await browser.addInitScript(watchForLostServer);
});

after(async () => {
  await browser?.close().catch(() => {});
  for (const server of [a, b, nats]) if (server) await stopServer(server);
  for (const d of [profile, dir]) if (d) rmSync(d, { recursive: true, force: true });
});

test("walking down the crypt stairs hands the character to the other server, and the page follows", { timeout: 120_000 }, async (t) => {
  if (skipReason) {
    t.skip(skipReason);
    return;
  }
  const stairs = cryptStairs();
  const page = await openPage(browser, a, "delver", problems);
  await enterAsAccount(page, `hand${Date.now() % 1_000_000}`, "Delver");
  assert.equal(await page.evaluate(() => window.emberkeep.mapName), "emberfield");
  assert.equal(portOf(await page.evaluate(() => window.emberkeep.serverUrl)), portOf(a.ws), "the page starts on A");
  step("in Emberfield on A");

  // Something the character got on A, after entering: it must come along.
  await admin(a, { adminToken }, "give", { name: "Delver", item: "minor_health_potion", count: 2 });
  await page.waitForFunction(() => window.emberkeep.game.inventory.items.some((i) => i.item === "minor_health_potion"));
  const before = await page.evaluate(readCharacter);
  const tokenBefore = await page.evaluate(() => localStorage.getItem("emberkeep.token"));
  assert.ok(tokenBefore, "a session token is stored after the login");

  await page.evaluate(() => (window.watchingForLostServer = true));
  await walkOnto(page, stairs.tile);
  step("stepped onto the stairs");
  await page.waitForFunction(
    (port) => {
      const { session, mapName, serverUrl } = window.emberkeep;
      return session.inWorld && session.welcomes >= 2 && mapName === "crypt" && new URL(serverUrl).port === port;
    },
    portOf(b.ws),
    { timeout: HANDOFF_WAIT },
  );
  step("the page is on B, in the crypt");

  // Connected to B, standing on the crypt's arrival tile (at the crypt's origin in B's world).
  assert.equal(await page.getAttribute("#conn", "data-status"), "open");
  const where = await page.evaluate(() => {
    const g = window.emberkeep.game;
    return { x: g.self.x, y: g.self.y, origin: g.map.origin };
  });
  assert.deepEqual(
    [where.x, where.y],
    [where.origin.x + stairs.arrival.x, where.origin.y + stairs.arrival.y],
    `on the crypt's arrival tile (origin ${JSON.stringify(where.origin)})`,
  );
  // B's own count agrees that the character is there.
  await playersOn(b, (n) => n >= 1);

  // The same character: name, bag and gear (B's `inventory` and `equipment` follow its welcome).
  await page
    .waitForFunction(
      ([bag, gear]) => {
        const g = window.emberkeep.game;
        return g.inventory.items.length === bag && Object.values(g.equipment).filter(Boolean).length === gear;
      },
      [before.bag.length, before.gear.length],
      { timeout: 5_000 },
    )
    .catch(() => {}); // the assertion below shows what differs
  assert.deepEqual(await page.evaluate(readCharacter), before, "the same name, bag and gear on B");
  const tokenAfter = await page.evaluate(() => localStorage.getItem("emberkeep.token"));
  assert.ok(tokenAfter && tokenAfter !== tokenBefore, "B's logged_in stored a new session token");

  // A warp to the player: no banner, no reconnecting status, no "Connection lost" line.
  assert.deepEqual(await page.evaluate(() => window.lostServer), [], "nothing said the connection was lost");
  assert.equal(await page.isVisible("#banner"), false);
  assert.equal(await page.isVisible("#screen"), false);
  const lines = await page.$$eval("#chat-log .line", (ls) => ls.map((l) => l.textContent));
  assert.ok(lines.includes(`You enter ${stairs.displayName}.`), `the log says where we went: ${lines.join(" | ")}`);
  assert.ok(!lines.some((l) => /Connection lost|Could not change servers/.test(l)), lines.join(" | "));

  await page.waitForFunction(() => window.emberkeep.mapReady && window.emberkeep.renderer.shade(performance.now()) === 0);
  await page.screenshot({ path: join(ARTIFACTS, "handoff.png") });
  assertNoProblems(problems);
  await page.close();
});
