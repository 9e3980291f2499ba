#!/usr/bin/env bash
# Runs Emberkeep's whole test suite on a fresh machine: formatting, lints, then every test of
# every crate (unit, headless-world scenarios, black-box WebSocket tests against a real server
# on an ephemeral port). Whatever the tests need beyond cargo is installed and started here,
# and stopped again on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test"
cargo test --workspace --locked
