// Abilities, crafting and PvP through the web client, against the real server (issue 17): a
// warrior guest casts Power Strike from the hotbar (key 1) at a training dummy, and the page
// shows the cooldown sweep and the dummy's hp drop; a guest cooks fish at a campfire through
// the crafting window and the food shows in the inventory panel; a GM teleport into a PvP zone
// puts up the red banner; two guests duel (the menu's Duel, the prompt's Accept, the banners,
// Forfeit) and in the PvP zone a click on another player attacks them. Screenshots:
// target/e2e/hotbar.png, crafting.png, pvp.png, duel.png.
//
// The test world gets a campfire station and a PvP zone ("Red Field") on the meadow (see
// `prepare`). Content ids are the wire spec's (docs/protocol.md): `power_strike` (warrior,
// level 1, enemy, range 1, 8 mana), recipe `cooked_fish` (campfire, cooking 1, 1 raw_fish ->
// 1 cooked_fish).
//
// Run: cargo build && (cd tests/e2e && npm ci) && node --test tests/e2e/skills.test.mjs

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { ARTIFACTS, closeSession, openSession } from "./browser.mjs";
import { DUMMY, WORLD, admin } from "./server.mjs";
import { assertNoProblems, clickTile, enterAsGuest, inventory, openPage, settledAt, waitForEntity } from "./pages.mjs";

/** Where the admin API puts the training dummy: two tiles east of the spawn (8, 10). */
const DUMMY_AT = { x: 10, y: 10 };
/** The campfire station added to the meadow (a Tiled object of class `station`). */
const CAMPFIRE = { x: 11, y: 13 };
/** A PvP zone added to the meadow, listed before "Test Meadow" so it wins where they overlap. */
const RED_FIELD = { name: "Red Field", x: 20, y: 8, width: 8, height: 5 };
/** A tile inside the Red Field, and one next to it for a second player. */
const IN_PVP = { x: 22, y: 10 };
const IN_PVP_2 = { x: 23, y: 10 };
const FISH = { raw: "raw_fish", cooked: "cooked_fish", count: 2 };

/** Adds the campfire and the Red Field to the test world's meadow. */
function prepare(world) {
  const file = join(world.assets, "maps", "meadow.tmj");
  const map = JSON.parse(readFileSync(file, "utf8"));
  const layer = (name) => map.layers.find((l) => l.name === name);
  layer("logic").objects.push({
    id: 40, name: "test_campfire", type: "station", x: CAMPFIRE.x * 32, y: CAMPFIRE.y * 32, width: 32, height: 32,
    properties: [{ name: "station", type: "string", value: "campfire" }],
  });
  const { name, x, y, width, height } = RED_FIELD;
  layer("zones").objects.unshift({
    id: 41, name, type: "zone", x: x * 32, y: y * 32, width: width * 32, height: height * 32,
    properties: [{ name: "safe", type: "bool", value: false }, { name: "pvp", type: "bool", value: true }],
  });
  writeFileSync(file, JSON.stringify(map));
}

let session;
const problems = [];

before(async () => {
  session = await openSession({ prepare });
});

after(async () => {
  await closeSession(session);
});

