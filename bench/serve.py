#!/usr/bin/env python3
"""`coach serve` targets (issue 12), measured by clients in this process against a server in another.

    python3 bench/serve.py                       # start-up, warm latency, 20 clients for 30 s
    python3 bench/serve.py --only latency --requests 5000
    python3 bench/serve.py --only soak --clients 20 --seconds 30

* start-up: from launching `coach serve --port 0` to the first answered POST /v1/lint (the
  client retries every 2 ms), beside `coach lint --file DRAFT --format json` one-shot, in
  interleaved rounds; also when the whole phrasebook's matchers are ready (/v1/health).
* latency: one keep-alive connection, POST /v1/lint of the 60-word draft, after warm-up;
  median, p90, p99 and max of the client-measured round trip.
* soak: N client threads, each on its own keep-alive connection, POST drafts with a new
  order number, e-mail and name every time (new word types: the memory zones' job) for S
  seconds; errors, requests/s, latency under load, and the server's memory (USS of it and its
  workers, and the largest RSS) sampled every 0.5 s.

Loopback only; every loop is bounded in count and time. A reference loop is timed before
and after, as in bench/run.py: on a shared VM it says how fast the machine was.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
from run import reference_loop  # noqa: E402

DRAFT = (BENCH / "draft-60-words.txt").read_text(encoding="utf-8").strip()
NAMES = ["Dana", "Priya", "Tomasz", "Aoife", "Kwame", "Mei", "Luis", "Ingrid", "Yusuf", "Zofia"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def start_server(*extra: str) -> tuple[subprocess.Popen, str, int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "coach", "serve", "--port", "0", *extra],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = proc.stdout.readline()
    found = re.search(r"http://([\d.]+):(\d+)/", line)
    if not found:
        proc.kill()
        raise SystemExit(f"coach serve printed no URL: {line!r}")
    return proc, found.group(1), int(found.group(2))


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def post(conn: http.client.HTTPConnection, text: str) -> tuple[int, bytes]:
    conn.request("POST", "/v1/lint", json.dumps({"text": text}), {"Content-Type": "application/json"})
    resp = conn.getresponse()
    return resp.status, resp.read()


def health(host: str, port: int) -> dict:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("GET", "/v1/health")
    body = json.loads(conn.getresponse().read())
    conn.close()
    return body


def wait_full(host: str, port: int, limit: float = 60) -> float:
    start = time.perf_counter()
    while health(host, port)["matchers"] != "full":
        if time.perf_counter() - start > limit:
            raise SystemExit("the matchers never finished building")
        time.sleep(0.01)
    return time.perf_counter() - start


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree(pid: int) -> list[int]:
    """The process and its descendants (--workers forks)."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += tree(int(child))
    return found


def memory_kb(pid: int) -> tuple[int, int]:
    """(USS, RSS) of the process tree, in kB: USS counts only pages no other process shares (what
    the server itself allocated; PSS would move as unrelated processes mapping the same libraries
    come and go), RSS the largest process's resident pages."""
    uss = rss = 0
    for p in tree(pid):
        try:
            fields = dict(line.split(":", 1) for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines()[1:])
        except OSError:
            continue
        kb = {k: int(v.split()[0]) for k, v in fields.items()}
        uss += kb.get("Private_Clean", 0) + kb.get("Private_Dirty", 0)
        rss = max(rss, kb.get("Rss", 0))
    return uss, rss


# -- start-up ------------------------------------------------------------------------------
def startup(runs: int) -> None:
    draft = str(BENCH / "draft-60-words.txt")
    lint_cmd = [sys.executable, "-m", "coach", "lint", "--file", draft, "--format", "json"]
    subprocess.run(lint_cmd, cwd=REPO, stdout=subprocess.DEVNULL, check=False)  # warm the on-disk cache
    lint_s, url_s, first_s, full_s = [], [], [], []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(lint_cmd, cwd=REPO, stdout=subprocess.DEVNULL, check=False)
        lint_s.append(time.perf_counter() - t)

        t = time.perf_counter()
        proc, host, port = start_server()
        url_s.append(time.perf_counter() - t)
        deadline = t + 60
        while True:
            try:
                conn = http.client.HTTPConnection(host, port, timeout=60)
                status, _ = post(conn, DRAFT)
                conn.close()
                if status == 200:
                    break
            except OSError:
                pass
            if time.perf_counter() > deadline:
                raise SystemExit("coach serve never answered")
            time.sleep(0.002)
        first_s.append(time.perf_counter() - t)
        wait_full(host, port)
        full_s.append(time.perf_counter() - t)
        stop(proc)
    print(f"\n## start-up ({runs} interleaved rounds)\n")
    print("| what | median s | min s | max s |\n|---|---:|---:|---:|")
    for name, values in (
        ("coach lint --format json, one-shot", lint_s),
        ("coach serve: launch to URL printed (listening, loaded)", url_s),
        ("coach serve: launch to first /v1/lint answer", first_s),
        ("coach serve: launch to whole-phrasebook matchers", full_s),
    ):
        print(f"| {name} | {statistics.median(values):.3f} | {min(values):.3f} | {max(values):.3f} |")
    print(
        f"\nURL printed / one-shot: {statistics.median(url_s) / statistics.median(lint_s):.2f}x; first answer / "
        f"one-shot: {statistics.median(first_s) / statistics.median(lint_s):.2f}x (target <= 1.0x)"
    )


