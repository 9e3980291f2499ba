// In-game DOM: hp/mp/xp bars, level, the effect strip with time left, the target frame,
// the inventory / equipment / character / quest panels, the zone line in the top bar, and
// the chat + system log with its command line. Reads the Game; sends requests through `send`.

import { el } from "./ui.js";
import { questProgress } from "./game.js";
import { zoneFlags } from "./story.js";

const $ = (id) => document.getElementById(id);
const MAX_LOG_LINES = 300;
const SLOTS = ["weapon", "shield", "head", "chest", "hands", "legs", "feet"];

export class Hud {
  constructor(game, send) {
    this.game = game;
    this.send = send;
    this.open = new Set();
    this.history = [];
    this.historyAt = 0;
    this.bindPanels();
    this.bindChat();
  }

  bindPanels() {
    for (const b of document.querySelectorAll("#toolbar button[data-panel]")) {
      b.addEventListener("click", () => this.toggle(b.dataset.panel));
    }
    for (const p of document.querySelectorAll(".panel")) {
      p.querySelector(".close")?.addEventListener("click", () => this.toggle(p.id.replace("panel-", ""), false));
    }
  }

  /** Shows or hides a panel (inventory, equipment, stats, quests, observer). */
  toggle(name, force) {
    const panel = $(`panel-${name}`);
    if (!panel) return;
    const show = force ?? panel.hidden;
    panel.hidden = !show;
    if (show) this.open.add(name);
    else this.open.delete(name);
    // The quest log asks the server for the full list each time it opens.
    if (show && name === "quests") this.game.requestQuests();
    this.refresh(name);
    this.onToggle?.(name, show);
  }

  closeAll() {
    for (const name of [...this.open]) this.toggle(name, false);
  }

  /** Shows the in-game UI (after welcome) or hides it. */
  inGame(on) {
    $("hud").hidden = !on;
    $("toolbar").hidden = !on;
    if (!on) {
      $("target").hidden = true;
      $("dead").hidden = true;
    }
  }

  /** Re-renders whatever depends on `what` (a Game change name). */
  refresh(what) {
    switch (what) {
      case "welcome":
        this.bars();
        this.inventory();
        this.equipment();
        this.sheet();
        this.quests();
        break;
      case "quests":
        if (this.open.has("quests")) this.quests();
        break;
      case "stats":
        this.bars();
        if (this.open.has("stats")) this.sheet();
        break;
      case "inventory":
        if (this.open.has("inventory")) this.inventory();
        break;
      case "equipment":
        if (this.open.has("equipment")) this.equipment();
        break;
      case "dead":
        $("dead").hidden = !this.game.self?.dead;
        break;
      default:
        break;
    }
  }

  bars() {
    const s = this.game.stats;
    const me = this.game.me;
    $("me-name").textContent = me?.name || "";
    $("me-level").textContent = s.level ? `level ${s.level}` : "";
    setBar(document.querySelector("#hud .bar.hp"), s.hp, s.max_hp, "HP");
    setBar(document.querySelector("#hud .bar.mp"), s.mp, s.max_mp, "MP");
    setBar(document.querySelector("#hud .bar.xp"), s.xp, s.xp_next, "XP");
  }

  /** Called every animation frame: effect timers, the target frame, the zone name. */
  tick(now) {
    this.effects(now);
    this.target();
    const me = this.game.self;
    const where = me ? `(${me.x}, ${me.y})` : "";
    let zone = "";
    if (this.game.zoneKnown) {
      // What the server says (`zone` events), with its flags.
      const z = this.game.zone;
      const flags = z ? zoneFlags(z) : "";
      zone = z ? `${z.name}${flags ? ` · ${flags}` : ""}` : "";
    } else {
      // An older server: look the zone up in the map file.
      const z = me && this.game.map?.zoneAt(me.x, me.y);
      zone = z ? `${z.name}${z.props.safe ? " · safe" : ""}` : "";
    }
    const text = zone ? `${zone} ${where}` : where;
    const line = $("zone-name");
    if (line.textContent !== text) line.textContent = text;
  }

  effects(now) {
    const me = this.game.self;
    const box = $("effects");
    const list = me ? [...me.effects.entries()] : [];
    const key = list.map(([id, e]) => `${id}:${e.stacks}:${Math.ceil((e.until - now) / 1000)}`).join("|");
    if (key === this.effectsKey) return;
    this.effectsKey = key;
    box.replaceChildren(
      ...list.map(([id, e]) =>
        el(
          "span",
          { class: `effect ${e.kind}`, title: `${e.name} (${e.kind})`, "data-effect": id },
          `${e.name}${e.stacks > 1 ? ` ×${e.stacks}` : ""}`,
          el("span", { class: "left" }, `${Math.max(0, Math.ceil((e.until - now) / 1000))}s`),
        ),
      ),
    );
  }

