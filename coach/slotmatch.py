"""A token automaton for phrases with word gaps, optional slots and big alternations.

spaCy's Matcher preprocesses every pattern in Python (thousands took seconds to
compile) and its per-token cost grows with the pattern count. Phrases that
cannot become PhraseMatcher phrases compile here instead: linear lists of
slots (a set of NORM hashes, a set of LOWER hashes, any token, or any token
but a set; each slot may be optional), merged into one trie so patterns that
share a beginning share their states. A thread is (trie node, start), so a
common first word ("I", "we") starts one thread, not one per pattern. Pure
Python; it never imports spaCy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True, slots=True, eq=False)
class Slot:
    """One token position of a pattern. Compared by identity: the engine interns slots, so
    equal slots are the same object and hashing stays cheap while building the trie."""

    norms: frozenset[int] = frozenset()
    lowers: frozenset[int] = frozenset()
    any: bool = False
    optional: bool = False
    negate: bool = False  # any token whose NORM/LOWER is NOT in the sets

    def accepts(self, norm: int, lower: int) -> bool:
        if self.any:
            return True
        hit = norm in self.norms or lower in self.lowers
        return hit != self.negate


class _Node:
    __slots__ = ("by_norm", "by_lower", "other", "skips", "keys", "children", "live")

    def __init__(self) -> None:
        self.by_norm: dict[int, list[_Node]] = {}
        self.by_lower: dict[int, list[_Node]] = {}
        self.other: list[tuple[Slot, _Node]] = []  # any / negated slots: checked per token
        self.skips: list[_Node] = []  # epsilon edges over optional slots
        self.keys: list[str] = []  # patterns that end here
        self.children: dict[Slot, _Node] = {}
        self.live = False  # has outgoing edges; set when the trie is finalized


class SlotMatcher:
    """Linear slot patterns under keys, merged into one trie; `find` returns matches."""

    def __init__(self) -> None:
        self.root = _Node()
        self.count = 0
        self.max_len = 0  # slots in the longest pattern: a match spans at most this many tokens
        self._root_closure: list[_Node] | None = None
        self._root_norms: set[int] = set()
        self._root_lowers: set[int] = set()
        self._root_other = False

    def __len__(self) -> int:
        return self.count

    def add(self, key: str, slots: Sequence[Slot]) -> None:
        """Add one pattern: a sequence of slots, the first of them not a bare gap."""
        if not slots or slots[0].any:
            raise ValueError("a pattern cannot begin with a gap")
        node = self.root
        for slot in slots:
            child = node.children.get(slot)
            if child is None:
                child = node.children[slot] = _Node()
                if slot.any or slot.negate:
                    node.other.append((slot, child))
                else:
                    for h in slot.norms:
                        node.by_norm.setdefault(h, []).append(child)
                    for h in slot.lowers:
                        node.by_lower.setdefault(h, []).append(child)
                if slot.optional:
                    node.skips.append(child)
            node = child
        node.keys.append(key)
        self.count += 1
        self.max_len = max(self.max_len, len(slots))
        self._root_closure = None  # finalize again before the next find

    @staticmethod
    def _closure(nodes: list[_Node]) -> list[_Node]:
        seen: dict[int, _Node] = {}
        stack = list(nodes)
        while stack:
            node = stack.pop()
            if id(node) not in seen:
                seen[id(node)] = node
                stack.extend(node.skips)
        return list(seen.values())

    def _finalize(self) -> None:
        stack, seen = [self.root], set()
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            node.live = bool(node.by_norm or node.by_lower or node.other)
            stack.extend(node.children.values())
        self._root_closure = [n for n in self._closure([self.root]) if n.live]
        self._root_norms = {h for n in self._root_closure for h in n.by_norm}
        self._root_lowers = {h for n in self._root_closure for h in n.by_lower}
        self._root_other = any(n.other for n in self._root_closure)
        # What the second token must be for a start to go anywhere (None: anything may do).
        self._follow: dict[int, frozenset[int] | None] = {}
        for table in ("by_norm", "by_lower"):
            for root in self._root_closure:
                for h, children in getattr(root, table).items():
                    follow = self._follow.get(h, frozenset())
                    for child in self._closure(children):
                        if follow is None or child.keys or child.other:
                            follow = None
                            break
                        follow = follow | child.by_norm.keys() | child.by_lower.keys()
                    self._follow[h] = follow

    def find(self, norms: Sequence[int], lowers: Sequence[int],
             anchors: Sequence[int] | None = None) -> list[tuple[str, int, int]]:
        """All matches (every start, every length) over one Doc's NORM and LOWER hashes.

        Tokens that can start no pattern are jumped over while no thread is alive; with
        `anchors` (positions of words every pattern needs one of), only starts close
        enough before an anchor are tried.
        """
        if self._root_closure is None:
            self._finalize()
        roots = self._root_closure
        root_norms, root_lowers = self._root_norms, self._root_lowers
        if self._root_other:
            starts = list(range(len(norms)))
        else:
            follow = self._follow
            last = len(norms) - 1
            starts = []
            for i, (n, l) in enumerate(zip(norms, lowers)):
                if n in root_norms or l in root_lowers:
                    need = follow.get(n, frozenset()) if n in root_norms else frozenset()
                    if l in root_lowers:
                        more = follow.get(l, frozenset())
                        need = None if need is None or more is None else need | more
                    if need is None or (i < last and (norms[i + 1] in need or lowers[i + 1] in need)):
                        starts.append(i)
        if anchors is not None:
            reach = self.max_len
            near: set[int] = set()
            for at in anchors:
                near.update(range(max(0, at - reach + 1), at + 1))
            starts = [i for i in starts if i in near]
        found: set[tuple[str, int, int]] = set()
        active: list[tuple[_Node, int]] = []
        next_start = 0  # index into `starts`
        i = starts[0] if starts else len(norms)
        while i < len(norms):
            norm, lower = norms[i], lowers[i]
            threads = active
            if next_start < len(starts) and starts[next_start] == i:
                threads = active + [(r, i) for r in roots]
                next_start += 1
            reached: dict[tuple[int, int], tuple[_Node, int]] = {}
            for node, start in threads:
                targets = node.by_norm.get(norm, ())
                more = node.by_lower.get(lower, ())
                if more:
                    targets = list(targets) + more
                if node.other:
                    targets = list(targets) + [c for s, c in node.other if s.accepts(norm, lower)]
                for child in targets:
                    stack = [child]
                    while stack:
                        n = stack.pop()
                        mark = (id(n), start)
                        if mark in reached:
                            continue
                        reached[mark] = (n, start)
                        for key in n.keys:
                            found.add((key, start, i + 1))
                        stack.extend(n.skips)
            active = [(n, s) for n, s in reached.values() if n.live]
            if active:
                i += 1
            elif next_start < len(starts):
                i = starts[next_start]
            else:
                break
        return sorted(found, key=lambda m: (m[1], m[2], m[0]))
