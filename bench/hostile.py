#!/usr/bin/env python3
"""Time and memory of `coach` on hostile inputs (issue 17, "no hangs, bounded memory").

    python3 bench/hostile.py                 # every case, full size (a few minutes)
    python3 bench/hostile.py --quick         # the same cases, about a tenth of the size
    python3 bench/hostile.py --only punct --only blank

Each case runs `python3 -m coach ...` as a user would, in a fresh process capped at
--memory MB of address space and --timeout seconds (a case that needs more fails
instead of taking the machine), and reports the exit code, wall time, the peak RSS
of the coach process (os.wait4) and the size of what it wrote. The unit tests check
the same limits with small inputs; this shows they hold at the sizes the issue
reported (before: '!?' * 20000 took 38 s, 64 MB of spaces 64 s, `yes ''` never
ended, /dev/zero read until MemoryError, a 200,000-turn conversation took 1 GB as
JSONL and 3.1 GB as HTML, a million agents 1.5 GB, a doubling `define:` 16 GB).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "data" / "golden" / "phrasebook.yaml"
COACH = [sys.executable, "-m", "coach"]
RULES = ["--no-defaults", "-p", str(GOLDEN), "--no-model", "--no-progress"]


def run(
    args: list[str], *, memory_mb: int, timeout: float, stdin_forever: bytes | None = None, output: Path | None = None
) -> dict:
    """One coach run: exit code, wall seconds, peak RSS (MB), output size, last stderr line."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))

    start = time.perf_counter()
    proc = subprocess.Popen(
        COACH + args,
        cwd=REPO,
        stdin=subprocess.PIPE if stdin_forever else subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=cap,
        start_new_session=True,
    )
    killed = []

    def kill() -> None:
        killed.append(True)
        os.killpg(proc.pid, 9)

    timer = threading.Timer(timeout, kill)
    timer.start()
    if stdin_forever is not None:  # `yes ''`: write until coach stops reading

        def feed() -> None:
            try:
                while True:
                    proc.stdin.write(stdin_forever)
            except (BrokenPipeError, OSError, ValueError):
                pass

        threading.Thread(target=feed, daemon=True).start()
    err = proc.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    timer.cancel()
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    last = [line for line in err.splitlines() if line.strip()][-1:] or [""]
    return {
        "exit": "timeout" if killed else code,
        "wall": wall,
        "rss": usage.ru_maxrss / 1024,
        "out": output.stat().st_size if output and output.exists() else None,
        "stderr": last[0][:110],
    }


def conversation_line(conv_id: str, texts: list[str], agent: str = "a") -> str:
    turns = [{"speaker": "agent" if i % 2 else "customer", "text": t} for i, t in enumerate(texts)]
    return json.dumps({"id": conv_id, "agent": agent, "turns": turns}) + "\n"


