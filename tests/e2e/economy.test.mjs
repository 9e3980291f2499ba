// Shops and the bank through the web client's windows, against the real server: a guest
// sells what it carries to a herbalist, buys from her, then deposits gold and an item at a
// banker. The HUD's gold and the windows must follow every step. Screenshots:
// target/e2e/shop.png, target/e2e/bank.png.
//
// Run: cargo build && (cd tests/e2e && npm ci) && node --test tests/e2e/economy.test.mjs

import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { ARTIFACTS, closeSession, openSession } from "./browser.mjs";
import { admin } from "./server.mjs";
import { assertNoProblems, clickTile, enterAsGuest, hudGold, inventory, openPage, waitForEntity, waitForGold } from "./pages.mjs";

// The shipped shops (assets/shops.toml): Ilsa sells minor health potions for 8 and buys
// spider silk for 3; Odo keeps the bank. Both stand near the meadow's spawn (8, 10).
const ILSA = { mob: "herbalist_ilsa", name: "Ilsa the Herbalist", x: 11, y: 7 };
const ODO = { mob: "banker_odo", name: "Odo the Banker", x: 5, y: 7 };
const SILK = { item: "spider_silk", count: 10, price: 3 };
const POTION = { item: "minor_health_potion", price: 8 };

let session;
const problems = [];

before(async () => {
  session = await openSession();
});

after(async () => {
  await closeSession(session);
});

test("a guest sells and buys at a shop and banks gold and an item through the windows", { timeout: 90_000 }, async () => {
  const { browser, server, world } = session;
  const page = await openPage(browser, server, "shopper", problems);
  await enterAsGuest(page, "Shopper");
  await waitForGold(page, 0);
  for (const npc of [ILSA, ODO]) await admin(server, world, "spawn", { mob: npc.mob, x: npc.x, y: npc.y, count: 1 });
  await admin(server, world, "give", { name: "Shopper", item: SILK.item, count: SILK.count });
  await page.waitForFunction((item) => window.emberkeep.game.inventory.items.some((i) => i.item === item), SILK.item);

  // A click on the herbalist walks next to her and opens her shop.
  const ilsa = await waitForEntity(page, { kind: "npc", name: ILSA.name });
  await clickTile(page, ilsa.x, ilsa.y);
  await page.waitForSelector("#panel-shop:not([hidden])");
  assert.equal(await page.textContent("#shop-name"), ILSA.name);
  const ware = `#shop-sells li[data-ware=${POTION.item}]`;
  assert.match(await page.textContent(ware), new RegExp(`${POTION.price} g`));

  // Sell all the silk: 30 gold in the HUD; the silk is gone from the bag.
  await page.click("#shop-buys li button.sell-all");
  await waitForGold(page, SILK.count * SILK.price);
  assert.ok(!(await inventory(page)).some((i) => i.item === SILK.item), "the silk was sold");
  assert.match(await page.textContent("#shop-buys"), /You carry nothing they buy/);

  // Buy one potion: 8 gold less, the potion in the bag, one fewer in stock.
  const stockBefore = await page.textContent(`${ware} .stock`);
  await page.click(`${ware} button.buy`);
  const afterBuy = SILK.count * SILK.price - POTION.price;
  await waitForGold(page, afterBuy);
  await page.waitForFunction((item) => window.emberkeep.game.inventory.items.some((i) => i.item === item), POTION.item);
  await page.waitForFunction(
    ([sel, before]) => document.querySelector(sel)?.textContent !== before,
    [`${ware} .stock`, stockBefore],
  );
  await page.screenshot({ path: join(ARTIFACTS, "shop.png") });

  // The banker: his bank window; walking away closed the shop.
  const odo = await waitForEntity(page, { kind: "npc", name: ODO.name });
  await clickTile(page, odo.x, odo.y);
  await page.waitForSelector("#panel-bank:not([hidden])");
  await page.waitForSelector("#panel-shop", { state: "hidden" });
  assert.equal(await page.getAttribute("#bank-gold-amount", "data-gold"), "0");

  await page.fill("#bank-gold-form input[name=amount]", "10");
  await page.click("#bank-gold-form button[name=deposit]");
  await waitForGold(page, afterBuy - 10);
  await page.waitForSelector('#bank-gold-amount[data-gold="10"]');

  const potion = (await inventory(page)).find((i) => i.item === POTION.item);
  await page.click(`#bank-bag li[data-item="${potion.id}"] button.deposit`);
  await page.waitForFunction(() => /Minor Health Potion/.test(document.getElementById("bank-items").textContent));
  assert.ok(!(await inventory(page)).some((i) => i.item === POTION.item), "the potion left the bag");
  assert.equal(await hudGold(page), afterBuy - 10);
  await page.screenshot({ path: join(ARTIFACTS, "bank.png") });
  assertNoProblems(problems);
  await page.close();
});
