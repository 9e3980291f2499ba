// Entry point: finds the server (`/client-config.json`), runs the session (guest, or login →
// character → play), reconnects by itself with the session token, loads the map we are on
// (again after each `map` event), and drives the frame loop.
//
// Session flow (docs/protocol.md):
//   guest:   open → hello {version, name, class} → welcome
//   account: open → hello {version} → server_info → login | register | resume {token}
//            → logged_in → play {name} → welcome
//   handoff: (server: handoff {url, token}) → open url → hello {version} → server_info
//            → handoff {token} → logged_in → welcome
// After a drop the same flow runs again: guests send their hello again, accounts resume
// with the stored token and play the same character. A handoff that fails does the same
// against the page's own server.

import { Connection, PROTOCOL_VERSION, loadToken, saveToken, describeClose } from "./net.js";
import { Game } from "./game.js";
import { Renderer } from "./render.js";
import { loadMap } from "./map.js";
import { Screens } from "./ui.js";
import { Hud } from "./hud.js";
import { Observer } from "./observer.js";
import { Story } from "./story.js";
import { bindInput } from "./input.js";
import { Shops } from "./shop.js";
import { Trade } from "./trade.js";
import { Friends, Guild, Party } from "./social.js";
import { showMenu } from "./popups.js";
import { Progress } from "./progress.js";
import { Hotbar } from "./hotbar.js";
import { Skills } from "./skills.js";
import { Gathering } from "./gathering.js";
import { Crafting } from "./crafting.js";
import { Pvp } from "./pvp.js";
import { Loading } from "./loading.js";
import { Minimap } from "./minimap.js";
import { QuestMarker } from "./questmarker.js";
import { Tutorial } from "./tutorial.js";
import { loadCatalog, itemInfo } from "./catalog.js";
import { loadIcons } from "./icons.js";
import { Tooltip } from "./tooltip.js";
import { DragDrop } from "./dragdrop.js";
import { actionsFor, useItem } from "./itemactions.js";
import { sound } from "./sound.js";
import { bindSoundUi } from "./sound_ui.js";
import { bindTouch } from "./touch.js";
import { bindLayout, markFrame } from "./layout.js";
import { layersOf, loadSprites } from "./sprites.js";

/** A handoff that has not brought us into the world by then has failed. */
const HANDOFF_TIMEOUT_MS = 10_000;
/** Handoffs in a row without entering the world: more means the servers pass us round in a loop. */
const MAX_HANDOFFS = 4;

/** Errors after which reconnecting is pointless until the person does something. */
const FINAL_ERRORS = {
  version_mismatch: { title: "Version mismatch", hint: "Reload the page to get the client this server speaks." },
  banned: { title: "Banned", hint: "" },
};

const session = {
  intent: { kind: "account" }, // or { kind: "guest", name, class }
  info: null, // server_info (or our guess for a guests-only server)
  account: null, // logged_in: { account, role, characters }
  character: null, // the account character we play, to resume after a drop
  inWorld: false,
  dropped: false, // we lost a connection that had a session: reconnecting
  playAfterFrame: false,
  pingSent: 0,
  wsUrl: "",
  welcomes: 0, // how many times we entered the world (the browser test counts reconnects)
  mapLoading: null, // file id of the map being fetched
  mapShown: false, // a map has been drawn since the page loaded (later loads cover late)
  handoff: null, // a handoff under way: { url, token, timer }
  handoffs: 0, // handoffs since we last entered the world
};

let conn;
const loading = new Loading(); // first: the cover is up from page load

/** Everything we send goes through here (the tutorial notes pick-ups and equips). */
function sendOut(msg) {
  tutorial.sent(msg);
  return conn.send(msg);
}

