"""Zendesk Support ticket comments: `GET /api/v2/tickets/{id}/comments.json?include=users`.

Reads `comments[]` (`id`, `author_id`, `html_body` → else `plain_body` → else `body`,
`public`, `created_at`, `via.channel`) and the side-loaded `users[]` (`id`, `name`,
`role`: end-user → customer, agent/admin → agent). Private notes (`public: false`)
are skipped. Also accepts a ticket export `{"ticket": {...}, "comments": [...]}`
(ticket `id`, `subject`, `requester_id`, `assignee_id`, `via.channel`) and a list of
either. Without users, the ticket requester (or else the first comment's author)
is taken as the customer and everyone else as agents, with a warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from coach.errors import InputError
from coach.models import Conversation, Turn
from coach.readers._common import clean_body, role_value
from coach.readers._context import Context
from coach.readers._inputfile import InputFile
from coach.readers._json import as_id, dotted, finish, get, objects, read_json, split_list
from coach.readers._times import field_time


def _split(doc: Any) -> list[tuple[str, dict]]:
    return split_list(doc, ("tickets", "results"), lambda d: "comments" in d, "a Zendesk comments export")


def _users(rec: dict, where: str) -> dict[str, tuple[str | None, str | None]]:
    users: dict[str, tuple[str | None, str | None]] = {}
    for here, user in objects(get(rec, "users", "list", where) or [], dotted(where, "users")):
        user_id = as_id(get(user, "id", "id", here, required=True))
        role = get(user, "role", "str", here)
        users[str(user_id)] = (role_value(role) if role else None, get(user, "name", "str", here))
    return users


def _body(comment: dict, here: str) -> str:
    html_body = get(comment, "html_body", "str", here)
    if html_body is not None:
        return clean_body(html_body, is_html=True)
    plain = get(comment, "plain_body", "str", here)
    if plain is None:
        plain = get(comment, "body", "str", here)
    if plain is None:
        raise InputError(f"'{here}' has no 'html_body', 'plain_body' or 'body' text")
    return clean_body(plain, is_html=False)


def _build(rec: dict, ctx: Context, where: str, fallback: str, line: int | None) -> Conversation | None:
    ticket = get(rec, "ticket", "dict", where) or {}
    twhere = dotted(where, "ticket")
    users = _users(rec, where)
    requester = as_id(get(ticket, "requester_id", "id", twhere))
    assignee = as_id(get(ticket, "assignee_id", "id", twhere))
    comments = list(objects(get(rec, "comments", "list", where, required=True), dotted(where, "comments")))
    guessed = False
    turns: list[Turn] = []
    channel = None
    via = get(ticket, "via", "dict", twhere)
    if via:
        channel = get(via, "channel", "str", dotted(twhere, "via"))
    first_author: str | None = None
    for here, comment in comments:
        author = as_id(get(comment, "author_id", "id", here, required=True))
        first_author = first_author or author
        public = get(comment, "public", "bool", here)
        body = _body(comment, here)
        if channel is None and isinstance(comment.get("via"), dict):
            channel = get(comment["via"], "channel", "str", dotted(here, "via"))
        if public is False or not body:
            continue
        role, name = users.get(str(author), (None, None))
        if role is None:
            guessed = True
            customer = requester or first_author
            role = "customer" if author == customer else "agent"
        created = get(comment, "created_at", "time", here)
        turns.append(Turn(role, body, name, None if created is None else str(created), line))
    if guessed:
        ctx.warn(
            f"{where + ': ' if where else ''}comment authors without a user role; assumed the "
            f"{'requester' if requester else 'first author'} is the customer "
            f"(export comments with ?include=users)",
            line,
        )
    conv_id = as_id(get(ticket, "id", "id", twhere)) or fallback
    agent = users.get(assignee, (None, None))[1] if assignee else None
    subject = get(ticket, "subject", "str", twhere)
    return finish(
        ctx,
        turns,
        conv_id,
        where=where,
        line=line,
        agent=agent,
        channel=channel,
        meta=(("subject", subject),) if subject else (),
        started_at=field_time(ticket, "created_at"),
    )


def read(src: InputFile, ctx: Context) -> Iterator[Conversation]:
    return read_json(src, ctx, _split, _build)
