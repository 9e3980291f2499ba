// The social panels: friends (online dots, add / remove, ignores), the party (members with
// their hp, invite / leave / kick / lead, the invite prompt) and the guild (roster with ranks
// and who is online, create / invite / leave / promote / kick / disband, the invite prompt).
// Each keeps the server's last word (`friends` + `friend_status`, `party`, `guild`) and draws
// it; buttons send the typed messages of docs/protocol.md (friends go through text commands).

import { el } from "./ui.js";
import { prompt } from "./popups.js";

const $ = (id) => document.getElementById(id);
const same = (a, b) => a.toLowerCase() === b.toLowerCase();

/** Wires a one-field form (`<input name=…>` + button) to `submit(value)`; clears it after. */
function onForm(id, field, submit) {
  $(id).addEventListener("submit", (e) => {
    e.preventDefault();
    const input = e.target.elements[field];
    const value = input.value.trim();
    if (!value) return;
    submit(value);
    input.value = "";
  });
}

const dot = (online) => el("span", { class: `dot ${online ? "on" : "off"}`, title: online ? "online" : "offline" });
const empty = (text) => el("li", { class: "empty" }, text);

export class Friends {
  constructor(hud, send, chat) {
    this.hud = hud;
    this.send = send;
    this.chat = chat;
    this.friends = [];
    this.ignores = [];
    hud.register("friends", this);
    onForm("friend-add", "name", (name) => this.command(`friend add ${name}`));
    onForm("ignore-add", "name", (name) => this.command(`ignore ${name}`));
  }

  command(line) {
    this.send({ type: "command", line });
  }

  opened() {
    this.send({ type: "friends" });
    this.render();
  }

  apply(ev) {
    if (ev.type === "friends") {
      this.friends = Array.isArray(ev.friends) ? ev.friends : [];
      this.ignores = Array.isArray(ev.ignores) ? ev.ignores : [];
    } else if (ev.type === "friend_status") {
      const f = this.friends.find((x) => same(x.name, ev.name));
      if (!f) return;
      f.online = !!ev.online;
    } else return;
    this.render();
  }

  render() {
    const friends = [...this.friends].sort((a, b) => b.online - a.online || a.name.localeCompare(b.name));
    $("friends-list").replaceChildren(
      ...(friends.length
        ? friends.map((f) =>
            el(
              "li",
              { "data-name": f.name, "data-online": String(!!f.online) },
              dot(f.online),
              el("span", { class: "name" }, f.name),
              f.online ? el("button", { class: "whisper", onclick: () => this.chat.startWhisper(f.name) }, "Whisper") : null,
              el("button", { class: "remove", onclick: () => this.command(`friend remove ${f.name}`) }, "Remove"),
            ),
          )
        : [empty("No friends yet. Add one by name (they must be online).")]),
    );
    $("ignores-list").replaceChildren(
      ...(this.ignores.length
        ? this.ignores.map((name) =>
            el(
              "li",
              { "data-name": name },
              el("span", { class: "name" }, name),
              el("button", { class: "unignore", onclick: () => this.command(`unignore ${name}`) }, "Unignore"),
            ),
          )
        : [empty("Nobody.")]),
    );
  }
}

export class Party {
  constructor(game, hud, send) {
    this.game = game;
    this.hud = hud;
    this.send = send;
    this.party = null;
    hud.register("party", this);
    onForm("party-invite", "name", (name) => this.send({ type: "party_invite", name }));
    $("party-leave").addEventListener("click", () => this.send({ type: "party_leave" }));
  }

  opened() {
    this.render();
  }

  apply(ev) {
    if (ev.type === "party") {
      this.party = ev.party || null;
      this.render();
    } else if (ev.type === "party_invite") {
      prompt("party", `${ev.from} invites you to a party.`, [
        { id: "accept", label: "Join", primary: true, action: () => this.send({ type: "party_accept" }) },
        { id: "decline", label: "Decline", action: () => {} },
      ]);
    } else if (ev.type === "welcome") {
      this.party = null;
      this.render();
    }
  }