test("a warrior casts Power Strike from the hotbar: the cooldown sweeps and the dummy's hp drops", { timeout: 90_000 }, async () => {
  const { browser, server, world } = session;
  const page = await openPage(browser, server, "striker", problems);
  await enterAsGuest(page, "Striker", "warrior");
  // Slot 1 is the level-1 ability, learned; the mana for it is there.
  await page.waitForSelector('#hotbar:not([hidden]) [data-slot="1"][data-ability="power_strike"]:not(.locked)');
  await page.waitForFunction(() => window.emberkeep.game.stats.mp >= 8);

  await admin(server, world, "spawn", { mob: DUMMY.id, x: DUMMY_AT.x, y: DUMMY_AT.y, count: 1 });
  const dummy = await waitForEntity(page, { kind: "mob", name: DUMMY.name });
  const maxHp = await page.evaluate((id) => window.emberkeep.game.entities.get(id).maxHp, dummy.id);

  // A click makes it the target (and walks next to it); key 1 casts at it.
  await clickTile(page, dummy.x, dummy.y);
  await page.waitForFunction((id) => {
    const g = window.emberkeep.game;
    const d = g.entities.get(id);
    return g.target === id && g.pending === 0 && Math.max(Math.abs(g.self.x - d.x), Math.abs(g.self.y - d.y)) <= 1;
  }, dummy.id);
  await page.keyboard.press("Digit1");

  // The server's cooldown shades slot 1 (a sweep of more than nothing, shrinking) ...
  const slot = '#hotbar [data-slot="1"]';
  await page.waitForSelector(`${slot}[data-cooldown]`);
  const sweep = () => page.evaluate((sel) => parseFloat(document.querySelector(sel).style.getPropertyValue("--cd")) || 0, slot);
  const first = await sweep();
  assert.ok(first > 0, `the cooldown sweep shows (${first} deg)`);
  // ... and the ability's hit lands on the dummy: its hp in the page (and the target frame) drops.
  const hit = await page.waitForFunction((id) => {
    const h = window.emberkeep.hotbar.lastHit;
    return h && h.target === id && h.ability === "power_strike" && h;
  }, dummy.id);
  assert.ok((await hit.jsonValue()).damage > 0, "Power Strike did damage");
  await page.waitForFunction(([id, max]) => window.emberkeep.game.entities.get(id).hp < max, [dummy.id, maxHp]);
  await page.waitForFunction(
    ([max]) => Number(document.getElementById("target-hp").dataset.hp) < max,
    [maxHp],
  );
  await page.waitForFunction(([sel, before]) => {
    const v = parseFloat(document.querySelector(sel).style.getPropertyValue("--cd")) || 0;
    return v < before;
  }, [slot, first]);
  await page.screenshot({ path: join(ARTIFACTS, "hotbar.png") });
  assertNoProblems(problems);
  await page.close();
});

test("a guest cooks fish at a campfire through the crafting window", { timeout: 90_000 }, async () => {
  const { browser, server, world } = session;
  const page = await openPage(browser, server, "cook", problems);
  await enterAsGuest(page, "Cook");
  await admin(server, world, "give", { name: "Cook", item: FISH.raw, count: FISH.count });
  await page.waitForFunction((item) => window.emberkeep.game.inventory.items.some((i) => i.item === item), FISH.raw);

  // A click on the campfire walks next to it and opens its window.
  const fire = await waitForEntity(page, { kind: "station", station: "campfire" });
  assert.deepEqual({ x: fire.x, y: fire.y }, CAMPFIRE);
  await clickTile(page, fire.x, fire.y);
  await page.waitForSelector("#panel-crafting:not([hidden])");
  const recipe = `#crafting-list li[data-recipe="${FISH.cooked}"]`;
  await page.waitForSelector(`${recipe}.can button.craft:not([disabled])`);

  // Two at once: the work bar runs, and both fish come out cooked.
  await page.fill(`${recipe} input[name=count]`, String(FISH.count));
  await page.click(`${recipe} button.craft`);
  await page.waitForSelector('#workbar[data-state="running"]');
  const held = (item) =>
    page.evaluate((i) => window.emberkeep.game.inventory.items.filter((x) => x.item === i).reduce((n, x) => n + x.count, 0), item);
  await page.waitForFunction(
    ([item, n]) => window.emberkeep.game.inventory.items.filter((x) => x.item === item).reduce((s, x) => s + x.count, 0) >= n,
    [FISH.cooked, FISH.count],
  );
  assert.equal(await held(FISH.raw), 0, "the raw fish were used up");
  // The window asked the campfire again when the run ended: nothing left to cook.
  await page.waitForSelector(`${recipe}.cannot button.craft[disabled]`);

  // The inventory panel lists the food.
  await page.keyboard.press("KeyI");
  const cooked = (await inventory(page)).find((i) => i.item === FISH.cooked);
  await page.waitForSelector(`#inv-list li[data-item="${cooked.id}"]`);
  await page.screenshot({ path: join(ARTIFACTS, "crafting.png") });
  assertNoProblems(problems);
  await page.close();
});