def cases(tmp: Path, scale: float):
    """(name, what, coach args, kwargs for run) for every case; inputs are written on demand."""
    n = lambda full: max(1, int(full * scale))  # noqa: E731

    def punct():
        path = tmp / "punct.jsonl"
        with path.open("w") as out:
            out.write(conversation_line("bang", ["hi " + "!?" * n(50_000) + " there is nothing I can do"]))
            out.write(conversation_line("smiley", ["hi " + (":)" * 31 + "x") * n(1_600) + " ok"]))
        return ["score", str(path), *RULES, "--format", "jsonl"], {}

    def blank():
        path = tmp / "blank.jsonl"
        with path.open("w") as out:
            out.write(" " * n(64 << 20) + "\n")
            out.write(conversation_line("after", ["there is nothing I can do"]))
        return ["score", str(path), *RULES, "--format", "jsonl"], {}

    def endless_blank():
        return ["score", "-", *RULES, "--format", "jsonl"], {"stdin_forever": b"\n" * 65536}

    def zero(*args):
        return lambda: (list(args), {})

    def turns():
        path = tmp / "turns.jsonl"
        with path.open("w") as out:
            out.write(conversation_line("long", ["there is nothing I can do"] * n(200_000)))
            out.write(conversation_line("short", ["hi", "there is nothing I can do"]))
        return ["score", str(path), *RULES, "--format", "html", "-o", str(tmp / "turns.html")], {
            "output": tmp / "turns.html"
        }

    def at_limit_html():
        path = tmp / "limit.jsonl"
        with path.open("w") as out:
            for k in range(n(20)):
                out.write(conversation_line(f"long{k}", ["sadly there is nothing I can do " * 20] * 10_000))
        return ["score", str(path), *RULES, "--format", "html", "-o", str(tmp / "limit.html")], {
            "output": tmp / "limit.html"
        }

    def agents():
        path = tmp / "agents.jsonl"
        with path.open("w") as out:
            for i in range(n(1_000_000)):
                out.write(f'{{"id":"c{i}","agent":"agent-{i}","turns":[{{"speaker":"agent","text":"ok"}}]}}\n')
        return ["score", str(path), *RULES, "--format", "json", "-o", str(tmp / "agents.json")], {
            "output": tmp / "agents.json"
        }

    def book(name: str, top: str, body: str):
        def make():
            path = tmp / f"{name}.yaml"
            path.write_text(
                top
                + "rules:\n  - id: advocacy.hostile\n    category: advocacy\n"
                + body
                + '    examples: {match: ["let me check"], no_match: ["no"]}\n',
                encoding="utf-8",
            )
            return ["phrasebook", "validate", str(path)], {}

        return make

    doubling = "define:\n  A0: word\n" + "".join(f'  A{i}: "$A{i - 1} $A{i - 1}"\n' for i in range(1, 28))
    yield "punct", "'!?' * 50,000 and (':)' * 31 + 'x') * 1,600 in one message", punct
    yield "blank", "64 MB of spaces before the first conversation", blank
    yield "blank", "`yes '' | coach score -` (endless blank lines)", endless_blank
    yield "zero", "lint --file /dev/zero", zero("lint", "--file", "/dev/zero", *RULES[:3])
    yield "zero", "lint -p /dev/zero", zero("lint", "-p", "/dev/zero", "hello")
    yield "zero", "eval /dev/zero", zero("eval", "/dev/zero", "--no-model")
    yield "zero", "phrasebook validate /dev/zero", zero("phrasebook", "validate", "/dev/zero")
    yield "turns", "one 200,000-turn conversation, --format html", turns
    yield "html", "20 conversations of 10,000 turns (the limit), 20 findings a turn, html", at_limit_html
    yield "agents", "1,000,000 conversations by 1,000,000 agents, --format json", agents
    yield "phrasebook", "define: A1..A27 each '$A(n-1) $A(n-1)'", book("doubling", doubling, '    phrases: ["$A27"]\n')
    yield (
        "phrasebook",
        "REGEX ((a+))+$ and (a|a)*$",
        book(
            "regex",
            "",
            '    phrases: ["let me check"]\n    patterns: [[{TEXT: {REGEX: "((a+))+$"}}], '
            '[{TEXT: {REGEX: "(a|a)*$"}}]]\n',
        ),
    )
    yield (
        "phrasebook",
        "20,000 nested brackets",
        book("brackets", "", '    phrases: ["' + "(" * 20_000 + "a" + ")" * 20_000 + '"]\n'),
    )
    yield (
        "phrasebook",
        "a 4.8 MB alternation",
        book("alternation", "", '    phrases: ["let me (' + "|".join(f"w{i} v" for i in range(500_000)) + ')"]\n'),
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="about a tenth of the sizes")
    ap.add_argument("--only", action="append", default=[], help="run only cases of this group (repeatable)")
    ap.add_argument("--memory", type=int, default=3072, help="address-space cap per run, MB (default 3072)")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per run (default 600)")
    args = ap.parse_args()
    scale = 0.1 if args.quick else 1.0
    print("| case | exit | wall s | peak RSS MB | output | last stderr line |")
    print("|---|---:|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory(prefix="coach-hostile-") as tmp:
        env_cache = tempfile.mkdtemp(prefix="coach-hostile-cache-", dir=tmp)
        os.environ["COACH_CACHE_DIR"] = env_cache  # a fresh compiled-phrasebook cache
        for group, what, make in cases(Path(tmp), scale):
            if args.only and group not in args.only:
                continue
            coach_args, kwargs = make()
            r = run(coach_args, memory_mb=args.memory, timeout=args.timeout, **kwargs)
            size = f"{r['out'] / 1e6:.1f} MB" if r["out"] is not None else ""
            shown = what.replace("|", "\\|")
            print(
                f"| {shown} | {r['exit']} | {r['wall']:.1f} | {r['rss']:.0f} | {size} | "
                f"{r['stderr'].replace('|', '/')} |",
                flush=True,
            )
            for leftover in Path(tmp).glob("*.jsonl"):
                leftover.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
