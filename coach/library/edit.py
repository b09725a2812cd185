"""Applies text edits to structured libraries in place, then re-parses to prove nothing else changed."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from coach.errors import InputError
from coach.library import csvfile, htmltext, jsonfile, yamlfile
from coach.library.entry import Candidate, Edit
from coach.library.source import LibraryFile, Node, SpanMap, to_python
from coach.library.textfile import check_edits

_HINT = "edit the file by hand"


@dataclass(frozen=True)
class Syntax:
    """How one file syntax escapes a replacement in place and rewrites a whole string."""

    parse: Callable[[LibraryFile], Node | None]
    escape: Callable[[Node, str], str | None]
    render: Callable[[Node, str, str], str]
    fits: Callable[[Node, str], bool] = lambda node, value: True


SYNTAXES = {
    "json": Syntax(
        jsonfile.parse,
        lambda node, text: jsonfile.escape(text),
        lambda node, raw, value: '"' + jsonfile.escape(value) + '"',
    ),
    "yaml": Syntax(yamlfile.parse, yamlfile.escape, yamlfile.render, yamlfile.fits),
    "csv": Syntax(csvfile.parse, csvfile.escape, csvfile.render),
}


@functools.lru_cache(maxsize=64)
def _html(value: str) -> tuple[str, SpanMap]:
    return htmltext.to_text(value)


def _html_edit(node: Node, key: str | None, start: int, end: int, replacement: str, path: str) -> tuple[int, int, str]:
    """An edit of the text of an HTML body as an edit of the HTML source."""
    hmap = _html(node.value)[1]
    raw = htmltext.escape(replacement)
    if raw is None:
        raise InputError(f"cannot put a line break into the HTML body of {key!r}", path=path, hint=_HINT)
    if start < end:
        if not hmap.contiguous(start, end):
            raise InputError(f"the edit of {key!r} crosses HTML markup", path=path, hint=_HINT)
        return (*hmap.extent(start, end), raw)
    # An insertion goes right after the previous real char (or before the next one); generated chars
    # (line breaks for block tags, placeholders) have no place of their own in the HTML.
    before = hmap.span(start - 1) if start > 0 else None
    after = hmap.span(start) if start < hmap.length else None
    if before is not None and before[0] < before[1]:
        return before[1], before[1], raw
    if after is not None and after[0] < after[1]:
        return after[0], after[0], raw
    if before is None and after is None:
        return hmap.origin, hmap.origin, raw
    raise InputError(f"cannot tell where in the HTML of {key!r} to insert", path=path, hint=_HINT)


def _occurrences(text: str, needle: str) -> list[int]:
    out, i = [], text.find(needle)
    while i >= 0:
        out.append(i)
        i = text.find(needle, i + len(needle))
    return out


def _companion_edit(cand: Candidate, text: str, edit: Edit, path: str) -> tuple[int, int, str]:
    """Where the same change goes in the text of the HTML twin of a plain body (matching occurrence)."""
    old = text[edit.start : edit.end]
    assert cand.companion is not None  # only a plain body with an HTML twin gets here
    twin = _html(cand.companion.value)[0]
    mine, theirs = _occurrences(text, old), _occurrences(twin, old)
    if not old or len(mine) != len(theirs) or edit.start not in mine:
        raise InputError(f"cannot keep the HTML version of {cand.key!r} in step with its text", path=path, hint=_HINT)
    at = theirs[mine.index(edit.start)]
    return at, at + len(old), edit.replacement


def _check_html(node: Node, changes: list, text_changes: list, key: str | None, path: str) -> None:
    """Refuse HTML edits whose rendered text is not the intended text (e.g. spaces HTML had merged)."""
    wanted = _new_value(_html(node.value)[0], text_changes)
    got = htmltext.to_text(_new_value(node.value, changes))[0]
    if wanted.split() != got.split():  # line breaks may differ: an emptied paragraph renders as nothing
        raise InputError(f"the edit of {key!r} would change its HTML body in other ways too", path=path, hint=_HINT)


def _node_edits(cands: list[Candidate], edits: list[Edit], path: str) -> dict[int, tuple[Node, list]]:
    """Group text edits into edits of string nodes' values: {id(node): (node, [(start, end, text)])}."""
    by_key = {c.key: c for c in cands}
    grouped: dict[str | None, list[Edit]] = {}
    for e in edits:
        grouped.setdefault(e.entry_key, []).append(e)
    out: dict[int, tuple[Node, list]] = {}
    html: dict[int, tuple[Node, list, str | None]] = {}  # HTML nodes: their text-level changes, to verify
    for key, group in grouped.items():
        cand = by_key.get(key)
        if cand is None:
            raise InputError(f"no reply named {key!r}", path=path, hint="the library changed since it was read")
        text = _html(cand.node.value)[0] if cand.html else cand.node.value
        for e in check_edits(group, len(text), path, key):
            targets = [(cand.node, cand.html, (e.start, e.end, e.replacement))]
            if cand.companion is not None:
                targets.append((cand.companion, True, _companion_edit(cand, text, e, path)))
            for node, is_html, change in targets:
                if is_html:
                    html.setdefault(id(node), (node, [], key))[1].append(change)
                    change = _html_edit(node, key, *change, path)
                out.setdefault(id(node), (node, []))[1].append(change)
    for node, text_changes, key in html.values():
        _check_html(node, out[id(node)][1], text_changes, key, path)
    return out


def _new_value(value: str, changes: list) -> str:
    for start, end, text in sorted(changes, reverse=True):
        value = value[:start] + text + value[end:]
    return value


def _patches(source: LibraryFile, syntax: Syntax, node: Node, changes: list, whole: bool) -> list[tuple[int, int, str]]:
    """File-level patches for one node: in place when the style allows, else the whole scalar rewritten."""
    if not whole and node.spans is not None and syntax.fits(node, _new_value(node.value, changes)):
        patches = []
        for start, end, text in changes:
            raw = syntax.escape(node, text)
            if raw is None:
                break
            patches.append((*node.spans.extent(start, end), raw))
        else:
            return patches
    raw = source.text[node.start : node.end]
    return [(node.start, node.end, syntax.render(node, raw, _new_value(node.value, changes)))]


def _attempt(source: LibraryFile, syntax: Syntax, nodes: dict[int, tuple[Node, list]], whole: bool) -> str:
    patches = sorted(p for node, changes in nodes.values() for p in _patches(source, syntax, node, changes, whole))
    pieces, last = [], 0
    for start, end, raw in patches:
        if start < last:
            raise InputError("overlapping edits", path=source.path, hint=_HINT)
        pieces += [source.text[last:start], raw]
        last = end
    return "".join(pieces) + source.text[last:]


def apply(source: LibraryFile, syntax_name: str, root: Node | None, cands: list[Candidate], edits: list[Edit]) -> str:
    """The new file text with the edits made, refusing (InputError) anything it cannot prove safe."""
    syntax = SYNTAXES[syntax_name]
    nodes = _node_edits(cands, edits, source.path)
    if not nodes:
        return source.render(source.text)
    expected: Any = to_python(root, {k: _new_value(node.value, changes) for k, (node, changes) in nodes.items()})
    for whole in (False, True):
        text = _attempt(source, syntax, nodes, whole)
        try:
            ok = to_python(syntax.parse(LibraryFile(source.path, text))) == expected
        except InputError:
            ok = False
        if ok:
            return source.render(text)
    raise InputError("cannot apply the edits without changing more than the replies", path=source.path, hint=_HINT)
