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
results=$(for path in /api/health $paths; do
    measure "$path"
done)
health=$(echo "$results" | awk -F'\t' 'NR == 1 { print $2 }')
printf '%-30s %12s %8s %8s %10s %8s\n' endpoint "requests/s" p50 p99 "of health" non-2xx
echo "$results" | awk -F'\t' -v health="$health" '{ printf "%-30s %12.0f %8s %8s %9.1f%% %8s\n", $1, $2, $3, $4, 100 * $2 / health, $5 }'
echo "idle RSS after the run: $(awk '/VmRSS/ { printf "%.1f MB", $2 / 1024 }' "/proc/$server/status")"
