"""CSV output for `coach score`, one row per conversation, finding or agent, safe to open in Excel."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import IO, Any

from ..aggregate import AgentSummary, Summary
from ..models import ConversationReport

CONVERSATION_COLUMNS = (
    "conversation",
    "source",
    "agent",
    "channel",
    "score",
    "agent_turns",
    "advocacy",
    "blocking",
    "non_apology",
    "apology_offered",
    "apology_completeness",
    "apology_missing",
    "apology_expected",
    "started_at",
    "rewritten",
)
FINDING_COLUMNS = (
    "conversation",
    "source",
    "agent",
    "turn",
    "speaker",
    "rule",
    "category",
    "element",
    "severity",
    "start",
    "end",
    "text",
    "message",
    "first_rewrite",
    "finding_source",
    "confidence",
    "time",
    "finding_rewrite",
    "rewritten",
)
AGENT_COLUMNS = (
    "agent",
    "conversations",
    "agent_turns",
    "advocacy",
    "blocking",
    "non_apology",
    "advocacy_per_100_turns",
    "blocking_per_100_turns",
    "apologies",
    "apology_completeness",
    "apology_expected",
    "score_mean",
    "score_p10",
    "score_median",
    "score_p90",
    "top_blocking_rule",
    "first_started_at",
    "last_started_at",
)
PER = ("conversation", "finding", "agent")
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
    return [
        report.conversation,
        report.source,
        report.agent,
        report.channel,
        report.score,
        report.agent_turns,
        counts.get("advocacy", 0),
        counts.get("blocking", 0),
        counts.get("non_apology", 0),
        apology.offered,
        completeness,
        ";".join(apology.missing),
        report.apology_expected,
        report.started_at,
        rewritten_turns(report),
    ]


def rewritten_turns(report: ConversationReport) -> str | None:
    """The agent turns a rewrite changed, each as "turn N: draft", one per line; None when none."""
    lines = [f"turn {t.number}: {t.rewritten}" for t in report.turns if t.rewritten is not None]
    return "\n".join(lines) or None


def finding_rows(report: ConversationReport) -> Iterator[list]:
    """One row per finding; `turn` counts from 1, as the terminal and HTML reports number turns;
    `rewritten` is the finding's turn rewritten (repeated on each of its findings' rows)."""
    for turn in report.turns:
        for f in turn.findings:
            yield [
                report.conversation,
                report.source,
                report.agent,
                turn.number,
                turn.speaker,
                f.rule,
                f.category,
                f.element,
                f.severity,
                f.start,
                f.end,
                f.text,
                f.message,
                f.rule_suggestion,
                f.source,
                f.confidence,
                turn.time,
                f.rewrite,
                turn.rewritten,
            ]


def agent_row(agent: AgentSummary) -> list:
    top = agent.rules.most_common(1)
    return [
        agent.agent,
        agent.conversations,
        agent.turns,
        agent.advocacy,
        agent.blocking,
        agent.non_apology,
        agent.per_100(agent.advocacy),
        agent.per_100(agent.blocking),
        agent.apologies,
        agent.mean_completeness,
        agent.apology_expected,
        agent.mean_score,
        agent.percentile(0.1),
        agent.percentile(0.5),
        agent.percentile(0.9),
        top[0][0] if top else None,
        agent.first_started_at,
        agent.last_started_at,
    ]


def write_agent_csv(summary: Summary, out: IO[str]) -> None:
    """One row per agent, by name, from a summary that has seen every report (then one for the
    agents past the summary's limit together, if any)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(AGENT_COLUMNS)
    others = [summary.other_agents] if summary.other_agents is not None else []
    for agent in sorted(summary.agents.values(), key=lambda a: a.agent) + others:
        writer.writerow([safe_cell(v) for v in agent_row(agent)])


def write_csv(
    reports: Iterable[ConversationReport], out: IO[str], per: str = "conversation", summary: Summary | None = None
) -> None:
    """Header then one row at a time; `per` is "conversation", "finding" or "agent" (rows once
    every report has gone through `summary`, which the caller feeds)."""
    if per not in PER:
        raise ValueError(f"per must be one of {', '.join(PER)}, not {per!r}")
    if per == "agent":
        if summary is None:
            summary = Summary()
            for report in reports:
                summary.add(report)
        else:
            for _ in reports:
                pass
        write_agent_csv(summary, out)
        return
    # "\n" rows: correct whatever newline mode the handle was opened with.
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CONVERSATION_COLUMNS if per == "conversation" else FINDING_COLUMNS)
    for report in reports:
        rows = [conversation_row(report)] if per == "conversation" else finding_rows(report)
        for row in rows:
            writer.writerow([safe_cell(v) for v in row])
