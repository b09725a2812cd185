"""Rules -> plain pattern data, routed like spaCy's SpanRuler, and cached on disk.

Routing: a variant whose every token is a plain NORM becomes a PhraseMatcher
phrase; a variant with gaps, optional slots, one-of-many words or exact forms
becomes a slot pattern (coach.slotmatch); raw `patterns` from phrasebooks go to
spaCy's Matcher. The result is plain tuples of strings, so it pickles quickly
and `coach lint` can skip compiling on the next run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product
from typing import TYPE_CHECKING, Iterable

from .errors import PhrasebookError, PhrasebookErrors
from .models import Rule
from .patterns import spacy_pattern
from .phrase_syntax import Choice, Gap, Variant, plan

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language

UNLESS = "|unless"
#: (norms, lowers, any, optional): one slot of a slot pattern, in strings.
SlotSpec = tuple[tuple[str, ...], tuple[str, ...], bool, bool]
FORMAT = 3  # bump when the Compiled layout changes


@dataclass
class Compiled:
    """Everything the matchers need, as plain data."""

    phrases: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    slots: list[tuple[str, tuple[SlotSpec, ...]]] = field(default_factory=list)
    raw: list[tuple[str, list[dict]]] = field(default_factory=list)
    anchors: set[str] = field(default_factory=set)
    always: bool = False  # a raw spaCy pattern has no literal word to anchor on
    #: key -> token patterns (spaCy-style dicts), for `coach phrasebook show` and data tests.
    view: dict[str, list[list[dict]]] = field(default_factory=dict)


class Compiler:
    """Compiles rules with one tokenizer; caches how each phrase chunk tokenizes."""

    def __init__(self, nlp: "Language") -> None:
        from .nlp import norm_function

        self.nlp = nlp
        self.norm = norm_function()
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
                        out.phrases.append((key, tuple(t["NORM"] for t in pattern)))
                        continue
                    specs = [slot_spec(t) for t in pattern]
                    if None in specs:
                        out.raw.append((key, pattern))
                    else:
                        out.slots.append((key, tuple(specs)))
                    self._anchor(out, pattern)
        for pattern in raw:
            converted = spacy_pattern(pattern)
            out.view.setdefault(key, []).append(converted)
            out.raw.append((key, converted))
            self._anchor(out, converted, raw=True)

    def _anchor(self, out: Compiled, pattern: list[dict], raw: bool = False) -> None:
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
            out.anchors |= best[1]
        elif raw:
            out.always = True  # only spaCy's Matcher then runs on every Doc


def slot_spec(token: dict) -> SlotSpec | None:
    """A slot for one token dict ({NORM: x}, {NORM: {IN: [...]}}, {LOWER: x}, {}), or None
    when it needs spaCy's Matcher (other attributes or operators)."""
    op = token.get("OP")
    if op not in (None, "?"):
        return None
    attrs = {k: v for k, v in token.items() if k != "OP"}
    optional = op == "?"
    if not attrs:
        return ((), (), True, optional)
    if len(attrs) != 1:
        return None
    (attr, value), = attrs.items()
    if isinstance(value, dict):
        if list(value) != ["IN"] or not isinstance(value["IN"], list):
            return None
        values = tuple(str(v) for v in value["IN"])
    elif isinstance(value, str):
        values = (value,)
    else:
        return None
    if attr == "NORM":
        return (values, (), False, optional)
    if attr == "LOWER":
        return ((), values, False, optional)
    return None


def cache_key(rules: Iterable[Rule]) -> str:
    """Identifies a compiled rule set: coach, spaCy and lookup versions plus every pattern."""
    import hashlib

    import spacy

    from . import __version__

    digest = hashlib.sha256(f"{FORMAT}|{__version__}|{spacy.__version__}".encode())
    try:
        from importlib.metadata import version
        digest.update(version("spacy-lookups-data").encode())
    except Exception:  # noqa: BLE001 - a missing dist just means no extra key part
        pass
    for rule in rules:
        digest.update(repr((rule.id, rule.phrases, rule.unless, rule.patterns)).encode())
    return digest.hexdigest()
