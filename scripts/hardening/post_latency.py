#!/usr/bin/env python3
"""Times POST /api/ratings, one request at a time on each of N keep-alive connections.

    post_latency.py PORT TOKEN MOVIE_IDS_FILE CONNECTIONS SECONDS

Unlike wrk, it keeps the latency of each status apart, so fast failures (a 500 in a millisecond)
cannot flatter the median. Prints `statuses ...` and one line `created N MEDIAN_MS P99_MS` (n/a
when nothing was created); ratings go to users above 1,000,000, as in rating_writes.lua.
"""

import http.client
import json
import random
import statistics
import sys
import threading
import time
from collections import Counter


def post_until(deadline, port, token, movie_ids, results):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    while time.monotonic() < deadline:
        body = json.dumps(
            {"user_id": 1_000_000 + random.randint(1, 1000), "movie_id": random.choice(movie_ids),
             "rating": random.randint(1, 10) / 2}
        )
        started = time.perf_counter()
        try:
            connection.request("POST", "/api/ratings", body, headers)
            response = connection.getresponse()
            response.read()
            status = str(response.status)
        except (OSError, http.client.HTTPException) as err:
            status = type(err).__name__
            connection.close()
        results.append((status, (time.perf_counter() - started) * 1000))


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main():
    port, token, ids_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    connections, seconds = int(sys.argv[4]), float(sys.argv[5])
    with open(ids_path) as lines:
        movie_ids = [int(line) for line in lines]
    results, deadline = [], time.monotonic() + seconds
    workers = [
        threading.Thread(target=post_until, args=(deadline, port, token, movie_ids, results))
        for _ in range(connections)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=seconds + 30)
    statuses = Counter(status for status, _ in results)
    print("statuses " + ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items())))
    created = [ms for status, ms in results if status == "201"]
    if created:
        print(f"created {len(created)} {statistics.median(created):.2f} {percentile(created, 0.99):.2f}")
    else:
        print("created 0 n/a n/a")


if __name__ == "__main__":
    main()
