#!/usr/bin/env bash
# Caching benchmarks: the reads a cache would hide, measured without one first.
#
#   scripts/bench_cache.sh [--seconds N] [--parts "uncached25m"]
#
# 1. uncached25m: on an ml-25m-shaped database, with no cache in front, wrk -t2 -c16 for N seconds
#    (default 8) per endpoint, in one run with /api/health: the genre list, the movie list by mean
#    rating both ways, a genre-filtered mean-rating sort, the other sorts, and a few users. A user's
#    first request after the server starts is timed on its own (cold), then under load. Each line
#    carries the load average at its end, since the machine may be shared.
#
# Each target is printed on a `target` line next to its figure, with `met` or `MISSED`. Needs wrk
# (apt-get install wrk), python3 and a release build. Loopback only; free ports; everything it
# starts is stopped on exit. To add a part: a function, and a line in the `case` at the end.
#
# Environment:
#   BENCH_SECONDS       duration of each measurement (default 8)
#   BENCH_PARTS         which parts to run (default "uncached25m")
#   BENCH_25M_DB        an existing ml-25m-shaped database to serve (it is migrated, never
#                       re-imported); without it the generated set is imported into a temp folder
#   BENCH_25M_CACHE     where the generated set is kept (default ~/.cache/movielens-bench/ml-25m-shaped)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/bench_lib.sh"
binary=$root/target/release/movielens
seconds=${BENCH_SECONDS:-8}
parts=${BENCH_PARTS:-uncached25m}
while [ $# -gt 0 ]; do
    case $1 in
        --seconds) seconds=$2; shift 2 ;;
        --parts) parts=$2; shift 2 ;;
        *) echo "usage: $0 [--seconds N] [--parts \"uncached25m\"]" >&2; exit 2 ;;
    esac
done

[ -x "$binary" ] || { echo "build first: cargo build --release" >&2; exit 1; }
command -v wrk >/dev/null || { echo "install wrk: apt-get install wrk" >&2; exit 1; }

