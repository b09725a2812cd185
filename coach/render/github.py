"""GitHub Actions workflow commands for `coach check`, so findings show as annotations on the PR diff.

One command per negative finding (failing or not), at its severity's level; one `::error` per
entry problem; file errors and unused suppressions; then a plain summary line for the log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TextIO

from ..controls import escape_controls
from ..models import CheckResult, EntryResult, LocatedFinding, Rule
from .check_json import problems_found, suggestion, summary_line

LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(value: str) -> str:
    """The message part: GitHub decodes %25, %0D and %0A there; other control characters
    are shown escaped (the log is a terminal)."""
    return escape_controls(value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(value: str) -> str:
    """A property value: as data, plus `:` and `,`, which would end the value early."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, **props: object) -> str:
    """`::level k=v,...::message`, skipping properties that are None."""
    pairs = ",".join(f"{k}={escape_property(str(v))}" for k, v in props.items() if v is not None)
    return f"::{level}{' ' + pairs if pairs else ''}::{escape_data(message)}"


def finding_command(lf: LocatedFinding) -> str:
    f = lf.finding
    message = f.message or f"“{f.text}”"
    hint = suggestion(lf)
    if hint:
        message = f"{message} ({hint})"
    return command(
        LEVELS.get(f.severity, "warning"),
        message,
        file=lf.path,
        line=lf.line,
        col=lf.column,
        endLine=lf.end_line,
        endColumn=lf.end_column,
        title=f.rule,
    )


def problem_commands(entry: EntryResult) -> list[str]:
    prefix = f"{entry.key}: " if entry.key else ""
    return [command("error", prefix + p, file=entry.path, line=entry.line, title="coach") for p in entry.problems]


def github_lines(result: CheckResult) -> list[str]:
    lines = [finding_command(lf) for lf in problems_found(result)]
    for entry in result.entries:
        lines += problem_commands(entry)
    lines += [command("error", e, title="coach") for e in result.errors]
    lines += [command("warning", f"unused suppression: {s}", title="coach") for s in result.unused_suppressions]
    lines.append(f"coach: {summary_line(result)}")
    return lines


def write_github(result: CheckResult, rules: Mapping[str, Rule], out: TextIO) -> None:
    for line in github_lines(result):
        out.write(line + "\n")