test("a GM teleport into a PvP zone puts up the red banner; leaving takes it down", { timeout: 60_000 }, async () => {
  const { browser, server, world } = session;
  const page = await openPage(browser, server, "roamer", problems);
  await enterAsGuest(page, "Roamer");
  assert.ok(await page.isHidden("#pvp-banner"), "no banner in the meadow");

  await admin(server, world, "teleport", { name: "Roamer", ...IN_PVP });
  await page.waitForSelector("#pvp-banner:not([hidden])");
  assert.match(await page.textContent("#pvp-banner"), /PvP zone — players can attack you/);
  await page.waitForSelector(".toast.pvp");
  await page.waitForFunction((name) => document.getElementById("zone-name").textContent.includes(`${name} · PvP`), RED_FIELD.name);
  await page.screenshot({ path: join(ARTIFACTS, "pvp.png") });

  await admin(server, world, "teleport", { name: "Roamer", ...WORLD.spawn });
  await page.waitForSelector("#pvp-banner", { state: "hidden" });
  assertNoProblems(problems);
  await page.close();
});

test("two guests duel through the menu and the prompt; in the PvP zone a click attacks a player", { timeout: 90_000 }, async () => {
  const { browser, server, world } = session;
  const ann = await openPage(browser, server, "ann", problems);
  const bob = await openPage(browser, server, "bob", problems);
  await enterAsGuest(ann, "Ann");
  const bobId = await enterAsGuest(bob, "Bob");
  const annBob = await waitForEntity(ann, { kind: "player", name: "Bob" });
  assert.equal(annBob.id, bobId);
  await settledAt(ann);

  // Ann right clicks Bob and picks Duel; Bob accepts the prompt; both see the duel banner.
  await clickTile(ann, annBob.x, annBob.y, "right");
  await ann.click('#context-menu [data-action="duel"]');
  await bob.waitForSelector('#prompts [data-prompt="duel"]');
  assert.match(await bob.textContent('#prompts [data-prompt="duel"] .text'), /Ann challenges you to a duel/);
  await bob.click('#prompts [data-prompt="duel"] [data-choice="accept"]');
  for (const [page, other] of [[ann, "Bob"], [bob, "Ann"]]) {
    await page.waitForSelector("#duel-banner:not([hidden])");
    assert.equal(await page.textContent("#duel-with"), other);
  }
  await ann.screenshot({ path: join(ARTIFACTS, "duel.png") });

  // Bob forfeits: both banners go, both pages know Ann won.
  await bob.click("#duel-forfeit");
  for (const page of [ann, bob]) {
    await page.waitForSelector("#duel-banner", { state: "hidden" });
    const end = await page.waitForFunction(() => window.emberkeep.pvp.lastEnd);
    const { winner, loser, reason } = await end.jsonValue();
    assert.deepEqual({ winner, loser, reason }, { winner: "Ann", loser: "Bob", reason: "forfeit" });
  }

  // In the Red Field a click on Bob attacks him (the server allows it there).
  await admin(server, world, "teleport", { name: "Ann", ...IN_PVP });
  await admin(server, world, "teleport", { name: "Bob", ...IN_PVP_2 });
  await ann.waitForSelector("#pvp-banner:not([hidden])");
  await ann.waitForFunction(([id, at]) => {
    const b = window.emberkeep.game.entities.get(id);
    return b && b.x === at.x && b.y === at.y;
  }, [bobId, IN_PVP_2]);
  const hpBefore = await bob.evaluate(() => window.emberkeep.game.stats.hp);
  await clickTile(ann, IN_PVP_2.x, IN_PVP_2.y);
  await ann.waitForFunction((id) => window.emberkeep.game.attacking === id, bobId);
  await bob.waitForFunction((hp) => window.emberkeep.game.stats.hp < hp, hpBefore);
  assertNoProblems(problems);
  await ann.close();
  await bob.close();
});
