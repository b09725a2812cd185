"""A folder of .txt/.md replies: each file is one reply, linted and edited as written."""

from __future__ import annotations

import os

from coach.errors import InputError
from coach.library import mask as masking
from coach.library import suppress
from coach.library.entry import Edit, Entry, check_length
from coach.library.source import LibraryFile

NAME = "text"
MARKDOWN_EXTENSIONS = (".md", ".markdown", ".mdown", ".mkd")
EXTENSIONS = (".txt", ".text") + MARKDOWN_EXTENSIONS


def flavor(path: str) -> str:
    return "markdown" if os.path.splitext(path)[1].lower() in MARKDOWN_EXTENSIONS else "plain"


def entries(source: LibraryFile) -> list[Entry]:
    """The file's one reply (none when it is blank), with markup, placeholders and comments masked."""
    text = source.text
    if not text.strip():
        return []
    check_length(text, source.path, None, 1)
    kind = flavor(source.path)
    bare = Entry(source.path, None, text, 1, 1, format=NAME)
    sups, comments = suppress.scan(text, kind, bare.locate, path=source.path)
    masked = masking.merge(list(masking.mask(text, kind)) + comments)
    return [Entry(source.path, None, text, 1, 1, masked, tuple(sups), NAME)]


def check_edits(edits: list[Edit], length: int, path: str, key: str | None = None) -> list[Edit]:
    """Edits sorted by position, refusing ones out of range or overlapping."""
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    last = 0
    for e in ordered:
        if not 0 <= e.start <= e.end <= length:
            raise InputError(
                f"edit [{e.start}, {e.end}) is outside the reply"
                + (f" {key!r}" if key is not None else "")
                + f" ({length} chars)",
                path=path,
            )
        if e.start < last:
            raise InputError("overlapping edits", path=path, hint="apply them one at a time")
        last = e.end
    return ordered


def apply(source: LibraryFile, edits: list[Edit]) -> str:
    """Splice the edits into the file text, keeping its BOM and line endings."""
    for e in edits:
        if e.entry_key is not None:
            raise InputError(f"no reply {e.entry_key!r} in a one-reply text file", path=source.path)
    text = source.text
    for e in reversed(check_edits(edits, len(text), source.path)):
        text = text[: e.start] + e.replacement + text[e.end :]
    return source.render(text)
