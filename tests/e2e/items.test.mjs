// Items in the web client against the real server: icons from the atlas for every item in the
// bag, a weapon's tooltip with its stats and a comparison with the worn weapon, only the
// actions that apply (no Equip or Use on a rat tail), a question before a potion is wasted at
// full hp, a potion dragged onto the hotbar and used by its key, a weapon dragged onto the
// equipment panel and the worn one dragged back into the bag. Items come from the admin API.
// Screenshots: target/e2e/items-tooltip.png, target/e2e/items-hotbar.png.
//
// Run: cargo build && (cd tests/e2e && npm ci) && node --test tests/e2e/items.test.mjs

import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { ARTIFACTS, closeSession, openSession } from "./browser.mjs";
import { admin } from "./server.mjs";
import { assertNoProblems, enterAsGuest, openPage } from "./pages.mjs";

// The shipped items (assets/items.toml): a warrior starts with the Rusty Sword (attack 3)
// worn; the Iron Sword has attack 7.
const GIFTS = [
  { item: "iron_sword", count: 1 },
  { item: "rat_tail", count: 3 },
  { item: "minor_health_potion", count: 3 },
  { item: "mana_potion", count: 1 },
  { item: "leather_cap", count: 1 },
];

let session;
const problems = [];

before(async () => {
  session = await openSession();
});

after(async () => {
  await closeSession(session);
});

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

const row = (item) => `#inv-list li[data-template="${item}"]`;
const carried = (page, item) =>
  page.evaluate((i) => window.emberkeep.game.inventory.items.filter((x) => x.item === i).reduce((n, x) => n + x.count, 0), item);

