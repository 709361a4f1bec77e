#!/usr/bin/env bash
# Caching benchmarks: the reads a cache would hide, measured without one first.
#
#   scripts/bench_cache.sh [--seconds N] [--parts "hits uncached25m cached25m outage memory"]
#
# 1. uncached25m: on an ml-25m-shaped database, with no cache in front, wrk -t2 -c16 for N seconds
#    (default 8) per endpoint, in one run with /api/health: the genre list, the movie list by mean
#    rating both ways, a genre-filtered mean-rating sort, the other sorts, and a few users. A user's
#    first request after the server starts is timed on its own (cold), then under load. Each line
#    carries the load average at its end, since the machine may be shared.
# 2. hits: the real ml-latest-small, every page a cache hit, as shares of /api/health in the same
#    run: the per-view and manual lessons and a cached /api/genres, in this process (moka) and then
#    through a redis-server on loopback that the script starts.
# 3. cached25m: the ml-25m-shaped database again, with the cache: the same pages as hits.
# 4. outage: a server on Redis under wrk (16 connections) while Redis is killed and later started
#    again; no 5xx and no request over 1 s, and the p99 while Redis was down.
# 5. memory: a key-scanning load (every request a new key) against a 16 MiB in-process cache: the
#    cache's own bytes against its bound, and the server's RSS.
#
# Each target is printed on a `target` line next to its figure, with `met` or `MISSED`. Needs wrk
# (apt-get install wrk), python3 and a release build. Loopback only; free ports; everything it
# starts is stopped on exit. To add a part: a function, and a line in the `case` at the end.
#
# Environment:
#   BENCH_SECONDS       duration of each measurement (default 8)
#   BENCH_PARTS         which parts to run (default all five)
#   BENCH_25M_DB        an existing ml-25m-shaped database to serve (it is migrated, never
#                       re-imported); without it the generated set is imported into a temp folder
#   BENCH_25M_CACHE     where the generated set is kept (default ~/.cache/movielens-bench/ml-25m-shaped)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/bench_lib.sh"
binary=$root/target/release/movielens
seconds=${BENCH_SECONDS:-8}
parts=${BENCH_PARTS:-hits uncached25m cached25m outage memory}
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
redis=
cleanup() {
    [ -z "$server" ] || kill "$server" 2>/dev/null || true
    [ -z "$redis" ] || kill -9 "$redis" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

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
declare -A p99_of rps_of
figure() {
    local label=$1 path=$2 line
    line=$(measure "$label" "http://127.0.0.1:$port$path" "$seconds")
    awk -F'\t' -v load="$(load)" '
        function ms(value) { return value ~ /ms$/ ? value + 0 : value ~ /us$/ ? value / 1000 : value * 1000 }
        { printf "%-44s %10.0f %10.2f %10.2f %8s   %s\n", $1, $2, ms($3), ms($4), $5, load }' <<<"$line"
    p99_of[$label]=$(awk -F'\t' '{ v = $4; print v ~ /ms$/ ? v + 0 : v ~ /us$/ ? v / 1000 : v * 1000 }' <<<"$line")
    rps_of[$label]=$(cut -f2 <<<"$line")
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
    # The data pages are served past the per-view cache. No workers: an import queues a
    # recommendations build, minutes of work on this set that would share the cores.
    start_server "$db" "$work/uncached25m.log" --cache-pages false --no-worker || return 0
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

# A redis-server of the script's own on a free port, without persistence; sets $redis and $redis_port.
start_redis() {
    command -v redis-server >/dev/null || { echo "install redis-server: apt-get install redis-server" >&2; return 1; }
    redis_port=${redis_port:-$(free_port)}
    redis-server --port "$redis_port" --save '' --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
    redis=$!
    for _ in $(seq 100); do
        redis-cli -p "$redis_port" ping >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "redis-server did not start" >&2
    return 1
}

stop_redis() {
    kill -9 "$redis" 2>/dev/null || true
    wait "$redis" 2>/dev/null || true
    redis=
}

real_small() {
    [ -f "$work/small.db" ] || RUST_LOG=warn "$binary" --db "$work/small.db" import "$root/../shared/movielens/ml-latest-small" >/dev/null
    echo "$work/small.db"
}

header_row() { printf "%-44s %10s %10s %10s %8s   %s\n" endpoint requests/s "p50 ms" "p99 ms" non-2xx "load average"; }

# share LABEL: LABEL's requests/s as a percentage of health's in the same run.
share() { awk -v a="${rps_of[$1]}" -v b="${rps_of[health]}" 'BEGIN { printf "%.1f", 100 * a / b }'; }

# figures of the cached pages, after one request that fills each.
cached_pages() {
    local prefix=$1
    for path in /api/cache/per-view/ /api/cache/manual/ /api/genres; do curl -sf "http://127.0.0.1:$port$path" >/dev/null; done
    header_row
    figure health /api/health
    figure "${prefix}per_view" /api/cache/per-view/
    figure "${prefix}manual" /api/cache/manual/
    figure "${prefix}genres" /api/genres
}

hits() {
    local db
    echo
    echo "== cache hits on the real ml-latest-small: wrk -t2 -c16, ${seconds} s each"
    db=$(real_small)
    start_server "$db" "$work/hits.log" || return 0
    cached_pages ""
    curl -s "http://127.0.0.1:$port/api/cache/stats" | python3 -c 'import json, sys; s = json.load(sys.stdin); print("stats: backend", s["backend"], "hits", s["hits"], "misses", s["misses"], "hit ratio", s["hit_ratio"])'
    stop_server
    for label in per_view manual genres; do
        target "$label hits in process, share of /api/health" "$(share "$label")" ">=" 70 %
        target "$label hits in process, p99" "${p99_of[$label]}" "<=" 5 ms
    done
    start_redis || return 0
    echo "-- the same through redis-server on 127.0.0.1:$redis_port"
    start_server "$db" "$work/hits-redis.log" --cache-url "redis://127.0.0.1:$redis_port/1" || return 0
    cached_pages "redis_"
    curl -s "http://127.0.0.1:$port/api/cache/stats" | python3 -c 'import json, sys; s = json.load(sys.stdin); print("stats: backend", s["backend"], "hits", s["hits"], "misses", s["misses"], "redis up", s["redis"]["up"])'
    stop_server
    stop_redis
    for label in per_view manual genres; do
        target "$label hits through Redis, share of /api/health" "$(share "redis_$label")" ">=" 35 %
    done
}

cached25m() {
    local db
    echo
    echo "== cached reads on an ml-25m-shaped set: wrk -t2 -c16, ${seconds} s each"
    db=$(database_25m)
    # No workers, as in uncached25m.
    start_server "$db" "$work/cached25m.log" --no-worker || return 0
    for path in /api/genres "/api/movies?sort=-mean_rating"; do curl -sf "http://127.0.0.1:$port$path" >/dev/null; done
    header_row
    figure health /api/health
    figure genres_cached /api/genres
    figure mean_desc_cached "/api/movies?sort=-mean_rating"
    stop_server
    target "/api/genres p99, cached" "${p99_of[genres_cached]}" "<=" 2 ms
    target "/api/movies?sort=-mean_rating p99, cached" "${p99_of[mean_desc_cached]}" "<=" 2 ms
}

# wrk_window SECONDS PATH: one wrk run; prints requests, non-2xx, socket errors, p99 and max in ms.
wrk_window() {
    wrk -t2 -c16 -d"$1s" --latency --timeout 5s "http://127.0.0.1:$port$2" | awk '
        function ms(v) { return v ~ /ms$/ ? v + 0 : v ~ /us$/ ? v / 1000 : v ~ /m$/ ? v * 60000 : v * 1000 }
        /^ +Latency +[0-9]/ { max = ms($4) }
        /^ +99%/ { p99 = ms($2) }
        /requests in/ { requests = $1 }
        /Non-2xx/ { errors = $NF }
        /Socket errors/ { socket = $0 }
        END { printf "%s %d %s %.2f %.2f\n", requests, errors, (socket == "" ? "none" : "some"), p99, max }'
}

outage() {
    local db
    echo
    echo "== Redis killed under load: wrk -t2 -c16 on /api/genres and /api/cache/partial/"
    db=$(real_small)
    start_redis || return 0
    start_server "$db" "$work/outage.log" --cache-url "redis://127.0.0.1:$redis_port/1" || return 0
    curl -sf "http://127.0.0.1:$port/api/genres" >/dev/null
    local before during partial across after
    before=$(wrk_window 4 /api/genres)
    # Redis killed while wrk runs, and started again 6 s later, inside one 12 s window.
    wrk_window 12 /api/genres >"$work/across" &
    local wrk_pid=$!
    sleep 3
    stop_redis
    sleep 6
    start_redis
    wait "$wrk_pid"
    across=$(cat "$work/across")
    # A window wholly inside an outage.
    stop_redis
    during=$(wrk_window 8 /api/genres)
    partial=$(wrk_window 4 /api/cache/partial/)
    start_redis
    sleep 3
    after=$(wrk_window 4 /api/genres)
    local state
    state=$(curl -s "http://127.0.0.1:$port/api/cache/stats" | python3 -c 'import json, sys; r = json.load(sys.stdin)["redis"]; print("up" if r["up"] else "down", "outages", r["outages"])')
    stop_server
    stop_redis
    printf "%-34s %10s %8s %8s %10s %10s\n" window requests non-2xx socket "p99 ms" "max ms"
    printf "%-34s %10s %8s %8s %10s %10s\n" "Redis up" $before
    printf "%-34s %10s %8s %8s %10s %10s\n" "killed at 3 s, back at 9 s (12 s)" $across
    printf "%-34s %10s %8s %8s %10s %10s\n" "Redis down: /api/genres" $during
    printf "%-34s %10s %8s %8s %10s %10s\n" "Redis down: /api/cache/partial/" $partial
    printf "%-34s %10s %8s %8s %10s %10s\n" "Redis started again (3 s later)" $after
    echo "stats afterwards: redis $state"
    local errors max
    errors=$(printf '%s\n' "$across" "$during" "$partial" | awk '{ sum += $2 } END { print sum }')
    max=$(printf '%s\n' "$across" "$during" "$partial" | awk '$5 > max { max = $5 } END { print max + 0 }')
    read -r _ _ _ p99 _ <<<"$during"
    target "non-2xx around and during the outage" "$errors" "<=" 0 ""
    target "slowest request around and during the outage" "$max" "<=" 1000 ms
    echo "p99 while Redis was down: $p99 ms"
}

memory() {
    local db
    echo
    echo "== memory: every request a new key, in-process cache bounded to 16 MiB"
    db=$(real_small)
    start_server "$db" "$work/memory.log" --cache-max-bytes 16777216 || return 0
    local rss_before
    rss_before=$(awk '/VmRSS/ { print $2 }' "/proc/$server/status")
    cat >"$work/scan.lua" <<'LUA'
sorts = {"id", "-id", "title", "-title", "year", "-year", "mean_rating", "-mean_rating", "rating_count", "-rating_count"}
request = function()
    return wrk.format("GET", "/api/movies?page_size=" .. math.random(1, 100) .. "&page=" .. math.random(1, 50)
        .. "&sort=" .. sorts[math.random(1, #sorts)])
end
LUA
    wrk -t2 -c16 -d"$((seconds * 2))s" -s "$work/scan.lua" "http://127.0.0.1:$port" | awk '/Requests\/sec/ { print "key-scanning load:", $2, "requests/s" }'
    local rss_after
    rss_after=$(awk '/VmRSS/ { print $2 }' "/proc/$server/status")
    local stats
    stats=$(curl -s "http://127.0.0.1:$port/api/cache/stats")
    stop_server
    python3 - "$stats" "$rss_before" "$rss_after" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
print(f"cache: {s['entries']} entries, {s['bytes']} of {s['max_bytes']} bytes, {s['evictions']} evictions, {s['misses']} misses")
print(f"RSS: {int(sys.argv[2]) / 1024:.1f} MiB before, {int(sys.argv[3]) / 1024:.1f} MiB after")
PY
    local bytes max
    bytes=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["bytes"])' "$stats")
    max=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["max_bytes"])' "$stats")
    target "cache bytes within the bound" "$bytes" "<=" "$max" bytes
}

echo "machine: $(nproc) cores; binary: $binary ($(stat -c %y "$binary" | cut -d. -f1)); parts: $parts; load $(load)"
for part in $parts; do
    case $part in
        hits) hits ;;
        uncached25m) uncached25m ;;
        cached25m) cached25m ;;
        outage) outage ;;
        memory) memory ;;
        *) echo "unknown part: $part" >&2 ;;
    esac
done
