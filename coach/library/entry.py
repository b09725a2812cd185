"""The reply a library reader yields (Entry) and how it is built from a parsed string, masks included."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from coach.errors import InputError, UsageError
from coach.library import htmltext, suppress
from coach.library import mask as masking
from coach.library.source import LibraryFile, Node, SpanMap, to_python
from coach.library.suppress import Suppression
from coach.textfix import encoding_problem

#: The longest reply coach checks, as for one transcript message (coach.readers MAX_TURN_CHARS).
MAX_REPLY_CHARS = 1_000_000


def check_length(text: str, path: str, key: str | None, line: int) -> None:
    """InputError for a reply too long to lint in reasonable time and memory."""
    if len(text) > MAX_REPLY_CHARS:
        what = f"reply {key!r}" if key is not None else "the reply"
        raise InputError(
            f"{what} is {len(text):,} characters, over the {MAX_REPLY_CHARS:,}-character limit",
            path=path,
            line=line,
            hint="split it into several replies",
        )


@dataclass(frozen=True)
class LibraryOptions:
    """How to read a library: forced format, which keys/columns hold names and texts, file encoding."""

    format: str | None = None
    name_keys: tuple[str, ...] = ("name", "title", "key", "id")
    text_keys: tuple[str, ...] = ("body", "text", "content", "message")
    csv_name_column: str | None = None
    csv_text_column: str | None = None
    encoding: str | None = None

    def __post_init__(self) -> None:
        if self.encoding is not None:
            problem = encoding_problem(self.encoding)
            if problem:
                raise UsageError(problem, hint="use a Python codec name such as utf-8, cp1252 or utf-16")


@dataclass(frozen=True)
class Edit:
    """Replace text[start:end] of the entry named `entry_key` (None for a one-reply text file)."""

    entry_key: str | None
    start: int
    end: int
    replacement: str


@dataclass(frozen=True)
class Entry:
    """One canned reply: its text exactly as written, where it sits in the file, and what not to lint."""

    path: str
    key: str | None
    text: str
    line: int = 1
    column: int = 1
    masked: tuple[tuple[int, int], ...] = ()
    suppressions: tuple[Suppression, ...] = ()
    format: str = "text"
    # (text offset, file line, file column, exact) runs; () means "count newlines from line/column".
    anchors: tuple[tuple[int, int, int, bool], ...] = field(default=(), repr=False, compare=False)

    def locate(self, offset: int) -> tuple[int, int]:
        """File (line, column) of a text offset: exact where the source allows, else the scalar's start."""
        offset = max(0, min(offset, len(self.text)))
        if not self.anchors:
            newlines = self.text.count("\n", 0, offset)
            if not newlines:
                return self.line, self.column + offset
            return self.line + newlines, offset - self.text.rfind("\n", 0, offset)
        i = bisect.bisect_right(self.anchors, (offset, float("inf"))) - 1
        at, line, column, exact = self.anchors[max(i, 0)]
        return (line, column + offset - at) if exact else (line, column)

    def lintable_text(self) -> str:
        """`text` with every masked char replaced by a space (same length, newlines kept)."""
        return masking.blank(self.text, self.masked)


@dataclass(eq=False)
class Candidate:
    """Where a reader found one reply in a parsed tree: the string node, and how to read it."""

    key: str | None
    node: Node
    html: bool = False
    companion: Node | None = None  # an HTML twin of a plain-text body, kept in sync by apply_edits
    coach: Node | None = None  # the entry's `coach` suppression field
    coach_line: int = 0


def anchors_from(spans: SpanMap, source: LibraryFile) -> tuple[tuple[int, int, int, bool], ...]:
    """Compress a char->file map into runs of (offset, line, column) that advance one column per char."""
    out: list[tuple[int, int, int, bool]] = []
    for v, r, n, w in spans.runs:
        if w == 1:
            k = 0
            while k < n:
                line, col = source.pos(r + k)
                nl = source.text.find("\n", r + k, r + n)
                upto = n if nl < 0 else nl - r + 1
                out.append((v + k, line, col, True))
                k = upto
        else:
            for k in range(n):
                out.append((v + k, *source.pos(r + k * w), True))
    merged: list[tuple[int, int, int, bool]] = []
    for a in out:
        if merged:
            v, line, col, _ = merged[-1]
            if a[1] == line and a[2] == col + a[0] - v:
                continue
        merged.append(a)
    return tuple(merged)


def dedupe_keys(candidates: list[Candidate]) -> list[Candidate]:
    """Make keys unique within a file (`name`, `name#2`, ...) so edits and baselines can name a reply."""
    seen: dict[str | None, int] = {}
    taken = {c.key for c in candidates}
    for c in candidates:
        if c.key is None:
            continue
        n = seen.get(c.key, 0) + 1
        seen[c.key] = n
        if n > 1:
            new = f"{c.key}#{n}"
            while new in taken:
                n += 1
                new = f"{c.key}#{n}"
            seen[c.key] = n
            taken.add(new)
            c.key = new
    return candidates


def text_of(cand: Candidate, path: str) -> tuple[str, SpanMap | None, str]:
    """(text, text->file span map or None, flavor) for a candidate; HTML bodies become plain text."""
    node = cand.node
    if not isinstance(node.value, str):
        raise InputError(f"the reply text of {cand.key!r} is not a string", path=path)
    if not cand.html:
        return node.value, node.spans, "markdown"
    text, spans = htmltext.to_text(node.value)
    return text, (spans.compose(node.spans) if node.spans is not None else None), "plain"


def build_entry(cand: Candidate, source: LibraryFile, fmt: str) -> Entry:
    """Turn a candidate into an Entry: text, anchors for locate(), masked ranges and suppressions."""
    path = source.path
    text, spans, flavor = text_of(cand, path)
    check_length(text, path, cand.key, source.pos(cand.node.start)[0])
    if spans is not None and spans.length == len(text):
        anchors = anchors_from(spans, source) or ((0, *source.pos(spans.origin), True),)
    else:
        anchors = ((0, *source.pos(cand.node.start), False),)
    entry = Entry(path, cand.key, text, anchors[0][1], anchors[0][2], format=fmt, anchors=anchors)
    sups, comment_ranges = suppress.scan(text, flavor, entry.locate, path=path, key=cand.key)
    if cand.coach is not None:
        sups.insert(0, suppress.from_field(to_python_plain(cand.coach), line=cand.coach_line, path=path, key=cand.key))
    masked = masking.merge(list(masking.mask(text, flavor)) + comment_ranges)
    return Entry(path, cand.key, text, entry.line, entry.column, masked, tuple(sups), fmt, anchors)


def to_python_plain(node: Node) -> object:
    """A node as ordinary dicts/lists (for small fields such as `coach`)."""
    if node.kind == "map":
        return {to_python(k): to_python_plain(v) for k, v in node.items}
    if node.kind == "seq":
        return [to_python_plain(item) for item in node.items]
    return node.value
