#!/usr/bin/env bash
# Recommendation benchmarks, with a release build.
#
#   scripts/bench_recommendations.sh [--seconds N] [--big DB]
#
# 1. ml-latest-small: `recommend build` on every core (wall time, peak RSS) and the held-out
#    evaluation of binary and centred cosine, and of the per-user cap (1000, 300, no cap).
# 2. demo data (`generate` with the default shape): the evaluation, and the share of top-10
#    neighbours sharing a genre with their movie against random pairs.
# 3. serving on ml-latest-small: wrk on /api/health, then GET /api/movies/1 idle and while
#    builds by the task (1 thread, forced, back to back) run, then /api/movies/{id}/similar and
#    /api/users/{id}/recommendations once the last one is cancelled.
# 4. with --big DB (an ml-25m-shaped database; the script works on a copy in its temp dir and
#    never writes to DB): the build's wall time and peak RSS on every core, then the same
#    serving measurements as in 3 (on 25M one build by the task outlasts the measurement; it is
#    cancelled at its end).
# 3 and 4 also measure /api/users/{id}/recommendations for users drawn at random for each
# request (every user with ratings equally likely), and for the user at the median of ratings
# per user, the one at the 99th percentile, and the one with the most.
#
# BENCH_BINARY picks another binary than target/release/movielens (e.g. a debug build, to check
# that the script runs; its figures mean nothing).
# Targets are printed on `target` lines with `met` or `MISSED`. Needs wrk, python3, GNU time
# (/usr/bin/time), the real data at ../shared/movielens/ml-latest-small. Loopback only.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/bench_lib.sh"
binary=${BENCH_BINARY:-$root/target/release/movielens}
seconds=${BENCH_SECONDS:-8}
big=
while [ $# -gt 0 ]; do
    case $1 in
        --seconds) seconds=$2; shift 2 ;;
        --big) big=$2; shift 2 ;;
        *) echo "usage: $0 [--seconds N] [--big DB]" >&2; exit 2 ;;
    esac
done
data=$root/../shared/movielens/ml-latest-small
[ -x "$binary" ] || { echo "build first: cargo build --release" >&2; exit 1; }
command -v wrk >/dev/null || { echo "install wrk: apt-get install wrk" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "install GNU time: apt-get install time" >&2; exit 1; }
[ -f "$data/ratings.csv" ] || { echo "the real data is not at $data" >&2; exit 1; }
[ -z "$big" ] || [ -f "$big" ] || { echo "no database at $big" >&2; exit 1; }

work=$(mktemp -d -t movielens-recs.XXXXXX)
server=
builder=
cleanup() {
    [ -z "$builder" ] || kill "$builder" 2>/dev/null || true
    [ -z "$server" ] || kill "$server" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export MOVIELENS_ADMIN_TOKEN=bench-recs-token
target() { # NAME FIGURE LIMIT UNIT [ge]: met when FIGURE <= LIMIT (>= with "ge")
    awk -v name="$1" -v figure="$2" -v limit="$3" -v unit="$4" -v ge="${5:-}" 'BEGIN {
        ok = ge == "ge" ? figure + 0 >= limit + 0 : figure + 0 <= limit + 0
        printf "target  %-52s %10.3f %-4s (limit %s %s %s)  %s\n", name, figure, unit, ge == "ge" ? ">=" : "<=", limit, unit, ok ? "met" : "MISSED" }'
}
ms() { awk -v v="$1" 'BEGIN { print (v ~ /ms$/) ? v + 0 : (v ~ /us$/) ? v / 1000 : v * 1000 }'; }
# timed LOG COMMAND...: runs it under GNU time; prints "seconds peak_MB"
timed() {
    local log=$1; shift
    /usr/bin/time -f '%e %M' -o "$log.time" "$@" >"$log" 2>&1
    awk '{ printf "%s %.0f\n", $1, $2 / 1024 }' "$log.time"
}
figure() { awk -v row="$2" -v col="$3" '$1 == row { print $col }' "$1"; }
genre_share() { # DB: share of top-10 neighbours sharing a genre, and of random pairs
    python3 - "$1" <<'PY'
import random, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
genres = {}
for movie, genre in db.execute("SELECT movie_id, genre_id FROM movie_genres"):
    genres.setdefault(movie, set()).add(genre)
pairs = db.execute("""SELECT movie_id, neighbour_id FROM recommendation_neighbours
    WHERE rank <= 10 AND model_id = (SELECT model_id FROM recommendation_current)""").fetchall()
near = sum(bool(genres.get(a, set()) & genres.get(b, set())) for a, b in pairs) / len(pairs)
movies = sorted({a for a, _ in pairs})
rng = random.Random(1)
sample = [(rng.choice(movies), rng.choice(movies)) for _ in range(100000)]
sample = [(a, b) for a, b in sample if a != b]
rand = sum(bool(genres.get(a, set()) & genres.get(b, set())) for a, b in sample) / len(sample)
print(f"{near:.4f} {rand:.4f}")
PY
}