const game = new Game({
  log: (channel, text, cls) => hud.log(channel, text, cls),
  chat: (ev) => hud.chat.onChat(ev),
  changed: (what) => changed(what),
  send: (msg) => sendOut(msg),
  toast: (text, cls) => story.toast(text, cls),
});
const renderer = new Renderer(document.getElementById("world"), game);
const hud = new Hud(game, (msg) => sendOut(msg));
const story = new Story(game);
const send = (msg) => sendOut(msg);
const shops = new Shops(game, hud, send);
const trade = new Trade(game, hud, send, (text, cls) => story.toast(text, cls));
const friends = new Friends(hud, send, hud.chat);
const party = new Party(game, hud, send);
const guild = new Guild(game, hud, send);
const toast = (text, cls) => story.toast(text, cls);
const castBar = new Progress("castbar");
const workBar = new Progress("workbar"); // gathering and crafting
const hotbar = new Hotbar(game, hud, send, toast, castBar);
const skills = new Skills(game, hud, send, toast);
const gathering = new Gathering(game, hud, send, workBar);
const crafting = new Crafting(game, hud, send, workBar);
const pvp = new Pvp(game, hud, send, toast);
const minimap = new Minimap(game, renderer);
const questMarker = new QuestMarker(game, renderer);
const tutorial = new Tutorial(game);
renderer.aim = () => hotbar.aim;
const tooltip = new Tooltip(game);
const dragdrop = new DragDrop(game, hotbar, send);
hotbar.useItem = (it) => useItem(it, game, send);
/** The windows that follow server events of their own (after the Game has seen each). */
const windows = [shops, trade, friends, party, guild, hotbar, skills, gathering, crafting, pvp, minimap, tutorial, sound];
/** A cast, a gather or a craft of ours is under way (Escape or × interrupts it). */
const busy = () => castBar.active || gathering.busy || crafting.busy;
hud.chat.local.trade = (name) => !!name && trade.requestByName(name);

/** A right click on another player: what we can do with them. */
function playerMenu(e, x, y) {
  showMenu(x, y, e.name, [
    { id: "trade", label: "Trade", action: () => trade.request(e.id) },
    { id: "duel", label: "Duel", action: () => pvp.request(e) },
    { id: "party", label: "Invite to party", action: () => send({ type: "party_invite", name: e.name }) },
    { id: "guild", label: "Invite to guild", action: () => send({ type: "guild_invite", name: e.name }) },
    { id: "friend", label: "Add friend", action: () => send({ type: "command", line: `friend add ${e.name}` }) },
    { id: "whisper", label: "Whisper", action: () => hud.chat.startWhisper(e.name) },
  ]);
}

/** Something the game knows changed: redraw what shows it. */
function changed(what) {
  hud.refresh(what);
  if (what === "equipment") tooltip.refresh();
  if (what === "dialogue") story.dialogue();
  else if (what === "zone") story.enterZone(game.zone);
}
const screens = new Screens({
  guest: ({ name, class: cls }) => {
    session.intent = { kind: "guest", name, class: cls };
    conn.restart();
  },
  login: ({ username, password }) => conn.send({ type: "login", username, password }),
  register: ({ username, password }) => conn.send({ type: "register", username, password }),
  play: (name) => {
    session.character = name;
    conn.send({ type: "play", name });
  },
  create: ({ name, class: cls }) => conn.send({ type: "create_character", name, class: cls }),
  remove: (name) => conn.send({ type: "delete_character", name }),
  logout: () => logout(),
  retry: () => {
    screens.connecting(conn.url);
    conn.restart();
  },
});
let observer;

// ------------------------------------------------------------------ server events

function onEvents(events) {
  session.playAfterFrame = false;
  for (const ev of events) {
    try {
      handle(ev);
    } catch (e) {
      console.warn("could not apply event", ev, e);
    }
    // That server is done with us: the rest of its frame is not about the world we go to.
    if (ev.type === "handoff") break;
  }
  if (session.playAfterFrame && !session.inWorld) conn.send({ type: "play", name: session.character });
}

