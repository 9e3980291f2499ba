#!/usr/bin/env bash
# tools/load.sh — one capacity measurement on this machine, on 127.0.0.1 only:
#
#   1. generate an open load-test map (SIDE x SIDE tiles, a grid of player spawn points, mob
#      spawn areas of 100 mobs each) into a copy of assets/;
#   2. run the release server on it, run emberkeep-bot with PLAYERS clients against it, and
#      sample the server's CPU (/proc/PID/stat) and memory (/proc/PID/status) over the steady
#      window (after the ramp), plus its "tick stats" log lines (tick p50/p99, phase times);
#   3. run emberkeep-floor (one frame of the same mean size per client per tick, no game) with
#      the same number of emberkeep-bot --floor clients, and sample its CPU the same way;
#   4. print one summary line and write OUT/summary.json (latency_histogram: the bot's
#      [upper_bound_ms, count] buckets of the steady move latencies; tools/plot_load.py draws it).
#
# Build first:  cargo build --release --bins
# Usage:        tools/load.sh [--players N] [--mobs N] [--side TILES] [--duration SECS]
#                             [--ramp PER_SEC] [--behaviour walk|fight|chat|mixed]
#                             [--no-floor] [--frame-bytes N] [--perf] [--out DIR] [--port P]
#                             [--view-every TICKS]   (server.view_every_ticks; default: the server's)
#                             [--crowd TILES]   every player spawns in one TILES x TILES square
#                                               in the map's middle, with a few rats to fight there
#                             [--world KEY=VALUE]  a [world] setting of the server (repeatable),
#                                               e.g. --world crowd_near_entities=32
# Every process it starts is stopped by its PID when it ends. Runs are bounded: the bot stops
# itself after --duration (at most 120 s) and the floor server after --duration + 10 s.
set -euo pipefail

PLAYERS=500
MOBS=50000
SIDE=2048
DURATION=60
RAMP=250
BEHAVIOUR=mixed
FLOOR=1
FRAME_BYTES=auto
PERF=0
PORT=9301
FLOOR_PORT=9302
OUT=/tmp/ek-load
BOT_THREADS=1
TICK_RATE=20
VIEW_EVERY=
CROWD=0
WORLD_SETTINGS=

while [ $# -gt 0 ]; do
    case "$1" in
        --players) PLAYERS=$2; shift 2 ;;
        --mobs) MOBS=$2; shift 2 ;;
        --side) SIDE=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --ramp) RAMP=$2; shift 2 ;;
        --behaviour) BEHAVIOUR=$2; shift 2 ;;
        --no-floor) FLOOR=0; shift ;;
        --frame-bytes) FRAME_BYTES=$2; shift 2 ;;
        --perf) PERF=1; shift ;;
        --out) OUT=$2; shift 2 ;;
        --port) PORT=$2; FLOOR_PORT=$((PORT + 1)); shift 2 ;;
        --bot-threads) BOT_THREADS=$2; shift 2 ;;
        --view-every) VIEW_EVERY=$2; shift 2 ;;
        --crowd) CROWD=$2; shift 2 ;;
        --world) WORLD_SETTINGS+="$2"$'\n'; shift 2 ;;
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        *) echo "load.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
if [ "$DURATION" -gt 120 ]; then
    echo "load.sh: --duration is at most 120 s" >&2
    exit 2
fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/target/release
for b in emberkeep emberkeep-bot emberkeep-floor; do
    [ -x "$BIN/$b" ] || { echo "load.sh: $BIN/$b is missing; run: cargo build --release --bins" >&2; exit 2; }
done
# Every client is a socket on each side.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((PLAYERS + 256)) ]; then
    echo "load.sh: open-file limit $(ulimit -n) is too low for $PLAYERS clients" >&2
    exit 2
fi

