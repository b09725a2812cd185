"""CSV output for `coach score`, one row per conversation or per finding, safe to open in Excel."""

from __future__ import annotations

import csv
from typing import IO, Any, Iterable, Iterator

from ..models import ConversationReport

CONVERSATION_COLUMNS = (
    "conversation", "source", "agent", "channel", "score", "agent_turns", "advocacy", "blocking",
    "non_apology", "apology_offered", "apology_completeness", "apology_missing",
    "apology_expected",
)
FINDING_COLUMNS = (
    "conversation", "source", "agent", "turn", "speaker", "rule", "category", "element",
    "severity", "start", "end", "text", "message", "first_rewrite", "finding_source", "confidence",
)
#: A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Defuse formula injection: text that a spreadsheet would evaluate gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def conversation_row(report: ConversationReport) -> list:
    counts = report.count_map
    apology = report.apology
    completeness = None if apology.completeness is None else round(apology.completeness, 3)
    return [report.conversation, report.source, report.agent, report.channel, report.score,
            report.agent_turns, counts.get("advocacy", 0), counts.get("blocking", 0),
            counts.get("non_apology", 0), apology.offered, completeness,
            ";".join(apology.missing), report.apology_expected]


def finding_rows(report: ConversationReport) -> Iterator[list]:
    """One row per finding; `turn` counts from 1, as the terminal and HTML reports number turns."""
    for turn in report.turns:
        for f in turn.findings:
            yield [report.conversation, report.source, report.agent, turn.number, turn.speaker,
                   f.rule, f.category, f.element, f.severity, f.start, f.end, f.text, f.message,
                   f.rewrites[0] if f.rewrites else None, f.source, f.confidence]


def write_csv(reports: Iterable[ConversationReport], out: IO[str], per: str = "conversation") -> None:
    """Header then one row at a time; `per` is "conversation" or "finding"."""
    if per not in ("conversation", "finding"):
        raise ValueError(f"per must be 'conversation' or 'finding', not {per!r}")
    # "\n" rows: correct whatever newline mode the handle was opened with.
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CONVERSATION_COLUMNS if per == "conversation" else FINDING_COLUMNS)
    for report in reports:
        rows = [conversation_row(report)] if per == "conversation" else finding_rows(report)
        for row in rows:
            writer.writerow([safe_cell(v) for v in row])
