"""Freshdesk ticket conversations: `GET /api/v2/tickets/{id}/conversations` (a JSON list).

Reads each conversation's `body` (HTML; else `body_text`), `incoming` (true =
from the customer, false = an agent reply), `private` (private notes are
skipped), `user_id`, `ticket_id` and `created_at`. Also accepts a ticket fetched
with `?include=conversations` (`id`, `subject`, `description`/`description_text`
as the customer's opening message, `created_at`, `source`, `conversations[]`),
`{"ticket": {...}, "conversations": [...]}`, and a list of tickets.
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

SOURCES = {1: "email", 2: "portal", 3: "phone", 7: "chat", 9: "feedback", 10: "email"}


def _is_entry(item: Any) -> bool:
    return isinstance(item, dict) and ("incoming" in item or "private" in item) and "conversations" not in item


def _split(doc: Any) -> list[tuple[str, dict]]:
    if isinstance(doc, list):
        if doc and _is_entry(doc[0]):
            return [("", {"conversations": doc, "_bare": True})]
        return list(objects(doc, ""))
    if isinstance(doc, dict):
        ticket = doc.get("ticket")
        if isinstance(ticket, dict):
            return [("", {**ticket, "conversations": doc.get("conversations", ticket.get("conversations"))})]
        if "conversations" in doc or "description" in doc or "description_text" in doc:
            return [("", doc)]
        if isinstance(doc.get("tickets"), list):
            return list(objects(doc["tickets"], "tickets"))
    raise InputError(
        f"not a Freshdesk conversations export: the document is {type_name(doc)} without 'conversations'",
        hint="check --format-in",
    )


def _text(obj: dict, here: str, html_key: str, text_key: str) -> str | None:
    body = get(obj, html_key, "str", here)
    if body is not None:
        return clean_body(body, is_html=True)
    plain = get(obj, text_key, "str", here)
    return None if plain is None else clean_body(plain, is_html=False)


def _build(rec: dict, ctx: Context, where: str, fallback: str, line: int | None) -> Conversation | None:
    turns: list[Turn] = []
    opening = _text(rec, where, "description", "description_text")
    if opening:
        created = get(rec, "created_at", "time", where)
        turns.append(Turn("customer", opening, None, None if created is None else str(created), line))
    entries = get(rec, "conversations", "list", where, required=not opening) or []
    ticket_id = as_id(get(rec, "id", "id", where))
    for here, entry in objects(entries, where if rec.get("_bare") else dotted(where, "conversations")):
        incoming = get(entry, "incoming", "bool", here, required=True)
        private = get(entry, "private", "bool", here)
        text = _text(entry, here, "body", "body_text")
        if text is None:
            raise InputError(f"'{here}' has no 'body' or 'body_text'")
        ticket_id = ticket_id or as_id(get(entry, "ticket_id", "id", here))
        if private or not text:
            continue
        created = get(entry, "created_at", "time", here)
        turns.append(
            Turn("customer" if incoming else "agent", text, None, None if created is None else str(created), line)
        )
    source = get(rec, "source", "num", where)
    subject = get(rec, "subject", "str", where)
    return finish(
        ctx,
        turns,
        ticket_id or fallback,
        where=where,
        line=line,
        channel=SOURCES.get(source) if isinstance(source, int) else None,
        meta=(("subject", subject),) if subject else (),
    )


def read(src: InputFile, ctx: Context) -> Iterator[Conversation]:
    return read_json(src, ctx, _split, _build)
