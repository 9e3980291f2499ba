#!/usr/bin/env python3
"""tools/plot_load.py — SVG plots from tools/load.sh runs, for docs/ (stdlib only).

A load run (tools/load.sh --out DIR) leaves DIR/p<players>-m<mobs>-<behaviour>[-crowd<N>]/
with summary.json (the run's figures), bot.json (the bot's report, with a per-second `series`)
and ticks.jsonl (the server's 5 s "tick stats" lines). A RUN below is such a directory (or
its summary.json), or a glob of them in quotes.

  scaling RUN... [--label NAME RUN...]... --out PREFIX [--target-kib 16] [--target-tick-ms 25]
          [--target-move-ms 150]
      Writes four charts, one point per run, one line per group (crowd runs vs spread runs,
      and per --label set, e.g. "before" and "after"):
        PREFIX-tick.svg       tick p50 (dashed) and p99 (solid, the median 5 s window's) in ms
                              against players;
        PREFIX-move.svg       move->confirmation p50 (dashed) and p99 (solid) in ms against players;
        PREFIX-bandwidth.svg  bytes each client receives, mean (dashed) and p99 (solid), KiB/s,
                              against players, with --target-kib as a horizontal line;
        PREFIX-kinds.svg      the mean client's KiB/s by event type, one stacked bar per run
                              (types under 2% of every run's bytes are summed as "other").
  latency RUN... [--label NAME RUN...]... --out FILE.svg [--tail]
      The move->confirmation latency distribution of each run from its histogram
      (summary.json latency_histogram, or bot.json steady_latency_histogram): the share of
      moves confirmed within x ms (CDF), or with --tail the share slower than x ms on a log
      scale (where p99 and worse are read).
  series FILE --fields A,B... --out FILE.svg [--every SECS] [--scale F] [--log] [--y-label S]
      One run's values over time: FILE is a run directory (its bot.json `series`, one entry a
      second), a JSON report with a `series` list, or a JSONL file (one object a line, e.g.
      ticks.jsonl or a soak's samples). x is each entry's `t` if it has one, else its index
      times --every (default 1 s). Fields are picked by name; without --fields the numeric
      fields are listed. Values are multiplied by --scale (e.g. 0.000001 for MB).
  soak RUN --out FILE.svg [--title S]
      A tools/soak.sh run (its directory, or its soak.csv) over time, three panels one above
      the other: the server's RSS (MiB), entities in the world (all kinds, and the players
      among them) and open file descriptors (and WebSocket connections). Each flat series
      gets a dashed least-squares line over the soak's second half (tools/soak_stats.py), its
      slope per hour in the legend; the baseline sample before the bots and the one after
      they left are drawn as points of their own. Minutes on x for runs over 10 minutes.
  bench CRITERION_DIR --id GROUP/FUNCTION... --out FILE.svg [--per-item]
      Criterion's medians (CRITERION_DIR/GROUP/FUNCTION/N/new/estimates.json, as `cargo bench`
      leaves them under target/criterion) against N, one line per id, on log-log axes, each
      with a dotted line growing in proportion to N from its first point: where a curve leaves
      its dotted line, the cost grows faster (or slower) than linearly. --per-item divides each
      median by N (time per player).
  Every command takes --title (scaling: put before each chart's own title). Output is plain SVG 1.1, a few KB, the same bytes for the
  same input. The chart functions are in tools/svgplot.py for other tools to use.

Examples (the crowd baseline, then a before/after pair of sets):
  tools/plot_load.py scaling '/tmp/crowd-base/p*' --target-kib 16 --out docs/plots/crowd
  tools/plot_load.py scaling --label before '/tmp/crowd-base/p*' --label after '/tmp/crowd-new/p*' \\
      --target-kib 16 --out docs/plots/crowd
  tools/plot_load.py latency /tmp/crowd-new/p2000-m50000-mixed-crowd48 --out docs/plots/crowd-latency.svg
  tools/plot_load.py series /tmp/crowd-new/p2000-m50000-mixed-crowd48 --fields connected \\
      --out docs/plots/crowd-ramp.svg
  tools/plot_load.py soak /tmp/ek-soak --out docs/plots/soak.svg
Tests: python3 -m unittest tools/test_plot_load.py
"""

