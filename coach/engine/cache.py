"""A small on-disk cache for compiled phrasebooks, so `coach lint` starts fast.

Entries are pickles named by a content hash under $COACH_CACHE_DIR, else
$XDG_CACHE_HOME/coach, else the platform's cache folder (platformdirs: ~/.cache/coach
on Linux, ~/Library/Caches/coach on macOS, %LOCALAPPDATA%\\coach\\Cache on Windows).
Set COACH_NO_CACHE=1 to turn it off. The cache is an optimisation only: any failure to read or write it is
ignored and coach compiles as if it were empty.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path
from typing import Any


def cache_dir() -> Path | None:
    """The cache folder: COACH_CACHE_DIR, else XDG_CACHE_HOME/coach (on every platform), else the platform's."""
    if os.environ.get("COACH_NO_CACHE"):
        return None
    base = os.environ.get("COACH_CACHE_DIR")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "coach"
    import platformdirs

    return Path(platformdirs.user_cache_dir("coach", appauthor=False))


def load(kind: str, key: str) -> Any | None:
    directory = cache_dir()
    if directory is None:
        return None
    from ..gcpause import paused

    try:
        with open(directory / f"{kind}-{key}.pickle", "rb") as handle, paused():
            return pickle.load(handle)
    except Exception:  # noqa: BLE001 - missing, truncated or stale: compile instead
        return None


KEEP = 8  # entries kept per kind; older ones (edited phrasebooks) are removed
KEEP_BY_KIND = {"book": 32}  # one per phrasebook file: the bundled four and the user's


def _prune(directory: Path, kind: str) -> None:
    entries = sorted(directory.glob(f"{kind}-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP_BY_KIND.get(kind, KEEP):]:
        old.unlink(missing_ok=True)


def store(kind: str, key: str, value: Any) -> None:
    directory = cache_dir()
    if directory is None:
        return
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".pickle")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, directory / f"{kind}-{key}.pickle")
        _prune(directory, kind)
    except Exception:  # noqa: BLE001 - read-only home, full disk...: just don't cache
        try:
            os.unlink(tmp)  # type: ignore[possibly-undefined]
        except Exception:  # noqa: BLE001
            pass
