"""Gitignore-style glob matching with `**`, shared by discovery and per-path configuration."""

from __future__ import annotations

import functools
import re


@functools.lru_cache(maxsize=512)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """A regex for a glob relative to a root, gitignore-style, compiled once per pattern."""
    # `*` stays in one folder, `**` crosses folders, a pattern without a slash matches at any depth,
    # and matching a folder matches everything under it.
    pat = pattern.strip().replace("\\", "/")
    while pat.startswith("./"):
        pat = pat[2:]
    anchored = "/" in pat.rstrip("/")
    pat = pat.strip("/")
    out, i = [], 0
    while i < len(pat):
        if pat.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pat.startswith("**", i):
            out.append(".*")
            i += 2
        elif pat[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pat[i] == "?":
            out.append("[^/]")
            i += 1
        elif pat[i] == "[" and "]" in pat[i + 2:]:
            close = pat.index("]", i + 2)
            body = pat[i + 1:close]
            out.append("[" + ("^" + body[1:] if body[:1] in "!^" and body else body).replace("\\", "\\\\") + "]")
            i = close + 1
        else:
            out.append(re.escape(pat[i]))
            i += 1
    prefix = "" if anchored else "(?:.*/)?"
    return re.compile("^" + prefix + "".join(out) + "(?:/.*)?$", re.S)


def matches(pattern: str, relpath: str) -> bool:
    """True when a posix path relative to the root matches the glob (or lies under a matching folder)."""
    relpath = relpath.replace("\\", "/")
    while relpath.startswith("./"):
        relpath = relpath[2:]
    return bool(compile_glob(pattern).match(relpath))
