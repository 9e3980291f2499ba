#!/usr/bin/env python3
"""Generates Emberkeep's sound effects and zone music (self-made, stdlib only).

Effects: small synthesized WAVs (11025 Hz, mono, 8-bit) in web/sounds/, built from
envelopes over square, triangle, sine and noise oscillators.

Music: one tiny JSON score per zone theme in web/music/<theme>.json, plus
web/music/index.json listing them. web/music.js plays a score on a WebAudio synth, looping;
a score is a few hundred bytes where a WAV loop of the same length would be ~100 KB.

Run from the repository root:  python3 tools/gen_sounds.py
The output is deterministic (fixed random seeds), so rerunning changes no file.
"""

import json
import math
import os
import random
import struct
import wave

RATE = 11025
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web")


# ------------------------------------------------------------------ oscillators


def square(phase):
    return 1.0 if (phase % 1.0) < 0.5 else -1.0


def triangle(phase):
    p = phase % 1.0
    return 4.0 * p - 1.0 if p < 0.5 else 3.0 - 4.0 * p


def sine(phase):
    return math.sin(2.0 * math.pi * phase)


def envelope(t, length, attack=0.005, release=None):
    """Linear attack, then an exponential-ish decay to zero at `length`."""
    if t < attack:
        return t / attack
    rest = (t - attack) / max(length - attack, 1e-6)
    if release is None:
        return max(0.0, (1.0 - rest)) ** 2
    return max(0.0, 1.0 - rest) ** release


def tone(length, freq, wave_fn=square, volume=0.5, slide=None, attack=0.005, vibrato=0.0, release=None):
    """A note of `length` seconds; `slide` is the frequency it glides to by the end."""
    out = []
    phase = 0.0
    n = int(length * RATE)
    for i in range(n):
        t = i / RATE
        f = freq if slide is None else freq + (slide - freq) * (i / n)
        if vibrato:
            f *= 1.0 + 0.03 * math.sin(2 * math.pi * vibrato * t)
        phase += f / RATE
        out.append(wave_fn(phase) * envelope(t, length, attack, release) * volume)
    return out


def noise(length, volume=0.5, seed=1, smooth=0.0, attack=0.002, release=None):
    """White noise, low-passed by `smooth` (0 = none, 0.9 = dull)."""
    rnd = random.Random(seed)
    out = []
    last = 0.0
    for i in range(int(length * RATE)):
        t = i / RATE
        v = rnd.uniform(-1.0, 1.0)
        last = last * smooth + v * (1.0 - smooth)
        out.append(last * envelope(t, length, attack, release) * volume)
    return out


def mix(*parts):
    """Sums (offset seconds, samples) parts into one buffer."""
    total = max(int(off * RATE) + len(s) for off, s in parts)
    out = [0.0] * total
    for off, s in parts:
        start = int(off * RATE)
        for i, v in enumerate(s):
            out[start + i] += v
    return out


def write_wav(path, samples):
    data = bytearray()
    for v in samples:
        v = max(-1.0, min(1.0, v))
        data.append(int(round(128 + v * 127)))
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(RATE)
        w.writeframes(bytes(data))


# ------------------------------------------------------------------ effects


def effects():
    return {
        "hit": mix(
            (0, noise(0.09, 0.6, seed=2, smooth=0.3)),
            (0, tone(0.12, 180, square, 0.35, slide=70)),
        ),
        "miss": mix((0, noise(0.18, 0.35, seed=3, smooth=0.75, attack=0.06, release=1.5))),
        "crit": mix(
            (0, noise(0.1, 0.6, seed=4, smooth=0.2)),
            (0, tone(0.14, 220, square, 0.35, slide=60)),
            (0.04, tone(0.16, 1320, triangle, 0.3)),
        ),
        "hurt": mix(
            (0, tone(0.2, 240, square, 0.35, slide=110)),
            (0, noise(0.06, 0.4, seed=5, smooth=0.5)),
        ),
        "level_up": mix(
            *[(i * 0.09, tone(0.22, f, triangle, 0.4)) for i, f in enumerate([523, 659, 784, 1047])],
            (0.36, tone(0.3, 1568, square, 0.12, release=1.2)),
        ),
        "loot": mix((0, tone(0.08, 880, triangle, 0.4)), (0.07, tone(0.12, 1175, triangle, 0.4))),
        "coins": mix(
            (0, tone(0.07, 1976, square, 0.2)),
            (0.06, tone(0.09, 2637, square, 0.2)),
            (0.13, tone(0.1, 2349, square, 0.15)),
        ),
        "click": tone(0.03, 1400, square, 0.25, attack=0.001),
        "open": tone(0.11, 500, triangle, 0.4, slide=900),
        "close": tone(0.11, 900, triangle, 0.4, slide=480),
        "error": mix((0, tone(0.1, 196, square, 0.3)), (0.11, tone(0.14, 147, square, 0.3))),
        "death": mix(
            (0, tone(0.8, 392, triangle, 0.45, slide=98, release=1.3)),
            (0, noise(0.3, 0.2, seed=6, smooth=0.85)),
        ),
        "cast": tone(0.35, 440, sine, 0.45, slide=1320, vibrato=12, attack=0.03, release=1.5),
        "heal": mix(
            (0, tone(0.4, 659, triangle, 0.3, attack=0.04, release=1.5)),
            (0.05, tone(0.36, 831, triangle, 0.25, attack=0.04, release=1.5)),
            (0.1, tone(0.31, 988, sine, 0.25, attack=0.04, release=1.5)),
        ),
    }


