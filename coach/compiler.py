"""Rules -> plain pattern data, routed like spaCy's SpanRuler, and cached on disk.

Routing: a variant whose every token is a plain NORM becomes a PhraseMatcher
phrase; a variant with gaps, optional slots, one-of-many words or exact forms
becomes a slot pattern (coach.slotmatch); raw `patterns` from phrasebooks go to
spaCy's Matcher. The result is plain tuples of strings, so it pickles quickly
and `coach lint` can skip compiling on the next run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import product
from typing import TYPE_CHECKING, Iterable

from .errors import PhrasebookError, PhrasebookErrors
from .models import Rule
from .patterns import spacy_pattern
from .phrase_syntax import Choice, Gap, Variant, plan

if TYPE_CHECKING:  # pragma: no cover
    from .nlp import Pipeline

UNLESS = "|unless"
#: (norms, lowers, any, optional, negate): one slot of a slot pattern, in strings.
SlotSpec = tuple[tuple[str, ...], tuple[str, ...], bool, bool, bool]
FORMAT = 11  # bump when the Compiled layout changes


@dataclass
class Compiled:
    """Everything the matchers need, as plain data."""

    #: PhraseMatcher phrases as (rule key, NORM string hashes), grouped by their first
    #: hash: a draft can only match phrases whose first word it contains.
    phrases: dict[int, list[tuple[str, tuple[int, ...]]]] = field(default_factory=dict)
    #: Slot patterns with the NORM hashes of their anchor slot (one of them must occur).
    slots: list[tuple[str, tuple[SlotSpec, ...], frozenset[int]]] = field(default_factory=list)
    raw: list[tuple[str, list[dict]]] = field(default_factory=list)
    anchors: set[str] = field(default_factory=set)  # gate the slot patterns
    raw_anchors: set[str] = field(default_factory=set)  # gate spaCy's Matcher
    always: bool = False  # a raw spaCy pattern has no literal word to anchor on
    raw_window: int | None = 0  # longest raw pattern in tokens (None: unbounded)
    #: key -> token patterns (spaCy-style dicts), for `coach phrasebook show` and data tests.
    view: dict[str, list[list[dict]]] = field(default_factory=dict)


class Compiler:
    """Compiles rules with one tokenizer; caches how each phrase chunk tokenizes."""

    def __init__(self, nlp: "Pipeline") -> None:
        from .nlp import norm_function

        self.nlp = nlp
        self.norm = norm_function()
        self.hash = nlp.vocab.strings.add
        self._chunks: dict[tuple[str, bool], list[str]] = {}

    def compile(self, rules: Iterable[Rule]) -> Compiled:
        out = Compiled()
        errors: list[PhrasebookError] = []
        for rule in rules:
            try:
                self._add(out, rule.id, rule.phrases, rule.patterns)
                if rule.unless:
                    self._add(out, rule.id + UNLESS, rule.unless, ())
            except ValueError as exc:
                errors.append(PhrasebookError(str(exc), path=rule.path, line=rule.line, rule=rule.id))
        if errors:
            raise PhrasebookErrors(errors)
        return out

    def _norms(self, chunk: str, exact: bool) -> list[str]:
        hit = self._chunks.get((chunk, exact))
        if hit is None:
            from .normalize import normalize

            doc = self.nlp.tokenizer(normalize(chunk).text)
            hit = [t.lower_ if exact else t.norm_ for t in doc]
            self._chunks[(chunk, exact)] = hit
        return hit

    def _atom_options(self, atom) -> list[list[dict]]:
        """The token sequences one atom can stand for (one, unless a Choice holds contractions)."""
        if isinstance(atom, Gap):
            return [[{"OP": "?"} if atom.optional else {}]]
        if isinstance(atom, Choice):
            tokenized = [self._norms(word, False) for word in atom.words]
            singles = sorted({t[0] for t in tokenized if len(t) == 1})
            multis = [t for t in tokenized if len(t) > 1]
            options: list[list[dict]] = []
            if singles:
                slot: dict = {"NORM": singles[0]} if len(singles) == 1 else {"NORM": {"IN": singles}}
                if atom.optional and not multis:
                    slot["OP"] = "?"
                options.append([slot])
            options += [[{"NORM": n} for n in t] for t in multis]
            if atom.optional and multis:
                options.append([])
            return options
        attr = "LOWER" if atom.exact else "NORM"
        return [[{attr: n} for n in self._norms(atom.text, atom.exact)]]

    def _patterns(self, variant: Variant) -> list[list[dict]]:
        """Every token pattern a (possibly Choice-holding) variant compiles to."""
        return [[slot for part in combo for slot in part]
                for combo in product(*(self._atom_options(atom) for atom in variant))]

    def _add(self, out: Compiled, key: str, phrases: Iterable[str], raw: Iterable[list]) -> None:
        seen: set[str] = set()
        for phrase in phrases:
            for variant in plan(phrase):
                for pattern in self._patterns(variant):
                    sig = repr(pattern)
                    if sig in seen or not pattern:
                        continue
                    seen.add(sig)
                    out.view.setdefault(key, []).append(pattern)
                    if all(list(t) == ["NORM"] and isinstance(t["NORM"], str) for t in pattern):
                        hashes = tuple(self.hash(t["NORM"]) for t in pattern)
                        out.phrases.setdefault(hashes[0], []).append((key, hashes))
                    else:
                        self._token_pattern(out, key, pattern)
        for pattern in raw:
            converted = spacy_pattern(pattern)
            out.view.setdefault(key, []).append(converted)
            self._token_pattern(out, key, converted)

    def _token_pattern(self, out: Compiled, key: str, pattern: list[dict]) -> None:
        """To the slot automaton when every token fits it, else to spaCy's Matcher."""
        specs: list[SlotSpec] = []
        for token in pattern:
            fitted = slot_specs(token)
            if fitted is None:
                break
            specs.extend(fitted)
        else:
            if specs and not specs[0][2]:
                words = self._anchor(out, pattern)
                out.slots.append((key, tuple(specs), frozenset(map(self.hash, words or ()))))
                return
        out.raw.append((key, pattern))
        self._anchor(out, pattern, raw=True)
        length = _max_length(pattern)
        if out.raw_window is not None:
            out.raw_window = None if length is None else max(out.raw_window, length)

    def _anchor(self, out: Compiled, pattern: list[dict], raw: bool = False) -> set[str] | None:
        """Record the words a token pattern cannot match without: its required slot whose
        shortest word is longest (longer words are rarer)."""
        best: tuple[int, set[str]] | None = None
        for token in pattern:
            if token.get("OP") not in (None, "+"):
                continue
            for attr in ("NORM", "LOWER", "ORTH", "TEXT"):
                value = token.get(attr)
                if isinstance(value, dict) and isinstance(value.get("IN"), list) and value["IN"]:
                    words = {str(v) for v in value["IN"]}
                elif isinstance(value, str):
                    words = {value}
                else:
                    continue
                if attr != "NORM":
                    words = {self.norm(w) for w in words}
                score = min(len(w) for w in words)
                if best is None or score > best[0]:
                    best = (score, words)
                break
        if best is not None:
            (out.raw_anchors if raw else out.anchors).update(best[1])
            return best[1]
        if raw:
            out.always = True  # only spaCy's Matcher then runs on every Doc
        return None


