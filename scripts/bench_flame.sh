#!/usr/bin/env bash
# Flamegraph benchmarks: what the span layer costs when nobody captures, and during a capture.
#
#   scripts/bench_flame.sh [--rounds N] [--seconds N]
#
# Two servers on one database, both without the per-view cache (so every request runs units of
# work, the most spans a request opens) and without workers or scheduler (no background spans):
#   absent    started with --span-layer false: the layer is not installed at all;
#   installed the default: the layer is installed, and off.
# In each round, wrk -t2 -c16 measures both on the movie list and on /api/health (which opens only
# the request span), one after the other, and then `installed` during a 10 s capture
# (GET /api/profiling/flamegraph?seconds=10): wrk starts half a second into the window and runs 8 s.
# The medians over the rounds are printed with each line as a share of `absent` on the same
# endpoint in the same round. Needs wrk, curl, python3 and a release build. Loopback only.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/bench_lib.sh"
binary=$root/target/release/movielens
rounds=3
seconds=5
while [ $# -gt 0 ]; do
    case $1 in
        --rounds) rounds=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        *) echo "usage: $0 [--rounds N] [--seconds N]" >&2; exit 2 ;;
    esac
done
[ -x "$binary" ] || { echo "build first: cargo build --release" >&2; exit 1; }
command -v wrk >/dev/null || { echo "install wrk: apt-get install wrk" >&2; exit 1; }

work=$(mktemp -d -t movielens-flame.XXXXXX)
token=bench-flame-token
servers=()
cleanup() {
    for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

flags=(--admin-token "$token" --cache-pages false --no-worker --no-scheduler)
start_server "$work/movielens.db" "$work/absent.log" "${flags[@]}" --span-layer false
absent_port=$port; servers+=("$server")
start_server "$work/movielens.db" "$work/installed.log" "${flags[@]}"
installed_port=$port; servers+=("$server")

list="/api/movies?page_size=20&sort=-year"
results=$work/results.tsv
for round in $(seq "$rounds"); do
    echo "round $round of $rounds (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    for path in "$list" /api/health; do
        name=$([ "$path" = /api/health ] && echo health || echo list)
        measure "$name absent" "http://127.0.0.1:$absent_port$path" "$seconds" >>"$results"
        measure "$name installed, no capture" "http://127.0.0.1:$installed_port$path" "$seconds" >>"$results"
    done
    # A 10 s capture of the list under load; its SVG is kept to show what it drew.
    curl -sf -H "Authorization: Bearer $token" -o "$work/capture-$round.svg" \
        "http://127.0.0.1:$installed_port/api/profiling/flamegraph?seconds=10" &
    capture=$!
    sleep 0.5
    wrk -t2 -c16 -d8s --latency "http://127.0.0.1:$installed_port$list" | awk -v label="list during a capture" '
        /Requests\/sec/ { rps = $2 } /^ +99%/ { p99 = $2 } /^ +50%/ { p50 = $2 } /Non-2xx/ { errors = $NF }
        END { printf "%s\t%s\t%s\t%s\t%s\n", label, rps, p50, p99, (errors == "" ? 0 : errors) }' >>"$results"
    wait "$capture"
    echo "  capture $round: $(wc -c <"$work/capture-$round.svg") bytes of SVG, $(grep -o '<g>' "$work/capture-$round.svg" | wc -l) frames" >&2
done

# Each line against `absent` on its endpoint, in its round.
awk -F'\t' '{ split($1, words, " "); endpoint = words[1]; if ($1 ~ /absent$/) base[endpoint, ++n[endpoint]] = $2 }
    { round[$1]++; printf "%s\t%s\t%s\t%s\t%s\t%.1f\n", $1, $2, $3, $4, $5, 100 * $2 / base[endpoint, round[$1]] }' "$results" |
awk -F'\t' -v rounds="$rounds" '
    function ms(value) { return value ~ /ms$/ ? value + 0 : value ~ /us$/ ? value / 1000 : value * 1000 }
    function median(list,    values, n, i, j, swap) {
        n = split(list, values, " ")
        for (i = 2; i <= n; i++) for (j = i; j > 1 && values[j - 1] + 0 > values[j] + 0; j--) {
            swap = values[j]; values[j] = values[j - 1]; values[j - 1] = swap
        }
        return n % 2 ? values[(n + 1) / 2] : (values[n / 2] + values[n / 2 + 1]) / 2
    }
    { if (!($1 in rps)) order[++count] = $1; rps[$1] = rps[$1] " " $2; p99[$1] = p99[$1] " " ms($4); share[$1] = share[$1] " " $6; errors[$1] += $5 }
    END {
        printf "%-32s %12s %10s %12s %8s   (medians of %d rounds)\n", "server", "requests/s", "p99 ms", "of absent", "non-2xx", rounds
        for (i = 1; i <= count; i++) { label = order[i]
            printf "%-32s %12.0f %10.2f %11.1f%% %8d\n", label, median(rps[label]), median(p99[label]), median(share[label]), errors[label] }
    }'