  render() {
    const p = this.party;
    const me = this.game.me?.name || "";
    const lead = p && same(p.leader, me);
    $("party-count").textContent = p ? `${p.members.length} / 5` : "";
    $("party-leave").hidden = !p;
    if (!p) return $("party-list").replaceChildren(empty("You are in no party. Invite someone by name."));
    $("party-list").replaceChildren(
      ...p.members.map((m) => {
        const frac = m.max_hp ? Math.max(0, Math.min(1, m.hp / m.max_hp)) : 0;
        const self = same(m.name, me);
        return el(
          "li",
          { "data-name": m.name, class: `member${m.online ? "" : " away"}` },
          dot(m.online),
          el(
            "div",
            { class: "who" },
            el("span", { class: "name" }, same(m.name, p.leader) ? `♛ ${m.name}` : m.name, el("span", { class: "muted" }, ` · ${m.level}`)),
            el(
              "div",
              { class: "bar hp small" },
              el("div", { class: "fill", style: `width:${(frac * 100).toFixed(1)}%` }),
              el("span", { class: "text" }, `${m.hp} / ${m.max_hp}`),
            ),
          ),
          lead && !self ? el("button", { class: "lead", title: "Make leader", onclick: () => this.send({ type: "party_lead", name: m.name }) }, "Lead") : null,
          lead && !self ? el("button", { class: "kick", onclick: () => this.send({ type: "party_kick", name: m.name }) }, "Kick") : null,
        );
      }),
    );
  }
}

const RANKS = ["leader", "officer", "member"];

export class Guild {
  constructor(game, hud, send) {
    this.game = game;
    this.hud = hud;
    this.send = send;
    this.guild = null;
    hud.register("guild", this);
    onForm("guild-create", "name", (name) => this.send({ type: "guild_create", name }));
    onForm("guild-invite", "name", (name) => this.send({ type: "guild_invite", name }));
    $("guild-leave").addEventListener("click", () => this.send({ type: "guild_leave" }));
    $("guild-disband").addEventListener("click", () => {
      if (confirm(`Disband ${this.guild?.name}? This cannot be undone.`)) this.send({ type: "guild_disband" });
    });
  }

  opened() {
    this.send({ type: "guild_info" });
    this.render();
  }

  apply(ev) {
    if (ev.type === "guild") {
      this.guild = ev.guild || null;
      this.render();
    } else if (ev.type === "guild_invite") {
      prompt("guild", `${ev.from} invites you to the guild ${ev.guild}.`, [
        { id: "accept", label: "Join", primary: true, action: () => this.send({ type: "guild_accept" }) },
        { id: "decline", label: "Decline", action: () => {} },
      ]);
    } else if (ev.type === "welcome") {
      this.guild = null;
      this.render();
    }
  }

  render() {
    const g = this.guild;
    $("guild-name").textContent = g ? g.name : "Guild";
    $("guild-rank").textContent = g ? `Your rank: ${g.rank}` : "You are in no guild.";
    $("guild-create").hidden = !!g;
    const officer = g && (g.rank === "leader" || g.rank === "officer");
    $("guild-invite").hidden = !officer;
    $("guild-leave").hidden = !g;
    $("guild-disband").hidden = g?.rank !== "leader";
    if (!g) return $("guild-list").replaceChildren();
    const me = this.game.me?.name || "";
    const members = [...g.members].sort(
      (a, b) => RANKS.indexOf(a.rank) - RANKS.indexOf(b.rank) || b.online - a.online || a.name.localeCompare(b.name),
    );
    const rank = (m, to, label) => el("button", { class: `rank-${to}`, onclick: () => this.send({ type: "guild_rank", name: m.name, rank: to }) }, label);
    $("guild-list").replaceChildren(
      ...members.map((m) => {
        const self = same(m.name, me);
        // Leaders manage everyone; officers manage members.
        const manage = !self && (g.rank === "leader" || (g.rank === "officer" && m.rank === "member"));
        return el(
          "li",
          { "data-name": m.name, "data-rank": m.rank },
          dot(m.online),
          el("span", { class: "name" }, m.name),
          el("span", { class: `rank ${m.rank}` }, m.rank),
          manage && g.rank === "leader" && m.rank === "member" ? rank(m, "officer", "Promote") : null,
          manage && g.rank === "leader" && m.rank === "officer" ? rank(m, "member", "Demote") : null,
          manage && g.rank === "leader" ? rank(m, "leader", "Lead") : null,
          manage ? el("button", { class: "kick", onclick: () => this.send({ type: "guild_kick", name: m.name }) }, "Kick") : null,
        );
      }),
    );
  }
}
