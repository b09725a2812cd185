"""CSV/TSV libraries (one reply per row), parsed by hand so every cell keeps its exact place."""

from __future__ import annotations

import os
import re

from coach.controls import shown_cells
from coach.errors import InputError
from coach.gcpause import paused
from coach.library.entry import Candidate, LibraryOptions
from coach.library.source import LibraryFile, Node, SpanMap

NAME = "csv"


def delimiter(source: LibraryFile) -> str:
    """Tab for .tsv; otherwise whichever of , ; tab is most common on the header line."""
    if os.path.splitext(source.path)[1].lower() == ".tsv":
        return "\t"
    header = source.text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse(source: LibraryFile, options: object = None) -> Node:
    """Rows of cells as a seq of seqs of str nodes (RFC 4180 quoting)."""
    with paused():
        return _parse(source)


def _parse(source: LibraryFile) -> Node:
    s, delim = source.text, delimiter(source)
    plain = re.compile("[^" + re.escape(delim) + "\n]*")
    root, row = Node("seq", None, 0, len(s)), Node("seq", None, 0)
    i, n = 0, len(s)
    while True:
        if s.startswith('"', i):
            spans, parts, j = SpanMap(i + 1), [], i + 1
            while True:
                k = s.find('"', j)
                if k < 0:
                    raise InputError(
                        "unterminated quoted field",
                        path=source.path,
                        line=source.pos(i)[0],
                        hint='close the field with " (write "" for a quote inside it)',
                    )
                parts.append(s[j:k])
                spans.add_run(j, k - j)
                if s.startswith('"', k + 1):
                    parts.append('"')
                    spans.add(k, k + 2)
                    j = k + 2
                    continue
                break
            cell = Node("str", "".join(parts), i, k + 1, spans=spans, style='"')
            i = k + 1
            if i < n and s[i] not in (delim, "\n"):
                raise InputError(
                    "unexpected text after a quoted field",
                    path=source.path,
                    line=source.pos(i)[0],
                    hint="quote the whole field",
                )
        else:
            end = plain.match(s, i).end()  # type: ignore[union-attr]  # [^...]* always matches
            spans = SpanMap(i)
            spans.add_run(i, end - i)
            cell = Node("str", s[i:end], i, end, spans=spans, style="")
            i = end
        row.items.append(cell)
        if i < n and s[i] == delim:
            i += 1
            continue
        row.end = i
        if not (len(row.items) == 1 and row.items[0].value == "" and row.items[0].style == ""):
            root.items.append(row)
        i += 1
        if i >= n:
            return root
        row = Node("seq", None, i)


def _column(header: list[str], wanted: str | None, keys: tuple[str, ...], source: LibraryFile, what: str) -> int | None:
    lowered = [h.strip().lower() for h in header]
    if wanted is not None:
        if wanted.strip().lower() not in lowered:
            raise InputError(f"no {what} column {wanted!r} (columns: {shown_cells(header)})", path=source.path, line=1)
        return lowered.index(wanted.strip().lower())
    return next((lowered.index(k.lower()) for k in keys if k.lower() in lowered), None)


def candidates(root: Node, source: LibraryFile, options: LibraryOptions) -> list[Candidate]:
    """One candidate per data row: the text column, keyed by the name column (or the row index)."""
    if not root.items:
        return []
    header = [c.value for c in root.items[0].items]
    text_col = _column(header, options.csv_text_column, options.text_keys, source, "text")
    if text_col is None:
        raise InputError(
            f"no text column (columns: {shown_cells(header)})",
            path=source.path,
            line=1,
            hint=f"name it one of {', '.join(options.text_keys)} or pass the text column",
        )
    name_col = _column(header, options.csv_name_column, options.name_keys, source, "name")
    out = []
    for i, row in enumerate(root.items[1:]):
        if text_col >= len(row.items):
            raise InputError(
                f"row has {len(row.items)} cell(s); the {header[text_col]!r} column is missing",
                path=source.path,
                line=source.pos(row.start)[0],
                hint='quote cells that hold commas or line breaks ("...")',
            )
        if not row.items[text_col].value.strip():
            continue
        name = row.items[name_col].value.strip() if name_col is not None and name_col < len(row.items) else ""
        out.append(Candidate(name or f"[{i}]", row.items[text_col]))
    return out


def escape(node: Node, text: str, delim: str = ",") -> str | None:
    """`text` written inside the cell as it is quoted now, or None when the cell needs quoting."""
    if node.style == '"':
        return text.replace('"', '""')
    return None if any(ch in text for ch in (delim, '"', "\n", ";", "\t")) else text


def render(node: Node, raw: str, value: str) -> str:
    return '"' + value.replace('"', '""') + '"'
