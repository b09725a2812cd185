"""Labeled utterances -> a trained classifier, with thresholds and a held-out report.

Each utterance is cut into sentences (coach.model.features); a sentence is a positive
example of a label when it overlaps the span the labelers marked for it, a negative
when its utterance lacks the label, and is left out for that label otherwise (another
sentence of the reply carries it). One logistic regression per label (scikit-learn,
liblinear: deterministic) over hashed word uni- and bigrams.

The model works with the rules in two ways, each learned per label: it adds the
sentences it gives at least the label's `threshold` (wording no rule enumerates), and it
confirms rule findings of the positive labels (advocacy, the apology elements), which
stand only where it gives their sentence at least the label's `gate` (0 for labels whose
rules are precise on real text; higher for labels whose rules over-fire there, such as
"sorry" that only cushions a refusal). Blocking and non-apology rules are never gated.

Threshold, gate and regularization strength are chosen by K-fold cross-validation over
the training files only, grouped by utterance: every utterance is predicted by a model
that never saw it, and the choice maximizes F1 of rules and model together as coach runs
them, ties going to the lower gate and the higher, more precise threshold. The measure
is F-beta with beta 0.5 by default: precision weighs more than recall, because a report
topped by wrong findings loses a supervisor's trust faster than a missed one (and the
labeled conventions for blocking vary between labelers more than for other labels).
The final model is then fitted on all the training data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..evaluate import Item
from .features import Sentences, SentenceSplitter, lookup
from .rules import LABELS
from .store import HASH_PROBE, ModelData

if TYPE_CHECKING:  # pragma: no cover
    from scipy.sparse import csr_matrix

#: Regularization strengths tried per label (inverse: smaller is stronger).
C_GRID = (2.0, 4.0, 8.0, 16.0)
#: Gates tried per label: the probability a rule finding's sentence needs to stand.
GATE_GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5)
#: Labels whose rule findings the model never hides: a blocking or non-apology rule fails
#: CI runs and drives fixes, so it must fire wherever its phrase is (the model only adds).
UNGATED = frozenset({"blocking", "non_apology"})
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
    gate: float
    c: float
    model: tuple[int, int, int]  # tp, fp, fn at utterance level, the model alone at its best threshold
    combined: tuple[int, int, int]
    rules: tuple[int, int, int]

    @staticmethod
    def prf(counts: tuple[int, int, int]) -> tuple[float, float, float]:
        tp, fp, fn = counts
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    def to_dict(self) -> dict:
        out: dict = {
            "label": self.label,
            "support": self.support,
            "threshold": round(self.threshold, 4),
            "gate": self.gate,
            "c": self.c,
        }
        for name in ("rules", "model", "combined"):
            p, r, f = self.prf(getattr(self, name))
            out[name] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}
        return out


def f_beta(counts: tuple[int, int, int], beta: float) -> float:
    """F-beta of (tp, fp, fn): beta < 1 weighs precision more, as a report read by a
    supervisor needs (a wrong finding costs more trust than a missed one)."""
    p, r, _ = LabelReport.prf(counts)
    b2 = beta * beta
    return (1 + b2) * p * r / (b2 * p + r) if p + r else 0.0


@dataclass
class Prepared:
    """Training sentences: features (CSR), per-label targets (1, 0, or -1 = left out) and
    the utterance each sentence belongs to."""

    items: list[Item]
    x: csr_matrix
    y: np.ndarray
    owner: np.ndarray
    vocabulary: np.ndarray
    bounds: np.ndarray  # (sentences x 2) character span of each sentence in its original text
    missing_spans: int = 0


@dataclass
class Result:
    model: ModelData
    reports: list[LabelReport] = field(default_factory=list)
    sentences: int = 0


def prepare(
    items: Sequence[Item], labels: Sequence[str] = LABELS, min_count: int = MIN_COUNT, trigrams: bool = False
) -> Prepared:
    """Tokenize the utterances, cut sentences, label them from the spans, build features."""
    from scipy.sparse import csr_matrix

    from ..engine.nlp import get_nlp
    from ..engine.normalize import normalize

    nlp = get_nlp()
    norms = [normalize(item.text) for item in items]
    docs = list(nlp.tokenizer.pipe([n.text for n in norms], batch_size=256))
    sentences = SentenceSplitter(nlp.vocab.strings).split(docs, trigrams=trigrams)
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
    bounds = np.zeros((n, 2), dtype=np.int64)
    for s in range(n):
        d = int(sentences.doc[s])
        doc, norm = docs[d], norms[d]
        first, last = doc[int(sentences.start[s])], doc[int(sentences.end[s]) - 1]
        lo, hi = norm.orig_span(first.idx, last.idx + len(last.text))
        bounds[s] = lo, hi
        for j, label in enumerate(labels):
            if label not in items[d].labels:
                continue
            span = spans.get((d, label))
            y[s, j] = 1 if span is not None and span[0] < hi and lo < span[1] else -1
    vocabulary = _vocabulary(sentences, min_count)
    x = _matrix(sentences, vocabulary, csr_matrix)
    return Prepared(list(items), x, y, sentences.doc.copy(), vocabulary, bounds, missing)


def _vocabulary(sentences: Sentences, min_count: int) -> np.ndarray:
    """Keys occurring in at least `min_count` sentences, sorted."""
    per_sentence = [np.unique(sentences.keys[a:b]) for a, b in zip(sentences.offsets[:-1], sentences.offsets[1:])]
    if not per_sentence:
        return np.zeros(0, dtype=np.uint64)
    keys, counts = np.unique(np.concatenate(per_sentence), return_counts=True)
    return keys[counts >= min_count]


def _matrix(sentences: Sentences, vocabulary: np.ndarray, csr_matrix) -> csr_matrix:
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
    digest = hashlib.sha256(f"{seed}:{item_id}".encode()).hexdigest()
    return int(digest[:8], 16) % folds


def _fit(x, y, c: float, seed: int):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, solver="liblinear", class_weight="balanced", random_state=seed, max_iter=1000)
    model.fit(x, y)
    return model


def _utterance_max(probs: np.ndarray, owner: np.ndarray, items: int) -> np.ndarray:
    out = np.zeros(items, dtype=np.float64)
    np.maximum.at(out, owner, probs)
    return out


#: A rule finding as training sees it: (label, start, end) in the original text.
RuleHit = tuple[str, int, int]


def _rule_support(prepared: Prepared, hits: Sequence[Sequence[RuleHit]], label: str, probs: np.ndarray) -> np.ndarray:
    """Per utterance, the highest probability the model gives a sentence that one of the
    rules' findings of `label` overlaps (-1 where no rule found the label): a gate of g
    keeps the utterance's rule label exactly when this is >= g."""
    out = np.full(len(prepared.items), -1.0)
    first = np.searchsorted(prepared.owner, np.arange(len(prepared.items)))
    last = np.searchsorted(prepared.owner, np.arange(len(prepared.items)), side="right")
    for d, found in enumerate(hits):
        for hit_label, start, end in found:
            if hit_label != label:
                continue
            best = 0.0
            for s in range(first[d], last[d]):
                lo, hi = prepared.bounds[s]
                if lo < end and start < hi:
                    best = max(best, probs[s])
            out[d] = max(out[d], best)
    return out


