"""Pure rewriting: apply the first rewrite of each negative finding to the text."""

from __future__ import annotations

from typing import Callable, Iterable

from .models import Finding


def apply_rewrites(text: str, findings: Iterable[Finding],
                   choose: Callable[[Finding], str | None] | None = None) -> str:
    """Return `text` with each chosen rewrite in place; overlapping findings keep the first.

    `choose` picks the replacement for a finding (None skips it); by default the first
    rewrite of every blocking / non-apology finding.
    """
    if choose is None:
        def choose(f: Finding) -> str | None:
            return f.rewrites[0] if f.category in ("blocking", "non_apology") and f.rewrites else None
    edits: list[tuple[int, int, str]] = []
    last_end = -1
    for f in sorted(findings, key=lambda f: (f.start, -f.end)):
        replacement = choose(f)
        if replacement is None or f.start < last_end:
            continue
        edits.append((f.start, f.end, replacement))
        last_end = f.end
    out, pos = [], 0
    for start, end, replacement in edits:
        out.append(text[pos:start])
        out.append(replacement)
        pos = end
    out.append(text[pos:])
    return "".join(out)
