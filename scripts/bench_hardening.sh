#!/usr/bin/env bash
# Hardening benchmarks: mixed reads and writes, rating writes on a 25M-shaped set, idle clients.
#
#   scripts/bench_hardening.sh [--seconds N] [--25m] [--parts "mixed idle"]
#
# 1. mixed: ml-latest-small imported into a temp database; for N seconds (default 60), wrk reads
#    (12 connections: movie lists, details, top-rated, genres) and wrk writes (4 connections: POST a
#    rating, DELETE it) at once. Figures per side, the WAL's largest size, and whether every
#    acknowledged write is in the database.
# 2. 25m (opt-in, --25m or BENCH_25M=1): POST /api/ratings latency on an ml-25m-shaped import, with
#    1 connection and with 4. The generated CSVs (0.7 GB) are kept in BENCH_25M_CACHE for next time;
#    the import takes about 70 s and 1.7 GB in the temp folder.
# 3. idle: /api/health requests/s with no idle sockets, then while a helper holds 10,000 idle TCP
#    connections open (reopening any the server closes). The second as a ratio of the first.
#
# Each target is printed on a `target` line next to its figure, with `met` or `MISSED`. A server
# that fails a target gives figures, not a crash. Needs wrk (apt-get install wrk), python3 and a
# release build. Loopback only; free ports; everything it starts is stopped on exit.
#
# Environment:
#   BENCH_SECONDS       duration of the mixed load (default 60)
#   BENCH_PARTS         which parts to run (default "mixed idle", plus 25m with --25m)
#   BENCH_25M=1         same as --25m
#   BENCH_25M_SECONDS   duration of each 25M write measurement (default 20)
#   BENCH_25M_CACHE     where the generated set is kept (default ~/.cache/movielens-bench/ml-25m-shaped)
#   BENCH_IDLE_SOCKETS  idle connections to hold (default 10000)
#   BENCH_IDLE_SECONDS  duration of each /api/health measurement (default 10)
#   BENCH_IDLE_PARTIAL=1  the idle clients send a partial request header rather than nothing
#   MOVIELENS_SMALL     the ml-latest-small folder (default ../shared/movielens/ml-latest-small)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/bench_lib.sh"
helpers=$root/scripts/hardening
binary=$root/target/release/movielens
small=${MOVIELENS_SMALL:-$root/../shared/movielens/ml-latest-small}
seconds=${BENCH_SECONDS:-60}
parts=${BENCH_PARTS:-"mixed idle"}
[ "${BENCH_25M:-0}" = 1 ] && parts="$parts 25m"
while [ $# -gt 0 ]; do
    case $1 in
        --seconds) seconds=$2; shift 2 ;;
        --25m) parts="$parts 25m"; shift ;;
        --parts) parts=$2; shift 2 ;;
        *) echo "usage: $0 [--seconds N] [--25m] [--parts \"mixed idle 25m\"]" >&2; exit 2 ;;
    esac
done
token=bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
# The servers start_server runs take it from the environment.
export MOVIELENS_ADMIN_TOKEN=$token
export BENCH_TOKEN=$token

[ -x "$binary" ] || { echo "build first: cargo build --release" >&2; exit 1; }
command -v wrk >/dev/null || { echo "install wrk: apt-get install wrk" >&2; exit 1; }

