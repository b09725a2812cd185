"""`--redact`: mask e-mail addresses, phone numbers, card-like numbers, IBANs and @handles.

Masks keep the length of what they hide, so every finding's offsets stay valid in the
redacted text; a finding's own text is only changed when it contains one of these.
Patterns are matched on a folded copy of the text — NFKC (fullwidth `ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ`,
fullwidth digits, non-breaking and thin spaces), dashes as `-`, zero-width characters left
out (`jane\u200b@exa\u200bmple.com`) — and masked in the original. Limits: docs/reliability.md.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from functools import lru_cache

from .models import CheckResult, ConversationReport, Finding, TextReport, TurnReport

_LOCAL_CHARS = r"[\w!#$%&'*+/=?^`{|}~-]"
_PATTERNS = [
    # e-mail: a dot-atom or "quoted" local part, a domain name or [address literal]
    re.compile(
        rf'(?:"[^"\n]{{1,64}}"|{_LOCAL_CHARS}+(?:\.{_LOCAL_CHARS}+)*)'
        r"@(?:[\w-]+(?:\.[\w-]+)+|\[[0-9A-Fa-f:.]+\])"
    ),
    # IBAN: country code, check digits, then groups of four capitals/digits (spaced or not)
    re.compile(r"(?<!\w)[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?!\w)"),
    # card-like numbers: 13-19 digits, grouped by spaces, dashes or dots
    re.compile(r"(?<!\w)(?:\d[ .-]?){12,18}\d(?!\w)"),
    # phone numbers
    re.compile(r"(?<![\w@])\+?\(?\d{1,4}\)?(?:[ .-]?\(?\d{2,4}\)?){2,5}(?!\w)"),
    # @handles
    re.compile(r"(?<![\w@])@\w{1,30}"),
]
_IBAN = _PATTERNS[1]
_PHONE = _PATTERNS[3]

# -- dates and ids are not phone numbers ------------------------------------------------------------
_DATE = re.compile(
    r"(?:19|20)\d\d([-/.])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])"
    r"|(?:0?[1-9]|[12]\d|3[01])([/.])(?:0?[1-9]|[12]\d|3[01])\2(?:19|20)\d\d"
)
_ID_WORDS = re.compile(
    r"(?:\b(?i:ticket|order|case|invoice|inv|ref|reference|confirmation|conf|tracking|"
    r"booking|reservation|shipment|parcel|rma|sku|po|id)\b(?:\s*(?i:no|nr|number|id)\b)?\.?"
    r"|#)[\s:#.-]{0,3}(?:[A-Z0-9]{1,5}[-_ ]){0,4}[A-Z]{0,4}$"
)


def is_date_or_id(text: str, start: int, end: int) -> bool:
    """A number the phone pattern caught that is an ISO or d/m/y date, or a ticket, order or case
    number (named as one just before it): kept, since reports need them and they name no one."""
    found = text[start:end].strip(" .-()")
    date = _DATE.match(found)
    if _DATE.fullmatch(found) or date and not re.search(r"\d", found[date.end() :]):
        return True
    return bool(_ID_WORDS.search(text[max(0, start - 24) : start]))


#: Characters a mask keeps (in the folded text), so the shape of what was hidden stays readable.
_KEEP = frozenset(" -().+@")
#: Folds NFKC leaves alone.
_EXTRA = {"。": ".", "｡": ".", "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-"}


@lru_cache(maxsize=4096)
def _fold(char: str) -> str:
    """One non-ASCII character as the patterns see it: '' for a zero-width or other format
    character, its NFKC form when that is one character, else itself."""
    if unicodedata.category(char) == "Cf":
        return ""
    if char in _EXTRA:
        return _EXTRA[char]
    folded = unicodedata.normalize("NFKC", char)
    folded = _EXTRA.get(folded, folded)
    return folded if len(folded) == 1 else char


def _masks(match: str, iban: bool) -> bool:
    if iban or "@" in match:
        return True
    return sum(c.isdigit() for c in match) >= 7  # a short number (an order line, a year): kept


def redact_text(text: str) -> str:
    """The text with personal data masked, same length."""
    if not text:
        return text
    if text.isascii():
        fold_at: list[str] | str = text
        where: list[int] | None = None
        shadow = text
    else:  # match on the folded text, mask the original characters it came from
        fold_at = [c if c < "\x80" else _fold(c) for c in text]
        where = [i for i, f in enumerate(fold_at) if f]
        shadow = "".join(fold_at)
    out: list[str] | None = None
    for pattern in _PATTERNS:
        spans = [
            (m.start(), m.end())
            for m in pattern.finditer(shadow)
            if _masks(m.group(0), pattern is _IBAN)
            and not (pattern is _PHONE and is_date_or_id(shadow, m.start(), m.end()))
        ]
        if not spans:
            continue
        out = out or list(text)
        folded = list(shadow)
        for start, end in spans:
            handle = shadow[start] == "@" and "." not in shadow[start:end]  # @handle: keep the @ only
            for k in range(start, end):
                if not (folded[k] in _KEEP and not (handle and k > start)):
                    folded[k] = "*"
            lo, hi = (start, end) if where is None else (where[start], where[end - 1] + 1)
            for i in range(lo, hi):
                f = fold_at[i]
                if not (f and f in _KEEP and not (handle and i > lo)):
                    out[i] = "*"
        shadow = "".join(folded)
    return text if out is None else "".join(out)


def _optional(text: str | None) -> str | None:
    return None if text is None else redact_text(text)


def _finding(f: Finding) -> Finding:
    masked, rewrite = redact_text(f.text), _optional(f.rewrite)
    return f if (masked, rewrite) == (f.text, f.rewrite) else dataclasses.replace(f, text=masked, rewrite=rewrite)


def _rewritten(report: TextReport | TurnReport) -> dict:
    """The rewritten draft and its sentence rewrites masked too (same length: offsets hold)."""
    return {
        "rewritten": _optional(report.rewritten),
        "edits": tuple(dataclasses.replace(e, text=redact_text(e.text)) for e in report.edits),
    }


def redact_report(report: TextReport) -> TextReport:
    return dataclasses.replace(
        report,
        text=redact_text(report.text),
        findings=tuple(_finding(f) for f in report.findings),
        **_rewritten(report),
    )


def redact_conversation(report: ConversationReport) -> ConversationReport:
    """Texts, the conversation id, the agent and channel fields; `source` (a path the user
    gave, which --resume reads back) is kept."""
    turns = tuple(
        dataclasses.replace(
            t, text=redact_text(t.text), name=t.name, findings=tuple(_finding(f) for f in t.findings), **_rewritten(t)
        )
        for t in report.turns
    )
    return dataclasses.replace(
        report,
        turns=turns,
        conversation=redact_text(report.conversation),
        agent=_optional(report.agent),
        channel=_optional(report.channel),
    )


def redact_check(result: CheckResult) -> CheckResult:
    """Replies, their titles (entry keys) and every message; file paths are kept."""
    entries = tuple(
        dataclasses.replace(
            e,
            key=_optional(e.key),
            report=dataclasses.replace(
                redact_report(e.report), source=redact_text(e.report.source) if e.key else e.report.source
            ),
            problems=tuple(redact_text(p) for p in e.problems),
            findings=tuple(
                dataclasses.replace(
                    lf,
                    finding=_finding(lf.finding),
                    key=_optional(lf.key),
                    edit=lf.edit and dataclasses.replace(lf.edit, text=redact_text(lf.edit.text)),
                )
                for lf in e.findings
            ),
        )
        for e in result.entries
    )
    return dataclasses.replace(
        result,
        entries=entries,
        errors=tuple(redact_text(e) for e in result.errors),
        unused_suppressions=tuple(redact_text(u) for u in result.unused_suppressions),
    )
