"""Parquet transcripts, read with pyarrow one record batch at a time, so memory stays flat.

Two shapes, told apart by the columns:
* a conversation per row: a `turns` column holding a list of structs ({speaker, text,
  name?, time?}), beside id / agent / channel columns;
* a turn per row: speaker and text columns, grouped into conversations by consecutive
  conversation id (as CSV is; without an id column the file is one conversation).
Columns and struct fields are found by CSV's names (`coach.readers.csv_`) unless given with
--id-column / --speaker-column / --text-column / --agent-column / --time-column.

Where a conversation is: Parquet has no lines, so `line` is None and `record` is the 1-based
row of the conversation (of its first turn, for a turn per row). A Spark job computes the
same number from the file's row index, so both engines name every conversation alike.
The mapping from rows to `Conversation` (`build`) is shared with `coach.spark`.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from coach.errors import InputError, UsageError
from coach.models import Conversation, Turn
from coach.readers._common import classify_name, role_value
from coach.readers._context import Context, ReaderOptions
from coach.readers.csv_ import (
    AGENT_COLUMNS,
    ID_COLUMNS,
    NAME_COLUMNS,
    SPEAKER_COLUMNS,
    TEXT_COLUMNS,
    TIME_COLUMNS,
    norm_header,
)

MAGIC = b"PAR1"
SUFFIXES = (".parquet", ".parq", ".pq")
TURNS_COLUMNS = ("turns", "messages", "utterances")
CONVERSATION_ID_COLUMNS = ("id",) + ID_COLUMNS
CHANNEL_COLUMNS = ("channel", "medium", "via")
STARTED_COLUMNS = ("started_at", "start_time", "created_at")
#: Rows per record batch read: a few MB of text, whatever the file's row groups are.
BATCH_ROWS = 2048


def require_pyarrow():
    """pyarrow, or a usage error that says which extra brings it."""
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet as pq
    except ImportError:
        raise UsageError("reading and writing Parquet needs pyarrow", hint='pip install "coach-cs[parquet]"') from None
    return pq


@dataclass(frozen=True)
class Layout:
    """Which column (or struct field) holds what; None where absent."""

    shape: str  # "conversations" (a turns list per row) or "turns" (a turn per row)
    id: str | None
    agent: str | None
    channel: str | None
    speaker: str
    text: str
    name: str | None = None
    time: str | None = None
    turns: str | None = None  # the list-of-structs column, for "conversations"
    started: str | None = None  # when the conversation started, for "conversations"

    @property
    def columns(self) -> list[str]:
        """The top-level columns to read."""
        if self.shape == "conversations":
            wanted = [self.id, self.agent, self.channel, self.started, self.turns]
        else:
            wanted = [self.id, self.agent, self.speaker, self.text, self.name, self.time]
        return [c for c in wanted if c is not None]

    @property
    def turn_fields(self) -> tuple[str | None, ...]:
        """speaker, text, name, time, agent: the five values `build` takes per turn."""
        agent = None if self.shape == "conversations" else self.agent
        return (self.speaker, self.text, self.name, self.time, agent)


def _find(names: Sequence[str], given: str | None, candidates: tuple[str, ...], option: str, where: str) -> str | None:
    normed = {norm_header(n): n for n in reversed(list(names))}
    if given is not None:
        hit = normed.get(norm_header(given))
        if hit is None:
            raise InputError(
                f"column {given!r} not found in {where} (columns: {', '.join(names)})", hint=f"check {option}"
            )
        return hit
    return next((normed[c] for c in candidates if c in normed), None)


def find_layout(names: Sequence[str], struct_fields: Mapping[str, Sequence[str]], options: ReaderOptions) -> Layout:
    """The layout of a table with these columns; `struct_fields` maps each column that is a
    list of structs to its fields. InputError (no path: the caller adds it) if text or speaker
    is missing."""
    turns = next((n for n in names if norm_header(n) in TURNS_COLUMNS and n in struct_fields), None)
    if turns is None and len(struct_fields) == 1 and _find(names, None, TEXT_COLUMNS, "", "") is None:
        turns = next(iter(struct_fields))  # the one list of structs, whatever its name
    if turns is not None:
        fields = list(struct_fields[turns])
        where = f"the {turns!r} structs"
        speaker = _find(fields, options.speaker_column, SPEAKER_COLUMNS, "--speaker-column", where)
        name = _find(fields, options.name_column, NAME_COLUMNS, "--name-column", where)
        text = _find(fields, options.text_column, TEXT_COLUMNS, "--text-column", where)
        speaker_column, text_column = _require(speaker or name, text, where)
        return Layout(
            "conversations",
            id=_find(names, options.id_column, CONVERSATION_ID_COLUMNS, "--id-column", "the table"),
            agent=_find(names, options.agent_column, AGENT_COLUMNS, "--agent-column", "the table"),
            channel=_find(names, None, CHANNEL_COLUMNS, "", "the table"),
            speaker=speaker_column,
            text=text_column,
            name=name,
            time=_find(fields, options.time_column, TIME_COLUMNS, "--time-column", where),
            turns=turns,
            started=_find(names, None, STARTED_COLUMNS, "", "the table"),
        )
    where = "the table"
    speaker = _find(names, options.speaker_column, SPEAKER_COLUMNS, "--speaker-column", where)
    name = _find(names, options.name_column, NAME_COLUMNS, "--name-column", where)
    text = _find(names, options.text_column, TEXT_COLUMNS, "--text-column", where)
    speaker_column, text_column = _require(speaker or name, text, where)
    return Layout(
        "turns",
        id=_find(names, options.id_column, ID_COLUMNS, "--id-column", where),
        agent=_find(names, options.agent_column, AGENT_COLUMNS, "--agent-column", where),
        channel=None,
        speaker=speaker_column,
        text=text_column,
        name=name,
        time=_find(names, options.time_column, TIME_COLUMNS, "--time-column", where),
    )


def _require(speaker: str | None, text: str | None, where: str) -> tuple[str, str]:
    """The speaker and text columns, or an InputError naming the one missing."""
    if speaker is None or text is None:
        missing = "speaker" if speaker is None else "text"
        looked = SPEAKER_COLUMNS if speaker is None else TEXT_COLUMNS
        raise InputError(
            f"no {missing} column in {where} (looked for {', '.join(looked[:6])}, …, or a 'turns' list of structs)",
            hint=f"name it with --{missing}-column",
        )
    return speaker, text


def arrow_layout(schema, options: ReaderOptions) -> Layout:
    """`find_layout` for a pyarrow schema."""
    import pyarrow as pa

    structs = {}
    for field in schema:
        kind = field.type
        if (pa.types.is_list(kind) or pa.types.is_large_list(kind)) and pa.types.is_struct(kind.value_type):
            structs[field.name] = [f.name for f in kind.value_type]
    return find_layout(schema.names, structs, options)


# ----------------------------------------------------------------------- rows to conversations
def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8", errors="replace")
    return str(value)


def _time(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    return str(value)


def build(
    conv_id: Any,
    agent: Any,
    channel: Any,
    turns: Iterable[Sequence[Any]],
    *,
    source: str,
    record: int | None,
    agent_names: tuple[str, ...] = (),
    stem: str = "",
    unknown: list[str] | None = None,
    started: Any = None,
) -> Conversation | None:
    """One Conversation from a row's values: `turns` holds (speaker, text, name, time, agent)
    per turn, in order. Blank turns are dropped (None when none is left); speaker values are
    mapped as CSV's are (agent / customer / system words, else a person's name, see
    --agent-name; unknown names become customers and are added to `unknown`). `started`: the
    row's start time, if it has one (else the readers' `_dated` takes the first dated turn's)."""
    built: list[Turn] = []
    first_agent = _text(agent)
    for speaker, text, name, time, turn_agent in turns:
        text = _text(text)
        if text is None or not text.strip():
            continue
        value = (_text(speaker) or "").strip()
        name = (_text(name) or "").strip()
        role = role_value(value) if value else None
        if role is None and value:
            role, is_label = classify_name(value, agent_names)
            if not name and not is_label:
                name = value
        if role is None:
            role = "customer"
            if unknown is not None:
                unknown.append(name or value or "(blank speaker)")
        named = (_text(turn_agent) or "").strip()
        if first_agent is None and named:
            first_agent = named
        built.append(Turn(role, text.replace("\r\n", "\n").replace("\r", "\n"), name or None, _time(time)))
    if not built:
        return None
    conv = _text(conv_id)
    if conv is None:
        conv = f"{stem}:{record}" if record is not None else stem
    agent_name = first_agent or next((t.name for t in built if t.speaker == "agent" and t.name), None)
    from coach.readers._times import to_utc

    return Conversation(
        id=conv,
        turns=tuple(built),
        agent=agent_name,
        channel=_text(channel),
        source=source,
        line=None,
        record=record,
        started_at=to_utc(_time(started)),
    )


