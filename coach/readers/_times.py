"""Conversation times: any absolute time an export gives, as one ISO 8601 UTC form.

Why one form: `started_at` is compared as text (`--since/--until`, the results
store, trends), so every reader must write it the same fixed-width way:
`YYYY-MM-DDTHH:MM:SSZ`. Times without a zone are taken as UTC. Clock times and
offsets into a call ("10:32", "00:01:05.200") have no date and give None.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from coach.models import Turn

_NUMBER = re.compile(r"^\d{9,16}(?:\.\d+)?$")
_DATED = re.compile(r"^\d{4}-\d{2}-\d{2}")
#: Unix times above this are milliseconds (1e11 seconds is the year 5138).
_MILLIS_FROM = 1e11


def _utc(stamp: datetime) -> str:
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _from_epoch(value: float) -> str | None:
    if value >= _MILLIS_FROM:
        value /= 1000
    try:
        return _utc(datetime.fromtimestamp(value, tz=UTC))
    except (OverflowError, ValueError, OSError):
        return None


def to_utc(value: str | float | int | None) -> str | None:
    """An absolute time (ISO 8601, RFC 2822, Unix seconds or milliseconds) as
    `YYYY-MM-DDTHH:MM:SSZ`; None for anything without a date."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _from_epoch(float(value)) if value > 0 else None
    text = value.strip()
    if _NUMBER.match(text):
        return _from_epoch(float(text))
    if _DATED.match(text):
        try:
            return _utc(datetime.fromisoformat(text.replace("z", "Z").replace(" UTC", "Z")))
        except ValueError:
            return None
    if "," in text or re.search(r"\b\d{4}\b", text):  # "Fri, 01 Mar 2024 10:32:00 +0000"
        try:
            return _utc(parsedate_to_datetime(text))
        except (TypeError, ValueError, IndexError):
            return None
    return None


def first_time(turns: Iterable[Turn]) -> str | None:
    """The first turn time that is an absolute time, as ISO 8601 UTC: when a conversation started."""
    for turn in turns:
        if turn.time:
            stamp = to_utc(turn.time)
            if stamp is not None:
                return stamp
    return None


def field_time(obj: object, *keys: str) -> str | None:
    """The first of `keys` in a JSON object that holds an absolute time, as ISO 8601 UTC. A time
    is optional: a field of the wrong type is passed over rather than failing the conversation."""
    if not isinstance(obj, dict):
        return None
    for key in keys:
        value = obj.get(key)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            stamp = to_utc(value)
            if stamp is not None:
                return stamp
    return None