# ------------------------------------------------------------------ music

# Per theme: tempo, scale (semitones from the root), root (MIDI), lead and bass waves, and a
# seed; the melody is a seeded walk over the scale, the bass follows a fixed progression.
THEMES = {
    "cold_stone": dict(tempo=66, root=50, scale=[0, 2, 3, 5, 7, 8, 10], lead="triangle", bass="sine", seed=11, prog=[0, 5, 3, 4]),
    "gulls_and_tide": dict(tempo=84, root=55, scale=[0, 2, 4, 7, 9], lead="triangle", bass="sine", seed=12, prog=[0, 3, 4, 0]),
    "hearth_and_hammer": dict(tempo=108, root=57, scale=[0, 2, 4, 5, 7, 9, 11], lead="square", bass="triangle", seed=13, prog=[0, 3, 4, 0]),
    "open_skies": dict(tempo=96, root=60, scale=[0, 2, 4, 7, 9], lead="triangle", bass="triangle", seed=14, prog=[0, 4, 5, 3]),
    "river_song": dict(tempo=88, root=62, scale=[0, 2, 4, 5, 7, 9, 11], lead="sine", bass="triangle", seed=15, prog=[0, 5, 3, 4]),
    "still_waters": dict(tempo=60, root=53, scale=[0, 2, 4, 7, 9], lead="sine", bass="sine", seed=16, prog=[0, 3, 0, 4]),
    "whispering_pines": dict(tempo=76, root=52, scale=[0, 2, 3, 5, 7, 9, 10], lead="triangle", bass="sine", seed=17, prog=[0, 6, 3, 4]),
}


def degree(scale, root, step):
    octave, i = divmod(step, len(scale))
    return root + 12 * octave + scale[i]


def score(theme):
    """A 4-bar loop (4/4): a lead melody in eighths and quarters and a bass of half notes."""
    t = THEMES[theme]
    rnd = random.Random(t["seed"])
    scale, root = t["scale"], t["root"]
    lead = []
    step = len(scale)  # start an octave up
    for bar in range(4):
        beats = 0.0
        while beats < 4.0:
            length = rnd.choice([0.5, 0.5, 1.0, 1.0, 1.5]) if beats <= 2.5 else 4.0 - beats
            length = min(length, 4.0 - beats)
            if rnd.random() < 0.15 and beats > 0:
                lead.append([None, length])  # a rest
            else:
                step = max(len(scale) - 2, min(2 * len(scale) + 2, step + rnd.choice([-2, -1, -1, 1, 1, 2, 0])))
                lead.append([degree(scale, root, step), length])
            beats += length
        if bar == 3:
            lead[-1] = [degree(scale, root, len(scale)), lead[-1][1]]  # home at the end
    bass = []
    for chord in t["prog"]:
        base = degree(scale, root - 12, chord)
        bass.append([base, 2.0])
        bass.append([base + 7 if chord != 6 else base + 6, 2.0])
    return {
        "theme": theme,
        "tempo": t["tempo"],
        "beats": 16,
        "voices": [
            {"wave": t["lead"], "gain": 0.16, "notes": lead},
            {"wave": t["bass"], "gain": 0.2, "notes": bass},
        ],
    }


def main():
    sounds = os.path.join(ROOT, "sounds")
    music = os.path.join(ROOT, "music")
    os.makedirs(sounds, exist_ok=True)
    os.makedirs(music, exist_ok=True)
    for name, samples in effects().items():
        path = os.path.join(sounds, f"{name}.wav")
        write_wav(path, samples)
        print(f"{path}: {os.path.getsize(path)} bytes")
    for theme in THEMES:
        path = os.path.join(music, f"{theme}.json")
        with open(path, "w") as f:
            json.dump(score(theme), f, separators=(",", ":"))
            f.write("\n")
        print(f"{path}: {os.path.getsize(path)} bytes")
    with open(os.path.join(music, "index.json"), "w") as f:
        json.dump({"format": "score", "themes": sorted(THEMES)}, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