json_field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
auth=(-H "Authorization: Bearer $MOVIELENS_ADMIN_TOKEN")
queue_build() { # BASE: queues a forced build by the task; prints its id
    curl -sf "${auth[@]}" -H 'Content-Type: application/json' \
        -d '{"name": "recommendations.build", "args": {"force": true}}' "$1/api/tasks" | json_field task_id
}
wait_task() { # BASE ID: waits for the task to end; prints its final state
    local state
    while state=$(curl -sf "${auth[@]}" "$1/api/tasks/$2" | json_field state); do
        case $state in pending | running | retrying) sleep 1 ;; *) echo "$state"; return ;; esac
    done
    echo "unknown"
}
wait_idle() { # BASE: waits until no task is pending or running (what the server queued at start)
    local busy
    for _ in $(seq 7200); do
        busy=0
        for state in pending running retrying; do
            busy=$((busy + $(curl -sf "${auth[@]}" "$1/api/tasks?state=$state" |
                python3 -c 'import json, sys; print(len(json.load(sys.stdin)["tasks"]))')))
        done
        [ "$busy" -gt 0 ] || return 0
        sleep 1
    done
    echo "  (tasks still running after 2 hours)" >&2
}
keep_building() { # BASE STOPFILE: forced builds back to back until STOPFILE exists; prints how
    # many ended, and a build still running when STOPFILE appears is cancelled (on 25M one build
    # by the task takes longer than the measurement)
    local count=0 id state
    while [ ! -e "$2" ]; do
        id=$(queue_build "$1")
        echo "$id" >"$2.task"
        state=$(wait_task "$1" "$id")
        case $state in succeeded | cancelled) ;; *) echo "  (a build ended $state)" >&2 ;; esac
        count=$((count + 1))
    done
    echo "$count"
}
# serving BASE OUT: GET /api/movies/1 idle and during builds, then both endpoints after them
serving() {
    local base=$1 out=$2
    wait_idle "$base"
    measure "movie, idle" "$base/api/movies/1" "$seconds" >"$out"
    rm -f "$work/stop"
    keep_building "$base" "$work/stop" >"$work/builds" &
    builder=$!
    measure "movie, during a build" "$base/api/movies/1" "$seconds" >>"$out"
    touch "$work/stop"
    curl -sf "${auth[@]}" -H 'Content-Type: application/json' -d '{}' \
        "$base/api/tasks/$(cat "$work/stop.task")/cancel" >/dev/null || true
    wait "$builder"
    builder=
    echo "  builds by the task during the measurement: $(cat "$work/builds") (the last one cancelled)"
    measure similar "$base/api/movies/1/similar" "$seconds" >>"$out"
    measure recommendations "$base/api/users/1/recommendations" "$seconds" >>"$out"
}
p99() { ms "$(awk -F'\t' -v l="$2" '$1 == l { print $4 }' "$1")"; }
# users_by_size DB DIR: every user with ratings into DIR/users.lua (a wrk script that asks for
# one at random per request); prints "user ratings" for the median user, the 99th percentile
# and the user with the most ratings.
users_by_size() {
    python3 - "$1" "$2" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
counts = db.execute("SELECT user_id, count(*) FROM ratings GROUP BY user_id ORDER BY 2, 1").fetchall()
with open(f"{sys.argv[2]}/users.txt", "w") as ids:
    ids.writelines(f"{user}\n" for user, _ in counts)
with open(f"{sys.argv[2]}/users.lua", "w") as lua:
    lua.write(f"""local users = {{}}
for line in io.lines("{sys.argv[2]}/users.txt") do users[#users + 1] = line end
math.randomseed(os.time())
request = function()
    return wrk.format("GET", "/api/users/" .. users[math.random(#users)] .. "/recommendations")
end
""")
for at in (len(counts) // 2, len(counts) * 99 // 100, len(counts) - 1):
    print(*counts[at])
PY
}
# by_size DB BASE OUT: recommendations for users at random, then for the three users above
by_size() {
    local db=$1 base=$2 out=$3
    users_by_size "$db" "$work" >"$work/sizes"
    measure "recommendations, users at random" "$base/" "$seconds" "$work/users.lua" >>"$out"
    while read -r user ratings; do
        measure "recommendations, $ratings ratings" "$base/api/users/$user/recommendations" "$seconds" >>"$out"
    done <"$work/sizes"
}

echo "importing ml-latest-small..."
"$binary" --db "$work/small.db" import "$data" >/dev/null

echo
echo "== 1. ml-latest-small: build on every core ($(nproc) cores)"
read -r secs peak < <(timed "$work/build.log" "$binary" --db "$work/small.db" recommend build)
cat "$work/build.log"
echo "  wall ${secs} s, peak RSS ${peak} MB"
target "build time, ml-latest-small (with its evaluation)" "$secs" 3 s
for variant in "binary 1000" "centred 1000" "binary 300" "binary 100000"; do
    read -r normalization cap <<<"$variant"
    "$binary" --db "$work/small.db" recommend evaluate --normalization "$normalization" --max-user-ratings "$cap" >"$work/eval.txt"
    echo "  -- $normalization, at most $cap ratings a user"
    sed 's/^/     /' "$work/eval.txt"
done
"$binary" --db "$work/small.db" recommend evaluate >"$work/eval.txt"
model_hr=$(figure "$work/eval.txt" model 2); pop_hr=$(figure "$work/eval.txt" popularity 2)
model_ndcg=$(figure "$work/eval.txt" model 3); pop_ndcg=$(figure "$work/eval.txt" popularity 3); damped_ndcg=$(figure "$work/eval.txt" damped-mean 3)
target "HR@10 over popularity's, ml-latest-small" "$(awk -v a="$model_hr" -v b="$pop_hr" 'BEGIN { print a / b }')" 1.5 x ge
target "NDCG@10 minus the best baseline's" "$(awk -v a="$model_ndcg" -v b="$pop_ndcg" -v c="$damped_ndcg" 'BEGIN { print a - (b > c ? b : c) }')" 0 "" ge

echo
echo "== 2. demo data (generate, default shape)"
"$binary" generate --out "$work/demo" >/dev/null
"$binary" --db "$work/demo.db" import "$work/demo" >/dev/null
"$binary" --db "$work/demo.db" recommend build --evaluate true | sed 's/^/  /'
read -r near rand < <(genre_share "$work/demo.db")
echo "  top-10 neighbours sharing a genre: $near; random pairs: $rand"
target "genre sharing, neighbours over random pairs" "$(awk -v a="$near" -v b="$rand" 'BEGIN { print a / b }')" 2 x ge
read -r near rand < <(genre_share "$work/small.db")
echo "  (ml-latest-small for comparison: neighbours $near, random pairs $rand)"

echo
echo "== 3. serving on ml-latest-small (wrk -t2 -c16, ${seconds} s each)"
start_server "$work/small.db" "$work/serve.log"
base="http://127.0.0.1:$port"
wait_idle "$base"
measure health "$base/api/health" "$seconds" >"$work/serve.tsv"
serving "$base" "$work/serve-more.tsv"
by_size "$work/small.db" "$base" "$work/serve-more.tsv"
cat "$work/serve-more.tsv" >>"$work/serve.tsv"
awk -F'\t' '{ printf "  %-36s %10s requests/s  p50 %8s  p99 %8s  non-2xx %s\n", $1, $2, $3, $4, $5 }' "$work/serve.tsv"
echo "  GET /api/movies/1 p99: idle $(p99 "$work/serve.tsv" "movie, idle") ms, during builds $(p99 "$work/serve.tsv" "movie, during a build") ms"
for label in similar recommendations; do
    echo "  $label p99: $(p99 "$work/serve.tsv" "$label") ms"
done
health=$(awk -F'\t' '$1 == "health" { print $2 }' "$work/serve.tsv")
for label in similar recommendations; do
    rps=$(awk -F'\t' -v l="$label" '$1 == l { print $2 }' "$work/serve.tsv")
    target "$label throughput as a share of health's" "$(awk -v a="$rps" -v b="$health" 'BEGIN { print 100 * a / b }')" 25 % ge
done
stop_server

[ -n "$big" ] || { echo; echo "(no --big DB: the 25M measurements are skipped)"; exit 0; }
echo
echo "== 4. $big: build on every core (on a copy)"
cp "$big" "$work/big.db"
[ ! -f "$big-wal" ] || cp "$big-wal" "$work/big.db-wal"
# Bring the copy's schema up to date first, so that the build's time and peak RSS are its own:
# a migration that rebuilds an index over every rating maps and sorts the whole table once.
migrating=$(date +%s.%N)
start_server "$work/big.db" "$work/big-migrate.log" --no-worker --recommendations-at-start false
stop_server
echo "  the copy's migrations (by a server started for them): $(awk -v a="$migrating" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
read -r secs peak < <(timed "$work/big-build.log" "$binary" --db "$work/big.db" recommend build)
cat "$work/big-build.log"
echo "  wall ${secs} s, peak RSS ${peak} MB"
target "build time, 25M" "$secs" 900 s
target "build peak RSS, 25M" "$peak" 2048 MB
start_server "$work/big.db" "$work/big.log"
base="http://127.0.0.1:$port"
serving "$base" "$work/big.tsv"
by_size "$work/big.db" "$base" "$work/big.tsv"
awk -F'\t' '{ printf "  %-36s %10s requests/s  p50 %8s  p99 %8s  non-2xx %s\n", $1, $2, $3, $4, $5 }' "$work/big.tsv"
target "GET /api/movies/1 p99 during a build, 25M" "$(p99 "$work/big.tsv" "movie, during a build")" 20 ms
target "similar p99, 25M" "$(p99 "$work/big.tsv" similar)" 10 ms
target "recommendations p99, 25M, user 1" "$(p99 "$work/big.tsv" recommendations)" 10 ms
target "recommendations p99, 25M, users at random" "$(p99 "$work/big.tsv" "recommendations, users at random")" 10 ms
stop_server
