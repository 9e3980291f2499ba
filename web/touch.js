// Touch controls, on touch devices only (a coarse pointer or touch events): an on-screen
// joystick bottom-left that walks in its direction (paced like a held arrow key), and big
// buttons to attack the target (or the nearest mob) and to pick up what lies at your feet.
// A tap on the canvas already walks, attacks, picks up and talks: the browser turns it into
// the mousedown that input.js handles.

import { attackNearest } from "./input.js";

const $ = (id) => document.getElementById(id);
/** How far (px) the knob must move before the joystick walks. */
const DEAD_ZONE = 12;

/** True on a touch device. */
export function isTouchDevice() {
  return matchMedia("(pointer: coarse)").matches || "ontouchstart" in window;
}

/**
 * Wires the touch controls; `ctx` holds game, send and inWorld(). Returns the per-frame poll
 * (walks while the joystick is held), or a no-op on devices without touch.
 */
export function bindTouch(ctx) {
  if (!isTouchDevice()) return () => {};
  document.body.classList.add("touch");
  const { game, send } = ctx;
  const controls = $("touch-controls");
  const pad = $("joystick");
  const knob = pad.querySelector(".knob");
  let dir = null; // [dx, dy] while held past the dead zone
  let pointer = null;

  const move = (e) => {
    const r = pad.getBoundingClientRect();
    const max = r.width / 2;
    let x = e.clientX - (r.left + max);
    let y = e.clientY - (r.top + max);
    const len = Math.hypot(x, y);
    if (len > max) {
      x = (x / len) * max;
      y = (y / len) * max;
    }
    knob.style.transform = `translate(${x}px, ${y}px)`;
    if (len < DEAD_ZONE) dir = null;
    else if (Math.abs(x) > Math.abs(y)) dir = [Math.sign(x), 0];
    else dir = [0, Math.sign(y)];
  };
  const release = (e) => {
    if (e.pointerId !== pointer) return;
    pointer = null;
    dir = null;
    knob.style.transform = "";
  };
  pad.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    pointer = e.pointerId;
    pad.setPointerCapture?.(e.pointerId);
    move(e);
  });
  pad.addEventListener("pointermove", (e) => {
    if (e.pointerId === pointer) move(e);
  });
  pad.addEventListener("pointerup", release);
  pad.addEventListener("pointercancel", release);

  $("touch-attack").addEventListener("click", () => attackTarget(game));
  $("touch-pickup").addEventListener("click", () => send({ type: "command", line: "get" }));

  return function poll(now) {
    const on = ctx.inWorld();
    if (controls.hidden === on) controls.hidden = !on;
    if (on && dir) game.stepDir(dir[0], dir[1], now);
  };
}

/** Attacks the current target if it is a living mob, else the nearest one. */
function attackTarget(game) {
  const target = game.entities.get(game.target);
  if (target?.kind === "mob" && !target.dead) {
    game.attack(target.id);
    return;
  }
  attackNearest(game);
}