  target() {
    const g = this.game;
    const id = g.goal?.kind === "attack" ? g.goal.id : g.attacking;
    const t = id != null ? g.entities.get(id) : null;
    const frame = $("target");
    if (!t) {
      frame.hidden = true;
      return;
    }
    frame.hidden = false;
    $("target-name").textContent = `${t.name}${t.level ? ` · level ${t.level}` : ""}`;
    const frac = t.maxHp ? Math.max(0, Math.min(1, (t.hp ?? t.maxHp) / t.maxHp)) : 1;
    $("target-hp").style.width = `${(frac * 100).toFixed(1)}%`;
    $("target-hp").dataset.hp = String(t.hp ?? "");
    $("target-hp-text").textContent = t.maxHp ? `${t.hp ?? t.maxHp} / ${t.maxHp}` : "";
  }

  inventory() {
    const inv = this.game.inventory;
    $("inv-count").textContent = `${inv.items.length} / ${inv.slots}`;
    const list = $("inv-list");
    if (!inv.items.length) return list.replaceChildren(el("li", { class: "empty" }, "Empty."));
    list.replaceChildren(
      ...inv.items.map((it) =>
        el(
          "li",
          { "data-item": it.id },
          el("span", { class: "name", title: `${it.item} #${it.id}` }, it.name, it.count > 1 ? el("span", { class: "count" }, ` ×${it.count}`) : null),
          el("button", { title: "Use", onclick: () => this.send({ type: "use", item: it.id }) }, "Use"),
          el("button", { title: "Equip", onclick: () => this.send({ type: "equip", item: it.id }) }, "Equip"),
          el("button", { title: "Drop", onclick: () => this.send({ type: "drop", item: it.id }) }, "Drop"),
        ),
      ),
    );
  }

  equipment() {
    const eq = this.game.equipment;
    $("eq-list").replaceChildren(
      ...SLOTS.map((slot) => {
        const it = eq[slot];
        return el(
          "li",
          { "data-slot": slot, class: it ? "" : "empty" },
          el("span", { class: "slot" }, slot),
          el("span", { class: "name" }, it ? it.name : "—"),
          it ? el("button", { title: "Remove", onclick: () => this.send({ type: "unequip", slot }) }, "Remove") : null,
        );
      }),
    );
  }

  sheet() {
    const s = this.game.stats;
    const rows = [
      ["Name", this.game.me?.name],
      ["Level", s.level],
      ["Experience", s.xp_next ? `${s.xp ?? 0} / ${s.xp_next}` : s.xp],
      ["Health", s.max_hp ? `${s.hp} / ${s.max_hp}` : s.hp],
      ["Mana", s.max_mp ? `${s.mp} / ${s.max_mp}` : s.mp],
      ["Strength", s.str],
      ["Dexterity", s.dex],
      ["Intellect", s.int],
      ["Vitality", s.vit],
      ["Attack", s.attack],
      ["Defense", s.defense],
      ["Critical", s.crit_pct !== undefined ? `${s.crit_pct}%` : undefined],
    ];
    $("stats-list").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v ?? "–")]));
  }

  quests() {
    const list = $("quest-list");
    const quests = [...this.game.quests.values()].sort((a, b) => (a.state === "done") - (b.state === "done"));
    if (!quests.length) return list.replaceChildren(el("li", { class: "empty" }, "No quests yet. Talk to people."));
    list.replaceChildren(
      ...quests.map((q) =>
        el(
          "li",
          { "data-quest": q.quest, class: q.state === "done" ? "done" : "" },
          el("div", { class: "name" }, `${q.name || q.quest}${q.state === "done" ? " ✓" : ""}`),
          el("div", { class: "progress" }, questProgress(q)),
        ),
      ),
    );
  }

  // ------------------------------------------------------------------ chat and log

  bindChat() {
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
    for (const b of document.querySelectorAll("#chat-tabs button")) {
      b.addEventListener("click", () => {
        document.querySelectorAll("#chat-tabs button").forEach((x) => x.classList.toggle("active", x === b));
        $("chat-log").dataset.filter = b.dataset.filter;
      });
    }
  }

  /** A line typed in the command line: `/command ...` or chat. */
  submit(line) {
    this.history.push(line);
    if (this.history.length > 50) this.history.shift();
    this.historyAt = this.history.length;
    if (line.startsWith("/")) {
      const cmd = line.slice(1).trim();
      if (!cmd) return;
      this.log("system", `> ${cmd}`, "cmd");
      if (!this.send({ type: "command", line: cmd })) this.log("system", "Not connected.", "error");
    } else if (!this.send({ type: "say", text: line })) {
      this.log("system", "Not connected: your message was not sent.", "error");
    }
  }

  /** Appends a line to the log; `channel` is chat or system, `cls` its colour. */
  log(channel, text, cls = "info") {
    const box = $("chat-log");
    const stick = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
    const multi = text.includes("\n");
    const line = el("div", { class: `line ${channel === "chat" ? "chat" : cls}` }, multi ? el("pre", {}, text) : text);
    box.append(line);
    while (box.childElementCount > MAX_LOG_LINES) box.firstElementChild.remove();
    if (stick) box.scrollTop = box.scrollHeight;
  }
}

function setBar(bar, value, max, label) {
  if (!bar) return;
  const frac = max ? Math.max(0, Math.min(1, (value ?? 0) / max)) : 0;
  bar.querySelector(".fill").style.width = `${(frac * 100).toFixed(1)}%`;
  bar.querySelector(".text").textContent = max ? `${label} ${value ?? 0} / ${max}` : label;
}
