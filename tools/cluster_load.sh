#!/usr/bin/env bash
# tools/cluster_load.sh — one measurement of a two-process cluster on this machine, on
# 127.0.0.1 only: what the processes say to each other over NATS, and how long a handoff takes.
#
#   1. generate two open maps, west and east (tools/gen_load_map.py --pair: a grid of player
#      spawn points, a one-tile warp to the other map by each, mob spawn areas of 100 mobs)
#      into a copy of assets/, beside the shipped maps;
#   2. start nats-server and a MongoDB-compatible server (secantusd-py, in memory) on free
#      loopback ports, then two release servers joined into a cluster: `a` hosts west (its
#      start map), `b` hosts east (its start map), so guests enter on either;
#   3. run `emberkeep-bot` with PLAYERS guests on each process (--behaviour, walk by default:
#      see docs/SCALING.md for what fighting guests' loot does to handoffs) and HANDOFFS
#      account bots (`--handoffs`, starting on a) that walk onto a warp, follow
#      the handoff to the other process, pause, and do it again;
#   4. at the start and the end of the steady window (from 10 s after the ramp to 3 s before
#      the end) read each process's /metrics (emberkeep_cluster_{messages,bytes}_{sent,
#      received}, emberkeep_handoffs_{out,in}, the save queue), the ground items of
#      /status.json, nats-server's /varz, and the CPU time
#      (/proc/PID/stat) of every process it started and of the whole machine; keep each
#      server's "tick stats" lines of the window;
#      tools/nats_tap.py listens to every subject over the window and counts the messages and
#      bytes by the cluster message's kind (heartbeat, presence, roster, channel, ...);
#   5. print a summary and write OUT/summary.json: per process its players, NATS messages
#      and bytes sent and received per second and per player per second, handoffs, tick
#      p50/p99 and CPU; the handoff latency from the handoff bot (p50/p90/p99/max, failures);
#      what NATS carried, by kind; the CPU of the bots, NATS, the database and everything else.
#
# Build first:  cargo build --release --bins
# Usage:        tools/cluster_load.sh [--players N] [--handoffs M] [--mobs N] [--side TILES]
#                   [--duration SECS] [--ramp PER_SEC] [--behaviour walk|fight|chat|mixed]
#                   [--pause MIN..MAX] [--channel-chat MIN..MAX] [--heartbeat SECS]
#                   [--secantusd PATH] [--out DIR]
# Defaults: 1,000 players per process, 100 handoff bots (pausing 10..20 s after each arrival),
# 10,000 mobs on each 1024 x 1024 map, 60 s, heartbeats every 1 s (the server's default),
# secantusd-py from $SECANTUSD or the PATH, out /tmp/ek-cluster. --players is per process.
# Every process it starts is stopped by its PID when it ends. Runs are bounded: the bots stop
# themselves after --duration (at most 300 s); at most 5,000 players per process.
set -euo pipefail

PLAYERS=1000
HANDOFFS=100
MOBS=10000
SIDE=1024
DURATION=60
RAMP=250
HANDOFF_RAMP=20
BEHAVIOUR=walk
PAUSE=10..20
CHAT=
HEARTBEAT=1
SECANTUSD=${SECANTUSD:-secantusd-py}
OUT=/tmp/ek-cluster

while [ $# -gt 0 ]; do
    case "$1" in
        --players) PLAYERS=$2; shift 2 ;;
        --handoffs) HANDOFFS=$2; shift 2 ;;
        --mobs) MOBS=$2; shift 2 ;;
        --side) SIDE=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --ramp) RAMP=$2; shift 2 ;;
        --behaviour) BEHAVIOUR=$2; shift 2 ;;
        --pause) PAUSE=$2; shift 2 ;;
        --channel-chat) CHAT=$2; shift 2 ;;
        --heartbeat) HEARTBEAT=$2; shift 2 ;;
        --secantusd) SECANTUSD=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        -h|--help) sed -n '2,37p' "$0"; exit 0 ;;
        *) echo "cluster_load.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
