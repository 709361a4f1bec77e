#!/usr/bin/env bash
# The index lesson, measured: GET /api/movies/index-compare on the real data, a few times, and a
# check that the unindexed query is at least 10 times slower than the indexed one. The tests check
# only what holds on any machine; the timing claim is checked here.
#
#   scripts/bench_lab_indexes.sh [DATA] [CALLS]
#
# DATA is a MovieLens folder or zip (default: the real ml-latest-small in ../shared); it is imported
# into a temp database first. CALLS (default 5) requests are made, each with 25 runs per query.
#
# Environment:
#   BENCH_DB=PATH         serve this existing database instead of importing DATA
#   BENCH_MIN_SPEEDUP=N   the speedup every call must reach (default 10)
#   BENCH_QUERY="..."     extra query parameters, e.g. "user_id=414"
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data=${1:-$root/../shared/movielens/ml-latest-small}
calls=${2:-5}
binary=$root/target/release/movielens
port=18481
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

[ -x "$binary" ] || { echo "build first: cargo build --release" >&2; exit 1; }

db=${BENCH_DB:-$work/bench.db}
[ -n "${BENCH_DB:-}" ] || RUST_LOG=warn "$binary" --db "$db" import "$data" >/dev/null
RUST_LOG=warn "$binary" --db "$db" serve --bind "127.0.0.1:$port" >/dev/null 2>&1 &
server=$!
until curl -sf "http://127.0.0.1:$port/api/health" >/dev/null; do sleep 0.05; done

url="http://127.0.0.1:$port/api/movies/index-compare?runs=25${BENCH_QUERY:+&$BENCH_QUERY}"
echo "machine: $(nproc) cores; data: ${BENCH_DB:-$data}; $calls calls of $url"
for _ in $(seq "$calls"); do curl -sf "$url"; echo; done >"$work/reports.jsonl"
python3 - "$work/reports.jsonl" "${BENCH_MIN_SPEEDUP:-10}" <<'PY'
import json, sys
reports = [json.loads(line)["data"] for line in open(sys.argv[1]) if line.strip()]
minimum = float(sys.argv[2])
first = reports[0]
for side in ("indexed", "unindexed"):
    query, run = first[side], first[side]["runs"][0]
    print(f"{side:>9}: {query['sql']}  (?1 = {query['value']})")
    print(f"           plan {query['plan']}; {query['matched_rows']} rows matched; "
          f"fullscan_steps {run['fullscan_steps']}, vm_steps {run['vm_steps']} per run")
print(f"table rows: {first['table_rows']}")
print(f"{'call':>4} {'indexed ms':>11} {'unindexed ms':>13} {'speedup':>9}   (medians of {first['runs']} runs)")
for number, report in enumerate(reports, 1):
    indexed, unindexed = report["indexed"]["median_ms"], report["unindexed"]["median_ms"]
    print(f"{number:>4} {indexed:>11.4f} {unindexed:>13.3f} {report['speedup']:>8.1f}x")
slowest = min(report["speedup"] for report in reports)
if slowest < minimum:
    sys.exit(f"FAIL: a speedup of {slowest:.1f}x is below {minimum:g}x")
print(f"ok: every speedup is at least {minimum:g}x (lowest {slowest:.1f}x)")
PY