def from_batch(
    batch,
    layout: Layout,
    *,
    sources: Sequence[str],
    records: Sequence[int | None],
    agent_names: tuple[str, ...] = (),
    unknown: list[str] | None = None,
    fields: Sequence[str | None] | None = None,
) -> Iterator[tuple[int, Conversation | None]]:
    """(row, Conversation or None) for each row of a conversation-per-row pyarrow batch;
    `fields` names the turn structs' speaker, text, name, time and agent (default: the layout's)."""
    columns = batch.schema.names
    get = {name: batch.column(columns.index(name)).to_pylist() for name in layout.columns}
    n = batch.num_rows
    none = [None] * n
    ids, agents, channels, starts = (
        get.get(c, none) if c else none for c in (layout.id, layout.agent, layout.channel, layout.started)
    )
    fields = layout.turn_fields if fields is None else fields
    for row, turns in enumerate(get[layout.turns]):  # type: ignore[index]
        rows = [tuple(t.get(f) if f else None for f in fields) for t in (turns or ()) if t is not None]
        source = sources[row]
        yield (
            row,
            build(
                ids[row],
                agents[row],
                channels[row],
                rows,
                source=source,
                record=records[row],
                agent_names=agent_names,
                stem=_stem(source),
                unknown=unknown,
                started=starts[row],
            ),
        )


