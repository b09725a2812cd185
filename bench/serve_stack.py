#!/usr/bin/env python3
"""Why Starlette on uvicorn: `coach serve` beside the same service on the standard library's
ThreadingHTTPServer, measured with bench/serve.py's clients.

    python3 bench/serve_stack.py                    # latency and 20 clients x 15 s, each stack
    python3 bench/serve_stack.py --seconds 30 --requests 3000

Both run coach.serve.service.LintService (one analysis thread, same JSON); the stdlib
server has Nagle off too and no validation, auth or logging, so it is the cheapest
a hand-written server could be.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import serve as bench  # noqa: E402


def stdlib_server() -> None:
    """The standard-library stack (run in its own process)."""
    from coach.analyzer import Analyzer
    from coach.serve.service import LintService

    service = LintService(Analyzer()).start(background=False)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def reply(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802
            data = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            self.reply(service.submit([data["text"]]).result().encode("utf-8"))

        def do_GET(self) -> None:  # noqa: N802
            self.reply(json.dumps(service.health()).encode("utf-8"))

        def log_message(self, *args) -> None:
            pass

    ThreadingHTTPServer.request_queue_size = 128  # the default 5 resets connections under 20 clients
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"listening on http://127.0.0.1:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def launch_stdlib():
    proc = subprocess.Popen(
        [sys.executable, __file__, "--stdlib-server"],
        cwd=bench.REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    found = re.search(r"http://([\d.]+):(\d+)/", proc.stdout.readline())
    return proc, found.group(1), int(found.group(2))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stdlib-server", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=15)
    args = ap.parse_args()
    if args.stdlib_server:
        stdlib_server()
        return 0
    rows = []
    for name, launch in (
        ("Starlette + uvicorn (coach serve)", bench.start_server),
        ("http.server.ThreadingHTTPServer", launch_stdlib),
    ) * 2:
        print(f"\n# {name}")
        lat = bench.latency(args.requests, launch)
        load = bench.soak(args.clients, min(args.seconds, 300), launch)
        rows.append((name, lat, load))
    print(f"\n| stack | median ms | p99 ms | {args.clients} clients: req/s | errors | median ms | p99 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, lat, load in rows:
        print(
            f"| {name} | {lat['median']:.2f} | {lat['p99']:.2f} | {load['rate']:.0f} | {load['errors']} "
            f"| {load['median']:.1f} | {load['p99']:.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
