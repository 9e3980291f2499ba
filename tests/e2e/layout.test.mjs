// Layout, touch, accessibility and sound of the web client, against the real server: at a
// phone (360 x 640, touch), a small window (800 x 500), a laptop (1280 x 720) and a big
// screen (2560 x 1440) the chat box never overlaps the hotbar, the toolbar or the HUD bars;
// axe-core finds no serious or critical violation on the login screen or in the world; on
// the phone the joystick walks and a tap walks; a UI click and a hit play their sounds, a
// zone sets the music theme, and volume and mute survive a reload. Screenshots: target/e2e/layout-<w>x<h>.png.
//
// Run: cargo build && (cd tests/e2e && npm ci) && node --test tests/e2e/layout.test.mjs

import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

import { ARTIFACTS, CHROMIUM, FLAGS, closeSession, openSession } from "./browser.mjs";
import { assertNoProblems, enterAsGuest, openPage, settledAt, tileToScreen } from "./pages.mjs";

const AXE = fileURLToPath(new URL("./node_modules/axe-core/axe.min.js", import.meta.url));
const PHONE = { width: 360, height: 640, touch: true };
const SMALL = { width: 800, height: 500, touch: false };
const LAPTOP = { width: 1280, height: 720, touch: false };
const BIG = { width: 2560, height: 1440, touch: false };

let session;
let mobile; // a second, non-persistent browser for contexts with their own viewport and touch
const problems = [];

before(async () => {
  session = await openSession();
  mobile = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
});

after(async () => {
  await mobile?.close().catch(() => {});
  await closeSession(session);
});

/** A page in a fresh context of `view`'s size (a phone: touch and mobile emulation). */
async function pageAt(view, label) {
  const context = await mobile.newContext({
    viewport: { width: view.width, height: view.height },
    hasTouch: view.touch,
    isMobile: view.touch,
  });
  const page = await openPage(context, session.server, label, problems);
  return { context, page };
}

