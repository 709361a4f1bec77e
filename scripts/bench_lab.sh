#!/usr/bin/env bash
# The query lab's throughput as shares of /api/health in the same run, the filter language's
# latency, and the statement recorder's cost: the same endpoints on a second server with the
# recorder off (--statement-recorder false), over the same database file, in the same rounds.
#
#   scripts/bench_lab.sh [DATA] [SECONDS]
#
# DATA is a MovieLens folder or zip (default: the real ml-latest-small in ../shared). Needs `wrk`
# (apt-get install wrk) and a release build. BENCH_ROUNDS sets the rounds (default 3).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/bench_lib.sh"
data=${1:-$root/../shared/movielens/ml-latest-small}
seconds=${2:-10}
rounds=${BENCH_ROUNDS:-3}
binary=$root/target/release/movielens
on=18490 off=18491
work=$(mktemp -d)
trap 'kill $servers 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

[ -x "$binary" ] || { echo "build first: cargo build --release" >&2; exit 1; }
command -v wrk >/dev/null || { echo "install wrk: apt-get install wrk" >&2; exit 1; }

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); data: $data"
echo "wrk: 2 threads, 16 connections, ${seconds}s per endpoint, $rounds rounds"
"$binary" --db "$work/lab.db" import "$data" >/dev/null
servers=""
for setting in "$on true" "$off false"; do
    set -- $setting
    RUST_LOG=warn "$binary" --db "$work/lab.db" --statement-recorder "$2" serve --bind "127.0.0.1:$1" >/dev/null 2>&1 &
    servers="$servers $!"
    until curl -sf "http://127.0.0.1:$1/api/health" >/dev/null; do sleep 0.05; done
done

example='(genre:Action OR genre:Comedy) AND NOT title:Episode AND year>=1990 AND avg_rating>=4 AND ratings>=50 AND tag:"dark comedy"'
filter="/api/movies?filter=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$example")"
echo "filter example: $(curl -sf "http://127.0.0.1:$on$filter" | python3 -c 'import json, sys; print(json.load(sys.stdin)["count"], "movies")')"

# The recorder's cost is measured on the two servers back to back, in alternating order, so that a
# noisy moment on this shared machine falls on both sides of a comparison as often as on one.
compare_recorder() {
    local path=$1 round=$2
    if [ $((round % 2)) -eq 1 ]; then
        measure "$path" "http://127.0.0.1:$on$path" "$seconds"
        measure "$path (recorder off)" "http://127.0.0.1:$off$path" "$seconds"
    else
        measure "$path (recorder off)" "http://127.0.0.1:$off$path" "$seconds"
        measure "$path" "http://127.0.0.1:$on$path" "$seconds"
    fi
}
results=$(for round in $(seq "$rounds"); do
    measure /api/health "http://127.0.0.1:$on/api/health" "$seconds"
    compare_recorder /api/movies/select-related/ "$round"
    for path in /api/movies/values/ /api/movies/values-list/; do
        measure "$path" "http://127.0.0.1:$on$path" "$seconds"
    done
    compare_recorder /api/movies/n-plus-one/ "$round"
    measure /api/movies/prefetch-related/ "http://127.0.0.1:$on/api/movies/prefetch-related/" "$seconds"
    measure "/api/movies?filter=<example>" "http://127.0.0.1:$on$filter" "$seconds"
done)
echo "$results" | summarise "$rounds" /api/health
echo
echo "$results" | awk -F'\t' '
    { key = $1; sub(/ \(recorder off\)$/, "", key) }
    $1 ~ /recorder off/ { off[key] = off[key] " " $2; next }
    { on[key] = on[key] " " $2 }
    END {
        print "recorder cost, per round (1 - on / off), and the median:"
        for (key in off) {
            n = split(on[key], a, " "); split(off[key], b, " "); line = ""
            for (i = 1; i <= n; i++) { cost[i] = 100 * (1 - a[i] / b[i]); line = line sprintf(" %.1f%%", cost[i]) }
            for (i = 2; i <= n; i++) for (j = i; j > 1 && cost[j - 1] > cost[j]; j--) { t = cost[j]; cost[j] = cost[j - 1]; cost[j - 1] = t }
            printf "  %-32s%s   median %.1f%%\n", key, line, n % 2 ? cost[(n + 1) / 2] : (cost[n / 2] + cost[n / 2 + 1]) / 2
        }
    }'
