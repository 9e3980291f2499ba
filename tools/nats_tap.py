#!/usr/bin/env python3
"""tools/nats_tap.py — listen to everything a NATS server carries for a while and say what it
was: messages and payload bytes by the cluster message's kind (heartbeat, presence, roster,
channel, ...; see src/cluster/mod.rs, `Wire`) and by subject. For tools/cluster_load.sh.

  nats_tap.py HOST PORT SECONDS OUT.json [--subject SUBJECT]

Subscribes to SUBJECT (default `>`: every subject) as one more client of the server — it
adds one delivery per message to the server's own out counters — for SECONDS, then writes
OUT.json:

  {"secs": 30.0, "messages": 180, "bytes": 21000,
   "by_kind": {"heartbeat": {"messages": 60, "bytes": 7500, "mean_bytes": 125.0}, ...},
   "by_subject": {"emberkeep.all": {"messages": 178, "bytes": 20800}, ...}}

A payload that is not a cluster envelope (a whisper's answer on an inbox) counts as kind
`other`. Standard library only; loopback use (no TLS, no auth).
"""
import json
import socket
import sys
import time


class Parser:
    """Splits the server's side of the NATS protocol into messages: feed() it bytes, read
    `messages` ((subject, payload) pairs) and `pings` (PINGs to answer)."""

    def __init__(self):
        self.buf = b""
        self.messages = []
        self.pings = 0

    def feed(self, data):
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n")
            if end < 0:
                return
            line = self.buf[:end]
            op = line.split(b" ", 1)[0].upper()
            if op in (b"MSG", b"HMSG"):
                parts = line.split()
                # MSG subject sid [reply] size / HMSG subject sid [reply] hdr_size size
                size = int(parts[-1])
                hdr = int(parts[-2]) if op == b"HMSG" else 0
                total = end + 2 + size + 2
                if len(self.buf) < total:
                    return
                body = self.buf[end + 2:end + 2 + size]
                self.messages.append((parts[1].decode(), body[hdr:]))
                self.buf = self.buf[total:]
                continue
            if op == b"PING":
                self.pings += 1
            self.buf = self.buf[end + 2:]


def kind_of(payload):
    """The cluster message's kind (`msg.kind` of the envelope; for a line or change every
    process applies alike, `shared:` and its `msg.line`), or `other`."""
    try:
        msg = json.loads(payload)["msg"]
        kind = msg["kind"]
        if not isinstance(kind, str):
            return "other"
        if kind == "shared" and isinstance(msg.get("line"), str):
            return "shared:" + msg["line"]
        return kind
    except (ValueError, KeyError, TypeError, AttributeError):
        return "other"


def tally(messages, secs):
    """The summary of (subject, payload) pairs seen over `secs` seconds."""
    by_kind, by_subject = {}, {}
    for subject, payload in messages:
        for table, key in ((by_kind, kind_of(payload)), (by_subject, subject)):
            row = table.setdefault(key, {"messages": 0, "bytes": 0})
            row["messages"] += 1
            row["bytes"] += len(payload)
    for row in by_kind.values():
        row["mean_bytes"] = round(row["bytes"] / row["messages"], 1)
    return {"secs": secs, "messages": len(messages), "bytes": sum(len(p) for _, p in messages),
            "by_kind": dict(sorted(by_kind.items())), "by_subject": dict(sorted(by_subject.items()))}


def listen(host, port, secs, subject=">"):
    """Subscribes and collects for `secs` seconds; returns the tally."""
    p = Parser()
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(b'CONNECT {"verbose":false,"pedantic":false,"name":"nats_tap"}\r\n')
        s.sendall(f"SUB {subject} 1\r\n".encode())
        start = time.monotonic()
        end = start + secs
        s.settimeout(0.2)
        while time.monotonic() < end:
            try:
                data = s.recv(65536)
            except socket.timeout:
                continue
            if not data:
                break
            p.feed(data)
            while p.pings:
                s.sendall(b"PONG\r\n")
                p.pings -= 1
        return tally(p.messages, round(time.monotonic() - start, 3))


def main(argv):
    subject = ">"
    if "--subject" in argv:
        i = argv.index("--subject")
        subject = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    if len(argv) != 4:
        sys.exit("nats_tap.py: usage: HOST PORT SECONDS OUT.json [--subject SUBJECT]")
    host, port, secs, out = argv[0], int(argv[1]), float(argv[2]), argv[3]
    result = listen(host, port, secs, subject)
    with open(out, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1:])
