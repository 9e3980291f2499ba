// The loading screen: a full-window cover with a progress bar, shown from page load until the
// page is ready (the start screen or the world), and again while a map's files load (the
// `.tmj`, then its tileset images) until the map has been drawn once. On a map change it
// only shows if the new map's files take a moment. Progress is real: files done of files
// known, and within the `.tmj` the bytes received of its Content-Length.

const $ = (id) => document.getElementById(id);
/** A map change shows the cover only when loading takes longer than this. */
const CHANGE_DELAY_MS = 250;

export class Loading {
  constructor() {
    this.root = $("loading");
    this.active = null; // { what, done, total, bytes, bytesTotal } while loading
    /** Every load shown or finished: { what, shown, done, total } (the browser test reads it). */
    this.history = [];
    this.showTimer = 0;
    // The page itself: index.html shows the cover before any script runs.
    this.begin("Emberkeep", 2, true);
    this.progress({ done: 1 }); // the client's code has loaded; its server address is next
  }

  /** `{done, total}` (and bytes) while something loads, else null (`emberkeep.loading`). */
  get state() {
    const a = this.active;
    return a && { what: a.what, done: a.done, total: a.total, bytes: a.bytes, bytesTotal: a.bytesTotal, shown: a.shown };
  }

  /** Starts a load of `total` files; shows the cover now or, when `now` is false, after a moment. */
  begin(what, total, now = true) {
    clearTimeout(this.showTimer);
    this.active = { what, done: 0, total, bytes: 0, bytesTotal: 0, shown: false };
    const record = { what, shown: false, done: 0, total };
    this.active.record = record;
    this.history.push(record);
    if (this.history.length > 20) this.history.shift();
    if (now) this.show();
    else this.showTimer = setTimeout(() => this.show(), CHANGE_DELAY_MS);
    this.draw();
  }

  /** Progress of the current load: any of `done`, `total`, `bytes`, `bytesTotal`. */
  progress(p) {
    const a = this.active;
    if (!a) return;
    Object.assign(a, p);
    a.record.done = a.done;
    a.record.total = a.total;
    this.draw();
  }

  /** The load finished: hide the cover once the next frame has been drawn. */
  finish() {
    const a = this.active;
    if (!a) return;
    this.progress({ done: a.total });
    clearTimeout(this.showTimer);
    // Two frames: the one that draws the map, then hide.
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        if (this.active !== a) return;
        this.active = null;
        a.record.finished = true;
        this.root.hidden = true;
      }),
    );
  }

  /** Drops the current load without waiting (the start screen is up, the map failed). */
  cancel() {
    clearTimeout(this.showTimer);
    if (this.active) this.active.record.finished = true;
    this.active = null;
    this.root.hidden = true;
  }

  show() {
    if (!this.active) return;
    this.active.shown = true;
    this.active.record.shown = true;
    this.root.hidden = false;
    this.draw();
  }

  draw() {
    const a = this.active;
    if (!a) return;
    // Files done, plus the share of the file under way its bytes say.
    const partial = a.bytesTotal > 0 && a.done < a.total ? Math.min(1, a.bytes / a.bytesTotal) : 0;
    const frac = a.total > 0 ? Math.min(1, (a.done + partial) / a.total) : 0;
    $("loading-title").textContent = a.what === "Emberkeep" ? "Loading Emberkeep…" : `Loading ${a.what}…`;
    $("loading-fill").style.width = `${(frac * 100).toFixed(1)}%`;
    const kb = a.bytes ? ` · ${(a.bytes / 1024).toFixed(0)} KB` : "";
    $("loading-text").textContent = `${a.done} / ${a.total} files${kb}`;
    this.root.setAttribute("aria-valuenow", String(Math.round(frac * 100)));
  }
}
