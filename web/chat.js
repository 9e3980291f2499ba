// The chat box: the log with one tab per kind of line — All, Local, Global, Whisper, Party,
// Guild and one per channel a line came from (or that was joined here) — unread markers on
// the tabs, and the command line, which speaks into the tab shown: Local (and All) say,
// Global, Party, Guild and channels `channel_say`, Whisper whispers to the last whisperer
// (or `/w name text`). A line starting with `/` is a text command (`command`), except the
// few the client answers itself (`/trade <name>`).

import { el } from "./ui.js";

const $ = (id) => document.getElementById(id);
const MAX_LOG_LINES = 300;
const MAX_CHANNEL_TABS = 10;

/** The fixed tabs: key, label. Channel tabs follow them. */
const FIXED_TABS = [
  ["all", "All"],
  ["local", "Local"],
  ["global", "Global"],
  ["whisper", "Whisper"],
  ["party", "Party"],
  ["guild", "Guild"],
];
const PREFIX = { global: "Global", party: "Party", guild: "Guild" };

export class Chat {
  /** `send(msg)` sends to the server (false when not connected); `game` knows who we are. */
  constructor(game, send) {
    this.game = game;
    this.send = send;
    this.tab = "all";
    this.tabs = new Map(); // key -> { button, unread }
    this.whisperTo = null; // who a plain line in the Whisper tab goes to
    this.history = [];
    this.historyAt = 0;
    this.local = {}; // client-side slash commands: verb -> (rest) => handled?
    for (const [key, label] of FIXED_TABS) this.addTab(key, label);
    this.bindInput();
    this.show("all");
  }

  // ------------------------------------------------------------------ tabs

  addTab(key, label = key) {
    if (this.tabs.has(key)) return;
    const channels = [...this.tabs.keys()].filter((k) => !FIXED_TABS.some(([f]) => f === k));
    if (channels.length >= MAX_CHANNEL_TABS) return;
    const button = el("button", { "data-chat-tab": key, role: "tab", onclick: () => this.show(key) }, label, el("span", { class: "badge" }));
    $("chat-tabs").append(button);
    this.tabs.set(key, { button, unread: 0 });
  }

  removeTab(key) {
    const t = this.tabs.get(key);
    if (!t || FIXED_TABS.some(([f]) => f === key)) return;
    t.button.remove();
    this.tabs.delete(key);
    if (this.tab === key) this.show("all");
  }

  /** Shows one tab's lines (All: every line) and clears its unread marker. */
  show(key) {
    if (!this.tabs.has(key)) key = "all";
    this.tab = key;
    for (const [k, t] of this.tabs) {
      t.button.classList.toggle("active", k === key);
      if (k === key) this.markUnread(k, 0);
    }
    const box = $("chat-log");
    box.dataset.chat = key;
    for (const line of box.children) line.hidden = !this.shows(line.dataset.chat);
    box.scrollTop = box.scrollHeight;
    $("chat-input").placeholder = this.placeholder();
  }

  shows(lineTab) {
    return this.tab === "all" || lineTab === this.tab;
  }

  markUnread(key, n) {
    const t = this.tabs.get(key);
    if (!t) return;
    t.unread = n;
    t.button.classList.toggle("unread", n > 0);
    t.button.querySelector(".badge").textContent = n > 0 ? String(Math.min(n, 99)) : "";
  }

  placeholder() {
    switch (this.tab) {
      case "all":
      case "local":
        return "Enter to talk · /help for commands";
      case "whisper":
        return this.whisperTo ? `Whisper to ${this.whisperTo}…` : "/w name text to whisper";
      case "global":
        return "Say to everyone online…";
      default:
        return `Say in ${PREFIX[this.tab] || this.tab}…`;
    }
  }

  // ------------------------------------------------------------------ lines

