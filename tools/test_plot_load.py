"""Tests of tools/plot_load.py and tools/svgplot.py (stdlib unittest).

Run from the repository's root: python3 -m unittest tools/test_plot_load.py

The fixture runs in tools/testdata/plot_load/ are trimmed from a real crowd run (see the
README there): p1000-...-crowd48 (tick p99 8.5 ms, move p99 59 ms, 29.6 KiB/s mean),
p2000-...-crowd48 (15.566 ms, 99.348 ms, 73.6 KiB/s) and p5000-m50000-mixed, spread
(18.0 ms, 96 ms, 2.5 KiB/s).
"""

import io
import os
import re
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET
from contextlib import redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import plot_load  # noqa: E402
import soak_stats  # noqa: E402
import svgplot  # noqa: E402

DATA = os.path.join(HERE, "testdata", "plot_load")
NS = {"s": "http://www.w3.org/2000/svg"}
C1000, C2000, S5000 = (os.path.join(DATA, d) for d in (
    "p1000-m50000-mixed-crowd48", "p2000-m50000-mixed-crowd48", "p5000-m50000-mixed"))
SOAK = os.path.join(DATA, "soak-b40-debug")


def run(*argv):
    """Runs plot_load.py with argv; returns what it printed."""
    out = io.StringIO()
    with redirect_stdout(out):
        plot_load.main(list(argv))
    return out.getvalue()


def parse(path):
    """The SVG's root, after checking it is a plain SVG 1.1 document without scripts."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    root = ET.fromstring(text)
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("version") == "1.1", root.tag
    assert root.get("font-family") == "sans-serif"
    assert "<script" not in text and "<style" not in text
    return root


def series(root):
    """{label: [(x, y) pixel points]} of every line in a chart."""
    out = {}
    for g in root.iterfind(".//s:g[@class='series']", NS):
        label = g.find("s:title", NS).text
        pts = g.find("s:polyline", NS).get("points").split()
        out[label] = [tuple(float(v) for v in p.split(",")) for p in pts]
    return out


def legend(root):
    return [t.text for t in root.iterfind(".//s:g[@class='legend']/s:text", NS)]


def hline_y(root, label):
    for g in root.iterfind(".//s:g[@class='hline']", NS):
        if g.find("s:title", NS).text == label:
            return float(g.find("s:line", NS).get("y1"))
    raise AssertionError(f"no hline {label!r}")


def y_tick_pixel(root, value):
    """The pixel y of the y axis' tick label `value` (labels sit 4 px below their line)."""
    for t in root.iterfind("s:text", NS):
        if t.get("text-anchor") == "end" and t.text == value:
            return float(t.get("y")) - 4
    raise AssertionError(f"no y tick {value!r}")


