// The shop and bank windows. A `shop` event opens the shop: its wares with price and stock
// (Buy), and what it buys with a Sell button per matching item we carry. At a banker the
// `bank` event that follows opens the bank: its items (Withdraw), our bag (Deposit) and gold
// both ways. Both close when we walk away from the NPC (more than 2 tiles) or it leaves.

import { el } from "./ui.js";
import { nameCell } from "./itemactions.js";
import { chebyshev } from "./game.js";

const $ = (id) => document.getElementById(id);
const SHOP_RANGE = 2;

export class Shops {
  constructor(game, hud, send) {
    this.game = game;
    this.hud = hud;
    this.send = send;
    this.shop = null; // the last `shop` event
    this.bank = null; // the last `bank` event
    this.bankNpc = null; // the banker we look at
    hud.register("shop", this);
    hud.register("bank", this);
    $("bank-gold-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const amount = Number(e.target.elements.amount.value);
      if (!Number.isSafeInteger(amount) || amount <= 0 || this.bankNpc == null) return;
      const type = e.submitter?.name === "withdraw" ? "withdraw_gold" : "deposit_gold";
      this.send({ type, npc: this.bankNpc, amount });
      e.target.elements.amount.value = "";
    });
  }

  apply(ev) {
    switch (ev.type) {
      case "shop":
        this.shop = ev;
        if (ev.banker) this.bankNpc = ev.npc;
        if (ev.sells?.length || ev.buys?.length) this.hud.toggle("shop", true);
        this.render();
        break;
      case "bank":
        this.bank = ev;
        if (this.bankNpc != null) this.hud.toggle("bank", true);
        this.render();
        break;
      case "inventory":
      case "purse":
        this.render();
        break;
      case "welcome":
      case "map":
        this.close();
        break;
      default:
        break;
    }
  }

  /** Per frame: walking away from the NPC (or losing sight of it) closes its windows. */
  tick() {
    const me = this.game.self;
    for (const [panel, npc] of [["shop", this.shop?.npc], ["bank", this.bankNpc]]) {
      if (!this.hud.open.has(panel) || npc == null) continue;
      const it = this.game.entities.get(npc);
      if (!me || !it || chebyshev(me, it) > SHOP_RANGE) this.hud.toggle(panel, false);
    }
  }

  close() {
    this.hud.toggle("shop", false);
    this.hud.toggle("bank", false);
    this.shop = null;
    this.bankNpc = null;
  }

  render() {
    if (this.hud.open.has("shop") && this.shop) this.renderShop();
    if (this.hud.open.has("bank") && this.bank) this.renderBank();
  }

  renderShop() {
    const s = this.shop;
    const gold = this.game.gold ?? 0;
    $("shop-name").textContent = s.name;
    const sells = s.sells || [];
    $("shop-sells").replaceChildren(
      ...(sells.length
        ? sells.map((w) =>
            el(
              "li",
              { "data-ware": w.item, "data-template": w.item, class: w.stock ? "" : "sold-out" },
              nameCell({ item: w.item, name: w.name }),
              el("span", { class: "price", title: "Price per piece" }, `${w.price} g`),
              el("span", { class: "stock", title: "Left in stock" }, w.stock ? `×${w.stock}` : "sold out"),
              el("button", {
                class: "buy",
                disabled: !w.stock || gold < w.price,
                onclick: () => this.send({ type: "buy", npc: s.npc, item: w.item, count: 1 }),
              }, "Buy"),
            ),
          )
        : [el("li", { class: "empty" }, "Nothing for sale.")]),
    );
    const prices = new Map((s.buys || []).map((b) => [b.item, b]));
    const mine = this.game.inventory.items.filter((it) => prices.has(it.item));
    let buys;
    if (!prices.size) buys = [el("li", { class: "empty" }, "They buy nothing.")];
    else if (!mine.length) {
      const names = [...prices.values()].map((b) => `${b.name} (${b.price} g)`).join(", ");
      buys = [el("li", { class: "empty" }, `You carry nothing they buy: ${names}.`)];
    } else {
      buys = mine.map((it) =>
        el(
          "li",
          { "data-item": it.id, "data-template": it.item },
          nameCell(it),
          el("span", { class: "price", title: "They pay per piece" }, `${prices.get(it.item).price} g`),
          el("button", { class: "sell", onclick: () => this.send({ type: "sell", npc: s.npc, item: it.id, count: 1 }) }, "Sell"),
          it.count > 1
            ? el("button", { class: "sell-all", onclick: () => this.send({ type: "sell", npc: s.npc, item: it.id }) }, "All")
            : null,
        ),
      );
    }
    $("shop-buys").replaceChildren(...buys);
  }

  renderBank() {
    const b = this.bank;
    const npc = this.bankNpc;
    $("bank-count").textContent = `${b.items.length} / ${b.slots}`;
    $("bank-gold").replaceChildren(
      el("dt", {}, "In the bank"),
      el("dd", { id: "bank-gold-amount", "data-gold": b.gold }, `${b.gold} g`),
      el("dt", {}, "You carry"),
      el("dd", {}, `${this.game.gold ?? 0} g`),
    );
    const row = (it, label, type) =>
      el(
        "li",
        { "data-item": it.id, "data-template": it.item },
        nameCell(it),
        el("button", { class: type, onclick: () => this.send({ type, npc, item: it.id }) }, label),
      );
    const empty = (text) => [el("li", { class: "empty" }, text)];
    $("bank-items").replaceChildren(...(b.items.length ? b.items.map((it) => row(it, "Withdraw", "withdraw")) : empty("Empty.")));
    const bag = this.game.inventory.items;
    $("bank-bag").replaceChildren(...(bag.length ? bag.map((it) => row(it, "Deposit", "deposit")) : empty("Empty.")));
  }

  opened() {
    this.render();
  }
}
