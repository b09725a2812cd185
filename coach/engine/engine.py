"""Compiled rules -> matchers; a tokenized Doc -> findings (guards, negation, quotes,
overlaps). No I/O.

Like spaCy's SpanRuler: plain phrase variants go to one PhraseMatcher on NORM (fast:
its cost barely grows with the phrase count); variants with gaps, optional words,
one-of-many words or exact forms become slot patterns, looked for by their rarest run
of words in the same PhraseMatcher and read around it (coach.engine.slotmatch); token
patterns that fit no slot go to spaCy's Matcher. The routing lives in coach.engine.compiler.
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..models import SOFTENED, Finding, Rule, has_prefix
from .compiler import RUN, UNLESS
from .normalize import Normalized
from .slotmatch import Slot, SlotMatcher, Tokens

if TYPE_CHECKING:  # pragma: no cover
    from spacy.tokens import Doc

NORM, LOWER = 67, 66  # spacy.attrs ids (stable across spaCy 3); avoids importing spaCy here

PATTERN_ANCHOR = "\x00pattern"  # PhraseMatcher key prefix: a word some token pattern needs
# Words that, right before a match, say the speaker is denying it:
# "it's not that there's nothing we can do", "I never said ...".
NEGATION_CUES = (("not", "that"), ("not", "like"), ("not", "say"), ("never", "say"), ("not", "saying"), ("not", "mean"))
QUOTES = '"'
SENTENCE_ENDS = frozenset({".", "!", "?", "…"})
# Labels a non-apology overrides when they overlap it ("sorry for any inconvenience"
# is not regret).
CANCELLED_BY_NON_APOLOGY = frozenset({"regret"})


def named(rule_id: str, category: str, names: Collection[str]) -> bool:
    """Whether a rule is one of `names`: its category, its id, or a dotted prefix of its id."""
    return category in names or has_prefix(rule_id, names)


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
    if (
        first.islower()
        and rewrite[0].isupper()
        and not (rewrite[:2] in ("I ", "I'") or (len(rewrite) > 1 and rewrite[1].isupper()))
    ):
        return rewrite[0].lower() + rewrite[1:]
    return rewrite


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """A rule match in token and normalized-character offsets, before it becomes a Finding."""

    rule: Rule
    start: int
    end: int
    #: An offer follows in the sentence (`softened_by`): reported at info, with no rewrite.
    softened: bool = False


class Engine:
    """Compiled matchers for a rule set; build once (or load from the cache), match many Docs."""

    def __init__(self, rules: Iterable[Rule], *, use_cache: bool = True, words: set[int] | None = None) -> None:
        """`words`: when given (the NORM hashes of the only texts this engine will see, as
        for a few drafts in `coach lint`), patterns that need a word outside it are left out,
        so building the matchers costs next to nothing."""
        from ..gcpause import paused

        with paused():  # ~10^5 long-lived objects: no cyclic collections meanwhile
            self._build(rules, use_cache, words)

    def _build(self, rules: Iterable[Rule], use_cache: bool, words: set[int] | None) -> None:
        from spacy.matcher import Matcher, PhraseMatcher

        from . import cache
        from .compiler import Compiled, Compiler, cache_key
        from .nlp import get_nlp

        self.rules = {r.id: r for r in rules}
        self.nlp = get_nlp()
        key = cache_key(self.rules.values()) if use_cache else ""
        data = cache.load("engine", key, Compiled.from_cache) if use_cache else None
        if data is None:
            data = Compiler(self.nlp).compile(self.rules.values())
            self._view: dict[str, list[list[dict]]] | None = data.view
            data.view = {}
            if use_cache:
                cache.store("engine", key, *data.to_cache())
        else:
            self._view = None
        hash_of = self.nlp.vocab.strings.add
        assert data.table is not None  # compiled and cached forms both carry one
        by_key = data.table.by_key(words)
        # Raw spaCy patterns read only windows around their anchor words, as wide as the
        # longest pattern anchored there (the whole Doc for an unbounded one).
        reaches: dict[int | None, list] = {}
        for word, reach in sorted(data.pattern_anchors.items()):
            reaches.setdefault(reach, []).append([hash_of(word)])
        self._pattern_reach: dict[int, int | None] = {}
        for reach, anchors in reaches.items():
            anchor_key = f"{PATTERN_ANCHOR}{reach}"
            by_key[anchor_key] = anchors
            self._pattern_reach[hash_of(anchor_key)] = reach
        self.phrase_matcher = PhraseMatcher(self.nlp.vocab, attr="NORM")
        for rule_key, keywords in by_key.items():
            # PhraseMatcher.add takes hash sequences as well as Docs; skipping ~100 us of
            # Doc construction per phrase keeps start-up small.
            self.phrase_matcher.add(rule_key, keywords)  # type: ignore[arg-type]
        self._always = data.always
        self.slot_matcher = SlotMatcher()
        # `unless` guards only matter for a rule that matched: checked after the rules.
        self.guard_matcher = SlotMatcher()
        self._runs: dict[int, int] = {}  # PhraseMatcher key hash -> run group
        interned: dict = {}
        for rule_key, specs, run, group in data.slots:
            run_key = f"{RUN}{group}"
            if run_key not in by_key:
                continue  # a focused engine: the run's words are not in the drafts
            self._runs[hash_of(run_key)] = group
            matcher = self.guard_matcher if rule_key.endswith(UNLESS) else self.slot_matcher
            matcher.add(rule_key, [_slot(spec, hash_of, interned) for spec in specs], run, group)
        self.matcher = Matcher(self.nlp.vocab)  # rules' own token `patterns` only (the escape hatch)
        for rule_key, pattern in data.token_patterns:
            self.matcher.add(rule_key, [pattern])
        self._has_matcher = len(self.matcher) > 0

    @property
    def compiled(self) -> dict[str, list[list[dict]]]:
        """key -> token patterns, for `coach phrasebook show` and the data tests."""
        if self._view is None:
            from .compiler import Compiler

            self._view = Compiler(self.nlp).compile(self.rules.values()).view
        return self._view

    # -- matching --------------------------------------------------------------------
    def matches_by_key(self, doc: Doc) -> list[tuple[str, int, int]]:
        """(key, start, end) of every rule match in a Doc, and of the `unless` guards of
        the rules that matched (a guard of a rule that did not match may be left out)."""
        strings = self.nlp.vocab.strings
        runs, pattern_reach = self._runs, self._pattern_reach
        found: list[tuple[str, int, int]] = []
        found_runs: list[tuple[int, int]] = []
        anchored_at: list[tuple[int, int | None]] = []
        for match_id, start, end in self.phrase_matcher(doc):
            group = runs.get(match_id)
            if group is not None:
                found_runs.append((group, start))
            elif match_id in pattern_reach:
                anchored_at.append((start, pattern_reach[match_id]))
            else:
                found.append((strings[match_id], start, end))
        tokens = Tokens(doc) if found_runs else None
        if tokens is not None:
            found += self.slot_matcher.find(tokens, found_runs)
        if self._has_matcher and (anchored_at or self._always):
            for lo, hi in _windows(anchored_at, len(doc), self._always):
                for match_id, start, end in self.matcher(doc[lo:hi]):
                    found.append((strings[match_id], lo + start, lo + end))
        if tokens is not None and found and len(self.guard_matcher):
            wanted = {key + UNLESS for key, _, _ in found}
            found += self.guard_matcher.find(tokens, found_runs, wanted)
        return found

    def matches(self, doc: Doc, text: str, only_rule: str | None = None) -> list[RuleMatch]:
        """Rule matches in one Doc after unless-guards, quotes, negation and overlaps.

        `only_rule` judges one rule as if it were alone (how its examples are tested).
        """
        hits: dict[str, list[tuple[int, int]]] = {}
        for key, start, end in self.matches_by_key(doc):
            hits.setdefault(key, []).append((start, end))
        if not hits:
            return []
        quoted = _quoted_regions(text) if QUOTES in text else ()
        rules = self.rules
        # `followed_by` rules keep only the matches a finding of those categories follows
        # in the same sentence, `unless_followed_by` rules only those such a finding does not
        # follow; settled before overlaps, so a match that does not qualify cannot hide a
        # shorter one of the same label.
        pending = [
            key
            for key in hits
            if not key.endswith(UNLESS)
            and (rules[key].followed_by or rules[key].unless_followed_by or rules[key].softened_by)
            and (only_rule is None or key == only_rule)
        ]
        softened: set[tuple[str, int, int]] = set()
        if pending:
            needed = {
                c
                for key in pending
                for c in (*rules[key].followed_by, *rules[key].unless_followed_by, *rules[key].softened_by)
            }
            context = self._kept(doc, hits, quoted, lambda key: named(key, rules[key].category, needed))

            def follows(end: int, names: Collection[str], categories_only: bool = False) -> bool:
                """A match of one of `names` starts at or after token `end`, in the same sentence."""
                return any(
                    c.start >= end
                    and (c.rule.category in names if categories_only else named(c.rule.id, c.rule.category, names))
                    and _one_sentence(doc, end, c.start)
                    for c in context
                )

            for key in pending:
                rule = rules[key]
                hits[key] = [
                    (start, end)
                    for start, end in hits[key]
                    if (not rule.followed_by or follows(end, rule.followed_by, categories_only=True))
                    and not (rule.unless_followed_by and follows(end, rule.unless_followed_by))
                ]
                if rule.softened_by:
                    softened.update((key, start, end) for start, end in hits[key] if follows(end, rule.softened_by))
        found = self._kept(doc, hits, quoted, lambda key: only_rule is None or key == only_rule)
        if softened:
            found = [replace(m, softened=True) if (m.rule.id, m.start, m.end) in softened else m for m in found]
        return _cancel_by_non_apology(found)

    def _kept(self, doc: Doc, hits: dict[str, list[tuple[int, int]]], quoted, wanted) -> list[RuleMatch]:
        """The matches of the `wanted` rule keys that survive overlaps, unless-guards,
        negation and quotes."""
        candidates = [
            RuleMatch(self.rules[key], start, end)
            for key, spans in hits.items()
            if not key.endswith(UNLESS) and wanted(key)
            for start, end in spans
        ]
        found: list[RuleMatch] = []
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
        return found

    def findings(self, doc: Doc, norm: Normalized, only_rule: str | None = None) -> list[Finding]:
        """Findings for one Doc, with offsets into the original text."""
        out = []
        original = norm.original
        for m in self.matches(doc, norm.text, only_rule):
            first, last = doc[m.start], doc[m.end - 1]
            start, end = norm.orig_span(first.idx, last.idx + len(last.text))
            line, column = norm.line_col(start)
            matched = original[start:end]
            rule = m.rule
            out.append(
                Finding(
                    rule=rule.id,
                    category=rule.category,
                    element=rule.element,
                    severity="info" if m.softened else rule.severity,
                    start=start,
                    end=end,
                    line=line,
                    column=column,
                    text=matched,
                    message=rule.message.rstrip() + SOFTENED if m.softened else rule.message,
                    rewrites=() if m.softened else tuple(match_case(r, matched) for r in rule.rewrites),
                )
            )
        out.sort(key=lambda f: (f.start, f.end, f.rule))
        return out


def _slot(spec, hash_of, interned: dict) -> Slot:
    """A Slot of hashes for a cached spec; identical slots are shared."""
    slot = interned.get(spec)
    if slot is None:
        norms, lowers, orths, flags, any_, optional, negate = spec
        slot = Slot(
            frozenset(map(hash_of, norms)),
            frozenset(map(hash_of, lowers)),
            frozenset(map(hash_of, orths)),
            tuple(flags),
            any_,
            optional,
            negate,
        )
        interned[spec] = slot
    return slot


def _windows(anchors: list[tuple[int, int | None]], length: int, always: bool) -> list[tuple[int, int]]:
    """Token windows around anchor words, each as wide as the token patterns anchored on
    that word; spaCy's Matcher costs per token, so it only reads these."""
    bounded = [(at, reach) for at, reach in anchors if reach is not None]
    if always or len(bounded) < len(anchors):
        return [(0, length)]
    windows: list[tuple[int, int]] = []
    for lo, hi in sorted((max(0, at - reach + 1), min(length, at + reach)) for at, reach in bounded):
        if windows and lo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(hi, windows[-1][1]))
        else:
            windows.append((lo, hi))
    return windows