int() { # name value: a whole number, or exit 2 naming the flag
    [[ "$2" =~ ^[0-9]+$ ]] || { echo "cluster_load.sh: $1 $2: expected a whole number" >&2; exit 2; }
}
int --players "$PLAYERS"; int --handoffs "$HANDOFFS"; int --mobs "$MOBS"; int --side "$SIDE"
int --duration "$DURATION"; int --ramp "$RAMP"
if [ "$PLAYERS" -lt 1 ] || [ "$PLAYERS" -gt 5000 ]; then
    echo "cluster_load.sh: --players is 1 to 5000 (per process)" >&2; exit 2
fi
if [ "$DURATION" -gt 300 ]; then
    echo "cluster_load.sh: --duration is at most 300 s" >&2; exit 2
fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release
for b in emberkeep emberkeep-bot; do
    [ -x "$BIN/$b" ] || { echo "cluster_load.sh: $BIN/$b is missing; run: cargo build --release --bins" >&2; exit 2; }
done
NATS_BIN=$(command -v nats-server || echo /usr/sbin/nats-server)
[ -x "$NATS_BIN" ] || { echo "cluster_load.sh: nats-server is missing (Debian: apt-get install nats-server)" >&2; exit 2; }
command -v "$SECANTUSD" > /dev/null || {
    echo "cluster_load.sh: $SECANTUSD is missing: python3 -m venv V && V/bin/pip install secantusdb==0.7.0b3, then --secantusd V/bin/secantusd-py" >&2
    exit 2
}
# Every client is a socket on each side.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((2 * PLAYERS + 2 * HANDOFFS + 256)) ]; then
    echo "cluster_load.sh: open-file limit $(ulimit -n) is too low" >&2
    exit 2
fi

RAMP_SECS=$(( (PLAYERS + RAMP - 1) / RAMP ))
H_RAMP_SECS=$(( (HANDOFFS + HANDOFF_RAMP - 1) / HANDOFF_RAMP ))
[ "$H_RAMP_SECS" -gt "$RAMP_SECS" ] && RAMP_SECS=$H_RAMP_SECS
WINDOW_FROM=$((RAMP_SECS + 10))
WINDOW_TO=$((DURATION - 3))
if [ "$WINDOW_TO" -le $((WINDOW_FROM + 5)) ]; then
    echo "cluster_load.sh: --duration $DURATION leaves no steady window after a ${RAMP_SECS} s ramp" >&2
    exit 2
fi

