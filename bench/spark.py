#!/usr/bin/env python3
"""Benchmark `coach score --engine spark` against the local engine on bench/'s corpus read from Parquet.

    python3 bench/spark.py                          # 10k and 20k conversations, 3 rounds
    python3 bench/spark.py -n 10000 --rounds 5 --results bench/out/spark-results.md

Steps:
1. Generate bench/'s synthetic corpus (bench/generate.py) at N and 2N conversations and
   convert each to Parquet (a conversation per row, `turns` a list of structs, row groups of
   1,000 conversations, zstd), in bench/out/.
2. For every round, for each size, run (as a user runs them, each a fresh process, in the
   same order every round so neighbours' load spreads over all of them):
     local -j1, local -j2:  python3 -m coach score CORPUS.parquet --format jsonl -o OUT --jobs J
     spark local[1], [2]:   python3 -m coach score --engine spark --master local[K] CORPUS.parquet
                            --format jsonl -o OUTDIR
   measuring wall time, CPU seconds of the whole process tree (the JVM and Python workers
   included), and how many cores other processes kept busy meanwhile (/proc/stat).
   The first Spark run with a fresh bench/out/cache also writes the JVM's class archive
   (coach.spark.cds; 13-15 s more once); later runs map it.
3. Check each output has one line per conversation.
4. Report per configuration the best wall time over the rounds (and the median) and:
   - end-to-end words/s at N and 2N (start-up included: the JVM, the session, the workers);
   - marginal words/s = (words(2N) - words(N)) / (wall(2N) - wall(N)), best walls: the rate
     once the fixed start-up is paid, i.e. what a long job on a cluster gets per core;
   - the targets: spark local[2] / local -j2 >= 0.70 and local[2] / local[1] >= 1.7.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out"
sys.path.insert(0, str(BENCH))
import run as base  # noqa: E402  (bench/run.py: the process-tree sampler, corpus and machine helpers)

CONFIGS = (
    ("local -j1", ["--jobs", "1"]),
    ("local -j2", ["--jobs", "2"]),
    ("spark local[1]", ["--engine", "spark", "--master", "local[1]"]),
    ("spark local[2]", ["--engine", "spark", "--master", "local[2]"]),
)


def to_parquet(jsonl: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = jsonl.with_suffix(".parquet")
    if out.is_file() and out.stat().st_mtime >= jsonl.stat().st_mtime:
        return out
    schema = pa.schema(
        [
            ("id", pa.string()),
            ("agent", pa.string()),
            ("channel", pa.string()),
            (
                "turns",
                pa.list_(
                    pa.struct(
                        [("speaker", pa.string()), ("text", pa.string()), ("name", pa.string()), ("time", pa.string())]
                    )
                ),
            ),
        ]
    )
    tmp = out.with_suffix(".parquet.tmp")
    with pq.ParquetWriter(str(tmp), schema, compression="zstd") as writer, base.open_text(jsonl) as fh:
        rows = []
        for line in fh:
            rec = json.loads(line)
            rows.append(
                {
                    "id": str(rec["id"]),
                    "agent": rec.get("agent"),
                    "channel": rec.get("channel"),
                    "turns": [
                        {
                            "speaker": t["speaker"],
                            "text": t["text"],
                            "name": t.get("name"),
                            "time": None if t.get("time") is None else str(t["time"]),
                        }
                        for t in rec["turns"]
                    ],
                }
            )
            if len(rows) == 1000:
                writer.write_table(pa.Table.from_pylist(rows, schema))
                rows = []
        if rows:
            writer.write_table(pa.Table.from_pylist(rows, schema))
    os.replace(tmp, out)
    return out


def timed(args: list[str]) -> dict:
    """One coach run as a subprocess: wall, CPU of the tree, others' load."""
    cmd = [sys.executable, "-m", "coach", "score", "--no-progress", *args]
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["XDG_CACHE_HOME"] = str(base.CACHE)
    ref = base.reference_loop()
    busy0 = base.busy_seconds()
    self0 = time.process_time()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = base.Sampler(proc.pid, interval=0.1)
    sampler.start()
    err: list[bytes] = []
    drain = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)
    drain.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    busy = base.busy_seconds() - busy0
    sampler.done.set()
    sampler.join()
    base._reap_leftovers(sampler.seen, proc.pid)
    drain.join(timeout=10)
    cpu = max(usage.ru_utime + usage.ru_stime, sum(sampler.cpu.values()))
    code = os.waitstatus_to_exitcode(status)
    stderr = b"".join(err).decode("utf-8", "replace")
    if code != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {code}:\n{stderr[-2000:]}")
    return {
        "wall": wall,
        "cpu": cpu,
        "others": max(0.0, busy - cpu - (time.process_time() - self0)) / wall,
        "ref": ref,
        "peak_tree": sampler.peak_tree,
    }


