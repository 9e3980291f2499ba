#!/usr/bin/env bash
# Runs one fuzz target coverage-guided under libFuzzer for SECS seconds (the long run; the
# normal test run gives each target a few seconds). Uses cargo-bolero (installed from
# crates.io into target/tools when missing) on the stable toolchain with RUSTC_BOOTSTRAP for
# the sanitizer flags, and builds into target/fuzz/ (instrumented, optimized, with overflow
# checks and debug assertions on; AddressSanitizer unless SANITIZER=NONE).
#
#   tools/fuzz.sh TARGET [SECS]    e.g. tools/fuzz.sh protocol_frame 600
#   tools/fuzz.sh list             the targets
#
# TARGET is a test in fuzz/tests/targets.rs, or text_command (systems/src/commands/text_fuzz.rs).
# Seeds come from the checked-in corpus (read only); what libFuzzer adds goes to
# target/fuzz/corpus/TARGET. A crash is written to the target's checked-in crashes/ folder,
# which the normal test run replays: fix the bug, keep the file as the regression case.
set -euo pipefail
cd "$(dirname "$0")/.."

targets() {
    sed -n 's/^fn \([a-z_]*\)() {$/\1/p' fuzz/tests/targets.rs
    sed -n 's/^    \([a-z_]*_file\) => .*/\1/p' fuzz/tests/targets.rs
    echo text_command
}

if [ "${1:-}" = "" ] || [ "$1" = "list" ]; then
    echo "usage: tools/fuzz.sh TARGET [SECS]; targets:" >&2
    targets >&2
    [ "${1:-}" = "list" ]
    exit
fi
target="$1"
secs="${2:-120}"
if ! targets | grep -x "$target" > /dev/null; then
    echo "no fuzz target named $target; tools/fuzz.sh list shows them" >&2
    exit 2
fi

tools="$PWD/target/tools"
if ! command -v cargo-bolero > /dev/null && [ ! -x "$tools/bin/cargo-bolero" ]; then
    cargo install cargo-bolero --version 0.13.5 --locked --no-default-features \
        --features libfuzzer --root "$tools"
fi
export PATH="$tools/bin:$PATH"

case "$target" in
    text_command)
        package=emberkeep-systems
        test=commands::text_fuzz::text_command
        dir=systems/src/commands/__fuzz__/text_command
        ;;
    *)
        package=emberkeep-fuzz
        test="$target"
        dir="fuzz/tests/__fuzz__/$target"
        ;;
esac
found="target/fuzz/corpus/$target"
mkdir -p "$found" "$dir/crashes"

# The bundled SQLite (rusqlite) is linked into both the library and the test binary: an ODR
# report about its globals is no finding here.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_odr_violation=0}"
# -rss_limit_mb: an input that makes a parser allocate without bound is a crash.
RUSTC_BOOTSTRAP=1 cargo bolero test "$test" --package "$package" --rustc-bootstrap \
    --sanitizer "${SANITIZER:-address}" --target-dir target/fuzz/build \
    --corpus-dir "$found" --crashes-dir "$dir/crashes" -T "${secs}s" --timeout 10s \
    --engine-args="-rss_limit_mb=2048 -print_final_stats=1 $dir/corpus"
