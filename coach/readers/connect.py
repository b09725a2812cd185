"""Amazon Connect chat transcripts (S3 export) and Contact Lens conversational-analytics output.

Chat transcripts: `Transcript[]` items with `Type` (only MESSAGE is read; EVENT and
ATTACHMENT items are skipped), `ContentType` (text/plain or text/markdown),
`Content`, `ParticipantId`, `ParticipantRole` (AGENT, CUSTOMER, SYSTEM,
CUSTOM_BOT, SUPERVISOR), `DisplayName`, `AbsoluteTime` (the first is `started_at`); id from `ContactId` /
`InitialContactId`. Contact Lens output: `Participants[]` (`ParticipantId` →
`ParticipantRole`), `Transcript[]` with `ParticipantId` (AGENT/CUSTOMER),
`Content`, `BeginOffsetMillis`; `Channel` (VOICE/CHAT) and
`CustomerMetadata.ContactId` (offsets only: no `started_at`). Roles: AGENT/SUPERVISOR → agent, CUSTOMER →
customer, SYSTEM/CUSTOM_BOT → system.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from coach.errors import InputError
from coach.models import Conversation, Turn
from coach.readers._common import millis_to_clock, role_value
from coach.readers._context import Context
from coach.readers._inputfile import InputFile
from coach.readers._json import as_id, dotted, finish, get, objects, read_json, type_name

ROLES = {
    "AGENT": "agent",
    "SUPERVISOR": "agent",
    "CUSTOMER": "customer",
    "SYSTEM": "system",
    "CUSTOM_BOT": "system",
    "BOT": "system",
}
_TEXT_TYPES = frozenset({"text/plain", "text/markdown"})


def _split(doc: Any) -> list[tuple[str, dict]]:
    if isinstance(doc, dict) and "Transcript" in doc:
        return [("", doc)]
    if isinstance(doc, list):
        return list(objects(doc, ""))
    raise InputError(
        f"not an Amazon Connect transcript: {type_name(doc)} without 'Transcript'", hint="check --format-in"
    )


def _participants(rec: dict, where: str) -> dict[str, str]:
    roles: dict[str, str] = {}
    for here, item in objects(get(rec, "Participants", "list", where) or [], dotted(where, "Participants")):
        pid = get(item, "ParticipantId", "str", here)
        role = get(item, "ParticipantRole", "str", here)
        if pid and role:
            roles[pid] = role
    return roles


def _build(rec: dict, ctx: Context, where: str, fallback: str, line: int | None) -> Conversation | None:
    roles = _participants(rec, where)
    turns: list[Turn] = []
    chat = False
    for here, item in objects(get(rec, "Transcript", "list", where, required=True), dotted(where, "Transcript")):
        kind = get(item, "Type", "str", here)
        if kind is not None and kind.upper() != "MESSAGE":
            continue
        content_type = get(item, "ContentType", "str", here)
        if content_type is not None and content_type.lower() not in _TEXT_TYPES:
            continue
        content = get(item, "Content", "str", here, required=True)
        pid = get(item, "ParticipantId", "str", here)
        raw = get(item, "ParticipantRole", "str", here) or roles.get(pid or "") or pid
        if raw is None:
            raise InputError(f"missing field '{dotted(here, 'ParticipantRole')}'")
        role = ROLES.get(raw.upper())
        if role is None:
            raise InputError(
                f"'{here}': participant {raw!r} has no known role (expected AGENT, CUSTOMER "
                f"or SYSTEM in ParticipantRole or Participants[])"
            )
        stamp = get(item, "AbsoluteTime", "str", here)
        chat = chat or stamp is not None
        if stamp is None:
            offset = get(item, "BeginOffsetMillis", "num", here)
            stamp = millis_to_clock(offset) if offset is not None else None
        name = get(item, "DisplayName", "str", here)
        if name and (role_value(name) is not None or name.upper() in ROLES or name.upper() == "SYSTEM_MESSAGE"):
            name = None  # "Customer", "BOT", "SYSTEM_MESSAGE": role labels, not names
        if content.strip():
            turns.append(Turn(role, content.strip(), name, stamp, line))
    meta_obj = get(rec, "CustomerMetadata", "dict", where) or {}
    conv_id = (
        as_id(get(rec, "ContactId", "str", where))
        or as_id(get(rec, "InitialContactId", "str", where))
        or as_id(get(meta_obj, "ContactId", "str", dotted(where, "CustomerMetadata")))
        or fallback
    )
    channel = get(rec, "Channel", "str", where)
    return finish(
        ctx, turns, conv_id, where=where, line=line, channel=channel.lower() if channel else ("chat" if chat else None)
    )


def read(src: InputFile, ctx: Context) -> Iterator[Conversation]:
    return read_json(src, ctx, _split, _build)