function handle(ev) {
  const now = performance.now();
  switch (ev.type) {
    case "server_info":
      session.info = { ...ev, accounts: true };
      screens.protocol(PROTOCOL_VERSION, ev.version);
      // On a handoff the token we were given stands in for login and resume.
      if (session.handoff) conn.send({ type: "handoff", token: session.handoff.token });
      else if (loadToken()) conn.send({ type: "resume", token: loadToken() });
      else if (!session.inWorld) showLogin(session.info);
      return;
    case "logged_in":
      saveToken(ev.token);
      session.account = ev;
      observer.setRole(ev.role);
      // After a handoff the new server puts the character in the world by itself.
      if (session.handoff) return;
      if (session.dropped && session.character) session.playAfterFrame = true;
      else screens.characters(ev, session.info?.classes);
      return;
    case "characters":
      if (session.account) session.account.characters = ev.characters;
      if (!session.inWorld && session.account) screens.characters(session.account, session.info?.classes);
      return;
    case "logged_out":
      saveToken(null);
      leaveWorld();
      session.account = null;
      observer.setRole(null);
      showLogin(session.info || guestsOnly());
      return;
    case "welcome":
      enterWorld(ev, now);
      return;
    case "handoff":
      beginHandoff(ev);
      return;
    case "pong":
      if (ev.nonce === session.pingSent) screens.ping(now - session.pingSent);
      return;
    case "announcement":
      screens.announce(ev.text);
      hud.log("system", `[Server] ${ev.text}`, "announce");
      return;
    case "error":
      if (sessionError(ev)) return;
      break;
    case "map":
      game.apply(ev, now);
      for (const w of windows) w.apply(ev);
      showMap(ev.map);
      story.enterMap(ev.map);
      hud.log("system", `You enter ${ev.map?.display_name || ev.map?.name}.`, "info");
      return;
    default:
      break;
  }
  game.apply(ev, now);
  for (const w of windows) w.apply(ev);
}

function enterWorld(ev, now) {
  const handedOver = !!session.handoff;
  endHandoff();
  session.handoffs = 0;
  session.welcomes += 1;
  session.inWorld = true;
  session.dropped = false;
  session.playAfterFrame = false;
  conn.settled();
  screens.hide();
  screens.banner(null);
  screens.protocol(PROTOCOL_VERSION, ev.version);
  if (session.intent.kind === "guest") observer.setRole(null);
  game.apply(ev, now);
  for (const w of windows) w.apply(ev);
  hud.inGame(true);
  renderer.fadeIn(now);
  // The item catalog (revalidated: a content reload may have changed it) decides which item
  // actions show; redraw the item panels once it is in.
  loadCatalog(true).then(() => {
    hud.inventory();
    hud.equipment();
  });
  if (handedOver) {
    // To the player a handoff is a warp like any other: the same banner and line as `map`.
    story.enterMap(ev.map);
    hud.log("system", `You enter ${ev.map.display_name || ev.map.name}.`, "info");
  } else {
    hud.log("system", `Welcome to ${ev.map.display_name || ev.map.name}, ${ev.name}.`, "good");
  }
  ping();
  showMap(ev.map);
}

/**
 * The server passes us to another process of the cluster (docs/protocol.md, "Handoff"): the
 * world fades out and we connect to `ev.url`, where `ev.token` stands in for login. The chat
 * and the panels stay as they are; the `welcome` there resets the world view and fades it in.
 * The old server closes its socket; we have closed it already, so that is no drop.
 */
function beginHandoff(ev) {
  if (typeof ev.url !== "string" || typeof ev.token !== "string") {
    // Its close then reads as a drop: we come back with `resume`, as after any drop.
    console.warn("a handoff without url or token", ev);
    return;
  }
  endHandoff();
  session.playAfterFrame = false; // that server has not put us in the world: nothing to play there
  session.handoffs += 1;
  if (session.handoffs > MAX_HANDOFFS) {
    failHandoff(`passed on ${session.handoffs} times without entering the world`);
    return;
  }
  session.inWorld = false; // no input goes out until the new server's `welcome`
  game.clearGoal();
  castBar.clear();
  workBar.clear();
  renderer.fadeOut(performance.now());
  session.handoff = {
    url: ev.url,
    token: ev.token,
    timer: setTimeout(() => failHandoff("no answer from the new server"), HANDOFF_TIMEOUT_MS),
  };
  conn.moveTo(ev.url);
}

/** Forgets the handoff under way (it worked, failed or no longer matters). */
function endHandoff() {
  clearTimeout(session.handoff?.timer);
  session.handoff = null;
}