# -- warm latency ------------------------------------------------------------------------------
def latency(requests: int, launch) -> dict:
    """`launch()` starts a server and returns (process, host, port)."""
    proc, host, port = launch()
    try:
        wait_full(host, port)
        conn = http.client.HTTPConnection(host, port, timeout=30)
        for _ in range(200):  # warm-up: caches, allocator, branch predictors
            post(conn, DRAFT)
        times = []
        cpu_before = cpu_seconds(proc.pid)
        for _ in range(requests):
            t = time.perf_counter()
            status, _ = post(conn, DRAFT)
            times.append((time.perf_counter() - t) * 1000)
            assert status == 200
        server_cpu = (cpu_seconds(proc.pid) - cpu_before) / requests * 1000
        conn.close()
    finally:
        stop(proc)
    words = len(DRAFT.split())
    print(f"\n## warm latency: {requests} sequential POST /v1/lint, {words}-word draft, one keep-alive connection\n")
    print("| median ms | p90 ms | p99 ms | max ms |\n|---:|---:|---:|---:|")
    print(
        f"| {statistics.median(times):.2f} | {percentile(times, 0.9):.2f} | {percentile(times, 0.99):.2f} "
        f"| {max(times):.2f} |"
    )
    print(f"\nserver CPU per request (mean, from /proc): {server_cpu:.2f} ms; targets: median < 5 ms, p99 < 20 ms")
    return {"median": statistics.median(times), "p99": percentile(times, 0.99)}


# -- concurrent clients ------------------------------------------------------------------------
def soak(clients: int, seconds: float, launch) -> dict:
    proc, host, port = launch()
    results: list[list[float]] = [[] for _ in range(clients)]
    errors: list[str] = []
    samples: list[tuple[float, int]] = []
    stop_at = threading.Event()

    def client(i: int) -> None:
        rng = random.Random(i)
        conn = http.client.HTTPConnection(host, port, timeout=30)
        while not stop_at.is_set():
            order = rng.randrange(10**7, 10**8)
            name = rng.choice(NAMES)
            text = f"{DRAFT} {name}, your order {order} ships soon; write to {name.lower()}.{order}@example.com if not."
            t = time.perf_counter()
            try:
                status, body = post(conn, text)
                if status != 200 or not json.loads(body)["results"][0]["findings"]:
                    errors.append(f"status {status}")
            except Exception as exc:  # counted, and the connection is made again
                errors.append(type(exc).__name__)
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
                continue
            results[i].append((time.perf_counter() - t) * 1000)
        conn.close()

    try:
        wait_full(host, port)
        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        began = time.perf_counter()
        for t in threads:
            t.start()
        while time.perf_counter() - began < seconds:
            samples.append((time.perf_counter() - began, *memory_kb(proc.pid)))
            time.sleep(0.5)
        stop_at.set()
        for t in threads:
            t.join(timeout=60)
        elapsed = time.perf_counter() - began
    finally:
        stop(proc)
    times = [x for r in results for x in r]
    print(f"\n## {clients} concurrent clients for {seconds:.0f} s (a new order number, e-mail and name per request)\n")
    print(
        f"requests: {len(times)} ({len(times) / elapsed:.0f}/s), errors: {len(errors)}"
        + (f" ({', '.join(sorted(set(errors)))})" if errors else "")
    )
    print(f"latency under load: median {statistics.median(times):.1f} ms, p99 {percentile(times, 0.99):.1f} ms")
    third = next(i for i, sample in enumerate(samples) if sample[0] >= seconds / 3)
    for name, k in (("USS (all processes)", 1), ("RSS (largest process)", 2)):
        print(
            f"server {name}: {samples[0][k] / 1024:.0f} MB at start, {samples[third][k] / 1024:.0f} MB at "
            f"{seconds / 3:.0f} s, {samples[-1][k] / 1024:.0f} MB at the end, max "
            f"{max(sample[k] for sample in samples) / 1024:.0f} MB (last two thirds: "
            f"{(samples[-1][k] - samples[third][k]) / 1024:+.1f} MB)"
        )
    return {
        "rate": len(times) / elapsed,
        "errors": len(errors),
        "median": statistics.median(times),
        "p99": percentile(times, 0.99),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=("startup", "latency", "soak"), action="append")
    ap.add_argument("--runs", type=int, default=8, help="start-up rounds (default 8)")
    ap.add_argument("--requests", type=int, default=3000, help="sequential latency requests (default 3000)")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("serve_args", nargs="*", help="extra `coach serve` flags for latency and soak (after --)")
    args = ap.parse_args()
    only = set(args.only or ("startup", "latency", "soak"))
    before = reference_loop()
    if "startup" in only:
        startup(args.runs)
    launch = lambda: start_server(*args.serve_args)  # noqa: E731
    if "latency" in only:
        latency(args.requests, launch)
    if "soak" in only:
        soak(args.clients, min(args.seconds, 600), launch)
    print(f"\nreference loop {before:.2f} s before, {reference_loop():.2f} s after (~0.25 s on a fast machine)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
