"""Reads libraries of canned replies (text, YAML, JSON, CSV, helpdesk exports) as Entries, and edits them."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator

from coach.errors import InputError
from coach.gcpause import paused
from coach.library import (
    csvfile,
    freshdesk,
    generic,
    gorgias,
    helpscout,
    intercom,
    jsonfile,
    selection,
    textfile,
    yamlfile,
    zendesk,
)
from coach.library import edit as editing
from coach.library.entry import Candidate, Edit, Entry, LibraryOptions, build_entry, dedupe_keys
from coach.library.source import LibraryFile, Node
from coach.library.suppress import Suppression

__all__ = [
    "Edit",
    "Entry",
    "FORMATS",
    "LibraryOptions",
    "Suppression",
    "apply_edits",
    "discover",
    "iter_entries",
    "sniff_library",
    "apply_edits_to_text",
    "entries_from_text",
]

#: Platform exports, in the order their shapes are tried.
PLATFORMS = {m.NAME: m for m in (zendesk, gorgias, intercom, freshdesk, helpscout)}
FORMATS = ("text", "yaml", "json", "csv", *PLATFORMS)
YAML_EXTENSIONS = (".yaml", ".yml")
JSON_EXTENSIONS = (".json",)
CSV_EXTENSIONS = (".csv", ".tsv")
LIBRARY_EXTENSIONS = textfile.EXTENSIONS + YAML_EXTENSIONS + JSON_EXTENSIONS + CSV_EXTENSIONS
_HEAD_HINTS = (
    ("zendesk", re.compile(rb'"comment_value(?:_html)?"')),
    ("gorgias", re.compile(rb'"setResponseText"')),
    ("intercom", re.compile(rb'"type"\s*:\s*"macro"')),
    ("freshdesk", re.compile(rb'"content_html"')),
    ("helpscout", re.compile(rb'"_embedded"\s*:\s*\{\s*"saved-?[rR]eplies"')),
)


def _ext(path: str) -> str:
    return os.path.splitext(path)[1].lower()


def _detect(root: Node | None) -> str | None:
    return next((name for name, module in PLATFORMS.items() if module.detect(root)), None)


def sniff_library(path: str, head: bytes, override: str | None = None) -> str:
    """The format of a library file from its name and first bytes; `override` (a FORMATS name) wins."""
    if override:
        if override not in FORMATS:
            raise InputError(f"unknown library format {override!r} (expected one of {', '.join(FORMATS)})", path=path)
        return override
    ext = _ext(path)
    if ext in textfile.EXTENSIONS:
        return "text"
    if ext in CSV_EXTENSIONS:
        return "csv"
    if ext in YAML_EXTENSIONS:
        return "yaml"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if ext in JSON_EXTENSIONS or stripped[:1] in (b"{", b"["):
        try:
            return _detect(jsonfile.parse(LibraryFile(path, head.decode("utf-8")))) or "json"
        except (InputError, UnicodeDecodeError, RecursionError):  # a truncated head: fall back to telltale keys
            return next((name for name, hint in _HEAD_HINTS if hint.search(head)), "json")
    return "text"


def _syntax(path: str, source: LibraryFile) -> str:
    if _ext(path) in YAML_EXTENSIONS:
        return "yaml"
    if _ext(path) in JSON_EXTENSIONS or source.text.lstrip()[:1] in ("{", "["):
        return "json"
    return "yaml"


def _read(
    path: str, options: LibraryOptions, text: str | None = None
) -> tuple[LibraryFile, str, str, Node | None, list[Candidate]]:
    """(source, format, syntax, root, candidates) of a structured library file (or of `text` named `path`)."""
    source = LibraryFile.read(path, options.encoding) if text is None else LibraryFile(path, text)
    fmt = options.format or sniff_library(path, source.text[:4096].encode("utf-8"))
    if fmt == "text":
        return source, fmt, "text", None, []
    if fmt == "csv":
        root = csvfile.parse(source)
        return source, fmt, "csv", root, csvfile.candidates(root, source, options)
    syntax = "yaml" if fmt == "yaml" else _syntax(path, source)
    try:
        root = (yamlfile if syntax == "yaml" else jsonfile).parse(source)
    except RecursionError:
        raise InputError("the file is nested too deeply", path=path) from None
    if options.format is None:
        fmt = _detect(root) or ("yaml" if syntax == "yaml" else "json")
    module = PLATFORMS.get(fmt)
    cands = module.candidates(root, source) if module else generic.candidates(root, source, options)
    return source, fmt, syntax, root, dedupe_keys(cands)


def iter_entries(path: str, options: LibraryOptions | None = None, *, text: str | None = None) -> Iterator[Entry]:
    """Every reply in a library file (or in `text`, read as if from `path`: stdin), in file order;
    InputError (one line) for anything unreadable."""
    options = options or LibraryOptions()
    if options.format is not None and options.format not in FORMATS:
        raise InputError(f"unknown library format {options.format!r} (expected one of {', '.join(FORMATS)})", path=path)
    with paused():  # the whole tree is alive while entries are built: spare the collector the rescans
        source, fmt, _, _, cands = _read(path, options, text)
        found = textfile.entries(source) if fmt == "text" else [build_entry(c, source, fmt) for c in cands]
    yield from found


def entries_from_text(path: str, text: str, options: LibraryOptions | None = None) -> list[Entry]:
    """Every reply in a library file's unsaved `text` (an editor's buffer), read as the file would be."""
    return list(iter_entries(path, options, text=text))


def apply_edits(
    path: str, edits: Iterable[Edit], options: LibraryOptions | None = None, *, text: str | None = None
) -> str:
    """The file's new content with the edits made, structure and formatting kept; InputError if unsafe.
    With `text`, the edits are made to that (an editor's unsaved buffer) instead of the file."""
    options = options or LibraryOptions()
    edits = list(edits)
    with paused():
        source, fmt, syntax, root, cands = _read(path, options, text)
        if fmt == "text":
            return textfile.apply(source, edits)
        return editing.apply(source, syntax, root, cands, edits)


def apply_edits_to_text(path: str, text: str, edits: Iterable[Edit], options: LibraryOptions | None = None) -> str:
    """`apply_edits` on a file's unsaved `text`: what an editor's code action replaces its buffer with."""
    return apply_edits(path, edits, options, text=text)


def discover(
    paths: Iterable[str],
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    *,
    root: str | None = None,
    force_exclude: bool = False,
    respect_gitignore: bool = True,
    on_skip: Callable[[InputError], None] | None = None,
) -> Iterator[str]:
    """Library files under the given files/folders, sorted (see coach.library.selection.discover)."""
    return selection.discover(
        paths,
        LIBRARY_EXTENSIONS,
        include,
        exclude,
        root=root,
        force_exclude=force_exclude,
        respect_gitignore=respect_gitignore,
        on_skip=on_skip,
    )
