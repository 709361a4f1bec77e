#!/usr/bin/env python3
"""Holds many idle TCP connections open to a server, reopening those the server closes.

    idle_clients.py HOST PORT COUNT STATUS_FILE [MAX_SECONDS] [--partial]

Each connection sends nothing (with --partial: the first line of a request and one header, never
the blank line that ends the headers). The status file is rewritten twice a second with the number
held. SIGUSR1 starts the measured window; SIGTERM (or MAX_SECONDS, default 300) stops the run, and
a summary of the measured window is printed.
"""

import errno
import resource
import selectors
import signal
import socket
import sys
import time

CONNECT_TIMEOUT = 5.0
# Paced, so that a burst does not overflow the server's listen backlog: the kernel would then drop
# the handshake's last ACK, and the client would count a connection the server never has.
OPENS_PER_SECOND = 2000
PARTIAL_REQUEST = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"


def raise_file_limit(count):
    """Lifts the soft limit on open files as far as the hard limit allows; returns what fits."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = count + 100
    if soft != resource.RLIM_INFINITY and soft < wanted:
        soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return count if soft == resource.RLIM_INFINITY else min(count, soft - 100)


def main():
    host, port, count, status_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    numbers = [arg for arg in sys.argv[5:] if not arg.startswith("--")]
    max_seconds = float(numbers[0]) if numbers else 300.0
    partial = "--partial" in sys.argv
    count = raise_file_limit(count)

    state = {"measuring": False, "stop": False}
    signal.signal(signal.SIGUSR1, lambda *_: state.update(measuring=True))
    signal.signal(signal.SIGTERM, lambda *_: state.update(stop=True))

    selector = selectors.DefaultSelector()
    connecting, held = {}, set()
    totals = {"opened": 0, "closed_by_server": 0, "failed": 0}
    window = {"samples": [], "closed": 0, "failed": 0}
    started = time.monotonic()
    deadline = started + max_seconds
    next_sample, attempts = 0.0, 0

    def drop(sock, key):
        selector.unregister(sock)
        sock.close()
        totals[key] += 1
        if state["measuring"]:
            window["closed" if key == "closed_by_server" else "failed"] += 1

    while not state["stop"] and time.monotonic() < deadline:
        now = time.monotonic()
        allowed = int((now - started) * OPENS_PER_SECOND) - attempts
        for _ in range(max(0, min(allowed, count - len(held) - len(connecting)))):
            attempts += 1
            try:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            except OSError:
                totals["failed"] += 1
                break
            sock.setblocking(False)
            if sock.connect_ex((host, port)) not in (0, errno.EINPROGRESS):
                sock.close()
                totals["failed"] += 1
                continue
            connecting[sock] = now
            selector.register(sock, selectors.EVENT_WRITE)
        for key, _ in selector.select(timeout=0.05):
            sock = key.fileobj
            if sock in connecting:
                del connecting[sock]
                if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    drop(sock, "failed")
                    continue
                held.add(sock)
                totals["opened"] += 1
                selector.modify(sock, selectors.EVENT_READ)
                if partial:
                    try:
                        sock.send(PARTIAL_REQUEST)
                    except OSError:
                        pass
                continue
            try:
                data = sock.recv(4096)
            except OSError:
                data = b""
            if not data:  # closed by the server (a response before the close is read and dropped)
                held.discard(sock)
                drop(sock, "closed_by_server")
        for sock, started in list(connecting.items()):
            if now - started > CONNECT_TIMEOUT:
                del connecting[sock]
                drop(sock, "failed")
        if now >= next_sample:
            next_sample = now + 0.5
            if state["measuring"]:
                window["samples"].append(len(held))
            with open(status_path, "w") as status:
                status.write(f"{len(held)} {len(connecting)} {totals['closed_by_server']} {totals['failed']}\n")

    samples = window["samples"] or [len(held)]
    print(
        f"idle sockets: target {count}; held on average {sum(samples) / len(samples):.0f} "
        f"(min {min(samples)}, max {max(samples)}) while measured; closed by the server and reopened "
        f"then: {window['closed']}; failed connects then: {window['failed']}; in all: opened "
        f"{totals['opened']}, closed by the server {totals['closed_by_server']}, failed {totals['failed']}"
    )


if __name__ == "__main__":
    main()