RUN=$OUT/p$PLAYERS-h$HANDOFFS-m$MOBS-$BEHAVIOUR
ASSETS=$OUT/assets-$SIDE-$PLAYERS-$MOBS
mkdir -p "$RUN"
rm -f "$RUN"/*.log "$RUN"/*.json "$RUN"/*.jsonl "$RUN"/*.toml "$RUN"/*.txt

# ---------------------------------------------------------------- assets: the pair of maps
# (The shipped maps sit beside them, so the story's triggers and quests load; no process
# hosts them, and nobody goes there.)
mkdir -p "$ASSETS/maps" "$ASSETS/locales"
cp "$ROOT"/assets/*.toml "$ASSETS/"
cp "$ROOT"/assets/locales/*.toml "$ASSETS/locales/"
cp "$ROOT"/assets/maps/*.tmj "$ASSETS/maps/"
if [ -d "$ROOT/assets/scripts" ]; then
    rm -rf "$ASSETS/scripts"
    cp -r "$ROOT/assets/scripts" "$ASSETS/scripts"
fi
if [ ! -f "$ASSETS/maps/west.tmj" ] || [ ! -f "$ASSETS/maps/east.tmj" ]; then
    python3 "$ROOT/tools/gen_load_map.py" --pair "$ASSETS/maps" "$SIDE" "$PLAYERS" "$MOBS"
fi

PROG=cluster_load.sh
# shellcheck source=tools/proc.sh
. "$ROOT/tools/proc.sh"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
cpu_ticks() { # utime + stime of a pid, in clock ticks (USER_HZ = 100)
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}
machine_ticks() { # "busy total" clock ticks of the whole machine, from /proc/stat
    awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat
}

NATS_PORT=$(free_port); NATS_MON=$(free_port); DB_PORT=$(free_port)
A_WS=$(free_port); A_HTTP=$(free_port); B_WS=$(free_port); B_HTTP=$(free_port)
DB="mongodb://127.0.0.1:$DB_PORT/ek_cluster_load"

# One config per process: the cluster, the shared database, the per-address limits lifted
# (every bot connects from 127.0.0.1), stats every 5 s; a short drain when stopped, since
# both processes stop together.
config() { # name map
    cat > "$RUN/$1.toml" <<EOF
[server]
database = "$DB"
nats = "nats://127.0.0.1:$NATS_PORT"
max_message_bytes = 4096
outbound_queue_frames = 256
stats_interval_secs = 5
max_connections_per_ip = 1000000
new_connections_per_ip_per_sec = 1000000.0
registrations_per_ip_per_min = 10000
accounts_per_ip_per_day = 1000000
[world]
map = "$2"
maps = ["$2"]
allow_guests = true
[cluster]
name = "$1"
heartbeat_secs = $HEARTBEAT
peer_timeout_secs = $(echo "$HEARTBEAT * 3.5" | bc -l)
drain_secs = 1.0
EOF
}
config a west
config b east

echo "cluster_load.sh: $PLAYERS players on each of 2 processes ($BEHAVIOUR) + $HANDOFFS handoff bots, $MOBS mobs on each ${SIDE}x$SIDE map, ${DURATION} s; logs in $RUN"
cd "$ROOT"
"$SECANTUSD" --host 127.0.0.1 --port "$DB_PORT" --storage-path :memory: > "$RUN/db.log" 2>&1 &
DB_PID=$!
PIDS+=("$DB_PID")
"$NATS_BIN" -a 127.0.0.1 -p "$NATS_PORT" -m "$NATS_MON" > "$RUN/nats.log" 2>&1 &
NATS_PID=$!
PIDS+=("$NATS_PID")
wait_port "$DB_PORT" "$RUN/db.log" "$DB_PID"
wait_port "$NATS_PORT" "$RUN/nats.log" "$NATS_PID"

"$BIN/emberkeep" --config "$RUN/a.toml" --assets "$ASSETS" --ws-addr "127.0.0.1:$A_WS" \
    --http-addr "127.0.0.1:$A_HTTP" --log-format json > "$RUN/a.log" 2>&1 &
A_PID=$!
PIDS+=("$A_PID")
"$BIN/emberkeep" --config "$RUN/b.toml" --assets "$ASSETS" --ws-addr "127.0.0.1:$B_WS" \
    --http-addr "127.0.0.1:$B_HTTP" --log-format json > "$RUN/b.log" 2>&1 &
B_PID=$!
PIDS+=("$B_PID")
wait_port "$A_WS" "$RUN/a.log" "$A_PID"; wait_port "$A_HTTP" "$RUN/a.log" "$A_PID"
wait_port "$B_WS" "$RUN/b.log" "$B_PID"; wait_port "$B_HTTP" "$RUN/b.log" "$B_PID"
# Both see both (each other's heartbeats), or the handoffs would have nowhere to go.
for _ in $(seq 1 300); do
    na=$(curl -sf "http://127.0.0.1:$A_HTTP/cluster.json" | jq '.processes | length' || echo 0)
    nb=$(curl -sf "http://127.0.0.1:$B_HTTP/cluster.json" | jq '.processes | length' || echo 0)
    [ "$na" = 2 ] && [ "$nb" = 2 ] && break
    sleep 0.1
done
if [ "$na" != 2 ] || [ "$nb" != 2 ]; then
    echo "cluster_load.sh: the processes did not see each other within 30 s; see $RUN/a.log, $RUN/b.log" >&2
    exit 1
fi
curl -sf "http://127.0.0.1:$A_HTTP/cluster.json" > "$RUN/cluster.json"
sleep 2 # the first ticks fill every spawn area

# Everything the window needs, as "key value" lines.
snapshot() { # out_file
    local n url
    {
        echo "time $(date +%s.%N)"
        echo "utc $(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)"
        read -r busy total < <(machine_ticks)
        echo "machine_busy $busy"
        echo "machine_total $total"
        for n in a:$A_PID b:$B_PID nats:$NATS_PID db:$DB_PID bot_a:$BOT_A bot_b:$BOT_B bot_h:$BOT_H; do
            echo "cpu_${n%%:*} $(cpu_ticks "${n#*:}" 2>/dev/null || echo 0)"
        done
        for n in a:$A_HTTP b:$B_HTTP; do
            url="http://127.0.0.1:${n#*:}/metrics"
            curl -sf --max-time 5 "$url" | awk -v p="${n%%:*}" '
                $1 ~ /^emberkeep_(cluster_(messages|bytes)_(sent|received)|handoffs_(out|in)|saves|last_save_seconds|storage_queued_batches)(_total)?$/ {
                    k = $1; sub(/_total$/, "", k); sub(/^emberkeep_/, "", k); print p "_" k, $2 }'
            curl -sf --max-time 5 "http://127.0.0.1:${n#*:}/status.json" \
                | jq -r --arg p "${n%%:*}" '"\($p)_ground_items \(.entities.items)"'
        done
        curl -sf --max-time 5 "http://127.0.0.1:$NATS_MON/varz" \
            | jq -r '"nats_in_msgs \(.in_msgs)", "nats_out_msgs \(.out_msgs)", "nats_in_bytes \(.in_bytes)", "nats_out_bytes \(.out_bytes)"'
    } > "$1"
}

START=$(date +%s.%N)
"$BIN/emberkeep-bot" --url "ws://127.0.0.1:$A_WS" --clients "$PLAYERS" --ramp "$RAMP" \
    --duration "$DURATION" --behaviour "$BEHAVIOUR" --name-prefix wst \
    --json "$RUN/bot-a.json" > "$RUN/bot-a.log" 2>&1 &
BOT_A=$!
PIDS+=("$BOT_A")
"$BIN/emberkeep-bot" --url "ws://127.0.0.1:$B_WS" --clients "$PLAYERS" --ramp "$RAMP" \
    --duration "$DURATION" --behaviour "$BEHAVIOUR" --name-prefix est \
    --json "$RUN/bot-b.json" > "$RUN/bot-b.log" 2>&1 &
BOT_B=$!
PIDS+=("$BOT_B")
BOTS=("$BOT_A" "$BOT_B")
BOT_H=0
if [ "$HANDOFFS" -gt 0 ]; then
    "$BIN/emberkeep-bot" --url "ws://127.0.0.1:$A_WS" --handoffs --clients "$HANDOFFS" \
        --ramp "$HANDOFF_RAMP" --duration "$DURATION" --name-prefix hop \
        --warps-from "$ASSETS/maps" --handoff-pause "$PAUSE" ${CHAT:+--channel-chat "$CHAT"} \
        --json "$RUN/bot-h.json" > "$RUN/bot-h.log" 2>&1 &
    BOT_H=$!
    PIDS+=("$BOT_H")
    BOTS+=("$BOT_H")
fi

sleep "$(echo "$START + $WINDOW_FROM - $(date +%s.%N)" | bc)"
snapshot "$RUN/w0.txt"
# What the traffic is made of: one more subscriber, to every subject, over the window.
python3 "$ROOT/tools/nats_tap.py" 127.0.0.1 "$NATS_PORT" $((WINDOW_TO - WINDOW_FROM)) "$RUN/tap.json" \
    > "$RUN/tap.log" 2>&1 &
TAP=$!
PIDS+=("$TAP")
sleep "$(echo "$START + $WINDOW_TO - $(date +%s.%N)" | bc)"
snapshot "$RUN/w1.txt"
wait "$TAP" || { echo "cluster_load.sh: the NATS tap failed; see $RUN/tap.log" >&2; echo '{}' > "$RUN/tap.json"; }
LOADAVG=$(cat /proc/loadavg)
BOT_STATUS=0
for p in "${BOTS[@]}"; do
    wait "$p" || BOT_STATUS=1
done
kill -TERM "$A_PID" "$B_PID"
wait "$A_PID" "$B_PID" || true
tail -1 "$RUN/bot-a.log"; tail -1 "$RUN/bot-b.log"
[ "$HANDOFFS" -gt 0 ] && tail -1 "$RUN/bot-h.log"

# ---------------------------------------------------------------- summary
to_json() { jq -Rn '[inputs | split(" ") | {key: .[0], value: (.[1] | tonumber? // .)}] | from_entries' "$1"; }
to_json "$RUN/w0.txt" > "$RUN/w0.json"
to_json "$RUN/w1.txt" > "$RUN/w1.json"
for p in a b; do
    jq -c --arg from "$(jq -r .utc "$RUN/w0.json")" --arg to "$(jq -r .utc "$RUN/w1.json")" \
        'select(.fields.message == "tick stats" and .timestamp >= $from and .timestamp <= $to) | .fields' \
        "$RUN/$p.log" > "$RUN/ticks-$p.jsonl"
    if [ ! -s "$RUN/ticks-$p.jsonl" ]; then
        echo "cluster_load.sh: no tick stats of $p in the window; see $RUN/$p.log" >&2
        exit 1
    fi
done
[ -f "$RUN/bot-h.json" ] || echo '{}' > "$RUN/bot-h.json"
jq -n --slurpfile w0 "$RUN/w0.json" --slurpfile w1 "$RUN/w1.json" \
    --slurpfile ta "$RUN/ticks-a.jsonl" --slurpfile tb "$RUN/ticks-b.jsonl" \
    --slurpfile tap "$RUN/tap.json" --slurpfile ba "$RUN/bot-a.json" --slurpfile bb "$RUN/bot-b.json" --slurpfile bh "$RUN/bot-h.json" \
    --argjson players "$PLAYERS" --argjson handoffs "$HANDOFFS" --argjson mobs "$MOBS" \
    --argjson side "$SIDE" --arg behaviour "$BEHAVIOUR" --argjson heartbeat "$HEARTBEAT" \
    --arg pause "$PAUSE" --arg chat "$CHAT" --arg load "$LOADAVG" --argjson cores "$(nproc)" \
    --arg commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" '
  ($w0[0]) as $a | ($w1[0]) as $b
  | ($b.time - $a.time) as $secs
  | def rate(k): (($b[k] // 0) - ($a[k] // 0)) / $secs;
    def cores(k): rate("cpu_" + k) / 100;
    def med(f): map(f) | sort | .[length / 2 | floor];
    def process(p; ticks; bot; mapname):
      (ticks | map(.players) | add / length) as $pl
      | (rate(p + "_cluster_bytes_sent") + rate(p + "_cluster_bytes_received")) as $bytes
      | (rate(p + "_cluster_messages_sent") + rate(p + "_cluster_messages_received")) as $msgs
      | {
          name: p, map: mapname,
          players: $pl,
          nats_messages_sent_per_sec: rate(p + "_cluster_messages_sent"),
          nats_bytes_sent_per_sec: rate(p + "_cluster_bytes_sent"),
          nats_messages_received_per_sec: rate(p + "_cluster_messages_received"),
          nats_bytes_received_per_sec: rate(p + "_cluster_bytes_received"),
          nats_messages_per_player_per_sec: ($msgs / $pl),
          nats_bytes_per_player_per_sec: ($bytes / $pl),
          handoffs_out_per_sec: rate(p + "_handoffs_out"),
          handoffs_in_per_sec: rate(p + "_handoffs_in"),
          handoffs_out: (($b[p + "_handoffs_out"] // 0) - ($a[p + "_handoffs_out"] // 0)),
          handoffs_in: (($b[p + "_handoffs_in"] // 0) - ($a[p + "_handoffs_in"] // 0)),
          ticks_per_sec: ((ticks | map(.ticks) | add) / ((ticks | length) * 5)),
          tick_p50_ms_median: (ticks | med(.tick_p50_us) / 1000),
          tick_p99_ms_median_window: (ticks | med(.tick_p99_us) / 1000),
          tick_p99_ms_worst_window: (ticks | map(.tick_p99_us) | max / 1000),
          overruns_in_window: ((ticks | last.overruns) - (ticks | first.overruns)),
          cpu_cores: cores(p),
          storage: {save_batches_per_sec: rate(p + "_saves"),
                    last_save_secs_at_end: $b[p + "_last_save_seconds"],
                    queued_batches_at_end: $b[p + "_storage_queued_batches"],
                    ground_items_at_end: $b[p + "_ground_items"]},
          guest_bot: {clients_joined: bot.clients_joined, dropped: bot.dropped, errors: bot.errors,
                      move_latency_ms: bot.steady_latency, cpu_cores: cores("bot_" + p)}
        };
    (process("a"; $ta; $ba[0]; "west")) as $pa
    | (process("b"; $tb; $bb[0]; "east")) as $pb
    | ($bh[0].handoffs // null) as $h
    | ([cores("a"), cores("b"), cores("nats"), cores("db"), cores("bot_a"), cores("bot_b"), cores("bot_h")] | add) as $ours
    | ((($b.machine_busy - $a.machine_busy) / ($b.machine_total - $a.machine_total)) * $cores) as $busy
    | {
        commit: $commit, players_per_process: $players, handoff_bots: $handoffs,
        mobs_per_map: $mobs, map_side: $side, behaviour: $behaviour,
        heartbeat_secs: $heartbeat, handoff_pause_secs: $pause, channel_chat_secs: $chat,
        window_secs: $secs, window_from_utc: $a.utc, window_to_utc: $b.utc,
        processes: [$pa, $pb],
        nats_server: {in_msgs_per_sec: rate("nats_in_msgs"), out_msgs_per_sec: rate("nats_out_msgs"),
                      in_bytes_per_sec: rate("nats_in_bytes"), out_bytes_per_sec: rate("nats_out_bytes"),
                      cpu_cores: cores("nats"),
                      note: "out includes the tap (one more subscriber to every subject)"},
        traffic_by_kind: ($tap[0] | if .secs then .secs as $t | .by_kind | map_values({
                            messages_per_sec: (.messages / $t), bytes_per_sec: (.bytes / $t),
                            mean_bytes: .mean_bytes}) else null end),
        traffic_by_subject: ($tap[0].by_subject // null),
        handoffs: (if $h then {
            done_in_run: $h.handoffs, per_sec_in_window: ($pa.handoffs_out_per_sec + $pb.handoffs_out_per_sec),
            latency_ms: $h.latency, steady_latency_ms: $h.steady_latency,
            to_handoff_event_ms: $h.save_latency, reconnect_ms: $h.reconnect_latency,
            failures: $h.failures, failures_total: $h.failures_total, deaths: $h.deaths,
            chat_lines: $h.chat_lines, refusals: $h.refusals, arrivals: $h.arrivals,
            bot_cpu_cores: cores("bot_h")} else null end),
        database_cpu_cores: cores("db"),
        machine_busy_cores: $busy,
        other_load_cores: ($busy - $ours),
        loadavg_at_end: $load
      }
' > "$RUN/summary.json"
jq -r '
  def r(x): x * 10 | round / 10;
  (.processes[] | "\(.name) (\(.map)): \(.players | floor) players, NATS sent \(r(.nats_messages_sent_per_sec)) msg/s \(r(.nats_bytes_sent_per_sec)) B/s, received \(r(.nats_messages_received_per_sec)) msg/s \(r(.nats_bytes_received_per_sec)) B/s = \(.nats_bytes_per_player_per_sec * 100 | round / 100) B per player per s; handoffs out/in \(.handoffs_out)/\(.handoffs_in); saves \(r(.storage.save_batches_per_sec))/s, last took \(.storage.last_save_secs_at_end) s, \(.storage.ground_items_at_end) ground items; tick p50 \(.tick_p50_ms_median) ms p99 \(.tick_p99_ms_median_window) ms (worst \(.tick_p99_ms_worst_window)); CPU \(.cpu_cores * 100 | round)%"),
  (if .handoffs then "handoffs: \(.handoffs.done_in_run) in the run, \(r(.handoffs.per_sec_in_window))/s in the window; latency p50 \(.handoffs.latency_ms.p50_ms) p90 \(.handoffs.latency_ms.p90_ms) p99 \(.handoffs.latency_ms.p99_ms) max \(.handoffs.latency_ms.max_ms) ms; failures \(.handoffs.failures_total) \(.handoffs.failures)" else "handoffs: none" end),
  (if .traffic_by_kind then "traffic by kind: " + (.traffic_by_kind | to_entries | map("\(.key) \(r(.value.messages_per_sec)) msg/s \(r(.value.bytes_per_sec)) B/s (\(.value.mean_bytes) B each)") | join(", ")) else "traffic by kind: no tap" end),
  "NATS server: in \(r(.nats_server.in_msgs_per_sec)) msg/s \(r(.nats_server.in_bytes_per_sec)) B/s, out \(r(.nats_server.out_msgs_per_sec)) msg/s \(r(.nats_server.out_bytes_per_sec)) B/s, CPU \(.nats_server.cpu_cores * 100 | round)%; database CPU \(.database_cpu_cores * 100 | round)%; machine busy \(r(.machine_busy_cores)) cores, other load \(.other_load_cores * 100 | round / 100) cores"
' "$RUN/summary.json"
echo "cluster_load.sh: details in $RUN/summary.json"
exit "$BOT_STATUS"
