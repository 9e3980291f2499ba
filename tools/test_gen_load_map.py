"""Tests of tools/gen_load_map.py (stdlib unittest).

Run from the repository's root: python3 -m unittest tools/test_gen_load_map.py
"""

import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_load_map as g  # noqa: E402

T = g.T


def layer(m, name):
    return next(l for l in m["layers"] if l["name"] == name)


def tile(o):
    return int(o["x"] // T), int(o["y"] // T)


def prop(o, name):
    return next(p["value"] for p in o["properties"] if p["name"] == name)


class PairMaps(unittest.TestCase):
    SIDE, PLAYERS, MOBS = 256, 100, 1000

    def setUp(self):
        self.maps = g.pair_maps(self.SIDE, self.PLAYERS, self.MOBS)

    def test_two_open_maps_with_a_warp_by_every_spawn_point(self):
        self.assertEqual(sorted(self.maps), ["east", "west"])
        for name, m in self.maps.items():
            other = "east" if name == "west" else "west"
            self.assertEqual((m["width"], m["height"]), (self.SIDE, self.SIDE))
            self.assertFalse(any(layer(m, "collision")["data"]))
            spawns = [tile(o) for o in layer(m, "spawns")["objects"]]
            warps = layer(m, "warps")["objects"]
            self.assertEqual(len(spawns), self.PLAYERS)
            self.assertEqual(len(warps), self.PLAYERS)
            warp_tiles = {tile(w) for w in warps}
            for (sx, sy), w in zip(spawns, warps):
                self.assertEqual(w["type"], "warp")
                self.assertEqual((w["width"], w["height"]), (T, T))
                # A few steps from its spawn point, on the map, and not on a spawn point.
                wx, wy = tile(w)
                self.assertEqual(abs(wx - sx) + abs(wy - sy), g.WARP_DX)
                self.assertTrue(0 <= wx < self.SIDE and 0 <= wy < self.SIDE)
                self.assertNotIn((wx, wy), spawns)
                self.assertEqual(prop(w, "map"), other)
            # Mob areas as on the load map: 100 mobs each, hostile kinds in turn.
            areas = layer(m, "mob_spawns")["objects"]
            self.assertEqual(sum(prop(a, "count") for a in areas), self.MOBS)
            self.assertEqual(prop(areas[1], "mob"), "wolf")
            self.assertEqual(len(warp_tiles), self.PLAYERS)

    def test_a_warp_lands_two_steps_from_the_way_back(self):
        for name, m in self.maps.items():
            other = self.maps["east" if name == "west" else "west"]
            back = {tile(w) for w in layer(other, "warps")["objects"]}
            for w in layer(m, "warps")["objects"]:
                to = (prop(w, "x"), prop(w, "y"))
                self.assertNotIn(to, back, "a target on a warp is refused by the server")
                self.assertTrue(0 <= to[0] < self.SIDE and 0 <= to[1] < self.SIDE)
                self.assertIn((to[0] - 2, to[1]), back)

    def test_too_many_spawn_points_for_the_side_is_refused(self):
        with self.assertRaisesRegex(ValueError, "make SIDE larger"):
            g.pair_maps(64, 1000, 0)


class Cli(unittest.TestCase):
    def test_the_single_map_has_no_warps_and_the_pair_writes_two_files(self):
        with tempfile.TemporaryDirectory() as d:
            g.main([os.path.join(d, "load.tmj"), "128", "10", "200", "0"])
            with open(os.path.join(d, "load.tmj")) as f:
                m = json.load(f)
            self.assertEqual([l["name"] for l in m["layers"]],
                             ["collision", "spawns", "mob_spawns"])
            g.main(["--pair", d, "128", "10", "200"])
            self.assertTrue(os.path.isfile(os.path.join(d, "west.tmj")))
            self.assertTrue(os.path.isfile(os.path.join(d, "east.tmj")))
            with self.assertRaises(SystemExit):
                g.main(["--pair", d, "128", "10"])


if __name__ == "__main__":
    unittest.main()
