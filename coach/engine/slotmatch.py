"""Slot patterns (word gaps, optional slots, big alternations, exact forms) checked only
where their rarest run of words occurs.

spaCy's Matcher preprocesses every pattern in Python and its per-token cost grows
with the pattern count; a Python automaton stepping over every token was the
largest cost of `coach score`. So each slot pattern has a *run*: contiguous slots,
the first and last required, none a gap, negated or flag test, picked at compile
time as the part of the pattern a text is least likely to contain (coach.engine.compiler).
The run's word sequences go into the engine's PhraseMatcher, which scans in C;
only where one is found does this module read the rest of the pattern, backwards
from the run's start and forwards from it. Pure Python; it never imports spaCy.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass


class Tokens:
    """A Doc's token attributes by position, read lazily: a pattern is checked on the few
    tokens around its run, and copying whole columns out of every Doc cost more than that.
    Takes anything indexable whose items have .norm/.lower/.orth hashes (a spaCy Doc)."""

    __slots__ = ("doc", "length", "_seen")

    def __init__(self, doc) -> None:
        self.doc = doc
        self.length = len(doc)
        self._seen: dict[int, tuple[int, int, int]] = {}

    def at(self, i: int) -> tuple[int, int, int]:
        """(NORM, LOWER, ORTH) hashes of token i."""
        hit = self._seen.get(i)
        if hit is None:
            token = self.doc[i]
            hit = self._seen[i] = (token.norm, token.lower, token.orth)
        return hit

    def flag(self, i: int, name: str) -> bool:
        """A boolean token attribute by its spaCy name (IS_ALPHA -> token.is_alpha)."""
        return bool(getattr(self.doc[i], name.lower()))


@dataclass(frozen=True, slots=True, eq=False)
class Slot:
    """One token position of a pattern. Compared by identity: the engine interns slots, so
    equal slots are the same object."""

    norms: frozenset[int] = frozenset()
    lowers: frozenset[int] = frozenset()
    orths: frozenset[int] = frozenset()  # exact-case forms (ORTH with letters)
    flags: tuple[tuple[str, bool], ...] = ()  # (IS_ALPHA, True)...: all must hold
    any: bool = False
    optional: bool = False
    negate: bool = False  # a token whose NORM/LOWER/ORTH is NOT in the sets

    def accepts(self, tokens: Tokens, i: int) -> bool:
        if self.any:
            return True
        for name, wanted in self.flags:
            if tokens.flag(i, name) != wanted:
                return False
        if not (self.norms or self.lowers or self.orths):
            return True  # a flags-only slot
        norm, lower, orth = tokens.at(i)
        hit = norm in self.norms or lower in self.lowers or orth in self.orths
        return hit != self.negate


def _reach(slots: Sequence[Slot], tokens: Tokens, at: int, step: int) -> set[int]:
    """Positions reachable from `at` reading `slots` forwards (step 1) or backwards (-1)."""
    here = {at}
    size = tokens.length
    for slot in slots:
        there = set()
        for p in here:
            i = p if step == 1 else p - 1
            if 0 <= i < size and slot.accepts(tokens, i):
                there.add(p + step)
        if slot.optional:
            there |= here
        if not there:
            return there
        here = there
    return here


@dataclass(frozen=True, slots=True)
class SlotPattern:
    """A linear slot pattern split at its run: `before` is read backwards from where the
    run starts, `after` (the run and the rest) forwards."""

    key: str
    before: tuple[Slot, ...]
    after: tuple[Slot, ...]

    def matches(self, tokens: Tokens, at: int) -> Iterable[tuple[str, int, int]]:
        """Every (key, start, end) of this pattern whose run starts at token `at`."""
        ends = _reach(self.after, tokens, at, 1)
        if not ends:
            return ()
        starts = _reach(self.before, tokens, at, -1) if self.before else (at,)
        return [(self.key, s, e) for s in starts for e in ends if e > s]


class SlotMatcher:
    """Slot patterns grouped by run; `find` checks the patterns of the runs found in a Doc."""

    groups: dict[int, list[SlotPattern]]

    def __init__(self) -> None:
        self.groups: dict[int, list[SlotPattern]] = {}
        self.count = 0

    def __len__(self) -> int:
        return self.count

    def add(self, key: str, slots: Sequence[Slot], run: int, group: int) -> None:
        """Add a pattern whose run starts at slot `run` and whose run phrases are reported
        under `group`."""
        if not 0 <= run < len(slots) or slots[run].optional or slots[run].any:
            raise ValueError("a slot pattern's run starts at a required word slot")
        pattern = SlotPattern(key, tuple(reversed(slots[:run])), tuple(slots[run:]))
        self.groups.setdefault(group, []).append(pattern)
        self.count += 1

    def find(
        self, tokens: Tokens, runs: Iterable[tuple[int, int]], keys: Container[str] | None = None
    ) -> list[tuple[str, int, int]]:
        """All matches (every start, every length) given the (group, start) runs found;
        with `keys`, only of patterns under those keys."""
        found: set[tuple[str, int, int]] = set()
        for group, at in set(runs):
            for pattern in self.groups.get(group, ()):
                if keys is None or pattern.key in keys:
                    found.update(pattern.matches(tokens, at))
        return sorted(found, key=lambda m: (m[1], m[2], m[0]))
