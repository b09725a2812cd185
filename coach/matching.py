"""Rules -> spaCy matchers; a tokenized Doc -> findings. No I/O.

Like spaCy's SpanRuler: phrase variants without gaps go to one PhraseMatcher
on NORM (fast: cost barely grows with the phrase count); only variants with
word gaps, exact forms or raw token patterns go to the Matcher, whose cost
grows with tokens x patterns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Iterator

from .errors import PhrasebookError, PhrasebookErrors
from .models import Finding, Rule
from .normalize import Normalized
from .patterns import spacy_pattern
from .phrase_syntax import Gap, Variant, expand

if TYPE_CHECKING:  # pragma: no cover
    from spacy.tokens import Doc

UNLESS = "|unless"
ANCHOR = "\x00anchor"  # PhraseMatcher key: a word some Matcher pattern needs is in the Doc
# Words that, right before a match, say the speaker is denying it:
# "it's not that there's nothing we can do", "I never said ...".
NEGATION_CUES = (("not", "that"), ("not", "like"), ("not", "say"), ("never", "say"),
                 ("not", "saying"), ("not", "mean"))
QUOTES = '"'
# Labels a non-apology overrides when they overlap it ("sorry for any inconvenience"
# is not regret).
CANCELLED_BY_NON_APOLOGY = frozenset({"regret", "forgiveness"})


def match_case(rewrite: str, matched: str) -> str:
    """Give `rewrite` the case of the words it replaces (ALL CAPS, Capitalized or lower)."""
    if not rewrite or not matched:
        return rewrite
    letters = [c for c in matched if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return rewrite.upper()
    first = next((c for c in matched if c.isalpha()), "")
    if first.isupper():
        return rewrite[0].upper() + rewrite[1:]
    if first.islower() and rewrite[0].isupper() and not (
            rewrite[:2] in ("I ", "I'") or (len(rewrite) > 1 and rewrite[1].isupper())):
        return rewrite[0].lower() + rewrite[1:]
    return rewrite


@dataclass(frozen=True, slots=True)
class RawMatch:
    """A rule match in token and normalized-character offsets, before it becomes a Finding."""

    rule: Rule
    start: int
    end: int


class Engine:
    """Compiled matchers for a rule set; build once, match many Docs."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        from spacy.matcher import Matcher, PhraseMatcher

        from .nlp import get_nlp

        self.rules = {r.id: r for r in rules}
        self.nlp = get_nlp()
        self.phrase_matcher = PhraseMatcher(self.nlp.vocab, attr="NORM")
        self.matcher = Matcher(self.nlp.vocab)
        self._chunk_cache: dict[str, list[str]] = {}
        self.compiled: dict[str, list[list[dict]]] = {}  # key -> token patterns, for `show`
        self._anchors: set[str] = set()
        self._always = False  # some Matcher pattern has no literal word to anchor on
        errors: list[PhrasebookError] = []
        for rule in self.rules.values():
            try:
                self._add(rule.id, rule.phrases, rule.patterns)
                if rule.unless:
                    self._add(rule.id + UNLESS, rule.unless, ())
            except ValueError as exc:
                errors.append(PhrasebookError(str(exc), path=rule.path, line=rule.line, rule=rule.id))
        if errors:
            raise PhrasebookErrors(errors)
        self._has_matcher = len(self.matcher) > 0
        # Run the (costly) Matcher only on Docs holding a word one of its patterns requires.
        if self._anchors and not self._always:
            self.phrase_matcher.add(ANCHOR, [self._doc([a]) for a in sorted(self._anchors)])

    # -- compiling -----------------------------------------------------------------
    def _norms(self, chunk: str, exact: bool) -> list[str]:
        key = ("=" if exact else "") + chunk
        hit = self._chunk_cache.get(key)
        if hit is None:
            from .normalize import normalize

            doc = self.nlp.tokenizer(normalize(chunk).text)
            hit = [t.lower_ if exact else t.norm_ for t in doc]
            self._chunk_cache[key] = hit
        return hit

    def _slots(self, variant: Variant) -> list[dict]:
        slots: list[dict] = []
        for atom in variant:
            if isinstance(atom, Gap):
                slots.append({"OP": "?"} if atom.optional else {})
            else:
                attr = "LOWER" if atom.exact else "NORM"
                slots.extend({attr: n} for n in self._norms(atom.text, atom.exact))
        return slots

    def _add(self, key: str, phrases: Iterable[str], raw: Iterable[list]) -> None:
        docs, token_patterns, seen = [], [], set()
        for phrase in phrases:
            for variant in expand(phrase):
                slots = self._slots(variant)
                sig = tuple(tuple(sorted(s.items())) for s in slots)
                if sig in seen:
                    continue
                seen.add(sig)
                if all(list(s) == ["NORM"] for s in slots):
                    docs.append(self._doc([s["NORM"] for s in slots]))
                else:
                    token_patterns.append(slots)
                self.compiled.setdefault(key, []).append(slots)
        for pattern in raw:
            converted = spacy_pattern(pattern)
            token_patterns.append(converted)
            self.compiled.setdefault(key, []).append(converted)
        for pattern in token_patterns:
            anchor = self._anchor(pattern)
            if anchor is None:
                self._always = True
            else:
                self._anchors.add(anchor)
        if docs:
            self.phrase_matcher.add(key, docs)
        if token_patterns:
            self.matcher.add(key, token_patterns)

    def _doc(self, norms: list[str]) -> "Doc":
        """A pattern Doc whose tokens carry exactly these NORMs."""
        from spacy.tokens import Doc

        doc = Doc(self.nlp.vocab, words=norms)
        for token, norm in zip(doc, norms):
            token.norm_ = norm
        return doc

    def _anchor(self, pattern: list[dict]) -> str | None:
        """The longest literal word a pattern cannot match without, as a NORM."""
        from .nlp import norm_function

        words = []
        for token in pattern:
            if token.get("OP") not in (None, "+"):
                continue
            for attr in ("NORM", "LOWER", "ORTH", "TEXT"):
                value = token.get(attr)
                if isinstance(value, str):
                    words.append(value if attr == "NORM" else norm_function()(value))
                    break
        return max(words, key=len) if words else None

    # -- matching --------------------------------------------------------------------
    def raw_matches(self, doc: "Doc") -> Iterator[tuple[str, int, int]]:
        strings = self.nlp.vocab.strings
        anchored = self._always
        for match_id, start, end in self.phrase_matcher(doc):
            key = strings[match_id]
            if key == ANCHOR:
                anchored = True
                continue
            yield key, start, end
        if self._has_matcher and anchored:
            for match_id, start, end in self.matcher(doc):
                yield strings[match_id], start, end

    def matches(self, doc: "Doc", text: str, only_rule: str | None = None) -> list[RawMatch]:
        """Rule matches in one Doc after unless-guards, quotes, negation and overlaps.

        `only_rule` judges one rule as if it were alone (how its examples are tested).
        """
        hits: dict[str, list[tuple[int, int]]] = {}
        for key, start, end in self.raw_matches(doc):
            hits.setdefault(key, []).append((start, end))
        if not hits:
            return []
        quoted = _quoted_regions(text) if QUOTES in text else ()
        candidates = [RawMatch(self.rules[key], start, end)
                      for key, spans in hits.items() if not key.endswith(UNLESS)
                      and (only_rule is None or key == only_rule)
                      for start, end in spans]
        found: list[RawMatch] = []
        # Overlaps first, so a guarded or negated long match takes its sub-matches with it.
        for m in _longest_per_label(candidates):
            guards = hits.get(m.rule.id + UNLESS, ())
            if any(g_start <= m.end and g_end >= m.start for g_start, g_end in guards):
                continue
            if _negated(doc, m.start):
                continue
            if quoted and _inside(doc, m.start, m.end, quoted):
                continue
            found.append(m)
        return _cancel_by_non_apology(found)

    def findings(self, doc: "Doc", norm: Normalized, only_rule: str | None = None) -> list[Finding]:
        """Findings for one Doc, with offsets into the original text."""
        out = []
        original = norm.original
        for m in self.matches(doc, norm.text, only_rule):
            first, last = doc[m.start], doc[m.end - 1]
            start, end = norm.orig_span(first.idx, last.idx + len(last.text))
            line, column = norm.line_col(start)
            matched = original[start:end]
            rule = m.rule
            out.append(Finding(
                rule=rule.id, category=rule.category, element=rule.element,
                severity=rule.severity, start=start, end=end, line=line, column=column,
                text=matched, message=rule.message,
                rewrites=tuple(match_case(r, matched) for r in rule.rewrites),
            ))
        out.sort(key=lambda f: (f.start, f.end, f.rule))
        return out