/**
 * A handoff that did not work (`handoff_invalid`, the new server unreachable or silent):
 * back to the page's own server, with the recovery of a drop — resume with the stored token
 * and play the same character; that server has it, or hands us on again. Retries back off.
 * `afterClose`: the socket has closed and the connection has scheduled what comes next.
 */
function failHandoff(why, afterClose = false) {
  endHandoff();
  session.handoffs = 0;
  session.dropped = true;
  console.warn(`handoff failed (${why}); back to ${session.wsUrl}`);
  hud.log("system", `Could not change servers (${why}).`, "error");
  conn.retarget(session.wsUrl); // a retry already scheduled goes there too
  if (!afterClose) conn.retrySoon();
}

/**
 * Shows the map a `welcome` or `map` event names at its origin, fetching its file unless it
 * is the one shown (or being fetched). Until it has loaded there is no map: nothing is
 * drawn and nobody walks.
 */
function showMap(info) {
  const name = info.name;
  const origin = { x: info.origin?.x ?? 0, y: info.origin?.y ?? 0 };
  if (game.map?.name === name) {
    game.map.origin = origin;
    return;
  }
  game.map = null;
  if (session.mapLoading === name) return;
  session.mapLoading = name;
  // The first map covers the screen at once; a later one only if it takes a moment.
  loading.begin(info.display_name || name, 1, session.welcomes <= 1 && !session.mapShown);
  loadMap(name, (p) => session.mapLoading === name && loading.progress(p))
    .then((map) => {
      if (session.mapLoading !== name) return; // we moved on while it loaded
      map.name = name;
      // Where the server says it lies now (a later event may have moved us again).
      const now = game.mapInfo?.name === name ? game.mapInfo.origin : origin;
      map.origin = { x: now?.x ?? 0, y: now?.y ?? 0 };
      game.map = map;
      session.mapShown = true;
      loading.finish();
    })
    .catch((e) => {
      loading.cancel();
      console.warn(e);
      hud.log("system", `Could not load the map ${name}: ${e.message}`, "error");
    })
    .finally(() => {
      if (session.mapLoading === name) session.mapLoading = null;
    });
}

function leaveWorld() {
  session.inWorld = false;
  session.character = null;
  game.reset();
  story.dialogue();
  castBar.clear();
  workBar.clear();
  hud.inGame(false);
  hud.closeAll();
}

/** Session-level errors (refusals, login problems). Returns true when handled here. */
function sessionError(ev) {
  const { code, message } = ev;
  if (session.handoff) {
    // A refusal while a handoff is under way answers it (`handoff_invalid`, or a server that
    // does not know handoffs): it failed. A final refusal stops us below all the same.
    if (!FINAL_ERRORS[code]) {
      failHandoff(message || code);
      return true;
    }
    endHandoff();
  }
  if (FINAL_ERRORS[code]) {
    conn.stop(code);
    leaveWorld();
    screens.status("stopped", "refused");
    screens.banner(null);
    const { title, hint } = FINAL_ERRORS[code];
    screens.refused(title, [message || code, hint].filter(Boolean).join(" "));
    return true;
  }
  if (session.inWorld) return false;
  switch (code) {
    case "bad_field":
    case "unknown_type":
      if (!session.info && session.intent.kind === "account") {
        // A server that predates accounts refuses a hello without a name: guests only.
        // Stay disconnected until the person picks a name (its hello timeout would close us).
        session.info = guestsOnly();
        conn.stop("guests only");
        screens.status("stopped", "ready");
        showLogin(session.info, "guest");
        return true;
      }
      break;
    case "name_taken":
      if (session.dropped && session.intent.kind === "guest") {
        // Our old character may linger until the server notices the drop: try again soon.
        conn.retrySoon();
        return true;
      }
      break;
    case "token_invalid":
      saveToken(null);
      session.character = null;
      session.dropped = false;
      showLogin(session.info || guestsOnly(), "login", "Your session has ended; please log in again.");
      return true;
    case "guests_disabled":
      session.intent = { kind: "account" };
      session.info = { ...(session.info || guestsOnly()), guests: false, accounts: true };
      conn.restart();
      showLogin(session.info, "login", message);
      return true;
    case "unknown_character":
    case "too_many_characters":
    case "storage_unavailable":
      if (session.account) {
        screens.characters(session.account, session.info?.classes, message);
        return true;
      }
      break;
    default:
      break;
  }
  if (session.intent.kind === "guest") {
    // A refused guest hello (bad name, unknown class, ...): say why on the guest form, and go
    // back to a plain connection so Log in and Register work from here too.
    session.dropped = false;
    session.intent = { kind: "account" };
    showLogin(session.info || guestsOnly(), "guest", message || code);
    conn.restart();
    return true;
  }
  if (screens.visible) {
    screens.error(message || code);
    return true;
  }
  return false;
}

