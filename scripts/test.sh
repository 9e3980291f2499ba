#!/usr/bin/env bash
# Runs Emberkeep's whole test suite on a fresh machine: formatting, lints, the tools' Python
# tests (stdlib unittest), then every test of every crate (unit, headless-world scenarios,
# black-box WebSocket tests against a real server on an ephemeral port), then the web client
# in headless Chromium. Whatever the tests need beyond cargo is installed and started here,
# and stopped again on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== tools/ tests (python3, stdlib only)"
python3 -m unittest tools/test_plot_load.py tools/test_gen_load_map.py tools/test_nats_tap.py

# Waits up to 30 s until something listens on 127.0.0.1:$1; else stops with message $2.
wait_port() {
    python3 - "$1" "$2" <<'PY'
import socket, sys, time
deadline = time.time() + 30
while time.time() < deadline:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit(sys.argv[2])
PY
}

echo "== MongoDB-compatible test server (secantusdb from PyPI)"
# The storage suite runs against SQLite and a real MongoDB wire-protocol server. This starts
# one on a free loopback port for the tests and stops it when the script exits.
VENV="${EMBERKEEP_TEST_VENV:-target/test-venv}"
if [ ! -x "$VENV/bin/secantusd-py" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "secantusdb==0.7.0b3"
fi
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
MONGO_PORT="$(free_port)"
"$VENV/bin/secantusd-py" --host 127.0.0.1 --port "$MONGO_PORT" --storage-path :memory: \
    > target/secantusd.log 2>&1 &
MONGO_PID=$!
trap 'kill "$MONGO_PID" 2>/dev/null || true' EXIT
wait_port "$MONGO_PORT" "the MongoDB-compatible test server did not start; see target/secantusd.log"
export MONGODB_URI="mongodb://127.0.0.1:$MONGO_PORT"
# For the test that stops its own database under a running game.
SECANTUSD_BIN="$(cd "$VENV/bin" && pwd)/secantusd-py"
export SECANTUSD_BIN

echo "== NATS server (Debian's nats-server) for the cluster tests"
# The cluster tests (tests/cluster.rs, tests/e2e/handoff.test.mjs) start and stop their own
# nats-server from NATS_SERVER_BIN on free ports (one of them stops it under play); this
# shared one is for anything that only needs a bus (NATS_URL).
if ! command -v nats-server > /dev/null && [ ! -x /usr/sbin/nats-server ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nats-server
fi
NATS_SERVER_BIN="$(command -v nats-server || echo /usr/sbin/nats-server)"
export NATS_SERVER_BIN
NATS_PORT="$(free_port)"
"$NATS_SERVER_BIN" -a 127.0.0.1 -p "$NATS_PORT" > target/nats-server.log 2>&1 &
NATS_PID=$!
trap 'kill "$MONGO_PID" "$NATS_PID" 2>/dev/null || true' EXIT
wait_port "$NATS_PORT" "nats-server did not start; see target/nats-server.log"
export NATS_URL="nats://127.0.0.1:$NATS_PORT"

echo "== cargo test"
# Includes the bounded fuzz run: every target in fuzz/ (and text_command in systems) replays its
# checked-in corpus, then a second each of random and mutated inputs (docs/FUZZING.md).
cargo test --workspace --locked

echo "== web client in a real browser (Debian's chromium, playwright-core from npm)"
# tests/e2e drives headless Chromium against the real server binary: enter as a guest and with
# an account, walk, fight, chat, reconnect. Screenshots land in target/e2e/.
if [ ! -x /usr/bin/chromium ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
fi
(cd tests/e2e && npm ci --no-audit --no-fund)
cargo build --locked
EMBERKEEP_BIN="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/debug/emberkeep" node --test tests/e2e/
