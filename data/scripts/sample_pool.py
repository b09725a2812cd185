"""Draw replies from the unlabeled pool for labeling (round 1: random + cue-enriched).

Why cues: in a random draw of real replies most labels are rare (repentance
well under 1%), so a classifier would see too few positives. Each stratum is
drawn with a cheap regex cue; the cue is recorded in the manifest for
provenance and never shown to annotators.

    python3 data/scripts/sample_pool.py ../shared/corpus/agent_pool.jsonl \
        --n 2800 --out-batches /tmp/labeling/batches --manifest data/labeled/sample-round1.jsonl

Caps: no brand (or, where the brand is unknown, no source) above 10% of the
draw, no source above 45%; near-duplicates (template replies that differ only
by a name or a number) are dropped.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from pathlib import Path

SEED = 20261207

# Share of the draw per stratum; "random" is a plain random draw of the pool.
STRATA = {
    "random": 0.30,
    "refusal": 0.20,
    "handoff": 0.12,
    "apology": 0.15,
    "commitment": 0.10,
    "element": 0.13,  # responsibility, explanation, repair, repentance cues
}

CUES = {
    "refusal": r"\b(can'?t|cannot|can not|unable|not able|won'?t be able|not possible|isn'?t possible|"
               r"no longer|unfortunately|afraid|policy|policies|not permitted|not allowed|only able|"
               r"don'?t (offer|have|provide|allow|support|sell|ship)|no way|not something we)\b",
    "handoff": r"(reach out to|contact (the|your|them)|you('ll| will) (need|have) to|please (call|visit|contact)|"
               r"get in touch with|speak (to|with)|directly|through (our|the) (website|portal|form|app)|"
               r"not (my|our) department|the (bank|seller|manufacturer|airport|retailer|store)\b)",
    "apology": r"\b(sorry|apolog\w*|regret\w*|my bad|our bad)\b",
    "commitment": r"\b(I'?ll|I will|we'?ll|we will|let me|let us|I'?m going to|we'?re going to|make sure|"
                  r"look into|take care of|happy to|ensure)\b",
    "element": r"\b(our (mistake|fault|error)|on us|dropped the ball|shouldn'?t have|should not have|"
               r"won'?t happen again|improv\w*|prevent\w*|going forward|due to|because|caused|weather|outage|"
               r"refund\w*|credit\w*|voucher\w*|compensat\w*|replac\w*|rebook\w*|waiv\w*|reimburs\w*|"
               r"miles|points)\b",
}
CUE_RES = {k: re.compile(v, re.IGNORECASE) for k, v in CUES.items()}

_HANDLE = re.compile(r"@\w+")
_URL = re.compile(r"https?://\S+")
_SIGN = re.compile(r"(\s[\^*\-–—~]\s?[A-Za-z]{1,12}\.?\s*)+$")
_NON_WORD = re.compile(r"[^a-z]+")


def norm_key(text: str) -> str:
    """Text with handles, links, signatures, digits and punctuation removed."""
    t = _URL.sub(" ", _HANDLE.sub(" ", text))
    t = _SIGN.sub(" ", t)
    return _NON_WORD.sub(" ", t.lower()).strip()


def shingles(key: str) -> set[str]:
    words = key.split()
    return {" ".join(words[i:i + 3]) for i in range(max(1, len(words) - 2))}


class NearDuplicates:
    """Word-3-gram Jaccard >= 0.6 against anything already kept counts as a duplicate."""

    def __init__(self) -> None:
        self.index: dict[str, list[int]] = {}
        self.kept: list[set[str]] = []

    def seen(self, key: str) -> bool:
        sh = shingles(key)
        if not sh:
            return True
        counts: Counter[int] = Counter()
        for s in sh:
            for i in self.index.get(s, ()):
                counts[i] += 1
        for i, common in counts.items():
            if common / len(sh | self.kept[i]) >= 0.6:
                return True
        n = len(self.kept)
        self.kept.append(sh)
        for s in sh:
            self.index.setdefault(s, []).append(n)
        return False


def group(rec: dict) -> str:
    return rec.get("brand") or f"?{rec['source']}"


def draw(pool: list[dict], n: int, exclude: set[str], dedupe: NearDuplicates,
         rng: random.Random) -> list[tuple[dict, str]]:
    brand_cap, source_cap = int(n * 0.10), int(n * 0.45)
    brands: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    chosen: list[tuple[dict, str]] = []
    order = pool[:]
    rng.shuffle(order)
    for stratum, share in STRATA.items():
        want = round(n * share)
        got = 0
        cue = CUE_RES.get(stratum)
        for rec in order:
            if got >= want:
                break
            if rec["id"] in exclude or (cue and not cue.search(rec["text"])):
                continue
            if brands[group(rec)] >= brand_cap or sources[rec["source"]] >= source_cap:
                continue
            key = norm_key(rec["text"])
            if len(key.split()) < 2 or dedupe.seen(key):
                exclude.add(rec["id"])
                continue
            exclude.add(rec["id"])
            brands[group(rec)] += 1
            sources[rec["source"]] += 1
            chosen.append((rec, stratum))
            got += 1
    return chosen


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pool")
    ap.add_argument("--n", type=int, default=2800)
    ap.add_argument("--batch-size", type=int, default=200)
    ap.add_argument("--out-batches", required=True)
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--exclude", nargs="*", default=[],
                    help="manifests of earlier rounds: their ids and near-duplicates are not drawn again")
    args = ap.parse_args()
    pool = [json.loads(line) for line in open(args.pool, encoding="utf-8")]
    rng = random.Random(SEED)
    dedupe = NearDuplicates()
    exclude: set[str] = set()
    by_id = {r["id"]: r for r in pool}
    for m in args.exclude:
        for line in open(m, encoding="utf-8"):
            rid = json.loads(line)["id"]
            exclude.add(rid)
            dedupe.seen(norm_key(by_id[rid]["text"]))
    chosen = draw(pool, args.n, exclude, dedupe, rng)
    rng.shuffle(chosen)
    with open(args.manifest, "w", encoding="utf-8") as out:
        for rec, stratum in chosen:
            out.write(json.dumps({"id": rec["id"], "source": rec["source"], "brand": rec["brand"],
                                  "stratum": stratum}) + "\n")
    batches = Path(args.out_batches)
    batches.mkdir(parents=True, exist_ok=True)
    for b in range(0, len(chosen), args.batch_size):
        name = batches / f"batch_{b // args.batch_size:02d}.jsonl"
        with open(name, "w", encoding="utf-8") as out:
            for rec, _ in chosen[b:b + args.batch_size]:
                out.write(json.dumps({"id": rec["id"], "text": rec["text"],
                                      "context": rec.get("context") or ""}, ensure_ascii=False) + "\n")
    print(f"{len(chosen)} replies in {len(range(0, len(chosen), args.batch_size))} batches")
    print(Counter(s for _, s in chosen))
    print(Counter(group(r) for r, _ in chosen).most_common(12))
    print(Counter(r["source"] for r, _ in chosen).most_common())


if __name__ == "__main__":
    main()
