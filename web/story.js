// The world's stories on screen: the place banner (entering a map, stepping into a zone), the
// toasts (quest progress, achievements), and the dialogue box with an NPC. Reads the Game;
// dialogue choices go back through `game.choose`.

import { el } from "./ui.js";

const $ = (id) => document.getElementById(id);
const PLACE_MS = 3500; // how long the place banner stays before it fades
const TOAST_MS = 5000;
const MAX_TOASTS = 4;

export class Story {
  constructor(game) {
    this.game = game;
    this.placeTimer = 0;
    this.enteredAt = -Infinity; // when the last "Entering ..." banner went up
  }

  /** A big fading line in the middle of the screen: "Entering the Crypt", a zone's name. */
  place(title, sub = "") {
    const b = $("place-banner");
    clearTimeout(this.placeTimer);
    b.querySelector(".title").textContent = title;
    b.querySelector(".sub").textContent = sub;
    b.hidden = false;
    b.classList.remove("fading");
    // Restart the fade-in animation for a banner that replaces a showing one.
    void b.offsetWidth;
    b.classList.add("showing");
    this.placeTimer = setTimeout(() => {
      b.classList.add("fading");
      this.placeTimer = setTimeout(() => {
        b.hidden = true;
        b.classList.remove("showing", "fading");
      }, 800);
    }, PLACE_MS);
  }

  /** We entered another map. */
  enterMap(info) {
    this.place(`Entering ${info?.display_name || info?.name || "…"}`);
    this.enteredAt = performance.now();
  }

  /** The zone we stand in changed (the `zone` event); a zone without a name shows nothing. */
  enterZone(zone) {
    if (!zone?.name) return;
    const flags = zoneFlags(zone);
    // Right after "Entering <map>" the zone goes under it instead of replacing it.
    if (performance.now() - this.enteredAt < 1500) {
      const sub = $("place-banner").querySelector(".sub");
      sub.textContent = `${zone.name}${flags ? ` · ${flags}` : ""}`;
      return;
    }
    this.place(zone.name, flags);
  }

  /** A short message in the corner that fades by itself. */
  toast(text, cls = "") {
    const box = $("toasts");
    const t = el("div", { class: `toast ${cls}` }, text);
    box.append(t);
    while (box.childElementCount > MAX_TOASTS) box.firstElementChild.remove();
    setTimeout(() => t.classList.add("fading"), TOAST_MS - 600);
    setTimeout(() => t.remove(), TOAST_MS);
  }

  /** Shows the current dialogue, or hides the box. */
  dialogue() {
    const d = this.game.dialogue;
    const box = $("dialogue");
    box.hidden = !d;
    if (!d) return;
    $("dialogue-name").textContent = d.name;
    $("dialogue-text").textContent = d.text;
    const buttons = d.choices.length
      ? d.choices.map((c, i) =>
          el("button", { "data-choice": c.index, onclick: () => this.game.choose(c.index) }, el("kbd", {}, String(i + 1)), ` ${c.text}`),
        )
      : [el("button", { class: "goodbye", onclick: () => this.game.closeDialogue() }, el("kbd", {}, "1"), " Goodbye")];
    $("dialogue-choices").replaceChildren(...buttons);
  }

  /** Keys 1-9 pick a choice while the dialogue is open; returns true when the key was used. */
  key(digit) {
    const d = this.game.dialogue;
    if (!d) return false;
    if (!d.choices.length) {
      if (digit === 1) this.game.closeDialogue();
      return digit === 1;
    }
    const c = d.choices[digit - 1];
    if (c) this.game.choose(c.index);
    return !!c;
  }
}

/** "safe · levels 3–8" for a zone event (empty when it says nothing). */
export function zoneFlags(z) {
  const parts = [];
  if (z.safe) parts.push("safe");
  if (z.pvp) parts.push("PvP");
  const lo = Number.isFinite(z.min_level) ? z.min_level : null;
  const hi = Number.isFinite(z.max_level) ? z.max_level : null;
  if (lo !== null && hi !== null) parts.push(`levels ${lo}–${hi}`);
  else if (lo !== null) parts.push(`level ${lo}+`);
  else if (hi !== null) parts.push(`up to level ${hi}`);
  return parts.join(" · ");
}
