# Shared by the benchmark scripts: source it, then call `measure` and `summarise`.
#
#   measure LABEL URL SECONDS   prints LABEL, requests/s, p50, p99 and non-2xx, tab-separated
#   summarise ROUNDS BASELINE   reads those lines and prints each label's medians over the rounds,
#                               with its throughput as a share of BASELINE's in the same round
#   free_port                   prints a free TCP port on loopback
#   start_server DB LOG [FLAGS] starts "$binary serve" on DB (plus serve FLAGS) on a free port,
#                               waits for /api/health; sets $server (its pid) and $port
#   stop_server                 SIGTERM, up to 20 s for the graceful shutdown, then SIGKILL

measure() { # LABEL URL SECONDS [WRK_LUA_SCRIPT]
    local label=$1 url=$2 seconds=$3 script=(${4:+-s "$4"})
    # Warm up (the page cache, prepared statements), then measure.
    wrk -t2 -c16 -d2s "${script[@]}" "$url" >/dev/null
    wrk -t2 -c16 -d"${seconds}s" --latency "${script[@]}" "$url" | awk -v label="$label" '
        /Requests\/sec/ { rps = $2 }
        /^ +99%/ { p99 = $2 }
        /^ +50%/ { p50 = $2 }
        /Non-2xx/ { errors = $NF }
        END { printf "%s\t%s\t%s\t%s\t%s\n", label, rps, p50, p99, (errors == "" ? 0 : errors) }'
}

summarise() {
    awk -F'\t' -v rounds="$1" -v baseline="$2" '
    function ms(value) { return value ~ /ms$/ ? value + 0 : value ~ /us$/ ? value / 1000 : value * 1000 }
    function median(list,    values, n, i, j, swap) {
        n = split(list, values, " ")
        for (i = 2; i <= n; i++) for (j = i; j > 1 && values[j - 1] + 0 > values[j] + 0; j--) {
            swap = values[j]; values[j] = values[j - 1]; values[j - 1] = swap
        }
        return n % 2 ? values[(n + 1) / 2] : (values[n / 2] + values[n / 2 + 1]) / 2
    }
    $1 == baseline { base = $2 }
    { order[$1] = order[$1] ? order[$1] : ++count; rps[$1] = rps[$1] " " $2; p99[$1] = p99[$1] " " ms($4);
      ratio[$1] = ratio[$1] " " 100 * $2 / base; errors[$1] += $5 }
    END {
        printf "%-40s %12s %10s %10s %8s   (medians of %d rounds)\n", "endpoint", "requests/s", "p99 ms", "of " baseline, "non-2xx", rounds
        for (label in order) byorder[order[label]] = label
        for (i = 1; i <= count; i++) { label = byorder[i]
            printf "%-40s %12.0f %10.2f %9.1f%% %8d\n", label, median(rps[label]), median(p99[label]), median(ratio[label]), errors[label] }
    }'
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_server() {
    local db=$1 log=$2
    shift 2
    port=$(free_port)
    RUST_LOG=warn "$binary" --db "$db" serve --bind "127.0.0.1:$port" "$@" >"$log" 2>&1 &
    server=$!
    for _ in $(seq 1200); do
        curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && return 0
        kill -0 "$server" 2>/dev/null || break
        sleep 0.1
    done
    echo "the server did not start; its log:" >&2
    tail -20 "$log" >&2
    return 1
}

stop_server() {
    kill "$server" 2>/dev/null || true
    for _ in $(seq 200); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=
}
