// A trade between two pages through the web client's windows (docs/protocol.md, trade): two
// guests side by side; Trader right-clicks Buyer and picks Trade, Buyer accepts the prompt,
// both see the trade window; Trader offers an item from the inventory, both see it and then
// both accept states; the trade completes, both windows close with the server's reason, and
// the item has moved from Trader's bag to Buyer's. Screenshots: target/e2e/trade-a.png,
// target/e2e/trade-b.png.
//
// Needs the server side of trading (issue 16). Run: cargo build && (cd tests/e2e && npm ci)
// && node --test tests/e2e/trade.test.mjs

import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { ARTIFACTS, closeSession, openSession } from "./browser.mjs";
import { admin } from "./server.mjs";
import { assertNoProblems, clickTile, enterAsGuest, inventory, openPage, settledAt } from "./pages.mjs";

const PELT = { item: "wolf_pelt", name: "Wolf Pelt" };

let session;
const problems = [];

before(async () => {
  session = await openSession();
});

after(async () => {
  await closeSession(session);
});

/** The trade window's two accept states on a page, as the client shows them. */
const acceptStates = (page) =>
  page.evaluate(() => ({
    mine: document.getElementById("trade-mine-state").dataset.accepted === "true",
    theirs: document.getElementById("trade-theirs-state").dataset.accepted === "true",
  }));

async function waitForStates(page, mine, theirs) {
  await page.waitForFunction(
    ([m, t]) =>
      document.getElementById("trade-mine-state").dataset.accepted === String(m) &&
      document.getElementById("trade-theirs-state").dataset.accepted === String(t),
    [mine, theirs],
  );
}

test("two players trade an item through the trade window", { timeout: 90_000 }, async () => {
  const { browser, server, world } = session;
  const a = await openPage(browser, server, "trader", problems);
  const aId = await enterAsGuest(a, "Trader");
  const b = await openPage(browser, server, "buyer", problems);
  const bId = await enterAsGuest(b, "Buyer");
  // Both start on the spawn point: next to each other.
  await a.waitForFunction((id) => window.emberkeep.game.entities.has(id), bId);
  await b.waitForFunction((id) => window.emberkeep.game.entities.has(id), aId);
  await admin(server, world, "give", { name: "Trader", item: PELT.item, count: 1 });
  await a.waitForFunction((item) => window.emberkeep.game.inventory.items.some((i) => i.item === item), PELT.item);
  const pelt = (await inventory(a)).find((i) => i.item === PELT.item);
  assert.ok(!(await inventory(b)).some((i) => i.item === PELT.item), "Buyer has no pelt yet");

  // Trader asks through the player's menu (right click).
  await settledAt(a);
  const buyer = await a.evaluate((id) => {
    const e = window.emberkeep.game.entities.get(id);
    return { x: e.x, y: e.y };
  }, bId);
  await clickTile(a, buyer.x, buyer.y, "right");
  await a.waitForSelector("#context-menu:not([hidden])");
  assert.equal(await a.textContent("#context-menu .title"), "Buyer");
  await a.click('#context-menu [data-action="trade"]');

  // Buyer is asked, and accepts: the window opens on both pages.
  await b.waitForSelector('#prompts [data-prompt="trade"]');
  assert.match(await b.textContent('#prompts [data-prompt="trade"]'), /Trader wants to trade/);
  await b.click('#prompts [data-prompt="trade"] [data-choice="accept"]');
  await a.waitForSelector("#trade:not([hidden])");
  await b.waitForSelector("#trade:not([hidden])");
  assert.equal(await a.textContent("#trade-with"), "Buyer");
  assert.equal(await b.textContent("#trade-with"), "Trader");
  assert.deepEqual(await acceptStates(a), { mine: false, theirs: false });

  // Trader offers the pelt by clicking it in the inventory (opened with the trade).
  await a.waitForSelector("#panel-inventory:not([hidden])");
  await a.click(`#inv-list li[data-item="${pelt.id}"] button.offer`);
  await a.waitForFunction((name) => document.getElementById("trade-mine").textContent.includes(name), PELT.name);
  await b.waitForFunction((name) => document.getElementById("trade-theirs").textContent.includes(name), PELT.name);

  // Trader accepts: both pages show it; then Buyer accepts and the trade is done.
  await a.click("#trade-accept");
  await waitForStates(a, true, false);
  await waitForStates(b, false, true);
  await a.screenshot({ path: join(ARTIFACTS, "trade-a.png") });
  await b.screenshot({ path: join(ARTIFACTS, "trade-b.png") });
  await b.click("#trade-accept");
  for (const page of [a, b]) {
    await page.waitForSelector("#trade", { state: "hidden" });
    const end = await page.evaluate(() => window.emberkeep.trade.lastEnd);
    assert.equal(end?.done, true, `the trade completed: ${JSON.stringify(end)}`);
    assert.ok(end.reason, "the server says why the window closed");
  }
  await a.waitForFunction((id) => !window.emberkeep.game.inventory.items.some((i) => i.id === id), pelt.id);
  await b.waitForFunction((item) => window.emberkeep.game.inventory.items.some((i) => i.item === item), PELT.item);
  assert.ok(!(await inventory(a)).some((i) => i.item === PELT.item), "Trader lost the pelt");
  assertNoProblems(problems);
  await a.close();
  await b.close();
});
