"""Finds the parts of a reply that are not agent prose (placeholders, Markdown markup) so rules skip them."""

from __future__ import annotations

import re
from collections.abc import Iterable

Range = tuple[int, int]

PLACEHOLDER = re.compile(
    r"""\{\{\{.*?\}\}\}                              # {{{ raw liquid }}}
      | \{\{.*?\}\}                                 # {{ticket.requester.first_name}}
      | \{%.*?%\}                                   # {% if ... %}, Help Scout {%customer.firstName%}
      | [%$]\{[^{}\n]*\}                            # %{var}, ${var}
      | \{[ \t]*[A-Za-z_][\w.\-]*(?:[ \t]*\|[^{}\n]*)?[ \t]*\}   # {first_name}, {name | there}
    """,
    re.S | re.X,
)

_HTML = re.compile(r"<!--.*?-->|</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>|<(?:https?://|mailto:)[^<>\s]+>", re.S)
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>()\[\]]*[^\s<>()\[\].,;:!?'\"]")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")
_LINK = re.compile(r"(\[)[^\]\n]*(\](?:\([^)\n]*\)|\[[^\]\n]*\]))")
_REF_DEF = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*\S.*$", re.M)
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?=[ \t]|$)|[ \t]+(#+)[ \t]*$", re.M)
_RULE = re.compile(r"^ {0,3}(?:([-*_])(?:[ \t]*\1){2,}|=+)[ \t]*$", re.M)
_QUOTE = re.compile(r"^ {0,3}(?:>[ \t]?)+", re.M)
_BULLET = re.compile(r"^[ \t]*(?:>[ \t]?)*([-*+]|\d{1,9}[.)])(?:[ \t]+\[[ xX]\])?(?=[ \t]|$)", re.M)
_STRONG = re.compile(r"(\*\*|__|~~)(?=\S).+?(?<=\S)\1")
_EM_STAR = re.compile(r"(?<![\w*\\])\*(?=[^\s*]).*?(?<=[^\s*\\])\*(?![\w*])")
_EM_UNDER = re.compile(r"(?<![\w\\])_(?=[^\s_]).*?(?<=[^\s_\\])_(?!\w)")
_ESCAPE = re.compile(r"\\(?=[!-/:-@\[-`{-~])")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def merge(ranges: Iterable[Range]) -> tuple[Range, ...]:
    """Sorted, non-overlapping, non-empty ranges covering the same chars."""
    out: list[list[int]] = []
    for start, end in sorted(r for r in ranges if r[1] > r[0]):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return tuple((a, b) for a, b in out)


def placeholders(text: str) -> list[Range]:
    return [m.span() for m in PLACEHOLDER.finditer(text)]


def _fences_and_front_matter(text: str) -> list[Range]:
    ranges: list[Range] = []
    if text.startswith("---\n"):
        close = re.search(r"^(?:---|\.\.\.)[ \t]*$", text[4:], re.M)
        if close:
            ranges.append((0, 4 + close.end()))
    pos, fence, begin = 0, None, 0
    for line in text.splitlines(keepends=True):
        m = _FENCE.match(line)
        if fence is None and m:
            fence, begin = m.group(1), pos
        elif (
            fence is not None
            and m
            and m.group(1)[0] == fence[0]
            and len(m.group(1)) >= len(fence)
            and not line[m.end() :].strip()
        ):
            ranges.append((begin, pos + len(line.rstrip("\n"))))
            fence = None
        pos += len(line)
    if fence is not None:
        ranges.append((begin, len(text)))
    return ranges


def _delimiters(pattern: re.Pattern[str], text: str, width: int | None = None) -> list[Range]:
    out = []
    for m in pattern.finditer(text):
        w = width if width is not None else len(m.group(1))
        out += [(m.start(), m.start() + w), (m.end() - w, m.end())]
    return out


def markdown(text: str) -> list[Range]:
    """Markup chars of Markdown (with inline HTML): everything a reader of the rendered reply would not read."""
    ranges = _fences_and_front_matter(text) + placeholders(text)
    for pattern in (_HTML, _URL, _EMAIL, _CODE_SPAN, _IMAGE, _REF_DEF, _RULE, _QUOTE, _ESCAPE):
        ranges += [m.span() for m in pattern.finditer(text)]
    for m in _LINK.finditer(text):
        ranges += [m.span(1), m.span(2)]
    for pattern in (_HEADING, _BULLET):
        for m in pattern.finditer(text):
            group = 1 if m.group(1) is not None else 2
            ranges.append(m.span(group))
    ranges += _delimiters(_STRONG, text) + _delimiters(_EM_STAR, text, 1) + _delimiters(_EM_UNDER, text, 1)
    return ranges


def mask(text: str, flavor: str) -> tuple[Range, ...]:
    """Masked ranges for a text of a flavor: "markdown" (also HTML tags), or "plain" (placeholders only)."""
    return merge(markdown(text) if flavor == "markdown" else placeholders(text))


def blank(text: str, masked: Iterable[Range]) -> str:
    """`text` with masked chars turned into spaces (newlines kept) so offsets stay valid."""
    chars = list(text)
    for start, end in masked:
        for i in range(start, min(end, len(chars))):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)
