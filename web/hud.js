// In-game DOM: hp/mp/xp bars, level, gold, the effect strip with time left, the target frame,
// the inventory / equipment / character / quest panels and the panel switching the other
// windows use (friends, party, guild, shop, bank), the zone line in the top bar. The chat
// box is chat.js. Reads the Game; sends requests through `send`.

import { el } from "./ui.js";
import { Chat } from "./chat.js";
import { questProgress } from "./game.js";
import { zoneFlags } from "./story.js";
import { equipmentRow, inventoryRow } from "./itemactions.js";

const $ = (id) => document.getElementById(id);
const SLOTS = ["weapon", "shield", "head", "chest", "hands", "legs", "feet"];

export class Hud {
  constructor(game, send) {
    this.game = game;
    this.send = send;
    this.open = new Set();
    this.windows = new Map(); // panel name -> the module that fills it (opened())
    this.offer = null; // while trading: (item) => offers it (the Offer button in the bag)
    this.chat = new Chat(game, send);
    this.bindPanels();
  }

  /** A module that fills panel `name`; its `opened()` runs each time the panel opens. */
  register(name, module) {
    this.windows.set(name, module);
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
    if (show) this.windows.get(name)?.opened?.();
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
      for (const id of ["hotbar", "pvp-banner", "duel-banner"]) $(id).hidden = true;
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
        this.gold();
        break;
      case "purse":
        this.gold();
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

  gold() {
    const g = this.game.gold;
    const box = $("gold");
    box.dataset.gold = g ?? "";
    box.querySelector(".amount").textContent = g == null ? "–" : g.toLocaleString("en");
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
    const id = g.goal?.kind === "attack" ? g.goal.id : (g.attacking ?? g.target);
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
    list.replaceChildren(...inv.items.map((it) => inventoryRow(it, this)));
  }

  equipment() {
    const eq = this.game.equipment;
    $("eq-list").replaceChildren(...SLOTS.map((slot) => equipmentRow(slot, eq[slot], this)));
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

  /** A system line in the chat box (`channel` is kept for callers; chat lines go to `chat`). */
  log(_channel, text, cls = "info") {
    this.chat.system(text, cls);
  }
}

function setBar(bar, value, max, label) {
  if (!bar) return;
  const frac = max ? Math.max(0, Math.min(1, (value ?? 0) / max)) : 0;
  bar.querySelector(".fill").style.width = `${(frac * 100).toFixed(1)}%`;
  bar.querySelector(".text").textContent = max ? `${label} ${value ?? 0} / ${max}` : label;
}