  /** A `chat` event: into its tab, with an unread mark there unless it is shown. */
  onChat(ev) {
    const channel = ev.channel || "local";
    const mine = ev.id === this.game.me?.id;
    let text;
    if (channel === "local") text = `${ev.name}: ${ev.text}`;
    else if (channel === "whisper") {
      if (ev.to) this.whisperTo = ev.to;
      else if (!mine) this.whisperTo = ev.name;
      text = ev.to ? `To ${ev.to}: ${ev.text}` : `${ev.name} whispers: ${ev.text}`;
    } else text = `[${PREFIX[channel] || channel}] ${ev.name}: ${ev.text}`;
    if (!this.tabs.has(channel)) this.addTab(channel);
    const tab = this.tabs.has(channel) ? channel : "local";
    this.append(text, `chat ch-${tab}`, tab);
    if (!mine && this.tab !== tab) this.markUnread(tab, (this.tabs.get(tab)?.unread ?? 0) + 1);
    if (this.tab === "whisper") $("chat-input").placeholder = this.placeholder();
  }

  /** A line from the game or the server (`cls`: info, good, bad, error, ...): All only. */
  system(text, cls = "info") {
    this.append(text, cls, "system");
  }

  append(text, cls, tab) {
    const box = $("chat-log");
    const stick = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
    const multi = text.includes("\n");
    const line = el("div", { class: `line ${cls}`, "data-chat": tab }, multi ? el("pre", {}, text) : text);
    line.hidden = !this.shows(tab);
    box.append(line);
    while (box.childElementCount > MAX_LOG_LINES) box.firstElementChild.remove();
    if (stick) box.scrollTop = box.scrollHeight;
  }

  // ------------------------------------------------------------------ the command line

  bindInput() {
    const input = $("chat-input");
    $("chat-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const line = input.value.trim();
      input.value = "";
      if (line) this.submit(line);
      input.blur();
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        input.value = "";
        input.blur();
      } else if (e.key === "ArrowUp" || e.key === "ArrowDown") {
        if (!this.history.length) return;
        e.preventDefault();
        this.historyAt = Math.max(0, Math.min(this.history.length, this.historyAt + (e.key === "ArrowUp" ? -1 : 1)));
        input.value = this.history[this.historyAt] ?? "";
      }
    });
  }

  /** Opens the Whisper tab with `name` as the one to whisper to, and the command line. */
  startWhisper(name) {
    this.whisperTo = name;
    this.show("whisper");
    $("chat-input").focus();
  }

  /** A line typed in the command line: `/command ...`, or chat into the tab shown. */
  submit(line) {
    this.history.push(line);
    if (this.history.length > 50) this.history.shift();
    this.historyAt = this.history.length;
    if (line.startsWith("/")) return this.command(line.slice(1).trim());
    let msg;
    switch (this.tab) {
      case "all":
      case "local":
        msg = { type: "say", text: line };
        break;
      case "whisper":
        if (!this.whisperTo) return this.system("Whisper to whom? Type /w name text.", "error");
        msg = { type: "whisper", to: this.whisperTo, text: line };
        break;
      default:
        msg = { type: "channel_say", channel: this.tab, text: line };
        break;
    }
    if (!this.send(msg)) this.system("Not connected: your message was not sent.", "error");
  }

  command(cmd) {
    if (!cmd) return;
    const [verb, ...words] = cmd.split(/\s+/);
    const rest = words.join(" ");
    const v = verb.toLowerCase();
    if (this.local[v]?.(rest)) return;
    if ((v === "w" || v === "tell" || v === "whisper") && words.length > 1) this.whisperTo = words[0];
    // Joining or leaving a channel here shows or drops its tab (the server says if it worked).
    if (v === "join" && /^[\w-]{2,16}$/.test(rest)) this.addTab(rest.toLowerCase());
    if (v === "leave" && this.tabs.has(rest.toLowerCase())) this.removeTab(rest.toLowerCase());
    this.system(`> ${cmd}`, "cmd");
    if (!this.send({ type: "command", line: cmd })) this.system("Not connected.", "error");
  }
}