work=$(mktemp -d -t movielens-hardening.XXXXXX)
server=
background=()
cleanup() {
    local pid
    for pid in ${server:+"$server"} "${background[@]}"; do
        pkill -TERM -P "$pid" 2>/dev/null || true
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Runs a command in the background and waits for it, so that a signal stops the script at once.
waited() {
    "$@" &
    background+=("$!")
    wait "$!"
}

# wrk with a hard stop, so that a wedged server cannot hang the script; started in the background,
# its pid in $wrk_pid. run_wrk waits for it.
start_wrk() {
    local out=$1 duration=$2
    shift 2
    timeout -k 5 $((duration + 30)) wrk -d"${duration}s" --timeout 5s --latency "$@" >"$out" 2>&1 &
    wrk_pid=$!
    background+=("$wrk_pid")
}

run_wrk() {
    start_wrk "$@"
    wait "$wrk_pid" || true
}

# One line of figures from a wrk output: requests, req/s, non-2xx, socket errors, p50 and p99 in ms.
# Sets the shell variables wrk_requests, wrk_rps, wrk_non2xx, wrk_socket_errors, wrk_p50, wrk_p99.
read_wrk() {
    read -r wrk_requests wrk_rps wrk_non2xx wrk_socket_errors wrk_p50 wrk_p99 < <(awk '
        function ms(value) { return value ~ /us$/ ? value / 1000 : value ~ /ms$/ ? value + 0 : value ~ /s$/ ? value * 1000 : value }
        / requests in / { requests = $1 }
        /Requests\/sec/ { rps = $2 }
        /Non-2xx/ { non2xx = $NF }
        /Socket errors/ { gsub(/,/, ""); errors = $4 + $6 + $8 + $10 }
        /^ +50%/ { p50 = ms($2) }
        /^ +99%/ { p99 = ms($2) }
        END { printf "%s %s %d %d %s %s\n", requests == "" ? 0 : requests, rps == "" ? 0 : rps, non2xx, errors,
                     p50 == "" ? "n/a" : p50, p99 == "" ? "n/a" : p99 }' "$1")
}

print_wrk() {
    local label=$1 out=$2
    read_wrk "$out"
    printf "%-8s %s requests (%.0f/s), non-2xx %s, socket errors %s, p50 %s ms, p99 %s ms\n" "$label:" \
        "$wrk_requests" "$wrk_rps" "$wrk_non2xx" "$wrk_socket_errors" "$wrk_p50" "$wrk_p99"
    grep -h "Socket errors" "$out" | sed "s/^ */         wrk: /" || true
}

# target LABEL VALUE OP LIMIT UNIT [FAILED]: prints the target line with met or MISSED (n/a is
# MISSED). FAILED > 0 says that many requests of the latency sample failed, so it cannot be met.
target() {
    local verdict
    verdict=$(awk -v value="$2" -v op="$3" -v limit="$4" -v failed="${6:-0}" 'BEGIN {
        if (value == "n/a") { print "MISSED"; exit }
        if (failed > 0) { print "MISSED (" failed " of the sample failed)"; exit }
        ok = op == "<=" ? value <= limit : op == "<" ? value < limit : op == ">=" ? value >= limit : value == limit
        print ok ? "met" : "MISSED" }')
    printf "target  %-42s %-16s %s\n" "$1 $3 $4 $5" "$2 $5" "$verdict"
}

# Log events of one level (ERROR, WARN); a logged error may span many lines with its backtrace.
log_events() { grep -cE "^[0-9TZ:.-]+ +$2" "$1" || true; }

movie_ids() { python3 -c 'import sqlite3, sys; [print(r[0]) for r in sqlite3.connect(sys.argv[1]).execute("SELECT movie_id FROM movies")]' "$1"; }

echo "machine: $(nproc) cores; binary: $binary ($(stat -c %y "$binary" | cut -d. -f1)); parts: $parts"
small_db=$work/small.db
if [[ " $parts " == *" mixed "* || " $parts " == *" idle "* ]]; then
    RUST_LOG=warn waited "$binary" --db "$small_db" import "$small" >/dev/null
    movie_ids "$small_db" >"$work/small-ids"
fi

mixed() {
    echo
    echo "== 1. mixed load on ml-latest-small, ${seconds} s: reads wrk -t2 -c12 (lists, details, top-rated, genres), writes wrk -t2 -c4 (POST then DELETE)"
    start_server "$small_db" "$work/mixed-server.log" || return 0
    BENCH_MOVIE_IDS=$work/small-ids run_wrk /dev/null 2 -t2 -c12 -s "$helpers/mixed_reads.lua" "http://127.0.0.1:$port"
    (for _ in $(seq $((seconds + 40))); do stat -c %s "$small_db-wal" 2>/dev/null || echo 0; sleep 1; done) >"$work/wal" &
    local sampler=$!
    background+=("$sampler")
    BENCH_MOVIE_IDS=$work/small-ids start_wrk "$work/reads.out" "$seconds" -t2 -c12 -s "$helpers/mixed_reads.lua" "http://127.0.0.1:$port"
    local reads=$wrk_pid
    BENCH_MOVIE_IDS=$work/small-ids BENCH_WRITES_REPORT=$work/writes.report \
        start_wrk "$work/writes.out" "$seconds" -t2 -c4 -s "$helpers/rating_writes.lua" "http://127.0.0.1:$port"
    wait "$reads" "$wrk_pid" || true
    kill "$sampler" 2>/dev/null || true
    local wal_max wal_after
    wal_max=$(sort -n "$work/wal" | tail -1 | awk '{ printf "%.1f", $1 / 1e6 }')
    wal_after=$(stat -c %s "$small_db-wal" 2>/dev/null | awk '{ printf "%.1f", $1 / 1e6 }' || true)
    stop_server

    print_wrk reads "$work/reads.out"
    local read_errors=$((wrk_non2xx + wrk_socket_errors)) read_p99=$wrk_p99
    print_wrk writes "$work/writes.out"
    local write_errors=$((wrk_non2xx + wrk_socket_errors)) write_p99=$wrk_p99
    echo "WAL: largest ${wal_max} MB (sampled each second), ${wal_after:-0} MB when the load stopped"
    echo "server log: $(log_events "$work/mixed-server.log" "ERROR ") errors, $(log_events "$work/mixed-server.log" "WARN ") warnings; of them \"database is locked\": $(log_events "$work/mixed-server.log" "ERROR .*database is locked")"
    python3 "$helpers/check_writes.py" "$small_db" "$work/writes.report" >"$work/accounting" 2>&1 || true
    grep -v "^target" "$work/accounting" || true
    target "read errors (non-2xx + socket)" "$read_errors" "=" 0 ""
    target "write errors (non-2xx + socket)" "$write_errors" "=" 0 ""
    target "read p99" "$read_p99" "<=" 20 ms "$read_errors"
    target "write p99" "$write_p99" "<=" 20 ms "$write_errors"
    target "WAL largest size" "$wal_max" "<" 64 MB
    grep "^target" "$work/accounting" || true
}

writes_25m() {
    local cache=${BENCH_25M_CACHE:-$HOME/.cache/movielens-bench/ml-25m-shaped} duration=${BENCH_25M_SECONDS:-20}
    echo
    echo "== 2. POST /api/ratings on an ml-25m-shaped set, ${duration} s with 1 connection, then ${duration} s with 4 (latency of the 201s)"
    if [ -f "$cache/.complete" ]; then
        echo "data: the cached set in $cache"
    else
        echo "data: generating into $cache"
        rm -rf "$cache.partial" && mkdir -p "$cache.partial"
        RUST_LOG=warn waited "$binary" generate --out "$cache.partial" --movies 62423 --users 162541 --ratings 25000095 --tags 1093360 >/dev/null
        rm -rf "$cache" && mv "$cache.partial" "$cache" && touch "$cache/.complete"
    fi
    local db=$work/25m.db started=$SECONDS
    RUST_LOG=warn waited "$binary" --db "$db" import "$cache" >/dev/null
    echo "import: $((SECONDS - started)) s, database $(du -m "$db" | cut -f1) MB"
    movie_ids "$db" >"$work/25m-ids"
    start_server "$db" "$work/25m-server.log" || return 0
    local connections statuses created median p99 errors
    for connections in 1 4; do
        statuses= created= median= p99=
        waited timeout $((duration + 60)) python3 "$helpers/post_latency.py" "$port" "$token" "$work/25m-ids" \
            "$connections" "$duration" >"$work/post-$connections" || true
        { read -r _ statuses && read -r _ created median p99; } <"$work/post-$connections" || true
        errors=$(awk -v RS=', ' -F': ' '$1 != "201" { sum += $2 } END { print sum + 0 }' <<<"$statuses")
        echo "$connections conn:  statuses ${statuses:-none}; the 201s: median ${median:-n/a} ms, p99 ${p99:-n/a} ms"
        target "POST errors, $connections conn" "$errors" "=" 0 ""
        target "POST median of 201s, $connections conn" "${median:-n/a}" "<=" 5 ms
        target "POST p99 of 201s, $connections conn" "${p99:-n/a}" "<=" 20 ms
    done
    stop_server
}

# The server's side of the story: the helper counts a connection once its handshake is done, but
# one the server never accepts (a full listen backlog) is not really held.
server_sockets() {
    echo "$(ss -Htn state established "sport = :$port" 2>/dev/null | wc -l) established," \
        "$(ss -Hltn "sport = :$port" 2>/dev/null | awk '{ print $2 }') waiting to be accepted," \
        "$(ls "/proc/$server/fd" 2>/dev/null | wc -l) open files"
}

idle() {
    local count=${BENCH_IDLE_SOCKETS:-10000} duration=${BENCH_IDLE_SECONDS:-10} flags=() help
    echo
    echo "== 3. /api/health, wrk -t2 -c16 ${duration} s, without, with ${count} idle connections, and without again${BENCH_IDLE_PARTIAL:+ (each sends a partial header)}"
    help=$("$binary" serve --help 2>&1 || true)
    if grep -q -- "--max-connections" <<<"$help"; then
        flags=(--max-connections "${BENCH_MAX_CONNECTIONS:-$((count + 1000))}")
    fi
    echo "server flags: ${flags[*]:-none}; its timeout flags: $(grep -o -- '--[a-z-]*timeout[a-z-]*' <<<"$help" | tr '\n' ' ' || true)"
    start_server "$small_db" "$work/idle-server.log" "${flags[@]}" || return 0
    echo "server open-file limit: $(awk '/Max open files/ { print $4 " soft, " $5 " hard" }' "/proc/$server/limits")"
    local url=http://127.0.0.1:$port/api/health
    run_wrk /dev/null 2 -t2 -c16 "$url"
    run_wrk "$work/health.out" "$duration" -t2 -c16 "$url"
    print_wrk "no idle" "$work/health.out"
    local baseline=$wrk_rps

    python3 "$helpers/idle_clients.py" 127.0.0.1 "$port" "$count" "$work/idle-status" $((duration + 120)) \
        ${BENCH_IDLE_PARTIAL:+--partial} >"$work/idle-summary" 2>&1 &
    local helper=$!
    background+=("$helper")
    local held=0 second
    for second in $(seq 60); do
        sleep 1
        held=$(awk '{ print $1 }' "$work/idle-status" 2>/dev/null || echo 0)
        [ "${held:-0}" -ge "$count" ] && break
    done
    echo "idle helper: ${held:-0} connections held after ${second} s; at the server: $(server_sockets)"
    kill -USR1 "$helper" 2>/dev/null || true
    run_wrk "$work/health-idle.out" "$duration" -t2 -c16 "$url"
    local at_end
    at_end="at the end, at the server: $(server_sockets); RSS $(awk '/VmRSS/ { printf "%.1f MB", $2 / 1024 }' "/proc/$server/status" 2>/dev/null)"
    kill -TERM "$helper" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$helper" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$helper" 2>/dev/null || true
    print_wrk "idle" "$work/health-idle.out"
    local with_idle=$wrk_rps
    echo "$at_end"
    cat "$work/idle-summary"
    # Without idle connections again: the mean of the runs before and after is the baseline, so
    # that the machine's drift during the run weighs on both sides.
    sleep 2
    run_wrk "$work/health-again.out" "$duration" -t2 -c16 "$url"
    print_wrk "no idle" "$work/health-again.out"
    baseline=$(awk -v before="$baseline" -v after="$wrk_rps" 'BEGIN { printf "%.0f", (before + after) / 2 }')
    stop_server
    local ratio
    ratio=$(awk -v with="$with_idle" -v without="$baseline" 'BEGIN { printf "%.1f", (without > 0 ? 100 * with / without : 0) }')
    echo "ratio: ${with_idle} requests/s with the idle connections / ${baseline} without (the mean of before and after)"
    target "health req/s with idle / without" "$ratio" ">=" 80 "%"
}

for part in $parts; do
    case $part in
        mixed) mixed ;;
        25m) writes_25m ;;
        idle) idle ;;
        *) echo "unknown part: $part" >&2 ;;
    esac
done
