"""CSV/TSV exports with one message per row, grouped into conversations by consecutive id.

Columns are found by header name (case, spaces and dashes ignored) unless given
with --id-column/--speaker-column/--text-column/--agent-column/--time-column:
  id       conversation_id, ticket_id, chat_id, thread_id, case_id, contact_id, session_id, call_id …
  speaker  role, speaker, author_type, sender_type, participant_role, user_type, sender, author, from
  text     text, message, body, body_text, plain_body, content, utterance, transcript, comment
  agent    agent, agent_name, assignee, assignee_name;  time  time, timestamp, created_at, date, sent_at
           (the first row's time, when it has a date, is the conversation's `started_at`)
  name     name, author_name, sender_name, speaker_name, display_name
Speaker values agent/staff/admin/operator/support/rep → agent; customer/end-user/
user/requester/contact/visitor/lead → customer; system/bot/ivr → system; anything
else is treated as a person's name (see --agent-name). Rows marked private
(public=false, or private/internal/is_note true) are skipped. Without an id column
the whole file is one conversation. The delimiter of a "csv" file is sniffed from
the header line (comma, semicolon, tab or pipe); "tsv" is always tab.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from coach.errors import InputError
from coach.models import Conversation, Turn
from coach.readers._common import classify_name, role_value
from coach.readers._context import MAX_TURN_CHARS, MAX_TURNS, Context
from coach.readers._inputfile import InputFile

from ..controls import shown_cells

ID_COLUMNS = (
    "conversation_id",
    "conversationid",
    "conversation",
    "ticket_id",
    "ticketid",
    "ticket",
    "ticket_number",
    "chat_id",
    "thread_id",
    "case_id",
    "case_number",
    "contact_id",
    "session_id",
    "transcript_id",
    "call_id",
    "interaction_id",
)
SPEAKER_COLUMNS = (
    "role",
    "speaker_role",
    "speaker",
    "author_type",
    "sender_type",
    "participant_role",
    "user_type",
    "author_role",
    "participant",
    "sender",
    "author",
    "from",
)
TEXT_COLUMNS = (
    "text",
    "message",
    "body",
    "message_text",
    "body_text",
    "plain_body",
    "content",
    "utterance",
    "transcript",
    "comment",
    "message_body",
)
AGENT_COLUMNS = ("agent", "agent_name", "assignee", "assignee_name", "agent_id", "assignee_id")
TIME_COLUMNS = (
    "time",
    "timestamp",
    "created_at",
    "created",
    "date",
    "datetime",
    "sent_at",
    "message_time",
    "start_time",
    "created_datetime",
)
NAME_COLUMNS = ("name", "author_name", "sender_name", "speaker_name", "display_name", "from_name")
_PRIVATE_TRUE = ("private", "internal", "is_private", "is_internal", "is_note", "note")
_FALSE = frozenset({"false", "0", "no", "n", "f"})
_TRUE = frozenset({"true", "1", "yes", "y", "t"})
# The csv module's default cell limit (128 KB) made one long message end the whole file; raise it
# past the message limit (checked per conversation) so only a runaway cell, e.g. an unclosed quote, stops it.
MAX_CELL_CHARS = 2 * MAX_TURN_CHARS
if csv.field_size_limit() < MAX_CELL_CHARS:
    csv.field_size_limit(MAX_CELL_CHARS)
#: A line fed after the file's last one: a row of its own, unless an unclosed quote swallowed the
#: rest of the file into one cell (the csv module accepts that silently).
END = "\ufdd0coach-end-of-file\ufdd0"


def norm_header(name: str) -> str:
    return re.sub(r"[\s\-.]+", "_", name.strip().strip("\ufeff").casefold())


def sniff_delimiter(header: str) -> str:
    """The most frequent of , ; tab | in the header line (comma on a tie)."""
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _find(header: list[str], given: str | None, candidates: tuple[str, ...], option: str, ctx: Context) -> int | None:
    normed = [norm_header(h) for h in header]
    if given is not None:
        want = norm_header(given)
        if want in normed:
            return normed.index(want)
        raise ctx.error(f"column {given!r} not found (columns: {shown_cells(header)})", line=1, hint=f"check {option}")
    for cand in candidates:
        if cand in normed:
            return normed.index(cand)
    return None


def read(src: InputFile, ctx: Context, tsv: bool = False) -> Iterator[Conversation]:
    lines = src.lines()
    numbers: list[int] = [0]

    def feed() -> Iterator[str]:
        for lineno, line in lines:
            numbers[0] = lineno
            yield line + "\n"
        yield END + "\n"  # inside a cell when a quote was never closed (see _rows)

    feeder = feed()
    first = next(feeder, None)
    while first is not None and not first.strip():
        first = next(feeder, None)
    if first is None:
        return
    delimiter = "\t" if tsv else sniff_delimiter(first)

    def rows_with_first() -> Iterator[str]:
        yield first
        yield from feeder

    reader = csv.reader(rows_with_first(), delimiter=delimiter)
    try:
        header = next(reader)
        yield from _rows(reader, header, numbers, ctx)
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise ctx.error(
                f"malformed CSV: a cell is longer than {csv.field_size_limit():,} characters",
                line=numbers[0],
                hint="look for an unclosed quote above this line",
            ) from None
        raise ctx.error(f"malformed CSV: {exc}", line=numbers[0]) from None
    ctx.report_unknown()


class _Columns(NamedTuple):
    """Where each field is in a row (None: the file has no such column)."""

    id: int | None
    speaker: int
    text: int
    agent: int | None
    time: int | None
    name: int | None
    public: int | None
    private: list[int]

    @property
    def needed(self) -> int:
        """The fewest cells minus one a row must have to be read: speaker and text."""
        return max(self.speaker, self.text)


def _columns(header: list[str], header_line: int, ctx: Context) -> _Columns:
    """The header's columns, by --*-column option or by the usual names; no speaker or text column
    is a file-level error."""
    opts = ctx.options
    col_id = _find(header, opts.id_column, ID_COLUMNS, "--id-column", ctx)
    col_speaker = _find(header, opts.speaker_column, SPEAKER_COLUMNS, "--speaker-column", ctx)
    col_text = _find(header, opts.text_column, TEXT_COLUMNS, "--text-column", ctx)
    col_agent = _find(header, opts.agent_column, AGENT_COLUMNS, "--agent-column", ctx)
    col_time = _find(header, opts.time_column, TIME_COLUMNS, "--time-column", ctx)
    col_name = _find(header, opts.name_column, NAME_COLUMNS, "--name-column", ctx)
    if col_speaker is None:
        col_speaker = col_name
    if col_speaker is None or col_text is None:
        missing = "speaker" if col_speaker is None else "text"
        names = SPEAKER_COLUMNS if col_speaker is None else TEXT_COLUMNS
        raise ctx.error(
            f"no {missing} column (looked for {', '.join(names[:6])}, …; header: {shown_cells(header)[:200]})",
            line=header_line,
            hint=f"name it with --{missing}-column",
        )
    normed = [norm_header(h) for h in header]
    col_public = normed.index("public") if "public" in normed else None
    private = [normed.index(c) for c in _PRIVATE_TRUE if c in normed]
    return _Columns(col_id, col_speaker, col_text, col_agent, col_time, col_name, col_public, private)


def _cell(row: list[str], col: int | None) -> str:
    """The stripped cell, or "" when the column is absent or the row too short."""
    return row[col].strip() if col is not None and col < len(row) else ""


def _is_private(row: list[str], cols: _Columns) -> bool:
    """A note, not a message: public=false, or a private/internal/is_note flag set."""
    return _cell(row, cols.public).casefold() in _FALSE or any(_cell(row, c).casefold() in _TRUE for c in cols.private)


@dataclass
class _Conversation:
    """The rows of one conversation read so far."""

    id: str | None
    start: int
    turns: list[Turn] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # speakers that were neither agent nor customer by name
    agent: str | None = None

    def add(self, row: list[str], cols: _Columns, row_line: int, ctx: Context) -> None:
        """Add a row's message as a turn, if it has text (the speaker decides its role)."""
        text = row[cols.text].strip()
        if not text:
            return
        value = row[cols.speaker].strip()
        name = _cell(row, cols.name)
        role = role_value(value) if value else None
        if role is None and value:
            role, is_label = classify_name(value, ctx.options.agent_names)
            if not name and not is_label:
                name = value
        if role is None:
            role = "customer"
            label = name or value or "(blank speaker)"
            if label not in self.unknown:
                self.unknown.append(label)
        if self.agent is None:
            self.agent = _cell(row, cols.agent) or None
        time = _cell(row, cols.time)
        if len(self.turns) <= MAX_TURNS:  # one past the limit: the conversation is refused
            self.turns.append(Turn(role, text.replace("\r\n", "\n"), name or None, time or None, row_line))

    def close(self, ctx: Context) -> Conversation | None:
        """The finished conversation, or None when no row had a message."""
        if not self.turns:
            return None
        name = self.agent or next((t.name for t in self.turns if t.speaker == "agent" and t.name), None)
        if self.unknown and not any(t.speaker == "agent" for t in self.turns):
            ctx.note_unknown(list(self.unknown))
        conv_id = self.id if self.id is not None else ctx.stem
        return Conversation(id=conv_id, turns=tuple(self.turns), agent=name, source=ctx.path, line=self.start)


