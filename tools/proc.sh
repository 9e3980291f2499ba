# tools/proc.sh — shell helpers that tools/load.sh and tools/soak.sh share (sourced, never
# run): the processes a script started, stopped by PID when it exits; waiting until a port
# listens; reading a field of /proc/PID/status. Set PROG (the script's name, for its
# messages) before sourcing; add each started process's PID to PIDS.

PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null || true
    done
}
trap cleanup EXIT

wait_port() { # port, log file, pid
    for _ in $(seq 1 600); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        kill -0 "$3" 2>/dev/null || { echo "$PROG: process exited; see $2" >&2; exit 1; }
        sleep 0.1
    done
    echo "$PROG: nothing listening on port $1 after 60 s; see $2" >&2
    exit 1
}

status_kb() { # pid field: a field of /proc/PID/status, in kB (or a count, e.g. Threads)
    awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}
