// A newcomer's first minute through the web client, at a phone viewport (360 x 640, touch)
// and a desktop one (1280 x 720), against the real server: the loading screen covers the
// page until the map has loaded (with real progress) and goes; the tutorial card walks a
// fresh guest through move → attack → loot → equip → talk, each ticked off by the real
// thing (a confirmed step, a swing at a rat killed for its loot, the loot picked up, an item
// equipped from the inventory, Old Tamsin's dialogue), and then goes away for good; the
// minimap marks the player and the quest giver, and a click (tap) on it walks there; the
// quest arrow points at the giver, from over her head and from the screen's edge.
// Screenshots: target/e2e/tutorial-phone.png, target/e2e/tutorial-desktop.png.
//
// Run: cargo build && (cd tests/e2e && npm ci) && node --test tests/e2e/tutorial.test.mjs

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";

import { ARTIFACTS, CHROMIUM, FLAGS, WAIT, closeSession, openSession } from "./browser.mjs";
import { ERRAND, WORLD, admin } from "./server.mjs";
import { assertNoProblems, clickTile, enterAsGuest, waitForEntity } from "./pages.mjs";

const VIEWPORTS = [
  { label: "phone", name: "Sprout", viewport: { width: 360, height: 640 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
  { label: "desktop", name: "Fledge", viewport: { width: 1280, height: 720 }, isMobile: false, hasTouch: false, deviceScaleFactor: 1 },
];
const VEST = { item: "leather_vest", slot: "chest" };
/** Where the admin API puts a guest far from Old Tamsin (east of the meadow, clear of the pond). */
const FAR = { x: 33, y: 6 };

let session;
let browser;

before(async () => {
  // A rat always drops a tail here, so the loot step never waits on luck.
  session = await openSession({
    prepare: (world) => {
      const file = join(world.assets, "loot.toml");
      const loot = readFileSync(file, "utf8");
      const sure = loot.replace('{ item = "rat_tail", chance = 0.6,', '{ item = "rat_tail", chance = 1.0,');
      assert.notEqual(sure, loot, "the rat's loot table has a rat_tail drop");
      writeFileSync(file, sure);
    },
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
});

after(async () => {
  await browser?.close().catch(() => {});
  await closeSession(session);
});

for (const v of VIEWPORTS) {
  test(`a fresh guest plays the first minute through the tutorial (${v.label})`, { timeout: 120_000 }, async () => {
    const { server, world } = session;
    const problems = [];
    const context = await browser.newContext({
      viewport: v.viewport,
      isMobile: v.isMobile,
      hasTouch: v.hasTouch,
      deviceScaleFactor: v.deviceScaleFactor,
    });
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(WAIT);
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(`${v.label}: console.error: ${m.text()}`);
      });
      page.on("pageerror", (e) => problems.push(`${v.label}: page error: ${e.message}`));
      await page.goto(server.url);
      await enterAsGuest(page, v.name);

      // The loading screen covered the map's files (the .tmj and the tileset) and went.
      await page.waitForSelector("#loading", { state: "hidden" });
      const loads = await page.evaluate(() => ({ now: window.emberkeep.loading, history: window.emberkeep.loadingScreen.history }));
      assert.equal(loads.now, null, "nothing is loading any more");
      const mapLoad = loads.history.find((h) => h.what === WORLD.displayName);
      assert.ok(mapLoad, `a load of the map was recorded: ${JSON.stringify(loads.history)}`);
      assert.ok(mapLoad.shown && mapLoad.finished, `the map's load was shown and finished: ${JSON.stringify(mapLoad)}`);
      assert.ok(mapLoad.total >= 2 && mapLoad.done === mapLoad.total, `files done of total: ${JSON.stringify(mapLoad)}`);

      // The tutorial card, at its first step.
      await page.waitForSelector("#tutorial:not([hidden])");
      assert.equal(await page.evaluate(() => window.emberkeep.tutorial.step), "move");
      assert.equal(await page.getAttribute("#tutorial", "data-step"), "move");

      // The minimap marks us, and Old Tamsin with her quest; the arrow points at her.
      const tamsin = await waitForEntity(page, { kind: "npc", name: ERRAND.giver.name });
      await page.waitForFunction(
        ([me, giver]) => {
          const m = window.emberkeep.minimap.markers;
          return m.some((k) => k.kind === "self" && k.x === me.x && k.y === me.y) && m.some((k) => k.kind === "start" && k.template === giver);
        },
        [WORLD.spawn, ERRAND.giver.id],
      );
      await page.waitForSelector("#quest-arrow:not([hidden])");
      await assertArrowAt(page, ERRAND.giver.id, tamsin);

      // Step 1: walk (a key on the desktop, a tap on the ground on the phone).
      if (v.hasTouch) {
        const at = await page.evaluate(([x, y]) => window.emberkeep.tileToScreen(x, y), [WORLD.spawn.x, WORLD.spawn.y + 1]);
        await page.touchscreen.tap(at.x, at.y);
        await waitStepDone(page, "move");
      } else {
        // The guest form's field may keep the focus (keys typed there do not walk); held
        // until the server confirmed a step (a press can fall between two frames).
        await page.evaluate(() => document.activeElement?.blur?.());
        await page.keyboard.down("ArrowDown");
        await waitStepDone(page, "move");
        await page.keyboard.up("ArrowDown");
      }

      // A click (tap) on the minimap walks there: the road three tiles south.
      const goal = { x: WORLD.spawn.x, y: WORLD.spawn.y + 4 };
      const dot = await page.evaluate(([x, y]) => window.emberkeep.minimap.tileToScreen(x, y), [goal.x, goal.y]);
      if (v.hasTouch) await page.touchscreen.tap(dot.x, dot.y);
      else await page.mouse.click(dot.x, dot.y);
      await page.waitForFunction(() => window.emberkeep.minimap.walks === 1);
      await page.waitForFunction(([x, y]) => {
        const g = window.emberkeep.game;
        return g.self.x === x && g.self.y === y && g.pending === 0;
      }, [goal.x, goal.y]);

      // Far from Tamsin, the arrow sits at the screen's edge and still points at her.
      await admin(server, world, "teleport", { name: v.name, ...FAR });
      await page.waitForFunction(([x, y]) => window.emberkeep.game.self.x === x && window.emberkeep.game.self.y === y, [FAR.x, FAR.y]);
      await page.waitForFunction(() => window.emberkeep.questMarker.state?.edge === true);
      await assertArrowAt(page, ERRAND.giver.id, tamsin);
      await admin(server, world, "teleport", { name: v.name, ...goal });
      await page.waitForFunction(([x, y]) => window.emberkeep.game.self.x === x && window.emberkeep.game.self.y === y, [goal.x, goal.y]);

      // Step 2: a rat next to us; Space attacks the nearest mob. Kill it.
      await admin(server, world, "spawn", { mob: "rat", x: goal.x + 2, y: goal.y, count: 1 });
      await page.waitForFunction(() => [...window.emberkeep.game.entities.values()].some((e) => e.kind === "mob" && !e.dead));
      await page.keyboard.press("Space");
      await waitStepDone(page, "attack");
      const ratId = await page.evaluate(() => window.emberkeep.game.target);
      assert.ok(ratId, "Space picked a target");
      await page.waitForFunction((id) => {
        const e = window.emberkeep.game.entities.get(id);
        return !e || e.dead;
      }, ratId);

      // Step 3: its tail lies on the ground; a click (tap) picks it up. A click on a live mob
      // standing on loot attacks it instead, by design: rats are hostile, and another one
      // (a natural one, or the last test's) may come for us and stand on the tail. Each such
      // click fights it; the next one, once it is dead or gone, picks the tail up.
      const tail = await waitForEntity(page, { kind: "item", item: "rat_tail" });
      for (let tries = 0; ; tries++) {
        const onTail = await page.evaluate(
          ([x, y]) => [...window.emberkeep.game.entities.values()].find((e) => e.kind === "mob" && !e.dead && e.x === x && e.y === y)?.id ?? null,
          [tail.x, tail.y],
        );
        assert.ok(tries < 5, `the tail's tile was still held by a live mob after ${tries} fights: ${onTail}`);
        const tailAt = await page.evaluate(([x, y]) => window.emberkeep.tileToScreen(x, y), [tail.x, tail.y]);
        if (v.hasTouch) await page.touchscreen.tap(tailAt.x, tailAt.y);
        else await clickTile(page, tail.x, tail.y);
        if (onTail === null) break;
        await page.waitForFunction(
          ([id, x, y]) => {
            const e = window.emberkeep.game.entities.get(id);
            return !e || e.dead || e.x !== x || e.y !== y;
          },
          [onTail, tail.x, tail.y],
        );
      }
      await waitStepDone(page, "loot");
      assert.ok(await page.evaluate(() => window.emberkeep.game.inventory.items.some((i) => i.item === "rat_tail")), "the tail is in the bag");

      // Step 4: a leather vest into the bag (admin API), equipped from the inventory panel.
      await admin(server, world, "give", { name: v.name, item: VEST.item, count: 1 });
      const vestId = await page
        .waitForFunction((item) => window.emberkeep.game.inventory.items.find((i) => i.item === item)?.id, VEST.item)
        .then((h) => h.jsonValue());
      await page.evaluate(() => document.querySelector('#toolbar [data-panel="inventory"]').click());
      await page.waitForSelector("#panel-inventory:not([hidden])");
      await page.click(`#inv-list li[data-item="${vestId}"] button[title=Equip]`);
      await waitStepDone(page, "equip");
      assert.equal(await page.evaluate((slot) => window.emberkeep.game.equipment[slot]?.item, VEST.slot), VEST.item);
      await page.evaluate(() => window.emberkeep.hud.closeAll());

      // Step 5: talk to Old Tamsin (a click walks next to her); her words end the tutorial.
      // Two tiles south of her first, so that she is clear of the HUD on a phone's screen.
      const near = { x: WORLD.giver.x, y: WORLD.giver.y + 2 };
      await admin(server, world, "teleport", { name: v.name, ...near });
      await page.waitForFunction(([x, y]) => window.emberkeep.game.self.x === x && window.emberkeep.game.self.y === y, [near.x, near.y]);
      const npc = await waitForEntity(page, { kind: "npc", name: ERRAND.giver.name });
      // The camera slides after a teleport: tap where she is once it has arrived.
      await page.waitForFunction(() => {
        const { renderer: r, game: g } = window.emberkeep;
        return r.cam.x === Math.round((g.self.x + 0.5) * r.tile) && r.cam.y === Math.round((g.self.y + 0.5) * r.tile);
      });
      const npcAt = await page.evaluate(([x, y]) => window.emberkeep.tileToScreen(x, y), [npc.x, npc.y]);
      if (v.hasTouch) await page.touchscreen.tap(npcAt.x, npcAt.y);
      else await page.mouse.click(npcAt.x, npcAt.y);
      await page.waitForFunction(() => !!window.emberkeep.game.dialogue);
      await page.waitForFunction(() => window.emberkeep.tutorial.step === null);
      await page.waitForSelector("#tutorial", { state: "hidden" });
      assert.deepEqual(
        [...(await page.evaluate(() => window.emberkeep.tutorial.done))].sort(),
        ["attack", "equip", "loot", "move", "talk"],
      );
      // Next to her the arrow has nothing to show.
      await page.waitForSelector("#quest-arrow", { state: "hidden" });
      const saved = await page.evaluate((name) => JSON.parse(localStorage.getItem(`emberkeep.tutorial.${name}`)), v.name);
      assert.equal(saved.finished, true, "the tutorial is remembered as done for this character");

      await page.screenshot({ path: join(ARTIFACTS, `tutorial-${v.label}.png`) });
      assertNoProblems(problems);
    } catch (e) {
      for (const p of context.pages()) await p.screenshot({ path: join(ARTIFACTS, `tutorial-${v.label}-failed.png`) }).catch(() => {});
      throw e;
    } finally {
      await context.close().catch(() => {});
    }
  });
}

/** Waits until the tutorial has ticked off `step`. */
async function waitStepDone(page, step) {
  await page.waitForFunction((s) => window.emberkeep.tutorial.done.includes(s), step);
}

/** The quest arrow shows the giver and points from us toward her tile. */
async function assertArrowAt(page, template, giver) {
  const s = await page.evaluate(() => {
    const g = window.emberkeep.game;
    return { state: window.emberkeep.questMarker.state, me: { x: g.self.x, y: g.self.y } };
  });
  assert.ok(s.state, "the arrow is shown");
  assert.equal(s.state.template, template);
  const want = Math.atan2(giver.y - s.me.y, giver.x - s.me.x);
  const diff = Math.abs(Math.atan2(Math.sin(s.state.angle - want), Math.cos(s.state.angle - want)));
  assert.ok(diff < 0.35, `the arrow points at the giver: ${s.state.angle} vs ${want}`);
}