test("item icons, tooltips with a comparison, the actions that apply, and drag and drop", { timeout: 120_000 }, async () => {
  const { browser, server, world } = session;
  const page = await openPage(browser, server, "items", problems);
  await enterAsGuest(page, "Itemer", "warrior");
  await page.waitForFunction(() => window.emberkeep.game.equipment.weapon?.item === "rusty_sword");
  for (const g of GIFTS) await admin(server, world, "give", { name: "Itemer", item: g.item, count: g.count });
  await page.waitForFunction(
    (items) => items.every((i) => window.emberkeep.game.inventory.items.some((x) => x.item === i)),
    GIFTS.map((g) => g.item),
  );
  await page.waitForFunction(() => !!window.emberkeep.items.itemInfo("iron_sword"));
  await recordSent(page);
  await page.click('#toolbar button[data-panel="inventory"]');
  await page.click('#toolbar button[data-panel="equipment"]');

  // Every item in the bag shows its own cell of the atlas, not the generic icon.
  for (const g of GIFTS) await page.waitForSelector(`${row(g.item)} .item-icon[data-icon="${g.item}"]`);
  const icons = await page.$$eval("#inv-list li[data-template]", (lis) =>
    lis.map((li) => {
      const icon = li.querySelector(".item-icon");
      return { item: li.dataset.template, icon: icon?.dataset.icon, image: getComputedStyle(icon).backgroundImage, at: icon.style.backgroundPosition };
    }),
  );
  assert.ok(icons.length >= GIFTS.length, JSON.stringify(icons));
  for (const i of icons) {
    assert.equal(i.icon, i.item, `icon of ${i.item}`);
    assert.match(i.image, /icons\/items\.png/);
    assert.notEqual(i.at.replace(/-/g, ""), "0px 0px", `${i.item} is not the generic cell`);
  }
  const atlas = await page.evaluate(async () => (await fetch("icons/items.png")).status);
  assert.equal(atlas, 200);

  // Hovering the Iron Sword: its stats and how it compares with the worn Rusty Sword.
  await page.hover(`${row("iron_sword")} .name`);
  await page.waitForSelector('#item-tooltip:not([hidden])[data-item="iron_sword"]');
  const tip = await page.textContent("#item-tooltip");
  assert.match(tip, /Iron Sword/);
  assert.match(tip, /weapon/);
  assert.match(tip, /\+7 Attack/);
  assert.match(tip, /Compared with Rusty Sword \(worn\)/);
  assert.equal(await page.getAttribute('#item-tooltip .tt-up[data-stat="attack"]', "data-diff"), "4");
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector("#item-tooltip .tt-up")).color), "rgb(111, 220, 122)");
  await page.screenshot({ path: join(ARTIFACTS, "items-tooltip.png") });
  // A cap compares with the empty head slot.
  await page.hover(`${row("leather_cap")} .name`);
  await page.waitForSelector('#item-tooltip:not([hidden])[data-item="leather_cap"]');
  assert.match(await page.textContent("#item-tooltip"), /Nothing worn on head/);

  // The worn sword in the equipment panel says so.
  await page.hover('#eq-list li[data-slot="weapon"] .name');
  await page.waitForSelector('#item-tooltip:not([hidden])[data-item="rusty_sword"]');
  assert.match(await page.textContent("#item-tooltip .tt-compare"), /Worn\./);
  assert.match(await page.textContent("#item-tooltip"), /\+3 Attack/);

  // Only the actions that apply.
  assert.equal(await page.$$eval(`${row("rat_tail")} button.equip, ${row("rat_tail")} button.use`, (b) => b.length), 0);
  await page.waitForSelector(`${row("rat_tail")} button.drop`);
  await page.waitForSelector(`${row("iron_sword")} button.equip`);
  assert.equal(await page.$$eval(`${row("iron_sword")} button.use`, (b) => b.length), 0);
  await page.waitForSelector(`${row("minor_health_potion")} button.use`);
  assert.equal(await page.$$eval(`${row("minor_health_potion")} button.equip`, (b) => b.length), 0);

  // A potion at full hp: the page asks first; Cancel sends nothing.
  const stats = await page.evaluate(() => ({ hp: window.emberkeep.game.stats.hp, max: window.emberkeep.game.stats.max_hp }));
  assert.ok(stats.max > 0 && stats.hp === stats.max, JSON.stringify(stats));
  await page.click(`${row("minor_health_potion")} button.use`);
  await page.waitForSelector('#prompts [data-prompt="use-item"]');
  assert.match(await page.textContent('#prompts [data-prompt="use-item"]'), /full health/);
  await page.click('#prompts [data-prompt="use-item"] button[data-choice="cancel"]');
  assert.deepEqual(await sent(page, "use"), []);
  assert.equal(await carried(page, "minor_health_potion"), 3);

  // Drag the potion onto a free hotbar slot: the slot shows its icon and count; its key uses one.
  await page.waitForSelector("#hotbar:not([hidden]) .drop-slot");
  const free = await page.getAttribute("#hotbar .drop-slot", "data-slot");
  await page.dragAndDrop(`${row("minor_health_potion")} .name`, `#hotbar .drop-slot[data-slot="${free}"]`);
  const slot = `#hotbar .item-slot[data-slot="${free}"][data-template="minor_health_potion"]`;
  await page.waitForSelector(`${slot}[data-count="3"] .item-icon[data-icon="minor_health_potion"]`);
  const stored = await page.evaluate(() => localStorage.getItem("emberkeep.hotbar.items.Itemer"));
  assert.deepEqual(JSON.parse(stored), { [free]: "minor_health_potion" });
  // Abilities keep their keys: slot 1 is still Power Strike.
  await page.waitForSelector('#hotbar .slot[data-slot="1"][data-ability="power_strike"]');
  await page.keyboard.press(`Digit${free}`);
  await page.waitForSelector('#prompts [data-prompt="use-item"]');
  await page.click('#prompts [data-prompt="use-item"] button[data-choice="use"]');
  await page.waitForSelector(`${slot}[data-count="2"]`);
  assert.equal(await carried(page, "minor_health_potion"), 2);
  assert.equal((await sent(page, "use")).length, 1);
  await page.screenshot({ path: join(ARTIFACTS, "items-hotbar.png") });

  // A drop where it does not apply does nothing: a rat tail onto the equipment panel or the hotbar.
  await page.dragAndDrop(`${row("rat_tail")} .name`, "#eq-list");
  await page.dragAndDrop(`${row("rat_tail")} .name`, `#hotbar .item-slot[data-slot="${free}"]`);
  assert.deepEqual(await sent(page, "equip"), []);
  await page.waitForSelector(`${slot}[data-count="2"]`);

  // Drag the Iron Sword onto the equipment panel: it is worn; drag it back into the bag.
  await page.dragAndDrop(`${row("iron_sword")} .name`, '#eq-list li[data-slot="weapon"]');
  await page.waitForFunction(() => window.emberkeep.game.equipment.weapon?.item === "iron_sword");
  await page.waitForSelector('#eq-list li[data-slot="weapon"] .item-icon[data-icon="iron_sword"]');
  await page.dragAndDrop('#eq-list li[data-slot="weapon"] .name', "#inv-list");
  await page.waitForFunction(() => !window.emberkeep.game.equipment.weapon);
  assert.deepEqual(await sent(page, "unequip"), [{ type: "unequip", slot: "weapon" }]);

  assertNoProblems(problems);
  await page.close();
});