def _max_length(pattern: list[dict]) -> int | None:
    """The most tokens a spaCy pattern can span (None when a * or + makes it unbounded)."""
    total = 0
    for token in pattern:
        op = token.get("OP")
        if op in ("*", "+"):
            return None
        m = _REPEAT.match(op) if isinstance(op, str) else None
        if m and m.group(3):
            total += int(m.group(3))
        elif m:
            if not m.group(2):
                return None
            total += int(m.group(2))
        elif op != "!":
            total += 1
    return total


_REPEAT = re.compile(r"^\{(\d*),(\d*)\}$|^\{(\d+)\}$")


def slot_specs(token: dict) -> list[SlotSpec] | None:
    """The slots for one token dict, or None when it needs spaCy's Matcher.

    Handles {NORM|LOWER: x}, {NORM|LOWER: {IN|NOT_IN: [...]}}, ORTH/TEXT values without
    letters (case cannot matter there), {} gaps, and OP ?, {n}, {n,m}.
    """
    op = token.get("OP")
    attrs = {k: v for k, v in token.items() if k != "OP"}
    low, high = 1, 1
    if op == "?":
        low, high = 0, 1
    elif isinstance(op, str) and _REPEAT.match(op):
        m = _REPEAT.match(op)
        if m.group(3):
            low = high = int(m.group(3))
        else:
            low = int(m.group(1) or 0)
            if not m.group(2):
                return None
            high = int(m.group(2))
        if high > 12 or low > high:
            return None
    elif op is not None:
        return None
    if not attrs:
        spec: SlotSpec = ((), (), True, False, False)
    else:
        if len(attrs) != 1:
            return None
        (attr, value), = attrs.items()
        negate = False
        if isinstance(value, dict):
            if len(value) != 1 or not isinstance(next(iter(value.values())), list):
                return None
            (pred, items), = value.items()
            if pred not in ("IN", "NOT_IN"):
                return None
            negate = pred == "NOT_IN"
            values = tuple(str(v) for v in items)
        elif isinstance(value, str):
            values = (value,)
        else:
            return None
        if attr in ("ORTH", "TEXT"):
            if any(c.isalpha() for v in values for c in v):
                return None
            attr = "LOWER"
        if attr == "NORM":
            spec = (values, (), False, False, negate)
        elif attr == "LOWER":
            spec = ((), tuple(v.lower() for v in values), False, False, negate)
        else:
            return None
    required = [spec] * low
    optional = [(spec[0], spec[1], spec[2], True, spec[4])] * (high - low)
    return required + optional


def cache_key(rules: Iterable[Rule]) -> str:
    """Identifies a compiled rule set: coach, spaCy and lookup versions plus every pattern."""
    import hashlib

    import spacy

    from . import __version__

    from .phrase_syntax import MAX_VARIANTS, SMALL

    digest = hashlib.sha256(f"{FORMAT}|{SMALL}|{MAX_VARIANTS}|{__version__}|{spacy.__version__}".encode())
    try:
        from importlib.metadata import version
        digest.update(version("spacy-lookups-data").encode())
    except Exception:  # noqa: BLE001 - a missing dist just means no extra key part
        pass
    for rule in rules:
        digest.update(repr((rule.id, rule.phrases, rule.unless, rule.patterns)).encode())
    return digest.hexdigest()
