"""Per-label agreement of two annotators: F1 of one against the other, and Cohen's kappa.

    python3 data/scripts/agreement.py --a A1.jsonl A2.jsonl ... --b B1.jsonl B2.jsonl ...
"""

from __future__ import annotations

import argparse
import json

LABELS = ("blocking", "advocacy", "non_apology", "regret", "responsibility", "explanation",
          "repair", "repentance", "forgiveness")


def labels_of(a: dict) -> set[str]:
    return {k for k in ("blocking", "advocacy", "non_apology") if a.get(k)} | set(a.get("apology") or [])


def read(paths: list[str]) -> dict[str, set[str]]:
    out = {}
    for p in paths:
        for line in open(p, encoding="utf-8"):
            if line.strip():
                a = json.loads(line)
                out[a["id"]] = labels_of(a)
    return out


def agreement(a: dict[str, set[str]], b: dict[str, set[str]]) -> list[dict]:
    ids = sorted(set(a) & set(b))
    rows = []
    for label in LABELS:
        both = sum(label in a[i] and label in b[i] for i in ids)
        only_a = sum(label in a[i] and label not in b[i] for i in ids)
        only_b = sum(label in b[i] and label not in a[i] for i in ids)
        n = len(ids)
        f1 = 2 * both / (2 * both + only_a + only_b) if both + only_a + only_b else 1.0
        po = (n - only_a - only_b) / n if n else 1.0
        pa, pb = (both + only_a) / n, (both + only_b) / n
        pe = pa * pb + (1 - pa) * (1 - pb)
        kappa = (po - pe) / (1 - pe) if pe < 1 else 1.0
        rows.append({"label": label, "a": both + only_a, "b": both + only_b, "both": both,
                     "f1": round(f1, 3), "kappa": round(kappa, 3)})
    return rows


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--a", nargs="+", required=True, help="the first annotator's files")
    ap.add_argument("--b", nargs="+", required=True, help="the second annotator's files")
    args = ap.parse_args()
    a, b = read(args.a), read(args.b)
    print(f"{len(set(a) & set(b))} utterances labeled by both")
    print(f"{'label':<15}{'A':>6}{'B':>6}{'both':>6}{'F1':>7}{'kappa':>7}")
    for r in agreement(a, b):
        print(f"{r['label']:<15}{r['a']:>6}{r['b']:>6}{r['both']:>6}{r['f1']:>7.2f}{r['kappa']:>7.2f}")
