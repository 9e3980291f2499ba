// The screens before and around play: connection status in the top bar, the banner for
// reconnects, staff announcements, the login / register / guest card, character select and
// create, and the message shown when the server refuses us. The HUD and panels are in hud.js.

const $ = (id) => document.getElementById(id);

/** Builds an element: el("button", {class: "primary", onclick}, "Play"). */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "class") e.className = v;
    else if (v === true) e.setAttribute(k, "");
    else e.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

/** How long a staff announcement stays up unless dismissed. */
const ANNOUNCEMENT_MS = 20_000;

const STATUS_WORDS = {
  connecting: "connecting…",
  open: "connected",
  waiting: "reconnecting…",
  stopped: "disconnected",
};

/**
 * The session screens. `actions` are what the buttons do: guest({name, class}),
 * login({username, password}), register({username, password}), play(name),
 * create({name, class}), remove(name), logout(), retry().
 */
export class Screens {
  constructor(actions) {
    this.actions = actions;
    this.card = $("screen");
    this.body = $("screen-body");
    this.tab = null;
    this.info = null;
    this.announcementTimer = 0;
    $("announcement-close").addEventListener("click", () => this.announce(null));
  }

  /** Connection status, protocol version and latency in the top bar. */
  status(status, detail = "") {
    $("conn").dataset.status = status;
    $("conn-text").textContent = detail || STATUS_WORDS[status] || status;
  }

  protocol(clientVersion, serverVersion) {
    const same = serverVersion === undefined || serverVersion === clientVersion;
    $("proto").textContent = same ? `protocol v${clientVersion}` : `protocol v${clientVersion} (server v${serverVersion})`;
  }

  ping(ms) {
    $("ping").textContent = ms === null ? "– ms" : `${Math.round(ms)} ms`;
  }

  /** A line over the game (reconnecting, refused); null hides it. */
  banner(text, error = false) {
    const b = $("banner");
    b.hidden = !text;
    b.textContent = text || "";
    b.classList.toggle("error", error);
  }

  /** A staff announcement over the game (replacing any earlier one); null hides it. */
  announce(text) {
    clearTimeout(this.announcementTimer);
    $("announcement-text").textContent = text || "";
    $("announcement").hidden = !text;
    if (text) this.announcementTimer = setTimeout(() => this.announce(null), ANNOUNCEMENT_MS);
  }

  hide() {
    this.card.hidden = true;
  }

  get visible() {
    return !this.card.hidden;
  }

  show(...content) {
    this.body.replaceChildren(...content);
    this.card.hidden = false;
    this.mode = "other";
  }

  connecting(url) {
    this.show(el("p", { class: "muted" }, `Connecting to ${url}…`));
  }

  /**
   * The login card. `info` is the server's `server_info` (or our guess for a server that
   * speaks guests only); `error` a message to show under the form.
   */
  login(info, error = "", tab = null) {
    this.info = info;
    const accounts = info.accounts !== false;
    const tabs = [];
    if (accounts) tabs.push(["login", "Log in"], ["register", "Register"]);
    if (info.guests) tabs.push(["guest", "Guest"]);
    // A first visit lands on guest play when the server allows it: open the page and play.
    const has = (t) => t && tabs.some(([id]) => id === t);
    this.tab = has(tab) ? tab : has(this.tab) ? this.tab : has("guest") ? "guest" : tabs[0]?.[0];
    if (!this.tab) {
      return this.show(el("p", { class: "refusal" }, "This server accepts no players right now."));
    }
    const tabBar = el(
      "div",
      { class: "tabs" },
      tabs.map(([id, label]) =>
        el("button", { type: "button", class: id === this.tab ? "active" : "", "data-tab": id, onclick: () => this.login(info, "", id) }, label),
      ),
    );
    const errorLine = el("p", { class: "error", id: "screen-error" }, error);
    const form = this.tab === "guest" ? this.guestForm(info) : this.accountForm(this.tab);
    const notes = [];
    if (!accounts) notes.push(el("p", { class: "note" }, "This server offers guest play only."));
    else if (!info.guests) notes.push(el("p", { class: "note" }, "Guest play is disabled on this server."));
    this.show(tabBar, form, errorLine, ...notes);
    this.mode = "login";
    this.infoKey = null;
    form.querySelector("input")?.focus();
  }

