"""Labeled utterances -> precision, recall and F1 per label (pure; no CLI, no rich).

The labeled format (data/labeled/README.md): one JSON object per line with `text`,
optional `context`, and `labels` {blocking, advocacy, non_apology: bool,
apology: [elements]}. `split` gives a stable tune/check partition by id, so
authors can tune rules on one part and confirm on the other.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError
from .models import APOLOGY_ELEMENTS, Finding
from .textfix import SURROGATE_ESCAPE, repair_tree

if TYPE_CHECKING:  # pragma: no cover
    from .analyzer import Sources

LABELS = ("blocking", "advocacy", "non_apology") + APOLOGY_ELEMENTS
CHECK_SHARE = 0.3


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    labels: frozenset[str]
    spans: dict
    path: str
    line: int
    source: str = ""


@dataclass
class LabelScore:
    label: str
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "support": self.support,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass(frozen=True)
class ErrorCase:
    """A false positive (rules fired, label absent) or false negative (label missed)."""

    kind: str  # "fp" | "fn"
    label: str
    item: Item
    rules: tuple[str, ...]
    spans: tuple[str, ...]


@dataclass
class Evaluation:
    scores: dict[str, LabelScore]
    errors: list[ErrorCase] = field(default_factory=list)
    fired: set[str] = field(default_factory=set)
    items: int = 0

    def micro(self) -> LabelScore:
        total = LabelScore("micro")
        for s in self.scores.values():
            total.tp += s.tp
            total.fp += s.fp
            total.fn += s.fn
        return total

    def macro(self) -> dict[str, float]:
        used = [s for s in self.scores.values() if s.support or s.fp]
        n = len(used) or 1
        return {
            "precision": round(sum(s.precision for s in used) / n, 4),
            "recall": round(sum(s.recall for s in used) / n, 4),
            "f1": round(sum(s.f1 for s in used) / n, 4),
        }

    def to_dict(self) -> dict:
        micro = self.micro().to_dict()
        micro.pop("label")
        return {
            "schema": "coach-eval/1",
            "items": self.items,
            "labels": [s.to_dict() for s in self.scores.values()],
            "micro": micro,
            "macro": self.macro(),
        }


def in_split(item_id: str, split: str) -> bool:
    """Stable partition by id: ~30% of items are `check`, the rest `tune`."""
    if split == "all":
        return True
    bucket = int(hashlib.sha256(item_id.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF
    return (bucket < CHECK_SHARE) == (split == "check")


#: A labeled line longer than this is not an utterance (/dev/zero, a binary file): refused
#: before it fills memory.
MAX_LINE_CHARS = 4 * 1024 * 1024
_FLAGS = ("blocking", "advocacy", "non_apology")
_HINT = "see the labeled format in data/labeled/README.md"


def _labels(labels_in: dict) -> set[str]:
    """The true labels of one item; a wrongly typed or unknown label is an error, not a silent false."""
    labels: set[str] = set()
    for key, value in labels_in.items():
        if key in _FLAGS:
            if value is not None and not isinstance(value, bool):
                raise InputError(f"label '{key}' must be true or false, not {json.dumps(value)[:40]}")
            if value:
                labels.add(key)
        elif key == "apology":
            if value is None:
                continue
            if not isinstance(value, list) or not all(isinstance(e, str) for e in value):
                raise InputError("label 'apology' must be a list of element names")
            unknown = [e for e in value if e not in APOLOGY_ELEMENTS]
            if unknown:
                raise InputError(
                    f"unknown apology element {unknown[0][:40]!r}", hint=f"elements are {', '.join(APOLOGY_ELEMENTS)}"
                )
            labels.update(value)
        else:
            raise InputError(f"unknown label {str(key)[:40]!r}", hint=f"labels are {', '.join(_FLAGS)} and apology")
    return labels


def read_items(path: str, split: str = "all", warn: Callable[[str], None] | None = None) -> Iterator[Item]:
    """Labeled items from one JSONL file; a bad line is an InputError naming it. Lone surrogate
    escapes are repaired to U+FFFD (one `warn` per file)."""
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 - only open()'s failure is "cannot read"
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=path) from None
    warned = False
    with handle:
        number = 0
        while True:
            try:
                line = handle.readline(MAX_LINE_CHARS + 1)
            except OSError as exc:
                raise InputError(f"cannot read: {exc.strerror}", path=path) from None
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"not UTF-8 ({exc.reason})", path=path, line=number + 1, hint="save the file as UTF-8"
                ) from None
            if not line:
                break
            number += 1
            if len(line) > MAX_LINE_CHARS:
                raise InputError(
                    f"line is longer than {MAX_LINE_CHARS // (1024 * 1024)} MB", path=path, line=number, hint=_HINT
                )
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except RecursionError:
                raise InputError("JSON nested too deeply", path=path, line=number, hint=_HINT) from None
            except ValueError:
                data = None
            if (
                not isinstance(data, dict)
                or not isinstance(data.get("text"), str)
                or not isinstance(data.get("labels"), dict)
            ):
                raise InputError(
                    "not a labeled utterance (needs 'text' and 'labels')", path=path, line=number, hint=_HINT
                )
            if SURROGATE_ESCAPE.search(line):
                data, changed = repair_tree(data)
                if changed and warn is not None and not warned:
                    warned = True
                    warn(f"{path}:{number}: lone surrogate escape (half of a UTF-16 pair) replaced with U+FFFD")
            try:
                labels = _labels(data["labels"])
            except InputError as exc:
                exc.path, exc.line, exc.hint = path, number, exc.hint or _HINT
                raise
            item_id = str(data.get("id", f"{Path(path).name}:{number}"))
            if in_split(item_id, split):
                spans = data.get("spans")
                yield Item(
                    item_id,
                    data["text"],
                    frozenset(labels),
                    spans if isinstance(spans, dict) else {},
                    path,
                    number,
                    str(data.get("source") or ""),
                )


def evaluate_views(items: list[Item], by_source: Iterable[Sources], with_model: bool = True) -> dict[str, Evaluation]:
    """One Evaluation per view from each item's findings by source: the rules alone, the
    model alone, and both as coach reports them (confirmed rule findings + the model's)."""
    from .analyzer import merge_findings

    found = list(by_source)
    views = {"rules": evaluate_findings(items, (f.rules for f in found))}
    if with_model:
        views["model"] = evaluate_findings(items, (f.model for f in found))
        views["both"] = evaluate_findings(items, (merge_findings(f.confirmed, f.model) for f in found))
    return views


def group_items(items: list[Item], by: str) -> dict[str, list[int]]:
    """Item positions per group: the labeled `source` field, or the file they came from."""
    groups: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        key = (item.source or "(no source)") if by == "source" else Path(item.path).name
        groups.setdefault(key, []).append(i)
    return dict(sorted(groups.items()))


def evaluate_findings(items: Iterable[Item], findings: Iterable[Iterable[Finding]]) -> Evaluation:
    """Compare each item's labels with the labels its findings vote for."""
    result = Evaluation({label: LabelScore(label) for label in LABELS})
    for item, found in zip(items, findings):
        result.items += 1
        by_label: dict[str, list] = {}
        for f in found:
            result.fired.add(f.rule)
            by_label.setdefault(f.label, []).append(f)
        for label in set(by_label) | item.labels:
            score = result.scores.setdefault(label, LabelScore(label))
            predicted = label in by_label
            actual = label in item.labels
            if predicted and actual:
                score.tp += 1
            elif predicted:
                score.fp += 1
                found = by_label[label]
                result.errors.append(
                    ErrorCase("fp", label, item, tuple(f.rule for f in found), tuple(f.text for f in found))
                )
            else:
                score.fn += 1
                span = item.spans.get(label)
                result.errors.append(ErrorCase("fn", label, item, (), (str(span),) if span else ()))
    return result
