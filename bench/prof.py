#!/usr/bin/env python3
"""Profile one coach command in this process and print the top entries.

    python3 bench/prof.py score bench/out/corpus-n1000-s1.jsonl --format jsonl \\
        --output /tmp/out.jsonl --jobs 1 --no-progress
    python3 bench/prof.py --sort tottime --top 25 score ...

Why not `python3 -m cProfile -s cumtime -m coach score ...`: coach's entry point ends
with os._exit() (skipping spaCy's slow interpreter teardown), so cProfile never gets
to print and that command shows nothing. This runs the same typer app with
standalone_mode=False, so the profile is printed when the command returns.
Profile with --jobs 1: the work of forked workers is not seen by the profiler.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sort", default="cumtime", help="pstats sort key (default cumtime; try tottime)")
    ap.add_argument("--top", type=int, default=30, help="entries to print (default 30)")
    ap.add_argument("--save", help="also write the raw profile here (for snakeviz, pstats)")
    ap.add_argument("coach_args", nargs=argparse.REMAINDER, help="the coach command line after 'coach'")
    args = ap.parse_args()
    if not args.coach_args:
        ap.error("give a coach command, e.g. score CORPUS --format jsonl --output OUT --jobs 1")
    sys.path.insert(0, str(REPO))
    from coach.cli import app

    profile = cProfile.Profile()
    profile.enable()
    code = 0
    try:
        app(args=args.coach_args, prog_name="coach", standalone_mode=False)
    except SystemExit as exc:  # typer.Exit inside commands still raises in non-standalone mode
        code = exc.code if isinstance(exc.code, int) else 1
    except Exception as exc:  # click's Exit / usage errors
        code = getattr(exc, "exit_code", 1)
        print(f"coach: {type(exc).__name__}: {exc}", file=sys.stderr)
    finally:
        profile.disable()
    if args.save:
        profile.dump_stats(args.save)
    stats = pstats.Stats(profile, stream=sys.stderr)
    stats.sort_stats(args.sort).print_stats(args.top)
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
