// The sound control in the top bar (master, music and effects volume, mute) and the UI's
// own sounds: a click for every button, open / close when a panel or window shows or hides.

const $ = (id) => document.getElementById(id);

/** Wires the top bar's sound control and the UI sounds to `sound` (sound.js). */
export function bindSoundUi(sound) {
  const button = $("sound-button");
  const panel = $("sound-panel");
  const inputs = {
    volume: $("sound-volume"),
    music: $("sound-music"),
    effects: $("sound-effects"),
  };
  const mute = $("sound-mute");
  const show = () => {
    const s = sound.settings;
    for (const [k, input] of Object.entries(inputs)) input.value = String(Math.round(s[k] * 100));
    mute.checked = s.muted;
    button.classList.toggle("muted", s.muted);
    button.setAttribute("aria-label", s.muted ? "Sound settings (muted)" : "Sound settings");
  };
  button.addEventListener("click", () => {
    panel.hidden = !panel.hidden;
    button.setAttribute("aria-expanded", String(!panel.hidden));
  });
  for (const [k, input] of Object.entries(inputs)) {
    input.addEventListener("input", () => {
      sound.set({ [k]: Number(input.value) / 100 });
      show();
    });
  }
  mute.addEventListener("change", () => {
    sound.set({ muted: mute.checked });
    show();
  });
  addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !panel.hidden) {
      panel.hidden = true;
      button.setAttribute("aria-expanded", "false");
    }
  });
  show();

  // A click on any button; panels and windows that open or close.
  document.addEventListener("click", (e) => {
    if (e.target instanceof Element && e.target.closest("button")) sound.play("click");
  });
  const observer = new MutationObserver((changes) => {
    for (const c of changes) {
      const now = c.target.hidden;
      if (now !== (c.oldValue !== null)) sound.play(now ? "close" : "open");
    }
  });
  for (const el of document.querySelectorAll(".panel, #trade, #dialogue")) {
    observer.observe(el, { attributes: true, attributeFilter: ["hidden"], attributeOldValue: true });
  }
}