import argparse
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import soak_stats  # noqa: E402
from svgplot import PALETTE, HLine, Series, bar_chart, line_chart, stack  # noqa: E402

KIB = 1024.0


def fail(msg):
    raise SystemExit(f"plot_load.py: {msg}")


# ------------------------------------------------------------------ reading runs

def run_dirs(pattern):
    """The run directories a RUN argument names (a directory, its summary.json, or a glob)."""
    paths = sorted(glob.glob(pattern)) or fail(f"{pattern}: no such file or directory")
    dirs = []
    for p in paths:
        d = os.path.dirname(p) if os.path.isfile(p) else p
        if os.path.isfile(os.path.join(d, "summary.json")) or os.path.isfile(os.path.join(d, "bot.json")):
            dirs.append(d)
    return dirs or fail(f"{pattern}: no summary.json or bot.json in it")


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        fail(f"{path}: {e}")


def load_run(d, label):
    """One run's figures: summary.json if present (bot.json's histogram if it lacks one)."""
    summary_path, bot_path = os.path.join(d, "summary.json"), os.path.join(d, "bot.json")
    s = read_json(summary_path) if os.path.isfile(summary_path) else {}
    if not s.get("latency_histogram") and os.path.isfile(bot_path):
        bot = read_json(bot_path)
        s.setdefault("players", bot.get("clients_requested"))
        s.setdefault("latency_ms", bot.get("steady_latency"))
        s.setdefault("client_bandwidth", bot.get("client_bandwidth"))
        s["latency_histogram"] = bot.get("steady_latency_histogram")
    s["_label"], s["_dir"] = label, d
    return s


def runs_of(args):
    """Every run of the positional RUNs (no label) and of each --label set, in order."""
    runs = [load_run(d, "") for p in args.runs for d in run_dirs(p)]
    for name, *patterns in args.label or []:
        if not patterns:
            fail(f"--label {name}: give the runs after the name")
        runs += [load_run(d, name) for p in patterns for d in run_dirs(p)]
    return runs or fail("no runs given")


def group_of(run):
    crowd = run.get("crowd") or 0
    name = f"crowd {crowd}" if crowd else "spread"
    return f"{name} ({run['_label']})" if run["_label"] else name


def run_name(run):
    return f"{run.get('players') or 0:,}\n{group_of(run)}"


def grouped(runs):
    """[(group name, runs sorted by players)] in first-seen order."""
    groups = {}
    for r in runs:
        groups.setdefault(group_of(r), []).append(r)
    return [(g, sorted(rs, key=lambda r: r.get("players") or 0)) for g, rs in groups.items()]


def dig(d, *keys):
    for k in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


# ------------------------------------------------------------------ charts

def pair_chart(runs, title, y_label, low, high, names, target=None, scale=1.0):
    """Per group a dashed line of `low` and a solid one of `high` (functions of a run)."""
    series = []
    for i, (g, rs) in enumerate(grouped(runs)):
        color = PALETTE[i % len(PALETTE)]
        for fn, name, dash in ((low, names[0], True), (high, names[1], False)):
            pts = [(r.get("players"), None if fn(r) is None else fn(r) * scale) for r in rs]
            series.append(Series(f"{g}: {name}", pts, color, dash))
    hlines = [HLine(target[0], target[1])] if target else []
    return line_chart(series, title=title, x_label="players", y_label=y_label, hlines=hlines)


def kinds_chart(runs, title):
    runs = [r for _, rs in grouped(runs) for r in rs]
    by_run = [dig(r, "client_bandwidth", "by_kind") or {} for r in runs]
    kinds = sorted({k for b in by_run for k in b})
    share = {k: max((b.get(k, 0) / (sum(b.values()) or 1)) for b in by_run) for k in kinds}
    big = sorted((k for k in kinds if share[k] >= 0.02), key=lambda k: (-sum(b.get(k, 0) for b in by_run), k))
    parts = [(k, [b.get(k, 0) / KIB for b in by_run]) for k in big]
    small = [k for k in kinds if k not in big]
    if small:
        parts.append(("other", [sum(b.get(k, 0) for k in small) / KIB for b in by_run]))
    if not parts:
        fail("no run has client_bandwidth.by_kind")
    return bar_chart([run_name(r) for r in runs], parts, title=title, x_label="run (players, group)",
                     y_label="KiB/s per client")


