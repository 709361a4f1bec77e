#!/usr/bin/env bash
# The always-on cost of the request inspector plus the debug headers: the same endpoints on a
# server with both on (the defaults) and on one with both off (--no-inspector --debug-headers
# false), over the same database file, back to back in alternating order, in one run. Then the
# storage bound: requests are recorded (default 1,000,000, BENCH_STORAGE_REQUESTS) under the
# default retention, with the rate cap off, while the inspector file's size is printed.
#
#   scripts/bench_profiling.sh [DATA] [SECONDS]
#
# DATA is a MovieLens folder or zip (default: the real ml-latest-small in ../shared). Needs `wrk`
# (apt-get install wrk) and a release build. BENCH_ROUNDS sets the rounds (default 3);
# BENCH_INSPECTOR_FLAGS adds serve flags to the server with the inspector on, for example
# `--inspector-max-per-second 0` to record every request, as without the rate cap.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/bench_lib.sh"
data=${1:-$root/../shared/movielens/ml-latest-small}
seconds=${2:-10}
rounds=${BENCH_ROUNDS:-3}
storage_requests=${BENCH_STORAGE_REQUESTS:-1000000}
binary=$root/target/release/movielens
token=bench-profiling-token-$$
work=$(mktemp -d)
trap 'kill $servers 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

[ -x "$binary" ] || { echo "build first: cargo build --release" >&2; exit 1; }
command -v wrk >/dev/null || { echo "install wrk: apt-get install wrk" >&2; exit 1; }

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); data: $data"
echo "inspector flags: defaults ${BENCH_INSPECTOR_FLAGS:-}"
echo "wrk: 2 threads, 16 connections, ${seconds}s per endpoint, $rounds rounds"
"$binary" --db "$work/bench.db" import "$data" >/dev/null 2>&1
export MOVIELENS_ADMIN_TOKEN=$token
# shellcheck disable=SC2086 # BENCH_INSPECTOR_FLAGS is a list of flags
start_server "$work/bench.db" "$work/on.log" ${BENCH_INSPECTOR_FLAGS:-}
on=$port servers=$server
start_server "$work/bench.db" "$work/off.log" --no-inspector --debug-headers false
off=$port servers="$servers $server"

summary() {
    curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$on/api/profiling/requests/summary"
}

# Alternating order, so that a noisy moment on this shared machine falls on both sides as often as
# on one.
compare() {
    local path=$1 round=$2
    if [ $((round % 2)) -eq 1 ]; then
        measure "$path" "http://127.0.0.1:$on$path" "$seconds"
        measure "$path (profiling off)" "http://127.0.0.1:$off$path" "$seconds"
    else
        measure "$path (profiling off)" "http://127.0.0.1:$off$path" "$seconds"
        measure "$path" "http://127.0.0.1:$on$path" "$seconds"
    fi
}
results=$(for round in $(seq "$rounds"); do
    measure /api/health "http://127.0.0.1:$on/api/health" "$seconds"
    compare /api/movies/select-related/ "$round"
    compare /api/movies/n-plus-one/ "$round"
done)
echo "$results" | summarise "$rounds" /api/health
echo
echo "$results" | awk -F'\t' '
    { key = $1; sub(/ \(profiling off\)$/, "", key) }
    $1 ~ /profiling off/ { off[key] = off[key] " " $2; next }
    { on[key] = on[key] " " $2 }
    END {
        print "inspector + headers cost, per round (1 - on / off), and the median:"
        for (key in off) {
            n = split(on[key], a, " "); split(off[key], b, " "); line = ""
            for (i = 1; i <= n; i++) { cost[i] = 100 * (1 - a[i] / b[i]); line = line sprintf(" %.1f%%", cost[i]) }
            for (i = 2; i <= n; i++) for (j = i; j > 1 && cost[j - 1] > cost[j]; j--) { t = cost[j]; cost[j] = cost[j - 1]; cost[j - 1] = t }
            printf "  %-32s%s   median %.1f%%\n", key, line, n % 2 ? cost[(n + 1) / 2] : (cost[n / 2] + cost[n / 2 + 1]) / 2
        }
    }'
echo
summary | python3 -c 'import json, sys; s = json.load(sys.stdin); print("after the throughput runs:", s["recorded"], "recorded,", s["dropped"], "dropped,", s["stored"], "stored,", s["file_bytes"], "bytes")'

echo
# The rate cap would take hours to let a million requests through, so the storage part records
# every request: a server with the cap off and the default retention, on the same file.
kill $servers 2>/dev/null || true
wait 2>/dev/null || true
rm -f "$work"/movielens-inspector.db*
start_server "$work/bench.db" "$work/storage.log" --inspector-max-per-second 0
on=$port servers=$server
echo "storage: recording $storage_requests requests under the default retention (10,000 requests, 24 h), rate cap off"
printf '%12s %10s %10s %10s %14s\n' recorded dropped stored "file MB" "file+wal bytes"
while :; do
    line=$(summary | python3 -c 'import json, sys; s = json.load(sys.stdin); print(s["recorded"], s["dropped"], s["stored"], s["file_bytes"])')
    read -r recorded dropped stored bytes <<<"$line"
    printf '%12d %10d %10d %10.1f %14d\n' "$recorded" "$dropped" "$stored" "$(echo "$bytes / 1048576" | bc -l)" "$bytes"
    [ $((recorded + dropped)) -ge "$storage_requests" ] && break
    # A mix of the lab's pages, so the records carry statements.
    for path in /api/movies/n-plus-one/ /api/movies/select-related/ /api/health; do
        wrk -t2 -c16 -d3s "http://127.0.0.1:$on$path" >/dev/null
    done
done
ls -l "$work"/movielens-inspector.db* | awk '{ print "  " $5, $NF }'
