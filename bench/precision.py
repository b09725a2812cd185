"""How often coach fires on real replies, and a sample of its findings to read by hand.

    python3 bench/precision.py ../shared/corpus/agent_pool.jsonl --n 3000 --sample 100 \
        --out bench/out/precision

Draws N pool replies at random (fixed seed; replies in data/labeled are left out, since
the model was trained on them), lints them with rules and model, and reports findings
per 100 replies for each label and source (rule / model). For each of blocking and
advocacy it writes a random sample of findings to read by hand (`sample-<label>.jsonl`:
text, the finding's words, rule, source), the way the precision targets are measured:
a reader marks each finding right or wrong against the labeling guide.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coach.analyzer import Analyzer  # noqa: E402

SEED = 20261207


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pool")
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--sample", type=int, default=100)
    ap.add_argument("--labels", default="blocking,advocacy")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "precision")
    ap.add_argument("--no-model", action="store_true")
    args = ap.parse_args()
    labeled = {
        json.loads(line)["id"]
        for p in (ROOT / "data" / "labeled").glob("*.jsonl")
        if not p.name.startswith("sample")
        for line in p.open(encoding="utf-8")
    }
    with open(args.pool, encoding="utf-8") as lines:
        pool = [json.loads(line) for line in lines]
    rng = random.Random(SEED)
    replies = rng.sample([r for r in pool if r["id"] not in labeled], args.n)
    analyzer = Analyzer(model=not args.no_model)
    per_label: collections.Counter[tuple[str, str]] = collections.Counter()
    replies_with: collections.Counter[str] = collections.Counter()
    findings: dict[str, list[dict]] = collections.defaultdict(list)
    for rec, report in zip(replies, analyzer.lint([r["text"] for r in replies], [r["id"] for r in replies])):
        for label in {f.label for f in report.findings}:
            replies_with[label] += 1
        for f in report.findings:
            per_label[(f.label, f.source)] += 1
            findings[f.label].append(
                {
                    "id": rec["id"],
                    "text": rec["text"],
                    "context": rec.get("context", ""),
                    "finding": f.text,
                    "rule": f.rule,
                    "source": f.source,
                    "confidence": f.confidence,
                }
            )
    print(f"{args.n} random pool replies (seed {SEED}), model {'off' if args.no_model else 'on'}")
    print(f"{'label':<15}{'replies/100':>12}{'rule findings':>15}{'model findings':>16}")
    for label in sorted(replies_with, key=lambda k: -replies_with[k]):
        print(
            f"{label:<15}{100 * replies_with[label] / args.n:>12.1f}{per_label[(label, 'rule')]:>15}"
            f"{per_label[(label, 'model')]:>16}"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    for label in args.labels.split(","):
        sample = rng.sample(findings[label], min(args.sample, len(findings[label])))
        with open(args.out / f"sample-{label}.jsonl", "w", encoding="utf-8") as out:
            for i, row in enumerate(sample):
                out.write(json.dumps({"n": i + 1, "label": label, **row}, ensure_ascii=False) + "\n")
        print(f"wrote {len(sample)} {label} findings to {args.out / f'sample-{label}.jsonl'}")


if __name__ == "__main__":
    main()