def best_threshold(
    probs: np.ndarray, truth: np.ndarray, rules: np.ndarray, beta: float = 1.0
) -> tuple[float, tuple[int, int, int]]:
    """The threshold maximizing F-beta of (rules or prob >= t); ties go to the higher t."""
    candidates = np.unique(np.concatenate((probs, np.linspace(0.05, 0.95, 19))))
    best, best_f, best_counts = 0.5, -1.0, (0, 0, 0)
    for t in candidates[::-1]:
        pred = rules | (probs >= t)
        counts = _counts(pred, truth)
        f = f_beta(counts, beta)
        if f > best_f + 1e-12:
            best, best_f, best_counts = float(t), f, counts
    return best, best_counts


def best_gate(
    probs: np.ndarray, truth: np.ndarray, support: np.ndarray, gates: Sequence[float] = GATE_GRID, beta: float = 1.0
) -> tuple[float, float, tuple[int, int, int]]:
    """(gate, threshold, counts) maximizing F-beta of (rule confirmed or prob >= t)."""
    best = (-1.0, 0.0, 0.5, (0, 0, 0))
    for gate in gates:
        threshold, counts = best_threshold(probs, truth, support >= gate, beta)
        f = f_beta(counts, beta)
        if f > best[0] + 1e-9:
            best = (f, gate, threshold, counts)
    return best[1], best[2], best[3]


def _counts(pred: np.ndarray, truth: np.ndarray) -> tuple[int, int, int]:
    return int((pred & truth).sum()), int((pred & ~truth).sum()), int((~pred & truth).sum())


