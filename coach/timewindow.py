"""`--since` / `--until`: a window of conversation start times, compared as ISO 8601 UTC text.

Why text: `started_at` is always `YYYY-MM-DDTHH:MM:SSZ` (fixed width, UTC), so string order is
time order, in Python and in the results store's indexes alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from .errors import UsageError

_RELATIVE = re.compile(r"^(\d{1,5})\s*([dw])$")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso(stamp: datetime) -> str:
    return stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_bound(text: str, option: str, *, end: bool = False, now: datetime | None = None) -> str:
    """A bound as the first ISO UTC second outside (end) or inside (start) the window.

    DATE (`2024-03-01`) means that whole day: as `--until` it includes it. A date and time
    (`2024-03-01T12:00`, zone optional, UTC when absent) is that second. `7d` / `4w` count back
    from now (a day's start)."""
    value = text.strip()
    now = now or datetime.now(UTC)
    relative = _RELATIVE.match(value.lower())
    if relative:
        days = int(relative[1]) * (7 if relative[2] == "w" else 1)
        day = (now - timedelta(days=days)).date()
        return _day_start(day + timedelta(days=1) if end else day)
    try:
        if _DATE_ONLY.match(value):
            day = date.fromisoformat(value)
            return _day_start(day + timedelta(days=1) if end else day)
        stamp = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise UsageError(
            f"{option} {text!r} is not a date",
            hint="give YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][+zone] or a count of days/weeks back (7d, 4w)",
        ) from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return _iso(stamp + timedelta(seconds=1) if end else stamp)


def _day_start(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


@dataclass(frozen=True)
class TimeWindow:
    """Start times from `since` (inclusive) to `before` (exclusive), ISO UTC text; None: open."""

    since: str | None = None
    before: str | None = None

    @classmethod
    def parse(cls, since: str | None, until: str | None, now: datetime | None = None) -> TimeWindow:
        window = cls(
            parse_bound(since, "--since", now=now) if since else None,
            parse_bound(until, "--until", end=True, now=now) if until else None,
        )
        if window.since and window.before and window.before <= window.since:
            raise UsageError(f"--until {until} is before --since {since}", hint="swap them")
        return window

    @property
    def open(self) -> bool:
        return self.since is None and self.before is None

    def __contains__(self, started_at: str | None) -> bool:
        if self.open:
            return True
        if started_at is None:
            return False
        return (self.since is None or started_at >= self.since) and (self.before is None or started_at < self.before)
