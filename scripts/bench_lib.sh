# Shared by the benchmark scripts: source it, then call `measure` and `summarise`.
#
#   measure LABEL URL SECONDS   prints LABEL, requests/s, p50, p99 and non-2xx, tab-separated
#   summarise ROUNDS BASELINE   reads those lines and prints each label's medians over the rounds,
#                               with its throughput as a share of BASELINE's in the same round

measure() {
    local label=$1 url=$2 seconds=$3
    # Warm up (the page cache, prepared statements), then measure.
    wrk -t2 -c16 -d2s "$url" >/dev/null
    wrk -t2 -c16 -d"${seconds}s" --latency "$url" | awk -v label="$label" '
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