CROWD_TAG=""
if [ "$CROWD" -gt 0 ]; then CROWD_TAG="-crowd$CROWD"; fi
RUN=$OUT/p$PLAYERS-m$MOBS-$BEHAVIOUR$CROWD_TAG
ASSETS=$OUT/assets-$SIDE-$PLAYERS-$MOBS$CROWD_TAG
mkdir -p "$RUN"
rm -f "$RUN"/*.log "$RUN"/*.json "$RUN"/db.sqlite*

# ---------------------------------------------------------------- assets: an open load map
# (The content, texts, story scripts and the shipped maps are copied each run, so an edit of
# assets/ is always measured; the shipped maps sit beside the load map in the atlas, so the
# story's zones, doors and warps exist and its triggers, dialogue and quests load.)
mkdir -p "$ASSETS/maps" "$ASSETS/locales"
cp "$ROOT"/assets/*.toml "$ASSETS/"
cp "$ROOT"/assets/locales/*.toml "$ASSETS/locales/"
cp "$ROOT"/assets/maps/*.tmj "$ASSETS/maps/"
if [ -d "$ROOT/assets/scripts" ]; then
    rm -rf "$ASSETS/scripts"
    cp -r "$ROOT/assets/scripts" "$ASSETS/scripts"
fi
if [ ! -f "$ASSETS/maps/load.tmj" ]; then
    python3 "$ROOT/tools/gen_load_map.py" "$ASSETS/maps/load.tmj" "$SIDE" "$PLAYERS" "$MOBS" "$CROWD"
fi

cat > "$RUN/server.toml" <<EOF
[server]
max_message_bytes = 4096
outbound_queue_frames = 256
stats_interval_secs = 5
database = "sqlite://$RUN/db.sqlite"
# Every bot connects from 127.0.0.1: lift the per-address limits for the measurement.
max_connections_per_ip = 1000000
new_connections_per_ip_per_sec = 1000000.0
${VIEW_EVERY:+view_every_ticks = $VIEW_EVERY}
[world]
map = "load"
allow_guests = true
tick_rate = $TICK_RATE
$WORLD_SETTINGS
EOF

PROG=load.sh
# shellcheck source=tools/proc.sh
. "$ROOT/tools/proc.sh"

cpu_ticks() { # utime + stime of a pid, in clock ticks (USER_HZ = 100)
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}
now_utc() { date -u +%Y-%m-%dT%H:%M:%S.%6NZ; }
world_sched() { # "run_ns runqueue_wait_ns" of a pid's thread named "world" (0 0 if none)
    local t
    for t in /proc/"$1"/task/*; do
        if [ "$(cat "$t/comm" 2>/dev/null)" = world ]; then
            awk '{ print $1, $2 }' "$t/schedstat"
            return
        fi
    done
    echo "0 0"
}
machine_ticks() { # "busy total" clock ticks of the whole machine, from /proc/stat
    awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat
}

RAMP_SECS=$(( (PLAYERS + ${RAMP%.*} - 1) / ${RAMP%.*} ))
WINDOW_FROM=$((RAMP_SECS + 5))
WINDOW_TO=$((DURATION - 3))
if [ "$WINDOW_TO" -le "$WINDOW_FROM" ]; then
    echo "load.sh: --duration $DURATION leaves no steady window after a ${RAMP_SECS} s ramp" >&2
    exit 2
fi

# Samples a process's CPU over the steady window of a bot run started at $1 (epoch seconds).
# Writes "cpu_secs wall_secs rss_kb hwm_kb threads from_utc to_utc machine_busy_cores
# world_run_ns world_wait_ns" to $3 (the last two: CPU time of the process's "world" thread,
# and the time it was runnable but waiting for a CPU, from /proc/PID/task/TID/schedstat).
sample_window() { # start_epoch pid out_file
    local start=$1 pid=$2 out=$3
    sleep "$(echo "$start + $WINDOW_FROM - $(date +%s.%N)" | bc)"
    local c0 t0 u0 m0 w0 c1 t1 u1 m1 w1
    c0=$(cpu_ticks "$pid"); t0=$(date +%s.%N); u0=$(now_utc); m0=$(machine_ticks); w0=$(world_sched "$pid")
    sleep "$(echo "$start + $WINDOW_TO - $(date +%s.%N)" | bc)"
    c1=$(cpu_ticks "$pid"); t1=$(date +%s.%N); u1=$(now_utc); m1=$(machine_ticks); w1=$(world_sched "$pid")
    local busy
    busy=$(echo "$m0 $m1" | awk -v n="$(nproc)" '{ print n * ($3 - $1) / ($4 - $2) }')
    local world
    world=$(echo "$w0 $w1" | awk '{ print $3 - $1, $4 - $2 }')
    echo "$(echo "($c1 - $c0) / 100" | bc -l) $(echo "$t1 - $t0" | bc -l) $(status_kb "$pid" VmRSS) $(status_kb "$pid" VmHWM) $(status_kb "$pid" Threads) $u0 $u1 $busy $world" > "$out"
}

# ---------------------------------------------------------------- the server and the bots
echo "load.sh: $PLAYERS players ($BEHAVIOUR), $MOBS mobs, ${SIDE}x$SIDE map, ${DURATION} s (ramp ${RAMP}/s); logs in $RUN"
cd "$ROOT"
"$BIN/emberkeep" --config "$RUN/server.toml" --assets "$ASSETS" --ws-addr "127.0.0.1:$PORT" \
    --http-addr 127.0.0.1:0 --log-format json > "$RUN/server.log" 2>&1 &
SERVER=$!
PIDS+=("$SERVER")
wait_port "$PORT" "$RUN/server.log" "$SERVER"
sleep 3 # the first tick fills every spawn area
START=$(date +%s.%N)
"$BIN/emberkeep-bot" --url "ws://127.0.0.1:$PORT" --clients "$PLAYERS" --ramp "$RAMP" \
    --duration "$DURATION" --behaviour "$BEHAVIOUR" --threads "$BOT_THREADS" \
    --json "$RUN/bot.json" > "$RUN/bot.log" 2>&1 &
BOT=$!
PIDS+=("$BOT")
sample_window "$START" "$SERVER" "$RUN/server.window" &
SAMPLER=$!
sample_window "$START" "$BOT" "$RUN/bot.window" &
BOT_SAMPLER=$!
if [ "$PERF" = 1 ]; then
    # perf cannot attach to a PID here (container); record the whole system for 10 s of the
    # steady window and look at the server's threads with --comm.
    sleep "$(echo "$START + $WINDOW_FROM + 2 - $(date +%s.%N)" | bc)"
    perf record -e cpu-clock -F 199 -a --call-graph dwarf,8192 -o "$RUN/perf.data" -- sleep 10 > "$RUN/perf.log" 2>&1 || true
fi
wait "$SAMPLER" "$BOT_SAMPLER"
wait "$BOT" || true
kill -TERM "$SERVER"
wait "$SERVER" || true
tail -1 "$RUN/bot.log"

read -r S_CPU S_WALL S_RSS S_HWM S_THREADS S_FROM S_TO S_BUSY S_WRUN S_WWAIT < "$RUN/server.window"
read -r B_CPU B_WALL _ _ _ _ _ _ _ _ < "$RUN/bot.window"
# "tick stats" lines logged inside the window.
jq -c --arg from "$S_FROM" --arg to "$S_TO" \
    'select(.fields.message == "tick stats" and .timestamp >= $from and .timestamp <= $to) | .fields' \
    "$RUN/server.log" > "$RUN/ticks.jsonl"
if [ ! -s "$RUN/ticks.jsonl" ]; then
    echo "load.sh: no tick stats in the window; see $RUN/server.log" >&2
    exit 1
fi

# ---------------------------------------------------------------- the floor
F_CPU=0; F_WALL=1; F_BYTES=0; F_CLIENTS=0; F_BUSY=0
if [ "$FLOOR" = 1 ]; then
    if [ "$FRAME_BYTES" = auto ]; then
        F_BYTES=$(jq '.steady_rates | if .frames_in_per_sec > 0 then (.bytes_in_per_sec / .frames_in_per_sec | floor) else 48 end' "$RUN/bot.json")
    else
        F_BYTES=$FRAME_BYTES
    fi
    "$BIN/emberkeep-floor" --addr "127.0.0.1:$FLOOR_PORT" --tick-rate "$TICK_RATE" \
        --frame-bytes "$F_BYTES" --queue-frames 256 --duration $((DURATION + 10)) > "$RUN/floor.log" 2>&1 &
    FLOOR_PID=$!
    PIDS+=("$FLOOR_PID")
    wait_port "$FLOOR_PORT" "$RUN/floor.log" "$FLOOR_PID"
    START=$(date +%s.%N)
    "$BIN/emberkeep-bot" --floor --url "ws://127.0.0.1:$FLOOR_PORT" --clients "$PLAYERS" \
        --ramp "$RAMP" --duration "$DURATION" --threads "$BOT_THREADS" \
        --json "$RUN/floor-bot.json" > "$RUN/floor-bot.log" 2>&1 &
    FBOT=$!
    PIDS+=("$FBOT")
    sample_window "$START" "$FLOOR_PID" "$RUN/floor.window"
    wait "$FBOT" || true
    kill -TERM "$FLOOR_PID" 2>/dev/null || true
    wait "$FLOOR_PID" || true
    tail -1 "$RUN/floor-bot.log"
    read -r F_CPU F_WALL _ _ _ _ _ F_BUSY _ _ < "$RUN/floor.window"
    F_CLIENTS=$(jq '.steady_rates.mean_connected' "$RUN/floor-bot.json")
fi

# ---------------------------------------------------------------- summary
jq -n --slurpfile ticks "$RUN/ticks.jsonl" --slurpfile bot "$RUN/bot.json" \
    --argjson players "$PLAYERS" --argjson mobs "$MOBS" --argjson side "$SIDE" \
    --arg behaviour "$BEHAVIOUR" --argjson rate "$TICK_RATE" --argjson crowd "$CROWD" \
    --argjson s_cpu "$S_CPU" --argjson s_wall "$S_WALL" --argjson rss "$S_RSS" --argjson hwm "$S_HWM" \
    --argjson s_busy "$S_BUSY" --argjson f_busy "$F_BUSY" --arg load "$(cat /proc/loadavg)" \
    --argjson w_run "$S_WRUN" --argjson w_wait "$S_WWAIT" \
    --argjson b_cpu "$B_CPU" --argjson b_wall "$B_WALL" \
    --argjson f_cpu "$F_CPU" --argjson f_wall "$F_WALL" --argjson f_clients "$F_CLIENTS" \
    --argjson f_bytes "$F_BYTES" --argjson floor "$FLOOR" '
  def phases: [.phase_mean_max_us | split(" ")[] | split("=") | {key: .[0], value: (.[1] | split("/") | map(tonumber))}] | from_entries;
  ($ticks | map(.ticks) | add) as $n
  | ($n / (($ticks | length) * 5)) as $tps
  | ($ticks | map(.players) | add / length) as $p
  | ($bot[0]) as $b
  | {
      players: $players, mobs: $mobs, map_side: $side, behaviour: $behaviour,
      players_in_world: $p,
      ticks_per_sec: $tps,
      tick_p50_ms_median: ($ticks | map(.tick_p50_us) | sort | .[length / 2 | floor] / 1000),
      tick_p99_ms_median_window: ($ticks | map(.tick_p99_us) | sort | .[length / 2 | floor] / 1000),
      tick_p99_ms_worst_window: ($ticks | map(.tick_p99_us) | max / 1000),
      tick_max_ms: ($ticks | map(.tick_max_us) | max / 1000),
      overruns_in_window: (($ticks | last.overruns) - ($ticks | first.overruns)),
      phase_mean_us: ($ticks | map(phases) | (.[0] | keys_unsorted) as $k
                      | reduce $k[] as $key ({}; .[$key] = ([$ticks[] | phases | .[$key][0]] | add / length | floor))),
      phase_max_us: ($ticks | map(phases) | (.[0] | keys_unsorted) as $k
                      | reduce $k[] as $key ({}; .[$key] = ([$ticks[] | phases | .[$key][1]] | max))),
      latency_ms: $b.steady_latency,
      latency_histogram: $b.steady_latency_histogram,
      clients_joined: $b.clients_joined, dropped: $b.dropped, connect_failed: $b.connect_failed,
      errors: $b.errors, unconfirmed_moves: $b.unconfirmed_moves,
      frames_in_per_sec: $b.steady_rates.frames_in_per_sec,
      mean_frame_bytes: (if $b.steady_rates.frames_in_per_sec > 0 then $b.steady_rates.bytes_in_per_sec / $b.steady_rates.frames_in_per_sec else 0 end),
      client_bandwidth: $b.client_bandwidth,
      crowd: $crowd,
      msgs_out_per_sec: $b.steady_rates.msgs_out_per_sec,
      bot_cpu: $b.bot_cpu,
      server_rss_mib: ($rss / 1024), server_hwm_mib: ($hwm / 1024),
      server_cpu_cores: ($s_cpu / $s_wall),
      world_cpu_ms_per_tick: ($w_run / 1e6 / ($s_wall * $tps)),
      world_runqueue_wait_ms_per_tick: ($w_wait / 1e6 / ($s_wall * $tps)),
      machine_busy_cores: $s_busy,
      bot_cpu_cores_steady: ($b_cpu / $b_wall),
      other_load_cores: ($s_busy - $s_cpu / $s_wall - $b_cpu / $b_wall),
      floor_machine_busy_cores: $f_busy,
      loadavg_at_end: $load,
      server_us_per_player_tick: (1e6 * $s_cpu / ($s_wall * $tps * $p)),
      floor_frame_bytes: $f_bytes,
      floor_us_per_client_tick: (if $floor == 1 then 1e6 * $f_cpu / ($f_wall * $rate * $f_clients) else null end),
    }
  | .ratio_to_floor = (if .floor_us_per_client_tick then .server_us_per_player_tick / .floor_us_per_client_tick else null end)
' > "$RUN/summary.json"
jq -r '"summary: \(.players_in_world | floor) players, \(.mobs) mobs: \(.ticks_per_sec * 10 | round / 10) ticks/s, tick p50 \(.tick_p50_ms_median) ms, p99 \(.tick_p99_ms_median_window) ms (worst 5 s window \(.tick_p99_ms_worst_window), max \(.tick_max_ms)), overruns \(.overruns_in_window); move p50 \(.latency_ms.p50_ms) ms p99 \(.latency_ms.p99_ms) ms; per client in \((.client_bandwidth.mean_bytes_per_sec // 0) / 1024 * 10 | round / 10) KiB/s mean, \((.client_bandwidth.p99_bytes_per_sec // 0) / 1024 * 10 | round / 10) p99; dropped \(.dropped); RSS \(.server_rss_mib | floor) MiB; world thread \(.world_cpu_ms_per_tick * 100 | round / 100) ms CPU + \(.world_runqueue_wait_ms_per_tick * 100 | round / 100) ms waiting for a CPU per tick; server \(.server_cpu_cores * 100 | round)% CPU = \(.server_us_per_player_tick * 100 | round / 100) µs per player-tick; floor \(.floor_us_per_client_tick // 0 | . * 100 | round / 100) µs per client-tick (\(.floor_frame_bytes) B frames); ratio \(.ratio_to_floor // 0 | . * 100 | round / 100); bot CPU \(.bot_cpu_cores_steady * 100 | round)% of a core; other load \(.other_load_cores * 100 | round / 100) cores"' "$RUN/summary.json"
echo "load.sh: details in $RUN/summary.json"
