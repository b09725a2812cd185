"""Labeled utterances -> a trained classifier, with thresholds and a held-out report.

Each utterance is cut into sentences (coach.model.features); a sentence is a positive
example of a label when it overlaps the span the labelers marked for it, a negative
when its utterance lacks the label, and is left out for that label otherwise (another
sentence of the reply carries it). One logistic regression per label (scikit-learn,
liblinear: deterministic) over hashed word uni- and bigrams.

Thresholds and the regularization strength are chosen by K-fold cross-validation over
the training files only, grouped by utterance: every utterance is predicted by a model
that never saw it, and the threshold of each label is the one that maximizes F1 of the
rules and the model together (they run together), ties going to the higher, more
precise threshold. The final model is then fitted on all the training data.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from ..evaluate import Item
from .features import SentenceSplitter, Sentences, lookup
from .rules import LABELS
from .store import HASH_PROBE, ModelData

if TYPE_CHECKING:  # pragma: no cover
    from scipy.sparse import csr_matrix

#: Regularization strengths tried per label (inverse: smaller is stronger).
C_GRID = (0.5, 1.0, 2.0, 4.0, 8.0)
FOLDS = 5
MIN_COUNT = 2  # a feature must occur in this many training sentences


class TrainingError(Exception):
    """Not enough data to train (a label without positives is skipped, not an error)."""


@dataclass
class LabelReport:
    """Cross-validated quality of one label: model alone and rules + model."""

    label: str
    support: int
    threshold: float
    c: float
    model: tuple[int, int, int]  # tp, fp, fn at utterance level
    combined: tuple[int, int, int]
    rules: tuple[int, int, int]

    @staticmethod
    def prf(counts: tuple[int, int, int]) -> tuple[float, float, float]:
        tp, fp, fn = counts
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    def to_dict(self) -> dict:
        out: dict = {"label": self.label, "support": self.support, "threshold": round(self.threshold, 4),
                     "c": self.c}
        for name in ("rules", "model", "combined"):
            p, r, f = self.prf(getattr(self, name))
            out[name] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}
        return out


@dataclass
class Prepared:
    """Training sentences: features (CSR), per-label targets (1, 0, or -1 = left out) and
    the utterance each sentence belongs to."""

    items: list[Item]
    x: "csr_matrix"
    y: np.ndarray
    owner: np.ndarray
    vocabulary: np.ndarray
    missing_spans: int = 0


@dataclass
class Result:
    model: ModelData
    reports: list[LabelReport] = field(default_factory=list)
    sentences: int = 0


def prepare(items: Sequence[Item], labels: Sequence[str] = LABELS,
            min_count: int = MIN_COUNT) -> Prepared:
    """Tokenize the utterances, cut sentences, label them from the spans, build features."""
    from scipy.sparse import csr_matrix

    from ..engine.nlp import get_nlp
    from ..engine.normalize import normalize

    nlp = get_nlp()
    norms = [normalize(item.text) for item in items]
    docs = list(nlp.tokenizer.pipe([n.text for n in norms], batch_size=256))
    sentences = SentenceSplitter(nlp.vocab.strings).split(docs)
    n = len(sentences)
    y = np.zeros((n, len(labels)), dtype=np.int8)
    missing = 0
    spans: dict[tuple[int, str], tuple[int, int] | None] = {}
    for d, item in enumerate(items):
        for label in item.labels:
            if label not in labels:
                continue
            text = item.spans.get(label)
            text = text if isinstance(text, str) else (text[0] if isinstance(text, list) and text else "")
            at = item.text.find(text) if text else -1
            spans[(d, label)] = (at, at + len(text)) if at >= 0 else None
            missing += at < 0
    for s in range(n):
        d = int(sentences.doc[s])
        doc, norm = docs[d], norms[d]
        first, last = doc[int(sentences.start[s])], doc[int(sentences.end[s]) - 1]
        lo, hi = norm.orig_span(first.idx, last.idx + len(last.text))
        for j, label in enumerate(labels):
            if label not in items[d].labels:
                continue
            span = spans.get((d, label))
            y[s, j] = 1 if span is not None and span[0] < hi and lo < span[1] else -1
    vocabulary = _vocabulary(sentences, min_count)
    x = _matrix(sentences, vocabulary, csr_matrix)
    return Prepared(list(items), x, y, sentences.doc.copy(), vocabulary, missing)


def _vocabulary(sentences: Sentences, min_count: int) -> np.ndarray:
    """Keys occurring in at least `min_count` sentences, sorted."""
    per_sentence = [np.unique(sentences.keys[a:b]) for a, b in zip(sentences.offsets[:-1], sentences.offsets[1:])]
    if not per_sentence:
        return np.zeros(0, dtype=np.uint64)
    keys, counts = np.unique(np.concatenate(per_sentence), return_counts=True)
    return keys[counts >= min_count]


def _matrix(sentences: Sentences, vocabulary: np.ndarray, csr_matrix) -> "csr_matrix":
    """Rows of count / sqrt(known features in the sentence): exactly what prediction sums."""
    rows = lookup(vocabulary, sentences.keys)
    owner = np.repeat(np.arange(len(sentences)), np.diff(sentences.offsets))
    known = rows >= 0
    owner, rows = owner[known], rows[known]
    counts = np.bincount(owner, minlength=len(sentences)).astype(np.float64)
    values = 1.0 / np.sqrt(np.maximum(counts[owner], 1.0))
    x = csr_matrix((values, (owner, rows)), shape=(len(sentences), len(vocabulary)))
    x.sum_duplicates()  # repeated features add up to count / sqrt(n)
    return x


def fold_of(item_id: str, seed: int, folds: int) -> int:
    digest = hashlib.sha256(f"{seed}:{item_id}".encode("utf-8")).hexdigest()
    return int(digest[:8], 16) % folds


def _fit(x, y, c: float, seed: int):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, solver="liblinear", random_state=seed, max_iter=1000)
    model.fit(x, y)
    return model


def _utterance_max(probs: np.ndarray, owner: np.ndarray, items: int) -> np.ndarray:
    out = np.zeros(items, dtype=np.float64)
    np.maximum.at(out, owner, probs)
    return out


def best_threshold(probs: np.ndarray, truth: np.ndarray, rules: np.ndarray) -> tuple[float, tuple[int, int, int]]:
    """The threshold maximizing F1 of (rules or prob >= t); ties go to the higher t."""
    candidates = np.unique(np.concatenate((probs, np.linspace(0.05, 0.95, 19))))
    best, best_f1, best_counts = 0.5, -1.0, (0, 0, 0)
    for t in candidates[::-1]:
        pred = rules | (probs >= t)
        counts = _counts(pred, truth)
        f1 = LabelReport.prf(counts)[2]
        if f1 > best_f1 + 1e-12:
            best, best_f1, best_counts = float(t), f1, counts
    return best, best_counts


def _counts(pred: np.ndarray, truth: np.ndarray) -> tuple[int, int, int]:
    return int((pred & truth).sum()), int((pred & ~truth).sum()), int((~pred & truth).sum())


def train(items: Sequence[Item], rule_labels: Sequence[frozenset[str]] | None = None, *,
          labels: Sequence[str] = LABELS, seed: int = 0, folds: int = FOLDS,
          c_grid: Sequence[float] = C_GRID, min_count: int = MIN_COUNT,
          progress: Callable[[int, int], None] | None = None, meta: dict | None = None) -> Result:
    """Train one classifier per label; `rule_labels[i]` are the labels the phrasebooks give
    utterance i (thresholds are tuned for rules and model together; none: model alone)."""
    if len(items) < folds * 2:
        raise TrainingError(f"{len(items)} labeled utterances are too few to train (need {folds * 2}+)")
    prepared = prepare(items, labels, min_count)
    n_items = len(items)
    rule_labels = rule_labels or [frozenset()] * n_items
    fold = np.array([fold_of(item.id, seed, folds) for item in items])[prepared.owner]
    trained = [lab for j, lab in enumerate(labels) if (prepared.y[:, j] == 1).sum() >= 2
               and (prepared.y[:, j] == 0).sum() >= 2]
    total = len(trained) * (len(c_grid) * folds + 1)
    done = 0
    weights = np.zeros((len(prepared.vocabulary), len(trained)), dtype=np.float32)
    bias = np.zeros(len(trained), dtype=np.float32)
    thresholds = np.zeros(len(trained), dtype=np.float32)
    reports = []
    for k, label in enumerate(trained):
        j = list(labels).index(label)
        target = prepared.y[:, j]
        truth = np.array([label in item.labels for item in items])
        by_rules = np.array([label in found for found in rule_labels])
        best = None
        for c in c_grid:
            oof = np.zeros(len(target))
            for f in range(folds):
                fit_rows = (fold != f) & (target >= 0)
                if len(np.unique(target[fit_rows])) < 2:
                    done += 1
                    continue
                model = _fit(prepared.x[fit_rows], target[fit_rows], c, seed)
                test_rows = fold == f
                oof[test_rows] = model.predict_proba(prepared.x[test_rows])[:, 1]
                done += 1
                if progress:
                    progress(done, total)
            utter = _utterance_max(oof, prepared.owner, n_items)
            threshold, combined = best_threshold(utter, truth, by_rules)
            f1 = LabelReport.prf(combined)[2]
            if best is None or f1 > best[0] + 1e-9:
                model_counts = _counts(utter >= threshold, truth)
                best = (f1, c, threshold, combined, model_counts)
        _, c, threshold, combined, model_counts = best
        final = _fit(prepared.x[target >= 0], target[target >= 0], c, seed)
        done += 1
        if progress:
            progress(done, total)
        weights[:, k] = final.coef_[0]
        bias[k] = final.intercept_[0]
        thresholds[k] = threshold
        reports.append(LabelReport(label, int(truth.sum()), threshold, c, model_counts, combined,
                                   _counts(by_rules, truth)))
    from spacy.strings import hash_string

    info = {**(meta or {}), "seed": seed, "folds": folds, "c_grid": list(c_grid), "min_count": min_count,
            "utterances": n_items, "sentences": int(prepared.x.shape[0]),
            "features": int(len(prepared.vocabulary)), "missing_spans": prepared.missing_spans,
            "hash_probe": int(hash_string(HASH_PROBE)),
            "cross_validated": [r.to_dict() for r in reports]}
    data = ModelData(tuple(trained), prepared.vocabulary, weights, bias, thresholds, info)
    return Result(data, reports, int(prepared.x.shape[0]))
