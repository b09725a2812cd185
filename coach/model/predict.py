"""The trained classifier applied to Docs: sentence probabilities -> model findings.

A linear model over hashed word n-grams (coach.model.features): each sentence's score
for a label is its bias plus the sum of the weights of its known features, divided by
the square root of how many there are, through a logistic function. Computed for a
whole batch of Docs at once with numpy.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..models import Finding, Rule
from .features import Sentences, SentenceSplitter, bigram_keys, lookup
from .rules import evidence_message
from .store import ModelData

#: A model finding of a failing category (blocking, non_apology) keeps its rule's
#: severity at or above this confidence and is `info` below it, so CI gates and exit
#: codes only fail on the model's confident readings (rules keep their own severity).
CONFIDENT = 0.9

if TYPE_CHECKING:  # pragma: no cover
    from spacy.tokens import Doc

    from ..engine.normalize import Normalized


class BatchScores:
    """The model's probabilities for every sentence of a batch of Docs, and which
    (sentence, label) pairs reach the label's threshold: computed once per batch, read
    per Doc only where there is something to read."""

    def __init__(self, sentences: Sentences, probs: np.ndarray, thresholds: np.ndarray, docs: int) -> None:
        self.sentences, self.probs = sentences, probs
        self.cuts = np.searchsorted(sentences.doc, np.arange(docs + 1)).tolist()
        hits = np.argwhere(probs >= thresholds)
        self.hits: dict[int, list[tuple[int, int]]] = {}
        for s, j in hits.tolist():
            self.hits.setdefault(int(sentences.doc[s]), []).append((s, j))

    def spans(self, d: int, doc: Doc, norm: Normalized) -> list[tuple[int, int, int]]:
        """(sentence row, start, end) of Doc d's sentences, as characters of the original text."""
        out = []
        for s in range(self.cuts[d], self.cuts[d + 1]):
            first, last = doc[int(self.sentences.start[s])], doc[int(self.sentences.end[s]) - 1]
            out.append((s, *norm.orig_span(first.idx, last.idx + len(last.text))))
        return out


