"""Expand command-line paths (files, folders, globs, "-") into the list of transcript files to read.

Expansion is done up front so a typo fails before any file is scored, and the
order is deterministic (sorted), so reports are reproducible.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
from collections.abc import Callable, Iterator

from coach.errors import InputError, UsageError
from coach.paths import special_kind

TRANSCRIPT_SUFFIXES = (".jsonl", ".ndjson", ".json", ".txt", ".log", ".csv", ".tsv", ".vtt", ".srt", ".parquet")
_MAGIC = re.compile(r"[*?\[]")


def _wanted(relpath: str, pattern: str | None) -> bool:
    name = os.path.basename(relpath)
    if pattern is None:
        lowered = name.lower()
        if lowered.endswith(".gz"):
            lowered = lowered[:-3]
        return lowered.endswith(TRANSCRIPT_SUFFIXES)
    target = relpath.replace(os.sep, "/") if "/" in pattern else name
    return fnmatch.fnmatch(target, pattern) or (pattern.startswith("**/") and fnmatch.fnmatch(target, pattern[3:]))


def _walk(folder: str, pattern: str | None, problems: list[InputError]) -> list[str]:
    """Every non-hidden regular file under `folder` (recursively, sorted) that matches `pattern`;
    unreadable folders and matching special files (FIFOs, devices, sockets) go to `problems`."""
    found: list[str] = []

    def unreadable(exc: OSError) -> None:
        problems.append(
            InputError(f"cannot read the folder: {exc.strerror or exc}; skipped", path=exc.filename or folder)
        )

    for root, dirs, files in os.walk(folder, onerror=unreadable):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = os.path.join(root, name)
            if _wanted(os.path.relpath(path, folder), pattern):
                kind = special_kind(path)
                if kind is not None:
                    problems.append(
                        InputError(
                            f"{kind}, not a file; skipped", path=path, hint="name it on the command line to read it"
                        )
                    )
                    continue
                found.append(path)
    return found


def iter_sources(
    paths: list[str], *, pattern: str | None = None, on_skip: Callable[[InputError], None] | None = None
) -> Iterator[str]:
    """The files named by `paths`: files as given, folders walked, globs expanded, "-" for stdin.

    Folders yield non-hidden files matching `pattern` (a glob on the file name, or on
    the path below the folder if it contains "/"); without a pattern, files with a
    transcript extension (.jsonl .ndjson .json .txt .log .csv .tsv .vtt .srt, each
    optionally .gz). A missing path or a glob matching nothing is a UsageError, a
    folder without transcripts an InputError, raised before anything is yielded. A FIFO,
    device or socket found in a folder (reading one would hang or never end; named
    explicitly it is read) and a folder that cannot be read are handed to `on_skip` and
    left out; without `on_skip` they are raised.
    """
    out: list[str] = []
    seen: set[str] = set()
    problems: list[InputError] = []

    def add(path: str) -> None:
        key = path if path == "-" else os.path.normcase(os.path.abspath(path))
        if key not in seen:
            seen.add(key)
            out.append(path)

    for path in paths:
        if path == "-":
            add(path)
        elif os.path.isdir(path):
            before = len(problems)
            found = _walk(path, pattern, problems)
            if not found:
                if len(problems) > before:  # e.g. the folder cannot be read: say that, not "no files"
                    *others, last = problems[before:]
                    del problems[before:]
                    for problem in others:
                        if on_skip is None:
                            raise problem
                        on_skip(problem)
                    raise last
                what = f"files matching {pattern!r}" if pattern else "transcript files"
                raise InputError(
                    f"folder has no {what}",
                    path=path,
                    hint=None
                    if pattern
                    else f"looked for {' '.join(TRANSCRIPT_SUFFIXES)}; use --glob to choose others",
                )
            for item in found:
                add(item)
        elif os.path.exists(path):
            add(path)
        elif _MAGIC.search(path):
            matches = sorted(glob.glob(path, recursive=True))
            files = [m for m in matches if os.path.isfile(m)]
            for folder in (m for m in matches if os.path.isdir(m)):
                files.extend(_walk(folder, pattern, problems))
            if not files:
                raise UsageError("no files match this pattern", path=path, hint="check the pattern")
            for item in files:
                add(item)
        else:
            raise UsageError("no such file or folder", path=path, hint="check the path")
    for problem in problems:
        if on_skip is None:
            raise problem
        on_skip(problem)
    return iter(out)


def compressed_twins(paths: list[str]) -> set[str]:
    """The files among `paths` that have a twin differing only by `.gz` (x.jsonl beside x.jsonl.gz):
    the same export saved twice, whose conversations must be scored once."""

    def stem(path: str) -> str:
        full = os.path.normcase(os.path.abspath(path))
        return full[:-3] if full.endswith(".gz") else full

    stems: dict[str, list[str]] = {}
    for path in paths:
        if path != "-":
            stems.setdefault(stem(path), []).append(path)
    return {p for group in stems.values() if len(group) > 1 for p in group}


def content_key(conv) -> tuple[str, bytes]:
    """A conversation's id and a digest of its turns: equal only for the same conversation read twice."""
    import hashlib

    digest = hashlib.blake2b(digest_size=16)
    for turn in conv.turns:
        digest.update(f"{turn.speaker}\x1e{turn.name or ''}\x1e{turn.text}\x1f".encode("utf-8", "surrogatepass"))
    return conv.id, digest.digest()
