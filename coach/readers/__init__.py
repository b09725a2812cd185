"""Transcript readers: turn helpdesk and contact-center exports into `Conversation` objects.

Public API: FORMATS, ReaderOptions, sniff(), iter_sources(), read_path(), read_bytes(),
plus html_to_text() and strip_quoted_email() for other modules that meet HTML mail.

Streaming: JSON Lines, text, CSV/TSV and WebVTT/SRT are decoded and parsed
incrementally and each conversation is yielded as soon as it is complete;
whole-file JSON exports (one ticket or page per file) are loaded per file, capped
at 64 MB and with nesting errors reported as InputError. Sniffing looks at the
first 64 KB; with a forced format a pipe is read from its first line.

Errors — the design decision:
* File-level failures raise InputError from the iterator: missing or unreadable
  file, binary file, truncated/corrupt gzip, unknown format, invalid whole-file
  JSON, CSV without a speaker/text column, text without any speaker line.
  Conversations already yielded from that file stay valid.
* Record-level failures — one bad JSON Lines line, one malformed conversation in a
  JSON list, a CSV row missing cells — are InputErrors carrying the path and line.
  By default (`on_error=None`) they are raised too: strict. Pass
  `on_error=callback` and each is handed to the callback instead, and reading goes
  on with the next record, so `coach score` can report a bad line and keep going.
* Warnings (invalid UTF-8 decoded with replacement, empty file, skipped
  conversations, speakers that could not be identified) go to `warn` as one line
  each, prefixed with the path; without a `warn`, to the `coach.readers` logger
  (never straight to stderr: the application decides what to print).
* Nothing else escapes: an unexpected parser exception becomes an InputError that
  names the format being read.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import zlib
from collections.abc import Callable, Iterator
from functools import partial
from typing import BinaryIO

from coach.errors import CoachError, InputError
from coach.models import Conversation
from coach.readers import (
    ccai,
    connect,
    csv_,
    freshdesk,
    front,
    gorgias,
    helpscout,
    intercom,
    jsonl,
    parquet,
    text,
    transcribe,
    vtt,
    zendesk,
)
from coach.readers._common import html_to_text, strip_quoted_email
from coach.readers._context import (
    FORMATS,
    MAX_TURN_CHARS,
    MAX_TURNS,
    Context,
    OnError,
    ReaderOptions,
    Warn,
    log_warning,
)
from coach.readers._files import iter_sources
from coach.readers._inputfile import HEAD_SIZE, InputFile, open_binary
from coach.readers._sniff import sniff
from coach.readers._times import first_time

__all__ = [
    "FORMATS",
    "ReaderOptions",
    "sniff",
    "iter_sources",
    "read_path",
    "read_bytes",
    "html_to_text",
    "strip_quoted_email",
]

_READERS: dict[str, Callable[[InputFile, Context], Iterator[Conversation]]] = {
    "jsonl": jsonl.read,
    "text": text.read,
    "csv": csv_.read,
    "tsv": partial(csv_.read, tsv=True),
    "vtt": vtt.read,
    "srt": partial(vtt.read, srt=True),
    "zendesk": zendesk.read,
    "intercom": intercom.read,
    "freshdesk": freshdesk.read,
    "helpscout": helpscout.read,
    "front": front.read,
    "gorgias": gorgias.read,
    "connect": connect.read,
    "transcribe": transcribe.read,
    "ccai": ccai.read,
}
assert set(_READERS) | {"parquet"} == set(FORMATS)  # Parquet is binary: read_path hands it to pyarrow

_UNEXPECTED = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    UnicodeError,
    csv.Error,
    zlib.error,
    EOFError,
    OSError,
    OverflowError,
)


def read_path(
    path: str,
    options: ReaderOptions | None = None,
    warn: Warn = log_warning,
    *,
    on_error: OnError | None = None,
    on_open: Callable[[BinaryIO], None] | None = None,
) -> Iterator[Conversation]:
    """Conversations in the file at `path` ("-" = stdin; .gz transparently), streamed.
    `on_open` gets the raw byte stream (its tell() is how far the reader has got)."""
    stream = open_binary(path)
    if on_open is not None:
        on_open(stream)
    options = options or ReaderOptions()
    if _is_parquet(stream, options):
        yield from _read_parquet(stream, path, options, warn, on_error)
        return
    yield from _read_stream(stream, path, options, warn, on_error)


def _is_parquet(stream: BinaryIO, options: ReaderOptions) -> bool:
    if options.format is not None:
        return options.format == "parquet"
    try:
        return stream.peek(4)[:4] == parquet.MAGIC if hasattr(stream, "peek") else False
    except (OSError, ValueError):
        return False


def _read_parquet(
    stream: BinaryIO, path: str, options: ReaderOptions, warn: Warn, on_error: OnError | None
) -> Iterator[Conversation]:
    """Parquet through pyarrow (coach.readers.parquet), with the same error contract as text formats."""
    ctx = Context(path, options, warn, on_error)
    try:
        yield from _dated(_fitting(parquet.read(path, options, ctx, stream=stream), ctx))
    except CoachError:
        raise
    except _UNEXPECTED as exc:
        raise InputError(
            f"cannot read as parquet: {type(exc).__name__}: {exc}",
            path=path,
            hint="check --format-in, or report this file shape as a bug",
        ) from exc
    finally:
        if path != "-":
            stream.close()


def read_bytes(
    data: bytes,
    name: str = "-",
    options: ReaderOptions | None = None,
    warn: Warn = log_warning,
    *,
    on_error: OnError | None = None,
) -> Iterator[Conversation]:
    """Conversations in `data` as if read from a file called `name` (for stdin captures and tests)."""
    stream = io.BufferedReader(io.BytesIO(data))
    options = options or ReaderOptions()
    if _is_parquet(stream, options):
        return _read_parquet(stream, name, options, warn, on_error)
    return _read_stream(stream, name, options, warn, on_error)


def _fitting(convs: Iterator[Conversation], ctx: Context) -> Iterator[Conversation]:
    """The conversations with at most MAX_TURNS turns, each at most MAX_TURN_CHARS long; a longer
    one is a record error."""
    for conv in convs:
        if len(conv.turns) > MAX_TURNS:
            ctx.recover(
                InputError(
                    f"conversation {conv.id!r} has more than {MAX_TURNS:,} turns, the per-conversation limit",
                    hint="split it into several conversations",
                ),
                conv.line,
            )
            continue
        turn = next((t for t in conv.turns if len(t.text) > MAX_TURN_CHARS), None)
        if turn is None:
            yield conv
            continue
        ctx.recover(
            InputError(
                f"conversation {conv.id!r} has a message of {len(turn.text):,} characters, "
                f"over the {MAX_TURN_CHARS:,}-character limit",
                hint="trim or split that message",
            ),
            turn.line or conv.line,
        )


def _dated(convs: Iterator[Conversation]) -> Iterator[Conversation]:
    """Each conversation with `started_at` set from its first dated turn when its reader gave none."""
    for conv in convs:
        if conv.started_at is None:
            stamp = first_time(conv.turns)
            if stamp is not None:
                conv = dataclasses.replace(conv, started_at=stamp)
        yield conv


def _read_stream(
    stream: BinaryIO, path: str, options: ReaderOptions, warn: Warn, on_error: OnError | None
) -> Iterator[Conversation]:
    src: InputFile | None = None
    try:
        src = InputFile(stream, path, options.encoding, warn, head_size=1 if options.format else HEAD_SIZE)
        if src.is_empty():
            warn(f"{path}: empty file")
            return
        if src.is_binary():
            raise InputError(
                "binary file, skipped", path=path, hint="coach reads text, JSON, CSV/TSV, WebVTT/SRT and .gz of those"
            )
        fmt = options.format or sniff(path, src.head)
        ctx = Context(path, options, warn, on_error)
        try:
            yield from _dated(_fitting(_READERS[fmt](src, ctx), ctx))
        except CoachError:
            raise
        except RecursionError:
            raise InputError(f"cannot read as {fmt}: nested too deeply", path=path) from None
        except _UNEXPECTED as exc:
            raise InputError(
                f"cannot read as {fmt}: {type(exc).__name__}: {exc}",
                path=path,
                hint="check --format-in, or report this file shape as a bug",
            ) from exc
    finally:
        if src is not None:
            src.close()
        elif path != "-":
            stream.close()
