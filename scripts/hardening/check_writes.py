#!/usr/bin/env python3
"""Compares the rating writes a benchmark saw acknowledged with the rows in the database.

    check_writes.py DB REPORT

REPORT is what rating_writes.lua's done() wrote, one `KIND TAG` a line: `created` and `deleted`
(acknowledged with 201 and 204), `creating` and `deleting` (sent, unanswered when wrk stopped, so
either outcome is right), and `status CODE COUNT`. A tag is the unique `timestamp` each create sent;
the benchmark's rows are those of users above 1,000,000. Prints figures and a target line.
"""

import sqlite3
import sys
from collections import Counter


def read_report(path):
    tags = {"created": set(), "deleted": set(), "creating": set(), "deleting": set()}
    statuses = Counter()
    with open(path) as lines:
        for line in lines:
            kind, *values = line.split()
            if kind == "status":
                statuses[values[0]] += int(values[1])
            else:
                tags[kind].add(int(values[0]))
    return tags, statuses


def main():
    db, report = sys.argv[1], sys.argv[2]
    try:
        tags, statuses = read_report(report)
    except OSError as err:
        print(f"accounting: no report from wrk ({err})")
        print(f"target  {'acknowledged writes accounted for':42s} {'no report':16s} MISSED")
        return
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = {row[0] for row in connection.execute("SELECT timestamp FROM ratings WHERE user_id > 1000000")}
    connection.close()

    created, deleted, creating, deleting = tags["created"], tags["deleted"], tags["creating"], tags["deleting"]
    expected = created - deleted
    lost = expected - deleting - rows
    resurrected = deleted & rows
    unexplained = rows - created - creating
    by_status = ", ".join(f"{code}: {count}" for code, count in sorted(statuses.items()))
    print(f"write statuses: {by_status or 'none'}")
    print(
        f"accounting: {len(created)} creates acknowledged (201), {len(deleted)} deletes acknowledged (204), "
        f"{len(expected)} rows expected, {len(rows)} found; unanswered at the stop: {len(creating)} creates, "
        f"{len(deleting)} deletes"
    )
    print(
        f"accounting: acknowledged creates missing: {len(lost)}; acknowledged deletes still present: "
        f"{len(resurrected)}; rows from unanswered creates: {len(rows & creating)}; rows nobody sent: "
        f"{len(unexplained)}"
    )
    wrong = len(lost) + len(resurrected) + len(unexplained)
    print(f"target  {'acknowledged writes accounted for':42s} {f'{wrong} wrong':16s} {'MISSED' if wrong else 'met'}")


if __name__ == "__main__":
    main()
