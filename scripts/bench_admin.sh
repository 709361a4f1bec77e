#!/usr/bin/env bash
# Admin write benchmarks: mixed reads and admin writes, then admin write latency on a big set.
#
#   scripts/bench_admin.sh
#
# 1. mixed: the demo data (ml-latest-small's shape) in a temp database. For BENCH_SECONDS
#    (default 60), wrk reads with 16 connections (movie details, list pages, genres, top-rated)
#    while 4 connections make admin writes through the API (create, change and delete ratings
#    and tags, edit movie titles; scripts/admin/admin_writes.py). Prints the errors on each side,
#    the answers that said "database is locked", the read p99 and the write median and p99, then
#    checks every aggregate against a recomputation from the raw tables.
# 2. big: admin write median and p99 from one connection for BENCH_BIG_SECONDS (default 20) on a
#    copy of BENCH_DB (default /work/bench-25m.db, a 25M-rating-shaped set). The original is never
#    opened: the copy is made first. Skipped when BENCH_DB does not exist.
# 3. lists: on the same copy, the web admin's list pages with searches, filters, sorts and deep
#    pages, signed in, one request at a time, BENCH_LIST_ROUNDS (default 20) times each
#    (scripts/admin/list_pages.py): median, p95 and worst per page.
#
# Prints figures only; no assertions. Needs wrk, python3 and a release build (cargo build
# --release). Loopback only; free ports; everything it starts is stopped on exit.
#
# Environment: BENCH_SECONDS, BENCH_BIG_SECONDS, BENCH_LIST_ROUNDS, BENCH_DB, BENCH_PARTS ("mixed big lists"),
# BENCH_BINARY (default target/release/movielens).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/bench_lib.sh"
binary=${BENCH_BINARY:-$root/target/release/movielens}
seconds=${BENCH_SECONDS:-60}
big_seconds=${BENCH_BIG_SECONDS:-20}
big_db=${BENCH_DB:-/work/bench-25m.db}
parts=${BENCH_PARTS:-"mixed big lists"}
list_rounds=${BENCH_LIST_ROUNDS:-20}
token=bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
export MOVIELENS_ADMIN_TOKEN=$token

[ -x "$binary" ] || { echo "build first: cargo build --release" >&2; exit 1; }
command -v wrk >/dev/null || { echo "install wrk: apt-get install wrk" >&2; exit 1; }

work=$(mktemp -d -t movielens-admin-bench.XXXXXX)
server=
wrk_pid=
cleanup() {
    [ -n "$wrk_pid" ] && kill "$wrk_pid" 2>/dev/null || true
    [ -n "$server" ] && stop_server || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

movie_ids() {
    python3 -c 'import sqlite3, sys; [print(r[0]) for r in sqlite3.connect(sys.argv[1]).execute("SELECT movie_id FROM movies ORDER BY random() LIMIT 2000")]' "$1"
}

# Prints the write report of admin_writes.py (one JSON line) as text.
print_writes() { python3 "$root/scripts/admin/print_writes.py"; }

echo "machine: $(nproc) cores; binary: $binary ($(stat -c %y "$binary" | cut -d. -f1)); parts: $parts"

if [[ " $parts " == *" mixed "* ]]; then
    echo
    echo "== mixed: 16 reading connections, 4 admin writers, ${seconds}s, demo data"
    start_server "$work/mixed.db" "$work/mixed.log"
    movie_ids "$work/mixed.db" >"$work/ids"
    BENCH_IDS=$work/ids timeout -k 5 $((seconds + 30)) wrk -t2 -c16 -d"${seconds}s" --timeout 5s --latency \
        -s "$root/scripts/admin/reads.lua" "http://127.0.0.1:$port" >"$work/reads.txt" 2>&1 &
    wrk_pid=$!
    python3 "$root/scripts/admin/admin_writes.py" "http://127.0.0.1:$port" "$token" "$seconds" 4 "$work/ids" >"$work/writes.json"
    wait "$wrk_pid" || true
    wrk_pid=
    awk '/ requests in / { requests = $1 } /Non-2xx/ { non2xx = $NF } /Socket errors/ { sub(/^ +/, ""); socket = ", " $0 }
         /^ +50%/ { p50 = $2 } /^ +99%/ { p99 = $2 }
         END { printf "reads: %s requests, non-2xx %d%s, p50 %s, p99 %s\n", requests, non2xx, socket, p50, p99 }' "$work/reads.txt"
    print_writes <"$work/writes.json"
    echo "server log: $(grep -c "database is locked" "$work/mixed.log" || true) lines say \"database is locked\", $(grep -cE " ERROR " "$work/mixed.log" || true) errors"
    stop_server
    server=
    python3 "$root/scripts/admin/check_aggregates.py" "$work/mixed.db" || echo "aggregates: DRIFT found (above)"
fi

if [[ " $parts " == *" big "* || " $parts " == *" lists "* ]]; then
    echo
    if [ ! -f "$big_db" ]; then
        echo "== big, lists: skipped, $big_db does not exist"
    else
        # The original is only read, by cp; the server and the checks run on the copy.
        cp "$big_db" "$work/big.db"
        [ -s "$big_db-wal" ] && cp "$big_db-wal" "$work/big.db-wal"
        start_server "$work/big.db" "$work/big.log"
        if [[ " $parts " == *" big "* ]]; then
            echo "== big: admin writes from 1 connection, ${big_seconds}s, on a copy of $big_db"
            movie_ids "$work/big.db" >"$work/big-ids"
            python3 "$root/scripts/admin/admin_writes.py" "http://127.0.0.1:$port" "$token" "$big_seconds" 1 "$work/big-ids" | print_writes
        fi
        if [[ " $parts " == *" lists "* ]]; then
            echo
            echo "== lists: web admin list pages, ${list_rounds} requests each, on a copy of $big_db"
            python3 "$root/scripts/admin/list_pages.py" "http://127.0.0.1:$port" "$token" "$list_rounds"
        fi
        stop_server
        server=
    fi
fi
