// The connection to the game server: one WebSocket, JSON in and out, automatic reconnect
// with exponential backoff, and the session token kept in localStorage.
//
// The session layer decides what to send when a socket opens (`onOpen`); this module only
// knows sockets, frames, status and backoff. In a cluster the server we talk to can change
// (a handoff, docs/protocol.md): `moveTo` points the connection at another server, and every
// later reconnect goes there.

/** Protocol version this client speaks (components/src/protocol.rs: PROTOCOL_VERSION). */
export const PROTOCOL_VERSION = 1;

const TOKEN_KEY = "emberkeep.token";
/** Messages that carry `locale`: the server answers in the browser's language from then on. */
const LOCALE_TYPES = new Set(["hello", "login", "register", "resume"]);
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10_000;

/** Reads the stored session token, if any. */
export function loadToken() {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** Stores (or with null, forgets) the session token. */
export function saveToken(token) {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Private mode or storage disabled: the session simply does not survive a reload.
  }
}

/**
 * A WebSocket that comes back by itself.
 *
 * Callbacks: onOpen(), onEvents(array), onClose({code, reason, willRetry, delayMs}),
 * onStatus(status) with status one of "connecting", "open", "waiting", "stopped".
 */
export class Connection {
  constructor(url, callbacks) {
    this.url = url;
    this.cb = callbacks;
    this.ws = null;
    this.status = "stopped";
    this.attempt = 0;
    this.retryTimer = null;
    this.retryAt = 0;
    this.autoReconnect = true;
    this.framesIn = 0;
    this.bytesIn = 0;
  }

  /** Opens a socket to `url` now (cancelling a pending retry). */
  connect() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.dropSocket("reconnect");
    this.autoReconnect = true;
    this.setStatus("connecting");
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (e) {
      this.handleClose(1006, String(e.message || e));
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      this.setStatus("open");
      this.cb.onOpen();
    };
    ws.onmessage = (m) => {
      if (ws !== this.ws || typeof m.data !== "string") return;
      this.framesIn += 1;
      this.bytesIn += m.data.length;
      let events;
      try {
        events = JSON.parse(m.data);
      } catch {
        console.warn("server sent a frame that is not JSON", m.data.slice(0, 200));
        return;
      }
      if (Array.isArray(events)) this.cb.onEvents(events);
    };
    // A failed connect fires `error` then `close`; `close` carries everything we need.
    ws.onerror = () => {};
    ws.onclose = (e) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.handleClose(e.code, e.reason);
    };
  }

  /** Closes the socket on purpose; no reconnect follows. */
  stop(reason = "") {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.autoReconnect = false;
    this.dropSocket(reason);
    this.setStatus("stopped");
  }

  /** Closes and immediately opens a new socket (e.g. to enter as a guest after a probe). */
  restart() {
    this.dropSocket("restart");
    this.attempt = 0;
    this.connect();
  }

  /** Drops the socket and tries again after the usual backoff (e.g. name still taken). */
  retrySoon() {
    this.dropSocket("retry");
    this.autoReconnect = true;
    this.handleClose(1000, "retrying");
  }

  /**
   * Moves to the server at `url` now (a handoff): the old socket is closed on purpose, so its
   * close is never reported as a drop, and every later reconnect goes to `url` too. The
   * backoff is kept: servers that keep passing us on without success still slow down.
   */
  moveTo(url) {
    this.url = url;
    this.dropSocket("handoff");
    this.connect();
  }

  /** Where the next socket goes (a pending retry included); an open socket stays open. */
  retarget(url) {
    this.url = url;
  }

  /** A successful session resets the backoff. */
  settled() {
    this.attempt = 0;
  }

  /** Sends one message; returns false when the socket is not open. */
  send(msg) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(LOCALE_TYPES.has(msg.type) ? { ...msg, locale: navigator.language } : msg));
    return true;
  }

  get isOpen() {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  detach(ws) {
    ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
    if (ws === this.ws) this.ws = null;
  }

  /**
   * Closes the current socket, if any, on purpose: it is detached first, so neither its last
   * frames nor its close reach the callbacks (no drop is reported, nothing reconnects).
   */
  dropSocket(reason) {
    const ws = this.ws;
    if (!ws) return;
    this.detach(ws);
    try {
      ws.close(1000, reason.slice(0, 100));
    } catch {
      // Already closing.
    }
  }

  handleClose(code, reason) {
    const willRetry = this.autoReconnect;
    let delayMs = 0;
    if (willRetry) {
      // 0.5 s, 1 s, 2 s, ... up to 10 s, with jitter so a restarted server is not stampeded.
      const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
      delayMs = Math.round(base * (0.75 + Math.random() * 0.5));
      this.attempt += 1;
      this.retryAt = performance.now() + delayMs;
      this.retryTimer = setTimeout(() => this.connect(), delayMs);
      this.setStatus("waiting");
    } else {
      this.setStatus("stopped");
    }
    this.cb.onClose({ code, reason, willRetry, delayMs });
  }

  setStatus(s) {
    this.status = s;
    this.cb.onStatus(s);
  }
}

/** Human words for a WebSocket close. */
export function describeClose(code, reason) {
  if (reason) return `${reason} (${code})`;
  switch (code) {
    case 1000:
      return "closed";
    case 1001:
      return "server going away (1001)";
    case 1006:
      return "closed without a close frame (1006)";
    case 1008:
      return "closed by the server for breaking a rule (1008)";
    case 1009:
      return "message too big (1009)";
    default:
      return `closed (${code})`;
  }
}
