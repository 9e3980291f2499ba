// The issue-17 windows of the web client on their own: the page is fed the events of the wire
// spec (abilities, cooldown, cast_start/cast_end, skills/skill, station, craft_start,
// duel_request/duel_start/duel_end) through `window.emberkeep.feed`, as if the server had
// sent them, and the test checks what it shows and what it sends back (every sent message is
// recorded). It needs no server support for those features, so it also guards the client when
// the server side changes; skills.test.mjs drives the same windows against the real rules.
// Screenshot: target/e2e/hud17.png.
//
// Run: cargo build && (cd tests/e2e && npm ci) && node --test tests/e2e/hud17.test.mjs

import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { ARTIFACTS, closeSession, openSession } from "./browser.mjs";
import { DUMMY, admin } from "./server.mjs";
import { assertNoProblems, clickTile, enterAsGuest, openPage, waitForEntity } from "./pages.mjs";

const ABILITIES = [
  { id: "power_strike", name: "Power Strike", description: "A heavy blow.", kind: "active", target: "enemy", mana: 8, cooldown_ticks: 120, cast_ticks: 0, range: 1, radius: 0, level: 1, learned: true, ready_in: 0 },
  { id: "war_cry", name: "War Cry", description: "A shout.", kind: "active", target: "self", mana: 10, cooldown_ticks: 200, cast_ticks: 0, range: 0, radius: 2, level: 1, learned: true, ready_in: 0 },
  { id: "ground_slam", name: "Ground Slam", description: "Shakes the ground.", kind: "active", target: "ground", mana: 12, cooldown_ticks: 200, cast_ticks: 20, range: 4, radius: 1, level: 3, learned: false, ready_in: 0 },
  { id: "toughness", name: "Toughness", description: "Harder to hurt.", kind: "passive", level: 2, learned: false, ready_in: 0 },
];
/** A campfire fed next to where the page stands after walking up to the dummy. */
const STATION = { id: 990001, x: 8, y: 11 };
const RECIPES = [
  { id: "cooked_fish", name: "Cooked Fish", skill: "cooking", level: 1, ticks: 40, inputs: [{ item: "raw_fish", count: 1 }], outputs: [{ item: "cooked_fish", count: 1 }], can_craft: true },
  { id: "fish_stew", name: "Fish Stew", skill: "cooking", level: 5, ticks: 40, inputs: [{ item: "raw_fish", count: 2 }], outputs: [{ item: "fish_stew", count: 1 }], can_craft: false },
];

let session;
const problems = [];

before(async () => {
  session = await openSession();
});

after(async () => {
  await closeSession(session);
});

/** Applies a server event in the page as if it had come over the socket. */
const feed = (page, ev) => page.evaluate((e) => window.emberkeep.feed(e), ev);
/** The messages the page sent since `recordSent`, of one type. */
const sent = (page, type) => page.evaluate((t) => window.__sent.filter((m) => m.type === t), type);
function recordSent(page) {
  return page.evaluate(() => {
    window.__sent = [];
    const conn = window.emberkeep.conn;
    const send = conn.send.bind(conn);
    conn.send = (m) => {
      window.__sent.push(m);
      return send(m);
    };
  });
}

