"""Does the customer's message before the reply help the classifier? (docs/accuracy.md)

Run by hand in the virtual environment of bench/embedding_ablation.py (it needs
scikit-learn, which coach does not):

    /tmp/ablation/bin/python bench/context_ablation.py

On data/labeled/train.jsonl only (never the test split): per label, 5-fold out-of-fold
probabilities of a logistic regression on TF-IDF word 1-2 and character 2-5-grams of the
reply, with and without a TF-IDF block of the customer's message (`context`, weight 0.5),
scored by the best F1 over thresholds (optimistic for both arms alike: a paired comparison).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_recall_curve
from sklearn.model_selection import StratifiedKFold

DATA = Path(__file__).resolve().parents[1] / "data" / "labeled" / "train.jsonl"
LABELS = ("blocking", "advocacy", "non_apology", "repair", "explanation")


def labels_of(row: dict) -> set[str]:
    marks = row["labels"]
    return {k for k in ("blocking", "advocacy", "non_apology") if marks.get(k)} | set(marks.get("apology") or [])


def best_f1(y: np.ndarray, p: np.ndarray) -> float:
    precision, recall, _ = precision_recall_curve(y, p)
    return float((2 * precision * recall / np.maximum(precision + recall, 1e-9)).max())


def out_of_fold(texts: list[str], context: list[str] | None, y: np.ndarray) -> np.ndarray:
    oof = np.zeros(len(texts))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(texts, y):
        blocks = [
            (TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True), texts, 1.0),
            (TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True), texts, 1.0),
        ]
        if context is not None:
            blocks.append((TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True), context, 0.5))
        fit = [w * v.fit_transform([src[i] for i in train]) for v, src, w in blocks]
        apply = [w * v.transform([src[i] for i in test]) for v, src, w in blocks]
        model = LogisticRegression(C=10, class_weight="balanced", solver="liblinear")
        model.fit(sp.hstack(fit).tocsr(), y[train])
        oof[test] = model.predict_proba(sp.hstack(apply).tocsr())[:, 1]
    return oof


def main() -> None:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [r["text"] for r in rows]
    context = [r.get("context") or "" for r in rows]
    print(f"{len(rows)} replies, {sum(1 for c in context if c)} with the customer's message")
    print("label  positives  reply  reply+customer")
    for label in LABELS:
        y = np.array([label in labels_of(r) for r in rows], dtype=int)
        alone, both = best_f1(y, out_of_fold(texts, None, y)), best_f1(y, out_of_fold(texts, context, y))
        print(f"{label}  {y.sum()}  {alone:.3f}  {both:.3f}")


if __name__ == "__main__":
    main()
