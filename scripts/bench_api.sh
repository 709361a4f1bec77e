#!/usr/bin/env bash
# API throughput and latency, as ratios to /api/health measured in the same run.
#
#   scripts/bench_api.sh [DATA] [SECONDS]
#
# DATA is a MovieLens folder or zip (default: the real ml-latest-small in ../shared); it is imported
# into a temp database first. Needs `wrk` (apt-get install wrk) and a release build.
#
# Environment:
#   BENCH_DB=PATH        serve this existing database instead of importing DATA (e.g. a 25M import)
#   BENCH_PATHS="P ..."  the endpoints to measure after /api/health
#   BENCH_SERVE_ARGS     extra global flags for the server, e.g. "--db-pool-size 4"
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data=${1:-$root/../shared/movielens/ml-latest-small}
seconds=${2:-10}
binary=$root/target/release/movielens
port=18480
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

[ -x "$binary" ] || { echo "build first: cargo build --release" >&2; exit 1; }
command -v wrk >/dev/null || { echo "install wrk: apt-get install wrk" >&2; exit 1; }

echo "machine: $(nproc) cores; data: ${BENCH_DB:-$data}; wrk: 2 threads, 16 connections, ${seconds}s per endpoint"
db=${BENCH_DB:-$work/bench.db}
[ -n "${BENCH_DB:-}" ] || "$binary" --db "$db" import "$data" >/dev/null
RUST_LOG=warn "$binary" --db "$db" ${BENCH_SERVE_ARGS:-} serve --bind "127.0.0.1:$port" >/dev/null 2>&1 &
server=$!
until curl -sf "http://127.0.0.1:$port/api/health" >/dev/null; do sleep 0.05; done
rss() { awk '/VmRSS/ { printf "%.1f MB", $2 / 1024 }' "/proc/$server/status"; }
sleep 1
idle_before=$(rss)

measure() {
    local path=$1
    # Warm up (the page cache, prepared statements), then measure.
    wrk -t2 -c16 -d2s "http://127.0.0.1:$port$path" >/dev/null
    wrk -t2 -c16 -d"${seconds}s" --latency "http://127.0.0.1:$port$path" | awk -v path="$path" '
        /Requests\/sec/ { rps = $2 }
        /^ +99%/ { p99 = $2 }
        /^ +50%/ { p50 = $2 }
        /Non-2xx/ { errors = $NF }
        END { printf "%s\t%s\t%s\t%s\t%s\n", path, rps, p50, p99, (errors == "" ? 0 : errors) }'
}

paths=${BENCH_PATHS:-"/api/movies?page_size=20 /api/movies/1 /api/top-rated /api/top-rated?genre=Comedy"}
rounds=${BENCH_ROUNDS:-3}
# Rounds interleave the endpoints, so that a noisy moment on this shared machine hits one round
# of each rather than every measurement of one endpoint; the medians are reported.
results=$(for round in $(seq "$rounds"); do
    for path in /api/health $paths; do
        measure "$path"
    done
done)
echo "$results" | awk -F'\t' -v rounds="$rounds" '
    function ms(value) { return value ~ /ms$/ ? value + 0 : value ~ /us$/ ? value / 1000 : value * 1000 }
    function median(list,    values, n, i, j, swap) {
        n = split(list, values, " ")
        for (i = 2; i <= n; i++) for (j = i; j > 1 && values[j - 1] + 0 > values[j] + 0; j--) {
            swap = values[j]; values[j] = values[j - 1]; values[j - 1] = swap
        }
        return n % 2 ? values[(n + 1) / 2] : (values[n / 2] + values[n / 2 + 1]) / 2
    }
    $1 == "/api/health" { health = $2 }
    { order[$1] = order[$1] ? order[$1] : ++count; rps[$1] = rps[$1] " " $2; p99[$1] = p99[$1] " " ms($4);
      ratio[$1] = ratio[$1] " " 100 * $2 / health; errors[$1] += $5 }
    END {
        printf "%-34s %12s %10s %10s %8s   (medians of %d rounds)\n", "endpoint", "requests/s", "p99 ms", "of health", "non-2xx", rounds
        for (path in order) byorder[order[path]] = path
        for (i = 1; i <= count; i++) { path = byorder[i]
            printf "%-34s %12.0f %10.2f %9.1f%% %8d\n", path, median(rps[path]), median(p99[path]), median(ratio[path]), errors[path] }
    }'
sleep 1
echo "idle RSS: $idle_before after start, $(rss) after the run"
