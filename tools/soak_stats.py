#!/usr/bin/env python3
"""tools/soak_stats.py — the figures and the flatness verdict of a tools/soak.sh run (stdlib only).

  soak_stats.py RUN_DIR [--tolerance-per-hour 0.10] [--settled-fds 4]

Reads RUN_DIR/soak.csv (one row per sample: `phase` is `baseline` before the bots, `soak`
while they churn, `after` once they left and lingering ended), RUN_DIR/bot.json (the bot's
report) and RUN_DIR/params.json (how soak.sh was called); writes RUN_DIR/summary.json and
prints a one-line verdict.

For each of RSS (`rss_kb`), entities (`entities`: players, mobs, NPCs and items in the world)
and open descriptors (`fds`), over the `soak` rows: first, last, min, max, mean; the slope of
a least-squares line through the second half of them (what is left once the bots have all
arrived), per hour and as a share of the mean per hour; and the max-min spread of the second
half as a share of its mean. A series is **flat** when that slope is within
--tolerance-per-hour of its mean per hour (default 10%). The `after` rows say whether the
server came back to its baseline: no players, no connections, and descriptors within
--settled-fds of the baseline.

Tests: python3 -m unittest tools/test_plot_load.py (the Soak classes).
"""

import argparse
import csv
import json
import os
import sys

# The three series the issue asks to stay flat, with a name for people.
FLAT = (("rss_kb", "RSS"), ("entities", "entities"), ("fds", "open descriptors"))


def fail(msg):
    raise SystemExit(f"soak_stats.py: {msg}")


def read_rows(path):
    """The samples of a soak.csv as dicts: numbers where a field holds one, else None."""
    try:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or "t" not in reader.fieldnames or "phase" not in reader.fieldnames:
                fail(f"{path}: not a soak.csv (needs a header with t and phase)")
            rows = []
            for line, r in enumerate(reader, start=2):
                out = {}
                for k, v in r.items():
                    if k in ("phase", "utc"):
                        out[k] = v
                        continue
                    try:
                        out[k] = float(v) if v not in ("", None) else None
                    except ValueError:
                        fail(f"{path}:{line}: {k} = {v!r} is not a number")
                if out["t"] is None:
                    fail(f"{path}:{line}: no t")
                rows.append(out)
            return rows
    except OSError as e:
        fail(f"{path}: {e}")


def fit(points):
    """(slope, intercept) of the least-squares line through (x, y) points; None for < 2
    distinct x."""
    pts = [(x, y) for x, y in points if x is not None and y is not None]
    if len(pts) < 2:
        return None
    n = len(pts)
    mx = sum(x for x, _ in pts) / n
    my = sum(y for _, y in pts) / n
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    if sxx == 0:
        return None
    slope = sum((x - mx) * (y - my) for x, y in pts) / sxx
    return slope, my - slope * mx


def second_half(rows):
    """The later half of the rows by time (all of them when there are fewer than 4)."""
    if len(rows) < 4:
        return rows
    t0, t1 = rows[0]["t"], rows[-1]["t"]
    mid = t0 + (t1 - t0) / 2
    return [r for r in rows if r["t"] >= mid]


def flatness(rows, field, tolerance_per_hour):
    """The figures of one series over the soak rows (see the module's doc)."""
    vals = [(r["t"], r.get(field)) for r in rows if r.get(field) is not None]
    if not vals:
        return {"samples": 0, "flat": None}
    ys = [y for _, y in vals]
    late = [(t, y) for t, y in vals if t >= second_half(rows)[0]["t"]]
    late_ys = [y for _, y in late]
    mean = sum(late_ys) / len(late_ys)
    line = fit(late)
    out = {
        "samples": len(vals),
        "first": ys[0], "last": ys[-1], "min": min(ys), "max": max(ys),
        "mean": sum(ys) / len(ys),
        "second_half": {
            "from_t": late[0][0], "samples": len(late), "mean": mean,
            "min": min(late_ys), "max": max(late_ys),
            "spread_share": (max(late_ys) - min(late_ys)) / mean if mean else None,
            "slope_per_hour": None, "slope_share_per_hour": None, "fit_intercept": None,
        },
        "flat": None,
    }
    if line is not None:
        slope_h = line[0] * 3600.0
        share = slope_h / mean if mean else None
        out["second_half"].update(slope_per_hour=slope_h, slope_share_per_hour=share,
                                  fit_intercept=line[1])
        out["flat"] = share is not None and abs(share) <= tolerance_per_hour
    return out