def _unclosed_quote(row: list[str], row_line: int, last_line: int, ctx: Context) -> None:
    """Report the row whose open quote swallowed the rest of the file (see END)."""
    after = last_line - row_line
    swallowed = f", so the {after:,} line(s) after it were read into one cell" if after else ""
    ctx.recover(
        InputError(
            f"malformed CSV: the quote opened in this row is never closed{swallowed}; skipped",
            hint="close the quote, or escape it by doubling it",
        ),
        row_line,
    )


def _rows(reader, header: list[str], numbers: list[int], ctx: Context) -> Iterator[Conversation]:
    """Conversations from the rows after the header, grouped by consecutive id."""
    cols = _columns(header, numbers[0], ctx)
    conv: _Conversation | None = None
    seen: set[str] = set()
    warned_repeat = False
    prev_end = numbers[0]
    for row in reader:
        row_line, prev_end = prev_end + 1, numbers[0]
        if row == [END]:
            break
        if row and END in row[-1]:
            _unclosed_quote(row, row_line, prev_end, ctx)
            break
        if not row or all(not cell.strip() for cell in row):
            continue
        row_id = row[cols.id].strip() if cols.id is not None and cols.id < len(row) else None
        if conv is None or cols.id is not None and row_id != conv.id:
            done = conv.close(ctx) if conv is not None else None
            if done is not None:
                yield done
            if row_id is not None and row_id in seen and not warned_repeat:
                warned_repeat = True
                ctx.warn(
                    f"conversation {row_id} appears again; rows are grouped by consecutive id "
                    f"(sort the file by conversation id)",
                    row_line,
                )
            if row_id is not None:
                seen.add(row_id)
            conv = _Conversation(row_id, row_line)
        if len(row) <= cols.needed:
            ctx.recover(
                InputError(f"row has {len(row)} cells; the {header[cols.needed]!r} column is missing"), row_line
            )
            continue
        if not _is_private(row, cols):
            conv.add(row, cols, row_line, ctx)
    if conv is None:
        ctx.warn("no data rows")
        return
    done = conv.close(ctx)
    if done is not None:
        yield done
