"""Where the sentences and clauses of a draft start and end, in character offsets.

A rewrite replaces whole sentences or clauses, so the offsets must be those of the
original text: nothing here normalizes. Sentences end where the engine's sentences end
(. ! ? … or a line break); a short list of abbreviations keeps "Mr. Grant" whole.
"""

from __future__ import annotations

import re

_END = re.compile(r"[.!?…]+[\"'’”)\]]*(?=\s|$)|\n")
_TITLE = re.compile(r"\b(?:mr|mrs|ms|dr)\.$", re.I)
_ABBREV = re.compile(r"(?:\b(?:st|vs|etc|no|e\.g|i\.e|approx|dept|jr|sr)|\b[a-z])\.$", re.I)
#: Clause boundaries: punctuation ( , ; : and dashes ) and conjunctions that start a clause.
_PUNCT = re.compile(r"\s*[,;:]\s+|\s+[—–-]{1,2}\s+|\s*—\s*|\.\.\.\s+")
_SUBJECT = (
    r"(?:i|i'm|i've|i'll|we|we're|we've|we'll|you|you're|you'll|it|it's|they|they're|he|she|there|there's"
    r"|this|that|that's|these|those|our|your|my|the)"
)
_CONJ = re.compile(rf"\s+(?=(?:but|however)\b)|\s+(?=(?:and|so|because|since)\s+{_SUBJECT}\b)", re.I)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, whitespace at either edge left out; end punctuation included."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _END.finditer(text):
        if (
            m.group() != "\n"
            and m.end() < len(text)
            and (
                _TITLE.search(text[pos : m.end()])
                or (_ABBREV.search(text[pos : m.end()]) and text[m.end() :].lstrip()[:1].islower())
            )
        ):
            continue
        end = m.start() if m.group() == "\n" else m.end()
        _add(text, pos, end, spans)
        pos = m.end()
    _add(text, pos, len(text), spans)
    return spans


def _add(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def clause_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of each clause of text[start:end] (sentence by sentence), separators
    left out; a leading conjunction ("but we can't") stays part of its clause."""
    spans: list[tuple[int, int]] = []
    for s_start, s_end in sentence_spans(text[start:end]):
        s_start, s_end = s_start + start, s_end + start
        cuts = sorted(
            (s_start + m.start(), s_start + m.end())
            for pattern in (_PUNCT, _CONJ)
            for m in pattern.finditer(text[s_start:s_end])
        )
        pos = s_start
        for a, b in cuts:
            if a < pos:
                continue
            _add(text, pos, a, spans)
            pos = b
        _add(text, pos, s_end, spans)
    return spans
