"""The trained classifier applied to Docs: sentence probabilities -> model findings.

A linear model over hashed word n-grams (coach.model.features): each sentence's score
for a label is its bias plus the sum of the weights of its known features, divided by
the square root of how many there are, through a logistic function. Computed for a
whole batch of Docs at once with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from ..models import Finding, Rule
from .features import SentenceSplitter, Sentences, lookup
from .rules import evidence_message
from .store import ModelData

if TYPE_CHECKING:  # pragma: no cover
    from spacy.tokens import Doc

    from ..engine.normalize import Normalized


@dataclass(frozen=True, slots=True)
class Prediction:
    """A label the model gives one sentence: tokens [start, end) of the Doc."""

    label: str
    start: int
    end: int
    probability: float


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

    def predict(self, docs: Sequence["Doc"]) -> list[list[Prediction]]:
        """Per Doc, the (sentence, label) pairs at or above the label's threshold."""
        out: list[list[Prediction]] = [[] for _ in docs]
        if not self.labels or not docs:
            return out
        sentences = self.splitter.split(docs)
        probs = self.probabilities(sentences)
        hits = np.argwhere(probs >= self.thresholds)
        for s, j in hits.tolist():
            out[int(sentences.doc[s])].append(Prediction(
                self.labels[j], int(sentences.start[s]), int(sentences.end[s]), float(probs[s, j])))
        return out

    def findings(self, doc: "Doc", norm: "Normalized", predictions: list[Prediction]) -> list[Finding]:
        """Model findings for one Doc, with offsets into the original text like rule findings."""
        out = []
        for p in predictions:
            rule = self.rules[p.label]
            first, last = doc[p.start], doc[p.end - 1]
            start, end = norm.orig_span(first.idx, last.idx + len(last.text))
            line, column = norm.line_col(start)
            out.append(Finding(
                rule=rule.id, category=rule.category, element=rule.element, severity=rule.severity,
                start=start, end=end, line=line, column=column, text=norm.original[start:end],
                message=evidence_message(rule, p.probability, self.evidence(doc, p)),
                rewrites=rule.rewrites, source="model", confidence=round(p.probability, 3)))
        return out

    def evidence(self, doc: "Doc", p: Prediction, top: int = 3) -> list[str]:
        """The words of the sentence that pushed hardest toward the label (for the message)."""
        j = self.labels.index(p.label)
        tokens = [t for t in doc[p.start:p.end] if not t.is_space and not t.is_punct]
        if not tokens:
            return []
        keys = np.array([t.norm for t in tokens], dtype=np.uint64)
        rows = lookup(self.data.vocabulary, keys)
        scored = sorted(((float(self.weights[r, j]), i) for i, r in enumerate(rows.tolist()) if r >= 0),
                        reverse=True)
        words: list[str] = []
        for weight, i in scored:
            word = tokens[i].text
            if weight <= 0 or len(words) == top:
                break
            if word.lower() not in (w.lower() for w in words):
                words.append(word)
        return words


def load_classifier(model: str | bool, rules: Iterable[Rule], strings) -> Classifier | None:
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
