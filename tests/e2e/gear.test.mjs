// Characters show what they wear (docs/web-client.md, Sprites): two guests side by side;
// Knight (a warrior, who starts with a rusty sword in hand) is drawn by Watcher's page with
// the warrior body and the sword layer; Knight takes the sword off and Watcher's page stops
// drawing it; Knight wields an iron sword the admin API gave them and Watcher's page draws
// that one; fed a death and the hp back, Watcher's page draws Knight fallen, then risen.
// Screenshots: target/e2e/gear-knight.png, target/e2e/gear-watcher.png.
//
// Run: cargo build && (cd tests/e2e && npm ci) && node --test tests/e2e/gear.test.mjs

import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { ARTIFACTS, closeSession, openSession } from "./browser.mjs";
import { admin } from "./server.mjs";
import { assertNoProblems, enterAsGuest, inventory, openPage } from "./pages.mjs";

let session;
const problems = [];

before(async () => {
  session = await openSession();
});

after(async () => {
  await closeSession(session);
});

/**
 * Waits until `page` draws entity `id` from sprite sheets with every layer in `has` and none
 * whose name starts with `without`; returns the layers drawn.
 */
async function waitForLayers(page, id, { has = [], without = null }) {
  const h = await page.waitForFunction(
    ([eid, want, lacking]) => {
      const layers = window.emberkeep.sprites.layersOf(eid);
      const ok =
        layers.length > 0 &&
        want.every((n) => layers.includes(n)) &&
        !(lacking && layers.some((n) => n.startsWith(lacking)));
      return ok && layers;
    },
    [id, has, without],
  );
  return h.jsonValue();
}

test("a second page sees the sword a player wields, and sees it go", { timeout: 90_000 }, async () => {
  const { browser, server, world } = session;
  const knight = await openPage(browser, server, "knight", problems);
  const knightId = await enterAsGuest(knight, "Knight", "warrior");
  const watcher = await openPage(browser, server, "watcher", problems);
  const watcherId = await enterAsGuest(watcher, "Watcher", "mage");
  await watcher.waitForFunction((id) => window.emberkeep.game.entities.has(id), knightId);

  // The spawn said what Knight is and wears; the page draws it from the sheets.
  let layers = await waitForLayers(watcher, knightId, { has: ["weapon:rusty_sword"] });
  assert.equal(layers[0], "body:warrior", `the warrior body first: ${layers}`);
  assert.ok(layers.includes("shield:wooden_shield"), `the starting shield too: ${layers}`);
  // Knight draws itself the same way, and the watcher as a mage.
  await waitForLayers(knight, knightId, { has: ["weapon:rusty_sword"] });
  layers = await waitForLayers(knight, watcherId, {});
  assert.equal(layers[0], "body:mage", `${layers}`);

  // Knight takes the sword off: the watcher's page stops drawing it, the rest stays.
  await knight.evaluate(() => window.emberkeep.conn.send({ type: "unequip", slot: "weapon" }));
  layers = await waitForLayers(watcher, knightId, { without: "weapon:" });
  assert.deepEqual(layers, ["body:warrior", "shield:wooden_shield"]);
  await watcher.waitForFunction((id) => Object.keys(window.emberkeep.game.entities.get(id).gear).length === 1, knightId);

  // An iron sword from the admin API, wielded: the watcher's page draws the new one.
  await admin(server, world, "give", { name: "Knight", item: "iron_sword", count: 1 });
  await knight.waitForFunction(() => window.emberkeep.game.inventory.items.some((i) => i.item === "iron_sword"));
  const sword = (await inventory(knight)).find((i) => i.item === "iron_sword");
  await knight.evaluate((item) => window.emberkeep.conn.send({ type: "equip", item }), sword.id);
  layers = await waitForLayers(watcher, knightId, { has: ["weapon:iron_sword"] });
  assert.deepEqual(layers, ["body:warrior", "shield:wooden_shield", "weapon:iron_sword"]);
  await waitForLayers(knight, knightId, { has: ["weapon:iron_sword"] });

  // A fallen player is still drawn from its sheets (lying, fading), and stands up again when
  // its hp comes back (the watcher's page is fed the events; the fall is the client's).
  await watcher.evaluate((id) => window.emberkeep.feed({ type: "death", id }), knightId);
  await watcher.waitForFunction((id) => window.emberkeep.game.entities.get(id).diedAt > 0, knightId);
  layers = await waitForLayers(watcher, knightId, { has: ["body:warrior", "weapon:iron_sword"] });
  await watcher.evaluate((id) => window.emberkeep.feed({ type: "stat_update", id, hp: 70 }), knightId);
  await watcher.waitForFunction((id) => {
    const e = window.emberkeep.game.entities.get(id);
    return !e.dead && e.respawnAt > 0;
  }, knightId);

  await knight.screenshot({ path: join(ARTIFACTS, "gear-knight.png") });
  await watcher.screenshot({ path: join(ARTIFACTS, "gear-watcher.png") });
  assertNoProblems(problems);
});
