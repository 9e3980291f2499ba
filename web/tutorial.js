// The first-minute tutorial: a small card (`#tutorial`) with five steps — move, attack, loot,
// equip, talk — each ticked off by the real thing happening (the server confirms a step of
// yours; you hit or miss something; an item you picked up lands in your bag; your equipment
// changes after you asked; a dialogue opens). Skip ends it. Progress is kept in localStorage
// per character name, so it shows once; only characters at level 1 (new guests) see it.

const $ = (id) => document.getElementById(id);
const KEY = (name) => `emberkeep.tutorial.${name}`;
/** An answer counts as ours this long after we asked (pick up, equip). */
const ASKED_MS = 5000;

/** The steps, in order, with what the card says. */
export const STEPS = [
  { id: "move", title: "Move", text: "Walk with the arrow keys or WASD, or click (tap) the ground." },
  { id: "attack", title: "Attack", text: "Click a rat (or press Space) to attack it. The minimap shows mobs as red dots." },
  { id: "loot", title: "Loot", text: "Click what it dropped to pick it up." },
  { id: "equip", title: "Equip", text: "Open your inventory (I) and Equip an item." },
  { id: "talk", title: "Talk", text: "Click a villager with a yellow ! — the arrow points the way." },
];

export class Tutorial {
  constructor(game) {
    this.game = game;
    this.name = null; // the character it runs for
    /** Steps done, in the order they were done (`emberkeep.tutorial.done`). */
    this.done = [];
    this.active = false;
    this.finished = false; // the last step done or skipped (this session)
    this.asked = { pickup: 0, equip: 0 };
    this.itemCount = null; // how many items the bag held
    this.worn = null; // what is worn, from the last `equipment` (the first is no change)
    $("tutorial-skip").addEventListener("click", () => this.end(true));
  }

  /** The step to do now, or null when done (or not shown). */
  get step() {
    if (!this.active) return null;
    return STEPS.find((s) => !this.done.includes(s.id))?.id ?? null;
  }

  /** Messages we send: a pickup or an equip makes the next bag or equipment change ours. */
  sent(msg) {
    const t = performance.now();
    if (msg?.type === "pickup" || (msg?.type === "command" && /^\/?get\b/.test(msg.line || ""))) this.asked.pickup = t;
    else if (msg?.type === "equip") this.asked.equip = t;
  }

  /** Server events, after the Game has seen each. */
  apply(ev) {
    const g = this.game;
    const now = performance.now();
    switch (ev.type) {
      case "welcome":
        this.start(ev.name);
        return;
      case "stat_update":
        // Only level 1 gets the card; a higher level (a returning character) never does.
        if (ev.id === g.me?.id && ev.level !== undefined) this.levelKnown(ev.level);
        return;
      case "move":
        if (ev.id === g.me?.id) this.tick("move");
        return;
      case "hit":
      case "miss":
        if (ev.attacker === g.me?.id) this.tick("attack");
        return;
      case "inventory": {
        const count = (ev.items || []).reduce((n, it) => n + (it.count || 1), 0);
        if (this.itemCount !== null && count > this.itemCount && now - this.asked.pickup < ASKED_MS) this.tick("loot");
        this.itemCount = count;
        return;
      }
      case "equipment": {
        // Ours: what is worn changed after we asked (the server also resends it unchanged).
        const worn = JSON.stringify(Object.entries(ev.slots || {}).map(([slot, it]) => [slot, it?.id]).sort());
        if (this.worn !== null && worn !== this.worn && now - this.asked.equip < ASKED_MS) this.tick("equip");
        this.worn = worn;
        return;
      }
      case "dialogue":
        this.tick("talk");
        return;
      default:
        return;
    }
  }

  start(name) {
    this.name = name;
    this.itemCount = null;
    this.worn = null;
    let saved = null;
    try {
      saved = JSON.parse(localStorage.getItem(KEY(name)) || "null");
    } catch {
      saved = null;
    }
    this.done = Array.isArray(saved?.done) ? saved.done.filter((id) => STEPS.some((s) => s.id === id)) : [];
    this.finished = !!saved?.finished;
    // Shown once the level is known (a `stat_update` follows the welcome).
    this.active = false;
    this.draw();
  }

  levelKnown(level) {
    if (this.active || this.finished || !this.name) return;
    if (level !== 1) {
      this.finished = true; // not a newcomer: never show it for this character
      this.save();
      return;
    }
    this.active = true;
    this.draw();
  }

  tick(id) {
    if (!this.active || this.done.includes(id)) return;
    this.done.push(id);
    this.save();
    if (!this.step) this.end(false);
    else this.draw();
  }

  /** Ends the tutorial: all done, or skipped. */
  end(skipped) {
    this.active = false;
    this.finished = true;
    this.skipped = skipped;
    this.save();
    this.draw();
  }

  save() {
    if (!this.name) return;
    localStorage.setItem(KEY(this.name), JSON.stringify({ done: this.done, finished: this.finished }));
  }

  draw() {
    const card = $("tutorial");
    const step = this.step;
    card.hidden = !step;
    if (!step) return;
    const i = STEPS.findIndex((s) => s.id === step);
    const s = STEPS[i];
    card.dataset.step = step;
    $("tutorial-title").textContent = `${i + 1}/${STEPS.length} · ${s.title}`;
    $("tutorial-text").textContent = s.text;
    $("tutorial-steps").replaceChildren(
      ...STEPS.map((x) => {
        const li = document.createElement("li");
        li.textContent = x.title;
        li.className = this.done.includes(x.id) ? "done" : x.id === step ? "now" : "";
        return li;
      }),
    );
  }
}
