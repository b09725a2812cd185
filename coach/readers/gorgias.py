"""Gorgias tickets: `GET /api/tickets/{id}` (with `messages[]`) or `GET /api/tickets/{id}/messages`.

Reads each message's `from_agent` (true = agent or rule, false = customer),
`body_html` (else `stripped_text`/`body_text`), `sender.name` (else
`firstname`/`lastname`), `public` and `channel` (internal notes — `public: false`
or channel `internal-note` — are skipped), `created_datetime` and `ticket_id`.
A ticket's `id`, `channel`, `subject` and `assignee_user.name` are used when
present. Also accepts a messages page `{"data": [...]}` and lists of tickets.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from coach.errors import InputError
from coach.models import Conversation, Turn
from coach.readers._common import clean_body
from coach.readers._context import Context
from coach.readers._inputfile import InputFile
from coach.readers._json import as_id, dotted, finish, get, objects, read_json, type_name
from coach.readers._times import field_time


def _split(doc: Any) -> list[tuple[str, dict]]:
    if isinstance(doc, dict):
        if isinstance(doc.get("messages"), list):
            return [("", doc)]
        data = doc.get("data")
        if isinstance(data, list):
            if data and isinstance(data[0], dict) and "from_agent" in data[0]:
                return [("", {"messages": data, "_key": "data"})]
            return list(objects(data, "data"))
    if isinstance(doc, list):
        if doc and isinstance(doc[0], dict) and "from_agent" in doc[0]:
            return [("", {"messages": doc, "_key": ""})]
        return list(objects(doc, ""))
    raise InputError(f"not a Gorgias ticket export: {type_name(doc)} without 'messages'", hint="check --format-in")


def _name(message: dict, here: str) -> str | None:
    sender = get(message, "sender", "dict", here)
    if not sender:
        return None
    swhere = dotted(here, "sender")
    name = get(sender, "name", "str", swhere)
    if name:
        return name
    parts = (get(sender, "firstname", "str", swhere), get(sender, "lastname", "str", swhere))
    return " ".join(p for p in parts if p) or None


def _text(message: dict, here: str) -> str:
    body = get(message, "body_html", "str", here)
    if body:
        return clean_body(body, is_html=True)
    for key in ("stripped_text", "body_text"):
        plain = get(message, key, "str", here)
        if plain is not None:
            return clean_body(plain, is_html=False)
    if body is not None:
        return ""
    raise InputError(f"'{here}' has no 'body_html', 'stripped_text' or 'body_text'")


def _build(rec: dict, ctx: Context, where: str, fallback: str, line: int | None) -> Conversation | None:
    key = rec.get("_key", "messages")
    mwhere = dotted(where, key) if key else where
    turns: list[Turn] = []
    ticket_id = as_id(get(rec, "id", "id", where)) if "_key" not in rec else None
    channel = get(rec, "channel", "str", where) if "_key" not in rec else None
    for here, message in objects(get(rec, "messages", "list", where, required=True), mwhere):
        from_agent = get(message, "from_agent", "bool", here, required=True)
        public = get(message, "public", "bool", here)
        kind = get(message, "channel", "str", here)
        ticket_id = ticket_id or as_id(get(message, "ticket_id", "id", here))
        text = _text(message, here)
        if public is False or kind == "internal-note" or not text:
            continue
        channel = channel or kind
        turns.append(
            Turn(
                "agent" if from_agent else "customer",
                text,
                _name(message, here),
                get(message, "created_datetime", "str", here),
                line,
            )
        )
    assignee = get(rec, "assignee_user", "dict", where)
    agent = get(assignee, "name", "str", dotted(where, "assignee_user")) if assignee else None
    subject = get(rec, "subject", "str", where) if "_key" not in rec else None
    return finish(
        ctx,
        turns,
        ticket_id or fallback,
        where=where,
        line=line,
        agent=agent,
        channel=channel,
        meta=(("subject", subject),) if subject else (),
        started_at=field_time(rec, "created_datetime") if "_key" not in rec else None,
    )


def read(src: InputFile, ctx: Context) -> Iterator[Conversation]:
    return read_json(src, ctx, _split, _build)
