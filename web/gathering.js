// Resource nodes (trees, rocks, fishing spots, herbs): a click walks next to one and sends
// `gather`; `gather_start` .. `gather_end` fill the work bar ("Gathering Copper Rock"), and a
// gather cut short says why. Nodes themselves (drawn, dimmed while depleted) are the Game's
// entities and the renderer's shapes.

import { humanize } from "./hotbar.js";

const GATHER_END = {
  moved: "Stopped — you moved",
  interrupted: "Stopped",
  depleted: "Depleted",
  inventory_full: "Your bag is full",
  died: "Stopped",
};

export class Gathering {
  /** `work` is the work bar (a Progress) gathering shares with crafting. */
  constructor(game, hud, send, work) {
    this.game = game;
    this.hud = hud;
    this.send = send;
    this.work = work;
    this.node = null; // the node we gather from, between gather_start and gather_end
  }

  /** A click on a node: walk next to it, then gather. */
  gather(node) {
    this.game.approach(node.id, () => this.send({ type: "gather", node: node.id }));
  }

  get busy() {
    return this.node != null;
  }

  apply(ev) {
    const now = performance.now();
    switch (ev.type) {
      case "gather_start": {
        this.node = ev.node;
        const n = this.game.entities.get(ev.node);
        const name = n?.name || humanize(n?.node || "node");
        this.work.start(`Gathering ${name}`, Math.max(1, ev.ticks) * (1000 / (this.game.tickRate || 20)), now);
        break;
      }
      case "gather_end":
        this.node = null;
        if (ev.done) this.work.done(now);
        else this.work.failed(GATHER_END[ev.reason] || "Stopped", now);
        break;
      case "welcome":
      case "map":
        if (this.node != null) this.work.clear();
        this.node = null;
        break;
      default:
        break;
    }
  }
}
