"""Rewriting a draft: one coherent rewrite per sentence that carries a negative finding.

The contract every renderer and `coach check --fix` reads (issue 15):
`rewrite(text, findings)` -> `Rewritten`: the whole rewritten draft and, per sentence
that changed, a `SentenceRewrite` saying which span of the original it replaces, with
what, for which findings, and where the `[placeholders]` the agent must fill are.
Sentences without a negative finding are left exactly as written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..models import Finding

#: What a rewrite cannot know and the agent must fill in: "[what you can offer]".
PLACEHOLDER = re.compile(r"\[[^\[\]\n]{1,60}\]")


@dataclass(frozen=True, slots=True)
class SentenceRewrite:
    """One sentence (or clause) of the draft rewritten: offsets into the original text."""

    start: int
    end: int
    text: str
    #: Ids of the findings this rewrite answers.
    rules: tuple[str, ...] = ()
    #: Where no template fits: what to do instead; `text` is then the original sentence.
    advice: str | None = None

    @property
    def placeholders(self) -> tuple[tuple[int, int], ...]:
        """(start, end) of each `[placeholder]` inside `text`."""
        return tuple(m.span() for m in PLACEHOLDER.finditer(self.text))

    @property
    def fixable(self) -> bool:
        """Safe for `coach check --fix`: a real rewrite with nothing left to fill in."""
        return self.advice is None and not self.placeholders

    def to_dict(self) -> dict:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "rules": list(self.rules),
            "advice": self.advice,
            "placeholders": [list(p) for p in self.placeholders],
        }


@dataclass(frozen=True, slots=True)
class Rewritten:
    """A draft with every sentence rewrite applied."""

    text: str
    edits: tuple[SentenceRewrite, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.edits)


def rewrite(text: str, findings: Sequence[Finding], *, prefer: str | None = None) -> Rewritten:
    """The draft rewritten sentence by sentence (see the module docstring); `prefer`: a
    rule id whose findings choose their sentence's template first."""
    from .compose import plan_all

    edits = []
    for p in plan_all(text, findings, prefer):
        start, end = p.start, p.end
        if not p.text and p.advice is None:  # a sentence dropped whole: take the space after it too
            while end < len(text) and text[end] in " \t":
                end += 1
        edits.append(SentenceRewrite(start, end, p.text, p.rules, p.advice))
    return Rewritten(apply_edits(text, edits), tuple(edits))


def apply_edits(text: str, edits: Sequence[SentenceRewrite]) -> str:
    """`text` with each non-overlapping edit in place (edits sorted by start)."""
    out, pos = [], 0
    for e in sorted(edits, key=lambda e: e.start):
        if e.start < pos:
            continue
        out.append(text[pos : e.start])
        out.append(e.text)
        pos = e.end
    out.append(text[pos:])
    return "".join(out)


def apply_rewrites(text: str, findings: Sequence[Finding]) -> str:
    """The rewritten draft's text (kept for callers of the old splice API)."""
    return rewrite(text, findings).text