class Classifier:
    """A loaded model, restricted to the labels whose model rules are selected."""

    def __init__(self, data: ModelData, rules: Iterable[Rule], strings) -> None:
        self.data = data
        self.rules = {r.label: r for r in rules}
        self.columns = [i for i, label in enumerate(data.labels) if label in self.rules]
        self.labels = [data.labels[i] for i in self.columns]
        self.weights = np.ascontiguousarray(data.weights[:, self.columns])
        self.bias = data.bias[self.columns]
        self.thresholds = data.thresholds[self.columns]
        self.gates = {label: float(data.gates[i]) for label, i in zip(self.labels, self.columns) if data.gates[i] > 0}
        #: Only the rules the model was trained beside are gated (a team's later rules never are).
        self.gated_rules = frozenset(data.meta.get("rules") or ())
        self.splitter = SentenceSplitter(strings)

    def probabilities(self, sentences: Sentences) -> np.ndarray:
        """(sentences x labels) probabilities."""
        n = len(sentences)
        if not n or not self.labels:
            return np.zeros((n, len(self.labels)), dtype=np.float32)
        rows = lookup(self.data.vocabulary, sentences.keys)
        owner = np.repeat(np.arange(n), np.diff(sentences.offsets))
        known = rows >= 0
        owner, rows = owner[known], rows[known]
        counts = np.bincount(owner, minlength=n).astype(np.float32)
        sums = np.zeros((n, len(self.labels)), dtype=np.float32)
        if len(rows):
            weights = self.weights[rows]
            for j in range(len(self.labels)):
                sums[:, j] = np.bincount(owner, weights=weights[:, j], minlength=n)
        z = self.bias + sums / np.sqrt(np.maximum(counts, 1.0))[:, None]
        return 1.0 / (1.0 + np.exp(-z))

    def score(self, docs: Sequence[Doc]) -> BatchScores:
        """Every sentence of every Doc, with its probabilities (one numpy pass per batch)."""
        sentences = self.splitter.split(docs)
        return BatchScores(sentences, self.probabilities(sentences), self.thresholds, len(docs))

    def findings(self, d: int, doc: Doc, norm: Normalized, scores: BatchScores) -> list[Finding]:
        """Model findings of Doc d of the batch: sentences at or above a label's threshold,
        with offsets into the original text like rule findings."""
        out = []
        for s, j in scores.hits.get(d, ()):
            label = self.labels[j]
            rule = self.rules[label]
            first, last = doc[int(scores.sentences.start[s])], doc[int(scores.sentences.end[s]) - 1]
            start, end = norm.orig_span(first.idx, last.idx + len(last.text))
            line, column = norm.line_col(start)
            probability = round(float(scores.probs[s, j]), 2)
            words = self.evidence(doc, first.i, last.i + 1, j)
            severity = rule.severity if probability >= CONFIDENT or rule.severity == "info" else "info"
            out.append(
                Finding(
                    rule=rule.id,
                    category=rule.category,
                    element=rule.element,
                    severity=severity,
                    start=start,
                    end=end,
                    line=line,
                    column=column,
                    text=norm.original[start:end],
                    message=evidence_message(rule, probability, words),
                    rewrites=rule.rewrites,
                    source="model",
                    confidence=probability,
                )
            )
        return out

    def confirmed(self, d: int, doc: Doc, norm: Normalized, scores: BatchScores, found: list[Finding]) -> list[Finding]:
        """The rule findings of Doc d that stand: a gated rule's finding needs the model to
        give a sentence it overlaps at least the label's gate."""
        gates, gated = self.gates, self.gated_rules
        if not gates or not any(f.label in gates and f.rule in gated for f in found):
            return found
        spans = scores.spans(d, doc, norm)
        kept = []
        for f in found:
            gate = gates.get(f.label)
            if gate is None or f.rule not in gated:
                kept.append(f)
                continue
            j = self.labels.index(f.label)
            if any(lo < f.end and f.start < hi and scores.probs[s, j] >= gate for s, lo, hi in spans):
                kept.append(f)
        return kept

    def evidence(self, doc: Doc, start: int, end: int, j: int, top: int = 3) -> list[str]:
        """The words and word pairs of the sentence that pushed hardest toward label j, as
        written (for the message): what a person can check the model's reading against."""
        tokens = [t for t in doc[start:end] if not t.is_space]
        if not tokens:
            return []
        norms = np.array([t.norm for t in tokens], dtype=np.uint64)
        keys = np.concatenate((norms, bigram_keys(norms[:-1], norms[1:])))
        spans = [(i, i + 1) for i in range(len(tokens))] + [(i, i + 2) for i in range(len(tokens) - 1)]
        rows = lookup(self.data.vocabulary, keys)
        scored = sorted(((float(self.weights[r, j]), k) for k, r in enumerate(rows.tolist()) if r >= 0), reverse=True)
        taken: list[tuple[int, int]] = []
        for weight, k in scored:
            if weight <= 0 or len(taken) == top:
                break
            a, b = spans[k]
            if all(t.is_punct for t in tokens[a:b]) or any(a < y and x < b for x, y in taken):
                continue
            taken.append((a, b))
        return [doc[tokens[a].i : tokens[b - 1].i + 1].text for a, b in sorted(taken)]


def load_classifier(model: str | os.PathLike[str] | bool, rules: Iterable[Rule], strings) -> Classifier | None:
    """The bundled model (`True`), a model folder (a path), or none (`False`)."""
    from .store import BUNDLED, bundled_available, load

    if model is False or model is None:
        return None
    rules = list(rules)
    if not rules:
        return None
    if model is True:
        if not bundled_available():
            return None
        return Classifier(load(BUNDLED), rules, strings)
    return Classifier(load(model), rules, strings)
