"""Coach's canonical format: JSON Lines, one conversation per line, read one line at a time.

Each line is `{"id", "agent"?, "channel"?, "started_at"?, "meta"?, "turns": [{"speaker", "text",
"name"?, "time"?}]}` with speaker "agent", "customer" or "system" (common synonyms
such as "user" or "bot" are mapped). A `.json` file may instead hold a list of
such objects, `{"conversations": [...]}` or a single conversation object.
A missing `id` becomes `<file stem>:<line>`. `started_at` (ISO 8601 or Unix time; else the first
turn `time` that has a date) is when the conversation started.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from coach.errors import InputError
from coach.models import Conversation, Turn
from coach.readers._common import role_value
from coach.readers._context import Context
from coach.readers._inputfile import InputFile
from coach.readers._json import as_id, dotted, finish, get, objects, read_json, split_list
from coach.readers._times import field_time

SPEAKERS = ("agent", "customer", "system")


def _split(doc: Any) -> list[tuple[str, dict]]:
    return split_list(doc, ("conversations",), lambda d: "conversations" not in d, "a coach conversation")


def _build(rec: dict, ctx: Context, where: str, fallback: str, line: int | None) -> Conversation | None:
    conv_id = as_id(get(rec, "id", "id", where)) or fallback
    agent = get(rec, "agent", "str", where)
    channel = get(rec, "channel", "str", where)
    meta = get(rec, "meta", "dict", where) or {}
    turns: list[Turn] = []
    for here, item in objects(get(rec, "turns", "list", where, required=True), dotted(where, "turns")):
        speaker = get(item, "speaker", "str", here, required=True)
        role = speaker if speaker in SPEAKERS else role_value(speaker)
        if role is None:
            raise InputError(f"field '{dotted(here, 'speaker')}' is {speaker!r}; expected agent, customer or system")
        text = get(item, "text", "str", here, required=True)
        name = get(item, "name", "str", here)
        time = get(item, "time", "time", here)
        turns.append(Turn(role, text, name, None if time is None else str(time), line))
    return finish(
        ctx,
        turns,
        conv_id,
        where=where,
        line=line,
        agent=agent,
        channel=channel,
        meta=_meta(meta, ctx, dotted(where, "meta"), line),
        started_at=field_time(rec, "started_at"),
    )


#: Deeper `meta` values are dropped (with a warning): `--jobs` pickles each conversation to its
#: worker, and pickling recurses once per level (a 1,000-level value stopped the whole run).
MAX_META_DEPTH = 32


def _depth_over(value: Any, limit: int) -> bool:
    """Whether `value` nests lists/objects more than `limit` levels (iteratively: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def _meta(meta: dict, ctx: Context, where: str, line: int | None) -> tuple[tuple[str, Any], ...]:
    kept = []
    for key, value in meta.items():
        if isinstance(value, (dict, list)) and _depth_over(value, MAX_META_DEPTH):
            ctx.warn(
                f"field '{dotted(where, key)}' is nested more than {MAX_META_DEPTH} levels deep; "
                f"dropped (the conversation is scored)",
                line,
            )
            continue
        kept.append((key, value))
    return tuple(kept)


def read(src: InputFile, ctx: Context) -> Iterator[Conversation]:
    return read_json(src, ctx, _split, _build)
