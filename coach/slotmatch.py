"""A small token automaton for phrases with word gaps, optional slots and big alternations.

spaCy's Matcher preprocesses every pattern in Python (thousands of patterns
took seconds to compile) and its per-token cost grows with the pattern count.
Phrases that cannot become PhraseMatcher phrases compile here instead: each is
a linear list of slots (a set of NORM hashes, a set of LOWER hashes, or any
token; each slot may be optional), run as one shared automaton whose start
transitions are indexed by hash, so a token that starts nothing costs one
dict lookup. Pure Python; it never imports spaCy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True, slots=True)
class Slot:
    norms: frozenset[int] = frozenset()
    lowers: frozenset[int] = frozenset()
    any: bool = False
    optional: bool = False

    def accepts(self, norm: int, lower: int) -> bool:
        return self.any or norm in self.norms or lower in self.lowers


class SlotMatcher:
    """Linear slot patterns, each under a key; `find` returns (key, start, end) matches."""

    def __init__(self) -> None:
        self.patterns: list[tuple[str, tuple[Slot, ...]]] = []
        self._start_norm: dict[int, list[tuple[int, int]]] = {}
        self._start_lower: dict[int, list[tuple[int, int]]] = {}

    def __len__(self) -> int:
        return len(self.patterns)

    def add(self, key: str, slots: Sequence[Slot]) -> None:
        """Add one pattern; it must have a required literal slot before any gap-only start."""
        slots = tuple(slots)
        pid = len(self.patterns)
        self.patterns.append((key, slots))
        # Index every slot a match can begin with: the first, and those after optional ones.
        for idx, slot in enumerate(slots):
            if slot.any:
                raise ValueError("a pattern cannot begin with a gap")
            for norm in slot.norms:
                self._start_norm.setdefault(norm, []).append((pid, idx))
            for lower in slot.lowers:
                self._start_lower.setdefault(lower, []).append((pid, idx))
            if not slot.optional:
                break

    def find(self, norms: Sequence[int], lowers: Sequence[int]) -> list[tuple[str, int, int]]:
        """All matches (every start, every length) over one Doc's NORM and LOWER hashes."""
        patterns = self.patterns
        start_norm, start_lower = self._start_norm, self._start_lower
        found: list[tuple[str, int, int]] = []
        active: set[tuple[int, int, int]] = set()  # (pattern, next slot, start)
        for i, (norm, lower) in enumerate(zip(norms, lowers)):
            nxt: set[tuple[int, int, int]] = set()
            for pid, idx, start in active:
                if patterns[pid][1][idx].accepts(norm, lower):
                    self._advance(pid, idx + 1, start, i + 1, nxt, found)
            for pid, idx in start_norm.get(norm, ()):
                self._advance(pid, idx + 1, i, i + 1, nxt, found)
            for pid, idx in start_lower.get(lower, ()):
                self._advance(pid, idx + 1, i, i + 1, nxt, found)
            active = nxt
        return found

    def _advance(self, pid: int, idx: int, start: int, end: int, active: set,
                 found: list) -> None:
        """Record the thread at slot `idx`, skipping optional slots; a full pass is a match."""
        key, slots = self.patterns[pid]
        while True:
            if idx == len(slots):
                found.append((key, start, end))
                return
            active.add((pid, idx, start))
            if not slots[idx].optional:
                return
            idx += 1
