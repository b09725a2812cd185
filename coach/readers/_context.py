"""Reader options and the per-file context every format module reports through."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from coach.errors import InputError, UsageError
from coach.textfix import encoding_problem

FORMATS: tuple[str, ...] = (
    "jsonl",
    "text",
    "csv",
    "tsv",
    "vtt",
    "srt",
    "zendesk",
    "intercom",
    "freshdesk",
    "helpscout",
    "front",
    "gorgias",
    "connect",
    "transcribe",
    "ccai",
    "parquet",
)

#: The longest message (turn) coach scores: spaCy's own default `max_length`. Matching time grows
#: faster than linearly within one text, so a longer one is reported and its conversation skipped.
MAX_TURN_CHARS = 1_000_000
#: The most turns one conversation may have. A longer one is a record error (that conversation is
#: reported and skipped): one 200,000-turn conversation took 1 GB as JSONL and 3 GB as HTML.
#: Streaming readers stop collecting a conversation's turns one past the limit.
MAX_TURNS = 10_000

Warn = Callable[[str], None]
OnError = Callable[[InputError], None]


@dataclass(frozen=True)
class ReaderOptions:
    """How to read transcripts: forced format, agent names, CSV columns, encoding."""

    format: str | None = None
    agent_names: tuple[str, ...] = ()
    id_column: str | None = None
    speaker_column: str | None = None
    text_column: str | None = None
    agent_column: str | None = None
    time_column: str | None = None
    name_column: str | None = None
    encoding: str | None = None

    def __post_init__(self) -> None:
        if self.format is not None and self.format not in FORMATS:
            raise UsageError(f"unknown transcript format {self.format!r}", hint=f"choose one of: {', '.join(FORMATS)}")
        if not isinstance(self.agent_names, tuple):
            object.__setattr__(self, "agent_names", tuple(self.agent_names))
        if self.encoding is not None:
            problem = encoding_problem(self.encoding)
            if problem:
                raise UsageError(problem, hint="use a Python codec name such as utf-8, cp1252 or utf-16")


#: Where readers' warnings go when the caller passes no `warn`: a library reports, the application
#: (coach's CLI passes its own `warn`) decides what to print. Silent until logging is configured.
logger = logging.getLogger("coach.readers")
logger.addHandler(logging.NullHandler())


def log_warning(message: str) -> None:
    """Default `warn`: one WARNING record on the `coach.readers` logger."""
    logger.warning("%s", message)


def file_stem(path: str) -> str:
    """The file name without folders, `.gz` and the format extension: the fallback conversation id."""
    if path == "-":
        return "stdin"
    name = os.path.basename(path.rstrip("/\\")) or path
    if name.lower().endswith(".gz"):
        name = name[:-3]
    stem, _ = os.path.splitext(name)
    return stem or name


@dataclass
class Context:
    """One file being read: where it is, the options, and where warnings and record errors go."""

    path: str
    options: ReaderOptions
    warn_fn: Warn = log_warning
    on_error: OnError | None = None
    unknown_speakers: dict[str, None] = field(default_factory=dict)
    convs_without_agent: int = 0

    @property
    def stem(self) -> str:
        return file_stem(self.path)

    def where(self, line: int | None = None) -> str:
        return f"{self.path}:{line}" if line else self.path

    def warn(self, message: str, line: int | None = None) -> None:
        self.warn_fn(f"{self.where(line)}: {message}")

    def error(self, message: str, line: int | None = None, hint: str | None = None) -> InputError:
        return InputError(message, path=self.path, line=line, hint=hint)

    def recover(self, exc: InputError, line: int | None = None) -> None:
        """Route a record-level error: raise it (default) or hand it to `on_error` and go on."""
        if exc.path is None:
            exc.path = self.path
        if exc.line is None:
            exc.line = line
        if self.on_error is None:
            raise exc
        self.on_error(exc)

    def note_unknown(self, names: list[str]) -> None:
        """Remember speakers that could not be told apart from customers in an agent-less conversation."""
        self.convs_without_agent += 1
        for name in names:
            self.unknown_speakers.setdefault(name, None)

    def report_unknown(self) -> None:
        if not self.unknown_speakers:
            return
        names = ", ".join(list(self.unknown_speakers)[:5])
        more = "" if len(self.unknown_speakers) <= 5 else f" and {len(self.unknown_speakers) - 5} more"
        self.warn(
            f"no agent found in {self.convs_without_agent} conversation(s); speakers "
            f"{names}{more} were treated as customers (name agents with --agent-name)"
        )
        self.unknown_speakers.clear()
