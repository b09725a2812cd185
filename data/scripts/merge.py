"""Two annotators' labels -> an adjudication queue, then -> the labeled set, split once.

    # 1. what the annotators disagree on, for the adjudicator (labels only, per label)
    python3 data/scripts/merge.py queue --batches B/*.jsonl --a A/*.jsonl --b B2/*.jsonl -o queue.jsonl
    # 2. agreed labels + adjudicated ones -> data/labeled/{train,test}.jsonl
    python3 data/scripts/merge.py final --batches ... --a ... --b ... --adjudicated adj.jsonl \
        --manifest data/labeled/sample-round*.jsonl --out data/labeled

Agreed labels are kept as both annotators gave them (the first annotator's span);
a label only one annotator gave goes to the adjudicator, who decides it against the
guide. The split is coach's stable hash of the id (`coach.evaluate.in_split`): the
`check` part is the test split, the `tune` part the training split, the same
partition `coach eval --split` and `coach train --split` use.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from coach.evaluate import in_split  # noqa: E402

TOP = ("blocking", "advocacy", "non_apology")
ELEMENTS = ("regret", "responsibility", "explanation", "repair", "repentance", "forgiveness")
LABELS = TOP + ELEMENTS


def read_jsonl(paths: list[str]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for p in paths:
        for line in open(p, encoding="utf-8"):
            if line.strip():
                row = json.loads(line)
                out[row["id"]] = row
    return out


def labels_of(a: dict) -> set[str]:
    return {k for k in TOP if a.get(k)} | set(a.get("apology") or [])


def queue(args) -> None:
    texts, a, b = read_jsonl(args.batches), read_jsonl(args.a), read_jsonl(args.b)
    n = 0
    with open(args.output, "w", encoding="utf-8") as out:
        for rid in sorted(set(a) & set(b)):
            la, lb = labels_of(a[rid]), labels_of(b[rid])
            disputed = sorted(la ^ lb, key=LABELS.index)
            if not disputed:
                continue
            n += 1
            votes = []
            for label in disputed:
                yes, no = (a[rid], b[rid]) if label in la else (b[rid], a[rid])
                votes.append({"label": label, "yes_span": yes["spans"].get(label, ""),
                              "yes_note": yes.get("note", ""), "no_note": no.get("note", "")})
            out.write(json.dumps({"id": rid, "text": texts[rid]["text"],
                                  "context": texts[rid].get("context", ""), "disputed": votes},
                                 ensure_ascii=False) + "\n")
    print(f"{n} utterances with at least one disputed label -> {args.output}")


def final(args) -> None:
    texts, a, b = read_jsonl(args.batches), read_jsonl(args.a), read_jsonl(args.b)
    adjudicated = read_jsonl(args.adjudicated) if args.adjudicated else {}
    manifest = read_jsonl(args.manifest)
    out_dir = Path(args.out)
    rows = {"train": [], "test": []}
    missing = 0
    for rid in sorted(set(a) & set(b)):
        la, lb = labels_of(a[rid]), labels_of(b[rid])
        labels = la & lb
        spans = {k: a[rid]["spans"][k] for k in labels}
        notes = []
        if la ^ lb:
            adj = adjudicated.get(rid)
            if adj is None:
                missing += 1
                continue
            for label in la ^ lb:
                if adj["decisions"].get(label):
                    labels.add(label)
                    spans[label] = adj["spans"].get(label) or (a[rid] if label in la else b[rid])["spans"][label]
            if adj.get("note"):
                notes.append(adj["note"])
        for label, span in spans.items():
            assert span in texts[rid]["text"], (rid, label, span)
        meta = manifest.get(rid, {})
        row = {
            "id": rid, "source": meta.get("source", ""), "brand": meta.get("brand", ""),
            "text": texts[rid]["text"], "context": texts[rid].get("context", ""),
            "labels": {"blocking": "blocking" in labels, "advocacy": "advocacy" in labels,
                       "non_apology": "non_apology" in labels,
                       "apology": [e for e in ELEMENTS if e in labels]},
            "spans": {k: spans[k] for k in LABELS if k in spans},
            "note": " ".join(notes) or (a[rid].get("note") or b[rid].get("note") or ""),
            "stratum": meta.get("stratum", ""),
        }
        rows["test" if in_split(rid, "check") else "train"].append(row)
    if missing:
        sys.exit(f"{missing} disputed utterances have no adjudication yet")
    out_dir.mkdir(parents=True, exist_ok=True)
    for split, items in rows.items():
        with open(out_dir / f"{split}.jsonl", "w", encoding="utf-8") as out:
            for row in items:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{split}: {len(items)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("queue", "final"):
        p = sub.add_parser(name)
        p.add_argument("--batches", nargs="+", required=True)
        p.add_argument("--a", nargs="+", required=True)
        p.add_argument("--b", nargs="+", required=True)
        if name == "queue":
            p.add_argument("-o", "--output", required=True)
        else:
            p.add_argument("--adjudicated", nargs="*", default=[])
            p.add_argument("--manifest", nargs="+", required=True)
            p.add_argument("--out", required=True)
    args = ap.parse_args()
    queue(args) if args.cmd == "queue" else final(args)


if __name__ == "__main__":
    main()
