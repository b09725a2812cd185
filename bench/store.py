#!/usr/bin/env python3
"""Benchmark the results store (issue 13's targets).

    python3 bench/store.py score  [--repeat 3]          # coach score --jobs 2 with and without --store
    python3 bench/store.py trends [--conversations 1000000]   # trends over a large SQLite store

score: on bench/'s corpus (bench/generate.py, 10,000 conversations, made when missing), runs
`python3 -m coach score CORPUS --format jsonl -o OUT --jobs 2 --no-progress` and the same with
`--store bench/out/store-bench.db` (a fresh file each time), interleaved, and prints each run's
wall time, the medians and the overhead. Target: storing adds at most 15%.

trends: fills bench/out/trends-N.db (kept between runs) with N synthetic conversations (50
agents over 365 days, 0-4 findings each, latest versions) through the store's own schema, then
times the trends queries in this process (median of 5) and the `coach trends` command end to end
(start-up included). Target: a trends query over 1,000,000 conversations in under 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out"
sys.path.insert(0, str(REPO))


def corpus(n: int = 10_000) -> Path:
    path = OUT / f"corpus-n{n}-s1.jsonl"
    if not path.exists():
        OUT.mkdir(exist_ok=True)
        subprocess.run(
            [sys.executable, str(BENCH / "generate.py"), "--conversations", str(n), "--seed", "1", "--out", str(path)],
            check=True,
        )
    return path


CPU: list[float] = []  # CPU seconds (user + system) of each timed command's process tree


def timed(cmd: list[str], env: dict) -> float:
    """Wall seconds of `cmd`; its CPU seconds (workers included) go to CPU: on a shared machine
    the wall time follows the neighbours' load, the CPU time much less."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, cwd=REPO, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall


def bench_score(repeat: int, jobs: int) -> None:
    data = corpus()
    env = {**os.environ, "XDG_CACHE_HOME": str(OUT / "cache")}
    db = OUT / "store-bench.db"
    base = [
        sys.executable,
        "-m",
        "coach",
        "score",
        str(data),
        "--format",
        "jsonl",
        "-o",
        str(OUT / "store-bench.jsonl"),
        "--jobs",
        str(jobs),
        "--no-progress",
    ]
    timed(base, env)  # warm the compiled-phrasebook cache and the page cache
    plain, stored = [], []
    cpu: dict[str, list[float]] = {"plain": [], "store": []}
    for i in range(repeat):
        order = (("plain", plain), ("store", stored)) if i % 2 == 0 else (("store", stored), ("plain", plain))
        for label, runs in order:
            if label == "store":
                db.unlink(missing_ok=True)
                runs.append(timed(base + ["--store", str(db)], env))
            else:
                runs.append(timed(base, env))
            cpu[label].append(CPU[-1])
            print(f"run {i + 1} {label:5s} {runs[-1]:.2f} s wall, {CPU[-1]:.2f} CPU-s", flush=True)
    a, b = statistics.median(plain), statistics.median(stored)
    print(
        f"\ncoach score --jobs {jobs} on {data.name}: median {a:.2f} s without --store, {b:.2f} s with "
        f"(+{100 * (b - a) / a:.1f}%; best {min(plain):.2f} vs {min(stored):.2f} s: "
        f"+{100 * (min(stored) - min(plain)) / min(plain):.1f}%); store {db.stat().st_size / 1e6:.1f} MB"
    )
    c, d = statistics.median(cpu["plain"]), statistics.median(cpu["store"])
    print(f"CPU seconds (all processes): median {c:.2f} without, {d:.2f} with (+{100 * (d - c) / c:.1f}%)")
    bench_writer(OUT / "store-bench.jsonl")


def bench_writer(scored: Path) -> None:
    """The store's own cost, alone: the reports of the run above stored again in this process."""
    from coach.models import Apology, ConversationReport, Finding, TurnReport
    from coach.store import open_store

    reports = []
    with open(scored, encoding="utf-8") as lines:
        for line in lines:
            d = json.loads(line)
            turns = tuple(
                TurnReport(
                    t["index"],
                    t["speaker"],
                    t["name"],
                    t["text"],
                    tuple(
                        Finding(**{k: (tuple(v) if k == "rewrites" else v) for k, v in f.items()})
                        for f in t["findings"]
                    ),
                    t.get("time"),
                )
                for t in d["turns"]
            )
            a = d["apology"]
            reports.append(
                ConversationReport(
                    d["conversation"],
                    d["source"],
                    d["agent"],
                    d["channel"],
                    d["score"],
                    Apology(a["offered"], tuple(a["elements"]), tuple(a["missing"]), a["completeness"]),
                    a["expected"],
                    tuple(sorted(d["counts"].items())),
                    turns,
                    d["line"],
                    d["record"],
                    d.get("started_at"),
                )
            )
    db = OUT / "store-writer.db"
    db.unlink(missing_ok=True)
    start, cpu = time.perf_counter(), time.process_time()
    with open_store(str(db)) as store:
        writer = store.begin_run(inputs=[str(scored)], rules_fingerprint="b", model_fingerprint=None, fingerprint="b")
        for r in reports:
            writer.add(r)
        writer.finish()
    print(
        f"storing {len(reports):,} scored conversations alone (RunWriter, SQLite): "
        f"{time.perf_counter() - start:.2f} s wall, {time.process_time() - cpu:.2f} CPU-s"
    )


