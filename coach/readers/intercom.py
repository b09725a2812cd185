"""Intercom conversations: `GET /conversations/{id}` (a conversation model with its parts).

Reads `id`, `source` (the opening message: `type`, `subject`, `body` HTML,
`author.type`/`author.name`; API 1.x calls it `conversation_message`, whose `type` is
not a channel) and `conversation_parts.conversation_parts[]`
(`part_type`, `body` HTML, `created_at`, `author.type`/`author.name`). Author types:
admin/team → agent, user/lead/contact → customer, bot → system. Notes
(`part_type` note / note_and_reopen) and parts without a body (assignments, open,
close, snooze) are skipped. Also accepts `{"conversations": [...]}` and lists.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from coach.errors import InputError
from coach.models import Conversation, Turn
from coach.readers._common import clean_body, epoch_to_iso
from coach.readers._context import Context
from coach.readers._inputfile import InputFile
from coach.readers._json import as_id, dotted, finish, get, objects, read_json, split_list

AUTHOR_ROLES = {
    "admin": "agent",
    "team": "agent",
    "user": "customer",
    "lead": "customer",
    "contact": "customer",
    "bot": "system",
}
_NOTE_PARTS = frozenset({"note", "note_and_reopen"})
_CHANNELS = {
    "conversation": "chat",
    "push": "chat",
    "email": "email",
    "facebook": "facebook",
    "twitter": "twitter",
    "instagram": "instagram",
    "whatsapp": "whatsapp",
    "sms": "sms",
    "phone_call": "voice",
}


def _split(doc: Any) -> list[tuple[str, dict]]:
    return split_list(
        doc,
        ("conversations", "data"),
        lambda d: "conversation_parts" in d or "source" in d or "conversation_message" in d,
        "an Intercom conversation",
    )


def _turn(part: dict, here: str, line: int | None) -> Turn | None:
    body = get(part, "body", "str", here)
    if not body:
        return None
    author = get(part, "author", "dict", here, required=True)
    awhere = dotted(here, "author")
    kind = get(author, "type", "str", awhere, required=True)
    role = AUTHOR_ROLES.get(kind.casefold())
    if role is None:
        raise InputError(f"field '{dotted(awhere, 'type')}' is {kind!r}; expected admin, user, lead, bot or team")
    text = clean_body(body, is_html=True)
    if not text:
        return None
    created = get(part, "created_at", "time", here)
    time = epoch_to_iso(created) if isinstance(created, (int, float)) else created
    return Turn(role, text, get(author, "name", "str", awhere), time, line)


def _build(rec: dict, ctx: Context, where: str, fallback: str, line: int | None) -> Conversation | None:
    turns: list[Turn] = []
    channel = None
    key = "source" if rec.get("source") is not None or "conversation_message" not in rec else "conversation_message"
    source = get(rec, key, "dict", where)
    if source is not None:
        swhere = dotted(where, key)
        kind = get(source, "type", "str", swhere)
        if key == "source" and kind:
            channel = _CHANNELS.get(kind, kind)
        if source.get("created_at") is None and rec.get("created_at") is not None:
            source = {**source, "created_at": rec["created_at"]}
        first = _turn(source, swhere, line)
        if first is not None:
            turns.append(first)
    parts_obj = get(rec, "conversation_parts", "dict", where)
    if parts_obj is not None:
        pwhere = dotted(where, "conversation_parts")
        parts = get(parts_obj, "conversation_parts", "list", pwhere, required=True)
        for here, part in objects(parts, dotted(pwhere, "conversation_parts")):
            kind = get(part, "part_type", "str", here)
            if kind in _NOTE_PARTS:
                continue
            turn = _turn(part, here, line)
            if turn is not None:
                turns.append(turn)
    elif source is None:
        raise InputError(
            f"'{where or 'conversation'}' has neither 'source' (or 'conversation_message') nor 'conversation_parts'"
        )
    conv_id = as_id(get(rec, "id", "id", where)) or fallback
    subject = get(source, "subject", "str", dotted(where, key)) if source else None
    meta = (("subject", clean_body(subject, is_html=True)),) if subject else ()
    return finish(ctx, turns, conv_id, where=where, line=line, channel=channel, meta=meta)


def read(src: InputFile, ctx: Context) -> Iterator[Conversation]:
    return read_json(src, ctx, _split, _build)
