// What the browser tests share: Debian's Chromium, headless, launched by playwright-core on a
// fresh profile, against a real server on the test world (server.mjs).

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

import { REPO, startServer, stopServer, writeTestWorld } from "./server.mjs";

export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
/** Screenshots go here. */
export const ARTIFACTS = join(REPO, "target", "e2e");
/** The longest single wait. */
export const WAIT = 20_000;
/** Chromium's command line flags for every test browser. */
export const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Writes the test world, starts the server on it and a browser; `closeSession` ends all.
 * `prepare(world)` may change the world's files before the server reads them.
 */
export async function openSession({ prepare } = {}) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const world = writeTestWorld();
  prepare?.(world);
  const server = await startServer({ config: world.config });
  const profile = mkdtempSync(join(tmpdir(), "emberkeep-chromium-"));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 720 },
  });
  return { world, server, profile, browser };
}

/** Stops what `openSession` started (the server may have been replaced: pass the live one). */
export async function closeSession(session, server = session?.server) {
  await session?.browser?.close().catch(() => {});
  if (server) await stopServer(server);
  for (const d of [session?.profile, session?.world?.dir]) if (d) rmSync(d, { recursive: true, force: true });
}
