#!/usr/bin/env bash
# tools/soak.sh — a churn soak on this machine, on 127.0.0.1 only: do RSS, entities and open
# descriptors stay flat while players keep coming and going?
#
#   1. generate the open load map of tools/load.sh (tools/gen_load_map.py: a spawn point per
#      bot over SIDE x SIDE tiles, MOBS mobs in areas of 100) into a copy of assets/, next to
#      the shipped maps (so the story, NPCs and quests load as in play);
#   2. run the server on it with a fresh SQLite database in OUT (or --db), its per-address
#      limits lifted so that BOTS accounts from one address are not refused (see below);
#   3. sample the server before the bots (phase `baseline`), then run
#      `emberkeep-bot --churn` with BOTS bots for DURATION seconds: each registers (or logs
#      in), plays (walks, fights, chats), leaves by WebSocket close, logout or TCP reset,
#      stays away and logs in again by token or password (see emberkeep-bot --help);
#   4. every SAMPLE seconds write a row of OUT/soak.csv: the server's RSS and peak RSS
#      (VmRSS, VmHWM in /proc/PID/status), open descriptors (/proc/PID/fd), threads, and from
#      /status.json players, connections and entities (players, mobs, NPCs, ground items),
#      and from /metrics the connection tasks still alive (emberkeep_open_sockets);
#   5. once the bots are done, wait for lingering characters to leave and sample again
#      (phase `after`), stop the server, and write OUT/summary.json (tools/soak_stats.py:
#      first/last/min/max, the slope of a line through the second half per hour, the spread,
#      a flat / not flat verdict per series, whether the server came back to its baseline,
#      and the bot's report) and OUT/soak.svg (tools/plot_load.py soak).
#
# Build first:  cargo build --release --bins     (or --debug: debug binaries, to try the tool)
# Usage:        tools/soak.sh [--bots N] [--duration SECS] [--sample SECS] [--ramp PER_SEC]
#                             [--session-secs MIN..MAX] [--away-secs MIN..MAX]
#                             [--drop-share F] [--logout-share F] [--password-share F]
#                             [--behaviour walk|fight|chat|mixed] [--seed N]
#                             [--mobs N] [--side TILES] [--linger SECS]
#                             [--db sqlite://FILE|mongodb://HOST:PORT/DB] [--out DIR]
#                             [--port P] [--tolerance SHARE_PER_HOUR] [--debug]
# Defaults: 1,000 bots for 1,800 s, sampled every 10 s, ramp 10/s, sessions 20..120 s, away
# 1..60 s (around the 30 s linger), 5,000 mobs on 1024 x 1024, out /tmp/ek-soak.
# The server's config for the soak (OUT/server.toml): every bot connects from 127.0.0.1, so
# max_connections_per_ip, new_connections_per_ip_per_sec, registrations_per_ip_per_min (to its
# maximum, 10,000) and accounts_per_ip_per_day are lifted; the login-failure limits are not
# (a bot that fails a login is a finding). Exit status: 0 flat, 1 not flat or the bot failed,
# 2 bad arguments. Every process it starts is stopped by its PID when it ends. Runs are
# bounded: at most 5,000 bots and 7,200 s; the bot stops itself after --duration.
set -euo pipefail

BOTS=1000
DURATION=1800
SAMPLE=10
RAMP=10
SESSION=20..120
AWAY=1..60
DROP=0.3
LOGOUT=0.1
PASSWORD=0.2
BEHAVIOUR=mixed
SEED=1
MOBS=5000
SIDE=1024
LINGER=30
DB=
OUT=/tmp/ek-soak
PORT=9311
TOLERANCE=0.10
PROFILE=release

while [ $# -gt 0 ]; do
    case "$1" in
        --bots) BOTS=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --sample) SAMPLE=$2; shift 2 ;;
        --ramp) RAMP=$2; shift 2 ;;
        --session-secs) SESSION=$2; shift 2 ;;
        --away-secs) AWAY=$2; shift 2 ;;
        --drop-share) DROP=$2; shift 2 ;;
        --logout-share) LOGOUT=$2; shift 2 ;;
        --password-share) PASSWORD=$2; shift 2 ;;
        --behaviour) BEHAVIOUR=$2; shift 2 ;;
        --seed) SEED=$2; shift 2 ;;
        --mobs) MOBS=$2; shift 2 ;;
        --side) SIDE=$2; shift 2 ;;
        --linger) LINGER=$2; shift 2 ;;
        --db) DB=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --port) PORT=$2; shift 2 ;;
        --tolerance) TOLERANCE=$2; shift 2 ;;
        --debug) PROFILE=debug; shift ;;
        -h|--help) sed -n '2,39p' "$0"; exit 0 ;;
        *) echo "soak.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
