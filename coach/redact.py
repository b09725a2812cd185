"""`--redact`: mask e-mail addresses, phone numbers, card-like numbers and @handles.

Masks keep the length of what they hide, so every finding's offsets stay valid
in the redacted text; a finding's own text is only changed when it contains
one of these.
"""

from __future__ import annotations

import dataclasses
import re

from .models import CheckResult, ConversationReport, Finding, TextReport

_PATTERNS = [
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),                      # e-mail
    re.compile(r"\b(?:\d[ -]?){12,18}\d\b"),                         # card-like numbers
    re.compile(r"(?<![\w@])\+?\(?\d{1,4}\)?(?:[ .-]?\(?\d{2,4}\)?){2,5}(?!\w)"),  # phone numbers
    re.compile(r"(?<![\w@])@\w{1,30}"),                              # @handles
]


# -- dates and ids are not phone numbers ------------------------------------------------------------
_DATE = re.compile(r"(?:19|20)\d\d([-/.])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])"
                   r"|(?:0?[1-9]|[12]\d|3[01])([/.])(?:0?[1-9]|[12]\d|3[01])\2(?:19|20)\d\d")
_ID_WORDS = re.compile(r"(?:\b(?i:ticket|order|case|invoice|inv|ref|reference|confirmation|conf|tracking|"
                       r"booking|reservation|shipment|parcel|rma|sku|po|id)\b(?:\s*(?i:no|nr|number|id)\b)?\.?"
                       r"|#)[\s:#.-]{0,3}(?:[A-Z0-9]{1,5}[-_ ]){0,4}[A-Z]{0,4}$")


def is_date_or_id(text: str, start: int, end: int) -> bool:
    """A number the phone pattern caught that is an ISO or d/m/y date, or a ticket, order or case
    number (named as one just before it): kept, since reports need them and they name no one."""
    found = text[start:end].strip(" .-()")
    if _DATE.fullmatch(found) or _DATE.match(found) and not re.search(r"\d", found[_DATE.match(found).end():]):
        return True
    return bool(_ID_WORDS.search(text[max(0, start - 24):start]))


def _mask(match: re.Match) -> str:
    text = match.group(0)
    if match.re is _PATTERNS[2] and is_date_or_id(match.string, match.start(), match.end()):
        return text
    digits = sum(c.isdigit() for c in text)
    if text.startswith("@") and "." not in text:
        return "@" + "*" * (len(text) - 1)
    if digits and digits < 7 and "@" not in text:
        return text  # a short number (an order line, a year): not a phone or card
    return "".join(c if c in " -().+@" else "*" for c in text)


def redact_text(text: str) -> str:
    """The text with personal data masked, same length."""
    for pattern in _PATTERNS:
        text = pattern.sub(_mask, text)
    return text


def _finding(f: Finding) -> Finding:
    masked = redact_text(f.text)
    return f if masked == f.text else dataclasses.replace(f, text=masked)


def redact_report(report: TextReport) -> TextReport:
    return dataclasses.replace(report, text=redact_text(report.text),
                               findings=tuple(_finding(f) for f in report.findings))


def redact_conversation(report: ConversationReport) -> ConversationReport:
    turns = tuple(dataclasses.replace(t, text=redact_text(t.text), name=t.name,
                                      findings=tuple(_finding(f) for f in t.findings))
                  for t in report.turns)
    return dataclasses.replace(report, turns=turns)


def redact_check(result: CheckResult) -> CheckResult:
    entries = tuple(dataclasses.replace(
        e, report=redact_report(e.report),
        findings=tuple(dataclasses.replace(lf, finding=_finding(lf.finding)) for lf in e.findings))
        for e in result.entries)
    return dataclasses.replace(result, entries=entries)
