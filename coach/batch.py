"""Parallel, streaming scoring: a fork pool whose workers return plain reports.

`nlp.pipe(n_process=N)` serializes every Doc between processes and ran 13-31x
slower here (docs/performance.md); forked workers inherit the compiled
matchers and send back only ConversationReports. At most `jobs * 2` chunks are
in flight, so memory stays flat whatever the input size. A worker that dies is
reported with the conversations it was on and the run goes on.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import islice

from .analyzer import Analyzer
from .models import Conversation, ConversationReport

CHUNK_SIZE = 64
_WORKER: Analyzer | None = None


@dataclass(frozen=True)
class LostChunk:
    """A conversation whose worker process died while scoring it."""

    first: Conversation
    reason: str

    def describe(self) -> str:
        where = f"{self.first.source}:{self.first.line}" if self.first.line else self.first.source
        return (
            f"{where}: a worker process died ({self.reason}) while scoring conversation "
            f"{self.first.id!r}; it was skipped"
        )


def _init_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    # A fork inherits `coach score`'s SIGTERM handler, which raises in the main thread: the pool
    # terminates its workers with SIGTERM when one dies, and a worker that ran that handler
    # printed a traceback and stayed alive (the pool then waited on it, or it outlived coach).
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _score_chunk(chunk: list[Conversation]) -> list[ConversationReport]:
    assert _WORKER is not None
    return list(_WORKER.score_conversations(chunk))


def _run(chunk: list[Conversation]) -> list[ConversationReport]:
    """The worker entry point; looks `_score_chunk` up at call time (tests replace it)."""
    return _score_chunk(chunk)


def _chunks(items: Iterable[Conversation], size: int) -> Iterator[list[Conversation]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def score(
    analyzer: Analyzer,
    conversations: Iterable[Conversation],
    *,
    jobs: int = 1,
    chunk_size: int = CHUNK_SIZE,
    on_lost: Callable[[LostChunk], None] | None = None,
) -> Iterator[ConversationReport]:
    """Score conversations in input order, in this process or in `jobs` forked workers."""
    if jobs <= 1:
        yield from analyzer.score_conversations(conversations)
        return
    global _WORKER
    analyzer.engine  # noqa: B018 -- compile before forking so every worker inherits the matchers
    _WORKER = analyzer
    context = multiprocessing.get_context("fork")
    pool = _new_pool(jobs, context)
    pending: deque[tuple[list[Conversation], Future | None]] = deque()
    source = _chunks(conversations, chunk_size)
    try:
        for chunk in source:
            pending.append((chunk, _submit(pool, chunk)))
            while len(pending) >= jobs * 2:
                pool, results = _next(analyzer, pool, pending, jobs, context, on_lost)
                yield from results
        while pending:
            pool, results = _next(analyzer, pool, pending, jobs, context, on_lost)
            yield from results
    finally:
        # Wait for the workers to exit (each finishes at most its current chunk): coach ends
        # with os._exit, and a worker left blocked on its pipe would outlive the run.
        _close(pool, wait=True)


def _new_pool(jobs: int, context) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker)


def _submit(pool: ProcessPoolExecutor, chunk: list[Conversation]) -> Future | None:
    """The chunk's future, or None when the pool broke before it could take the chunk (a worker
    was killed between two results): `_next` then reruns it like the chunks in flight."""
    try:
        return pool.submit(_run, chunk)
    except (BrokenProcessPool, RuntimeError):
        return None


def _close(pool: ProcessPoolExecutor, wait: bool) -> None:
    """Shut a pool down; after a breakage, kill what is left of it so nothing outlives coach."""
    if getattr(pool, "_broken", False):
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            if process.is_alive():
                process.kill()
    pool.shutdown(wait=wait, cancel_futures=True)


def _next(
    analyzer: Analyzer,
    pool: ProcessPoolExecutor,
    pending: deque,
    jobs: int,
    context,
    on_lost: Callable[[LostChunk], None] | None,
):
    chunk, future = pending[0]
    try:
        if future is None:
            raise BrokenProcessPool("the worker pool broke")
        result = future.result()
        pending.popleft()
        return pool, result
    except BrokenProcessPool as exc:
        # The pool is gone with every chunk in flight: rerun them one at a time in a fresh
        # pool to find the one that kills a worker, and keep the rest.
        _close(pool, wait=True)
        retry = [c for c, _ in pending]
        pending.clear()
        results: list[ConversationReport] = []
        for chunk in retry:
            results.extend(_isolate(chunk, context, on_lost, _reason(exc)))
        return _new_pool(jobs, context), results
    except Exception:
        # Not a dead worker: the chunk could not be sent or its reports not returned (pickling,
        # e.g. a value nested too deeply). Score it here; a real scoring bug raises again here.
        pending.popleft()
        return pool, list(analyzer.score_conversations(chunk))


def _reason(exc: BaseException) -> str:
    text = str(exc)
    return "killed" if not text or "terminated abruptly" in text or "broke" in text else text


def _isolate(chunk: list[Conversation], context, on_lost, reason: str) -> list[ConversationReport]:
    """Score `chunk` in a fresh one-worker pool; if it dies, retry conversation by conversation."""
    pool = _new_pool(1, context)
    try:
        return pool.submit(_run, chunk).result()
    except BrokenProcessPool:
        if len(chunk) > 1:
            return [r for conv in chunk for r in _isolate([conv], context, on_lost, reason)]
        if on_lost:
            on_lost(LostChunk(chunk[0], reason))
        return []
    finally:
        _close(pool, wait=True)
