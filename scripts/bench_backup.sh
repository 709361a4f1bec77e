#!/usr/bin/env bash
# Backup under read load, on a copy of a given database (the original is only read, by cp).
#
#   BENCH_DB=/work/bench-25m.db scripts/bench_backup.sh [--seconds N]
#
# 1. before: wrk -t2 -c16 for N seconds (default 10) on GET /api/movies/1 and /api/movies?search=
#    against a server on the copy: the read p99 at rest.
# 2. during: the same reads, started before `movielens backup` runs beside the server on the copy
#    and stopped (SIGINT, wrk then reports) when it has finished: the backup's time and the read
#    p99 meanwhile.
# 3. the backup passes PRAGMA integrity_check (python3's sqlite3).
#
# Needs wrk, python3 and a build (`cargo build --release`; MOVIELENS_BIN picks another binary).
# The copy lives in a temp folder (BENCH_TMP, default /tmp) and is deleted at the end. Loopback only.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/bench_lib.sh"
binary=${MOVIELENS_BIN:-$root/target/release/movielens}
seconds=${BENCH_SECONDS:-10}
while [ $# -gt 0 ]; do
    case $1 in
        --seconds) seconds=$2; shift 2 ;;
        *) echo "usage: BENCH_DB=FILE $0 [--seconds N]" >&2; exit 2 ;;
    esac
done
[ -n "${BENCH_DB:-}" ] && [ -f "$BENCH_DB" ] || { echo "set BENCH_DB to a movielens database file" >&2; exit 1; }
[ -x "$binary" ] || { echo "build first: cargo build --release (or set MOVIELENS_BIN)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "install wrk: apt-get install wrk" >&2; exit 1; }

work=$(mktemp -d "${BENCH_TMP:-/tmp}/movielens-backup.XXXXXX")
server=
reads=
cleanup() {
    [ -z "$reads" ] || kill "$reads" 2>/dev/null || true
    [ -z "$server" ] || kill "$server" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The file and its log, as they are: nothing writes to the original.
cp "$BENCH_DB" "$work/live.db"
[ ! -f "$BENCH_DB-wal" ] || cp "$BENCH_DB-wal" "$work/live.db-wal"
echo "database: $BENCH_DB ($(du -h "$work/live.db" | cut -f1) copied), load $(cut -d' ' -f1-3 /proc/loadavg)"

export MOVIELENS_ADMIN_TOKEN=bench-backup-token
start_server "$work/live.db" "$work/server.log" --no-inspector
base=http://127.0.0.1:$port
p99_of() { awk '/^ +99%/ { print $2 }' "$1"; }

wrk -t2 -c16 -d2s "$base/api/movies/1" >/dev/null
wrk -t2 -c16 -d"${seconds}s" --latency "$base/api/movies?search=the" >"$work/before.txt"
echo "reads before: p99 $(p99_of "$work/before.txt"), $(awk '/Requests\/sec/ { print $2 }' "$work/before.txt") requests/s"

# Reads for far longer than the backup takes; SIGINT makes wrk stop and print its figures.
wrk -t2 -c16 -d3600s --latency "$base/api/movies?search=the" >"$work/during.txt" &
reads=$!
sleep 1
started=$(date +%s.%N)
"$binary" --db "$work/live.db" backup "$work/backup.db"
ended=$(date +%s.%N)
kill -INT "$reads"
wait "$reads" || true
reads=
echo "backup: $(awk -v a="$started" -v b="$ended" 'BEGIN { printf "%.2f", b - a }') s, $(du -h "$work/backup.db" | cut -f1)"
echo "reads during the backup: p99 $(p99_of "$work/during.txt"), $(awk '/Requests\/sec/ { print $2 }' "$work/during.txt") requests/s, non-2xx $(awk '/Non-2xx/ { n = $NF } END { print n + 0 }' "$work/during.txt")"
stop_server
python3 - "$work/backup.db" <<'EOF'
import sqlite3, sys
check = sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0]
print("integrity_check of the backup:", check)
sys.exit(0 if check == "ok" else 1)
EOF