def train(
    items: Sequence[Item],
    rule_hits: Sequence[Sequence[RuleHit]] | None = None,
    *,
    labels: Sequence[str] = LABELS,
    seed: int = 0,
    folds: int = FOLDS,
    c_grid: Sequence[float] = C_GRID,
    gate_grid: Sequence[float] = GATE_GRID,
    min_count: int = MIN_COUNT,
    beta: float | dict[str, float] = 0.5,
    progress: Callable[[int, int], None] | None = None,
    meta: dict | None = None,
) -> Result:
    """Train one classifier per label; `rule_hits[i]` are the phrasebooks' findings in
    utterance i (threshold and gate are tuned for rules and model together; None: for
    the model alone). `beta`: the F-beta the choices maximize, one for all labels or per
    label (missing labels: 1)."""
    if len(items) < folds * 2:
        raise TrainingError(f"{len(items)} labeled utterances are too few to train (need {folds * 2}+)")
    prepared = prepare(items, labels, min_count)
    n_items = len(items)
    hits = rule_hits if rule_hits is not None else [()] * n_items
    gate_grid = gate_grid if rule_hits is not None else (0.0,)
    fold = np.array([fold_of(item.id, seed, folds) for item in items])[prepared.owner]
    trained = [
        lab for j, lab in enumerate(labels) if (prepared.y[:, j] == 1).sum() >= 2 and (prepared.y[:, j] == 0).sum() >= 2
    ]
    total = len(trained) * (len(c_grid) * folds + 1)
    done = 0
    weights = np.zeros((len(prepared.vocabulary), len(trained)), dtype=np.float32)
    bias = np.zeros(len(trained), dtype=np.float32)
    thresholds = np.zeros(len(trained), dtype=np.float32)
    gates = np.zeros(len(trained), dtype=np.float32)
    reports = []
    for k, label in enumerate(trained):
        j = list(labels).index(label)
        target = prepared.y[:, j]
        truth = np.array([label in item.labels for item in items])
        by_rules = np.array([any(h[0] == label for h in found) for found in hits])
        b = beta.get(label, 1.0) if isinstance(beta, dict) else beta
        grid = (0.0,) if label in UNGATED else gate_grid
        best = None
        for c in c_grid:
            oof = np.zeros(len(target))
            for f in range(folds):
                fit_rows = (fold != f) & (target >= 0)
                test_rows = fold == f
                if len(np.unique(target[fit_rows])) == 2:
                    oof[test_rows] = _fit(prepared.x[fit_rows], target[fit_rows], c, seed).predict_proba(
                        prepared.x[test_rows]
                    )[:, 1]
                done += 1
                if progress:
                    progress(done, total)
            utter = _utterance_max(oof, prepared.owner, n_items)
            support = _rule_support(prepared, hits, label, oof)
            gate, threshold, combined = best_gate(utter, truth, support, grid, b)
            f1 = f_beta(combined, b)
            if best is None or f1 > best[0] + 1e-9:
                alone = best_threshold(utter, truth, np.zeros(n_items, dtype=bool))[1]
                best = (f1, c, gate, threshold, combined, alone)
        assert best is not None  # c_grid is never empty
        _, c, gate, threshold, combined, model_counts = best
        final = _fit(prepared.x[target >= 0], target[target >= 0], c, seed)
        done += 1
        if progress:
            progress(done, total)
        weights[:, k] = final.coef_[0]
        bias[k] = final.intercept_[0]
        thresholds[k] = threshold
        gates[k] = gate
        reports.append(
            LabelReport(label, int(truth.sum()), threshold, gate, c, model_counts, combined, _counts(by_rules, truth))
        )
    from spacy.strings import hash_string  # type: ignore[attr-defined]  # Cython, no stub

    info = {
        **(meta or {}),
        "seed": seed,
        "folds": folds,
        "c_grid": list(c_grid),
        "gate_grid": list(gate_grid),
        "beta": beta,
        "min_count": min_count,
        "utterances": n_items,
        "sentences": int(prepared.x.shape[0]),
        "features": int(len(prepared.vocabulary)),
        "missing_spans": prepared.missing_spans,
        "hash_probe": int(hash_string(HASH_PROBE)),
        "cross_validated": [r.to_dict() for r in reports],
    }
    data = ModelData(tuple(trained), prepared.vocabulary, weights, bias, thresholds, gates, info)
    return Result(data, reports, int(prepared.x.shape[0]))
