#!/usr/bin/env bash
# API contract checks against a built movielens binary, on the real ml-latest-small data:
#   a. schemathesis (all checks, fixed seed) against the committed openapi/openapi.json
#   b. a Python client generated from openapi/openapi.json, driven by pytest (test_client.py)
#   c. Swagger UI at /docs in headless Chromium, with one "Try it out" → "Execute" (swagger_ui.py)
#   d. the HTML pages in headless Chromium: sign in, the session page, the monitors, the admin, sign out (web_pages.py)
#
# Usage: bash .ci/contract/run.sh PATH/TO/movielens
# Env:   CONTRACT_VENV             venv for the pinned tools (default: ~/.cache/movielens-contract/venv-<hash>)
#        CONTRACT_SCHEMATHESIS_ARGS extra arguments appended to `schemathesis run`
# Exit:  0 when every step passed; 1 otherwise (every step runs regardless); 2 on bad usage/setup.
set -euo pipefail

if [ $# -lt 1 ] || [ ! -x "$1" ]; then
    echo "usage: $0 PATH/TO/movielens-binary" >&2
    exit 2
fi
BIN=$(realpath "$1")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
DATA=$(realpath -m "$REPO/../shared/movielens/ml-latest-small")
SPEC="$REPO/openapi/openapi.json"
TOKEN="contract-admin-token-$$-$RANDOM"
export PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1

heading() { printf '\n==================== %s ====================\n' "$*"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

for f in "$DATA/movies.csv" "$DATA/ratings.csv" "$SPEC"; do
    [ -f "$f" ] || { echo "missing $f" >&2; exit 2; }
done

# ---------------------------------------------------------------- setup
heading "setup: tools"
T0=$(now)
if [ ! -x /usr/bin/chromium ]; then
    echo "installing chromium (apt)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
fi
REQ_HASH=$( { cat "$HERE/requirements.txt"; python3 --version; } | sha256sum | cut -c1-12)
VENV=${CONTRACT_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/movielens-contract/venv-$REQ_HASH}
if [ ! -f "$VENV/.installed" ]; then
    echo "creating $VENV"
    rm -rf "$VENV"
    if ! python3 -m venv "$VENV" 2>/dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv python3-pip >/dev/null
        rm -rf "$VENV"
        python3 -m venv "$VENV"
    fi
    "$VENV/bin/pip" install -q -r "$HERE/requirements.txt"
    touch "$VENV/.installed"
fi
PY="$VENV/bin/python"
echo "venv: $VENV"
"$VENV/bin/pip" list 2>/dev/null | grep -iE '^(schemathesis|hypothesis|openapi-python-client|pytest|playwright|httpx|attrs) ' | sed 's/^/  /'
/usr/bin/chromium --version 2>/dev/null | sed 's/^/  /'
echo "setup took $(elapsed "$T0")s"

# ---------------------------------------------------------------- data and server
WORK=$(mktemp -d "${TMPDIR:-/tmp}/movielens-contract.XXXXXX")
SERVER_PID=""
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID"
        local rc=0
        wait "$SERVER_PID" || rc=$?
        echo "server (pid $SERVER_PID) stopped with SIGTERM, exit code $rc"
    fi
    SERVER_PID=""
}
cleanup() {
    stop_server
    rm -f "$WORK"/*.db "$WORK"/*.db-wal "$WORK"/*.db-shm
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"

start_server() { # $1: database file, $2: log file
    MOVIELENS_ADMIN_TOKEN="$TOKEN" "$BIN" --db "$1" serve --bind "127.0.0.1:$PORT" >"$2" 2>&1 &
    SERVER_PID=$!
    if ! "$PY" - "$BASE/api/health" "$SERVER_PID" <<'EOF'
import os, sys, time, urllib.request
url, pid = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("server exited before it was ready")
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            if r.status == 200:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.2)
sys.exit("server not ready after 60 s")
EOF
    then
        tail -n 30 "$2" >&2
        exit 2
    fi
    echo "server pid $SERVER_PID ready at $BASE (db $1, log $2)"
}

heading "setup: import ml-latest-small and start the server"
T0=$(now)
echo "work dir: $WORK"
"$BIN" --db "$WORK/pristine.db" import "$DATA" >"$WORK/import.log" 2>&1 || { cat "$WORK/import.log" >&2; exit 2; }
tail -n 3 "$WORK/import.log"
# The recommendation model, so that its endpoints answer from it: before a build they answer 503
# (a 5xx, which the fuzzer fails by design); the Rust tests cover that answer.
"$BIN" --db "$WORK/pristine.db" recommend build --evaluate false >"$WORK/recommend.log" 2>&1 || { cat "$WORK/recommend.log" >&2; exit 2; }
tail -n 2 "$WORK/recommend.log"
cp "$WORK/pristine.db" "$WORK/fuzz.db"
start_server "$WORK/fuzz.db" "$WORK/server-schemathesis.log"
echo "took $(elapsed "$T0")s"

declare -A RESULT TIME
STEPS=(schemathesis client swagger-ui web-pages)

# ---------------------------------------------------------------- a. schemathesis
heading "a. schemathesis $("$VENV/bin/schemathesis" --version 2>/dev/null | awk '{print $NF}') against openapi/openapi.json"
T0=$(now)
COLOR=--no-color; [ -t 1 ] && COLOR=
# shellcheck disable=SC2086
if (cd "$WORK" && timeout 600 "$VENV/bin/schemathesis" --config-file "$HERE/schemathesis.toml" $COLOR run "$SPEC" \
        --url "$BASE" \
        --checks all \
        --seed 20240601 \
        --continue-on-failure \
        --workers 2 \
        --generation-database none \
        --header "Authorization: Bearer $TOKEN" \
        --request-timeout 30 \
        --report junit,ndjson --report-dir "$WORK/schemathesis" \
        ${CONTRACT_SCHEMATHESIS_ARGS:-}); then
    RESULT[schemathesis]=PASS
else
    RESULT[schemathesis]=FAIL
fi
if grep -q 'panicked' "$WORK/server-schemathesis.log"; then
    echo "server log has a panic:" >&2
    grep -n -A3 'panicked' "$WORK/server-schemathesis.log" | head -n 20 >&2
    RESULT[schemathesis]=FAIL
fi
TIME[schemathesis]=$(elapsed "$T0")

# Schemathesis created and deleted ratings (also on movie 1); restart on untouched data
# so the client and UI steps see the real figures.
heading "restart the server on the freshly imported data"
stop_server
cp "$WORK/pristine.db" "$WORK/clean.db"
start_server "$WORK/clean.db" "$WORK/server-client.log"

# ---------------------------------------------------------------- b. generated client
heading "b. generated Python client (openapi-python-client) + pytest"
T0=$(now)
rc=0
{
    (cd "$WORK" && "$VENV/bin/openapi-python-client" generate --path "$SPEC" \
        --config "$HERE/openapi-python-client.yaml" --meta setup --output-path "$WORK/client" --overwrite) &&
        "$VENV/bin/pip" install -q --no-deps --no-build-isolation --target "$WORK/client-site" "$WORK/client"
} || rc=$?
if [ "$rc" -eq 0 ]; then
    (cd "$HERE" && MOVIELENS_BASE_URL="$BASE" MOVIELENS_ADMIN_TOKEN="$TOKEN" PYTHONPATH="$WORK/client-site" \
        "$PY" -m pytest -p no:cacheprovider -v -rA --rootdir "$HERE" --junitxml "$WORK/pytest-client.xml" \
        "$HERE/test_client.py") || rc=$?
    # pytest: 5 means no test ran, which is a failure here as well.
    [ "$rc" -eq 5 ] && echo "pytest collected no tests" >&2
else
    echo "client generation/installation failed (exit $rc)" >&2
fi
RESULT[client]=$([ "$rc" -eq 0 ] && echo PASS || echo FAIL)
TIME[client]=$(elapsed "$T0")

# ---------------------------------------------------------------- c. Swagger UI
heading "c. Swagger UI in headless Chromium (Playwright)"
T0=$(now)
if (cd "$WORK" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 "$PY" "$HERE/swagger_ui.py" "$BASE" "$WORK/screenshots" "$SPEC"); then
    RESULT[swagger-ui]=PASS
else
    RESULT[swagger-ui]=FAIL
fi
TIME[swagger-ui]=$(elapsed "$T0")

# ---------------------------------------------------------------- d. web pages
heading "d. web pages in headless Chromium (Playwright)"
T0=$(now)
if (cd "$WORK" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 "$PY" "$HERE/web_pages.py" "$BASE" "$WORK/screenshots" "$TOKEN"); then
    RESULT[web-pages]=PASS
else
    RESULT[web-pages]=FAIL
fi
TIME[web-pages]=$(elapsed "$T0")

# ---------------------------------------------------------------- stop and summary
heading "stop the server"
stop_server

heading "summary"
passed=0 failed=0
for s in "${STEPS[@]}"; do
    printf '  %-14s %-4s %6ss\n' "$s" "${RESULT[$s]}" "${TIME[$s]}"
    if [ "${RESULT[$s]}" = PASS ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "  reports, logs and screenshots: $WORK"
echo "contract: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
