// Small popups: the questions other players ask us (a trade, a party or a guild invite),
// each with its buttons and a time limit, and the menu a right click on a player opens.

import { el } from "./ui.js";

const $ = (id) => document.getElementById(id);

/**
 * Shows a question under the top bar, e.g. "Bob wants to trade with you." with Trade and
 * Decline. `key` identifies it: a new one with the same key replaces it, `closePrompt(key)`
 * takes it away. `choices` are {label, action, primary}; any click closes it. After
 * `timeoutMs` it goes away by itself (and runs `onTimeout`).
 */
export function prompt(key, text, choices, { timeoutMs = 60_000, onTimeout } = {}) {
  closePrompt(key);
  const box = el(
    "div",
    { class: "prompt", "data-prompt": key },
    el("span", { class: "text" }, text),
    ...choices.map((c) =>
      el(
        "button",
        {
          class: c.primary ? "primary" : "",
          "data-choice": c.id || c.label.toLowerCase(),
          onclick: () => {
            closePrompt(key);
            c.action();
          },
        },
        c.label,
      ),
    ),
  );
  box.timer = setTimeout(() => {
    closePrompt(key);
    onTimeout?.();
  }, timeoutMs);
  $("prompts").append(box);
}

export function closePrompt(key) {
  for (const p of document.querySelectorAll(`#prompts [data-prompt="${key}"]`)) {
    clearTimeout(p.timer);
    p.remove();
  }
}

/** Opens the menu at screen point (x, y) with `items` ({label, action}); closes on any click. */
export function showMenu(x, y, title, items) {
  const menu = $("context-menu");
  menu.replaceChildren(
    el("div", { class: "title" }, title),
    ...items.map((it) =>
      el(
        "button",
        {
          "data-action": it.id,
          onclick: () => {
            hideMenu();
            it.action();
          },
        },
        it.label,
      ),
    ),
  );
  menu.hidden = false;
  const w = menu.offsetWidth;
  const h = menu.offsetHeight;
  menu.style.left = `${Math.min(x, innerWidth - w - 4)}px`;
  menu.style.top = `${Math.min(y, innerHeight - h - 4)}px`;
  setTimeout(() => window.addEventListener("mousedown", onOutside, true), 0);
}

function onOutside(e) {
  if ($("context-menu").contains(e.target)) return;
  hideMenu();
}

export function hideMenu() {
  $("context-menu").hidden = true;
  window.removeEventListener("mousedown", onOutside, true);
}
