"""Exit codes, decided in one place for every command (like black's report.py)."""

from __future__ import annotations

from collections.abc import Iterable

from .errors import ExitCode
from .models import POSITIVE_CATEGORIES, SEVERITY_RANK, Finding, TextReport

#: The --fail-on / `fail-on` choices: a severity, or never (the one list every command reads).
FAIL_ON = ("info", "warning", "error", "never")


def fails(finding: Finding, fail_on: str) -> bool:
    """Whether one finding fails a run: negative categories at or above `fail_on`.

    Advocacy and apology elements are positive signals and never fail a run.
    """
    if fail_on == "never" or finding.category in POSITIVE_CATEGORIES:
        return False
    return SEVERITY_RANK[finding.severity] >= SEVERITY_RANK[fail_on]


def exit_code(
    findings: Iterable[Finding] = (),
    fail_on: str = "warning",
    *,
    extra_failure: bool = False,
    input_failed: bool = False,
) -> ExitCode:
    """0 clean, 1 a failing finding or another failed gate, 3 some input could not be read
    (it was reported and skipped; that outranks findings, which cover only what was read)."""
    if input_failed:
        return ExitCode.INPUT_FAILED
    if extra_failure or any(fails(f, fail_on) for f in findings):
        return ExitCode.FINDINGS
    return ExitCode.OK


def gate_problems(report: TextReport, min_score: int | None, require_complete_apology: bool) -> tuple[str, ...]:
    """Reply-level gates (config `min-score`, `require-complete-apology`) that fail a run."""
    problems = []
    if min_score is not None and report.score < min_score:
        problems.append(f"score {report.score} is below min-score {min_score}")
    if require_complete_apology and report.apology.offered and report.apology.missing:
        problems.append("apology is missing " + ", ".join(report.apology.missing) + " (require-complete-apology)")
    return tuple(problems)