def _negated(doc: "Doc", start: int) -> bool:
    if start < 2:
        return False
    before = (doc[start - 2].norm_, doc[start - 1].norm_)
    return before in NEGATION_CUES


def _quoted_regions(text: str) -> list[tuple[int, int]]:
    """Character spans between pairs of double quotes (customer words being quoted back)."""
    regions, open_at = [], None
    for i, ch in enumerate(text):
        if ch == '"':
            if open_at is None:
                open_at = i
            else:
                regions.append((open_at, i))
                open_at = None
    return regions


def _inside(doc: "Doc", start: int, end: int, regions: list[tuple[int, int]]) -> bool:
    first = doc[start].idx
    last = doc[end - 1].idx + len(doc[end - 1].text)
    return any(lo < first and last <= hi for lo, hi in regions)


def _longest_per_label(found: list[RawMatch]) -> list[RawMatch]:
    """Within one label keep the longest of overlapping matches (then the first rule id)."""
    found.sort(key=lambda m: (-(m.end - m.start), m.start, m.rule.id))
    kept: list[RawMatch] = []
    by_label: dict[str, list[RawMatch]] = {}
    for m in found:
        same = by_label.setdefault(m.rule.label, [])
        if any(k.start < m.end and m.start < k.end for k in same):
            continue
        same.append(m)
        kept.append(m)
    return kept


def _cancel_by_non_apology(kept: list[RawMatch]) -> list[RawMatch]:
    """A non-apology is not regret: drop regret/forgiveness matches that overlap one."""
    non_apologies = [m for m in kept if m.rule.label == "non_apology"]
    if not non_apologies:
        return kept
    return [m for m in kept if not (
        m.rule.label in CANCELLED_BY_NON_APOLOGY
        and any(n.start < m.end and m.start < n.end for n in non_apologies))]
