"""Gitignore-style globs (pathspec's gitwildmatch, as git reads them), shared by discovery and per-path config."""

from __future__ import annotations

import functools
from collections.abc import Iterable

import pathspec


def normalize(relpath: str) -> str:
    """A posix path relative to the root, without a leading `./`."""
    relpath = relpath.replace("\\", "/")
    while relpath.startswith("./"):
        relpath = relpath[2:]
    return relpath


@functools.lru_cache(maxsize=512)
def compile_globs(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    """One spec for a list of globs, in order, so a later `!pattern` re-includes what an earlier one matched."""
    return pathspec.GitIgnoreSpec.from_lines(normalize(p.strip()) for p in patterns if p.strip())


def matches_any(patterns: Iterable[str], relpath: str, *, folder: bool = False) -> bool:
    """True when the globs, read as one .gitignore, select this path (a folder when `folder`)."""
    patterns = tuple(patterns)
    if not patterns:
        return False
    path = normalize(relpath).rstrip("/") + ("/" if folder else "")
    return compile_globs(patterns).match_file(path)


def matches(pattern: str, relpath: str) -> bool:
    """True when a posix path relative to the root matches one glob (or lies under a matching folder)."""
    return matches_any((pattern,), relpath)