/** The login card, unless it is already up for the same server (keeps what was typed). */
function showLogin(info, tab = null, error = "") {
  // What the card offers; the same offer again (a reconnect) keeps what was typed.
  const key = `${info.guests}|${info.accounts !== false}|${(info.classes || []).map((c) => c.id)}`;
  if (!error && screens.visible && screens.mode === "login" && screens.infoKey === key) return;
  screens.login(info, error, tab);
  screens.infoKey = key;
}

function guestsOnly() {
  return { version: PROTOCOL_VERSION, guests: true, accounts: false, classes: [] };
}

/**
 * Leave (toolbar) and Log out (character screen): an account logs out (the server's
 * `logged_out` brings back the login card); a guest, or an account whose socket is down,
 * leaves here and reconnects to the start screen.
 */
function logout() {
  endHandoff();
  if (session.account && conn.send({ type: "logout" })) return;
  if (session.account) {
    saveToken(null);
    session.account = null;
    observer.setRole(null);
  }
  leaveWorld();
  session.dropped = false;
  session.intent = { kind: "account" };
  conn.restart();
}

// ------------------------------------------------------------------ connection

function onOpen() {
  session.info = session.intent.kind === "guest" ? session.info : null;
  if (session.handoff) {
    // The token says who we are: the hello that asks for `server_info`, even for a guest.
    session.info = null;
    conn.send({ type: "hello", version: PROTOCOL_VERSION });
    return;
  }
  if (session.intent.kind === "guest") {
    const { name, class: cls } = session.intent;
    conn.send({ type: "hello", version: PROTOCOL_VERSION, name, class: cls });
  } else {
    conn.send({ type: "hello", version: PROTOCOL_VERSION });
  }
  if (session.dropped) screens.banner("Reconnected — restoring your session…");
}

/**
 * Closes after which coming back by ourselves would be wrong: say why and wait for a click.
 * Close reasons come in the language we asked for (`locale`), so each pattern names the words
 * of every language the server ships (assets/locales/*.toml, `[close]`).
 */
const FINAL_CLOSES = [
  [/\b(banned?|gesperrt)\b/i, "Banned"],
  [/^(kicked|rausgeworfen)\b/i, "Kicked"],
  // Another tab or device took over this account; reconnecting would take it back in a loop.
  [/logged in from another connection|von einer anderen Verbindung aus angemeldet/i, "Logged in elsewhere"],
];
/** Closes that refuse us for now (limits, a full server): keep trying, but say so plainly. */
const REFUSING_CLOSE = /\b(server (is )?full|too many|busy|zu viele|ausgelastet)\b/i;

function onClose({ code, reason, willRetry, delayMs }) {
  // The new server could not be reached, or let us go before `welcome`: the handoff failed.
  if (session.handoff) failHandoff(`the new server: ${describeClose(code, reason)}`, true);
  const had = session.inWorld || session.account || session.dropped;
  if (session.inWorld) {
    session.inWorld = false;
    session.dropped = true;
    game.clearGoal();
    hud.log("system", `Connection lost: ${describeClose(code, reason)}.`, "error");
  }
  if (session.account) session.dropped = true;
  const final = FINAL_CLOSES.find(([re]) => re.test(reason || ""));
  if (final) {
    conn.stop(final[1]);
    leaveWorld();
    session.dropped = false;
    screens.banner(null);
    screens.status("stopped", "disconnected");
    screens.refused(final[1], describeClose(code, reason));
    return;
  }
  if (!willRetry) return;
  const refusal = REFUSING_CLOSE.test(reason || "");
  const wait = `${(delayMs / 1000).toFixed(1)} s`;
  const text = refusal
    ? `The server refused the connection: ${reason}. Trying again in ${wait}…`
    : `${had ? "Connection lost" : "Cannot reach the server"} (${describeClose(code, reason)}). Reconnecting in ${wait}…`;
  screens.banner(text, refusal);
  if (!had && !screens.visible) screens.connecting(conn.url);
}