/** axe-core's serious and critical violations on the page as it is now. */
async function seriousViolations(page) {
  if (!(await page.evaluate(() => !!window.axe))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")) }));
  });
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** Rects of the visible elements among `selectors` (hidden ones are left out). */
function rects(page, selectors) {
  return page.evaluate((sels) => {
    const out = {};
    for (const s of sels) {
      const el = document.querySelector(s);
      const r = el?.getBoundingClientRect();
      if (r && r.width > 0 && r.height > 0) out[s] = { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
    }
    return out;
  }, selectors);
}

const overlap = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

/** The chat's box overlaps none of the controls; every control is on screen. */
async function assertChatClear(page, view, label) {
  const controls = ["#hotbar", "#toolbar", "#hud", "#hud .bar.hp", "#hud .bar.mp", "#hud .bar.xp", "#joystick", "#touch-buttons"];
  const r = await rects(page, ["#chat", ...controls]);
  assert.ok(r["#chat"], `${label}: the chat (or its button) shows`);
  for (const c of ["#hotbar", "#toolbar", "#hud"]) assert.ok(r[c], `${label}: ${c} shows`);
  for (const c of controls) {
    if (!r[c]) continue;
    assert.ok(!overlap(r["#chat"], r[c]), `${label}: the chat ${JSON.stringify(r["#chat"])} covers ${c} ${JSON.stringify(r[c])}`);
    assert.ok(r[c].left >= 0 && r[c].right <= view.width + 0.5 && r[c].bottom <= view.height + 0.5, `${label}: ${c} is off screen ${JSON.stringify(r[c])}`);
  }
}

for (const view of [PHONE, SMALL, LAPTOP, BIG]) {
  const label = `${view.width}x${view.height}`;
  test(`at ${label} the chat never covers the controls and axe finds nothing serious`, { timeout: 90_000 }, async () => {
    const { context, page } = await pageAt(view, label);
    await page.waitForSelector("[data-tab=guest]");
    assert.deepEqual(await seriousViolations(page), [], `${label}: the login screen`);

    await enterAsGuest(page, `Lay${view.width}`);
    await page.waitForSelector("#hotbar:not([hidden])");
    await assertChatClear(page, view, label);
    // Touch controls only on the touch device.
    assert.equal(await page.isVisible("#joystick"), view.touch, `${label}: joystick`);
    if (view.touch) {
      // The chat starts folded on a phone; unfolded it still covers nothing.
      assert.equal(await page.getAttribute("#chat-toggle", "aria-expanded"), "false");
      await page.click("#chat-toggle");
      await page.waitForSelector("#chat-log", { state: "visible" });
      await assertChatClear(page, view, `${label} (chat open)`);
    }
    assert.deepEqual(await seriousViolations(page), [], `${label}: in the world`);
    await page.screenshot({ path: join(ARTIFACTS, `layout-${label}.png`) });
    await context.close();
    assertNoProblems(problems);
  });
}

test("on a phone the joystick walks and a tap walks", { timeout: 90_000 }, async () => {
  const { context, page } = await pageAt(PHONE, "phone");
  await enterAsGuest(page, "Thumb");
  const start = await settledAt(page);
  const pad = await page.locator("#joystick").boundingBox();
  const cx = pad.x + pad.width / 2;
  const cy = pad.y + pad.height / 2;
  // Push the knob up: steps north until released; one confirmed step is enough.
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  await page.mouse.move(cx, cy - pad.height / 2, { steps: 4 });
  await page.waitForFunction((y0) => {
    const g = window.emberkeep.game;
    return g.self.y < y0 && g.pending === 0;
  }, start.y);
  await page.mouse.up();
  const moved = await settledAt(page);
  assert.equal(moved.x, start.x, "the joystick walked straight up");
  assert.ok(moved.y < start.y, "the joystick walked north");

  // A tap on the ground two tiles east walks there (the tap is the click).
  const to = { x: moved.x + 2, y: moved.y };
  const at = await tileToScreen(page, to.x, to.y);
  await page.touchscreen.tap(at.x, at.y);
  await page.waitForFunction(
    ([tx, ty]) => {
      const g = window.emberkeep.game;
      return g.self.x === tx && g.self.y === ty && g.pending === 0;
    },
    [to.x, to.y],
  );
  await page.screenshot({ path: join(ARTIFACTS, "layout-touch.png") });
  await context.close();
  assertNoProblems(problems);
});

test("sounds play for a click and a hit, a zone sets the music, and volume and mute are kept", { timeout: 90_000 }, async () => {
  const { browser, server } = session;
  const page = await openPage(browser, server, "sound", problems);
  const id = await enterAsGuest(page, "Listener");
  // The first click started the audio: every effect loads.
  await page.waitForFunction(() => window.emberkeep.sound.ctx && window.emberkeep.sound.buffers.size === 14);
  await page.click("#toolbar button[data-panel=inventory]");
  await page.waitForFunction(() => {
    const p = window.emberkeep.sound.played;
    return p.includes("click") && p.includes("open");
  });
  await page.evaluate((me) => window.emberkeep.feed({ type: "hit", attacker: me, target: 999999, damage: 3, crit: false, hp: 1 }), id);
  await page.waitForFunction(() => window.emberkeep.sound.played.includes("hit"));
  await page.evaluate(() =>
    window.emberkeep.feed({ type: "zone", name: "Riverbank", safe: true, pvp: false, music: "river_song", min_level: null, max_level: null }),
  );
  await page.waitForFunction(() => window.emberkeep.sound.theme === "river_song" && window.emberkeep.sound.music?.track?.theme === "river_song");

  // Volume and mute through the top bar's control, kept over a reload.
  await page.click("#sound-button");
  await page.fill("#sound-volume", "35");
  await page.check("#sound-mute");
  assert.equal(await page.evaluate(() => window.emberkeep.sound.volume), 0.35);
  await page.screenshot({ path: join(ARTIFACTS, "layout-sound.png") });
  await page.reload();
  await page.waitForFunction(() => window.emberkeep?.sound);
  assert.deepEqual(await page.evaluate(() => ({ v: window.emberkeep.sound.volume, m: window.emberkeep.sound.muted })), { v: 0.35, m: true });
  assert.equal(await page.inputValue("#sound-volume"), "35");
  assert.equal(await page.isChecked("#sound-mute"), true);
  // Muted: nothing plays.
  const before = await page.evaluate(() => window.emberkeep.sound.played.length);
  await enterAsGuest(page, "Listener2");
  await page.click("#toolbar button[data-panel=inventory]");
  await page.waitForSelector("#panel-inventory:not([hidden])");
  assert.equal(await page.evaluate(() => window.emberkeep.sound.played.length), before);
  await page.close();
  assertNoProblems(problems);
});
