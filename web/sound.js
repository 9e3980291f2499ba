// Sound: effects (web/sounds/*.wav, made by tools/gen_sounds.py) for combat, level-ups,
// loot, coins and the UI, and zone music (music.js). WebAudio, lazy: nothing is created or
// fetched before the first frame has been drawn and the person has touched the page (a
// click, a tap or a key), so sound never delays the page. Volumes and mute live in
// localStorage ("emberkeep.sound") and are set in the top bar's sound control.

import { MusicPlayer } from "./music.js";

const KEY = "emberkeep.sound";
export const EFFECTS = [
  "hit", "miss", "crit", "hurt", "level_up", "loot", "coins",
  "click", "open", "close", "error", "death", "cast", "heal",
];
const DEFAULTS = { volume: 0.8, music: 0.5, effects: 0.8, muted: false };
/** How many effect names `played` keeps (for the browser test and poking around). */
const KEEP = 50;

const clamp01 = (v) => Math.max(0, Math.min(1, Number.isFinite(+v) ? +v : 0));

function loadSettings() {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) || "{}");
    return {
      volume: clamp01(s.volume ?? DEFAULTS.volume),
      music: clamp01(s.music ?? DEFAULTS.music),
      effects: clamp01(s.effects ?? DEFAULTS.effects),
      muted: !!s.muted,
    };
  } catch {
    return { ...DEFAULTS };
  }
}

/** The page's sound: `play(name)`, `setTheme(theme)`, and what the server's events mean. */
export class Sound {
  constructor() {
    this.settings = loadSettings();
    this.played = []; // effect names actually started, oldest first
    this.theme = null; // the zone's music theme (even while muted or not started)
    this.ctx = null;
    this.buffers = new Map(); // name -> AudioBuffer
    this.selfId = null;
    this.gold = null; // our purse as last seen, to hear it grow
    this.items = null; // how many items we carry, to hear loot
  }

  get volume() {
    return this.settings.volume;
  }
  get muted() {
    return this.settings.muted;
  }

  /** Changes settings (`{volume, music, effects, muted}`), applies and keeps them. */
  set(changes) {
    for (const k of ["volume", "music", "effects"]) if (k in changes) this.settings[k] = clamp01(changes[k]);
    if ("muted" in changes) this.settings.muted = !!changes.muted;
    try {
      localStorage.setItem(KEY, JSON.stringify(this.settings));
    } catch (e) {
      console.warn("could not keep the sound settings", e);
    }
    this.applyGains();
  }

  /** Waits for the first frame, then for the first gesture, then starts the audio. */
  arm() {
    requestAnimationFrame(() => {
      const start = () => {
        for (const t of ["pointerdown", "keydown", "touchstart"]) removeEventListener(t, start, true);
        this.start();
      };
      for (const t of ["pointerdown", "keydown", "touchstart"]) addEventListener(t, start, { capture: true, passive: true });
    });
  }

  start() {
    if (this.ctx) return;
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    try {
      this.ctx = new Ctx();
    } catch (e) {
      console.warn("no audio", e);
      return;
    }
    this.master = this.ctx.createGain();
    this.fx = this.ctx.createGain();
    this.musicGain = this.ctx.createGain();
    this.fx.connect(this.master);
    this.musicGain.connect(this.master);
    this.master.connect(this.ctx.destination);
    this.applyGains();
    this.music = new MusicPlayer(this.ctx, this.musicGain);
    if (this.theme) this.music.play(this.theme);
    this.ctx.resume?.().catch(() => {});
    for (const name of EFFECTS) this.load(name);
  }

  async load(name) {
    try {
      const resp = await fetch(`sounds/${name}.wav`);
      if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
      this.buffers.set(name, await this.ctx.decodeAudioData(await resp.arrayBuffer()));
    } catch (e) {
      console.warn(`no sound ${name}`, e);
    }
  }

  applyGains() {
    if (!this.ctx) return;
    const s = this.settings;
    const t = this.ctx.currentTime;
    this.master.gain.setTargetAtTime(s.muted ? 0 : s.volume, t, 0.02);
    this.fx.gain.setTargetAtTime(s.effects, t, 0.02);
    this.musicGain.gain.setTargetAtTime(s.music, t, 0.05);
  }

  /** Plays effect `name` (one of EFFECTS) unless muted or not loaded yet. */
  play(name) {
    if (this.settings.muted || !this.ctx) return false;
    const buffer = this.buffers.get(name);
    if (!buffer) return false;
    if (this.ctx.state === "suspended") this.ctx.resume().catch(() => {});
    const src = this.ctx.createBufferSource();
    src.buffer = buffer;
    src.connect(this.fx);
    src.start();
    this.played.push(name);
    if (this.played.length > KEEP) this.played.shift();
    return true;
  }

  /** The zone's music theme (`zone.music`); null fades the music out. */
  setTheme(theme) {
    this.theme = theme || null;
    this.music?.play(this.theme);
  }

  /** A server event, after the game has applied it. */
  apply(ev) {
    const me = this.selfId;
    switch (ev.type) {
      case "welcome":
        this.selfId = ev.id;
        this.gold = null;
        this.items = null;
        return;
      case "hit":
        if (ev.attacker === me) this.play(ev.crit ? "crit" : "hit");
        else if (ev.target === me) this.play(ev.crit ? "crit" : "hurt");
        return;
      case "miss":
        if (ev.attacker === me || ev.target === me) this.play("miss");
        return;
      case "level_up":
        if (ev.id === me) this.play("level_up");
        return;
      case "death":
        if (ev.id === me) this.play("death");
        return;
      case "heal":
        if (ev.target === me) this.play("heal");
        return;
      case "cast_start":
        if (ev.id === me) this.play("cast");
        return;
      case "purse":
        if (this.gold !== null && ev.gold > this.gold) this.play("coins");
        this.gold = ev.gold;
        return;
      case "inventory": {
        const count = (ev.items || []).reduce((n, i) => n + (i.count || 1), 0);
        if (this.items !== null && count > this.items) this.play("loot");
        this.items = count;
        return;
      }
      case "error":
        if (me !== null) this.play("error");
        return;
      case "zone":
        this.setTheme(ev.name ? ev.music : null);
        return;
      default:
    }
  }
}

/** The page's one Sound. */
export const sound = new Sound();
/** Plays effect `name` (see EFFECTS). */
export const play = (name) => sound.play(name);
/** Crossfades the music to `theme` (a zone's `music`). */
export const setTheme = (theme) => sound.setTheme(theme);
