"""Exit codes, decided in one place for every command (like black's report.py)."""

from __future__ import annotations

from typing import Iterable

from .errors import ExitCode
from .models import POSITIVE_CATEGORIES, SEVERITY_RANK, Finding

FAIL_ON_CHOICES = ("info", "warning", "error", "never")


def fails(finding: Finding, fail_on: str) -> bool:
    """Whether one finding fails a run: negative categories at or above `fail_on`.

    Advocacy and apology elements are positive signals and never fail a run.
    """
    if fail_on == "never" or finding.category in POSITIVE_CATEGORIES:
        return False
    return SEVERITY_RANK[finding.severity] >= SEVERITY_RANK[fail_on]


def exit_code(findings: Iterable[Finding], fail_on: str = "warning", *,
              input_failed: bool = False, extra_failure: bool = False) -> ExitCode:
    """0 clean, 1 a failing finding (or another gate failed), 3 some input could not be read."""
    if input_failed:
        return ExitCode.INPUT_FAILED
    if extra_failure or any(fails(f, fail_on) for f in findings):
        return ExitCode.FINDINGS
    return ExitCode.OK
