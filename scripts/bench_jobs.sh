#!/usr/bin/env bash
# Background job benchmarks on the real ml-latest-small, with a release build.
#
#   scripts/bench_jobs.sh [--seconds N]
#
# 1. enqueue: wrk -t2 -c16 for N seconds (default 8) on GET /api/celery/task1/ (each request
#    queues a real task while the default two workers run them), with /api/health in the same run.
# 2. throughput: 1,000 no-op tasks queued over 16 connections (POST /api/tasks) on the default
#    workers; the time from the first task received to the last finished, from the task table.
# 3. pickup: on an idle server, 200 no-op tasks one at a time; each one's start minus its
#    receipt, from the task table.
# 4. starvation: 4 workers busy with user profiles of the heaviest raters (a queue of 12,000, so that it outlasts the measurement)
#    while wrk reads GET /api/movies/1; the same read on the idle server first, in the same run.
# 5. memory: the server's resident set now and at its peak (VmRSS, VmHWM) after all of the above.
#
# Each target is printed on a `target` line with `met` or `MISSED`. Needs wrk, python3, the real
# data at ../shared/movielens/ml-latest-small, and `cargo build --release`. Loopback only.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/bench_lib.sh"
binary=$root/target/release/movielens
seconds=${BENCH_SECONDS:-8}
while [ $# -gt 0 ]; do
    case $1 in
        --seconds) seconds=$2; shift 2 ;;
        *) echo "usage: $0 [--seconds N]" >&2; exit 2 ;;
    esac
done
data=$root/../shared/movielens/ml-latest-small
[ -x "$binary" ] || { echo "build first: cargo build --release" >&2; exit 1; }
command -v wrk >/dev/null || { echo "install wrk: apt-get install wrk" >&2; exit 1; }
[ -f "$data/ratings.csv" ] || { echo "the real data is not at $data" >&2; exit 1; }

work=$(mktemp -d -t movielens-jobs.XXXXXX)
server=
cleanup() {
    [ -z "$server" ] || kill "$server" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export MOVIELENS_ADMIN_TOKEN=bench-jobs-token
load() { cut -d' ' -f1-3 /proc/loadavg; }
target() { # NAME FIGURE LIMIT UNIT: met when FIGURE <= LIMIT
    awk -v name="$1" -v figure="$2" -v limit="$3" -v unit="$4" 'BEGIN {
        printf "target  %-44s %10.2f %-4s (limit %s %s)  %s\n", name, figure, unit, limit, unit, (figure + 0 <= limit + 0) ? "met" : "MISSED" }'
}
report() { # passes lines through; "TARGET name figure limit unit" lines become target lines
    while read -r line; do
        case $line in
            "TARGET "*) read -r _ name figure limit unit <<<"$line"; target "$name" "$figure" "$limit" "$unit" ;;
            *) echo "$line" ;;
        esac
    done
}
# An import queues a recommendations build: seconds of work on one worker, which would share the
# cores with what is measured. Wait until the server has run it (and anything else queued).
wait_for_idle_queue() {
    for _ in $(seq 1200); do
        busy=$(curl -s "http://127.0.0.1:$port/api/tasks/stats" |
            python3 -c 'import json,sys; s=json.load(sys.stdin); print(sum(t["pending"] + t["running"] + t["retrying"] for t in s["by_name"]))')
        [ "$busy" = 0 ] && return 0
        sleep 0.1
    done
    echo "the queue did not drain in 120 s" >&2
    return 1
}
ms() { awk -v v="$1" 'BEGIN { print (v ~ /ms$/) ? v + 0 : (v ~ /us$/) ? v / 1000 : v * 1000 }'; }

echo "importing ml-latest-small..."
"$binary" --db "$work/pristine.db" import "$data" >/dev/null

echo
echo "== 1. enqueue latency through HTTP (wrk -t2 -c16, ${seconds} s; load $(load))"
cp "$work/pristine.db" "$work/enqueue.db"
start_server "$work/enqueue.db" "$work/enqueue.log" --max-queued-tasks 100000000
wait_for_idle_queue
base="http://127.0.0.1:$port"
health=$(measure health "$base/api/health" "$seconds")
enqueue=$(measure enqueue "$base/api/celery/task1/?movie_id=1" "$seconds")
printf '%s\n%s\n' "$health" "$enqueue" | awk -F'\t' '{ printf "  %-10s %10s requests/s  p50 %8s  p99 %8s  non-2xx %s\n", $1, $2, $3, $4, $5 }'
queued=$(curl -s "$base/api/tasks/stats" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(sum(t["pending"]+t["running"]+t["succeeded"] for t in s["by_name"]))')
echo "  tasks queued during the run and its warm-up: $queued"
target "enqueue p99 at 16 connections" "$(ms "$(cut -f4 <<<"$enqueue")")" 5 ms
stop_server

echo
echo "== 2-5. throughput, pickup, starvation and memory on one server (load $(load))"
cp "$work/pristine.db" "$work/jobs.db"
start_server "$work/jobs.db" "$work/jobs.log"
wait_for_idle_queue
base="http://127.0.0.1:$port"
python3 - "$base" "$work/jobs.db" <<'EOF' | report
import concurrent.futures, json, sqlite3, sys, time, urllib.request
base, db = sys.argv[1], sys.argv[2]
token = "bench-jobs-token"

def post(name, args):
    body = json.dumps({"name": name, "args": args}).encode()
    request = urllib.request.Request(f"{base}/api/tasks", body, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)["task_id"]

def rows(sql, *args):
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()

def wait_done(name, count, limit=600):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        done = rows("SELECT count(*) FROM job_results WHERE name = ? AND state IN ('succeeded','failed','timed_out','cancelled')", name)[0][0]
        if done >= count:
            return
        time.sleep(0.02)
    sys.exit(f"{name}: only {done} of {count} done after {limit} s")

def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))]

