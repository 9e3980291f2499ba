// First-load figures of the web client (not a test; run by hand): opens the page on a fresh
// Chromium profile against the test world and reports the bytes transferred (headers and
// bodies, as Chromium's network log counts them; the WebSocket's frames are not included),
// the number of requests, the first paint, the client's first frame (`ek-first-frame`, the
// login screen) and, after entering as a guest, the time from the click to the first frame
// of the world (`ek-first-world-frame`). Then the same again with a warm cache (a reload).
//
// Run: cargo build && (cd tests/e2e && npm ci) && node tests/e2e/firstload.mjs
// (EMBERKEEP_BIN picks the server binary, as for the tests.)

import { closeSession, openSession, WAIT } from "./browser.mjs";

/** Counts what the page fetches over HTTP from now on. */
async function meter(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  const m = { requests: 0, bytes: 0, byType: {} };
  const types = new Map();
  cdp.on("Network.requestWillBeSent", (e) => {
    if (e.request.url.startsWith("http")) m.requests += 1;
  });
  cdp.on("Network.responseReceived", (e) => types.set(e.requestId, e.type));
  cdp.on("Network.loadingFinished", (e) => {
    m.bytes += e.encodedDataLength;
    const t = types.get(e.requestId) || "Other";
    m.byType[t] = (m.byType[t] || 0) + e.encodedDataLength;
  });
  return m;
}

/** Loads the page (or reloads it), enters as a guest, returns the figures. */
async function load(page, url, name, reload) {
  const m = await meter(page);
  if (reload) await page.reload();
  else await page.goto(url);
  await page.waitForFunction(() => performance.getEntriesByName("ek-first-frame").length > 0);
  await page.waitForSelector("[data-tab=guest]");
  const login = await page.evaluate(() => ({
    firstPaint: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null,
    firstFrame: performance.getEntriesByName("ek-first-frame")[0].startTime,
    domContentLoaded: performance.getEntriesByType("navigation")[0]?.domContentLoadedEventEnd ?? null,
  }));
  const beforeLogin = { requests: m.requests, bytes: m.bytes };
  await page.click("[data-tab=guest]");
  await page.fill("#guest-name", name);
  const clicked = await page.evaluate(() => performance.now());
  await page.click("#guest-submit");
  await page.waitForFunction(() => performance.getEntriesByName("ek-first-world-frame").length > 0);
  const world = await page.evaluate(() => performance.getEntriesByName("ek-first-world-frame")[0].startTime);
  return {
    loginScreen: { ...beforeLogin, ...login },
    inWorld: { requests: m.requests, bytes: m.bytes, byType: m.byType, enterToFirstWorldFrame: world - clicked },
  };
}

const round = (o) => JSON.parse(JSON.stringify(o, (k, v) => (typeof v === "number" ? Math.round(v) : v)));

const session = await openSession();
try {
  const page = await session.browser.newPage();
  page.setDefaultTimeout(WAIT);
  const cold = await load(page, session.server.url, "Firstload", false);
  const warm = await load(page, session.server.url, "Firstload2", true);
  console.log(JSON.stringify(round({ cold, warm }), null, 2));
} finally {
  await closeSession(session);
}