def cmd_scaling(args):
    runs = runs_of(args)
    kib = args.target_kib
    args.title = f"{args.title}: " if args.title else ""
    charts = {
        "tick": pair_chart(
            runs, args.title + "Tick time against players", "tick time (ms)",
            lambda r: r.get("tick_p50_ms_median"), lambda r: r.get("tick_p99_ms_median_window"),
            ("tick p50", "tick p99"),
            target=(args.target_tick_ms, f"target p99 < {args.target_tick_ms:g} ms") if args.target_tick_ms else None),
        "move": pair_chart(
            runs, args.title + "Move to confirmation against players", "move latency (ms)",
            lambda r: dig(r, "latency_ms", "p50_ms"), lambda r: dig(r, "latency_ms", "p99_ms"),
            ("move p50", "move p99"),
            target=(args.target_move_ms, f"target p99 < {args.target_move_ms:g} ms") if args.target_move_ms else None),
        "bandwidth": pair_chart(
            runs, args.title + "Bytes each client receives", "KiB/s per client",
            lambda r: dig(r, "client_bandwidth", "mean_bytes_per_sec"),
            lambda r: dig(r, "client_bandwidth", "p99_bytes_per_sec"),
            ("mean", "p99"), scale=1 / KIB,
            target=(kib, f"target {kib:g} KiB/s") if kib else None),
        "kinds": kinds_chart(runs, args.title + "What a client's bytes are made of (mean client)"),
    }
    for name, svg in charts.items():
        write(f"{args.out}-{name}.svg", svg)


def cdf_points(hist):
    """(upper bound ms, % of samples within it) of a histogram's buckets, from the last empty
    bucket below the samples to the first bucket that holds them all."""
    total = sum(n for _, n in hist)
    pts, seen = [], 0
    for bound, n in hist:
        seen += n
        if bound is None:
            break
        pts.append((bound, 100.0 * seen / total if total else 0.0))
    first = next((i for i, (_, y) in enumerate(pts) if y > 0), len(pts))
    last = next((i for i, (_, y) in enumerate(pts) if y >= 100.0), len(pts) - 1)
    return pts[max(0, first - 1):last + 1]


def cmd_latency(args):
    runs = runs_of(args)
    series = []
    for r in runs:
        hist = r.get("latency_histogram")
        if not hist:
            fail(f"{r['_dir']}: no latency histogram (summary.json latency_histogram or bot.json "
                 "steady_latency_histogram; runs before the bot had one cannot be drawn)")
        pts = cdf_points(hist)
        if args.tail:
            pts = [(x, 100.0 - y) for x, y in pts if y < 100.0]
        series.append(Series(run_name(r).replace("\n", " players, "), pts))
    if args.tail:
        chart = line_chart(series, title=args.title or "Moves slower than x (tail)",
                           x_label="move to confirmation (ms)", y_label="% of moves slower",
                           log_x=True, log_y=True)
    else:
        chart = line_chart(series, title=args.title or "Move to confirmation: distribution",
                           x_label="move to confirmation (ms)", y_label="% of moves within",
                           log_x=True, y_range=(0, 100),
                           hlines=[HLine(50, "50%", "#888888"), HLine(99, "99%", "#888888")])
    write(args.out, chart)


def series_rows(path):
    if os.path.isdir(path):
        path = os.path.join(path, "bot.json")
    if path.endswith(".jsonl"):
        rows = []
        with open(path) as f:
            for i, line in enumerate(f):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except ValueError as e:
                        fail(f"{path}:{i + 1}: {e}")
        return rows
    data = read_json(path)
    rows = data.get("series") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        fail(f"{path}: no `series` list")
    return rows