int() { # name value: a whole number, or exit 2 naming the flag
    [[ "$2" =~ ^[0-9]+$ ]] || { echo "soak.sh: $1 $2: expected a whole number" >&2; exit 2; }
}
int --bots "$BOTS"; int --duration "$DURATION"; int --sample "$SAMPLE"; int --mobs "$MOBS"
int --side "$SIDE"; int --port "$PORT"; int --linger "$LINGER"
if [ "$BOTS" -lt 1 ] || [ "$BOTS" -gt 5000 ]; then
    echo "soak.sh: --bots is 1 to 5000" >&2; exit 2
fi
if [ "$DURATION" -lt 30 ] || [ "$DURATION" -gt 7200 ]; then
    echo "soak.sh: --duration is 30 to 7200 s" >&2; exit 2
fi
if [ "$SAMPLE" -lt 1 ] || [ $((DURATION / SAMPLE)) -lt 4 ]; then
    echo "soak.sh: --sample must be at least 1 s and leave at least 4 samples in --duration" >&2; exit 2
fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/$PROFILE
BUILD="cargo build --release --bins"
[ "$PROFILE" = debug ] && BUILD="cargo build --bins"
for b in emberkeep emberkeep-bot; do
    [ -x "$BIN/$b" ] || { echo "soak.sh: $BIN/$b is missing; run: $BUILD" >&2; exit 2; }
done
# Every bot is a socket on each side.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((BOTS + 256)) ]; then
    echo "soak.sh: open-file limit $(ulimit -n) is too low for $BOTS bots" >&2
    exit 2
