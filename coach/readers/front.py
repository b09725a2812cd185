"""Front conversation messages: `GET /conversations/{id}/messages` (`_results[]`).

Reads each message's `is_inbound` (true = customer, false = teammate), `body`
(HTML; else `text`), `created_at` (Unix seconds), `type` (email, sms, front_chat,
…) as channel, `author` (teammate: `first_name`/`last_name`, else `username`) for
outbound names and the `from` entry of `recipients[]` (`role`, `name`) for inbound
ones. Drafts (`is_draft`) are skipped; Front's internal comments live on another
endpoint and never appear here. Messages are ordered by `created_at`. The id is
taken from `_links.related.conversation` (cnv_…). Also accepts a bare list of
messages or `{"id": "cnv_…", "messages": [...]}`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from coach.errors import InputError
from coach.models import Conversation, Turn
from coach.readers._common import clean_body, epoch_to_iso
from coach.readers._context import Context
from coach.readers._inputfile import InputFile
from coach.readers._json import dotted, finish, get, objects, read_json, type_name

CHANNELS = {"front_chat": "chat", "intercom": "chat", "smooch": "chat", "call": "voice"}


def _split(doc: Any) -> list[tuple[str, dict]]:
    if isinstance(doc, dict):
        for key in ("_results", "messages"):
            if isinstance(doc.get(key), list):
                return [("", {**doc, "messages": doc[key], "_key": key})]
        if isinstance(doc.get("conversations"), list):
            return list(objects(doc["conversations"], "conversations"))
    if isinstance(doc, list):
        if doc and isinstance(doc[0], dict) and "is_inbound" in doc[0]:
            return [("", {"messages": doc, "_key": ""})]
        return list(objects(doc, ""))
    raise InputError(f"not a Front messages export: {type_name(doc)} without '_results'", hint="check --format-in")


def _conversation_id(message: dict) -> str | None:
    links = message.get("_links")
    related = links.get("related") if isinstance(links, dict) else None
    url = related.get("conversation") if isinstance(related, dict) else None
    return url.rstrip("/").rsplit("/", 1)[-1] if isinstance(url, str) and url.strip("/") else None


def _name(message: dict, here: str, inbound: bool) -> str | None:
    if not inbound:
        author = get(message, "author", "dict", here)
        if not author:
            return None
        awhere = dotted(here, "author")
        full = " ".join(
            p for p in (get(author, "first_name", "str", awhere), get(author, "last_name", "str", awhere)) if p
        )
        return full or get(author, "username", "str", awhere)
    for rwhere, recipient in objects(get(message, "recipients", "list", here) or [], dotted(here, "recipients")):
        if get(recipient, "role", "str", rwhere) == "from":
            return get(recipient, "name", "str", rwhere)
    return None


def _build(rec: dict, ctx: Context, where: str, fallback: str, line: int | None) -> Conversation | None:
    key = rec.get("_key", "_results")
    mwhere = dotted(where, key) if key else where
    messages = list(objects(get(rec, "messages", "list", where, required=True), mwhere))
    turns: list[tuple[float, int, Turn]] = []
    conv_id = rec.get("id") if isinstance(rec.get("id"), str) else None
    channel = None
    for index, (here, message) in enumerate(messages):
        inbound = get(message, "is_inbound", "bool", here, required=True)
        conv_id = conv_id or _conversation_id(message)
        kind = get(message, "type", "str", here)
        channel = channel or (CHANNELS.get(kind, kind) if kind else None)
        if get(message, "is_draft", "bool", here):
            continue
        body = get(message, "body", "str", here)
        text = clean_body(body, is_html=True) if body is not None else None
        if text is None:
            plain = get(message, "text", "str", here)
            if plain is None:
                raise InputError(f"'{here}' has no 'body' or 'text'")
            text = clean_body(plain, is_html=False)
        if not text:
            continue
        created = get(message, "created_at", "num", here)
        time = epoch_to_iso(created) if created is not None else None
        turn = Turn("customer" if inbound else "agent", text, _name(message, here, inbound), time, line)
        turns.append((created if created is not None else float("inf"), index, turn))
    turns.sort(key=lambda item: (item[0], item[1]))
    return finish(ctx, [t for _, _, t in turns], conv_id or fallback, where=where, line=line, channel=channel)


def read(src: InputFile, ctx: Context) -> Iterator[Conversation]:
    return read_json(src, ctx, _split, _build)
