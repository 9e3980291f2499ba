// Player against player. A `zone` flagged `pvp` puts up a red banner that stays while you
// are in it ("PvP zone — players can attack you"), with a toast on the way in. Duels: Duel in
// a player's right-click menu sends `duel_request`; someone else's request is a prompt
// (Accept sends `duel_request` back with their name, Decline `duel_cancel`); between
// `duel_start` and `duel_end` a banner names the opponent with a Forfeit button. Whether a
// click on a player attacks is `mayAttack` (a PvP zone, or our duel opponent); the server
// decides in the end.

import { closePrompt, prompt } from "./popups.js";

const $ = (id) => document.getElementById(id);
const REQUEST_MS = 30_000;

const DUEL_END = {
  defeat: "",
  forfeit: " (forfeit)",
  left: " (left)",
  too_far: " (too far apart)",
};

export class Pvp {
  constructor(game, hud, send, toast) {
    this.game = game;
    this.hud = hud;
    this.send = send;
    this.toast = toast;
    this.inPvp = false;
    this.duel = null; // { with: name, id } while dueling
    this.lastEnd = null; // the last `duel_end`
    $("duel-forfeit").addEventListener("click", () => this.send({ type: "duel_cancel" }));
  }

  /** Whether a click on this player should attack it (else it only picks it). */
  mayAttack(e) {
    if (e?.kind !== "player" || e.id === this.game.me?.id || e.dead) return false;
    return this.duel?.id === e.id || (this.inPvp && !this.game.zone?.safe);
  }

  /** Asks a player to duel (the server wants them within 10 tiles). */
  request(e) {
    this.send({ type: "duel_request", name: e.name });
    this.hud.log("system", `You challenge ${e.name} to a duel.`, "info");
  }

  apply(ev) {
    switch (ev.type) {
      case "zone": {
        const pvp = !!(ev.name && ev.pvp);
        if (pvp && !this.inPvp) {
          this.toast(`PvP zone: ${ev.name} — players can attack you here.`, "pvp");
          this.hud.log("system", `You enter a PvP zone (${ev.name}).`, "bad");
        } else if (!pvp && this.inPvp) this.hud.log("system", "You leave the PvP zone.", "info");
        this.inPvp = pvp;
        $("pvp-banner").hidden = !pvp;
        break;
      }
      case "duel_request":
        if (!ev.from) break;
        prompt(
          "duel",
          `${ev.from} challenges you to a duel.`,
          [
            { id: "accept", label: "Accept", primary: true, action: () => this.send({ type: "duel_request", name: ev.from }) },
            { id: "decline", label: "Decline", action: () => this.send({ type: "duel_cancel" }) },
          ],
          { timeoutMs: REQUEST_MS },
        );
        break;
      case "duel_start":
        closePrompt("duel");
        this.duel = { with: ev.with, id: ev.id };
        $("duel-with").textContent = ev.with;
        $("duel-banner").hidden = false;
        this.toast(`Duel with ${ev.with}!`, "pvp");
        this.hud.log("system", `The duel with ${ev.with} begins.`, "info");
        break;
      case "duel_end": {
        this.lastEnd = ev;
        this.duel = null;
        $("duel-banner").hidden = true;
        const won = ev.winner === this.game.me?.name;
        const text = `${ev.winner} won the duel against ${ev.loser}${DUEL_END[ev.reason] ?? ""}.`;
        this.toast(text, won ? "quest-done" : "trade-off");
        this.hud.log("system", text, won ? "good" : "bad");
        break;
      }
      case "welcome":
        this.inPvp = false;
        this.duel = null;
        closePrompt("duel");
        $("pvp-banner").hidden = true;
        $("duel-banner").hidden = true;
        break;
      default:
        break;
    }
  }
}
