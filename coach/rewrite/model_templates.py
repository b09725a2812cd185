"""Sentence rewrites for the classifier's findings, which mark a whole sentence and carry
no matched words: a few surface patterns decide which template fits the sentence; where
none fits, the finding gets advice and the sentence stays as written.

Blocking sentences the model alone marks always get advice: templates for them ("we can't X"
-> "Let me see how I can X", hand-offs -> "I'll get the team on this") read naturally and kept
the meaning in 1 of 16 hand-read real replies (docs/rewrites.md): they promised what the reply
ruled out and dropped the phone numbers, links and steps around the refusal."""

from __future__ import annotations

import re

#: (category, pattern, template): the first pattern that matches the sentence wins.
_PATTERNS: tuple[tuple[str, re.Pattern, str], ...] = (
    (
        "non_apology",
        re.compile(r"\bsorry\s+(?:if|that)?\s*you\s+(?:feel|felt|think|thought|are|were|'re|got)\b", re.I),
        "I'm sorry we [what went wrong].",
    ),
    (
        "non_apology",
        re.compile(r"\b(?:apologi[sz]e|apologies)\s+(?:if|that)\s+you\b", re.I),
        "I'm sorry we [what went wrong].",
    ),
    (
        "non_apology",
        re.compile(r"\b(?:sorry|apologi[sz]e|apologies)\b", re.I),
        "I'm sorry for [what went wrong], and here's how I'll put it right: [the fix].",
    ),
)


def model_rewrite(category: str, sentence: str) -> tuple[str, int] | None:
    """A sentence template that fits `sentence` for a finding of `category`, and where in
    the sentence the words it answers start; None if none fits."""
    for cat, pattern, template in _PATTERNS:
        if cat == category and (m := pattern.search(sentence)):
            return template, m.start()
    return None


ADVICE = {
    "blocking": "No template fits this sentence: say what you can do for the customer, or take the next step for them.",
    "non_apology": 'No template fits this sentence: apologize plainly for what happened, without "if" or "but".',
}
