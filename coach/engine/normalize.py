"""Unicode normalization that remembers where every character came from.

Matching runs on normalized text (NFKC, straight quotes, no zero-width
characters) but findings must point into the ORIGINAL text, so `normalize`
returns the normalized string plus an offset map back to the original.
"""

from __future__ import annotations

import bisect
import re
import unicodedata

# Characters dropped before matching: zero-width spaces/joiners, BOM, soft hyphen.
_IGNORED = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")
# Quote-like characters folded to their ASCII form (NFKC leaves these alone).
_FOLD = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u02bc": "'",
    "\u0060": "'",
    "\u00b4": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
}


class Normalized:
    """Normalized text plus `orig_offset`, mapping a normalized offset to an original one."""

    __slots__ = ("text", "_map", "original", "_line_starts")

    def __init__(self, text: str, offsets: list[int] | None, original: str) -> None:
        self.text = text
        self._map = offsets  # len(text) + 1 entries; None when text is the original
        self.original = original
        self._line_starts: list[int] | None = None

    def orig_offset(self, offset: int) -> int:
        return offset if self._map is None else self._map[offset]

    def orig_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalized [start, end) to the original, covering every source character."""
        if self._map is None:
            return start, max(start, end)
        if end <= start:
            o = self._map[start]
            return o, o
        # The end maps via the last included char so an expanded ligature stays whole.
        last = self._map[end - 1]
        nxt = self._map[end]
        return self._map[start], max(nxt, last + 1)

    def line_col(self, orig_offset: int) -> tuple[int, int]:
        """1-based line and column of an ORIGINAL offset."""
        if self._line_starts is None:
            starts = [0]
            text = self.original
            at = text.find("\n")
            while at != -1:
                starts.append(at + 1)
                at = text.find("\n", at + 1)
            self._line_starts = starts
        idx = bisect.bisect_right(self._line_starts, orig_offset) - 1
        return idx + 1, orig_offset - self._line_starts[idx] + 1


# spaCy's affix splitting is quadratic in the length of a whitespace-free chunk that holds many
# affixes: 5,000 '=' took seconds, '!?' * 20000 38 s, and mixes such as ':)' * 31 + 'x' repeated
# are just as slow. So before tokenizing, any run of LONG_RUN_MIN or more non-word characters is
# cut to its first RUN_KEEP, and a whitespace-free chunk is broken by a space every CHUNK
# characters (no phrase matches inside such runs or 128-character "words"). Offsets into the
# original text stay exact: cut characters are skipped, an added space maps to the next one.
LONG_RUN_MIN = 64
RUN_KEEP = 3
CHUNK = 128
LONG_RUN = re.compile(rf"[^\w\s]{{{LONG_RUN_MIN},}}")
_NEEDS_WORK = re.compile(rf"[^\w\s]{{{LONG_RUN_MIN}}}|\S{{{CHUNK + 1}}}")


def _is_plain(text: str) -> bool:
    return text.isascii() and _NEEDS_WORK.search(text) is None


def normalize(text: str) -> Normalized:
    """NFKC-normalize `text`, fold quotes, drop zero-width characters, keep an offset map."""
    if _is_plain(text) and "`" not in text:
        return Normalized(text, None, text)
    out: list[str] = []
    offsets: list[int] = []
    cuts = [(m.start() + RUN_KEEP, m.end()) for m in LONG_RUN.finditer(text)]
    cut = 0
    chunk = 0  # non-space characters written since the last space
    for i, ch in enumerate(text):
        if ch in _IGNORED:
            continue
        while cut < len(cuts) and cuts[cut][1] <= i:
            cut += 1
        if cut < len(cuts) and cuts[cut][0] <= i:
            continue
        folded = _FOLD.get(ch)
        if folded is None and "\ud800" <= ch <= "\udfff":
            folded = "\ufffd"  # a lone surrogate: spaCy cannot hash it (library callers may pass one)
        if folded is None:
            folded = unicodedata.normalize("NFKC", ch) if not ch.isascii() else ch
            folded = "".join(_FOLD.get(c, c) for c in folded)
        for c in folded:
            if c.isspace():
                chunk = 0
            elif chunk == CHUNK:
                out.append(" ")
                offsets.append(i)
                chunk = 1
            else:
                chunk += 1
            out.append(c)
            offsets.append(i)
    offsets.append(len(text))
    return Normalized("".join(out), offsets, text)
