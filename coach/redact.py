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


def _mask(match: re.Match) -> str:
    text = match.group(0)
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