def settled(rows, settled_fds):
    """Did the server come back to its baseline once the bots left?"""
    base = [r for r in rows if r["phase"] == "baseline"]
    after = [r for r in rows if r["phase"] == "after"]
    if not base or not after:
        return None
    b, a = base[-1], after[-1]

    def delta(k):
        return None if a.get(k) is None or b.get(k) is None else a[k] - b[k]

    ok = (a.get("players") == 0 and a.get("connections") == 0 and a.get("entities_players") == 0
          and delta("fds") is not None and delta("fds") <= settled_fds)
    return {"baseline": b, "after": a, "fds_delta": delta("fds"), "rss_kb_delta": delta("rss_kb"),
            "entities_delta": delta("entities"), "back_to_baseline": ok}


def summarize(run_dir, tolerance_per_hour=0.10, settled_fds=4):
    rows = read_rows(os.path.join(run_dir, "soak.csv"))
    soak = [r for r in rows if r["phase"] == "soak"]
    if len(soak) < 2:
        fail(f"{run_dir}/soak.csv: {len(soak)} soak samples; a verdict needs at least 2")
    params, bot = {}, None
    for name in ("params.json", "bot.json"):
        path = os.path.join(run_dir, name)
        if os.path.isfile(path):
            try:
                with open(path) as f:
                    data = json.load(f)
            except (OSError, ValueError) as e:
                fail(f"{path}: {e}")
            if name == "params.json":
                params = data
            else:
                bot = data
    series = {field: flatness(soak, field, tolerance_per_hour) for field, _ in FLAT}
    for extra in ("players", "connections", "open_sockets", "threads", "ecs_entities"):
        series[extra] = flatness(soak, extra, tolerance_per_hour)
    status_misses = sum(1 for r in rows if r.get("players") is None)
    out = {
        "params": params,
        "samples": len(rows),
        "soak_secs": soak[-1]["t"] - soak[0]["t"],
        "tolerance_share_per_hour": tolerance_per_hour,
        "series": series,
        "flat": all(series[f]["flat"] for f, _ in FLAT),
        "settled": settled(rows, settled_fds),
        "status_misses": status_misses,
        "bot": None if bot is None else {k: bot.get(k) for k in (
            "clients_requested", "duration_secs", "clients_joined", "peak_connected",
            "connect_failed", "dropped", "dropped_total", "errors", "unconfirmed_moves",
            "latency", "bot_cpu", "churn")},
    }
    return out


def verdict_line(s):
    parts = []
    for field, name in FLAT:
        f = s["series"][field]
        h = f.get("second_half") or {}
        share = h.get("slope_share_per_hour")
        parts.append(f"{name} {f.get('first', 0):,.0f} -> {f.get('last', 0):,.0f} "
                     f"(2nd half {100 * (share or 0):+.1f}%/h, spread {100 * (h.get('spread_share') or 0):.1f}%, "
                     f"{'flat' if f['flat'] else 'NOT flat'})")
    st = s["settled"]
    back = "" if st is None else (
        f"; after: fds {st['fds_delta']:+.0f}, players {st['after'].get('players'):.0f}, "
        f"{'back to baseline' if st['back_to_baseline'] else 'NOT back to baseline'}")
    churn = (s.get("bot") or {}).get("churn") or {}
    bot = (f"; bots: {churn.get('sessions', 0)} sessions, failures {churn.get('failures_total', 0)}"
           if churn else "")
    return f"soak: {'FLAT' if s['flat'] else 'NOT FLAT'} over {s['soak_secs']:.0f} s: " + "; ".join(parts) + back + bot


def main(argv=None):
    p = argparse.ArgumentParser(prog="soak_stats.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--tolerance-per-hour", type=float, default=0.10,
                   help="largest |slope| of a flat series, as a share of its mean per hour")
    p.add_argument("--settled-fds", type=float, default=4,
                   help="descriptors above the baseline still counted as back to baseline")
    args = p.parse_args(argv)
    s = summarize(args.run_dir, args.tolerance_per_hour, args.settled_fds)
    path = os.path.join(args.run_dir, "summary.json")
    with open(path, "w") as f:
        json.dump(s, f, indent=2)
        f.write("\n")
    print(verdict_line(s))
    print(f"soak_stats.py: wrote {path}")
    return 0 if s["flat"] else 1


if __name__ == "__main__":
    sys.exit(main())
