"""Help Scout Mailbox API 2.0 threads: `GET /v2/conversations/{id}/threads` or `?embed=threads`.

Reads `_embedded.threads[]`: `type` (customer → customer; message → agent reply;
chat/phone/beaconchat → by `createdBy.type`: customer → customer, user → agent,
system_user → system), `body` (HTML), `createdBy.first`/`last`, `createdAt`.
Notes, lineitems (status changes) and forwards are skipped. Help Scout lists
threads newest first, so turns are ordered by `createdAt` (or the list reversed
when times are missing). A conversation's own `id`/`number`, `subject` and `type`
(email/chat/phone) are used when the threads are embedded in it; a page of
conversations (`_embedded.conversations[]`) yields each.
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

PERSON_ROLES = {"customer": "customer", "user": "agent", "team": "agent", "system_user": "system", "system": "system"}
_BY_TYPE = {"customer": "customer", "message": "agent"}
_BY_AUTHOR = frozenset({"chat", "phone", "beaconchat"})


def _split(doc: Any) -> list[tuple[str, dict]]:
    if isinstance(doc, list):
        return list(objects(doc, ""))
    if isinstance(doc, dict):
        embedded = doc.get("_embedded")
        if isinstance(embedded, dict):
            if isinstance(embedded.get("threads"), list):
                return [("", doc)]
            if isinstance(embedded.get("conversations"), list):
                return list(objects(embedded["conversations"], "_embedded.conversations"))
        if isinstance(doc.get("threads"), list):
            return [("", {**doc, "_embedded": {"threads": doc["threads"]}})]
    raise InputError(
        f"not a Help Scout threads export: {type_name(doc)} without '_embedded.threads'", hint="check --format-in"
    )


def _build(rec: dict, ctx: Context, where: str, fallback: str, line: int | None) -> Conversation | None:
    ewhere = dotted(where, "_embedded")
    embedded = get(rec, "_embedded", "dict", where, required=True)
    threads = list(objects(get(embedded, "threads", "list", ewhere, required=True), dotted(ewhere, "threads")))
    stamps = [t.get("createdAt") for _, t in threads]
    if all(isinstance(s, str) for s in stamps):
        threads.sort(key=lambda item: item[1]["createdAt"])
    else:
        threads.reverse()
    turns: list[Turn] = []
    for here, thread in threads:
        kind = get(thread, "type", "str", here, required=True).casefold()
        if kind in _BY_TYPE:
            role = _BY_TYPE[kind]
        elif kind in _BY_AUTHOR:
            role = None
        else:
            continue  # note, lineitem, forwardparent, forwardchild: not said to the customer
        by = get(thread, "createdBy", "dict", here) or {}
        bwhere = dotted(here, "createdBy")
        by_type = get(by, "type", "str", bwhere)
        if role is None:
            if by_type is None:
                raise InputError(f"missing field '{dotted(bwhere, 'type')}' (needed for a {kind} thread)")
            role = PERSON_ROLES.get(by_type.casefold())
            if role is None:
                raise InputError(f"field '{dotted(bwhere, 'type')}' is {by_type!r}; expected customer or user")
        body = get(thread, "body", "str", here)
        text = clean_body(body, is_html=True) if body else ""
        if not text:
            continue
        name = " ".join(p for p in (get(by, "first", "str", bwhere), get(by, "last", "str", bwhere)) if p)
        turns.append(Turn(role, text, name or None, get(thread, "createdAt", "str", here), line))
    conv_id = as_id(get(rec, "id", "id", where)) or fallback
    meta = tuple(
        (key, value)
        for key, value in (("number", get(rec, "number", "id", where)), ("subject", get(rec, "subject", "str", where)))
        if value is not None
    )
    return finish(
        ctx,
        turns,
        conv_id,
        where=where,
        line=line,
        channel=get(rec, "type", "str", where),
        meta=meta,
        started_at=field_time(rec, "createdAt"),
    )


def read(src: InputFile, ctx: Context) -> Iterator[Conversation]:
    return read_json(src, ctx, _split, _build)