def cmd_series(args):
    rows = series_rows(args.file)
    numeric = sorted({k for r in rows for k, v in r.items()
                      if isinstance(v, (int, float)) and not isinstance(v, bool) and k != "t"})
    if not args.fields:
        fail(f"{args.file}: give --fields, some of: {', '.join(numeric)}")
    fields = [f for f in args.fields.split(",") if f]
    unknown = [f for f in fields if f not in numeric]
    if unknown:
        fail(f"{args.file}: no numeric field {', '.join(unknown)}; it has: {', '.join(numeric)}")
    xs = [r["t"] if isinstance(r.get("t"), (int, float)) else i * args.every for i, r in enumerate(rows)]
    series = [Series(f, [(x, r[f] * args.scale if isinstance(r.get(f), (int, float)) else None)
                         for x, r in zip(xs, rows)]) for f in fields]
    write(args.out, line_chart(series, title=args.title or f"{', '.join(fields)} over time",
                               x_label="time (s)", y_label=args.y_label or ", ".join(fields),
                               log_y=args.log))


def soak_panel(rows, field, label, scale, title, x_scale, x_unit, extra=None):
    """One panel of the soak plot: `field` over time (baseline and after as points of their
    own), its second-half fit dashed, and `extra` = (field, label) as a thinner second line."""
    soak = [r for r in rows if r["phase"] == "soak"]

    def pts(rs, f):
        return [(r["t"] * x_scale, None if r.get(f) is None else r[f] * scale) for r in rs]

    color = PALETTE[0]
    series = [Series(label, pts(soak, field), color)]
    if extra:
        series.append(Series(extra[1], pts(soak, extra[0]), PALETTE[1]))
    f = soak_stats.flatness(soak, field, 0.10)
    half = f.get("second_half") or {}
    if half.get("slope_per_hour") is not None:
        slope, icpt = half["slope_per_hour"] / 3600.0, half["fit_intercept"]
        t0, t1 = half["from_t"], soak[-1]["t"]
        share = half["slope_share_per_hour"] or 0.0
        series.append(Series(f"fit, 2nd half: {100 * share:+.1f}%/h",
                             [(t * x_scale, (icpt + slope * t) * scale) for t in (t0, t1)],
                             PALETTE[2], dash=True))
    for phase, color in (("baseline", PALETTE[4]), ("after", PALETTE[6])):
        marks = [r for r in rows if r["phase"] == phase]
        if marks:
            series.append(Series(f"{phase} ({'before the bots' if phase == 'baseline' else 'bots gone'})",
                                 pts(marks, field), color))
    return line_chart(series, title=title, x_label=f"time ({x_unit})", y_label=label, height=300)


def cmd_soak(args):
    path = args.run
    if os.path.isdir(path):
        path = os.path.join(path, "soak.csv")
    try:
        rows = soak_stats.read_rows(path)
    except SystemExit as e:
        fail(str(e).removeprefix("soak_stats.py: "))
    if not any(r["phase"] == "soak" for r in rows):
        fail(f"{path}: no soak samples")
    minutes = rows[-1]["t"] - rows[0]["t"] > 600
    x_scale, x_unit = (1 / 60.0, "min") if minutes else (1.0, "s")
    panels = [
        soak_panel(rows, "rss_kb", "RSS (MiB)", 1 / KIB, "Server memory (VmRSS)", x_scale, x_unit),
        soak_panel(rows, "entities", "entities", 1.0, "Entities in the world (players, mobs, NPCs, items)",
                   x_scale, x_unit, extra=("entities_players", "players in the world")),
        soak_panel(rows, "fds", "open descriptors", 1.0, "Open file descriptors", x_scale, x_unit,
                   extra=("connections", "WebSocket connections")),
    ]
    write(args.out, stack(panels, title=args.title or "Churn soak"))


def bench_points(root, bench_id):
    """(N, median ns) of each parameter N of a criterion bench id, by N."""
    base = os.path.join(root, *bench_id.split("/"))
    if not os.path.isdir(base):
        fail(f"{base}: no such criterion bench (run cargo bench first)")
    points = []
    for name in os.listdir(base):
        path = os.path.join(base, name, "new", "estimates.json")
        if name.isdigit() and os.path.isfile(path):
            points.append((int(name), read_json(path)["median"]["point_estimate"]))
    if not points:
        fail(f"{base}: no numeric parameters with new/estimates.json")
    return sorted(points)


