"""JSON for `coach check`: the documented, versioned `coach-check/1` schema, for scripts and bots."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import IO, Any, TextIO

from ..models import NEGATIVE_CATEGORIES, CheckResult, EntryResult, LocatedFinding, Rule

SCHEMA = "coach-check/1"


_ERROR = re.compile(r"^(?P<path>.+?)(?::(?P<line>\d+))?: (?P<message>.*)$", re.S)


def split_error(error: str) -> tuple[str, int | None, str]:
    """(path, line or None, reason) of an input error line "path[:line]: reason" (path "" if none)."""
    m = _ERROR.match(error)
    if not m:
        return "", None, error
    return m["path"], int(m["line"]) if m["line"] else None, m["message"]


def problems_found(result: CheckResult) -> list[LocatedFinding]:
    """The negative findings (blocking, non-apology): what CI formats report; positives are signals."""
    return [f for f in result.findings if f.finding.category in NEGATIVE_CATEGORIES]


def suggestion(lf: LocatedFinding) -> str | None:
    """What the CI formats suggest for a finding: its sentence rewrite (naming the placeholders to
    fill in), the advice where no rewrite fits, else the rule's first rewrite; None when none."""
    e = lf.edit
    if e is not None and e.advice:
        return f"advice: {e.advice}"
    if e is not None:
        fill = ", ".join(e.text[a:b] for a, b in e.placeholders)
        return f"try: “{e.text}”" + (f", filling in {fill}" if fill else "")
    f = lf.finding
    shown = f.suggestion
    return f"try: “{shown}”" if shown else None


def summary(result: CheckResult) -> dict[str, Any]:
    """The counts every check renderer prints, computed once so they always agree."""
    found = problems_found(result)
    return {
        "entries": len(result.entries),
        "failed": sum(1 for e in result.entries if e.failed),
        "findings": len(found),
        "failing": sum(1 for f in found if f.failing),
        "suppressed": result.suppressed,
        "baselined": result.baselined,
        "fail_on": result.fail_on,
    }


def summary_line(result: CheckResult) -> str:
    """The one-line verdict shared by the terminal and GitHub renderers."""
    s = summary(result)
    replies = "reply" if s["entries"] == 1 else "replies"
    findings = "finding" if s["findings"] == 1 else "findings"
    return (
        f"{s['entries']} {replies} checked, {s['failed']} failed, {s['findings']} {findings} "
        f"({s['suppressed']} suppressed, {s['baselined']} in baseline)"
    )


def entry_dict(entry: EntryResult) -> dict[str, Any]:
    return {
        "path": entry.path,
        "key": entry.key,
        "line": entry.line,
        "score": entry.report.score,
        "apology": entry.report.apology.to_dict(),
        "failed": entry.failed,
        "problems": list(entry.problems),
        "findings": [f.to_dict() for f in entry.findings],
        "rewritten": entry.report.rewritten,
        "edits": [e.to_dict() for e in entry.report.edits],
    }


def check_document(result: CheckResult) -> dict[str, Any]:
    """The whole document; entries keep every finding (positive ones too) with its category."""
    return {
        "schema": SCHEMA,
        "summary": summary(result),
        "entries": [entry_dict(e) for e in result.entries],
        "unused_suppressions": list(result.unused_suppressions),
        "errors": list(result.errors),
    }


def rule_statistics(result: CheckResult, rules: Mapping[str, Rule]) -> list[dict[str, Any]]:
    """`--statistics`: negative findings per rule, most first (then by id), with how many fail the run."""
    counts: dict[str, list[int]] = {}
    for lf in problems_found(result):
        row = counts.setdefault(lf.finding.rule, [0, 0])
        row[0] += 1
        row[1] += lf.failing
    out = []
    for rule_id, (count, failing) in sorted(counts.items(), key=lambda kv: (-kv[1][0], kv[0])):
        rule = rules.get(rule_id)
        out.append(
            {
                "rule": rule_id,
                "count": count,
                "failing": failing,
                "fixable": bool(rule and rule.fix == "safe"),
                "message": " ".join((rule.message if rule else "").split()).split(". ")[0].rstrip("."),
            }
        )
    return out


def write_statistics(result: CheckResult, rules: Mapping[str, Rule], out: IO[str]) -> None:
    json.dump(
        {
            "schema": SCHEMA,
            "statistics": rule_statistics(result, rules),
            "summary": summary(result),
            "errors": list(result.errors),
        },
        out,
        ensure_ascii=False,
        indent=2,
    )
    out.write("\n")


def write_check_json(result: CheckResult, rules: Mapping[str, Rule], out: TextIO) -> None:
    json.dump(check_document(result), out, ensure_ascii=False, indent=2)
    out.write("\n")
