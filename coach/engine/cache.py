"""A small on-disk cache for compiled phrasebooks, so `coach lint` starts fast.

Entries live under $COACH_CACHE_DIR, else $XDG_CACHE_HOME/coach, else the platform's
cache folder (platformdirs: ~/.cache/coach on Linux, ~/Library/Caches/coach on macOS,
%LOCALAPPDATA%\\coach\\Cache on Windows), named by a content hash; COACH_NO_CACHE=1 turns
the cache off. An entry is data only: a JSON document plus raw numeric arrays and UTF-8
text blobs, never a pickle, so a planted or tampered entry can at worst make coach
compile again (or, if it decodes, report wrongly) but never run code. Entries not owned
by the current user, or writable by others, are not read. Any failure to read or write
is ignored: coach compiles as if the cache were empty.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

from ..models import Example, Rule

T = TypeVar("T")
#: Bump when the container layout changes; also part of every file name's suffix, so a
#: coach never opens another version's entries. The `*.pickle` entries older coaches wrote
#: are never opened (nor deleted: an older coach may still share the folder).
VERSION = 2
MAGIC = b"coach-cache\x00" + struct.pack("<I", VERSION)
SUFFIX = f".v{VERSION}.cache"
#: Array element types an entry may hold (numbers only: nothing that could name code).
DTYPES = frozenset({"<i4", "<i8", "<u4", "<u8", "<f8", "|u1"})
MAX_HEADER = 64 << 20


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


def _trusted(st: os.stat_result) -> bool:
    """Our own regular file that no one else may write (skipped where there are no uids)."""
    import stat

    if not stat.S_ISREG(st.st_mode):
        return False
    return not (hasattr(os, "geteuid") and (st.st_uid != os.geteuid() or st.st_mode & 0o022))


def load(kind: str, key: str, decode: Callable[[Any, dict[str, Any]], T]) -> T | None:
    """The entry's value as `decode(document, blobs)` rebuilds it, or None (missing,
    damaged, untrusted, another version, or `decode` refused it)."""
    directory = cache_dir()
    if directory is None:
        return None
    from ..gcpause import paused

    try:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(directory / f"{kind}-{key}{SUFFIX}", flags)
        with open(fd, "rb") as handle:
            if not _trusted(os.fstat(handle.fileno())):
                return None
            data = handle.read()
        with paused():
            doc, blobs = _unpack(data, kind, key)
            return decode(doc, blobs)
    except Exception:  # noqa: BLE001 - missing, truncated, stale or hostile: compile instead
        return None


def _unpack(data: bytes, kind: str, key: str) -> tuple[Any, dict[str, Any]]:
    """MAGIC, header length (u64), JSON header, then the blobs it lists by offset."""
    if not data.startswith(MAGIC):
        raise ValueError("not a coach cache entry of this version")
    (size,) = struct.unpack_from("<Q", data, len(MAGIC))
    start = len(MAGIC) + 8
    if size > MAX_HEADER or start + size > len(data):
        raise ValueError("truncated")
    header = json.loads(data[start : start + size].decode("utf-8"))
    if header.get("kind") != kind or header.get("key") != key:
        raise ValueError("entry for another key")
    base = start + size
    blobs: dict[str, Any] = {}
    for name, (dtype, offset, length) in header["blobs"].items():
        begin, end = base + int(offset), base + int(offset) + int(length)
        if not (base <= begin <= end <= len(data)):
            raise ValueError("blob out of range")
        if dtype == "text":
            blobs[name] = data[begin:end].decode("utf-8")
            continue
        if dtype not in DTYPES:
            raise ValueError(f"unexpected array type {dtype!r}")
        import numpy as np

        blobs[name] = np.frombuffer(
            data, dtype=np.dtype(dtype), count=(end - begin) // np.dtype(dtype).itemsize, offset=begin
        )
    return header["doc"], blobs


def _pack(kind: str, key: str, doc: Any, blobs: Mapping[str, Any]) -> bytes:
    parts: list[bytes] = []
    listed: dict[str, tuple[str, int, int]] = {}
    offset = 0
    for name, value in blobs.items():
        if isinstance(value, str):
            raw, dtype = value.encode("utf-8"), "text"
        else:
            dtype = value.dtype.newbyteorder("<").str if value.dtype.byteorder == ">" else value.dtype.str
            if dtype not in DTYPES:
                raise ValueError(f"cannot cache arrays of {dtype}")
            raw = value.astype(dtype, copy=False).tobytes()
        listed[name] = (dtype, offset, len(raw))
        parts.append(raw)
        offset += len(raw)
    header = json.dumps(
        {"kind": kind, "key": key, "doc": doc, "blobs": listed},
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
    ).encode("utf-8")
    return b"".join([MAGIC, struct.pack("<Q", len(header)), header, *parts])


KEEP = 8  # entries kept per kind; older ones (edited phrasebooks) are removed
KEEP_BY_KIND = {"book": 32}  # one per phrasebook file: the bundled four and the user's


def _prune(directory: Path, kind: str) -> None:
    entries = sorted(directory.glob(f"{kind}-*{SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP_BY_KIND.get(kind, KEEP) :]:
        old.unlink(missing_ok=True)


def store(kind: str, key: str, doc: Any, blobs: Mapping[str, Any] | None = None) -> None:
    """Write an entry: `doc` is JSON data; `blobs` maps names to numeric numpy arrays or str."""
    directory = cache_dir()
    if directory is None:
        return
    tmp = None
    try:
        payload = _pack(kind, key, doc, blobs or {})
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=SUFFIX)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.replace(tmp, directory / f"{kind}-{key}{SUFFIX}")
        tmp = None
        _prune(directory, kind)
    except Exception:  # noqa: BLE001 - read-only home, full disk, uncacheable value: just don't cache
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


# -- rules as plain data (the "rules" and "book" entries) ------------------------------
_TUPLES = {f.name for f in fields(Rule) if isinstance(f.default, tuple)} - {"patterns", "match_examples"}
_SCALARS: dict[str, tuple[type, ...]] = {
    "id": (str,),
    "category": (str,),
    "element": (str, type(None)),
    "message": (str,),
    "source": (str,),
    "severity": (str,),
    "weight": (int, float),
    "fix": (str, type(None)),
    "speaker": (str,),
    "override": (bool,),
    "path": (str,),
    "line": (int,),
}


def rule_to_data(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(Rule):
        value = getattr(rule, f.name)
        if f.name == "match_examples":
            value = [[e.text, e.span] for e in value]
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def rule_from_data(data: Mapping[str, Any]) -> Rule:
    """A Rule from rule_to_data's output; anything of another shape raises."""
    if set(data) != {f.name for f in fields(Rule)}:
        raise ValueError("rule fields differ")
    values: dict[str, Any] = {}
    for name, kinds in _SCALARS.items():
        if not isinstance(data[name], kinds):
            raise ValueError(f"rule field {name}")
        values[name] = data[name]
    for name in _TUPLES:
        items = data[name]
        if not isinstance(items, list) or not all(isinstance(s, str) for s in items):
            raise ValueError(f"rule field {name}")
        values[name] = tuple(items)
    if not isinstance(data["patterns"], list):
        raise ValueError("rule field patterns")
    values["patterns"] = tuple(data["patterns"])
    examples = data["match_examples"]
    if not isinstance(examples, list) or not all(
        isinstance(e, list) and len(e) == 2 and isinstance(e[0], str) and isinstance(e[1], (str, type(None)))
        for e in examples
    ):
        raise ValueError("rule field match_examples")
    values["match_examples"] = tuple(Example(text, span) for text, span in examples)
    return Rule(**values)


def rules_to_data(rules: list[Rule]) -> list[dict[str, Any]] | None:
    """Rules as JSON data, or None when they would not come back equal (then: no caching)."""
    data = [rule_to_data(r) for r in rules]
    try:
        same = [rule_from_data(json.loads(json.dumps(d, allow_nan=False))) for d in data] == list(rules)
    except (ValueError, TypeError):
        return None
    return data if same else None


def rules_from_data(data: Any) -> list[Rule]:
    if not isinstance(data, list):
        raise ValueError("rules must be a list")
    return [rule_from_data(d) for d in data]