work=$(mktemp -d -t movielens-cache.XXXXXX)
server=
cleanup() {
    [ -z "$server" ] || kill "$server" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts the server on DB; sets $server and $port.
start_server() {
    local db=$1 log=$2
    port=$(free_port)
    RUST_LOG=warn "$binary" --db "$db" serve --bind "127.0.0.1:$port" >"$log" 2>&1 &
    server=$!
    for _ in $(seq 1200); do
        curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && return 0
        kill -0 "$server" 2>/dev/null || break
        sleep 0.1
    done
    echo "the server did not start; its log:" >&2
    tail -20 "$log" >&2
    return 1
}

stop_server() {
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=
}

load() { cut -d' ' -f1-3 /proc/loadavg; }

# The ml-25m-shaped database: BENCH_25M_DB, or the generated set imported into the temp folder.
database_25m() {
    if [ -n "${BENCH_25M_DB:-}" ]; then
        echo "$BENCH_25M_DB"
        return
    fi
    local cache=${BENCH_25M_CACHE:-$HOME/.cache/movielens-bench/ml-25m-shaped}
    if [ ! -f "$cache/.complete" ]; then
        rm -rf "$cache.partial" && mkdir -p "$cache.partial"
        RUST_LOG=warn "$binary" generate --out "$cache.partial" --movies 62423 --users 162541 \
            --ratings 25000095 --tags 1093360 >/dev/null
        rm -rf "$cache" && mv "$cache.partial" "$cache" && touch "$cache/.complete"
    fi
    RUST_LOG=warn "$binary" --db "$work/25m.db" import "$cache" >/dev/null
    echo "$work/25m.db"
}

# A user with the most ratings, one at the median, and one with few (but some).
users_of() {
    python3 - "$1" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
counts = db.execute("SELECT user_id, count(*) AS n FROM ratings WHERE user_id IN (1, 1000, 50000, 100000, 150000) GROUP BY user_id ORDER BY n DESC").fetchall()
print(" ".join(str(user) for user, _ in counts))
EOF
}

# ms LABEL URL: one request's total time in ms.
time_one() { curl -s -o /dev/null -w '%{http_code} %{time_total}' "$1" | awk '{ printf "%s %.1f", $1, $2 * 1000 }'; }

# figure LABEL PATH: one wrk measurement, printed with the load average; p99 in ms kept in p99_of.
declare -A p99_of
figure() {
    local label=$1 path=$2 line
    line=$(measure "$label" "http://127.0.0.1:$port$path" "$seconds")
    awk -F'\t' -v load="$(load)" '
        function ms(value) { return value ~ /ms$/ ? value + 0 : value ~ /us$/ ? value / 1000 : value * 1000 }
        { printf "%-44s %10.0f %10.2f %10.2f %8s   %s\n", $1, $2, ms($3), ms($4), $5, load }' <<<"$line"
    p99_of[$label]=$(awk -F'\t' '{ v = $4; print v ~ /ms$/ ? v + 0 : v ~ /us$/ ? v / 1000 : v * 1000 }' <<<"$line")
}

target() {
    local verdict
    verdict=$(awk -v value="$2" -v op="$3" -v limit="$4" 'BEGIN {
        if (value == "") { print "MISSED"; exit }
        print (op == "<=" ? value <= limit : value >= limit) ? "met" : "MISSED" }')
    printf "target  %-52s %-12s %s\n" "$1 $3 $4 $5" "$2 $5" "$verdict"
}

uncached25m() {
    local db
    echo
    echo "== uncached reads on an ml-25m-shaped set: wrk -t2 -c16, ${seconds} s each, no cache"
    db=$(database_25m)
    echo "data: $db ($(du -m "$db" | cut -f1) MB)"
    local users
    users=$(users_of "$db")
    start_server "$db" "$work/uncached25m.log" || return 0
    local base=http://127.0.0.1:$port user
    echo "cold (first request after start, status and ms; load $(load)):"
    for user in $users; do
        echo "  /api/users/$user: $(time_one "$base/api/users/$user"), then $(time_one "$base/api/users/$user")"
    done
    echo "  /api/movies?sort=-mean_rating: $(time_one "$base/api/movies?sort=-mean_rating")"
    echo "  /api/genres: $(time_one "$base/api/genres")"
    printf "%-44s %10s %10s %10s %8s   %s\n" endpoint requests/s "p50 ms" "p99 ms" non-2xx "load average"
    figure health /api/health
    figure genres /api/genres
    figure mean_desc "/api/movies?sort=-mean_rating"
    figure mean_asc "/api/movies?sort=mean_rating"
    figure mean_desc_page_100 "/api/movies?sort=-mean_rating&page=100"
    figure drama_mean_desc "/api/movies?genre=Drama&sort=-mean_rating"
    figure imax_mean_desc "/api/movies?genre=IMAX&sort=-mean_rating"
    figure count_desc "/api/movies?sort=-rating_count"
    figure count_asc "/api/movies?sort=rating_count"
    figure year_desc "/api/movies?sort=-year"
    figure title_desc "/api/movies?sort=-title"
    for user in $users; do figure "user_$user" "/api/users/$user"; done
    stop_server
    target "/api/genres p99, uncached" "${p99_of[genres]}" "<=" 20 ms
    target "/api/movies?sort=-mean_rating p99, uncached" "${p99_of[mean_desc]}" "<=" 20 ms
    target "/api/movies?sort=mean_rating p99, uncached" "${p99_of[mean_asc]}" "<=" 20 ms
    target "/api/movies?genre=Drama&sort=-mean_rating p99" "${p99_of[drama_mean_desc]}" "<=" 20 ms
}

echo "machine: $(nproc) cores; binary: $binary ($(stat -c %y "$binary" | cut -d. -f1)); parts: $parts; load $(load)"
for part in $parts; do
    case $part in
        uncached25m) uncached25m ;;
        *) echo "unknown part: $part" >&2 ;;
    esac
done