def _negated(doc: Doc, start: int) -> bool:
    if start < 2:
        return False
    before = (doc[start - 2].norm_, doc[start - 1].norm_)
    return before in NEGATION_CUES


def _one_sentence(doc: Doc, start: int, end: int) -> bool:
    """No sentence end (. ! ? … or a line break) among tokens start..end-1."""
    return not any(t.text in SENTENCE_ENDS or "\n" in t.text for t in doc[start:end])


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


def _inside(doc: Doc, start: int, end: int, regions: list[tuple[int, int]]) -> bool:
    first = doc[start].idx
    last = doc[end - 1].idx + len(doc[end - 1].text)
    return any(lo < first and last <= hi for lo, hi in regions)


def _longest_per_label(found: list[RuleMatch]) -> list[RuleMatch]:
    """Within one label keep the longest of overlapping matches (then the first rule id)."""
    found.sort(key=lambda m: (-(m.end - m.start), m.start, m.rule.id))
    kept: list[RuleMatch] = []
    # Per label, the kept spans are disjoint: keep them sorted and look only at neighbours.
    starts: dict[str, list[int]] = {}
    ends: dict[str, list[int]] = {}
    for m in found:
        label = m.rule.label
        s, e = starts.setdefault(label, []), ends.setdefault(label, [])
        at = bisect.bisect_left(s, m.end)  # kept spans starting before m ends
        if at and e[at - 1] > m.start:
            continue
        s.insert(at, m.start)
        e.insert(at, m.end)
        kept.append(m)
    return kept


def _cancel_by_non_apology(kept: list[RuleMatch]) -> list[RuleMatch]:
    """A non-apology is not regret: drop regret/forgiveness matches that overlap one."""
    non_apologies = [m for m in kept if m.rule.label == "non_apology"]
    if not non_apologies:
        return kept
    return [
        m
        for m in kept
        if not (
            m.rule.label in CANCELLED_BY_NON_APOLOGY and any(n.start < m.end and m.start < n.end for n in non_apologies)
        )
    ]
