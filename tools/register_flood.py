#!/usr/bin/env python3
"""tools/register_flood.py — a bounded registration + login flood against a loopback server.

Starts the release server (target/release/emberkeep) on 127.0.0.1 with a fresh database in
a temporary folder, then:

  * a bystander (a guest in the world, from 127.0.0.1) pings every 100 ms and records the
    round trip;
  * CLIENTS WebSocket clients on each of ADDRS loopback addresses (127.0.0.2, .3, ...) send
    `register` (fresh names, and now and then a taken one) and `login` (wrong passwords)
    until ATTEMPTS requests have been sent, paced over about DURATION seconds;
  * the server's memory (/proc/PID/status: VmRSS, VmHWM) is sampled every 0.25 s, during
    the flood and for SETTLE seconds after it.

Prints the answers by error code, the bystander's latency and the server's peak and final
RSS, then stops the server (SIGTERM to the PID it started; SIGKILL after 10 s).
Bounded in count, time and memory: the whole run ends within DURATION + SETTLE + 60 s, and
the flood stops early if the server's RSS passes --max-rss-mib (4096).
Python 3 standard library only.

Build first:  cargo build --release --bins
Usage:        tools/register_flood.py [--attempts 2000] [--duration 30] [--addrs 4]
                                      [--clients 8] [--settle 5] [--port 9401] [--open]
                                      [--binary PATH]
`--open` raises the per-address limits (registrations, lockouts, new connections) so that
nearly every request reaches the password hash: it measures the hash gate alone.
"""

import argparse
import asyncio
import base64
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Ws:
    """A minimal WebSocket client (RFC 6455: masked text frames out, events in)."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port, source):
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, local_addr=(source, 0)
        )
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(head.split(b"\r\n", 1)[0].decode(errors="replace"))
        return cls(reader, writer)

    def send_frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            head = bytes([0x80 | opcode, 0x80 | n])
        elif n < 65536:
            head = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
        else:
            head = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.writer.write(head + mask + body)

    async def send(self, msg):
        self.send_frame(0x1, json.dumps(msg).encode())
        await self.writer.drain()

    async def events(self):
        """The next text frame's events (answers pings; raises on close)."""
        while True:
            b0, b1 = await self.reader.readexactly(2)
            n = b1 & 0x7F
            if n == 126:
                n = int.from_bytes(await self.reader.readexactly(2), "big")
            elif n == 127:
                n = int.from_bytes(await self.reader.readexactly(8), "big")
            payload = await self.reader.readexactly(n)
            opcode = b0 & 0x0F
            if opcode == 0x1:
                return json.loads(payload)
            if opcode == 0x9:
                self.send_frame(0xA, payload)
            elif opcode == 0x8:
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                raise ConnectionError(f"closed {code} {payload[2:].decode(errors='replace')}")

    async def answer(self, kinds):
        """Reads events until one of `kinds` arrives; returns it."""
        while True:
            for e in await self.events():
                if e.get("type") in kinds:
                    return e

    def close(self):
        try:
            self.writer.close()
        except Exception:
            pass


def memory(pid):
    """(VmRSS, VmHWM) of the process in KiB, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])
    except (OSError, KeyError, ValueError):
        return None


class Run:
    def __init__(self, args):
        self.args = args
        self.sent = 0
        self.answers = {}
        self.latency = []
        self.rss = []
        self.flooding = True
        self.over_cap = False
        self.names = []
        self.start = time.monotonic()

    def next_request(self):
        """The next request to send, or None once the budget is spent."""
        if self.sent >= self.args.attempts or self.over_cap:
            return None
        self.sent += 1
        roll = random.random()
        if roll < 0.6 or not self.names:
            name = f"f{self.sent}_{random.randrange(10**6)}"
            return {"type": "register", "username": name, "password": "flood-password-1"}
        if roll < 0.7:
            return {"type": "register", "username": random.choice(self.names),
                    "password": "flood-password-1"}
        return {"type": "login", "username": random.choice(self.names),
                "password": f"wrong-{random.randrange(10**9)}"}

    async def pace(self):
        """Waits so that requests spread over the flood's duration."""
        due = self.start + self.sent * self.args.duration / self.args.attempts
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    async def flooder(self, source):
        ws = None
        while self.sent < self.args.attempts and not self.over_cap:
            try:
                if ws is None:
                    ws = await Ws.connect(self.args.port, source)
                    await ws.send({"type": "hello", "version": 1})
                    await asyncio.wait_for(ws.answer({"server_info", "error"}), 10)
                await self.pace()
                request = self.next_request()
                if request is None:
                    break
                await ws.send(request)
                got = await asyncio.wait_for(ws.answer({"logged_in", "error"}), 30)
                code = got.get("code", "logged_in")
                self.answers[code] = self.answers.get(code, 0) + 1
                if got["type"] == "logged_in":
                    self.names.append(request["username"])
                    ws.close()
                    ws = None
            except (OSError, ConnectionError, asyncio.IncompleteReadError,
                    asyncio.TimeoutError) as e:
                key = f"connection: {str(e)[:60]}"
                self.answers[key] = self.answers.get(key, 0) + 1
                if ws:
                    ws.close()
                ws = None
                await asyncio.sleep(0.2)
        if ws:
            ws.close()

    async def bystander(self):
        ws = await Ws.connect(self.args.port, "127.0.0.1")
        await ws.send({"type": "hello", "version": 1, "name": "Bystander"})
        await asyncio.wait_for(ws.answer({"welcome"}), 10)
        nonce = 0
        while self.flooding:
            nonce += 1
            sent = time.monotonic()
            await ws.send({"type": "ping", "nonce": nonce})
            while True:
                events = await asyncio.wait_for(ws.events(), 30)
                if any(e.get("type") == "pong" and e.get("nonce") == nonce for e in events):
                    break
            self.latency.append((time.monotonic() - sent) * 1000)
            await asyncio.sleep(0.1)
        ws.close()

    async def sampler(self, pid):
        while True:
            m = memory(pid)
            if m is None:
                return
            self.rss.append((time.monotonic() - self.start, m[0], m[1]))
            if m[0] > self.args.max_rss_mib * 1024 and not self.over_cap:
                self.over_cap = True
                print(f"flood: server RSS over {self.args.max_rss_mib} MiB; stopping the flood",
                      file=sys.stderr)
            await asyncio.sleep(0.25)