# 2. throughput
start = time.monotonic()
with concurrent.futures.ThreadPoolExecutor(16) as pool:
    list(pool.map(lambda _: post("noop", {}), range(1000)))
queued = time.monotonic()
wait_done("noop", 1000)
wall = time.monotonic() - start
first, last, failed = rows("SELECT min(received_at), max(finished_at), sum(state != 'succeeded') FROM job_results WHERE name = 'noop'")[0]
span = (last - first) / 1000
print(f"  throughput: 1000 no-op tasks, first received to last finished {span:.2f} s ({1000 / span:.0f} tasks/s); "
      f"wall clock with the client {wall:.2f} s (queuing took {queued - start:.2f} s); not succeeded: {failed}")
print(f"TARGET 1000-no-op-tasks-done-in {span:.3f} 2 s", flush=True)

# 3. pickup on an idle server
time.sleep(1)
ids = []
for _ in range(200):
    ids.append(post("noop", {}))
    wait_done("noop", 1000 + len(ids))
    time.sleep(0.01)
marks = ",".join("?" * len(ids))
waits = [started - received for started, received in rows(
    f"SELECT started_at, received_at FROM job_results WHERE lower(hex(task_id)) IN ({marks})", *[i.replace('-', '') for i in ids])]
print(f"  pickup, 200 tasks one at a time: p50 {pct(waits, 50)} ms, p99 {pct(waits, 99)} ms, max {max(waits)} ms")
print(f"TARGET pickup-p99-on-an-idle-server {pct(waits, 99)} 50 ms", flush=True)
EOF
stop_server

echo
echo "== 4. HTTP while 4 workers run user profiles (wrk -t2 -c16, ${seconds} s; load $(load))"
cp "$work/pristine.db" "$work/starve.db"
start_server "$work/starve.db" "$work/starve.log" --workers 4 --max-queued-tasks 100000
wait_for_idle_queue
base="http://127.0.0.1:$port"
idle=$(measure idle "$base/api/movies/1" "$seconds")
python3 - "$base" "$work/starve.db" <<'EOF'
import concurrent.futures, json, sqlite3, sys, urllib.request
base, db = sys.argv[1], sys.argv[2]
heavy = [row[0] for row in sqlite3.connect(db).execute(
    "SELECT user_id FROM ratings GROUP BY user_id ORDER BY count(*) DESC LIMIT 50")]
def post(user):
    body = json.dumps({"name": "user_profile", "args": {"user_id": user}}).encode()
    request = urllib.request.Request(f"{base}/api/tasks", body, {"Authorization": "Bearer bench-jobs-token", "Content-Type": "application/json"})
    urllib.request.urlopen(request).read()
with concurrent.futures.ThreadPoolExecutor(16) as pool:
    list(pool.map(post, [heavy[i % len(heavy)] for i in range(12000)]))
EOF
busy=$(measure busy "$base/api/movies/1" "$seconds")
stats=$(curl -s "$base/api/tasks/stats" | python3 -c 'import json,sys; s=json.load(sys.stdin); t={x["name"]:x for x in s["by_name"]}["user_profile"]; print(t["succeeded"], s["queue_length"], len([w for w in s["workers"] if "current_task" in w]))')
read -r done waiting busy_workers <<<"$stats"
printf '%s\n%s\n' "$idle" "$busy" | awk -F'\t' '{ printf "  %-6s GET /api/movies/1 %10s requests/s  p50 %8s  p99 %8s  non-2xx %s\n", $1, $2, $3, $4, $5 }'
echo "  user profiles done by the end: $done; still queued: $waiting; workers busy at the end: $busy_workers"
[ "$waiting" -gt 0 ] || echo "  WARNING: the queue drained before the end of the measurement"
target "GET /api/movies/1 p99 with 4 busy workers" "$(ms "$(cut -f4 <<<"$busy")")" 20 ms

echo
echo "== 5. memory of the server that ran part 4"
grep -E 'VmRSS|VmHWM' "/proc/$server/status" | awk '{ printf "  %s %.1f MB\n", $1, $2 / 1024 }'
target "peak resident set (VmHWM)" "$(awk '/VmHWM/ { print $2 / 1024 }' "/proc/$server/status")" 100 MB
stop_server