function onStatus(status) {
  screens.status(status);
}

// ------------------------------------------------------------------ frame loop

function frame(now) {
  pollInput(now);
  pollTouch(now);
  game.update(now);
  renderer.draw(now);
  hud.tick(now);
  hotbar.tick(now);
  workBar.tick(now);
  shops.tick();
  crafting.tick();
  observer.tick();
  minimap.tick(now);
  questMarker.tick(now);
  markFrame(session.inWorld && !!game.map);
  // (Sprite sheets load after the first frame; plain shapes are drawn until they have.)
  loadSprites();
  requestAnimationFrame(frame);
}

let pollInput = () => {};
let pollTouch = () => {};

/** Measures the round trip; the answer (`pong`) updates the top bar. */
function ping() {
  if (!conn.isOpen) return;
  session.pingSent = Math.floor(performance.now());
  conn.send({ type: "ping", nonce: session.pingSent });
}

async function boot() {
  let wsUrl = `ws://${location.hostname || "127.0.0.1"}:9001`;
  try {
    const resp = await fetch("client-config.json", { cache: "no-store" });
    if (resp.ok) wsUrl = (await resp.json()).ws_url || wsUrl;
  } catch (e) {
    console.warn("no client-config.json; guessing the WebSocket address", e);
  }
  session.wsUrl = wsUrl;
  loading.finish(); // the page is ready: the start screen takes over
  loadIcons();
  screens.protocol(PROTOCOL_VERSION);
  conn = new Connection(wsUrl, { onOpen, onEvents, onClose, onStatus });
  observer = new Observer(game, renderer, conn);
  hud.onToggle = (name, on) => {
    if (name === "observer") observer.setActive(on);
  };
  document.getElementById("leave-button").addEventListener("click", () => logout());
  document.getElementById("workbar-stop").addEventListener("click", () => send({ type: "interrupt" }));
  pollInput = bindInput({
    game,
    renderer,
    hud,
    story,
    observer,
    send,
    playerMenu,
    hotbar,
    gathering,
    crafting,
    pvp,
    busy,
    inWorld: () => session.inWorld,
  });
  pollTouch = bindTouch({ game, send, inWorld: () => session.inWorld });
  bindLayout();
  bindSoundUi(sound);
  sound.arm();
  if (loadToken()) session.dropped = false;
  screens.connecting(wsUrl);
  conn.connect();
  setInterval(() => {
    ping();
    observer.refresh();
  }, 2000);
  requestAnimationFrame(frame);
}

// For people poking around in the console, and for the browser test.
window.emberkeep = {
  game,
  renderer,
  session,
  get conn() {
    return conn;
  },
  /** The WebSocket address of the server we are on (or reconnect to): the page's, or where a handoff sent us. */
  get serverUrl() {
    return conn?.url ?? null;
  },
  tileToScreen: (x, y) => renderer.tileToScreen(x, y),
  get mapReady() {
    return !!game.map;
  },
  /** The file id of the map shown, once it has loaded. */
  get mapName() {
    return game.map?.name ?? null;
  },
  hud,
  trade,
  friends,
  party,
  guild,
  shops,
  hotbar,
  skills,
  crafting,
  pvp,
  minimap,
  questMarker,
  tutorial,
  /** `{done, total, ...}` while the loading screen's load runs, else null. */
  get loading() {
    return loading.state;
  },
  loadingScreen: loading,
  /** Items: the catalog, the tooltip shown, which actions apply, drag and drop. */
  items: { itemInfo, actionsFor, tooltip, dragdrop, loadCatalog },
  sound,
  /** Sprites: `layersOf(id)`, the layer names drawn for an entity in the last frame. */
  sprites: { layersOf },
  /** Applies a server event as if it had come over the socket (tests, poking around). */
  feed: (ev) => onEvents([ev]),
};

boot();
