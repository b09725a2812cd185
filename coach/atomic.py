"""Atomic output files: write to a temporary file beside the target, then rename.

An interrupted run, a full disk or a crash leaves either the old file or the
new one, never half of one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import tempfile
from typing import IO, Iterator

from .errors import CoachError


class OutputError(CoachError):
    """The output could not be written (full disk, no permission...)."""


@contextlib.contextmanager
def atomic_writer(path: str | None, *, mode: str = "w", encoding: str = "utf-8",
                  newline: str | None = None) -> Iterator[IO]:
    """Yield a handle for `path` (stdout when None or '-') that only appears when complete."""
    if path in (None, "-"):
        yield sys.stdout if "b" not in mode else sys.stdout.buffer
        return
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".coach-", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise OutputError(f"cannot write here: {exc.strerror}", path=path) from None
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": encoding,
                                                            "newline": newline})) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        if exc.errno == errno.ENOSPC:
            raise OutputError("disk full; nothing was written", path=path) from None
        raise OutputError(f"cannot write: {exc.strerror}", path=path) from None
    except BaseException:
        _remove(tmp)
        raise


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def conversation_key(source: str, conversation: str) -> str:
    return f"{source}\x1f{conversation}"


@contextlib.contextmanager
def resumable_jsonl(path: str, resume: bool) -> Iterator[tuple[IO, set[str]]]:
    """A JSONL output that survives interruption: lines go to PATH.partial, renamed to PATH
    when the run completes. With `resume`, the whole lines already in PATH.partial (or in
    PATH) are kept, and their conversation keys returned so the caller can skip them."""
    import json

    partial = path + ".partial"
    done: set[str] = set()
    kept: list[str] = []
    start = partial if os.path.exists(partial) else path if os.path.exists(path) else None
    if resume and start:
        with open(start, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if not line.endswith("\n"):
                    break  # the line an interruption cut short: score that one again
                try:
                    row = json.loads(line)
                    done.add(conversation_key(row["source"], row["conversation"]))
                except (ValueError, KeyError, TypeError):
                    break
                kept.append(line)
    try:
        handle = open(partial, "w", encoding="utf-8")
        handle.writelines(kept)
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror}", path=partial) from None
    try:
        yield handle, done
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        os.replace(partial, path)
    except OSError as exc:
        handle.close()
        if exc.errno == errno.ENOSPC:
            raise OutputError(f"disk full; whole lines so far are kept in {partial}", path=path) from None
        raise OutputError(f"cannot write: {exc.strerror}", path=path) from None
    except BaseException:
        with contextlib.suppress(OSError):
            handle.flush()
        handle.close()
        raise
