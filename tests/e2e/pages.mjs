// Page helpers for the economy, social and trade browser tests: a page that records every
// console error, entering as a guest or an account character, clicking tiles and entities,
// and waiting for what the client knows. Every wait has the page's default timeout.

import assert from "node:assert/strict";

import { WAIT } from "./browser.mjs";

/** Opens a page that records console errors and uncaught exceptions into `problems`. */
export async function openPage(browser, server, label, problems) {
  const page = await browser.newPage();
  page.setDefaultTimeout(WAIT);
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`${label}: console.error: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`${label}: page error: ${e.message}`));
  // Pages of one browser share localStorage: none of them resumes another's session.
  await page.addInitScript(() => localStorage.removeItem("emberkeep.token"));
  await page.goto(server.url);
  return page;
}

export async function waitInWorld(page) {
  await page.waitForFunction(() => window.emberkeep.session.welcomes >= 1 && window.emberkeep.mapReady);
  await page.waitForSelector("#hud:not([hidden])");
}

/** Enters the world as a guest called `name` (of class `cls`, or the form's first); returns our entity id. */
export async function enterAsGuest(page, name, cls = null) {
  await page.waitForSelector("[data-tab=guest]");
  await page.click("[data-tab=guest]");
  await page.fill("#guest-name", name);
  if (cls) await page.selectOption("#guest-class", cls);
  await page.click("#guest-submit");
  await waitInWorld(page);
  return page.evaluate(() => window.emberkeep.game.me.id);
}

/** Registers account `user`, creates character `name` and plays it. */
export async function enterAsAccount(page, user, name) {
  await page.waitForSelector("[data-tab=register]");
  await page.click("[data-tab=register]");
  await page.fill("#username", user);
  await page.fill("#password", "correct horse battery");
  await page.click("#account-submit");
  await page.waitForSelector("#char-list");
  await page.fill("#new-char-name", name);
  await page.click("#char-list + form button[type=submit]");
  await page.waitForSelector("#char-list li button.primary");
  await page.click("#char-list li button.primary");
  await waitInWorld(page);
}

/** The screen point of a tile's centre. */
export function tileToScreen(page, x, y) {
  return page.evaluate(([tx, ty]) => window.emberkeep.tileToScreen(tx, ty), [x, y]);
}

/** Clicks a tile on the canvas (its centre), with `button` left or right. */
export async function clickTile(page, x, y, button = "left") {
  const at = await tileToScreen(page, x, y);
  await page.mouse.click(at.x, at.y, { button });
}

/** Our own tile, once every step we sent is confirmed. */
export async function settledAt(page) {
  const h = await page.waitForFunction(() => {
    const g = window.emberkeep.game;
    return g.self && g.pending === 0 && { x: g.self.x, y: g.self.y };
  });
  return h.jsonValue();
}

/** Walks to a tile by clicking it and waits until the server confirmed every step. */
export async function walkTo(page, x, y) {
  await clickTile(page, x, y);
  await page.waitForFunction(
    ([tx, ty]) => {
      const g = window.emberkeep.game;
      return g.self.x === tx && g.self.y === ty && g.pending === 0;
    },
    [x, y],
  );
}

/** The first entity in view whose fields match `props` (e.g. {kind: "npc", name: "Bob"}). */
export async function waitForEntity(page, props) {
  const handle = await page.waitForFunction((want) => {
    const found = [...window.emberkeep.game.entities.values()].find((e) =>
      Object.entries(want).every(([k, v]) => e[k] === v),
    );
    return found && { id: found.id, x: found.x, y: found.y, name: found.name };
  }, props);
  return handle.jsonValue();
}

/** The gold the HUD shows, as a number (null while it shows none). */
export async function hudGold(page) {
  const g = await page.getAttribute("#gold", "data-gold");
  return g === "" || g === null ? null : Number(g);
}

/** Waits until the HUD shows `gold`. */
export async function waitForGold(page, gold) {
  await page.waitForFunction((want) => document.getElementById("gold").dataset.gold === String(want), gold);
}

/** The inventory as [{id, item, count}]. */
export function inventory(page) {
  return page.evaluate(() => window.emberkeep.game.inventory.items.map(({ id, item, count }) => ({ id, item, count })));
}

export function assertNoProblems(problems) {
  assert.deepEqual(problems, [], "the page logged errors");
}
