"""What a good rewritten draft looks like, as checks the tests and `coach phrasebook test`
run: no dangling hedge, no doubled word or offer, capitals, well-formed placeholders."""

from __future__ import annotations

import re
from collections.abc import Iterable

from . import PLACEHOLDER, Rewritten
from .hedges import dangling
from .sentences import sentence_spans
from .templates import offer_key

_DOUBLED = re.compile(r"\b(\w+)\s+\1\b", re.I)
#: Doubled words that are fine English.
_DOUBLED_OK = {"that", "had", "is", "very", "so", "no", "bye", "ha", "haha", "really", "many", "far"}
#: Openers that promise something: each must be followed by a [placeholder] in its sentence.
PROMISES = re.compile(
    r"\b(?:here's|here is)\s+(?:what|how)\s+(?:i|we)\s+can\b|\bwhat i can do is\b|"
    r"\bhere's what (?:is|could|we|i)\b|\bhere's a quick recap\b",
    re.I,
)
_BAD_PUNCT = re.compile(r",\s*[.!?]|\s[,.;:!?]|[,;:]{2,}|\s{2,}|\.\.(?!\.)")


def promise_without_content(sentence: str) -> bool:
    """A "here's what I can do" with no [placeholder] (or words) after it in the sentence."""
    for m in PROMISES.finditer(sentence):
        rest = sentence[m.end() :]
        if not PLACEHOLDER.search(rest):
            return True
    return False


def problems(original: str, result: Rewritten) -> list[str]:
    """What is wrong with a rewritten draft (empty: nothing)."""
    out: list[str] = []
    changed = [e for e in result.edits if e.advice is None]
    offers: dict[str, int] = {}
    for e in changed:
        for a, b in sentence_spans(e.text):
            sentence = e.text[a:b]
            if dangling(sentence):
                out.append(f"dangling hedge: {sentence!r}")
            first = next((c for c in re.sub(r"^(?:[@#]\S+\s+)+", "", sentence) if c.isalpha()), "")
            if first and not first.isupper():
                out.append(f"no capital: {sentence!r}")
            if promise_without_content(sentence):
                out.append(f"promise without a placeholder: {sentence!r}")
        for m in _DOUBLED.finditer(e.text):
            if m.group(1).lower() not in _DOUBLED_OK and not m.group(1).isdigit():
                out.append(f"doubled word: {m.group()!r}")
        if _BAD_PUNCT.search(e.text):
            out.append(f"bad punctuation: {e.text!r}")
        if not (len(PLACEHOLDER.findall(e.text)) == e.text.count("[") == e.text.count("]")):
            out.append(f"malformed placeholder: {e.text!r}")
        if "{" in e.text or "}" in e.text:
            out.append(f"unfilled slot: {e.text!r}")
        key = offer_key(e.text)
        if key:
            for a, b in sentence_spans(e.text):
                k = offer_key(e.text[a:b])
                offers[k] = offers.get(k, 0) + 1
    out += [f"doubled offer: {k!r}" for k, n in offers.items() if n > 1]
    # Sentences outside every edit are byte for byte the original's.
    pos_o, pieces = 0, []
    for e in sorted(result.edits, key=lambda e: e.start):
        pieces.append(original[pos_o : e.start])
        pos_o = e.end
    pieces.append(original[pos_o:])
    if any(p not in result.text for p in pieces):
        out.append("text outside the rewritten sentences changed")
    return out


def rewritten_spans(result: Rewritten) -> list[tuple[int, int, bool]]:
    """(start, end, is a real rewrite) of each edit's text inside the rewritten draft."""
    out, delta = [], 0
    for e in sorted(result.edits, key=lambda e: e.start):
        start = e.start + delta
        out.append((start, start + len(e.text), e.advice is None))
        delta += len(e.text) - (e.end - e.start)
    return out


def negative_left(findings: Iterable, result: Rewritten, *, advice: bool = False) -> list:
    """Negative findings (from re-linting `result.text`) inside rewritten sentences
    (with `advice`, inside the advice-only sentences instead)."""
    spans = rewritten_spans(result)
    return [
        f
        for f in findings
        if f.category in ("blocking", "non_apology")
        and not f.softened  # a limit kept as written, the offer after it ("..., but here's what I can do: ...")
        and any(a <= f.start < b and real != advice for a, b, real in spans)
    ]