def metric(http_port, name):
    """One value from the server's /metrics, or None."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/metrics", timeout=2) as r:
            for line in r.read().decode().splitlines():
                if line.startswith(name + " ") or line.startswith(name + "{"):
                    return float(line.rsplit(" ", 1)[1])
    except OSError:
        return None
    return None


def wait_healthy(http_port, proc, limit=20):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/health", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not answer /health in time")


async def flood(args, pid):
    run = Run(args)
    sampler = asyncio.create_task(run.sampler(pid))
    bystander = asyncio.create_task(run.bystander())
    await asyncio.sleep(1)  # a baseline for the bystander before the flood starts
    run.start = time.monotonic()
    sources = [f"127.0.0.{2 + a}" for a in range(args.addrs)]
    flooders = [run.flooder(s) for s in sources for _ in range(args.clients)]
    try:
        await asyncio.wait_for(asyncio.gather(*flooders), args.duration + 60)
    except asyncio.TimeoutError:
        print("flood: stopped at its time limit", file=sys.stderr)
    flood_secs = time.monotonic() - run.start
    peak_during = max((r for _, r, _ in run.rss), default=0)
    await asyncio.sleep(args.settle)
    run.flooding = False
    try:
        await asyncio.wait_for(bystander, 10)
    except Exception as e:  # the bystander's own failure is a result, not a crash
        print(f"bystander: {e}", file=sys.stderr)
    final = memory(pid)
    sampler.cancel()
    return run, flood_secs, peak_during, final


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--attempts", type=int, default=2000)
    p.add_argument("--duration", type=float, default=30.0)
    p.add_argument("--addrs", type=int, default=4)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--settle", type=float, default=5.0)
    p.add_argument("--port", type=int, default=9401)
    p.add_argument("--open", action="store_true")
    p.add_argument("--max-rss-mib", type=int, default=4096,
                   help="stop flooding once the server's RSS passes this (protects the machine)")
    p.add_argument("--binary", default=os.path.join(ROOT, "target/release/emberkeep"),
                   help="the server binary (default: this tree's release build)")
    args = p.parse_args()
    if not (1 <= args.attempts <= 20000 and 1 <= args.duration <= 120
            and 1 <= args.addrs <= 50 and 1 <= args.clients <= 32 and 0 <= args.settle <= 60):
        raise SystemExit("attempts 1-20000, duration 1-120 s, addrs 1-50, clients 1-32, settle 0-60")
    binary = args.binary
    if not os.path.exists(binary):
        raise SystemExit("build first: cargo build --release --bins")
    tmp = tempfile.mkdtemp(prefix="ek-flood-")
    env = dict(os.environ)
    env.update({
        "EMBERKEEP_SERVER_WATCH_ASSETS": "false",
        "EMBERKEEP_SERVER_STATS_INTERVAL_SECS": "0",
        "RUST_LOG": "warn",
    })
    if args.open:
        env.update({
            "EMBERKEEP_SERVER_REGISTRATIONS_PER_IP_PER_MIN": "10000",
            "EMBERKEEP_SERVER_ACCOUNTS_PER_IP_PER_DAY": "1000000",
            "EMBERKEEP_SERVER_LOGIN_FAILURES_PER_ACCOUNT": "1000000",
            "EMBERKEEP_SERVER_LOGIN_FAILURES_PER_IP": "1000000",
            "EMBERKEEP_SERVER_LOGIN_SLOWDOWN_MAX_SECS": "0",
            "EMBERKEEP_SERVER_NEW_CONNECTIONS_PER_IP_PER_SEC": "1000",
        })
    cmd = [binary, "--ws-addr", f"127.0.0.1:{args.port}",
           "--http-addr", f"127.0.0.1:{args.port + 1}",
           "--assets", os.path.join(ROOT, "assets"),
           "--database", f"sqlite://{tmp}/flood.db"]
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                              stderr=open(os.path.join(tmp, "server.log"), "w"))
    try:
        wait_healthy(args.port + 1, server)
        idle = memory(server.pid)
        run, secs, peak_during, final = asyncio.run(flood(args, server.pid))
        hashes = metric(args.port + 1, "emberkeep_password_hashes_total")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    lat = sorted(run.latency)

    def pct(q):
        return lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")

    mode = "open limits (every request hashes)" if args.open else "default limits"
    print(f"registration flood, {mode}: {run.sent} requests from {args.addrs} addresses x "
          f"{args.clients} clients in {secs:.1f} s")
    print("answers: " + ", ".join(f"{k} {v}" for k, v in sorted(run.answers.items())))
    print(f"server RSS: idle {idle[0] / 1024:.0f} MiB, peak during the flood "
          f"{peak_during / 1024:.0f} MiB, VmHWM {final[1] / 1024:.0f} MiB, "
          f"final ({args.settle:.0f} s after) {final[0] / 1024:.0f} MiB")
    if hashes is not None:
        print(f"password hashes computed: {hashes:.0f}")
    print(f"bystander ping round trip: p50 {pct(0.5):.1f} ms, p99 {pct(0.99):.1f} ms, "
          f"max {lat[-1] if lat else float('nan'):.1f} ms over {len(lat)} pings")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
