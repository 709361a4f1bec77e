"""Prints the JSON line of admin_writes.py (on stdin) as text."""
import json
import sys

report = json.loads(sys.stdin.read())
for op, figures in report["operations"].items():
    print(f"  {op:<14} {figures['count']:>7} requests, median {figures['median_ms']:.2f} ms, p99 {figures['p99_ms']:.2f} ms")
writes = report["writes"]
if writes["count"]:
    print(f"writes: {writes['count']} requests, median {writes['median_ms']:.2f} ms, p99 {writes['p99_ms']:.2f} ms, "
          f"errors {report['errors']}, \"database is locked\" {report['database_is_locked']}")
else:
    print(f"writes: none completed, errors {report['errors']}")
for error in report["first_errors"]:
    print("  error:", error)
