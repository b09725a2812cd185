"""Output files: whole or absent, written where the user pointed, with the mode they expect.

* A new or regular file is written to a unique temporary file created exclusively beside
  it (mkstemp: O_EXCL, never through a link), synced, then renamed over it: readers see
  the old file or the new one, never half of one.
* A symlink is written through: the file it points to is replaced that way; the link stays.
* A file with several hard links is rewritten in place once the new content is complete
  in a temporary file, so every link sees it (that last copy is not atomic).
* A FIFO, a device (/dev/null, /dev/full, a terminal) or /dev/stdout is written to, never
  replaced.
* A new file gets 0666 minus the umask, like any program's output; a replaced file keeps
  its mode (and its owner and group where the user may set them).
* Two runs writing the same output each write their own temporary file; the last to
  finish replaces the output, which then holds that run's whole output, never a mix.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from .errors import CoachError

FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG)
#: Paths whose entries are the kernel's (/dev/stdout is a link into /proc): always written
#: through, never replaced, whatever they point at.
KERNEL_DIRS = ("/dev/", "/proc/")
STDOUT_NAMES = ("-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1")


class OutputError(CoachError):
    """The output could not be written (full disk, no permission...)."""


def _umask() -> int:
    """The process umask (read without changing it where /proc says it)."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@dataclass
class Target:
    """Where an output goes and how: "stdout", "special" (write through), "new", "file"
    (replace by rename) or "linked" (rewrite in place: several hard links)."""

    path: str  # the name given, or for a symlink the file it points to
    kind: str
    st: os.stat_result | None = field(default=None, repr=False)

    @property
    def mode(self) -> int:
        """The mode the written file gets: the old file's, or 0666 minus the umask."""
        return stat.S_IMODE(self.st.st_mode) & 0o777 if self.st is not None else 0o666 & ~_umask()


def resolve(path: str) -> Target:
    """Decide how `path` is written (following symlinks only as the kernel would)."""
    if path in STDOUT_NAMES:
        return Target(path, "stdout")
    try:
        followed: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        followed = None
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror}", path=path) from None
    names, links = _chain(path)
    if any(name.startswith(KERNEL_DIRS) for name in names) or (
        followed is not None and not stat.S_ISREG(followed.st_mode)
    ):
        if followed is None:
            raise OutputError("no such device or file", path=path)
        return Target(path, "special", followed)
    for link, st in links:
        _may_follow(link, st)
    final = os.path.realpath(path) if links else path
    if followed is None:
        return Target(final, "new")  # (through a dangling link: the file it names)
    return Target(final, "linked" if followed.st_nlink > 1 else "file", followed)


def _chain(path: str) -> tuple[list[str], list[tuple[str, os.stat_result]]]:
    """Every name a symlink chain from `path` passes through, and the links with their lstat."""
    current = os.path.abspath(path)
    names, links = [current], []
    for _ in range(40):
        try:
            st = os.lstat(current)
        except OSError:
            break
        if not stat.S_ISLNK(st.st_mode):
            break
        links.append((current, st))
        current = os.path.normpath(os.path.join(os.path.dirname(current), os.readlink(current)))
        names.append(current)
    return names, links


def _may_follow(path: str, link: os.stat_result) -> None:
    """Linux's protected_symlinks rule, which a rename beside the target would bypass: a
    link in a sticky world-writable folder (/tmp) is followed only if it is the follower's
    or the folder owner's."""
    if not hasattr(os, "geteuid"):
        return
    folder = os.stat(os.path.dirname(path))
    shared = folder.st_mode & stat.S_ISVTX and folder.st_mode & stat.S_IWOTH
    if shared and link.st_uid not in (os.geteuid(), folder.st_uid):
        raise OutputError(
            "is a symbolic link in a shared folder, owned by another user; not following it",
            path=path,
            hint="remove it, or write somewhere else",
        )


def _full(exc: OSError) -> bool:
    return exc.errno in FULL


@contextlib.contextmanager
def atomic_writer(
    path: str | None, *, mode: str = "w", encoding: str = "utf-8", newline: str | None = None
) -> Iterator[IO]:
    """Yield a handle for `path` (stdout when None or '-') whose content appears whole."""
    text_args: dict[str, Any] = {} if "b" in mode else {"encoding": encoding, "newline": newline}
    target = Target("-", "stdout") if path is None else resolve(path)
    if target.kind == "stdout":
        yield sys.stdout if "b" not in mode else sys.stdout.buffer
        return
    if target.kind == "special":
        with _written_through(target, mode, text_args) as handle:
            yield handle
        return
    tmp, fd = _temporary(target)
    try:
        with os.fdopen(fd, mode, **text_args) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _install(tmp, target)
    except OSError as exc:
        _remove(tmp)
        if _full(exc):
            raise OutputError("disk full; nothing was written", path=path) from None
        raise OutputError(f"cannot write: {exc.strerror}", path=path) from None
    except BaseException:
        _remove(tmp)
        raise