test("the hotbar, cast bar, skills panel, crafting window and duel prompt follow the spec's events", { timeout: 90_000 }, async () => {
  const { browser, server, world } = session;
  const page = await openPage(browser, server, "fed", problems);
  const me = await enterAsGuest(page, "Fed", "warrior");
  await recordSent(page);

  // The hotbar: learned actives first, then the locked one with its level; passives aside.
  await feed(page, { type: "abilities", abilities: ABILITIES });
  await page.waitForSelector("#hotbar:not([hidden])");
  const slots = await page.$$eval("#hotbar-slots .slot", (bs) => bs.map((b) => [b.dataset.slot, b.dataset.ability, b.classList.contains("locked")]));
  assert.deepEqual(slots, [["1", "power_strike", false], ["2", "war_cry", false], ["3", "ground_slam", true]]);
  assert.match(await page.textContent('#hotbar [data-slot="3"] .lock'), /Lv 3/);
  await page.waitForSelector('#passives [data-ability="toughness"]');

  // Key 1 at the dummy we clicked: a cast with it as the target; key 2 (self): no target.
  await admin(server, world, "spawn", { mob: DUMMY.id, x: 10, y: 10, count: 1 });
  const dummy = await waitForEntity(page, { kind: "mob", name: DUMMY.name });
  await clickTile(page, dummy.x, dummy.y);
  await page.waitForFunction((id) => {
    const g = window.emberkeep.game;
    const d = g.entities.get(id);
    return g.pending === 0 && Math.max(Math.abs(g.self.x - d.x), Math.abs(g.self.y - d.y)) <= 1;
  }, dummy.id);
  await page.keyboard.press("Digit1");
  await page.keyboard.press("Digit2");
  assert.deepEqual(await sent(page, "cast"), [
    { type: "cast", ability: "power_strike", target: dummy.id },
    { type: "cast", ability: "war_cry" },
  ]);
  // Key 3 is locked: nothing is sent.
  await page.keyboard.press("Digit3");
  assert.equal((await sent(page, "cast")).length, 2);

  // Too little mana greys slot 1; a cooldown sweeps over it and runs out.
  // (Fed and read in one go: a real stat_update may follow the real cast.)
  const greyed = await page.evaluate((id) => {
    window.emberkeep.feed({ type: "stat_update", id, mp: 5 });
    window.emberkeep.hotbar.tick(performance.now());
    return document.querySelector('#hotbar [data-slot="1"]').classList.contains("no-mana");
  }, me);
  assert.ok(greyed, "slot 1 is greyed without the mana");
  await feed(page, { type: "cooldown", ability: "war_cry", ticks: 20 });
  await page.waitForSelector('#hotbar [data-slot="2"][data-cooldown]');
  await page.waitForSelector('#hotbar [data-slot="2"]:not([data-cooldown])', { timeout: 5_000 });

  // Our own cast fills the cast bar; cut short, it says why.
  await feed(page, { type: "cast_start", id: me, ability: "war_cry", ticks: 40 });
  await page.waitForSelector('#castbar[data-state="running"]');
  assert.equal(await page.textContent("#castbar .label"), "War Cry");
  await feed(page, { type: "cast_end", id: me, ability: "war_cry", done: false, reason: "moved" });
  await page.waitForSelector('#castbar[data-state="failed"]');
  assert.match(await page.textContent("#castbar .label"), /Interrupted/);

  // Skills (K asks for them); a level gained is a toast.
  await page.keyboard.press("KeyK");
  await page.waitForSelector("#panel-skills:not([hidden])");
  assert.equal((await sent(page, "skills")).length, 1);
  // (The real server answers that request: wait for its list, or it could land after ours.)
  await page.waitForSelector('#skills-list li[data-skill="mining"]');
  await feed(page, { type: "skills", skills: [{ id: "mining", name: "Mining", level: 1, xp: 40, xp_next: 50 }, { id: "cooking", name: "Cooking", level: 1, xp: 0, xp_next: 50 }] });
  await page.waitForSelector('#skills-list li[data-skill="mining"][data-level="1"]');
  await feed(page, { type: "skill", id: "mining", level: 2, xp: 5, xp_next: 70, gained: 15 });
  await page.waitForSelector('#skills-list li[data-skill="mining"][data-level="2"]');
  await page.waitForFunction(() => [...document.querySelectorAll(".toast")].some((t) => /Mining level 2/.test(t.textContent)));

  // A station's window: a Craft for what can be made, a greyed one for what cannot.
  await feed(page, { type: "spawn", id: STATION.id, kind: "station", name: "Campfire", station: "campfire", x: STATION.x, y: STATION.y });
  await feed(page, { type: "station", id: STATION.id, station: "campfire", recipes: RECIPES });
  await page.waitForSelector("#panel-crafting:not([hidden])");
  await page.waitForSelector('#crafting-list li[data-recipe="fish_stew"].cannot button.craft[disabled]');
  await page.fill('#crafting-list li[data-recipe="cooked_fish"] input[name=count]', "3");
  await page.click('#crafting-list li[data-recipe="cooked_fish"] button.craft');
  assert.deepEqual(await sent(page, "craft"), [{ type: "craft", recipe: "cooked_fish", count: 3 }]);
  await feed(page, { type: "craft_start", recipe: "cooked_fish", ticks: 40, left: 3 });
  await page.waitForSelector('#workbar[data-state="running"]');
  assert.match(await page.textContent("#workbar .label"), /Cooking Cooked Fish · 2 more/);
  await page.screenshot({ path: join(ARTIFACTS, "hud17.png") });
  // Escape while crafting interrupts (and closes the window); the bar says it stopped.
  await page.keyboard.press("Escape");
  assert.equal((await sent(page, "interrupt")).length, 1);
  await feed(page, { type: "craft_end", recipe: "cooked_fish", done: false, reason: "interrupted", left: 3 });
  await page.waitForSelector('#workbar[data-state="failed"]');

  // A duel request: Accept answers with the challenger's name; the banner; Forfeit.
  await feed(page, { type: "duel_request", from: "Carol" });
  await page.click('#prompts [data-prompt="duel"] [data-choice="accept"]');
  assert.deepEqual(await sent(page, "duel_request"), [{ type: "duel_request", name: "Carol" }]);
  await feed(page, { type: "duel_start", with: "Carol", id: 990002 });
  await page.waitForSelector("#duel-banner:not([hidden])");
  await page.click("#duel-forfeit");
  assert.deepEqual(await sent(page, "duel_cancel"), [{ type: "duel_cancel" }]);
  await feed(page, { type: "duel_end", winner: "Carol", loser: "Fed", reason: "forfeit" });
  await page.waitForSelector("#duel-banner", { state: "hidden" });
  assertNoProblems(problems);
  await page.close();
});
