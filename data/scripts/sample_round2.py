"""Later rounds of labeling: replies the rules and a model disagree on, cues for the
rarest labels (responsibility, repentance, forgiveness), and a plain random share.

Why: after round 1 the rarest apology elements had a few dozen positives, and a model
learns most from the replies it is unsure of or contradicts the rules on (active
learning). The first model is trained on round 1's training split only, so the test
split never steers what is drawn.

    python3 data/scripts/sample_round2.py ../shared/corpus/agent_pool.jsonl \
        --model /tmp/round1-model --exclude data/labeled/sample-round1.jsonl \
        --n-disagree 450 --n-rare 250 --out-batches /tmp/labeling/batches2 \
        --manifest data/labeled/sample-round2.jsonl
    # round 3: half random (precision on everyday replies), half disagreements
    python3 data/scripts/sample_round2.py ../shared/corpus/agent_pool.jsonl --round 3 \
        --model coach/model/bundled --exclude data/labeled/sample-round1.jsonl \
        data/labeled/sample-round2.jsonl --n-random 500 --n-disagree 500 --n-rare 0 \
        --batch-size 250 --out-batches /tmp/labeling/batches3 --manifest data/labeled/sample-round3.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from sample_pool import SEED, NearDuplicates, group, norm_key  # noqa: E402

RARE = re.compile(
    r"\b(our (mistake|error|fault|bad)|my (mistake|error|fault|bad)|we (messed|screwed) up|got (it|this) wrong|"
    r"should(n'?t| not)? have|let you down|dropped the ball|on us\b|on me\b|unacceptable|not acceptable|"
    r"fell short|missed the mark|we failed|oversight|take (full )?responsibility|"
    r"(won'?t|will not|doesn'?t|does not|never) happen again|prevent\w*|going forward|in (the )?future|"
    r"moving forward|retrain\w*|coach(ing)? (the|our)|reviewing (our|the)|improv\w*|lessons? learned|"
    r"make (it|this) (up|right)|another chance|accept (our|my) apolog\w*|forgive|win you back|welcome you back)\b",
    re.IGNORECASE)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pool")
    ap.add_argument("--model", required=True, help="the first model (trained on round 1's train split)")
    ap.add_argument("--exclude", nargs="+", required=True)
    ap.add_argument("--n-disagree", type=int, default=450)
    ap.add_argument("--n-rare", type=int, default=250)
    ap.add_argument("--n-random", type=int, default=0, help="a plain random share (capped like the rest)")
    ap.add_argument("--round", type=int, default=2, help="round number: seeds the draw and names the batches")
    ap.add_argument("--candidates", type=int, default=25000, help="pool replies scored for disagreement")
    ap.add_argument("--batch-size", type=int, default=175)
    ap.add_argument("--out-batches", required=True)
    ap.add_argument("--manifest", required=True)
    args = ap.parse_args()

    from coach.analyzer import Analyzer

    pool = [json.loads(line) for line in open(args.pool, encoding="utf-8")]
    by_id = {r["id"]: r for r in pool}
    rng = random.Random(SEED + args.round)
    dedupe = NearDuplicates()
    taken = set()
    for m in args.exclude:
        for line in open(m, encoding="utf-8"):
            rid = json.loads(line)["id"]
            taken.add(rid)
            dedupe.seen(norm_key(by_id[rid]["text"]))
    order = [r for r in pool if r["id"] not in taken]
    rng.shuffle(order)
    n_total = args.n_disagree + args.n_rare + args.n_random
    brand_cap = int(n_total * 0.10)
    brands: Counter[str] = Counter()
    chosen: list[tuple[dict, str]] = []

    def take(rec: dict, stratum: str) -> bool:
        if rec["id"] in taken or brands[group(rec)] >= brand_cap:
            return False
        key = norm_key(rec["text"])
        taken.add(rec["id"])
        if len(key.split()) < 2 or dedupe.seen(key):
            return False
        brands[group(rec)] += 1
        chosen.append((rec, stratum))
        return True

    got = 0
    for rec in order:
        if got >= args.n_rare:
            break
        if RARE.search(rec["text"]) and take(rec, "rare"):
            got += 1
    got = 0
    for rec in order[len(order) // 2:]:  # a different part of the shuffled pool than the cues read first
        if got >= args.n_random:
            break
        if take(rec, "random"):
            got += 1

    candidates = [r for r in order if r["id"] not in taken][:args.candidates]
    analyzer = Analyzer(model=args.model)
    disagree: dict[str, list[dict]] = {}
    for rec, found in zip(candidates, analyzer.findings_by_source(r["text"] for r in candidates)):
        by_rules = {f.label for f in found.rules}
        by_model = {f.label for f in found.model}
        for label in sorted(by_rules ^ by_model):
            disagree.setdefault(label, []).append(rec)
    # An equal share per label, so rare labels' disagreements are not drowned by blocking's.
    labels = sorted(disagree, key=lambda k: len(disagree[k]))
    left = args.n_disagree
    for i, label in enumerate(labels):
        quota = left // (len(labels) - i)
        got = 0
        for rec in disagree[label]:
            if got >= quota:
                break
            if take(rec, f"disagree:{label}"):
                got += 1
        left -= got
    rng.shuffle(chosen)
    with open(args.manifest, "w", encoding="utf-8") as out:
        for rec, stratum in chosen:
            out.write(json.dumps({"id": rec["id"], "source": rec["source"], "brand": rec["brand"],
                                  "stratum": stratum}) + "\n")
    batches = Path(args.out_batches)
    batches.mkdir(parents=True, exist_ok=True)
    for b in range(0, len(chosen), args.batch_size):
        with open(batches / f"batch_r{args.round}_{b // args.batch_size:02d}.jsonl", "w", encoding="utf-8") as out:
            for rec, _ in chosen[b:b + args.batch_size]:
                out.write(json.dumps({"id": rec["id"], "text": rec["text"], "context": rec.get("context") or ""},
                                     ensure_ascii=False) + "\n")
    print(f"{len(chosen)} replies; disagreements per label in {len(candidates)} candidates:",
          {k: len(v) for k, v in disagree.items()})
    print(Counter(s for _, s in chosen))


if __name__ == "__main__":
    main()