@contextlib.contextmanager
def _written_through(target: Target, mode: str, text_args: dict) -> Iterator[IO]:
    """A FIFO, a device or a kernel path: opened and written, never replaced."""
    try:
        with open(target.path, mode, **text_args) as handle:
            yield handle
    except OSError as exc:
        if _full(exc):
            raise OutputError("disk full; the output is incomplete", path=target.path) from None
        raise OutputError(f"cannot write: {exc.strerror}", path=target.path) from None


def _temporary(target: Target, suffix: str = ".tmp") -> tuple[str, int]:
    """A new, unique, exclusively created file beside the target, with the target's mode."""
    directory, name = os.path.split(os.path.abspath(target.path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=suffix, dir=directory)
    except OSError as exc:
        raise OutputError(f"cannot write here: {exc.strerror}", path=target.path) from None
    with contextlib.suppress(OSError):
        if hasattr(os, "fchmod"):  # (not on Windows before Python 3.13: mkstemp's 0600 stays)
            os.fchmod(fd, target.mode)
    if target.st is not None and hasattr(os, "fchown"):  # keep owner and group where we may
        with contextlib.suppress(OSError):
            os.fchown(fd, target.st.st_uid, target.st.st_gid)
        with contextlib.suppress(OSError):
            os.fchown(fd, -1, target.st.st_gid)
    return tmp, fd


def _install(tmp: str, target: Target) -> None:
    """Put the complete temporary file in place: rename, or copy into a hard-linked file."""
    if target.kind != "linked":
        os.replace(tmp, target.path)
        return
    with open(tmp, "rb") as src, open(os.open(target.path, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0)), "wb") as dst:
        size = os.fstat(src.fileno()).st_size
        if hasattr(os, "posix_fallocate") and size:
            with contextlib.suppress(OSError):
                os.posix_fallocate(dst.fileno(), 0, size)  # claim the space before overwriting
        while chunk := src.read(1 << 20):
            dst.write(chunk)
        dst.truncate(size)
        dst.flush()
        os.fsync(dst.fileno())
    _remove(tmp)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


# -- JSONL output that survives interruption and resumes by input position --------------
def input_name(source: str) -> str:
    """An input as a position key names it: the resolved path (`in/x` and `./in/x` are one
    file), or '-' / a pseudo-name as given."""
    return source if source == "-" or source.startswith("<") else os.path.realpath(source)


class Positions:
    """Which conversations an output already holds: (input, record number) pairs, kept as
    sorted runs of record numbers per input, so a million of them take little memory."""

    def __init__(self) -> None:
        self._runs: dict[str, list[list[int]]] = {}
        self._sorted: set[str] = set()
        self.count = 0

    def add(self, name: str, record: int) -> None:
        runs = self._runs.setdefault(name, [])
        self.count += 1
        if runs and runs[-1][1] == record:
            runs[-1][1] += 1
        else:
            runs.append([record, record + 1])
            self._sorted.discard(name)

    def __contains__(self, key: tuple[str, int]) -> bool:
        import bisect

        name, record = key
        runs = self._runs.get(name)
        if not runs:
            return False
        if name not in self._sorted:
            merged: list[list[int]] = []
            for start, end in sorted(runs):
                if merged and start <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end])
            runs[:] = merged
            self._sorted.add(name)
        i = bisect.bisect_right(runs, [record, float("inf")]) - 1
        return i >= 0 and runs[i][0] <= record < runs[i][1]

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0


class _LineSink:
    """A text handle over a file descriptor that writes whole lines only: bytes go out up to
    the last line break, and `kept` is the size of the whole lines the file holds, so after
    a failed write (full disk) or an interrupt the file is cut back to whole lines."""

    LIMIT = 1 << 16

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.kept = 0
        self.pending: list[str] = []
        self.size = 0

    def write(self, text: str) -> int:
        self.pending.append(text)
        self.size += len(text)
        if self.size >= self.LIMIT:
            self.flush()
        return len(text)

    def flush(self) -> None:
        data = "".join(self.pending)
        cut = data.rfind("\n") + 1
        raw = data[:cut].encode("utf-8")
        view = memoryview(raw)
        while view:
            view = view[os.write(self.fd, view) :]
        self.kept += len(raw)
        self.pending = [data[cut:]] if cut < len(data) else []
        self.size = len(data) - cut

    def cut_back(self) -> None:
        """Keep only the whole lines written so far (and any still pending), nothing cut."""
        os.ftruncate(self.fd, self.kept)
        os.lseek(self.fd, self.kept, os.SEEK_SET)
        with contextlib.suppress(OSError):
            self.flush()
        os.ftruncate(self.fd, self.kept)


@dataclass
class Resumable:
    """What resumable_jsonl gives the caller: the handle, the positions already done, and
    (after an early end) the file where the whole lines were left."""

    out: IO[str]
    done: Positions
    kept_in: str | None = None
    resumed_from: str | None = None