RULES = [
    ("blocking.policy.company-policy", "blocking"),
    ("blocking.powerless.nothing-i-can-do", "blocking"),
    ("blocking.transfer.call-bank", "blocking"),
    ("advocacy.options.have-ideas-lets-try", "advocacy"),
    ("advocacy.ownership.i-will", "advocacy"),
    ("non_apology.sorry-for-any", "non_apology"),
    ("apology.regret.sorry-said", "apology"),
    ("apology.repair.refund", "apology"),
]


def fill(path: Path, n: int) -> None:
    from coach.store import open_store

    rng = random.Random(1)
    agents = [f"agent-{i:02d}" for i in range(50)]
    with open_store(str(path)) as store:
        db = store.db
        writer = store.begin_run(
            inputs=["synthetic"], rules_fingerprint="bench", model_fingerprint=None, fingerprint="bench"
        )
        conv_sql = (
            "INSERT INTO conversations (id, run_id, conversation, fingerprint, latest, source, record, agent, "
            "channel, started_at, day, score, turns, agent_turns, advocacy, blocking, non_apology, "
            "apology_offered, "
            "apology_completeness, apology_missing, apology_expected) VALUES (:id, :run, :c, 'bench', 1, "
            "'synthetic.jsonl', :id, :agent, 'chat', :t, substr(:t, 1, 10), :score, :turns, :at, :adv, "
            ":blk, :non, :off, "
            ":comp, NULL, 0)"
        )
        find_sql = (
            "INSERT INTO findings (conversation_id, latest, agent, started_at, day, turn, speaker, rule, "
            "category, element, severity, source, confidence, span_start, span_end, text, rewrite) VALUES "
            "(:cid, 1, :agent, :t, substr(:t, 1, 10), :turn, 'agent', :rule, :cat, NULL, 'warning', 'rule', "
            "NULL, 0, 10, 'some words', NULL)"
        )
        step = 50_000
        for first in range(1, n + 1, step):
            convs, finds = [], []
            for cid in range(first, min(first + step, n + 1)):
                day = rng.randrange(365)
                hits = [RULES[rng.randrange(len(RULES))] for _ in range(rng.randrange(5))]
                counts = {c: sum(1 for _, k in hits if k == c) for c in ("advocacy", "blocking", "non_apology")}
                offered = any(k == "apology" for _, k in hits)
                agent = rng.choice(agents)
                stamp = f"2025-{1 + day // 31 % 12:02d}-{1 + day % 28:02d}T{rng.randrange(24):02d}:00:00Z"
                convs.append(
                    {
                        "id": cid,
                        "run": writer.run_id,
                        "c": f"T-{cid}",
                        "agent": agent,
                        "t": stamp,
                        "score": rng.randrange(101),
                        "turns": 8,
                        "at": 4,
                        "adv": counts["advocacy"],
                        "blk": counts["blocking"],
                        "non": counts["non_apology"],
                        "off": offered,
                        "comp": rng.random() if offered else None,
                    }
                )
                finds += [{"cid": cid, "agent": agent, "t": stamp, "turn": 2, "rule": r, "cat": k} for r, k in hits]
            with db.transaction():
                db.executemany(conv_sql, convs)
                db.executemany(find_sql, finds)
            print(f"  {min(first + step - 1, n):,} conversations", flush=True)
        writer.finish()
        db.execute("ANALYZE")


def bench_trends(n: int) -> None:
    from coach.store import open_store
    from coach.store.migrations import LATEST
    from coach.store.trends import trends
    from coach.timewindow import TimeWindow

    path = OUT / f"trends-{n}-v{LATEST}.db"
    if not path.exists():
        OUT.mkdir(exist_ok=True)
        print(f"filling {path} …", flush=True)
        start = time.perf_counter()
        fill(path, n)
        print(f"filled in {time.perf_counter() - start:.0f} s, {path.stat().st_size / 1e6:.0f} MB")
    cases = [
        ("by week, all agents", {"by": "week"}),
        ("by month, all agents", {"by": "month"}),
        ("by day, all agents", {"by": "day"}),
        ("by week, one agent", {"by": "week", "agent": "agent-07"}),
        ("by week, last quarter", {"by": "week", "window": TimeWindow.parse("2025-10-01", "2025-12-31")}),
        ("by week, --rule blocking.policy", {"by": "week", "rule": "blocking.policy"}),
        ("by week, --rule blocking (3/8 of findings)", {"by": "week", "rule": "blocking"}),
    ]
    with open_store(str(path), create=False) as store:
        count = store.db.execute("SELECT count(*) FROM conversations")[0][0]
        findings = store.db.execute("SELECT count(*) FROM findings")[0][0]
        print(f"\n{count:,} conversations, {findings:,} findings in {path.name}")
        for label, kwargs in cases:
            times = []
            for _ in range(5):
                start = time.perf_counter()
                trends(store, **kwargs)
                times.append(time.perf_counter() - start)
            print(f"{label:45s} median {statistics.median(times):.2f} s (best {min(times):.2f})", flush=True)
    env = {**os.environ, "XDG_CACHE_HOME": str(OUT / "cache")}
    times = [
        timed([sys.executable, "-m", "coach", "trends", "--store", str(path), "--format", "csv"], env) for _ in range(3)
    ]
    print(f"{'coach trends --format csv (whole command)':45s} median {statistics.median(times):.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    s = sub.add_parser("score")
    s.add_argument("--repeat", type=int, default=3)
    s.add_argument("--jobs", type=int, default=2)
    t = sub.add_parser("trends")
    t.add_argument("--conversations", "-n", type=int, default=1_000_000)
    args = ap.parse_args()
    if args.what == "score":
        bench_score(args.repeat, args.jobs)
    else:
        bench_trends(args.conversations)


if __name__ == "__main__":
    main()