def cmd_bench(args):
    series = []
    for i, bench_id in enumerate(args.id):
        color = PALETTE[i % len(PALETTE)]
        pts = [(n, ns / (n if args.per_item else 1) / 1000.0)
               for n, ns in bench_points(args.criterion, bench_id)]
        series.append(Series(bench_id, pts, color))
        n0, t0 = pts[0]
        linear = [(n, t0 if args.per_item else t0 * n / n0) for n, _ in pts]
        series.append(Series(f"{bench_id}: linear", linear, color, dash=True))
    unit = "µs per player" if args.per_item else "µs"
    write(args.out, line_chart(series, title=args.title or "criterion medians against size",
                               x_label="players (N)", y_label=f"median ({unit})",
                               log_x=True, log_y=True))


def write(path, svg):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(svg)
    print(f"plot_load.py: wrote {path} ({len(svg.encode()):,} bytes)")


def main(argv=None):
    p = argparse.ArgumentParser(prog="plot_load.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    def runs_args(sp):
        sp.add_argument("runs", nargs="*", metavar="RUN", help="run directory, its summary.json, or a glob")
        sp.add_argument("--label", nargs="+", action="append", metavar=("NAME", "RUN"),
                        help="a named set of runs (repeatable): --label before RUN... --label after RUN...")
        sp.add_argument("--title")

    sp = sub.add_parser("scaling", help="tick, latency and bandwidth against players; bytes by type")
    runs_args(sp)
    sp.add_argument("--out", required=True, metavar="PREFIX", help="writes PREFIX-{tick,move,bandwidth,kinds}.svg")
    sp.add_argument("--target-kib", type=float, help="bandwidth target, KiB/s per client")
    sp.add_argument("--target-tick-ms", type=float, help="tick p99 target, ms")
    sp.add_argument("--target-move-ms", type=float, help="move p99 target, ms")
    sp.set_defaults(fn=cmd_scaling)

    sp = sub.add_parser("latency", help="latency distribution (CDF) of runs")
    runs_args(sp)
    sp.add_argument("--out", required=True, metavar="FILE.svg")
    sp.add_argument("--tail", action="store_true", help="share of moves slower than x, log scale")
    sp.set_defaults(fn=cmd_latency)

    sp = sub.add_parser("series", help="one run's values over time")
    sp.add_argument("file", metavar="FILE", help="run directory, JSON report with `series`, or JSONL")
    sp.add_argument("--fields", help="comma-separated field names")
    sp.add_argument("--out", required=True, metavar="FILE.svg")
    sp.add_argument("--every", type=float, default=1.0, help="seconds between entries without `t`")
    sp.add_argument("--scale", type=float, default=1.0, help="multiply every value by this")
    sp.add_argument("--log", action="store_true", help="log y axis")
    sp.add_argument("--y-label")
    sp.add_argument("--title")
    sp.set_defaults(fn=cmd_series)

    sp = sub.add_parser("soak", help="a soak run's RSS, entities and open descriptors over time")
    sp.add_argument("run", metavar="RUN", help="tools/soak.sh output directory, or its soak.csv")
    sp.add_argument("--out", required=True, metavar="FILE.svg")
    sp.add_argument("--title")
    sp.set_defaults(fn=cmd_soak)

    sp = sub.add_parser("bench", help="criterion medians against their parameter")
    sp.add_argument("criterion", metavar="CRITERION_DIR", help="e.g. target/criterion")
    sp.add_argument("--id", action="append", required=True, help="GROUP/FUNCTION (repeatable)")
    sp.add_argument("--out", required=True, metavar="FILE.svg")
    sp.add_argument("--per-item", action="store_true", help="median divided by N")
    sp.add_argument("--title")
    sp.set_defaults(fn=cmd_bench)

    args = p.parse_args(argv)
    try:
        args.fn(args)
    except ValueError as e:  # a chart with nothing to draw: say which
        fail(str(e))


if __name__ == "__main__":
    main()
