"""Draw rewritten real replies for a person to judge (docs/rewrites.md, "Hand-read sample").

    python3 bench/rewrite_sample.py ../shared/corpus/agent_pool.jsonl --n 50 --out sample.jsonl

Reads the pool in a fixed random order (--seed), skips replies in data/labeled, in earlier
samples (--skip) and in the rewrite
set (tests/data/rewrites/pool.jsonl: the rewrites were developed on those), lints each with
the bundled rules and model, and keeps the first N whose text the rewrite changed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coach.analyzer import Analyzer  # noqa: E402

SEED = 20261207


def ids_in(paths) -> set[str]:
    return {json.loads(line)["id"] for p in paths for line in p.open(encoding="utf-8") if line.strip()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pool", type=Path)
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--skip", type=Path, nargs="*", default=[], help="samples already read (their ids are left out)")
    args = ap.parse_args()
    seen = ids_in(
        list((ROOT / "data" / "labeled").glob("*.jsonl")) + [ROOT / "tests/data/rewrites/pool.jsonl"] + args.skip
    )
    rows = [json.loads(line) for line in args.pool.open(encoding="utf-8") if line.strip()]
    random.Random(args.seed).shuffle(rows)
    analyzer = Analyzer().compile()
    out = []
    for start in range(0, len(rows), 500):
        batch = [r for r in rows[start : start + 500] if r["id"] not in seen]
        for row, report in zip(batch, analyzer.lint([r["text"] for r in batch]), strict=True):
            if report.rewritten:
                out.append(
                    {"id": row["id"], "source": row["source"], "original": row["text"], "rewritten": report.rewritten}
                )
        if len(out) >= args.n:
            break
    with args.out.open("w", encoding="utf-8") as f:
        for row in out[: args.n]:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {min(len(out), args.n)} rewritten replies to {args.out}")


if __name__ == "__main__":
    main()
