"""The old splice: each negative finding's first rewrite over its matched words.

Interim implementation behind `coach.rewrite.rewrite` until sentence composition lands.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from ..models import NEGATIVE_CATEGORIES, Finding


def splice_edits(text: str, findings: Iterable[Finding]) -> Iterator[tuple[int, int, str, tuple[str, ...]]]:
    """(start, end, replacement, rule ids) per chosen finding; overlapping findings keep the first."""
    last_end = -1
    for f in sorted(findings, key=lambda f: (f.start, -f.end)):
        if f.category not in NEGATIVE_CATEGORIES or not f.rewrites or f.start < last_end:
            continue
        yield f.start, f.end, f.rewrites[0], (f.rule,)
        last_end = f.end
