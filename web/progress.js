// A progress bar over the hotbar that fills over a number of ticks: your own cast (cast bar),
// and gathering or crafting (work bar). It ends full and fades ("done"), or flashes a reason
// in red ("Interrupted") before it goes.

const $ = (id) => document.getElementById(id);
const FLASH_MS = 900;
const STALE_MS = 3000; // a bar whose end never came goes this long after it should have

export class Progress {
  /** `id` is a `.progress` element with a `.fill` and a `.label`. */
  constructor(id) {
    this.box = $(id);
    this.fill = this.box.querySelector(".fill");
    this.label = this.box.querySelector(".label");
    this.run = null; // { t0, ms }
    this.hideAt = 0;
  }

  get active() {
    return !!this.run;
  }

  /** Starts filling over `ms`, labelled `text`. */
  start(text, ms, now = performance.now()) {
    this.run = { t0: now, ms: Math.max(1, ms) };
    this.hideAt = 0;
    this.box.hidden = false;
    this.box.classList.remove("failed", "done");
    this.box.dataset.state = "running";
    this.label.textContent = text;
    this.fill.style.width = "0%";
  }

  /** It finished: full, then gone. */
  done(now = performance.now()) {
    if (!this.run && this.box.hidden) return;
    this.run = null;
    this.box.classList.add("done");
    this.box.dataset.state = "done";
    this.fill.style.width = "100%";
    this.hideAt = now + FLASH_MS / 3;
  }

  /** It was cut short: `text` (e.g. "Interrupted") in red for a moment. */
  failed(text, now = performance.now()) {
    this.run = null;
    this.box.hidden = false;
    this.box.classList.add("failed");
    this.box.dataset.state = "failed";
    this.label.textContent = text;
    this.hideAt = now + FLASH_MS;
  }

  /** Gone at once (a map change, leaving the world). */
  clear() {
    this.run = null;
    this.hideAt = 0;
    this.box.hidden = true;
    this.box.dataset.state = "";
  }

  /** Per frame. */
  tick(now) {
    if (this.run) {
      const k = Math.min(1, (now - this.run.t0) / this.run.ms);
      this.fill.style.width = `${(k * 100).toFixed(1)}%`;
      if (now - this.run.t0 > this.run.ms + STALE_MS) this.clear();
    } else if (this.hideAt && now >= this.hideAt) {
      this.clear();
    }
  }
}
