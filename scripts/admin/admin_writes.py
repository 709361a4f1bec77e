"""Admin writes through the API for a fixed time, from N connections, timing each request.

    admin_writes.py BASE_URL TOKEN SECONDS CONNECTIONS MOVIE_IDS_FILE

Each connection loops: POST a rating, PATCH it, POST a tag, PATCH its text, PATCH a movie's title
(and back), DELETE the tag, DELETE the rating. Prints one JSON line: per-operation and overall
counts, median and p99 in ms, the errors (non-2xx) and how many said "database is locked".
"""
import http.client
import json
import random
import sys
import threading
import time
from urllib.parse import urlparse

base, token, seconds, connections, ids_file = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
movie_ids = [int(line) for line in open(ids_file) if line.strip()]
address = urlparse(base)
headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
lock = threading.Lock()
timings, errors, locked = {}, [], [0]


def worker(seed):
    rng = random.Random(seed)
    conn = http.client.HTTPConnection(address.hostname, address.port, timeout=30)

    def call(op, method, path, body=None):
        started = time.perf_counter()
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            timings.setdefault(op, []).append(elapsed)
            if response.status >= 300:
                errors.append(f"{op} {response.status} {text[:200]}")
            if "database is locked" in text:
                locked[0] += 1
        return json.loads(text) if text and response.status < 300 else None

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        movie = rng.choice(movie_ids)
        user = 900_000 + seed
        rating = call("rating.create", "POST", "/api/ratings", {"user_id": user, "movie_id": movie, "rating": rng.choice([1.0, 2.5, 4.0, 5.0])})
        if rating:
            call("rating.update", "PATCH", f"/api/ratings/{rating['id']}", {"rating": 3.5})
        tag = call("tag.create", "POST", "/api/tags", {"user_id": user, "movie_id": movie, "tag": f"bench {seed}"})
        if tag:
            call("tag.update", "PATCH", f"/api/tags/{tag['id']}", {"tag": f"bench {seed} edited"})
        current = call("movie.read", "GET", f"/api/movies/{movie}")
        if current:
            call("movie.update", "PATCH", f"/api/movies/{movie}", {"title": current["title"] + " [edited]"})
            call("movie.update", "PATCH", f"/api/movies/{movie}", {"title": current["title"]})
        if tag:
            call("tag.delete", "DELETE", f"/api/tags/{tag['id']}")
        if rating:
            call("rating.delete", "DELETE", f"/api/ratings/{rating['id']}")


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else None


threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
writes = [t for op, values in timings.items() if op != "movie.read" for t in values]
report = {
    "operations": {op: {"count": len(v), "median_ms": percentile(v, 0.5), "p99_ms": percentile(v, 0.99)} for op, v in sorted(timings.items())},
    "writes": {"count": len(writes), "median_ms": percentile(writes, 0.5), "p99_ms": percentile(writes, 0.99)},
    "errors": len(errors),
    "database_is_locked": locked[0],
    "first_errors": errors[:5],
}
print(json.dumps(report))
