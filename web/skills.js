// The skills panel (K): every skill with its level and an xp bar, from `skills` (the whole
// list; opening the panel asks for it) and `skill` (one skill after a gain). A level gained
// is a toast and a log line.

import { el } from "./ui.js";

const $ = (id) => document.getElementById(id);

export class Skills {
  constructor(game, hud, send, toast) {
    this.game = game;
    this.hud = hud;
    this.send = send;
    this.toast = toast;
    this.skills = new Map(); // id -> { id, name, level, xp, xp_next }
    hud.register("skills", this);
  }

  /** The panel opened: ask for the whole list. */
  opened() {
    this.send({ type: "skills" });
  }

  apply(ev) {
    switch (ev.type) {
      case "skills":
        this.skills = new Map((Array.isArray(ev.skills) ? ev.skills : []).filter((s) => s?.id).map((s) => [s.id, { ...s }]));
        this.render();
        break;
      case "skill": {
        const old = this.skills.get(ev.id);
        const { type: _type, ...s } = ev;
        const now = { ...old, ...s, name: ev.name || old?.name || ev.id };
        this.skills.set(ev.id, now);
        if (old && now.level > old.level) {
          this.toast(`${now.name} level ${now.level}!`, "quest-done");
          this.hud.log("system", `Your ${now.name} skill reached level ${now.level}.`, "good");
        }
        this.render();
        break;
      }
      case "welcome":
        this.skills.clear();
        this.render();
        break;
      default:
        break;
    }
  }

  render() {
    const list = $("skills-list");
    if (!this.skills.size) return list.replaceChildren(el("li", { class: "empty" }, "No skills yet."));
    list.replaceChildren(
      ...[...this.skills.values()].map((s) => {
        const frac = s.xp_next ? Math.max(0, Math.min(1, (s.xp ?? 0) / s.xp_next)) : 1;
        return el(
          "li",
          { "data-skill": s.id, "data-level": s.level ?? 1 },
          el("div", { class: "head" }, el("span", { class: "name" }, s.name || s.id), el("span", { class: "level" }, `level ${s.level ?? 1}`)),
          el(
            "div",
            { class: "bar xp", title: s.xp_next ? `${s.xp ?? 0} / ${s.xp_next} xp` : "maximum level" },
            el("div", { class: "fill", style: `width: ${(frac * 100).toFixed(1)}%` }),
            el("span", { class: "text" }, s.xp_next ? `${s.xp ?? 0} / ${s.xp_next}` : "max"),
          ),
        );
      }),
    );
  }
}
