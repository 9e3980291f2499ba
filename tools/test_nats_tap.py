"""Tests of tools/nats_tap.py (stdlib unittest).

Run from the repository's root: python3 -m unittest tools/test_nats_tap.py
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import nats_tap  # noqa: E402

HEARTBEAT = (b'{"v":1,"from":"a","msg":{"kind":"heartbeat","ws_url":"ws://127.0.0.1:9401",'
             b'"maps":["west"],"players":1000,"capacity":5000,"draining":false}}')
PRESENCE = b'{"v":1,"from":"b","msg":{"kind":"presence","name":"hop7","online":true,"guild":null}}'


def msg(subject, payload, reply=None):
    head = f"MSG {subject} 1 {reply + ' ' if reply else ''}{len(payload)}\r\n".encode()
    return head + payload + b"\r\n"


class Parser(unittest.TestCase):
    def test_messages_split_across_reads_and_pings_are_seen(self):
        stream = (b'INFO {"server_id":"x","max_payload":1048576}\r\n' + msg("emberkeep.all", HEARTBEAT)
                  + b"PING\r\n" + msg("emberkeep.to.b", b"{}", reply="_INBOX.abc.1")
                  + msg("emberkeep.all", PRESENCE))
        p = nats_tap.Parser()
        # Byte by byte: nothing is lost or taken early at any split.
        for i in range(len(stream)):
            p.feed(stream[i:i + 1])
        self.assertEqual([s for s, _ in p.messages], ["emberkeep.all", "emberkeep.to.b", "emberkeep.all"])
        self.assertEqual(p.messages[0][1], HEARTBEAT)
        self.assertEqual(p.messages[1][1], b"{}")
        self.assertEqual(p.pings, 1)
        self.assertEqual(p.buf, b"")

    def test_a_payload_holding_crlf_is_read_by_its_size(self):
        p = nats_tap.Parser()
        p.feed(msg("x", b"a\r\nMSG y 1 3\r\nbcd"))
        self.assertEqual(p.messages, [("x", b"a\r\nMSG y 1 3\r\nbcd")])

    def test_headers_are_left_out_of_the_payload(self):
        headers = b"NATS/1.0\r\nX: 1\r\n\r\n"
        body = headers + PRESENCE
        p = nats_tap.Parser()
        p.feed(f"HMSG emberkeep.all 1 {len(headers)} {len(body)}\r\n".encode() + body + b"\r\n")
        self.assertEqual(p.messages, [("emberkeep.all", PRESENCE)])


class Tally(unittest.TestCase):
    def test_messages_are_counted_by_kind_and_subject(self):
        t = nats_tap.tally([("emberkeep.all", HEARTBEAT), ("emberkeep.all", HEARTBEAT),
                            ("emberkeep.all", PRESENCE), ("_INBOX.x.1", b'{"delivered":null}')], 2.0)
        self.assertEqual(t["messages"], 4)
        self.assertEqual(t["bytes"], 2 * len(HEARTBEAT) + len(PRESENCE) + 18)
        self.assertEqual(t["by_kind"]["heartbeat"],
                         {"messages": 2, "bytes": 2 * len(HEARTBEAT), "mean_bytes": float(len(HEARTBEAT))})
        self.assertEqual(t["by_kind"]["other"]["messages"], 1)
        self.assertEqual(t["by_subject"]["emberkeep.all"]["messages"], 3)
        self.assertEqual(list(t["by_kind"]), ["heartbeat", "other", "presence"])

    def test_kind_of_what_is_not_an_envelope_is_other(self):
        for payload in (b"", b"[1]", b'{"msg":5}', b'{"msg":{"kind":3}}', b"\xff"):
            self.assertEqual(nats_tap.kind_of(payload), "other", payload)
        self.assertEqual(nats_tap.kind_of(PRESENCE), "presence")

    def test_a_shared_line_counts_by_its_line(self):
        line = b'{"v":1,"from":"a","msg":{"kind":"shared","line":"channel","channel":"global","from":"Ann","text":"hi"}}'
        self.assertEqual(nats_tap.kind_of(line), "shared:channel")


if __name__ == "__main__":
    unittest.main()
