// Zone music: a tiny JSON score per theme (web/music/<theme>.json, made by
// tools/gen_sounds.py) played on a WebAudio synth, looping, with a crossfade when the theme
// changes. A score is a few hundred bytes where a recorded loop would be ~100 KB.
//
// Score: {"tempo": bpm, "beats": loop length, "voices": [{"wave": "triangle", "gain": 0.2,
// "notes": [[midi | null (rest), beats], ...]}]}

const FADE_S = 1.5;
/** How far ahead the next loop is scheduled (seconds before it starts). */
const LOOKAHEAD_S = 1;

const midiHz = (m) => 440 * 2 ** ((m - 69) / 12);

/** Plays one theme at a time into `out` (a GainNode for music volume). */
export class MusicPlayer {
  constructor(ctx, out) {
    this.ctx = ctx;
    this.out = out;
    this.listed = null; // themes in music/index.json (a promise of a Set)
    this.scores = new Map(); // theme -> score promise
    this.track = null; // { theme, gain, timer }
    this.wanted = null;
  }

  /** The themes the server has files for; a theme not listed is never fetched. */
  themes() {
    this.listed ??= fetch("music/index.json")
      .then((r) => (r.ok ? r.json() : { themes: [] }))
      .then((j) => new Set(j.themes || []))
      .catch((e) => {
        console.warn("no music index", e);
        return new Set();
      });
    return this.listed;
  }

  score(theme) {
    if (!this.scores.has(theme)) {
      this.scores.set(
        theme,
        fetch(`music/${theme}.json`)
          .then((r) => (r.ok ? r.json() : null))
          .catch(() => null),
      );
    }
    return this.scores.get(theme);
  }

  /** Crossfades to `theme` (null: fades out). Unknown themes are silence. */
  async play(theme) {
    this.wanted = theme;
    if (this.track?.theme === theme) return;
    this.fadeOut();
    if (!theme || !(await this.themes()).has(theme)) return;
    const score = await this.score(theme);
    if (!score || this.wanted !== theme || this.track?.theme === theme) return;
    const gain = this.ctx.createGain();
    const t = this.ctx.currentTime;
    gain.gain.setValueAtTime(0, t);
    gain.gain.linearRampToValueAtTime(1, t + FADE_S);
    gain.connect(this.out);
    this.track = { theme, gain, timer: 0 };
    this.loop(this.track, score, t + 0.05);
  }

  fadeOut() {
    const old = this.track;
    if (!old) return;
    this.track = null;
    clearTimeout(old.timer);
    const t = this.ctx.currentTime;
    old.gain.gain.cancelScheduledValues(t);
    old.gain.gain.setValueAtTime(old.gain.gain.value, t);
    old.gain.gain.linearRampToValueAtTime(0, t + FADE_S);
    setTimeout(() => old.gain.disconnect(), (FADE_S + 0.2) * 1000);
  }

  /** Schedules one pass of the score at `start`, and the next one shortly before it ends. */
  loop(track, score, start) {
    if (this.track !== track) return;
    const beat = 60 / Math.max(30, Math.min(240, score.tempo || 90));
    for (const voice of score.voices || []) {
      let at = start;
      for (const [note, beats] of voice.notes || []) {
        const len = Math.max(0.05, beats * beat);
        if (note !== null) this.note(track.gain, voice, midiHz(note), at, len);
        at += len;
      }
    }
    const next = start + (score.beats || 16) * beat;
    const wait = Math.max(0, (next - this.ctx.currentTime - LOOKAHEAD_S) * 1000);
    track.timer = setTimeout(() => this.loop(track, score, next), wait);
  }

  note(out, voice, hz, at, len) {
    const osc = this.ctx.createOscillator();
    const env = this.ctx.createGain();
    osc.type = ["sine", "square", "triangle", "sawtooth"].includes(voice.wave) ? voice.wave : "triangle";
    osc.frequency.value = hz;
    const peak = Math.max(0, Math.min(1, voice.gain ?? 0.15)) * (osc.type === "square" ? 0.4 : 1);
    env.gain.setValueAtTime(0, at);
    env.gain.linearRampToValueAtTime(peak, at + 0.02);
    env.gain.exponentialRampToValueAtTime(Math.max(peak * 0.05, 1e-4), at + len * 0.95);
    env.gain.linearRampToValueAtTime(0, at + len);
    osc.connect(env).connect(out);
    osc.start(at);
    osc.stop(at + len + 0.02);
  }
}