fi

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -f "$OUT"/soak.csv "$OUT"/*.json "$OUT"/*.log "$OUT"/soak.svg
if [ -z "$DB" ]; then
    rm -f "$OUT"/db.sqlite*
    DB=sqlite://$OUT/db.sqlite
fi
HTTP_PORT=$((PORT + 1))

# ---------------------------------------------------------------- assets: the load map
ASSETS=$OUT/assets
rm -rf "$ASSETS"
mkdir -p "$ASSETS/maps" "$ASSETS/locales"
cp "$ROOT"/assets/*.toml "$ASSETS/"
cp "$ROOT"/assets/locales/*.toml "$ASSETS/locales/"
cp "$ROOT"/assets/maps/*.tmj "$ASSETS/maps/"
if [ -d "$ROOT/assets/scripts" ]; then
    cp -r "$ROOT/assets/scripts" "$ASSETS/scripts"
fi
python3 "$ROOT/tools/gen_load_map.py" "$ASSETS/maps/load.tmj" "$SIDE" "$BOTS" "$MOBS" 0

cat > "$OUT/server.toml" <<EOF
[server]
database = "$DB"
stats_interval_secs = 10
# Every bot connects from 127.0.0.1: lift the per-address limits, or the server would refuse
# most of them (connections, new connections, registrations, accounts a day).
max_connections_per_ip = 1000000
new_connections_per_ip_per_sec = 1000000.0
registrations_per_ip_per_min = 10000
accounts_per_ip_per_day = 1000000
[world]
map = "load"
linger_secs = $LINGER
EOF
jq -n --argjson bots "$BOTS" --argjson duration "$DURATION" --argjson sample "$SAMPLE" \
    --arg ramp "$RAMP" --arg session "$SESSION" --arg away "$AWAY" --arg drop "$DROP" \
    --arg logout "$LOGOUT" --arg password "$PASSWORD" --arg behaviour "$BEHAVIOUR" \
    --arg seed "$SEED" --argjson mobs "$MOBS" --argjson side "$SIDE" --argjson linger "$LINGER" \
    --arg db "$DB" --arg profile "$PROFILE" --arg commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    --arg host "$(uname -n)" --argjson cores "$(nproc)" '
  {bots: $bots, duration_secs: $duration, sample_secs: $sample, ramp_per_sec: $ramp,
   session_secs: $session, away_secs: $away, drop_share: $drop, logout_share: $logout,
   password_share: $password, behaviour: $behaviour, seed: $seed, mobs: $mobs, map_side: $side,
   linger_secs: $linger, database: $db, profile: $profile, commit: $commit, host: $host,
   cores: $cores}' > "$OUT/params.json"

PROG=soak.sh
# shellcheck source=tools/proc.sh
. "$ROOT/tools/proc.sh"

# One row of soak.csv: the server's memory, descriptors and threads, and its /status.json.
# A status that does not answer within 5 s leaves its fields empty (soak_stats.py counts them).
CSV=$OUT/soak.csv
echo "t,utc,phase,rss_kb,hwm_kb,fds,threads,players,connections,entities,entities_players,mobs,npcs,items,ticks,overruns,saves,save_failures,ecs_entities,open_sockets" > "$CSV"
sample() { # phase
    local t rss hwm fds threads status sockets
    t=$(echo "$(date +%s.%N) - $T0" | bc)
    rss=$(status_kb "$SERVER" VmRSS)
    hwm=$(status_kb "$SERVER" VmHWM)
    threads=$(status_kb "$SERVER" Threads)
    fds=$(find "/proc/$SERVER/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    status=$(curl -sf --max-time 5 "http://127.0.0.1:$HTTP_PORT/status.json" \
        | jq -r '[.players, .connections, (.entities | .players + .mobs + .npcs + .items),
                  .entities.players, .entities.mobs, .entities.npcs, .entities.items,
                  .ticks, .overruns, .saves, .save_failures, .entities.all] | map(tostring) | join(",")' \
        2>/dev/null || echo ",,,,,,,,,,,")
    # Connection tasks alive, including ones the world already let go of (/metrics only).
    sockets=$(curl -sf --max-time 5 "http://127.0.0.1:$HTTP_PORT/metrics" \
        | awk '$1 == "emberkeep_open_sockets" { print $2 }' 2>/dev/null || true)
    printf '%.1f,%s,%s,%s,%s,%s,%s,%s,%s\n' "$t" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" \
        "$rss" "$hwm" "$fds" "$threads" "$status" "$sockets" >> "$CSV"
}

# ---------------------------------------------------------------- the server and the bots
echo "soak.sh: $BOTS bots churning for $DURATION s ($PROFILE), $MOBS mobs on ${SIDE}x$SIDE, sampled every $SAMPLE s; out $OUT"
cd "$ROOT"
"$BIN/emberkeep" --config "$OUT/server.toml" --assets "$ASSETS" --ws-addr "127.0.0.1:$PORT" \
    --http-addr "127.0.0.1:$HTTP_PORT" --log-format json > "$OUT/server.log" 2>&1 &
SERVER=$!
PIDS+=("$SERVER")
T0=$(date +%s.%N)
wait_port "$PORT" "$OUT/server.log" "$SERVER"
wait_port "$HTTP_PORT" "$OUT/server.log" "$SERVER"
# Mobs fill their spawn areas over the first ticks; the baseline is taken after that.
sleep 3
sample baseline

"$BIN/emberkeep-bot" --url "ws://127.0.0.1:$PORT" --churn --clients "$BOTS" --ramp "$RAMP" \
    --duration "$DURATION" --behaviour "$BEHAVIOUR" --seed "$SEED" --name-prefix soak \
    --session-secs "$SESSION" --away-secs "$AWAY" --drop-share "$DROP" \
    --logout-share "$LOGOUT" --password-share "$PASSWORD" \
    --json "$OUT/bot.json" > "$OUT/bot.log" 2>&1 &
BOT=$!
PIDS+=("$BOT")
NEXT=$(date +%s)
while kill -0 "$BOT" 2>/dev/null; do
    kill -0 "$SERVER" 2>/dev/null || { echo "soak.sh: the server exited during the soak; see $OUT/server.log" >&2; exit 1; }
    sample soak
    NEXT=$((NEXT + SAMPLE))
    while [ "$(date +%s)" -lt "$NEXT" ] && kill -0 "$BOT" 2>/dev/null; do sleep 1; done
done
BOT_STATUS=0
wait "$BOT" || BOT_STATUS=$?
if [ "$BOT_STATUS" = 2 ]; then
    cat "$OUT/bot.log" >&2
    echo "soak.sh: the bot refused its arguments (above)" >&2
    exit 2
fi
tail -2 "$OUT/bot.log"

# The bots are gone; their characters linger for --linger seconds, then are saved and leave.
sleep $((LINGER + 5))
sample after
kill -TERM "$SERVER"
wait "$SERVER" || true

STATS_STATUS=0
python3 "$ROOT/tools/soak_stats.py" "$OUT" --tolerance-per-hour "$TOLERANCE" || STATS_STATUS=$?
python3 "$ROOT/tools/plot_load.py" soak "$OUT" --out "$OUT/soak.svg" \
    --title "Churn soak: $BOTS bots, $DURATION s ($PROFILE)"
if [ "$BOT_STATUS" != 0 ]; then
    echo "soak.sh: the bot reported failures or drops (exit $BOT_STATUS); see $OUT/bot.json" >&2
fi
[ "$BOT_STATUS" = 0 ] && [ "$STATS_STATUS" = 0 ]
