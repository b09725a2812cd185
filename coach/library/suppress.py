"""Inline and per-entry `coach: ignore` suppressions, so a library can accept a finding on purpose."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from coach.errors import InputError
from coach.models import RULE_PREFIX

_DIRECTIVE = re.compile(r"^\s*(?P<verb>[A-Za-z_-]+)(?:\[(?P<ids>[^\]]*)\])?\s*(?:--\s*(?P<reason>.*?))?\s*$", re.S)
_VERBS = {"ignore": "line", "ignore-next-line": "next-line", "ignore-file": "file"}
_HTML_COMMENT = re.compile(r"<!--\s*coach:(?P<body>.*?)-->", re.S)
_LINE_COMMENT = re.compile(r"^[ \t]*(?:#|//)[ \t]*coach:(?P<body>.*)$", re.M)
_HINT = "write e.g. coach: ignore[blocking.policy] -- reason"


@dataclass(frozen=True)
class Suppression:
    """One accepted exception; `line` is a file line (as Entry.locate gives), the comment's own line."""

    rules: tuple[str, ...]  # dotted rule-id prefixes; () means every rule
    scope: str  # "line" | "next-line" | "file" | "entry"
    line: int
    reason: str | None = None
    path: str | None = None
    key: str | None = None

    def matches(self, rule_id: str) -> bool:
        """True when the rule id equals one of the prefixes or sits under one (dot-separated)."""
        return not self.rules or any(rule_id == p or rule_id.startswith(p + ".") for p in self.rules)

    def covers(self, rule_id: str, line: int | None = None) -> bool:
        """True when a finding of `rule_id` on file line `line` is suppressed by this."""
        if not self.matches(rule_id):
            return False
        if self.scope == "line":
            return line == self.line
        if self.scope == "next-line":
            return line == self.line + 1
        return True


def parse_ids(raw: Any, *, path: str | None, line: int | None) -> tuple[str, ...]:
    """Validate rule-id prefixes given as a comma-separated string or a list of strings."""
    items = ([] if not raw.strip() else raw.split(",")) if isinstance(raw, str) else raw
    if not isinstance(items, (list, tuple)):
        raise InputError("rule ids must be a list or a comma-separated string", path=path, line=line, hint=_HINT)
    ids = []
    for item in items:
        item = item.strip() if isinstance(item, str) else item
        if not isinstance(item, str) or not RULE_PREFIX.match(item):
            raise InputError(
                f"bad rule id {item!r} in a coach suppression",
                path=path,
                line=line,
                hint="rule ids are dotted names such as blocking.policy",
            )
        ids.append(item)
    if not ids:
        raise InputError(
            "empty rule list in a coach suppression",
            path=path,
            line=line,
            hint="drop the brackets to ignore every rule, or name the rules",
        )
    return tuple(ids)


def parse_directive(
    body: str, *, path: str | None = None, line: int | None = None
) -> tuple[str, tuple[str, ...], str | None]:
    """Split what follows `coach:` into (scope, rule prefixes, reason)."""
    m = _DIRECTIVE.match(body)
    verb = m.group("verb").lower() if m else body.strip().split(" ")[0]
    if not m or verb not in _VERBS:
        raise InputError(
            f"unknown coach directive {verb!r} (expected ignore, ignore-next-line or ignore-file)",
            path=path,
            line=line,
            hint=_HINT,
        )
    ids = parse_ids(m.group("ids"), path=path, line=line) if m.group("ids") is not None else ()
    reason = (m.group("reason") or "").strip() or None
    return _VERBS[verb], ids, reason


def scan(
    text: str, flavor: str, locate: Callable[[int], tuple[int, int]], *, path: str | None = None, key: str | None = None
) -> tuple[list[Suppression], list[tuple[int, int]]]:
    """Suppression comments in a text: (suppressions, char ranges of the comments, to be masked)."""
    # HTML comments work everywhere; `#`/`//` whole-line comments only in plain text. An `ignore` comment
    # alone on its line applies to the next line, since its own line has nothing to suppress.
    found: list[tuple[int, int, str]] = [(m.start(), m.end(), m.group("body")) for m in _HTML_COMMENT.finditer(text)]
    if flavor == "plain":
        found += [(m.start(), m.end(), m.group("body")) for m in _LINE_COMMENT.finditer(text)]
    out, ranges = [], []
    for start, end, body in sorted(found):
        line = locate(start)[0]
        scope, ids, reason = parse_directive(body, path=path, line=line)
        if scope == "line":
            head = text.rfind("\n", 0, start) + 1
            tail = text.find("\n", end)
            if not (text[head:start] + text[end : len(text) if tail < 0 else tail]).strip():
                scope = "next-line"
        out.append(Suppression(ids, scope, line, reason, path, key))
        ranges.append((start, end))
    return out, ranges


def from_field(value: Any, *, line: int, path: str | None = None, key: str | None = None) -> Suppression:
    """An entry's `coach` field: "ignore[ids] -- reason" or {ignore: [ids] | "ids" | true, reason: "..."}."""
    if isinstance(value, str):
        scope, given, reason = parse_directive(value, path=path, line=line)
        if scope == "next-line":
            raise InputError(
                "ignore-next-line makes no sense for a whole entry",
                path=path,
                line=line,
                hint="use ignore[...] in the entry's coach field",
            )
        return Suppression(given, "entry", line, reason, path, key)
    if not isinstance(value, dict):
        raise InputError("the coach field must be a string or a mapping", path=path, line=line, hint=_HINT)
    unknown = sorted(set(value) - {"ignore", "reason"})
    if unknown:
        raise InputError(
            f"unknown key {unknown[0]!r} in the coach field (expected ignore, reason)", path=path, line=line
        )
    raw = value.get("ignore", True)
    if raw is True or raw in ("all", "*"):
        ids: tuple[str, ...] = ()
    elif raw is False or raw is None:
        raise InputError("coach.ignore must name rules or be true", path=path, line=line, hint=_HINT)
    else:
        ids = parse_ids(raw, path=path, line=line)
    reason = value.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise InputError("coach.reason must be text", path=path, line=line)
    return Suppression(ids, "entry", line, (reason or "").strip() or None, path, key)


def find(suppressions: Iterable[Suppression], rule_id: str, line: int | None) -> Suppression | None:
    """The first suppression covering a finding, so the caller can record it as used."""
    return next((s for s in suppressions if s.covers(rule_id, line)), None)


def unused(suppressions: Iterable[Suppression], used: Iterable[Suppression]) -> list[Suppression]:
    """Suppressions that matched no finding, in their original order (for `unused suppression` reports)."""
    seen = set(used)
    return [s for s in suppressions if s not in seen]
