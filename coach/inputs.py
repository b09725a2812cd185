"""Where `coach score` reads from: every conversation of its inputs, how far reading has
got (the progress bar's fraction), and the reports of a run (scored, maybe redacted).

Core, no CLI: `coach score` and library users drive a run through `ScoreRun`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import CoachError, UsageError
from .models import Conversation, ConversationReport

if TYPE_CHECKING:  # pragma: no cover
    from .analyzer import Analyzer
    from .atomic import Positions
    from .readers import ReaderOptions


def _no_warning(message: str) -> None:
    """The default `warn`: problems are still kept in `failed`."""


class InputPosition:
    """How many bytes of the inputs have been read, and how many there are (None when
    stdin or an unreadable size is among them): the progress bar's fraction and ETA.
    Scoring runs behind reading (batches, workers), so each conversation read leaves a
    mark, taken back when its report comes out."""

    def __init__(self) -> None:
        self.total: int | None = 0
        self.finished = 0  # bytes of the files read to the end
        self.stream = None  # the file being read
        self.marks: deque[int] = deque()

    def scored(self) -> int:
        """Bytes read up to the conversation whose report just came out."""
        return self.marks.popleft() if self.marks else self.read

    def add(self, path: str) -> None:
        try:
            size = None if path == "-" else os.path.getsize(path)
        except OSError:
            size = None
        self.total = None if size is None or self.total is None else self.total + size

    def done(self, path: str) -> None:
        self.stream = None
        if path != "-":
            with contextlib.suppress(OSError):
                self.finished += os.path.getsize(path)

    @property
    def read(self) -> int:
        try:
            return self.finished + (self.stream.tell() if self.stream is not None else 0)
        except (OSError, ValueError):
            return self.finished


def conversations(
    paths: list[str],
    options,
    failed: list[CoachError],
    skip=None,
    position: InputPosition | None = None,
    window=None,
    undated: list | None = None,
    warn: Callable[[str], None] = _no_warning,
) -> Iterator[Conversation]:
    """Every conversation of every input, numbered by its place in its file; a bad file or
    record is reported (through `warn`, and kept in `failed`) and skipped, and so is one whose
    (resolved file, number) is in `skip` (what an interrupted output already holds: repeated
    or missing ids do not matter). A file beside its compressed twin (x.jsonl, x.jsonl.gz)
    is scored once."""
    from .atomic import input_name
    from .readers import iter_sources, read_path
    from .readers._files import compressed_twins, content_key

    def on_error(exc: CoachError) -> None:
        failed.append(exc)
        warn(str(exc) if "skipped" in exc.message else f"{exc}; skipped")

    position = position or InputPosition()
    expanded: list[list[str]] = []
    for given in paths:
        try:
            expanded.append(list(iter_sources([given], on_skip=on_error)))
        except UsageError:
            raise
        except CoachError as exc:
            on_error(exc)
            continue
        for path in expanded[-1]:
            position.add(path)

    def opened(stream) -> None:
        position.stream = stream

    twins = compressed_twins([p for sources in expanded for p in sources])
    seen: set[tuple[str, bytes]] = set()  # content keys of conversations read from twin files
    for sources in expanded:
        for path in sources:
            name = input_name(path) if skip else path
            repeated = 0
            try:
                for number, conv in enumerate(
                    read_path(path, options, warn=warn, on_error=on_error, on_open=opened), 1
                ):
                    record = conv.record or number  # Parquet numbers by row, so Spark agrees
                    if path in twins:
                        key = content_key(conv)
                        if key in seen:
                            repeated += 1
                            continue
                        seen.add(key)
                    if window is not None and conv.started_at not in window:
                        if conv.started_at is None and undated is not None:
                            undated.append(conv.id)
                        continue
                    if not skip or (name, record) not in skip:
                        position.marks.append(position.read)
                        yield dataclasses.replace(conv, record=record)
            except CoachError as exc:
                on_error(exc)
            position.done(path)
            if repeated:
                warn(
                    f"{path}: {repeated} conversation(s) are the same (id and turns) as in its "
                    f"{'uncompressed' if path.endswith('.gz') else 'compressed'} twin; each was "
                    "scored once"
                )


@dataclass
class ScoreRun:
    """One scoring run's inputs and how to read them: everything `reports()` needs, so the
    command (or a library user) says it once."""

    analyzer: Analyzer
    paths: list[str]
    options: ReaderOptions
    jobs: int = 1
    redact: bool = False
    skip: set | Positions | None = None  # (input, record) pairs an interrupted output already holds
    window: object | None = None  # a TimeWindow, or None for every date
    warn: Callable[[str], None] = _no_warning
    on_lost: Callable | None = None  # a chunk a dead worker took with it
    position: InputPosition = field(default_factory=InputPosition)
    failed: list[CoachError] = field(default_factory=list)
    undated: list[str] = field(default_factory=list)  # ids --since/--until left out for lack of a date

    def reports(self) -> Iterator[ConversationReport]:
        """The run's reports in input order (scored by `jobs` processes), redacted on request."""
        from . import batch

        convs = conversations(
            self.paths,
            self.options,
            self.failed,
            self.skip,
            self.position,
            window=self.window,
            undated=self.undated,
            warn=self.warn,
        )
        reports = batch.score(self.analyzer, convs, jobs=self.jobs, on_lost=self.on_lost)
        if self.redact:
            from .redact import redact_conversation
            from .redact_names import NameMasker

            names = NameMasker()  # one per run: pseudonyms stay the same across conversations
            reports = (names.conversation(redact_conversation(r)) for r in reports)
        return reports
