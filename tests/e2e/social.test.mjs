// Chat tabs and the friends panel in the web client, against the real server, with two
// account characters on two pages: a line typed in the Global tab lands in Global (on both
// pages, with an unread mark on the other) and not in Local; a whisper goes to the Whisper
// tab and a plain line there answers the whisperer; a friend added in the panel shows online,
// and offline once they leave. Screenshot: target/e2e/social.png.
//
// Run: cargo build && (cd tests/e2e && npm ci) && node --test tests/e2e/social.test.mjs

import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { ARTIFACTS, closeSession, openSession } from "./browser.mjs";
import { assertNoProblems, enterAsAccount, openPage } from "./pages.mjs";

let session;
const problems = [];

before(async () => {
  session = await openSession();
});

after(async () => {
  await closeSession(session);
});

/** The text of the chat lines shown now (the tab's), and of those in tab `tab`. */
const shownLines = (page) =>
  page.$$eval("#chat-log .line.chat", (ls) => ls.filter((l) => !l.hidden).map((l) => l.textContent));
const linesIn = (page, tab) =>
  page.$$eval(`#chat-log .line[data-chat="${tab}"]`, (ls) => ls.map((l) => l.textContent));

async function typeLine(page, text) {
  await page.click("#chat-input");
  await page.keyboard.type(text);
  await page.keyboard.press("Enter");
}

async function waitForLine(page, tab, text) {
  await page.waitForFunction(
    ([t, want]) => [...document.querySelectorAll(`#chat-log .line[data-chat="${t}"]`)].some((l) => l.textContent === want),
    [tab, text],
  );
}

test("chat tabs route lines; the friends panel shows a friend online", { timeout: 90_000 }, async () => {
  const { browser, server } = session;
  const stamp = Date.now() % 1_000_000;
  const ann = await openPage(browser, server, "ann", problems);
  await enterAsAccount(ann, `ann${stamp}`, "Annika");
  const bob = await openPage(browser, server, "bob", problems);
  await enterAsAccount(bob, `bob${stamp}`, "Borin");

  // Global: typed in the Global tab, it shows there on both pages, not in Local.
  await ann.click('[data-chat-tab="global"]');
  await typeLine(ann, "anyone for the crypt?");
  const global = "[Global] Annika: anyone for the crypt?";
  await waitForLine(ann, "global", global);
  await waitForLine(bob, "global", global);
  assert.deepEqual(await shownLines(ann), [global], "the Global tab shows the line");
  await ann.click('[data-chat-tab="local"]');
  assert.deepEqual(await shownLines(ann), [], "Local does not show a global line");
  assert.deepEqual(await linesIn(ann, "local"), []);
  await bob.waitForSelector('[data-chat-tab="global"].unread .badge:text("1")');

  // Local chat goes to Local; All shows both.
  await typeLine(ann, "hello nearby");
  await waitForLine(ann, "local", "Annika: hello nearby");
  await ann.click('[data-chat-tab="all"]');
  assert.deepEqual(await shownLines(ann), [global, "Annika: hello nearby"]);

  // A whisper lands in the Whisper tab; a plain line there answers the whisperer.
  await typeLine(bob, "/w Annika psst");
  await waitForLine(ann, "whisper", "Borin whispers: psst");
  await ann.waitForSelector('[data-chat-tab="whisper"].unread');
  await ann.click('[data-chat-tab="whisper"]');
  await typeLine(ann, "yes?");
  await waitForLine(bob, "whisper", "Annika whispers: yes?");
  await waitForLine(ann, "whisper", "To Borin: yes?");

  // Friends: added by name in the panel, shown online with a green dot.
  await ann.click('#toolbar [data-panel="friends"]');
  await ann.waitForSelector("#panel-friends:not([hidden])");
  assert.match(await ann.textContent("#friends-list"), /No friends yet/);
  await ann.fill("#friend-add input[name=name]", "borin");
  await ann.click("#friend-add button");
  await ann.waitForSelector('#friends-list li[data-name="Borin"][data-online="true"] .dot.on');
  await ann.screenshot({ path: join(ARTIFACTS, "social.png") });

  // Borin leaves: the panel follows (friend_status).
  await bob.click("#leave-button");
  await ann.waitForSelector('#friends-list li[data-name="Borin"][data-online="false"] .dot.off');
  await ann.click('#friends-list li[data-name="Borin"] button.remove');
  await ann.waitForFunction(() => /No friends yet/.test(document.getElementById("friends-list").textContent));
  assertNoProblems(problems);
  await ann.close();
  await bob.close();
});
