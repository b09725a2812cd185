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
