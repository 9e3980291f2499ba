// Trading with another player (docs/protocol.md, trade): asking (walk next to them, then
// `trade_request`), the prompt when someone asks us, and the trade window — both offers side
// by side (items and gold) with both accept states. While it is open a click on an inventory
// item offers it (`trade_offer` always carries the whole offer), × takes it back, the gold
// field offers gold; Accept and Cancel. `trade_end` closes it and says why.

import { el } from "./ui.js";
import { nameCell } from "./itemactions.js";
import { closePrompt, prompt } from "./popups.js";

const $ = (id) => document.getElementById(id);
const REQUEST_MS = 30_000; // how long a request stays open on the server

export class Trade {
  constructor(game, hud, send, toast) {
    this.game = game;
    this.hud = hud;
    this.send = send;
    this.toast = toast;
    this.state = null; // the last `trade` event while a trade is open
    this.lastEnd = null; // the last `trade_end`, for the curious (and the browser test)
    $("trade-accept").addEventListener("click", () => this.send({ type: "trade_accept" }));
    $("trade-cancel").addEventListener("click", () => this.send({ type: "trade_cancel" }));
    $("trade-gold").addEventListener("submit", (e) => {
      e.preventDefault();
      const gold = Number(e.target.elements.gold.value || 0);
      if (!Number.isSafeInteger(gold) || gold < 0) return this.hud.log("system", "Offer a whole number of gold.", "error");
      this.offer(this.items(), gold);
    });
  }

  /** Asks the player `id` to trade: walks next to them first. */
  request(id) {
    const other = this.game.entities.get(id);
    if (!other) return;
    this.game.approach(id, () => {
      this.send({ type: "trade_request", to: id });
      this.hud.log("system", `You ask ${other.name} to trade.`, "info");
    });
  }

  /** `/trade <name>`: a player in view by name; false if there is none (the server may know). */
  requestByName(name) {
    const want = name.trim().toLowerCase();
    const p = [...this.game.entities.values()].find((e) => e.kind === "player" && e.name.toLowerCase() === want);
    if (!p || p.id === this.game.me?.id) return false;
    this.request(p.id);
    return true;
  }

  apply(ev) {
    switch (ev.type) {
      case "trade_request":
        prompt(
          "trade",
          `${ev.name} wants to trade with you.`,
          [
            { id: "accept", label: "Trade", primary: true, action: () => this.send({ type: "trade_request", to: ev.from }) },
            { id: "decline", label: "Decline", action: () => this.send({ type: "trade_cancel" }) },
          ],
          { timeoutMs: REQUEST_MS },
        );
        break;
      case "trade":
        closePrompt("trade");
        if (!this.state) this.hud.toggle("inventory", true);
        this.state = ev;
        this.hud.offer = (it) => this.add(it);
        this.render();
        this.hud.inventory();
        break;
      case "trade_end":
        this.lastEnd = ev;
        closePrompt("trade");
        if (ev.reason) {
          this.hud.log("system", ev.reason, ev.done ? "good" : "bad");
          this.toast(ev.reason, ev.done ? "quest-done" : "trade-off");
        }
        this.close();
        break;
      case "welcome":
        this.close();
        break;
      default:
        break;
    }
  }

  close() {
    this.state = null;
    this.hud.offer = null;
    $("trade").hidden = true;
    this.hud.inventory();
  }

  /** Our offer as `trade_offer` items. */
  items() {
    return (this.state?.mine?.items || []).map((it) => ({ item: it.id, count: it.count }));
  }

  offer(items, gold = this.state?.mine?.gold ?? 0) {
    if (!this.state) return;
    this.send({ type: "trade_offer", items, gold });
  }

  /** Adds an inventory item (the whole stack) to our offer. */
  add(it) {
    const items = this.items();
    if (items.some((o) => o.item === it.id)) return;
    this.offer([...items, { item: it.id, count: it.count }]);
  }

  remove(id) {
    this.offer(this.items().filter((o) => o.item !== id));
  }

  render() {
    const s = this.state;
    if (!s) return;
    $("trade").hidden = false;
    $("trade-with").textContent = s.name;
    $("trade-theirs-name").textContent = s.name;
    const side = (offer, mine) =>
      offer.items?.length
        ? offer.items.map((it) =>
            el(
              "li",
              { "data-item": it.id, "data-template": it.item },
              nameCell(it),
              mine ? el("button", { class: "remove", title: "Take back", onclick: () => this.remove(it.id) }, "×") : null,
            ),
          )
        : [el("li", { class: "empty" }, "Nothing offered.")];
    $("trade-mine").replaceChildren(...side(s.mine, true));
    $("trade-theirs").replaceChildren(...side(s.theirs, false));
    $("trade-theirs-gold").textContent = String(s.theirs.gold ?? 0);
    const gold = $("trade-gold").elements.gold;
    if (document.activeElement !== gold) gold.value = s.mine.gold ? String(s.mine.gold) : "";
    for (const [id, offer] of [["trade-mine-state", s.mine], ["trade-theirs-state", s.theirs]]) {
      const st = $(id);
      st.textContent = offer.accepted ? "✓ accepted" : "not accepted";
      st.classList.toggle("yes", !!offer.accepted);
      st.dataset.accepted = String(!!offer.accepted);
    }
    $("trade").classList.toggle("both", !!(s.mine.accepted && s.theirs.accepted));
    $("trade-accept").disabled = !!s.mine.accepted;
  }
}