  accountForm(mode) {
    const user = el("input", { name: "username", autocomplete: "username", required: true, maxlength: 32, id: "username" });
    const pass = el("input", {
      name: "password",
      type: "password",
      autocomplete: mode === "register" ? "new-password" : "current-password",
      required: true,
      maxlength: 128,
      id: "password",
    });
    const submit = el("button", { class: "primary", type: "submit", id: "account-submit" }, mode === "register" ? "Create account" : "Log in");
    return el(
      "form",
      {
        onsubmit: (e) => {
          e.preventDefault();
          this.error("");
          this.actions[mode]({ username: user.value.trim(), password: pass.value });
        },
      },
      el("label", {}, "Username", user),
      el("label", {}, "Password", pass),
      submit,
    );
  }

  guestForm(info) {
    const saved = sessionStorage.getItem("emberkeep.guest") || "";
    const name = el("input", {
      name: "name",
      required: true,
      minlength: 3,
      maxlength: 16,
      pattern: "[A-Za-z][A-Za-z0-9_\\-]{2,15}",
      placeholder: "3–16 letters, digits, _ or -",
      id: "guest-name",
      value: saved || `Guest${Math.floor(1000 + Math.random() * 9000)}`,
    });
    const cls = classSelect(info.classes, "guest-class");
    const about = classAbout(info.classes, cls);
    return el(
      "form",
      {
        onsubmit: (e) => {
          e.preventDefault();
          this.error("");
          sessionStorage.setItem("emberkeep.guest", name.value.trim());
          this.actions.guest({ name: name.value.trim(), class: cls.value || undefined });
        },
      },
      el("label", {}, "Name", name),
      info.classes?.length ? el("label", {}, "Class", cls, about) : null,
      el("button", { class: "primary", type: "submit", id: "guest-submit" }, "Play as guest"),
    );
  }

  /** Character select and create. */
  characters(account, classes, error = "") {
    const list = el(
      "ul",
      { class: "chars", id: "char-list" },
      account.characters.length
        ? account.characters.map((c) =>
            el(
              "li",
              {},
              el("span", { class: "name" }, c.name),
              el("span", { class: "what" }, `level ${c.level} ${className(classes, c.class)}`),
              el("button", { class: "primary", onclick: () => this.actions.play(c.name) }, "Play"),
              el("button", { title: "Delete", onclick: () => confirm(`Delete ${c.name} for good?`) && this.actions.remove(c.name) }, "Delete"),
            ),
          )
        : el("li", { class: "muted" }, "No characters yet: create one below."),
    );
    const name = el("input", { name: "name", required: true, minlength: 3, maxlength: 16, placeholder: "Name", id: "new-char-name" });
    const cls = classSelect(classes, "new-char-class");
    const create = el(
      "form",
      {
        onsubmit: (e) => {
          e.preventDefault();
          this.error("");
          this.actions.create({ name: name.value.trim(), class: cls.value });
        },
      },
      el("div", { class: "row" }, name, classes?.length ? cls : null, el("button", { type: "submit" }, "Create")),
    );
    const role = account.role && account.role !== "player" ? ` (${account.role})` : "";
    this.show(
      el("p", { class: "muted" }, `Logged in as ${account.account}${role}.`),
      list,
      create,
      el("p", { class: "error", id: "screen-error" }, error),
      el("div", { class: "row" }, el("button", { onclick: () => this.actions.logout() }, "Log out")),
    );
  }

  /** The server refused us for good (banned, wrong version): say why, offer a retry. */
  refused(title, message) {
    this.show(
      el("div", { class: "refusal", id: "refusal" }, el("strong", {}, title), el("br"), message),
      el("div", { class: "row" }, el("button", { class: "primary", onclick: () => this.actions.retry() }, "Try again")),
    );
  }

  /** An error under the current form. */
  error(text) {
    const line = document.getElementById("screen-error");
    if (line) line.textContent = text;
  }
}

function classSelect(classes, id) {
  return el(
    "select",
    { id, name: "class" },
    (classes || []).map((c) => el("option", { value: c.id, title: c.description || "" }, c.name || c.id)),
  );
}

/** A line under a class picker with the chosen class's description. */
function classAbout(classes, select) {
  const line = el("span", { class: "about" });
  const update = () => (line.textContent = classes?.find((c) => c.id === select.value)?.description || "");
  select.addEventListener("change", update);
  update();
  return line;
}

function className(classes, id) {
  return classes?.find((c) => c.id === id)?.name || id;
}