def count_lines(path: Path) -> int:
    files = sorted(path.glob("part-*")) if path.is_dir() else [path]
    return sum(sum(1 for _ in open(p, encoding="utf-8")) for p in files)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--conversations", "-n", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", action="append", help="run only these configurations (repeatable)")
    ap.add_argument("--results", default=str(OUT / "spark-results.md"))
    args = ap.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    sizes = [args.conversations, 2 * args.conversations]
    corpora = {}
    for n in sizes:
        jsonl = base.ensure_corpus(n, args.seed)
        corpora[n] = (to_parquet(jsonl), base.corpus_stats(jsonl))
    configs = [c for c in CONFIGS if not args.only or c[0] in args.only]
    runs: dict[tuple[str, int], list[dict]] = {}
    print(f"load before: {os.getloadavg()}")
    for rnd in range(args.rounds):
        for n in sizes:
            parquet, stats = corpora[n]
            for name, flags in configs:
                out = OUT / f"spark-bench-{n}{'' if 'spark' in name else '.jsonl'}"
                if out.is_dir():
                    shutil.rmtree(out)
                run = timed([*flags, str(parquet), "--format", "jsonl", "-o", str(out)])
                got = count_lines(out)
                if got != stats["conversations"]:
                    raise SystemExit(f"{name}: {got} lines for {stats['conversations']} conversations")
                runs.setdefault((name, n), []).append(run)
                print(
                    f"round {rnd + 1} n={n:>6} {name:<15} {run['wall']:6.2f} s  cpu {run['cpu']:6.1f} s  "
                    f"others {run['others']:.2f} cores  ref {run['ref']:.2f} s",
                    flush=True,
                )
                shutil.rmtree(out) if out.is_dir() else out.unlink()
    raw = OUT / "spark-runs.json"
    raw.write_text(
        json.dumps(
            {
                "args": vars(args),
                "sizes": sizes,
                "stats": {str(n): corpora[n][1] for n in sizes},
                "runs": [[name, n, r] for (name, n), rs in runs.items() for r in rs],
            },
            indent=1,
        )
    )
    report = render(runs, corpora, sizes, configs, args)
    print(report)
    Path(args.results).write_text(report, encoding="utf-8")
    return 0


def render(runs, corpora, sizes, configs, args) -> str:
    small, large = sizes
    words = {n: corpora[n][1]["words"] for n in sizes}
    best = {k: min(r["wall"] for r in v) for k, v in runs.items()}
    med = {k: statistics.median(r["wall"] for r in v) for k, v in runs.items()}
    cpu = {k: min(r["cpu"] for r in v) for k, v in runs.items()}
    lines = [
        f"## coach score --engine spark vs local ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"`python3 bench/spark.py -n {args.conversations} --rounds {args.rounds}`; corpus: bench/generate.py "
        f"seed {args.seed} as Parquet ({small:,} conversations = {words[small] / 1e6:.2f} M words, and "
        f"{large:,} = {words[large] / 1e6:.2f} M words); {base.machine()}",
        "",
        "| engine | wall s at N (best / median) | words/s at N | wall s at 2N (best / median) | words/s at 2N "
        "| marginal words/s | CPU s at N / 2N | marginal words per CPU-s | peak RSS of the tree at N / 2N |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    marginal = {}
    for name, _ in configs:
        a, b = (name, small), (name, large)
        if a not in best or b not in best:
            continue
        marginal[name] = (words[large] - words[small]) / max(best[b] - best[a], 1e-9)
        peak = "/".join(f"{max(r['peak_tree'] for r in runs[k]) / 2**20:.0f}" for k in (a, b))
        per_cpu = (words[large] - words[small]) / max(cpu[b] - cpu[a], 1e-9)
        lines.append(
            f"| {name} | {best[a]:.1f} / {med[a]:.1f} | {words[small] / best[a] / 1e3:.0f}k | "
            f"{best[b]:.1f} / {med[b]:.1f} | {words[large] / best[b] / 1e3:.0f}k | "
            f"{marginal[name] / 1e3:.0f}k | {cpu[a]:.1f} / {cpu[b]:.1f} | {per_cpu / 1e3:.0f}k | "
            f"{peak} MB |"
        )
    others = [r["others"] for v in runs.values() for r in v]
    lines += [
        "",
        f"Other processes kept {min(others):.2f}-{max(others):.2f} cores busy during the runs "
        f"(median {statistics.median(others):.2f}) of this machine's {os.cpu_count()}.",
    ]
    if {"spark local[2]", "local -j2", "spark local[1]"} <= set(marginal):
        for label, n in (("at N", small), ("at 2N", large)):
            lines.append(
                f"- spark local[2] / local -j2 throughput {label}: "
                f"{best[('local -j2', n)] / best[('spark local[2]', n)]:.2f} (target >= 0.70); "
                f"local[2] / local[1]: {best[('spark local[1]', n)] / best[('spark local[2]', n)]:.2f}x "
                f"(target >= 1.7x)"
            )
        lines.append(
            f"- marginal (start-up excluded): spark local[2] / local -j2 "
            f"{marginal['spark local[2]'] / marginal['local -j2']:.2f}; local[2] / local[1] "
            f"{marginal['spark local[2]'] / marginal['spark local[1]']:.2f}x"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
