"""Google Contact Center AI Insights conversations, in both documented JSON shapes.

1. The Conversation resource (`GET …/conversations/{id}`, or exports of it):
   `transcript.transcriptSegments[]` with `text`, `messageTime`, `channelTag` and
   `segmentParticipant.role` (HUMAN_AGENT/ANY_AGENT → agent, END_USER/CUSTOMER →
   customer, AUTOMATED_AGENT → system); a segment with no role is placed by
   `callMetadata.agentChannel`/`customerChannel`. Id from the last part of `name`,
   channel from `medium` (PHONE_CALL → voice, CHAT → chat), agent from `agentId`.
2. The conversation-data import format: `entries[]` with `text`, `role` (AGENT,
   CUSTOMER, END_USER, AUTOMATED_AGENT), `user_id`, `start_timestamp_usec`.
Field names are accepted in camelCase and snake_case, as the API emits either.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from coach.errors import InputError
from coach.models import Conversation, Turn
from coach.readers._common import epoch_to_iso
from coach.readers._context import Context
from coach.readers._inputfile import InputFile
from coach.readers._json import as_id, dotted, finish, get, get_any, objects, read_json, type_name

ROLES = {
    "HUMAN_AGENT": "agent",
    "AGENT": "agent",
    "ANY_AGENT": "agent",
    "END_USER": "customer",
    "CUSTOMER": "customer",
    "AUTOMATED_AGENT": "system",
}
MEDIUMS = {"PHONE_CALL": "voice", "CHAT": "chat"}


def _split(doc: Any) -> list[tuple[str, dict]]:
    if isinstance(doc, dict):
        if "transcript" in doc or "entries" in doc:
            return [("", doc)]
        if isinstance(doc.get("conversations"), list):
            return list(objects(doc["conversations"], "conversations"))
    if isinstance(doc, list):
        return list(objects(doc, ""))
    raise InputError(
        f"not a CCAI Insights conversation: {type_name(doc)} without 'transcript' or 'entries'",
        hint="check --format-in",
    )


def _role(raw: str, name: str) -> str:
    role = ROLES.get(raw.upper())
    if role is None:
        raise InputError(f"field '{name}' is {raw!r}; expected HUMAN_AGENT, AUTOMATED_AGENT, END_USER or CUSTOMER")
    return role


def _channel(number: float) -> int | None:
    return int(number) if number == number and abs(number) < 2**31 else None


def _entries(rec: dict, where: str, line: int | None) -> list[Turn]:
    turns: list[Turn] = []
    for here, entry in objects(get(rec, "entries", "list", where, required=True), dotted(where, "entries")):
        text = get(entry, "text", "str", here, required=True).strip()
        role = _role(get(entry, "role", "str", here, required=True), dotted(here, "role"))
        usec = get_any(entry, ("start_timestamp_usec", "startTimestampUsec"), "num", here)
        if text:
            turns.append(Turn(role, text, None, None if usec is None else epoch_to_iso(usec, 1_000_000), line))
    return turns


def _segments(rec: dict, where: str, line: int | None) -> list[Turn]:
    twhere = dotted(where, "transcript")
    transcript = get(rec, "transcript", "dict", where, required=True)
    segments = get_any(transcript, ("transcriptSegments", "transcript_segments"), "list", twhere, required=True)
    call = get_any(rec, ("callMetadata", "call_metadata"), "dict", where) or {}
    channels: dict[int, str] = {}
    for keys, role in (
        (("agentChannel", "agent_channel"), "agent"),
        (("customerChannel", "customer_channel"), "customer"),
    ):
        number = get_any(call, keys, "num", dotted(where, "callMetadata"))
        channel = _channel(number) if number is not None else None
        if channel is not None:
            channels[channel] = role
    turns: list[Turn] = []
    for here, seg in objects(segments, dotted(twhere, "transcriptSegments")):
        text = get(seg, "text", "str", here, required=True).strip()
        who = get_any(seg, ("segmentParticipant", "segment_participant"), "dict", here) or {}
        raw = get(who, "role", "str", dotted(here, "segmentParticipant"))
        if raw and raw.upper() != "ROLE_UNSPECIFIED":
            role = _role(raw, dotted(here, "segmentParticipant.role"))
        else:
            tag = get_any(seg, ("channelTag", "channel_tag"), "num", here)
            channel = _channel(tag) if tag is not None else None
            if channel is None or channel not in channels:
                raise InputError(
                    f"'{here}' has no segmentParticipant.role and no channelTag matching "
                    f"callMetadata.agentChannel/customerChannel"
                )
            role = channels[channel]
        stamp = get_any(seg, ("messageTime", "message_time"), "str", here)
        if text:
            turns.append(Turn(role, text, None, stamp, line))
    return turns


def _build(rec: dict, ctx: Context, where: str, fallback: str, line: int | None) -> Conversation | None:
    turns = _entries(rec, where, line) if "entries" in rec else _segments(rec, where, line)
    name = get(rec, "name", "str", where)
    conv_id = name.rstrip("/").rsplit("/", 1)[-1] if name and name.strip("/") else fallback
    medium = get(rec, "medium", "str", where)
    agent = as_id(get_any(rec, ("agentId", "agent_id"), "id", where))
    return finish(
        ctx,
        turns,
        conv_id,
        where=where,
        line=line,
        agent=agent,
        channel=MEDIUMS.get(medium.upper(), medium.lower()) if medium else None,
    )


def read(src: InputFile, ctx: Context) -> Iterator[Conversation]:
    return read_json(src, ctx, _split, _build)