@contextlib.contextmanager
def resumable_jsonl(path: str, resume: bool) -> Iterator[Resumable]:
    """A JSONL output that survives interruption. Lines go to a unique temporary file beside
    the output (never a fixed name, so two runs cannot share one); when the run ends early
    it is renamed to OUT.partial, whole lines only; when it completes, to OUT. With
    `resume`, the whole lines of OUT.partial (else OUT) are kept and their positions
    returned, so the caller skips those conversations."""
    target = resolve(path)
    if target.kind in ("stdout", "special"):
        if resume:
            from .errors import UsageError

            raise UsageError("--resume needs a regular file as --output", hint=f"{path} is not one")
        with atomic_writer(path) as handle:
            yield Resumable(handle, Positions())
        return
    partial = target.path + ".partial"
    tmp, fd = _temporary(target, suffix=".partial")
    _lock(fd)  # says "a live run writes this" to a later --resume looking for orphans
    sink = _LineSink(fd)
    state = Resumable(sink, Positions())  # type: ignore[arg-type]
    try:
        if resume:
            state.resumed_from = _keep_done_lines([partial, *_orphans(target.path, tmp), target.path], sink, state.done)
        yield state
        sink.flush()
        os.fsync(fd)
    except BaseException as exc:
        state.kept_in = _leave_partial(sink, tmp, partial)
        if isinstance(exc, OSError):
            where = f"whole lines so far are kept in {partial}" if state.kept_in else "nothing was kept"
            if _full(exc):
                raise OutputError(
                    f"disk full; {where}", path=path, hint="free some space, then run again with --resume"
                ) from None
            raise OutputError(f"cannot write: {exc.strerror}; {where}", path=path) from None
        raise
    os.close(fd)
    try:
        _install(tmp, target)
    except OSError as exc:
        _remove(tmp)
        raise OutputError(f"cannot write: {exc.strerror}", path=path) from None
    _drop_partial(partial)
    if state.resumed_from not in (None, partial, target.path):
        _remove(state.resumed_from)  # an orphan, now in OUT


def _leave_partial(sink: _LineSink, tmp: str, partial: str) -> str | None:
    """Cut the temporary file back to whole lines and rename it to OUT.partial (a rename
    replaces a planted link; it never writes through one). None when that failed."""
    try:
        sink.cut_back()
        os.fsync(sink.fd)
    except OSError:
        pass
    with contextlib.suppress(OSError):
        os.close(sink.fd)
    try:
        os.replace(tmp, partial)
    except OSError:
        _remove(tmp)
        return None
    return partial


def _drop_partial(partial: str) -> None:
    """After a complete run, OUT.partial is stale (or was just resumed from): remove it."""
    _remove(partial)


def _lock(fd: int, wait: bool = False) -> bool:
    """An exclusive lock on an open file (False: someone holds it). No-op without fcntl."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except OSError:
        return False
    return True


def _orphans(output: str, own: str) -> list[str]:
    """Temporary files of runs killed before they could rename them (SIGKILL, power cut):
    `.OUT.XXXXXXXX.partial` beside OUT that no live run holds locked, newest first."""
    import glob

    directory, name = os.path.split(os.path.abspath(output))
    found = []
    for candidate in glob.glob(os.path.join(glob.escape(directory), f".{glob.escape(name)}.*.partial")):
        if candidate == os.path.abspath(own):
            continue
        with contextlib.suppress(OSError):
            fd = os.open(candidate, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            try:
                st = os.fstat(fd)
                if stat.S_ISREG(st.st_mode) and _lock(fd):
                    found.append((st.st_mtime, candidate))
            finally:
                os.close(fd)
    return [c for _, c in sorted(found, reverse=True)]


def _keep_done_lines(candidates: list[str], sink: _LineSink, done: Positions) -> str | None:
    """Copy the whole lines of the first candidate that exists (OUT.partial, an orphan, OUT)
    into `sink`, recording each line's input position; stop at the first line cut short or
    not written by coach score. Returns the file read."""
    import json

    for candidate in candidates:
        try:
            fd = os.open(candidate, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            continue
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise OutputError(
                    "is a symbolic link; coach never leaves one there", path=candidate, hint="remove it"
                ) from None
            raise OutputError(f"cannot read: {exc.strerror}", path=candidate) from None
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or (hasattr(os, "geteuid") and st.st_uid != os.geteuid()):
            os.close(fd)
            raise OutputError(
                "is not a regular file of yours; not resuming from it",
                path=candidate,
                hint="remove it, or choose another --output",
            )
        names: dict[str, str] = {}
        with open(fd, encoding="utf-8", errors="replace", newline="\n") as handle:
            for line in handle:
                if not line.endswith("\n"):
                    break  # the line an interruption cut short: score that one again
                try:
                    row = json.loads(line)
                    source, record = row["source"], row["record"]
                    if not isinstance(source, str) or not isinstance(record, int):
                        break
                except (ValueError, KeyError, TypeError):
                    break
                name = names.get(source)
                if name is None:
                    name = names[source] = input_name(source)
                done.add(name, record)
                sink.write(line)
        return candidate
    return None