class Scaling(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.prefix = os.path.join(cls.tmp.name, "plots", "crowd")
        cls.printed = run("scaling", os.path.join(DATA, "p*"), "--target-kib", "16",
                          "--target-tick-ms", "25", "--out", cls.prefix)
        cls.svg = {k: parse(f"{cls.prefix}-{k}.svg") for k in ("tick", "move", "bandwidth", "kinds")}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_writes_four_small_charts(self):
        for k in ("tick", "move", "bandwidth", "kinds"):
            size = os.path.getsize(f"{self.prefix}-{k}.svg")
            self.assertLess(size, 20_000, k)
            self.assertIn(f"crowd-{k}.svg", self.printed)

    def test_one_line_per_group_and_percentile(self):
        s = series(self.svg["tick"])
        self.assertEqual(sorted(s), ["crowd 48: tick p50", "crowd 48: tick p99",
                                     "spread: tick p50", "spread: tick p99"])
        self.assertEqual(len(s["crowd 48: tick p99"]), 2)  # 1,000 and 2,000 players
        self.assertEqual(len(s["spread: tick p99"]), 1)
        self.assertIn("target p99 < 25 ms", legend(self.svg["tick"]))

    def test_a_points_position_follows_its_value(self):
        s = series(self.svg["tick"])
        # Players on x: the crowd's 2,000 lies right of its 1,000, the spread 5,000 right of both.
        (x1, y1), (x2, y2) = s["crowd 48: tick p99"]
        (x5, y5), = s["spread: tick p99"]
        self.assertLess(x1, x2)
        self.assertLess(x2, x5)
        # The highest p99 (18.0 ms, spread) is the highest point (smallest y) of any line,
        # and every p50 lies below its p99.
        top = min(y for pts in s.values() for _, y in pts)
        self.assertEqual(top, y5)
        self.assertLess(y2, y1)
        for g in ("crowd 48", "spread"):
            for (_, p50), (_, p99) in zip(s[f"{g}: tick p50"], s[f"{g}: tick p99"]):
                self.assertGreater(p50, p99)
        # And the scale is linear: 15.566 ms sits at 15.566/18 of 18 ms's height above 0.
        zero = y_tick_pixel(self.svg["tick"], "0")
        self.assertAlmostEqual((zero - y2) / (zero - y5), 15.566 / 18.0, places=2)

    def test_bandwidth_in_kib_with_the_target_line(self):
        root = self.svg["bandwidth"]
        s = series(root)
        zero, fifty = y_tick_pixel(root, "0"), y_tick_pixel(root, "50")
        kib = lambda y: 50 * (zero - y) / (zero - fifty)  # noqa: E731
        self.assertAlmostEqual(kib(hline_y(root, "target 16 KiB/s")), 16, delta=0.2)
        (_, mean1000), (_, mean2000) = s["crowd 48: mean"]
        self.assertAlmostEqual(kib(mean1000), 29.6, delta=0.3)
        self.assertAlmostEqual(kib(mean2000), 75351.8 / 1024, delta=0.3)
        (_, p99_2000) = s["crowd 48: p99"][1]
        self.assertAlmostEqual(kib(p99_2000), 120178.2 / 1024, delta=0.3)

    def test_kinds_stack_per_run_biggest_first_small_ones_as_other(self):
        root = self.svg["kinds"]
        bars = {}
        for r in root.iterfind(".//s:rect[@class='bar']", NS):
            m = re.fullmatch(r"(.*) / (.*): ([\d.,]+)", r.find("s:title", NS).text)
            bars.setdefault(m.group(1), []).append((m.group(2), float(m.group(3).replace(",", "")),
                                                    float(r.get("y")), float(r.get("height"))))
        self.assertEqual(sorted(bars), ["1,000 crowd 48", "2,000 crowd 48", "5,000 spread"])
        parts = bars["2,000 crowd 48"]
        self.assertEqual([p[0] for p in parts][:2], ["move", "spawn"])
        self.assertIn("other", [p[0] for p in parts])
        self.assertNotIn("purse", legend(root))
        move = next(p for p in parts if p[0] == "move")
        self.assertAlmostEqual(move[1], 62368.9 / 1024, delta=0.01)
        # Stacked: each part starts where the one below ended, heights follow the values.
        for below, above in zip(parts, parts[1:]):
            self.assertAlmostEqual(above[2] + above[3], below[2], delta=0.11)
        spawn = parts[1]
        self.assertAlmostEqual(move[3] / spawn[3], move[1] / spawn[1], delta=0.05)

    def test_same_input_same_bytes(self):
        with open(f"{self.prefix}-kinds.svg", "rb") as f:
            before = f.read()
        run("scaling", os.path.join(DATA, "p*"), "--target-kib", "16", "--target-tick-ms", "25",
            "--out", self.prefix)
        with open(f"{self.prefix}-kinds.svg", "rb") as f:
            self.assertEqual(f.read(), before)

    def test_labelled_sets_are_groups_of_their_own(self):
        out = os.path.join(self.tmp.name, "ab")
        run("scaling", "--label", "before", C1000, C2000, "--label", "after", C2000, "--out", out)
        self.assertEqual(sorted(series(parse(f"{out}-move.svg"))),
                         ["crowd 48 (after): move p50", "crowd 48 (after): move p99",
                          "crowd 48 (before): move p50", "crowd 48 (before): move p99"])


class Latency(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def chart(self, *extra):
        path = os.path.join(self.tmp.name, "latency.svg")
        run("latency", C1000, C2000, "--out", path, *extra)
        return parse(path)

    def test_cdf_rises_to_all_moves_and_the_slower_run_lies_right(self):
        root = self.chart()
        s = series(root)
        fast, slow = s["1,000 players, crowd 48"], s["2,000 players, crowd 48"]
        for pts in (fast, slow):
            ys = [y for _, y in pts]
            self.assertEqual(ys, sorted(ys, reverse=True), "a CDF never falls")
            self.assertAlmostEqual(ys[-1], y_tick_pixel(root, "100"), delta=0.1)  # all moves
        # Where each crosses 50%: the 2,000 run (p50 47 ms) right of the 1,000 run (28 ms).
        half = hline_y(root, "50%")
        cross = lambda pts: next(x for x, y in pts if y <= half)  # noqa: E731
        self.assertLess(cross(fast), cross(slow))

    def test_tail_is_a_log_scale_of_the_slower_share(self):
        s = series(self.chart("--tail"))
        ys = [y for _, y in s["2,000 players, crowd 48"]]
        self.assertEqual(ys, sorted(ys), "the share slower than x only falls")

    def test_cdf_points_from_the_histogram(self):
        hist = [[1.0, 0], [2.0, 0], [5.0, 1], [10.0, 2], [20.0, 1], [50.0, 0], [None, 0]]
        self.assertEqual(plot_load.cdf_points(hist), [(2.0, 0.0), (5.0, 25.0), (10.0, 75.0), (20.0, 100.0)])
        # Overflow (above the last bound) keeps the curve below 100%.
        self.assertEqual(plot_load.cdf_points([[1.0, 1], [2.0, 0], [None, 1]]), [(1.0, 50.0), (2.0, 50.0)])

    def test_a_run_without_histogram_is_refused_by_name(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "summary.json"), "w") as f:
                f.write('{"players": 10}')
            with self.assertRaises(SystemExit) as e:
                run("latency", d, "--out", os.path.join(d, "x.svg"))
            self.assertIn("no latency histogram", str(e.exception))


class SeriesOverTime(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.out = os.path.join(self.tmp.name, "series.svg")

    def test_bot_series_fields_by_name(self):
        run("series", C2000, "--fields", "connected", "--out", self.out)
        s = series(parse(self.out))
        self.assertEqual(list(s), ["connected"])
        pts = s["connected"]
        self.assertEqual(len(pts), 10)  # one a second
        # The ramp: each second more clients, so each point higher (smaller y) than the last
        # until 2,000 stay connected.
        ys = [y for _, y in pts]
        self.assertEqual(ys[:9], sorted(ys[:9], reverse=True))

    def test_jsonl_with_every_and_scale(self):
        run("series", os.path.join(C2000, "ticks.jsonl"), "--fields", "tick_p99_us", "--every", "5",
            "--scale", "0.001", "--y-label", "tick p99 (ms)", "--out", self.out)
        root = parse(self.out)
        (x0, y0), (x1, _), (_, _) = series(root)["tick_p99_us"]
        # 17,476 µs first: with the scale it is 17.476 on a 0..20 axis.
        zero, ten = y_tick_pixel(root, "0"), y_tick_pixel(root, "10")
        self.assertAlmostEqual(10 * (zero - y0) / (zero - ten), 17.476, delta=0.05)
        self.assertLess(x0, x1)

    def test_unknown_field_lists_the_fields(self):
        with self.assertRaises(SystemExit) as e:
            run("series", C2000, "--fields", "rss", "--out", self.out)
        self.assertIn("no numeric field rss", str(e.exception))
        self.assertIn("bytes_in", str(e.exception))


class SoakStats(unittest.TestCase):
    """tools/soak_stats.py: the flatness figures and verdict of a soak run."""

    def rows(self, values, field="rss_kb", every=10.0):
        return [{"t": i * every, "phase": "soak", field: v} for i, v in enumerate(values)]

    def test_fit_is_least_squares(self):
        slope, icpt = soak_stats.fit([(0, 1), (1, 3), (2, 5)])
        self.assertAlmostEqual(slope, 2.0)
        self.assertAlmostEqual(icpt, 1.0)
        self.assertIsNone(soak_stats.fit([(1, 1)]))
        self.assertIsNone(soak_stats.fit([(1, 1), (1, 2)]))

    def test_a_level_series_is_flat_and_a_growing_one_is_not(self):
        # 100 samples 10 s apart: level around 1,000 with noise; then growing 2 a sample
        # (720 an hour: 72% of its mean per hour in the second half).
        level = soak_stats.flatness(self.rows([1000 + (5 if i % 2 else -5) for i in range(100)]),
                                    "rss_kb", 0.10)
        self.assertTrue(level["flat"])
        self.assertAlmostEqual(level["second_half"]["spread_share"], 10 / 1000, places=4)
        self.assertLess(abs(level["second_half"]["slope_share_per_hour"]), 0.01)
        growing = soak_stats.flatness(self.rows([1000 + 2 * i for i in range(100)]), "rss_kb", 0.10)
        self.assertFalse(growing["flat"])
        self.assertAlmostEqual(growing["second_half"]["slope_per_hour"], 720.0, places=6)
        self.assertEqual((growing["first"], growing["last"], growing["min"], growing["max"]),
                         (1000, 1198, 1000, 1198))

    def test_only_the_second_half_is_judged(self):
        # A ramp (the bots arriving) and then level: flat.
        values = [10 * i for i in range(50)] + [500] * 50
        f = soak_stats.flatness(self.rows(values, "entities"), "entities", 0.10)
        self.assertTrue(f["flat"])
        self.assertEqual(f["min"], 0)
        self.assertEqual(f["second_half"]["min"], 500)

    def test_the_fixture_run_is_summarized_with_its_bot_report(self):
        s = soak_stats.summarize(SOAK)
        self.assertEqual(sorted(s["series"]), ["connections", "ecs_entities", "entities", "fds", "open_sockets",
                                             "players", "rss_kb", "threads"])
        # The fixture predates the ecs_entities column: a column a run lacks has no samples.
        self.assertEqual(s["series"]["ecs_entities"], {"samples": 0, "flat": None})
        self.assertEqual(s["params"]["bots"], 40)
        self.assertGreater(s["bot"]["churn"]["sessions"], 40)
        self.assertIsNotNone(s["settled"])
        self.assertEqual(s["settled"]["after"]["players"], 0)
        self.assertTrue(s["settled"]["back_to_baseline"])
        # 150 s is too short to judge: ground loot piles up for its first 150 s (it lies
        # 3,000 ticks), so the entities still climb in the second half.
        self.assertFalse(s["series"]["entities"]["flat"])
        self.assertFalse(s["flat"])
        self.assertIn("soak: NOT FLAT over 145 s", soak_stats.verdict_line(s))

    def test_a_broken_csv_is_refused_naming_the_line(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "soak.csv"), "w") as f:
                f.write("t,phase,rss_kb\n1,soak,100\n2,soak,lots\n")
            with self.assertRaises(SystemExit) as e:
                soak_stats.summarize(d)
            self.assertIn("soak.csv:3: rss_kb = 'lots' is not a number", str(e.exception))
            with open(os.path.join(d, "soak.csv"), "w") as f:
                f.write("x,y\n1,2\n")
            with self.assertRaises(SystemExit) as e:
                soak_stats.summarize(d)
            self.assertIn("not a soak.csv", str(e.exception))


class SoakPlot(unittest.TestCase):
    """plot_load.py soak: RSS, entities and descriptors over time, three panels."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.out = os.path.join(cls.tmp.name, "soak.svg")
        cls.printed = run("soak", SOAK, "--out", cls.out)
        cls.root = parse(cls.out)
        cls.rows = soak_stats.read_rows(os.path.join(SOAK, "soak.csv"))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def panels(self):
        return self.root.findall("s:svg", NS)

    def test_three_panels_one_above_the_other(self):
        panels = self.panels()
        titles = [p.find("s:text", NS).text for p in panels]
        self.assertEqual(titles, ["Server memory (VmRSS)", "Entities in the world (players, mobs, NPCs, items)",
                                  "Open file descriptors"])
        ys = [float(p.get("y")) for p in panels]
        self.assertEqual(ys, sorted(ys))
        self.assertEqual(float(self.root.get("height")), ys[-1] + float(panels[-1].get("height")))
        self.assertLess(os.path.getsize(self.out), 40_000)

    def test_each_panel_has_its_series_fit_and_marks(self):
        rss, ents, fds = (series(p) for p in self.panels())
        soak = [r for r in self.rows if r["phase"] == "soak"]
        self.assertEqual(len(rss["RSS (MiB)"]), len(soak))
        self.assertIn("players in the world", ents)
        self.assertIn("WebSocket connections", fds)
        for s in (rss, ents, fds):
            self.assertTrue(any(k.startswith("fit, 2nd half: ") and k.endswith("%/h") for k in s), list(s))
            self.assertEqual(len(s["baseline (before the bots)"]), 1)
            self.assertEqual(len(s["after (bots gone)"]), 1)

    def test_points_follow_the_values(self):
        root = self.panels()[2]
        pts = series(root)["open descriptors"]
        soak = [r for r in self.rows if r["phase"] == "soak"]
        hi = max(range(len(soak)), key=lambda i: soak[i]["fds"])
        lo = min(range(len(soak)), key=lambda i: soak[i]["fds"])
        self.assertEqual(min(range(len(pts)), key=lambda i: pts[i][1]), hi)  # highest = smallest y
        self.assertEqual(max(range(len(pts)), key=lambda i: pts[i][1]), lo)
        xs = [x for x, _ in pts]
        self.assertEqual(xs, sorted(xs))

    def test_same_input_same_bytes_and_a_missing_run_named(self):
        with open(self.out, "rb") as f:
            before = f.read()
        run("soak", os.path.join(SOAK, "soak.csv"), "--out", self.out)
        with open(self.out, "rb") as f:
            self.assertEqual(f.read(), before)
        with self.assertRaises(SystemExit) as e:
            run("soak", os.path.join(self.tmp.name, "nothing"), "--out", self.out)
        self.assertIn("nothing", str(e.exception))


class Bench(unittest.TestCase):
    """Criterion's medians against N, from a criterion directory made up here."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.out = os.path.join(self.tmp.name, "bench.svg")
        # crowd/tick: 100 µs, 500 µs, 4,000 µs at 100, 500, 2,000 (bends up at the end).
        for n, ns in [(100, 100e3), (500, 500e3), (2000, 4000e3)]:
            d = os.path.join(self.tmp.name, "crowd", "tick", str(n), "new")
            os.makedirs(d)
            with open(os.path.join(d, "estimates.json"), "w") as f:
                f.write('{"median": {"point_estimate": %s}}' % ns)

    def test_medians_against_n_with_a_linear_guide(self):
        run("bench", self.tmp.name, "--id", "crowd/tick", "--out", self.out)
        s = series(parse(self.out))
        self.assertEqual(list(s), ["crowd/tick", "crowd/tick: linear"])
        real, linear = s["crowd/tick"], s["crowd/tick: linear"]
        # Linear up to 500, above its guide (smaller y) at 2,000.
        self.assertAlmostEqual(real[1][1], linear[1][1], delta=0.5)
        self.assertLess(real[2][1], linear[2][1] - 10)

    def test_per_item_and_a_missing_bench_named(self):
        run("bench", self.tmp.name, "--id", "crowd/tick", "--per-item", "--out", self.out)
        real = series(parse(self.out))["crowd/tick"]
        self.assertAlmostEqual(real[0][1], real[1][1], delta=0.5)  # 1 µs per player both
        with self.assertRaises(SystemExit) as e:
            run("bench", self.tmp.name, "--id", "tick/spread", "--out", self.out)
        self.assertIn("tick/spread", str(e.exception))


class Axes(unittest.TestCase):
    def test_nice_ticks(self):
        self.assertEqual(svgplot.nice_ticks(0, 18.7), [0, 5, 10, 15, 20])
        self.assertEqual(svgplot.nice_ticks(0, 5200), [0, 2000, 4000, 6000])
        self.assertEqual(svgplot.nice_ticks(0, 0.37), [0, 0.1, 0.2, 0.3, 0.4])

    def test_log_ticks(self):
        self.assertEqual(svgplot.log_ticks(12.5, 160), [10, 20, 50, 100, 200])
        self.assertEqual(svgplot.log_ticks(0.001, 100), [0.001, 0.01, 0.1, 1, 10, 100])

    def test_log_axis_places_decades_evenly(self):
        svg = svgplot.line_chart([svgplot.Series("a", [(1, 1), (10, 10), (100, 100)])],
                                 title="t", x_label="x", y_label="y", log_x=True, log_y=True)
        (xa, ya), (xb, yb), (xc, yc) = series(ET.fromstring(svg))["a"]
        self.assertAlmostEqual(xb - xa, xc - xb, delta=0.1)
        self.assertAlmostEqual(ya - yb, yb - yc, delta=0.1)

    def test_nothing_to_plot_is_an_error(self):
        with self.assertRaises(ValueError):
            svgplot.line_chart([svgplot.Series("a", [(1, None)])], title="t", x_label="x", y_label="y")


if __name__ == "__main__":
    unittest.main()
