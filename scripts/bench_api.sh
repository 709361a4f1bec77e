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
source "$root/scripts/bench_lib.sh"
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

paths=${BENCH_PATHS:-"/api/movies?page_size=20 /api/movies/1 /api/top-rated /api/top-rated?genre=Comedy"}
rounds=${BENCH_ROUNDS:-3}
# Rounds interleave the endpoints, so that a noisy moment on this shared machine hits one round
# of each rather than every measurement of one endpoint; the medians are reported.
results=$(for round in $(seq "$rounds"); do
    for path in /api/health $paths; do
        measure "$path" "http://127.0.0.1:$port$path" "$seconds"
    done
done)
echo "$results" | summarise "$rounds" /api/health
sleep 1
echo "idle RSS: $idle_before after start, $(rss) after the run"
