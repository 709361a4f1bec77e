#!/usr/bin/env python3
"""Benchmarks for the foundation: import speed and memory, generation, and start-up time.

Prints figures; asserts nothing. Run from the repository root after `cargo build --release`:

    python3 scripts/bench_foundation.py [--skip-25m] [--runs N]

The real ml-latest-small is read from ../shared/movielens/ml-latest-small (or $MOVIELENS_SMALL).
The ml-25m-shaped set is generated into a temp folder (about 0.7 GB) and deleted afterwards.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BINARY = ROOT / "target" / "release" / "movielens"
SMALL = Path(os.environ.get("MOVIELENS_SMALL", ROOT.parent / "shared" / "movielens" / "ml-latest-small"))
ML_25M_SHAPE = ["--movies", "62423", "--users", "162541", "--ratings", "25000095", "--tags", "1093360"]


def run(args, **kwargs):
    """Runs the binary to completion; returns (wall seconds, peak RSS in MB, stdout)."""
    started = time.perf_counter()
    process = subprocess.Popen([str(BINARY), *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, **kwargs)
    stdout = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"movielens {' '.join(args)} failed with {process.returncode}")
    return wall, usage.ru_maxrss / 1024, stdout.decode()


def rows_per_second(summary):
    line = next(line for line in summary.splitlines() if line.strip().startswith("total"))
    return line.split(",")[1].strip()


def time_to_first_health(db, port):
    """Starts `serve`, polls /api/health, returns seconds to the first 200, then stops the server."""
    url = f"http://127.0.0.1:{port}/api/health"
    started = time.perf_counter()
    server = subprocess.Popen(
        [str(BINARY), "--db", str(db), "serve", "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except OSError:
                if server.poll() is not None:
                    raise SystemExit("the server exited before answering")
                time.sleep(0.002)
    finally:
        server.terminate()
        server.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-25m", action="store_true", help="skip the 25M-rating generate and import")
    parser.add_argument("--runs", type=int, default=5, help="repetitions of the quick measurements")
    options = parser.parse_args()
    if not BINARY.exists():
        raise SystemExit("build first: cargo build --release")

    print(f"machine: {os.cpu_count()} cores; {BINARY.name} at {BINARY}")
    work = Path(tempfile.mkdtemp(prefix="movielens-bench-"))
    try:
        print(f"\n== import ml-latest-small ({SMALL}), {options.runs} runs")
        walls, rss = [], []
        for attempt in range(options.runs):
            db = work / f"small-{attempt}.db"
            wall, peak, summary = run(["--db", str(db), "import", str(SMALL)])
            walls.append(wall)
            rss.append(peak)
        print(f"wall: median {statistics.median(walls):.3f} s, min {min(walls):.3f} s, max {max(walls):.3f} s")
        print(f"peak RSS: {max(rss):.1f} MB; last run {rows_per_second(summary)}")

        print(f"\n== first start on an empty database (demo data), {options.runs} runs")
        first = [time_to_first_health(work / f"start-{attempt}.db", 18_400 + attempt) for attempt in range(options.runs)]
        print(f"to first 200 from /api/health: median {statistics.median(first) * 1000:.0f} ms, max {max(first) * 1000:.0f} ms")
        again = [time_to_first_health(work / "start-0.db", 18_400) for _ in range(options.runs)]
        print(f"restart on that database: median {statistics.median(again) * 1000:.0f} ms, max {max(again) * 1000:.0f} ms")

        if not options.skip_25m:
            print("\n== ml-25m shape: " + " ".join(ML_25M_SHAPE))
            data = work / "ml-25m-shaped"
            wall, peak, _ = run(["generate", "--out", str(data), *ML_25M_SHAPE])
            size = sum(path.stat().st_size for path in data.iterdir()) / 1e6
            print(f"generate: {wall:.1f} s, peak RSS {peak:.0f} MB, {size:.0f} MB of CSV")
            wall, peak, summary = run(["--db", str(work / "big.db"), "import", str(data)])
            print(f"import: {wall:.1f} s wall, peak RSS {peak:.0f} MB, {rows_per_second(summary)}")
            print(f"database file: {(work / 'big.db').stat().st_size / 1e6:.0f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