def _stem(source: str) -> str:
    name = os.path.basename(source.rstrip("/\\")) or source
    for suffix in SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


# ---------------------------------------------------------------------------------- reading
def read(path: str, options: ReaderOptions, ctx: Context, stream: BinaryIO | None = None) -> Iterator[Conversation]:
    """Conversations in the Parquet file at `path` (or in `stream`, e.g. stdin), batch by batch
    (the limits on turns and message length, and `started_at` from the turns, are the caller's:
    `coach.readers` applies them to every format)."""
    pq = require_pyarrow()
    import pyarrow as pa

    try:
        if stream is not None and not _seekable(stream):
            source = pa.BufferReader(stream.read())  # stdin: Parquet's index is at the end
        else:
            source = stream if stream is not None else path
        pf = pq.ParquetFile(source)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(
            f"cannot read as Parquet: {exc}", path=path, hint="is the file complete? re-export it"
        ) from None
    try:
        layout = arrow_layout(pf.schema_arrow, options)
    except InputError as exc:
        exc.path = path
        raise
    if pf.metadata.num_rows == 0:
        ctx.warn("no rows")
        return
    batches = pf.iter_batches(batch_size=BATCH_ROWS, columns=layout.columns)
    try:
        if layout.shape == "conversations":
            yield from _conversations(batches, layout, path, ctx)
        else:
            yield from _turns(batches, layout, path, ctx)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"cannot read as Parquet: {exc}", path=path) from None
    ctx.report_unknown()


def _seekable(stream) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _emit(conv: Conversation | None, unknown: list[str], ctx: Context, row: int) -> Conversation | None:
    if unknown and conv is not None and not any(t.speaker == "agent" for t in conv.turns):
        ctx.note_unknown(list(dict.fromkeys(unknown)))
    unknown.clear()
    if conv is None:
        ctx.warn(f"row {row}: conversation has no readable messages; skipped")
    return conv


def _conversations(batches, layout: Layout, path: str, ctx: Context) -> Iterator[Conversation]:
    done = 0
    unknown: list[str] = []
    for batch in batches:
        n = batch.num_rows
        records = range(done + 1, done + n + 1)
        for row, conv in from_batch(
            batch, layout, sources=[path] * n, records=records, agent_names=ctx.options.agent_names, unknown=unknown
        ):
            kept = _emit(conv, unknown, ctx, records[row])
            if kept is not None:
                yield kept
        done += n


def _turns(batches, layout: Layout, path: str, ctx: Context) -> Iterator[Conversation]:
    """Rows grouped by consecutive id, across batch boundaries."""
    stem = _stem(path)
    current: Any = None
    first = 0
    pending: list[tuple] = []
    seen: set = set()
    warned = False
    unknown: list[str] = []
    row = 0
    names = [layout.id, *layout.turn_fields]

    def close() -> Conversation | None:
        conv = build(
            current if layout.id is not None else stem,
            None,
            None,
            pending,
            source=path,
            record=first,
            agent_names=ctx.options.agent_names,
            stem=stem,
            unknown=unknown,
        )
        return _emit(conv, unknown, ctx, first)

    for batch in batches:
        cols = batch.schema.names
        values = [batch.column(cols.index(c)).to_pylist() if c else [None] * batch.num_rows for c in names]
        for conv_id, *turn in zip(*values):
            row += 1
            if not pending or (layout.id is not None and conv_id != current):
                if pending:
                    kept = close()
                    if kept is not None:
                        yield kept
                if layout.id is not None:
                    if conv_id in seen and not warned:
                        warned = True
                        ctx.warn(
                            f"row {row}: conversation {conv_id} appears again; rows are grouped by "
                            f"consecutive id (sort the file by conversation id)"
                        )
                    seen.add(conv_id)
                current, first, pending = conv_id, row, []
            pending.append(tuple(turn))
    if pending:
        kept = close()
        if kept is not None:
            yield kept
