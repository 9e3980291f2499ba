// Layout helpers the stylesheet cannot do alone: the chat box folds away (its Chat button)
// and starts folded on a small screen so it never covers the controls; and performance
// marks for the first-load figures (tests/e2e/firstload.mjs): `ek-first-frame` when the
// first frame is drawn (the login screen), `ek-first-world-frame` when the world first is.

const $ = (id) => document.getElementById(id);
/** Screens this narrow or this low start with the chat folded. */
const SMALL = "(max-width: 600px), (max-height: 420px)";

/** Wires the chat's fold button. */
export function bindLayout() {
  const chat = $("chat");
  const toggle = $("chat-toggle");
  const fold = (folded) => {
    chat.classList.toggle("folded", folded);
    toggle.setAttribute("aria-expanded", String(!folded));
  };
  toggle.addEventListener("click", () => fold(!chat.classList.contains("folded")));
  fold(matchMedia(SMALL).matches);
  // Enter and / open the command line: unfold first (this runs before input.js focuses it).
  addEventListener(
    "keydown",
    (e) => {
      const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement;
      if (!typing && (e.code === "Enter" || e.code === "Slash")) fold(false);
    },
    true,
  );
}

let marked = { frame: false, world: false };

/** Per frame: sets the first-load marks once each. */
export function markFrame(inWorld) {
  if (!marked.frame) {
    marked.frame = true;
    performance.mark("ek-first-frame");
  }
  if (inWorld && !marked.world) {
    marked.world = true;
    performance.mark("ek-first-world-frame");
  }
}
