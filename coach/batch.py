"""Parallel, streaming scoring: a fork pool whose workers return plain reports.

`nlp.pipe(n_process=N)` serializes every Doc between processes and ran 13-31x
slower here (shared/design/performance.md); forked workers inherit the compiled
matchers and send back only ConversationReports. At most `jobs * 2` chunks are
in flight, so memory stays flat whatever the input size. A worker that dies is
reported with the conversations it was on and the run goes on.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import islice
from typing import Callable, Iterable, Iterator

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
        return (f"{where}: a worker process died ({self.reason}) while scoring conversation "
                f"{self.first.id!r}; it was skipped")


def _init_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C


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


def score(analyzer: Analyzer, conversations: Iterable[Conversation], *, jobs: int = 1,
          chunk_size: int = CHUNK_SIZE, on_lost: Callable[[LostChunk], None] | None = None
          ) -> Iterator[ConversationReport]:
    """Score conversations in input order, in this process or in `jobs` forked workers."""
    if jobs <= 1:
        yield from analyzer.score_conversations(conversations)
        return
    global _WORKER
    analyzer.engine  # compile before forking so every worker inherits the matchers
    _WORKER = analyzer
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker)
    pending: deque[tuple[list[Conversation], Future]] = deque()
    source = _chunks(conversations, chunk_size)
    try:
        for chunk in source:
            pending.append((chunk, pool.submit(_run, chunk)))
            while len(pending) >= jobs * 2:
                pool, results = _next(pool, pending, jobs, context, on_lost)
                yield from results
        while pending:
            pool, results = _next(pool, pending, jobs, context, on_lost)
            yield from results
    finally:
        # Wait for the workers to exit (each finishes at most its current chunk): coach ends
        # with os._exit, and a worker left blocked on its pipe would outlive the run.
        pool.shutdown(wait=True, cancel_futures=True)


def _next(pool: ProcessPoolExecutor, pending: deque, jobs: int, context,
          on_lost: Callable[[LostChunk], None] | None):
    chunk, future = pending[0]
    try:
        result = future.result()
        pending.popleft()
        return pool, result
    except BrokenProcessPool as exc:
        # The pool is gone with every chunk in flight: rerun them one at a time in a fresh
        # pool to find the one that kills a worker, and keep the rest.
        pool.shutdown(wait=False, cancel_futures=True)
        retry = [c for c, _ in pending]
        pending.clear()
        results: list[ConversationReport] = []
        for chunk in retry:
            results.extend(_isolate(chunk, context, on_lost, str(exc) or "killed"))
        pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker)
        return pool, results


def _isolate(chunk: list[Conversation], context, on_lost, reason: str) -> list[ConversationReport]:
    """Score `chunk` in a fresh one-worker pool; if it dies, retry conversation by conversation."""
    pool = ProcessPoolExecutor(1, mp_context=context, initializer=_init_worker)
    try:
        return pool.submit(_run, chunk).result()
    except BrokenProcessPool:
        if len(chunk) > 1:
            return [r for conv in chunk for r in _isolate([conv], context, on_lost, reason)]
        if on_lost:
            on_lost(LostChunk(chunk[0], reason))
        return []
    finally:
        pool.shutdown(wait=True)
