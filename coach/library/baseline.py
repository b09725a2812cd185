"""Baseline fingerprints, so `coach check` can adopt an existing library and fail only on new findings."""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from coach.atomic import atomic_writer
from coach.errors import InputError

SCHEMA = "coach-baseline/1"
_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
    }
)
_SPACE = re.compile(r"\s+")
_HINT = "regenerate the baseline, or delete it"
MAX_BASELINE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, order=True)
class BaselineEntry:
    """One accepted finding as stored in the baseline file."""

    path: str
    key: str | None
    rule: str
    text: str
    fingerprint: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "rule": self.rule,
            "path": self.path,
            "key": self.key,
            "text": self.text,
        }


def normalize_text(text: str) -> str:
    """NFKC, lower case, straight quotes, whitespace collapsed: edits that change nothing else keep a finding."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    return _SPACE.sub(" ", text).strip()


def normalize_path(path: str, root: str | None = None) -> str:
    """The path relative to `root` (default: the working directory), with forward slashes."""
    base = os.path.abspath(root or os.getcwd())
    full = os.path.abspath(path)
    try:
        rel = os.path.relpath(full, base)
    except ValueError:  # another drive on Windows
        rel = full
    return rel.replace(os.sep, "/")


def fingerprint(
    rule_id: str, matched_text: str, path: str, key: str | None, occurrence: int = 0, *, root: str | None = None
) -> str:
    """A finding's identity that survives line shifts: rule, normalised text, file, entry and repeat count."""
    parts = [rule_id, normalize_text(matched_text), normalize_path(path, root), key or "", str(occurrence)]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def entries_for(
    findings: Iterable[tuple[str, str, str, str | None]], *, root: str | None = None
) -> list[BaselineEntry]:
    """Baseline entries for (rule, matched text, path, key) findings, numbering repeats in one entry."""
    # Repeats of the same phrase in one entry get occurrence 0, 1, 2, ... so each is accepted separately.
    counts: dict[tuple[str, str, str, str | None], int] = {}
    out = []
    for rule, text, path, key in findings:
        rel = normalize_path(path, root)
        ident = (rule, normalize_text(text), rel, key)
        n = counts.get(ident, 0)
        counts[ident] = n + 1
        out.append(BaselineEntry(rel, key, rule, text, fingerprint(rule, text, path, key, n, root=root)))
    return out


def _coerce(item: BaselineEntry | Mapping[str, Any]) -> BaselineEntry:
    if isinstance(item, BaselineEntry):
        return item
    return BaselineEntry(
        str(item["path"]), item.get("key"), str(item["rule"]), str(item.get("text", "")), str(item["fingerprint"])
    )


def write_baseline(path: str, fingerprints: Iterable[BaselineEntry | Mapping[str, Any]]) -> None:
    """Write the baseline atomically, sorted and de-duplicated."""
    unique = {e.fingerprint: e for e in map(_coerce, fingerprints)}
    ordered = sorted(unique.values(), key=lambda e: (e.path, e.key or "", e.rule, e.text, e.fingerprint))
    payload = (
        json.dumps({"schema": SCHEMA, "findings": [e.to_dict() for e in ordered]}, indent=2, ensure_ascii=False) + "\n"
    )
    with atomic_writer(path, newline="\n") as handle:
        handle.write(payload)


def load_entries(path: str) -> list[BaselineEntry]:
    """The baseline's entries; InputError naming the file (and line) when it is missing or malformed."""
    try:
        with open(path, "rb") as handle:  # read only so far: /dev/zero and FIFOs report a size of 0
            raw = handle.read(MAX_BASELINE_BYTES + 1)
        if len(raw) > MAX_BASELINE_BYTES:
            raise InputError(
                f"the baseline is larger than {MAX_BASELINE_BYTES // (1024 * 1024)} MB", path=path, hint=_HINT
            )
        data = json.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise InputError("baseline file not found", path=path, hint="create it by writing a baseline first") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid baseline JSON: {exc.msg}", path=path, line=exc.lineno, hint=_HINT) from None
    except RecursionError:
        raise InputError("invalid baseline JSON: nested too deeply", path=path, hint=_HINT) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the baseline: {getattr(exc, 'strerror', None) or exc}", path=path) from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise InputError(f"not a coach baseline (schema {found!r}, expected {SCHEMA!r})", path=path, hint=_HINT)
    findings = data.get("findings")
    if not isinstance(findings, list):
        raise InputError("baseline 'findings' must be a list", path=path, hint=_HINT)
    out = []
    for i, item in enumerate(findings):
        fp = item.get("fingerprint") if isinstance(item, dict) else None
        if not isinstance(fp, str) or not re.fullmatch(r"[0-9a-f]{64}", fp):
            raise InputError(f"baseline finding #{i + 1} has no valid fingerprint", path=path, hint=_HINT)
        out.append(
            BaselineEntry(
                str(item.get("path", "")), item.get("key"), str(item.get("rule", "")), str(item.get("text", "")), fp
            )
        )
    return out


def load_baseline(path: str) -> set[str]:
    """The fingerprints a baseline accepts."""
    return {e.fingerprint for e in load_entries(path)}
